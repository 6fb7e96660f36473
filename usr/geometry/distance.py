"""Exact point-to-mesh queries with open3d's RaycastingScene (the DESIGN.md choice for metrics)."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import torch
from jaxtyping import Float, Int
from torch import Tensor


def _f32(a) -> o3d.core.Tensor:
    return o3d.core.Tensor(np.ascontiguousarray(a, dtype=np.float32))


class MeshQuery:
    """Distances, signed distances (watertight meshes), closest points and ray casts against one mesh."""

    def __init__(self, vertices: Float[np.ndarray, "v 3"], faces: Int[np.ndarray, "f 3"]):
        self.scene = o3d.t.geometry.RaycastingScene()
        self.scene.add_triangles(_f32(vertices), o3d.core.Tensor(np.ascontiguousarray(faces, dtype=np.uint32)))

    def distance(self, points: Float[np.ndarray, "n 3"]) -> Float[np.ndarray, "n"]:
        return self.scene.compute_distance(_f32(points)).numpy().astype(np.float64)

    def signed_distance(self, points: Float[np.ndarray, "n 3"]) -> Float[np.ndarray, "n"]:
        """Negative inside. Only meaningful for closed (watertight) meshes."""
        return self.scene.compute_signed_distance(_f32(points)).numpy().astype(np.float64)

    def signed_distance_tensor(self, points: Tensor) -> Tensor:
        """`signed_distance` of torch points as a float32 tensor (a body prior's SDF function, usr.model.prior)."""
        return torch.from_numpy(self.scene.compute_signed_distance(_f32(points.numpy())).numpy())

    def closest(self, points: Float[np.ndarray, "n 3"]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Closest surface points, the unit normals of their triangles, and the triangle ids."""
        r = self.scene.compute_closest_points(_f32(points))
        return (r["points"].numpy().astype(np.float64), r["primitive_normals"].numpy().astype(np.float64),
                r["primitive_ids"].numpy().astype(np.int64))

    def cast(self, origins: Float[np.ndarray, "n 3"], dirs: Float[np.ndarray, "n 3"]) -> dict[str, np.ndarray]:
        r = self.scene.cast_rays(_f32(np.concatenate([origins, dirs], axis=1)))
        return {k: v.numpy() for k, v in r.items()}


def push_outside(
    points: Float[np.ndarray, "n 3"], query: MeshQuery, clearance: float | np.ndarray, iterations: int = 6
) -> Float[np.ndarray, "n 3"]:
    """Move points closer than `clearance` (metres; one value, or one per point) to (or inside) a closed mesh to
    `clearance` outside it.

    Each moved point goes to its closest surface point plus `clearance` along that triangle's
    outward normal; a few iterations settle points whose closest triangle changes.
    """
    return _push(points, query, clearance, 1.0, iterations)


def push_inside(
    points: Float[np.ndarray, "n 3"], query: MeshQuery, clearance: float | np.ndarray, iterations: int = 6
) -> Float[np.ndarray, "n 3"]:
    """`push_outside` the other way: points outside a closed mesh, or closer than `clearance` inside it, go to
    `clearance` inside it (a body kept under its clothes)."""
    return _push(points, query, clearance, -1.0, iterations)


def _push(points, query: MeshQuery, clearance, side: float, iterations: int) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64).copy()
    gap = np.broadcast_to(np.asarray(clearance, dtype=np.float64), (len(p),))
    for _ in range(iterations):
        sd = side * query.signed_distance(p)
        bad = np.flatnonzero(sd < gap)
        if bad.size == 0:
            break
        cp, n, _ = query.closest(p[bad])
        p[bad] = cp + side * n * gap[bad, None]
    return p
