"""Visual hull occupancy grid from masks + cameras, and per-ray sampling intervals inside it.

A voxel is kept when every view sees it (its centre projects inside the image; `min_views_seen`
relaxes this) and no view sees it outside the person's mask; the kept set is dilated by `dilate` voxels so thin parts are not cut. Rays are
sampled only between their first and last occupied voxel, so CPU time goes where the person is.

Where to carve comes from the data (`hull_bounds`): a coarse hull in a large cube around where the rays through the
masks' centres meet, its occupied box padded — so a person far from the world's origin, a raised hand or someone
taller than the old fixed ±1.2 m cube is not clipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from jaxtyping import Bool, Float
from scipy import ndimage
from torch import Tensor

from usr.geometry.rays import mask_centre, nearest_point_to_rays
from usr.io.cameras import Camera

SEARCH_HALF_SIDE = 2.5  # metres: the coarse hull's cube around the person's centre (doubled while the hull touches it)
SEARCH_RESOLUTION = 32
MIN_SIDE = 2.4  # metres: the carving cube is never smaller (the hull's voxel size, hence its tightness, stays as it was)


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


def hull_silhouettes(hull: OccupancyGrid, cameras: list[Camera]) -> list[np.ndarray]:
    """Per camera, a bool image (height × width) of where the hull's occupied voxels project, each splatted about a
    voxel wide (at the median depth): what the hull says the camera sees of the person."""
    centres = hull.centres()[hull.occupied.reshape(-1)]
    return [_splat(centres, hull.voxel, cam) for cam in cameras]


def _splat(centres: np.ndarray, voxel: float, cam: Camera) -> np.ndarray:
    uv, z = cam.project(centres)
    ok = (z > 0) & np.isfinite(uv).all(1) & (uv[:, 0] >= 0) & (uv[:, 0] < cam.width) & (uv[:, 1] >= 0) & \
        (uv[:, 1] < cam.height)
    out = np.zeros((cam.height, cam.width), np.uint8)
    if not ok.any():
        return out > 0
    out[np.round(uv[ok, 1]).astype(int).clip(0, cam.height - 1), np.round(uv[ok, 0]).astype(int).clip(0, cam.width - 1)] = 1
    radius = int(np.ceil(cam.K[0, 0] * voxel / max(float(np.median(z[ok])), 1e-6))) + 1
    return cv2.dilate(out, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)) > 0


def hull_bounds(cameras: list[Camera], masks: list[np.ndarray], pad_voxels: int = 1, attempts: int = 3
                ) -> tuple[np.ndarray, np.ndarray]:
    """A cube holding the person: where the rays through the masks' centres meet, a coarse hull in a cube of half
    side SEARCH_HALF_SIDE around it (doubled while the hull reaches the cube's faces), its occupied box padded by
    `pad_voxels` coarse voxels, made cubic and at least MIN_SIDE (the v1 field's rendering and the fine-tune learn
    "outside" from rays that meet the hull's voxels: a finer hull around a small person left too few)."""
    seen = [(cam, mask_centre(mask)) for cam, mask in zip(cameras, masks)]
    seen = [(cam, c) for cam, c in seen if c is not None]
    centre = nearest_point_to_rays([c for c, _ in seen], np.array([p for _, p in seen])) if len(seen) >= 2 \
        else np.zeros(3)
    half = SEARCH_HALF_SIDE
    for _ in range(attempts):
        lo, hi = centre - half, centre + half
        occ = _carve(cameras, masks, lo, hi, SEARCH_RESOLUTION, len(cameras))
        idx = np.argwhere(occ)
        if len(idx) == 0:  # the masks agree on nothing: carve the search cube (the caller reports the empty hull)
            return lo, hi
        if idx.min() > 0 and idx.max() < SEARCH_RESOLUTION - 1:
            break
        half *= 2
    voxel = (hi - lo) / SEARCH_RESOLUTION  # of the cube last carved (`half` is doubled past it when it never fit)
    box_lo = lo + (idx.min(0) - pad_voxels) * voxel
    box_hi = lo + (idx.max(0) + 1 + pad_voxels) * voxel
    middle, side = (box_lo + box_hi) / 2, max(MIN_SIDE, float((box_hi - box_lo).max()))
    return middle - side / 2, middle + side / 2


def visual_hull(cameras: list[Camera], masks: list[np.ndarray], resolution: int = 64,
                bounds=None, dilate: int = 1, min_views_seen: int | None = None, slack: float = 1.0) -> OccupancyGrid:
    """Carve a grid with the masks inside `bounds` (default: `hull_bounds`, from the data). A voxel outside some image
    is carved too unless `min_views_seen` (default: all views) is lowered: with a few views, the cone of one view
    beyond the others' frames is not the person."""
    lo, hi = hull_bounds(cameras, masks) if bounds is None else (np.asarray(bounds[0], float),
                                                                  np.asarray(bounds[1], float))
    need_seen = len(cameras) if min_views_seen is None else max(1, min_views_seen)
    occ = _carve(cameras, masks, lo, hi, resolution, need_seen, slack)
    if dilate:
        occ = ndimage.binary_dilation(occ, iterations=dilate)
    return OccupancyGrid(occ, lo, hi)


def _carve(cameras: list[Camera], masks: list[np.ndarray], lo: np.ndarray, hi: np.ndarray, resolution: int,
           need_seen: int, slack: float = 1.0) -> np.ndarray:
    """The voxels seen by ≥ `need_seen` views and inside every mask that sees them (conservative: inside if some
    person pixel lies within `slack` × the voxel's projected half diagonal, plus half a pixel)."""
    grid = OccupancyGrid(np.zeros((resolution,) * 3, bool), lo, hi)
    pts = grid.centres()
    seen = np.zeros(len(pts), int)
    inside = np.zeros(len(pts), int)
    half_diag = 0.5 * np.sqrt(3) * float((hi - lo).max()) / resolution
    for cam, mask in zip(cameras, masks):
        uv, z = cam.project(pts)
        # points in (or near) a camera's plane project to NaN/inf or beyond any integer: unseen
        uv = np.clip(np.nan_to_num(uv, nan=-1.0, posinf=-1.0, neginf=-1.0), -1.0, max(cam.width, cam.height) + 1.0)
        u, v = np.round(uv[:, 0]).astype(int), np.round(uv[:, 1]).astype(int)
        vis = (z > 0) & (u >= 0) & (u < cam.width) & (v >= 0) & (v < cam.height)
        seen += vis
        dist = ndimage.distance_transform_edt(mask <= 127)
        radius = slack * cam.K[0, 0] * half_diag / np.maximum(z[vis], 1e-6) + 0.5
        inside[vis] += dist[v[vis], u[vis]] <= radius
    return ((inside >= seen) & (seen >= need_seen)).reshape((resolution,) * 3)
