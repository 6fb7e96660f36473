"""Garment parser: EfficientNet-Lite0 features + a light FPN decoder → per-pixel label logits (usr.labels).

The person mask of a capture without masks is 1 − P(background). Input: RGB float [0, 1], N×3×H×W
(any size; padded to a multiple of 32 inside); output: N×NUM_LABELS×H×W logits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from usr.labels import NUM_LABELS
from usr.backbone import FEATURE_CHANNELS, EfficientNetLite, EfficientNetLite0


@dataclass(frozen=True)
class ParserConfig:
    width: int = 64  # decoder channels
    labels: int = NUM_LABELS
    input_size: int = 320  # longer image side the parser works at

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(d: dict) -> "ParserConfig":
        return ParserConfig(**{k: d[k] for k in ParserConfig.__dataclass_fields__ if k in d})


class GarmentParser(nn.Module):
    def __init__(self, config: ParserConfig = ParserConfig(), backbone: EfficientNetLite | None = None):
        super().__init__()
        self.config = config
        self.backbone = backbone or EfficientNetLite0()
        w = config.width
        self.lateral = nn.ModuleList(nn.Conv2d(c, w, 1) for c in FEATURE_CHANNELS[1:])  # strides 4 … 32
        self.smooth = nn.Sequential(nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(inplace=True))
        self.fine = nn.Sequential(nn.Conv2d(w + FEATURE_CHANNELS[0], w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(inplace=True))
        self.head = nn.Conv2d(w, config.labels, 1)

    def forward(self, rgb01: torch.Tensor) -> torch.Tensor:
        h, w = rgb01.shape[-2:]
        ph, pw = (-h) % 32, (-w) % 32
        x = F.pad(rgb01, (0, pw, 0, ph), mode="replicate") if ph or pw else rgb01
        feats = self.backbone.features(x)
        y = self.lateral[-1](feats[-1])
        for lat, f in zip(reversed(self.lateral[:-1]), reversed(feats[1:-1])):
            y = F.interpolate(y, size=f.shape[-2:], mode="bilinear", align_corners=False) + lat(f)
        y = self.smooth(y)  # stride 4
        y = F.interpolate(y, size=feats[0].shape[-2:], mode="bilinear", align_corners=False)
        y = self.head(self.fine(torch.cat([y, feats[0]], 1)))  # stride 2
        y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return y[..., :h, :w]
