"""Garment vertices bound to the body surface, the idea of MakeHuman's .mhclo.

Each garment vertex keeps the body triangle closest to it, barycentric weights of the closest point on that
triangle, and its offset from that point in a local frame (normal interpolated from the vertex normals, tangent
along the triangle's first edge). Re-evaluating the binding on the same body reproduces the garment exactly; on
another shape or pose of the same topology the garment follows the surface.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from jaxtyping import Float, Int

from usr.geometry.distance import MeshQuery
from usr.mesh.ops import vertex_normals


@dataclass
class Binding:
    """Per garment vertex: body triangle id, barycentric weights of the anchor, offset in the anchor's frame."""

    triangle: Int[np.ndarray, "n"]
    barycentric: Float[np.ndarray, "n 3"]
    offset: Float[np.ndarray, "n 3"]  # (tangent, bitangent, normal) components, metres

    @property
    def height(self) -> Float[np.ndarray, "n"]:
        """Signed distance along the body normal (positive outside)."""
        return self.offset[:, 2]


def barycentric(points: Float[np.ndarray, "n 3"], corners: Float[np.ndarray, "n 3 3"]) -> Float[np.ndarray, "n 3"]:
    """Barycentric weights of the projection of each point onto its triangle's plane, clamped into the triangle."""
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    v0, v1, v2 = b - a, c - a, points - a
    d00, d01, d11 = (v0 * v0).sum(1), (v0 * v1).sum(1), (v1 * v1).sum(1)
    d20, d21 = (v2 * v0).sum(1), (v2 * v1).sum(1)
    den = np.maximum(d00 * d11 - d01 * d01, 1e-30)
    v = (d11 * d20 - d01 * d21) / den
    w = (d00 * d21 - d01 * d20) / den
    bary = np.clip(np.stack([1.0 - v - w, v, w], axis=1), 0.0, 1.0)
    return bary / bary.sum(1, keepdims=True)


def anchor_frames(
    body_vertices: Float[np.ndarray, "v 3"], body_faces: Int[np.ndarray, "f 3"], triangle: np.ndarray, bary: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Anchor points (n, 3) and orthonormal frames (n, 3, 3) whose columns are tangent, bitangent, normal."""
    tri = body_faces[triangle]
    corners = body_vertices[tri]
    anchor = (corners * bary[:, :, None]).sum(1)
    normal = (vertex_normals(body_vertices, body_faces)[tri] * bary[:, :, None]).sum(1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    edge = corners[:, 1] - corners[:, 0]
    tangent = edge - (edge * normal).sum(1, keepdims=True) * normal
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-12)
    return anchor, np.stack([tangent, np.cross(normal, tangent), normal], axis=2)


def bind(
    garment_vertices: Float[np.ndarray, "n 3"], body_vertices: Float[np.ndarray, "v 3"], body_faces: Int[np.ndarray, "f 3"]
) -> Binding:
    """Bind every garment vertex to its closest body triangle."""
    points = np.asarray(garment_vertices, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3 or not np.all(np.isfinite(points)):
        raise ValueError("garment vertices must be a finite (n, 3) array")
    _, _, triangle = MeshQuery(body_vertices, body_faces).closest(points)
    bary = barycentric(points, body_vertices[body_faces[triangle]])
    anchor, frame = anchor_frames(body_vertices, body_faces, triangle, bary)
    offset = np.einsum("nij,ni->nj", frame, points - anchor)  # frameᵀ (x − anchor)
    return Binding(triangle, bary, offset)


def unbind(binding: Binding, body_vertices: Float[np.ndarray, "v 3"], body_faces: Int[np.ndarray, "f 3"]) -> np.ndarray:
    """Garment vertices for a body of the same topology (any shape or pose)."""
    if int(binding.triangle.max(initial=0)) >= len(body_faces):
        raise ValueError(f"binding refers to body triangle {int(binding.triangle.max())}; this body has {len(body_faces)}")
    anchor, frame = anchor_frames(body_vertices, body_faces, binding.triangle, binding.barycentric)
    return anchor + np.einsum("nij,nj->ni", frame, binding.offset)
