"""The body prior: a body's signed distance read by the model as a point feature (ModelConfig.body_prior).

At inference the body comes from a fit (its error is unknown to the model); in training it is the ground-truth
body under the clothes, made wrong on purpose so the model learns to trust it in proportion to how well it agrees
with the images: the true signed distance plus a smooth random field (a body too thick here, too thin or shifted
there, by up to `PriorNoise.error` metres), and with probability `PriorNoise.dropout` no body at all (the model then
reconstructs from the images alone, as without a prior; it is also what the first of two passes uses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from usr.settings import setting

WAVES = 4  # sine waves of the random field


@dataclass(frozen=True)
class PriorNoise:
    error: float = setting(0.03, flag="--prior-error", help="Largest error of the training body prior, metres (drawn per subject and step).",
                           min=0.0)
    dropout: float = setting(0.3, flag="--prior-dropout", help="Share of subjects trained without a body prior.", min=0.0, max=1.0)
    wavelength: tuple[float, float] = setting((0.3, 1.5), "Shortest and longest wavelength of the error field, "
                                                          "metres.", cli=False)


@dataclass(frozen=True)
class PriorError:
    """One draw of the error field: offset + Σ amplitude_k · sin(direction_k · x · 2π / wavelength_k + phase_k)."""

    offset: float
    amplitudes: np.ndarray  # (WAVES,)
    frequencies: np.ndarray  # (WAVES, 3) radians per metre
    phases: np.ndarray  # (WAVES,)

    @classmethod
    def draw(cls, rng: np.random.Generator, noise: PriorNoise) -> "PriorError | None":
        """None (no prior this time) with probability `noise.dropout`, else a field of size up to `noise.error`."""
        if rng.random() < noise.dropout:
            return None
        size = rng.uniform(0.0, noise.error)
        direction = rng.normal(size=(WAVES, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        wavelength = rng.uniform(*noise.wavelength, size=WAVES)
        weights = rng.dirichlet(np.ones(WAVES + 1))  # split the size between the offset and the waves
        return cls(float(size * weights[0] * rng.choice((-1.0, 1.0))), size * weights[1:],
                   direction * (2 * np.pi / wavelength[:, None]), rng.uniform(0, 2 * np.pi, WAVES))

    def __call__(self, points: Tensor) -> Tensor:
        f = torch.from_numpy(self.frequencies).to(points)
        waves = torch.sin(points @ f.T + torch.from_numpy(self.phases).to(points))
        return self.offset + waves @ torch.from_numpy(self.amplitudes).to(points)
