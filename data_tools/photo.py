"""Photo-like appearance baked into a rendered view (`usr data synth --photo`): the garment parser's procedural room
background behind the person, then its photometric chain (gamma/exposure, white balance, saturation, contrast,
sensor noise, sometimes blur, sometimes JPEG). The functions are the parser's own (usr/parsing/data.py), so both
trainings see the same kind of pictures. Masks, labels, depth and normals stay exact: only the RGB image changes.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import UInt8

from usr.parsing.data import photometric, procedural_background

PHOTO_STREAM = 29  # a view's draws come from SeedSequence([subject seed, PHOTO_STREAM, view index])


def photo_like(rgb: UInt8[np.ndarray, "h w 3"], mask: UInt8[np.ndarray, "h w"],
               rng: np.random.Generator) -> UInt8[np.ndarray, "h w 3"]:
    """`rgb` with its background (where `mask` is 0) replaced by a room-like picture, then made photo-like."""
    h, w = mask.shape
    background = procedural_background(rng, h, w)
    person = (mask > 127)[..., None]
    return photometric(rng, np.where(person, rgb, background).astype(np.uint8))


def photo_rng(subject_seed: int, view: int) -> np.random.Generator:
    return np.random.default_rng([subject_seed, PHOTO_STREAM, view])
