"""The trained model at work: load it with its frozen backbone, encode a subject's views once, then evaluate its
clothed-surface SDF at any points (the caller chunks them: usr.mesh.extract) and its garment labels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from usr.labels import BACKGROUND
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

    def sdf_function(self, stack: ViewStack, body: Callable[[Tensor], Tensor] | None = None,
                     head: str = "sdf") -> Callable[[Tensor], Tensor]:
        """points → the `head`'s signed distance (metres; "sdf": the clothed surface, "body_sdf": the body under
        the clothes), for mesh extraction; `body`: points → a fitted body's signed distance, the prior of a
        `body_prior` model (usr.model.prior)."""
        model = self.model.eval()
        with torch.no_grad():
            projected = model.project_maps(stack.maps)
            volume = model.feature_volume(stack, projected) if model.volume is not None else None

        @torch.no_grad()
        def sdf(points: Tensor) -> Tensor:
            return model(points, stack, None if body is None else body(points), projected=projected,
                         volume=volume)[head]

        return sdf

    def label_probabilities(self, stack: ViewStack, points: np.ndarray, body: Callable[[Tensor], Tensor] | None = None,
                            chunk: int = 8192) -> np.ndarray:
        """The label head's class probabilities (n, NUM_LABELS) at world points (e.g. a mesh's face centres), with
        the background class dropped (the head learnt labels on the person's surface only) and renormalised."""
        logits = self.sdf_function(stack, body, head="labels")
        out = np.empty((len(points), self.model.config.labels), np.float32)
        for i in range(0, len(points), chunk):
            out[i:i + chunk] = torch.softmax(logits(torch.tensor(points[i:i + chunk], dtype=torch.float32)), -1)
        out[:, BACKGROUND] = 0.0
        return out / np.maximum(out.sum(1, keepdims=True), 1e-12)
