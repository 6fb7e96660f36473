"""Garments that follow large pose changes: skinning weights carried from the body to each garment vertex.

The closest-triangle binding (smpl_d.binding) keeps a garment's detail but not its part: a sleeve's underside that
sits nearer the torso than the arm in an A-pose stays with the torso when the arm rises. So a garment is first
reposed by linear blend skinning with weights of its own, then bound to the reposed body for the detail:

1. Weights (robust weight transfer with inpainting, after Abdrashitov et al. 2023): a garment vertex takes the body's
   skinning weights at its closest body point when that point is near (`max_distance`) and faces the same way
   (normals within `max_angle`); the other vertices — the sleeve's underside facing the torso, a skirt between the
   legs — get weights inpainted from their garment neighbours (a harmonic fill over the garment's edge graph).
2. Bone motion: per joint, the rigid motion that best maps the source body's vertices it drives onto the target
   body's (weighted Procrustes), so any back-end of the same topology works without exposing its skeleton.
3. The garment and the source body are skinned with those motions; the garment is bound to the skinned body by
   closest triangle and unbound on the target body, which carries the shape change and the detail.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import trimesh
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

from smpl_d.binding import barycentric, bind, unbind
from usr.geometry.distance import MeshQuery
from usr.mesh.graph import vertex_adjacency
from usr.mesh.ops import vertex_normals


@dataclass(frozen=True)
class WeightTransfer:
    max_distance: float = 0.06  # m: farther garment vertices get inpainted weights
    max_angle: float = 50.0  # degrees between the garment's and the body's normal
    min_joint_weight: float = 0.3  # body vertices a joint drives this much or more fix its motion
    skinned: bool = True  # False: closest-triangle binding alone (the previous transfer, kept for the benchmark)


def garment_weights(garment_vertices: np.ndarray, garment_faces: np.ndarray, body_vertices: np.ndarray,
                    body_faces: np.ndarray, body_weights: np.ndarray,
                    options: WeightTransfer = WeightTransfer()) -> tuple[np.ndarray, np.ndarray]:
    """(n×J skinning weights, n bool: taken from the body directly) for the garment's vertices."""
    g = np.asarray(garment_vertices, np.float64)
    gf = np.asarray(garment_faces, np.int64)
    points, _, tri = MeshQuery(body_vertices, body_faces).closest(g)
    corners = body_faces[tri]
    bary = barycentric(points, body_vertices[corners])
    closest = np.einsum("nk,nkj->nj", bary, body_weights[corners])
    body_n = (vertex_normals(body_vertices, body_faces)[corners] * bary[:, :, None]).sum(1)
    body_n /= np.maximum(np.linalg.norm(body_n, axis=1, keepdims=True), 1e-12)
    garment_n = vertex_normals(g, gf)
    cos = np.einsum("nc,nc->n", garment_n, body_n)
    near = np.linalg.norm(points - g, axis=1) <= options.max_distance
    limit = np.cos(np.radians(options.max_angle))
    # a sheet's winding may face inwards: take the orientation under which more vertices agree with the body
    if (near & (-cos >= limit)).sum() > (near & (cos >= limit)).sum():
        cos = -cos
    known = near & (cos >= limit)
    weights = closest.copy()
    unknown = ~known
    if unknown.any() and known.any():
        adjacency = vertex_adjacency(trimesh.Trimesh(g, gf, process=False))
        lap = (sp.diags(np.asarray(adjacency.sum(1)).ravel()) - adjacency).tocsr()
        # only components with a known vertex can be filled; the rest keep the closest point's weights
        _, comp = connected_components(lap != 0, directed=False)
        fillable = unknown & np.isin(comp, np.unique(comp[known]))
        if fillable.any():
            u, k = np.flatnonzero(fillable), np.flatnonzero(~fillable)
            l_uu = lap[u][:, u].tocsc()
            rhs = -(lap[u][:, k] @ weights[k])
            weights[u] = np.asarray(spsolve(l_uu, rhs)).reshape(len(u), -1)
    weights = np.clip(weights, 0.0, None)
    return weights / np.maximum(weights.sum(1, keepdims=True), 1e-12), known


def joint_motions(source: np.ndarray, target: np.ndarray, body_weights: np.ndarray,
                  min_weight: float = WeightTransfer.min_joint_weight) -> tuple[np.ndarray, np.ndarray]:
    """Per joint (R J×3×3, t J×3): the weighted least-squares rigid motion of the vertices it drives, source →
    target; joints that drive no vertex that much keep the identity (no vertex depends on them)."""
    joints = body_weights.shape[1]
    rotations = np.tile(np.eye(3), (joints, 1, 1))
    translations = np.zeros((joints, 3))
    for j in range(joints):
        w = body_weights[:, j]
        sel = np.flatnonzero(w >= min_weight)
        if len(sel) < 4:
            sel = np.flatnonzero(w > 0)
        if len(sel) < 4:
            continue
        wj = w[sel] / w[sel].sum()
        a, b = source[sel], target[sel]
        ca, cb = wj @ a, wj @ b
        h = (a - ca).T @ ((b - cb) * wj[:, None])
        u, _, vt = np.linalg.svd(h)
        d = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
        r = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
        rotations[j], translations[j] = r, cb - r @ ca
    return rotations, translations


def skin(points: np.ndarray, weights: np.ndarray, rotations: np.ndarray, translations: np.ndarray) -> np.ndarray:
    """Linear blend skinning of `points` (n×3) with n×J weights and per-joint motions."""
    out = np.zeros_like(points, dtype=np.float64)
    for j in np.flatnonzero(weights.max(0) > 0):
        w = weights[:, j]
        idx = np.flatnonzero(w > 0)
        out[idx] += w[idx, None] * (points[idx] @ rotations[j].T + translations[j])
    return out


def repose_garment(garment_vertices: np.ndarray, garment_faces: np.ndarray, source_body: np.ndarray,
                   target_body: np.ndarray, body_faces: np.ndarray, body_weights: np.ndarray,
                   options: WeightTransfer = WeightTransfer()) -> np.ndarray:
    """A garment worn on `source_body`, moved onto `target_body` (same topology, any shape and pose)."""
    if not options.skinned:
        return unbind(bind(garment_vertices, source_body, body_faces), target_body, body_faces)
    weights, _ = garment_weights(garment_vertices, garment_faces, source_body, body_faces, body_weights, options)
    rotations, translations = joint_motions(source_body, target_body, body_weights, options.min_joint_weight)
    posed_garment = skin(np.asarray(garment_vertices, np.float64), weights, rotations, translations)
    posed_body = skin(np.asarray(source_body, np.float64), body_weights, rotations, translations)
    return unbind(bind(posed_garment, posed_body, body_faces), target_body, body_faces)
