"""A small CNN giving pixel-aligned features (stride 4, upsampled) concatenated with the RGB itself."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor, nn


class ImageEncoder(nn.Module):
    def __init__(self, channels: int = 32):
        super().__init__()
        c = channels
        self.stem = nn.Sequential(nn.Conv2d(4, c, 3, padding=1), nn.ReLU(inplace=True))
        self.down = nn.Sequential(
            nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c, c, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c, c, 3, padding=1), nn.ReLU(inplace=True),
        )
        self.fuse = nn.Conv2d(2 * c, c, 1)
        self.out_dim = c + 4  # features + RGB + mask

    def forward(self, rgb: Float[Tensor, "v 3 h w"], mask: Float[Tensor, "v 1 h w"]) -> Float[Tensor, "v c h w"]:
        x = torch.cat([rgb * 2 - 1, mask], dim=1)
        s = self.stem(x)
        d = F.interpolate(self.down(s), size=s.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([self.fuse(torch.cat([s, d], 1)), rgb, mask], dim=1)
