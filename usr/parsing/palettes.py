"""Other people's label maps → our labels (usr.labels), for measuring the parser on real photos.

CIHP / PGN colour palette (the Octopus parsing maps): 20 classes. Ours has no hat, glasses or scarf:
those pixels are IGNORE (not scored). Arms, legs, face, torso skin, gloves and socks are skin.
"""

from __future__ import annotations

import numpy as np

from usr.labels import BACKGROUND, DRESS, HAIR, LOWER, OUTER, SHOES, SKIN, UPPER
from usr.parsing.metrics import IGNORE

CIHP_PALETTE: dict[str, tuple[tuple[int, int, int], int]] = {  # name: (RGB, our label)
    "background": ((0, 0, 0), BACKGROUND),
    "hat": ((128, 0, 0), IGNORE),
    "hair": ((255, 0, 0), HAIR),
    "glove": ((0, 85, 0), SKIN),
    "sunglasses": ((170, 0, 51), IGNORE),
    "upper_clothes": ((255, 85, 0), UPPER),
    "dress": ((0, 0, 85), DRESS),
    "coat": ((0, 119, 221), OUTER),
    "socks": ((85, 85, 0), SKIN),
    "pants": ((0, 85, 85), LOWER),
    "torso_skin": ((85, 51, 0), SKIN),
    "scarf": ((52, 86, 128), IGNORE),
    "skirt": ((0, 128, 0), LOWER),
    "face": ((0, 0, 255), SKIN),
    "left_arm": ((51, 170, 221), SKIN),
    "right_arm": ((0, 255, 255), SKIN),
    "left_leg": ((85, 255, 170), SKIN),
    "right_leg": ((170, 255, 85), SKIN),
    "left_shoe": ((255, 255, 0), SHOES),
    "right_shoe": ((255, 170, 0), SHOES),
}


def cihp_to_labels(rgb: np.ndarray, tolerance: int = 4) -> np.ndarray:
    """H×W×3 CIHP colour map → H×W uint8 of our labels; colours off the palette (edges) → IGNORE."""
    colours = np.array([c for c, _ in CIHP_PALETTE.values()], np.int16)
    ours = np.array([lab for _, lab in CIHP_PALETTE.values()], np.uint8)
    d = np.abs(rgb[..., None, :].astype(np.int16) - colours).max(-1)  # H×W×20
    best = d.argmin(-1)
    out = ours[best]
    out[d.min(-1) > tolerance] = IGNORE
    return out
