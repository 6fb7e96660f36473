"""D of SMPL-D: per-vertex offsets along the fitted body's normal.

- on visible skin: the body goes onto the skin the reconstruction shows (face, hands, arms …);
- under garments and hair: where the fitted body sticks out of the clothes by a little (a sleeve the parametric
  arm is too thick for, a tight waistband), the body is tucked under them by `clearance`, so that a garment keeps
  its own shape when it is bound to this body and put back on it. Sticking out by more than `under_reach` is a
  pose error, not a shape detail, and is left alone.

One sparse solve of  Σ_anchored w_i (D_i − t_i)² + μ Σ_free D_i² + λ Σ_edges (D_i − D_j)²  (anchored: the
vertices above; free ones decay to 0); then, under the garments, D is capped at the gap (minus `clearance`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import trimesh

from usr.geometry.distance import MeshQuery
from usr.labels import BACKGROUND, SKIN
from usr.mesh.graph import vertex_adjacency
from usr.mesh.ops import vertex_normals

UNDER_CLEARANCE = 0.003  # metres the body is tucked under a garment it sticks out of


def body_displacements(
    vertices: np.ndarray,
    faces: np.ndarray,
    mesh: trimesh.Trimesh,
    face_labels: np.ndarray,
    skin_reach: float = 0.02,
    under_reach: float = 0.05,
    smoothness: float = 4.0,
    decay: float = 0.2,
    clearance: float = UNDER_CLEARANCE,
    tuck_weight: float = 20.0,
) -> np.ndarray:
    """D (V,) in metres for the body `vertices`/`faces` under the labelled clothed `mesh`."""
    normals = vertex_normals(vertices, faces)
    points, _, tri = MeshQuery(mesh.vertices, mesh.faces).closest(vertices)
    gap = ((points - vertices) * normals).sum(1)  # > 0: the clothed surface lies outward of the vertex
    distance = np.linalg.norm(points - vertices, axis=1)
    label = face_labels[tri]
    on_skin = (label == SKIN) & (distance < skin_reach)
    under_cover = (label != SKIN) & (label != BACKGROUND) & (distance < under_reach)
    adjacency = vertex_adjacency(trimesh.Trimesh(vertices, faces, process=False))
    laplacian = sp.diags(np.asarray(adjacency.sum(1)).ravel()) - adjacency

    tucked = under_cover & (gap < clearance)
    target = np.where(on_skin, gap, np.where(tucked, gap - clearance, 0.0))
    weight = np.where(tucked, tuck_weight, np.where(on_skin, 1.0, decay))
    d = spla.spsolve((sp.diags(weight) + smoothness * laplacian).tocsc(), weight * target)
    # the smooth solve only approaches its targets: under the clothes D goes at least as deep as the gap says
    d = np.where(under_cover, np.minimum(d, gap - clearance), d)
    return d
