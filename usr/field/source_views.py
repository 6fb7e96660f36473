"""Source views as tensors: cameras, images, masks and their feature maps; projection and sampling of points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor

from usr.geometry.projection import project_points

from usr.io.cameras import Camera


@dataclass
class SourceViews:
    K: Float[Tensor, "v 3 3"]
    R: Float[Tensor, "v 3 3"]
    t: Float[Tensor, "v 3"]
    rgb: Float[Tensor, "v 3 h w"]  # 0..1
    mask: Float[Tensor, "v 1 h w"]  # 0..1
    features: Float[Tensor, "v c h w"] | None = None

    @classmethod
    def from_arrays(cls, cameras: list[Camera], images: list[np.ndarray], masks: list[np.ndarray]) -> "SourceViews":
        """Cameras must already match the image sizes; all images the same size (see data.prepare_views)."""
        K = torch.tensor(np.stack([c.K for c in cameras]), dtype=torch.float32)
        R = torch.tensor(np.stack([c.R for c in cameras]), dtype=torch.float32)
        t = torch.tensor(np.stack([c.t for c in cameras]), dtype=torch.float32)
        rgb = torch.tensor(np.stack(images), dtype=torch.float32).permute(0, 3, 1, 2) / 255.0
        mask = torch.tensor(np.stack(masks), dtype=torch.float32)[:, None] / 255.0
        return cls(K, R, t, rgb, mask)

    @property
    def count(self) -> int:
        return self.K.shape[0]

    @property
    def centers(self) -> Float[Tensor, "v 3"]:
        return -(self.R.transpose(1, 2) @ self.t[..., None])[..., 0]

    def project(self, points: Float[Tensor, "n 3"]) -> tuple[Float[Tensor, "v n 2"], Float[Tensor, "v n"]]:
        """Pixel coordinates (OpenCV) and depth along each camera's axis."""
        return project_points(self.K, self.R, self.t, points)

    def sample(self, points: Float[Tensor, "n 3"]) -> tuple[Float[Tensor, "v n c"], Float[Tensor, "v n"]]:
        """Per-view feature vectors at the points' projections, and whether each point is in front of and inside each image."""
        maps = self.features if self.features is not None else torch.cat([self.rgb, self.mask], 1)
        uv, z = self.project(points)
        h, w = maps.shape[-2:]
        grid = torch.stack([(uv[..., 0] + 0.5) / w * 2 - 1, (uv[..., 1] + 0.5) / h * 2 - 1], -1)  # pixel centres
        feats = F.grid_sample(maps, grid[:, :, None], mode="bilinear", padding_mode="border", align_corners=False)
        valid = (z > 1e-3) & (grid.abs() <= 1).all(-1)
        return feats[..., 0].permute(0, 2, 1), valid.float()

    def view_dirs(self, points: Float[Tensor, "n 3"]) -> Float[Tensor, "v n 3"]:
        """Unit directions from each source camera to the points."""
        d = points[None] - self.centers[:, None]
        return d / d.norm(dim=-1, keepdim=True).clamp(min=1e-9)
