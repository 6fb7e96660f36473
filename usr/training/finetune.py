"""Per-subject optimisation on the subject's own views: the fine-tune of a trained field, and (with an
untrained image-free field) the from-scratch baseline. Each step renders one view from the others."""

from __future__ import annotations

import torch

from usr.field.sdf_field import SDFField
from usr.prepared_views import PreparedViews
from usr.progress import Progress, notify
from usr.training.batches import SubjectViews, draw_batch
from usr.training.objective import LossWeights, Objective


def finetune(field: SDFField, views: PreparedViews, steps: int, rays: int, samples: int, seed: int,
             lr: float = 2e-3, weights: LossWeights = LossWeights(depth=0.0),
             progress: Progress | None = None) -> list[float]:
    """Optimise `field` in place for `steps` (`rays` per step, `samples` per ray; usr.recon_spec.ReconSpec holds
    their defaults); returns the loss per step."""
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
        notify(progress, "fine-tune", (step + 1) / steps)
    field.eval()
    return losses
