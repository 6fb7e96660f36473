"""Visual hull occupancy grid from masks + cameras, and per-ray sampling intervals inside it.

A voxel is kept when every view sees it (its centre projects inside the image; `min_views_seen`
relaxes this) and no view sees it outside the person's mask; the kept set is dilated by `dilate` voxels so thin parts are not cut. Rays are
sampled only between their first and last occupied voxel, so CPU time goes where the person is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from jaxtyping import Bool, Float
from scipy import ndimage
from torch import Tensor

from usr.io.cameras import Camera

DEFAULT_BOUNDS = ((-1.2, -1.2, -1.2), (1.2, 1.2, 1.2))


@dataclass
class OccupancyGrid:
    occupied: Bool[np.ndarray, "r r r"]  # indexed [ix, iy, iz]
    lo: Float[np.ndarray, "3"]
    hi: Float[np.ndarray, "3"]

    @property
    def resolution(self) -> int:
        return self.occupied.shape[0]

    @property
    def voxel(self) -> float:
        return float((self.hi - self.lo).max() / self.resolution)

    def centres(self) -> Float[np.ndarray, "n 3"]:
        r = self.resolution
        axes = [self.lo[k] + (np.arange(r) + 0.5) * (self.hi[k] - self.lo[k]) / r for k in range(3)]
        return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)

    def contains(self, points: Float[Tensor, "n 3"]) -> Bool[Tensor, "n"]:
        lo = torch.as_tensor(self.lo, dtype=points.dtype)
        hi = torch.as_tensor(self.hi, dtype=points.dtype)
        idx = ((points - lo) / (hi - lo) * self.resolution).floor().long()
        inside = ((idx >= 0) & (idx < self.resolution)).all(-1)
        idx = idx.clamp(0, self.resolution - 1)
        occ = torch.as_tensor(self.occupied)
        return inside & occ[idx[:, 0], idx[:, 1], idx[:, 2]]

    def ray_intervals(self, origins: Float[Tensor, "r 3"], dirs: Float[Tensor, "r 3"], steps: int | None = None
                      ) -> tuple[Float[Tensor, "r"], Float[Tensor, "r"], Bool[Tensor, "r"]]:
        """near/far of each ray's passage through occupied voxels (± one voxel), and whether it meets any."""
        lo = torch.as_tensor(self.lo, dtype=origins.dtype)
        hi = torch.as_tensor(self.hi, dtype=origins.dtype)
        safe = torch.where(dirs.abs() < 1e-9, torch.full_like(dirs, 1e-9), dirs)
        t0, t1 = (lo - origins) / safe, (hi - origins) / safe
        t_enter = torch.minimum(t0, t1).amax(-1).clamp(min=0.0)
        t_exit = torch.maximum(t0, t1).amin(-1)
        steps = steps or 2 * self.resolution
        u = (torch.arange(steps, dtype=origins.dtype) + 0.5) / steps
        ts = t_enter[:, None] + (t_exit - t_enter).clamp(min=0)[:, None] * u[None]
        pts = origins[:, None] + dirs[:, None] * ts[..., None]
        occ = self.contains(pts.reshape(-1, 3)).reshape(ts.shape) & (t_exit > t_enter)[:, None]
        hit = occ.any(1)
        first = torch.where(occ, ts, torch.full_like(ts, float("inf"))).amin(1)
        last = torch.where(occ, ts, torch.full_like(ts, -float("inf"))).amax(1)
        margin = 1.5 * self.voxel
        near = torch.where(hit, (first - margin).clamp(min=0.0), t_enter)
        far = torch.where(hit, last + margin, t_enter + 1e-3)
        return near, far, hit


def visual_hull(cameras: list[Camera], masks: list[np.ndarray], resolution: int = 64,
                bounds=DEFAULT_BOUNDS, dilate: int = 1, min_views_seen: int | None = None) -> OccupancyGrid:
    """Carve a grid with the masks. A voxel outside some image is carved too unless `min_views_seen` (default:
    all views) is lowered: with a few views, the cone of one view beyond the others' frames is not the person."""
    lo, hi = np.asarray(bounds[0], float), np.asarray(bounds[1], float)
    grid = OccupancyGrid(np.zeros((resolution,) * 3, bool), lo, hi)
    pts = grid.centres()
    seen = np.zeros(len(pts), int)
    inside = np.zeros(len(pts), int)
    half_diag = 0.5 * np.sqrt(3) * float((hi - lo).max()) / resolution
    for cam, mask in zip(cameras, masks):
        uv, z = cam.project(pts)
        u, v = np.round(uv[:, 0]).astype(int), np.round(uv[:, 1]).astype(int)
        vis = (z > 0) & (u >= 0) & (u < cam.width) & (v >= 0) & (v < cam.height)
        seen += vis
        # inside if some foreground pixel lies within the voxel's projected radius (a conservative hull)
        dist = ndimage.distance_transform_edt(mask <= 127)
        radius = cam.K[0, 0] * half_diag / np.maximum(z[vis], 1e-6) + 0.5
        inside[vis] += dist[v[vis], u[vis]] <= radius
    need_seen = len(cameras) if min_views_seen is None else max(1, min_views_seen)
    occ = (inside >= seen) & (seen >= need_seen)
    occ = occ.reshape((resolution,) * 3)
    if dilate:
        occ = ndimage.binary_dilation(occ, iterations=dilate)
    grid.occupied = occ
    return grid
