"""fed.baselines: local-only and centralized training, the same rounds as a studio's, reproducible."""

from __future__ import annotations

import numpy as np


def test_local_and_pooled_training_are_reproducible_and_differ(fed_studios):
    from fed.baselines import train_alone
    from fed.core.weights import model_vector
    from fed.settings import FedSettings
    from fed.task import initial_field

    studios = [fed_studios / "studio_0", fed_studios / "studio_1"]
    settings = FedSettings(rounds=2, local_steps=2, rays=64, samples=8, work_size=32)
    start = model_vector(initial_field(settings)[0])
    heard = []
    alone = [model_vector(train_alone(studios[:1], settings, 2, progress=lambda *a: heard.append(a))) for _ in range(2)]
    assert heard == [("round 1/2", 0.5), ("round 2/2", 1.0)] * 2
    pooled = model_vector(train_alone(studios, settings, 2))
    assert np.array_equal(alone[0], alone[1])  # seeded batches: the same run twice gives the same weights
    assert np.isfinite(pooled).all() and not np.array_equal(alone[0], start) and not np.array_equal(pooled, alone[0])
