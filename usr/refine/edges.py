"""Geometry fine-tune: smooth garment edges and marching-cubes stair-steps without shrinking the clothes.

On the labelled clothed mesh (same topology in and out, so face labels stay valid):
1. Stair-steps: Taubin smoothing (λ/μ, volume-preserving) of the whole surface; a vertex never moves inward
   (against its normal) by more than `max_inward` — the garment does not shrink into the body.
2. Garment edges: every label boundary is a chain of mesh edges that zig-zags along the triangles. The chain's
   vertices are smoothed along the curve (Taubin on the 1D curve, so a loop does not shrink) and projected back
   onto the surface after every pass; branch points where three labels meet stay put.
3. The band of vertices a few rings around the boundaries is relaxed tangentially (neighbour mean, projected onto
   the surface) so the triangles the curve smoothing stretched become regular again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import trimesh

from usr.geometry.distance import MeshQuery
from usr.mesh.curves import chains, label_boundary_edges
from usr.mesh.graph import neighbour_mean, vertex_adjacency
from usr.mesh.ops import face_normals


@dataclass(frozen=True)
class RefineOptions:
    surface_iterations: int = 6
    max_inward: float = 0.0015  # m
    curve_iterations: int = 40
    band_rings: int = 2
    band_iterations: int = 6


@dataclass
class RefineStats:
    boundary_vertices: int
    max_move_m: float
    mean_move_m: float
    flipped_faces: int


def smooth_stair_steps(mesh: trimesh.Trimesh, options: RefineOptions) -> np.ndarray:
    v0 = np.asarray(mesh.vertices, dtype=np.float64)
    if options.surface_iterations <= 0:
        return v0.copy()
    smoothed = trimesh.Trimesh(v0.copy(), np.asarray(mesh.faces), process=False)
    trimesh.smoothing.filter_taubin(smoothed, lamb=0.5, nu=0.53, iterations=options.surface_iterations)
    v = np.asarray(smoothed.vertices, dtype=np.float64)
    normals = np.asarray(mesh.vertex_normals, dtype=np.float64)
    inward = np.einsum("nc,nc->n", v - v0, normals)
    too_far = inward < -options.max_inward
    v[too_far] += (-options.max_inward - inward[too_far])[:, None] * normals[too_far]
    return v


def _curve_triplets(boundary_edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(previous, vertex, next) along every boundary chain, for the chains' movable vertices."""
    prev, cur, nxt = [], [], []
    for ch in chains(boundary_edges):
        ids = ch.vertices
        if ch.closed and len(ids) >= 3:
            prev.append(np.roll(ids, 1)), cur.append(ids), nxt.append(np.roll(ids, -1))
        elif len(ids) >= 3:
            prev.append(ids[:-2]), cur.append(ids[1:-1]), nxt.append(ids[2:])
    if not cur:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    return np.concatenate(prev), np.concatenate(cur), np.concatenate(nxt)


def refine_edges(mesh: trimesh.Trimesh, face_labels: np.ndarray,
                 options: RefineOptions = RefineOptions()) -> tuple[trimesh.Trimesh, RefineStats]:
    """The labelled mesh with smoothed stair-steps and garment edges (same faces, moved vertices)."""
    faces = np.asarray(mesh.faces)
    v = smooth_stair_steps(mesh, options)
    surface = MeshQuery(v, faces)  # everything below slides on this surface
    before_edges = v.copy()
    boundary_edges = label_boundary_edges(mesh, face_labels)
    prev, cur, nxt = _curve_triplets(boundary_edges)
    for _ in range(options.curve_iterations):
        for step in (0.5, -0.53):
            target = 0.5 * (v[prev] + v[nxt])
            v[cur] = v[cur] + step * (target - v[cur])
        v[cur] = surface.closest(v[cur])[0]
    adjacency = vertex_adjacency(mesh)
    on_curve = np.zeros(len(v), bool)
    on_curve[np.unique(boundary_edges)] = True
    if cur.size and options.band_rings > 0:
        near = np.zeros(len(v), bool)
        near[cur] = True
        for _ in range(options.band_rings):
            near |= (adjacency @ near.astype(np.float64)) > 0
        band = np.flatnonzero(near & ~on_curve)
        for _ in range(options.band_iterations):
            v[band] = surface.closest(neighbour_mean(adjacency, v)[band])[0]
    v = _resolve_flips(mesh, v, before_edges, on_curve, adjacency, surface)
    out = trimesh.Trimesh(v, faces, process=False)
    move = np.linalg.norm(v - np.asarray(mesh.vertices), axis=1)
    flipped = int(((face_normals(v, faces) * mesh.face_normals).sum(1) < 0).sum())
    return out, RefineStats(int(cur.size), float(move.max(initial=0.0)), float(move.mean()) if len(move) else 0.0, flipped)


def _resolve_flips(mesh: trimesh.Trimesh, v: np.ndarray, fallback: np.ndarray, on_curve: np.ndarray,
                   adjacency: sp.csr_matrix, surface: MeshQuery, rounds: int = 24) -> np.ndarray:
    """Unfold triangles the edge smoothing turned over: relax their off-curve corners on the surface; where that is
    not enough, pull their curve corners part of the way back towards where they were (`fallback`)."""
    faces = np.asarray(mesh.faces)
    reference = np.asarray(mesh.face_normals)
    for r in range(rounds):
        flipped = (face_normals(v, faces) * reference).sum(1) < 0
        if not flipped.any():
            break
        ids = np.unique(faces[flipped])
        free = ids[~on_curve[ids]]
        if free.size:
            v[free] = surface.closest(neighbour_mean(adjacency, v)[free])[0]
        if r >= rounds // 2:
            pinned = ids[on_curve[ids]]
            v[pinned] = 0.7 * v[pinned] + 0.3 * fallback[pinned]
    return v
