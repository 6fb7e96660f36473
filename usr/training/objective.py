"""The training objective as a module, so DistributedDataParallel can wrap it (forward → loss)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from usr.field.losses import eikonal_loss, mask_loss, rgb_loss, sdf_gradient
from usr.field.sdf_field import SDFField
from usr.render.renderer import rays_in_hull, render_rays
from usr.training.batches import Batch


@dataclass(frozen=True)
class LossWeights:
    rgb: float = 1.0
    mask: float = 0.5
    eikonal: float = 0.1
    depth: float = 0.5  # synthetic data only


class Objective(nn.Module):
    def __init__(self, field: SDFField, weights: LossWeights = LossWeights(), samples: int = 48):
        super().__init__()
        self.field = field
        self.weights = weights
        self.samples = samples

    def forward(self, batch: Batch) -> dict[str, Tensor]:
        views = self.field.encode_views(batch.sources.to_source()) if self.field.encoder else None
        rays = rays_in_hull(batch.origins, batch.dirs, batch.hull)
        out = render_rays(self.field, rays, views, samples=self.samples, jitter=batch.jitter if self.training else None)
        w = self.weights
        terms = {
            "rgb": rgb_loss(out["rgb"], batch.rgb, batch.mask, batch.rgb_norm),
            "mask": mask_loss(out["opacity"], batch.mask),
            "eikonal": eikonal_loss(sdf_gradient(self.field, batch.eikonal_points, views)),
        }
        total = w.rgb * terms["rgb"] + w.mask * terms["mask"] + w.eikonal * terms["eikonal"]
        if batch.depth is not None and w.depth > 0:
            valid = (batch.depth > 0) & (batch.mask > 0)
            z = out["depth"] * (batch.dirs @ batch.z_axis)
            terms["depth"] = ((z - batch.depth).abs() * valid).sum() / batch.depth_norm
            total = total + w.depth * terms["depth"]
        terms["loss"] = total
        return terms
