"""Cloth keeps its size: after a garment follows a new body, its edges are relaxed back towards their lengths on
the original wearer (position-based dynamics, Jacobi-style), with the new body as a collider.

Binding alone scales a garment with the body under it (a shirt moved to a bigger person grows with them);
cloth barely stretches, so the relaxation restores the rest lengths where the body leaves room and only the
body's collisions stretch it. A weak pull towards the bound positions keeps the garment where binding put it.
"""

from __future__ import annotations

import numpy as np

from usr.geometry.distance import MeshQuery, push_outside
from usr.mesh.ops import unique_edges


def relax_lengths(
    vertices: np.ndarray,
    faces: np.ndarray,
    rest_vertices: np.ndarray,
    body_vertices: np.ndarray,
    body_faces: np.ndarray,
    clearance: float | np.ndarray = 0.003,
    iterations: int = 150,
    stiffness: float = 0.9,
    anchor: float = 0.005,
    collide_every: int = 5,
) -> np.ndarray:
    """Garment vertices relaxed towards the edge lengths of `rest_vertices`, kept `clearance` (one value or one per
    vertex) outside the body."""
    edges = unique_edges(np.asarray(faces))
    rest = np.linalg.norm(rest_vertices[edges[:, 0]] - rest_vertices[edges[:, 1]], axis=1)
    degree = np.bincount(edges.ravel(), minlength=len(vertices)).astype(np.float64)[:, None]
    degree = np.maximum(degree, 1.0)
    target = np.asarray(vertices, dtype=np.float64)
    v = target.copy()
    body = MeshQuery(body_vertices, body_faces)
    for it in range(iterations):
        d = v[edges[:, 1]] - v[edges[:, 0]]
        length = np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
        corr = 0.5 * stiffness * (length - rest[:, None]) / length * d
        delta = np.zeros_like(v)
        np.add.at(delta, edges[:, 0], corr)
        np.add.at(delta, edges[:, 1], -corr)
        v += delta / degree + anchor * (target - v)
        if it % collide_every == collide_every - 1 or it == iterations - 1:
            v = push_outside(v, body, clearance, iterations=2)
    return v
