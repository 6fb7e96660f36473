"""The trained model at work: load it with its frozen backbone, encode a subject's views once, then evaluate the
three heads at any points (in chunks, memory bounded by `chunk`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from usr.model.checkpoint import load_model
from usr.model.encode import FrozenBackbone, encode_views
from usr.model.network import ReconModel
from usr.model.views import ViewStack
from usr.prepared_views import PreparedViews


@dataclass
class Predictor:
    model: ReconModel
    backbone: FrozenBackbone
    state: dict  # the checkpoint's raw state (step, extra)

    @classmethod
    def load(cls, path: Path | None = None) -> "Predictor":
        """The checkpoint at `path` (default: the embedded model) with its backbone's ImageNet weights."""
        model, state = load_model(path)
        return cls(model, FrozenBackbone(model.config.backbone, model.config.strides), state)

    @property
    def work_size(self) -> int:
        return self.model.config.work_size

    def encode(self, views: PreparedViews) -> ViewStack:
        """The views (already at `work_size`, usr.prepared_views) as the model reads them."""
        return encode_views(self.backbone, views.cameras, views.images, views.masks)

    @torch.no_grad()
    def heads(self, stack: ViewStack, points: Tensor, chunk: int = 32768) -> dict[str, Tensor]:
        """{"sdf", "labels" (probabilities), "body_sdf"} at `points`."""
        self.model.eval()
        projected = self.model.project_maps(stack.maps)
        parts = [self.model(points[i : i + chunk], stack, projected=projected) for i in range(0, len(points), chunk)]
        out = {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
        out["labels"] = out["labels"].softmax(-1)
        return out

    def sdf_function(self, stack: ViewStack) -> Callable[[Tensor], Tensor]:
        """points → clothed-surface SDF (metres), for mesh extraction."""
        model = self.model.eval()
        with torch.no_grad():
            projected = model.project_maps(stack.maps)

        @torch.no_grad()
        def sdf(points: Tensor) -> Tensor:
            return model(points, stack, projected=projected)["sdf"]

        return sdf
