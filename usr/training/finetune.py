"""Per-subject optimisation on the subject's own views: the fine-tune of a trained field, and (with an
untrained image-free field) the from-scratch baseline. Each step renders one view from the others."""

from __future__ import annotations

from collections.abc import Callable

import torch

from usr.field.sdf_field import SDFField
from usr.training.batches import SubjectViews, draw_batch
from usr.training.objective import LossWeights, Objective
from usr.views import PreparedViews


def finetune(field: SDFField, views: PreparedViews, steps: int, rays: int = 512, samples: int = 40, seed: int = 0,
             lr: float = 2e-3, weights: LossWeights = LossWeights(depth=0.0),
             progress: Callable[[float], None] | None = None) -> list[float]:
    """Optimise `field` in place for `steps`; returns the loss per step."""
    subject = [SubjectViews("subject", views, None)]
    n = len(views.names)
    objective = Objective(field, weights, samples)
    objective.train()
    optimizer = torch.optim.Adam(field.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        batch = draw_batch(subject, seed, step, rays, (n - 1, n - 1))
        loss = objective(batch)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        if progress:
            progress((step + 1) / steps)
    field.eval()
    return losses
