"""Batched pinhole projection of world points into several calibrated views (torch, OpenCV conventions)."""

from __future__ import annotations

import torch
from jaxtyping import Float
from torch import Tensor


def project_points(K: Float[Tensor, "v 3 3"], R: Float[Tensor, "v 3 3"], t: Float[Tensor, "v 3"],
                   points: Float[Tensor, "n 3"]) -> tuple[Float[Tensor, "v n 2"], Float[Tensor, "v n"]]:
    """Pixel coordinates (no distortion: images are undistorted on load) and depth along each camera's axis."""
    pc = torch.einsum("vij,nj->vni", R, points) + t[:, None]
    z = pc[..., 2]
    xy = pc[..., :2] / z.clamp(min=1e-6)[..., None]
    uv = torch.einsum("vij,vnj->vni", K[:, :2, :2], xy) + K[:, None, :2, 2]
    return uv, z
