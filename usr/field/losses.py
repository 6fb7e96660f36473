"""Training losses of the surface field (RGB, mask, eikonal, depth, normal), gradients by finite differences.

Finite differences keep every loss first-order (grid_sample has no double backward), at 6 extra
SDF evaluations per eikonal point, so eikonal points are a small random subset.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from usr.field.sdf_field import SDFField
from usr.field.source_views import SourceViews

_OFFSETS = torch.cat([torch.eye(3), -torch.eye(3)])


def sdf_gradient(field: SDFField, points: Tensor, views: SourceViews | None, eps: float = 4e-3) -> Tensor:
    """Central-difference gradient of the SDF at `points` (n, 3)."""
    n = points.shape[0]
    probe = (points[:, None] + eps * _OFFSETS[None]).reshape(-1, 3)
    s = field.sdf(probe, views).reshape(n, 6)
    return (s[:, :3] - s[:, 3:]) / (2 * eps)


def eikonal_loss(grad: Tensor) -> Tensor:
    return ((grad.norm(dim=-1) - 1.0) ** 2).mean()


def mask_loss(opacity: Tensor, mask: Tensor) -> Tensor:
    return F.binary_cross_entropy(opacity.clamp(1e-4, 1 - 1e-4), mask)


def rgb_loss(pred: Tensor, target: Tensor, mask: Tensor | None = None, norm: float | None = None) -> Tensor:
    """L1 over the masked rays, divided by `norm` (default: the mask's own count)."""
    err = (pred - target).abs().mean(-1)
    if mask is None:
        return err.mean()
    return (err * mask).sum() / (norm if norm is not None else mask.sum().clamp(min=1.0))
