"""What a malicious (or broken) studio sends, for the robustness benchmark and tests: the honest update turned into
  scaled     − factor × the update (a large step the other way);
  noise      Gaussian noise with `factor` × the update's norm;
  flipped    the update of training on poisoned data: every view's image and mask mirrored while its camera
             stays (`mirror_views`), so the studio teaches the field wrong silhouettes; the update is sent as made.
"""

from __future__ import annotations

import numpy as np

ATTACKS = ("none", "scaled", "noise", "flipped")


def corrupt_update(delta: np.ndarray, attack: str, factor: float = 10.0, seed: int = 0) -> np.ndarray:
    if attack not in ATTACKS:
        raise ValueError(f"unknown attack {attack!r}; known: {', '.join(ATTACKS)}")
    if attack == "scaled":
        return -factor * delta
    if attack == "noise":
        noise = np.random.default_rng(seed).normal(size=delta.shape)
        return noise / max(np.linalg.norm(noise), 1e-12) * factor * max(np.linalg.norm(delta), 1e-12)
    return delta


def mirror_views(images: list[np.ndarray], masks: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Images and masks mirrored left-right (the cameras are not): the poisoned data of a "flipped" studio."""
    flip = lambda a: np.ascontiguousarray(np.asarray(a)[:, ::-1])  # noqa: E731
    return [flip(i) for i in images], [flip(m) for m in masks]
