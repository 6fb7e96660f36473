"""Render rays through the SDF field: samples inside the hull interval, NeuS weights, colour/opacity/depth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from usr.field.sdf_field import SDFField
from usr.field.source_views import SourceViews
from usr.render.neus import composite, composite_weights, section_alpha
from usr.render.occupancy import OccupancyGrid


@dataclass
class RayBundle:
    origins: Float[Tensor, "r 3"]
    dirs: Float[Tensor, "r 3"]
    near: Float[Tensor, "r"]
    far: Float[Tensor, "r"]
    hit: Tensor  # bool: the ray meets the hull


def rays_in_hull(origins: Tensor, dirs: Tensor, grid: OccupancyGrid) -> RayBundle:
    near, far, hit = grid.ray_intervals(origins, dirs)
    return RayBundle(origins, dirs, near, far, hit)


def render_rays(field: SDFField, rays: RayBundle, views: SourceViews | None, samples: int = 48,
                jitter: Tensor | None = None, with_colour: bool = True) -> dict[str, Tensor]:
    """Render a bundle: rgb (r,3), opacity (r), depth (r, along the ray), sample sdf and points.

    `jitter` (r,) in [−0.5, 0.5] shifts each ray's samples by a fraction of a step (training)."""
    r = rays.origins.shape[0]
    u = torch.linspace(0.0, 1.0, samples + 1)[None].expand(r, -1)
    if jitter is not None:
        u = (u + jitter[:, None] / samples).clamp(0.0, 1.0)
    t = rays.near[:, None] + (rays.far - rays.near)[:, None] * u
    pts = rays.origins[:, None] + rays.dirs[:, None] * t[..., None]  # (r, s+1, 3)
    out = field(pts.reshape(-1, 3), views)
    sdf = out["sdf"].reshape(r, samples + 1)
    alpha = section_alpha(sdf, field.inv_s)
    alpha = alpha * rays.hit[:, None].float()
    weights = composite_weights(alpha)
    mid_t = 0.5 * (t[:, :-1] + t[:, 1:])
    result = {"weights": weights, "opacity": weights.sum(1), "sdf": sdf, "points": pts,
              "depth": (weights * mid_t).sum(1) / weights.sum(1).clamp(min=1e-6)}
    if with_colour:
        dirs = rays.dirs[:, None].expand(-1, samples + 1, -1).reshape(-1, 3)
        rgb = field.colour(pts.reshape(-1, 3), dirs, out, views).reshape(r, samples + 1, 3)
        result["rgb"] = composite(weights, 0.5 * (rgb[:, :-1] + rgb[:, 1:]))
    return result


@torch.no_grad()
def render_view(field: SDFField, views: SourceViews | None, cam, grid: OccupancyGrid, samples: int = 64,
                chunk: int = 4096) -> dict[str, np.ndarray]:
    """Full image of camera `cam`: rgb (h, w, 3) in 0..1, opacity (h, w), depth (h, w) along rays."""
    o, d = cam.image_rays()
    o = torch.tensor(o.reshape(-1, 3), dtype=torch.float32)
    d = torch.tensor(d.reshape(-1, 3), dtype=torch.float32)
    rgb, opacity, depth = [], [], []
    for i in range(0, len(o), chunk):
        rays = rays_in_hull(o[i : i + chunk], d[i : i + chunk], grid)
        out = render_rays(field, rays, views, samples)
        rgb.append(out["rgb"])
        opacity.append(out["opacity"])
        depth.append(out["depth"])
    h, w = cam.height, cam.width
    return {"rgb": torch.cat(rgb).reshape(h, w, 3).numpy(), "opacity": torch.cat(opacity).reshape(h, w).numpy(),
            "depth": torch.cat(depth).reshape(h, w).numpy()}
