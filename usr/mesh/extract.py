"""SDF on a grid restricted to the visual hull → marching cubes → the person's components."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import trimesh
from scipy import ndimage
from skimage.measure import marching_cubes

from usr.progress import Progress, notify
from usr.render.occupancy import OccupancyGrid

FAR = 1.0  # SDF value given to grid points outside the hull (treated as empty space)


def hull_box(grid: OccupancyGrid, margin_voxels: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the occupied voxels, padded."""
    idx = np.argwhere(grid.occupied)
    if len(idx) == 0:
        raise ValueError("the visual hull is empty: no voxel is inside every mask (check masks and cameras)")
    size = (grid.hi - grid.lo) / grid.resolution
    lo = grid.lo + (idx.min(0) - margin_voxels) * size
    hi = grid.lo + (idx.max(0) + 1 + margin_voxels) * size
    return lo, hi


@torch.no_grad()
def sdf_grid(sdf_fn: Callable[[torch.Tensor], torch.Tensor], grid: OccupancyGrid, resolution: int,
             chunk: int = 65536, progress: Progress | None = None):
    """Sample the SDF on a resolution³ lattice over the hull's box; outside the hull → FAR. Returns (values, lo, hi)."""
    lo, hi = hull_box(grid)
    step = (hi - lo).max() / (resolution - 1)
    counts = np.maximum(np.ceil((hi - lo) / step).astype(int) + 1, 2)
    axes = [lo[k] + np.arange(counts[k]) * step for k in range(3)]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    keep = _near_hull(grid, pts)
    values = np.full(len(pts), FAR, dtype=np.float32)
    sel = np.flatnonzero(keep)
    for i in range(0, len(sel), chunk):
        part = sel[i : i + chunk]
        values[part] = sdf_fn(torch.as_tensor(pts[part], dtype=torch.float32)).reshape(-1).float().numpy()
        notify(progress, "mesh", (i + chunk) / max(len(sel), 1))
    return values.reshape(*counts), lo, step


def _near_hull(grid: OccupancyGrid, pts: np.ndarray) -> np.ndarray:
    occ = ndimage.binary_dilation(grid.occupied, iterations=1)
    idx = np.floor((pts - grid.lo) / (grid.hi - grid.lo) * grid.resolution).astype(int)
    ok = ((idx >= 0) & (idx < grid.resolution)).all(1)
    idx = np.clip(idx, 0, grid.resolution - 1)
    return ok & occ[idx[:, 0], idx[:, 1], idx[:, 2]]


def marching_cubes_mesh(values: np.ndarray, lo: np.ndarray, step: float, level: float = 0.0,
                        keep_person_parts: bool = True) -> trimesh.Trimesh:
    """Zero level set as a mesh in world coordinates (outward normals for SDF < 0 inside)."""
    if not (values.min() < level < values.max()):
        raise ValueError("the SDF has no zero crossing inside the hull: the reconstruction is empty")
    verts, faces, _, _ = marching_cubes(values, level=level, spacing=(step, step, step))
    mesh = trimesh.Trimesh(verts + lo, faces, process=False)  # outward winding for SDF < 0 inside
    if keep_person_parts:
        mesh = person_components(mesh)
    return mesh


def person_components(mesh: trimesh.Trimesh, min_fraction: float = 0.1) -> trimesh.Trimesh:
    """The largest connected part plus any other with ≥ `min_fraction` of its faces (a limb that a gap in the
    masks cut off is kept; floaters are dropped)."""
    parts = mesh.split(only_watertight=False)
    if len(parts) <= 1:
        return mesh
    largest = max(len(m.faces) for m in parts)
    kept = [m for m in parts if len(m.faces) >= min_fraction * largest]
    return kept[0] if len(kept) == 1 else trimesh.util.concatenate(kept)


def extract_mesh(sdf_fn, grid: OccupancyGrid, resolution: int, level: float = 0.0,
                 progress: Progress | None = None) -> trimesh.Trimesh:
    """The level set of `sdf_fn` at `level`, sampled at `resolution` over the hull (progress: "mesh")."""
    values, lo, step = sdf_grid(sdf_fn, grid, resolution, progress=progress)
    return marching_cubes_mesh(values, lo, step, level)
