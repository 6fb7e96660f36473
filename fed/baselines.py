"""The two baselines a federation is measured against, trained exactly like a studio's rounds (fed.task.train_round,
a fresh optimizer every round) but without federation:

    local-only   one studio's own subjects, alone
    centralized  every studio's training subjects pooled in one place (what federation tries to match without
                 pooling); give it the steps of all studios together for the same compute
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fed.core.weights import load_vector, model_vector
from fed.settings import FedSettings
from fed.task import StudioData, initial_field, studio_data, train_round
from usr.field.sdf_field import SDFField
from usr.progress import Progress, notify


def train_alone(studios: list[Path], settings: FedSettings, steps_per_round: int,
                progress: Progress | None = None) -> SDFField:
    """The field after `settings.rounds` rounds of `steps_per_round` steps on the studios' training subjects pooled
    (one studio: local-only). Held-out and generated subjects follow each studio's own split (fed.task.studio_data)."""
    field, _ = initial_field(settings)
    parts = [studio_data(Path(s), settings.work_size) for s in studios]
    root = Path(studios[0]) if len(studios) == 1 else Path(studios[0]).parent / "pooled"
    data = StudioData(root, [v for p in parts for v in p.train], [], [g for p in parts for g in p.generated])
    weights = model_vector(field)
    for rnd in range(1, settings.rounds + 1):
        weights = train_round(field, data, weights, replace(settings, local_steps=steps_per_round), rnd).weights
        notify(progress, f"round {rnd}/{settings.rounds}", rnd / settings.rounds)
    load_vector(field, weights)
    return field
