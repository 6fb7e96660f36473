"""Mask repair: person masks from a rough mask and the garment parser together, by GrabCut.

Clean-plate subtraction (usr.io.clean_plate) misses whatever looks like its plate: a person who held still
while the plate was estimated from the clip (a ghost), dark clothes over a dark floor. The parser finds
skin and clothes but, on a cluttered real set, also furniture. Each is right where the other fails, so
GrabCut (OpenCV) decides, on a crop around the person: pixels both call person seed the person's colour
model, pixels far from the rough mask are background, the rest is labelled by colour and contrast —
skin next to the limbs that did move is then recovered as person, the room next to it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from usr.io.clean_plate import fill_holes, main_component
from usr.labels import BACKGROUND
from usr.parsing.predict import parse_probabilities


@dataclass(frozen=True)
class MaskRepairConfig:
    work_size: int = 512  # GrabCut runs on the person crop resampled to this longer side
    search_margin: float = 0.08  # band (fraction of the work size) around the rough mask (holes filled) searched
    iterations: int = 5
    crop_fill: float = 0.75  # the person's box fills this much of the crop the parser sees


def person_window(mask: np.ndarray, fill: float) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) of a square around the mask where its box fills `fill`, clipped to the image; None if empty."""
    ys, xs = np.nonzero(mask > 127)
    if len(ys) == 0:
        return None
    half = max(ys.max() - ys.min(), xs.max() - xs.min()) / fill / 2
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    h, w = mask.shape
    return max(0, int(cy - half)), min(h, int(np.ceil(cy + half))), max(0, int(cx - half)), min(w, int(np.ceil(cx + half)))


def grabcut_person(image: np.ndarray, rough: np.ndarray, person_prob: np.ndarray, config: MaskRepairConfig = MaskRepairConfig()
                   ) -> np.ndarray:
    """uint8 0/255 mask: GrabCut on image (H×W×3 uint8) seeded by a rough 0/255 mask and a person probability map."""
    rough = rough > 127
    band = max(3, int(round(config.search_margin * max(rough.shape))) | 1)
    near = cv2.dilate(fill_holes(rough.astype(np.uint8)), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (band, band))) > 0
    parser = person_prob > 0.5
    seeds = np.full(rough.shape, cv2.GC_BGD, np.uint8)
    seeds[near] = cv2.GC_PR_BGD
    seeds[near & (parser | rough)] = cv2.GC_PR_FGD
    sure = cv2.erode((rough & parser).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    seeds[sure] = cv2.GC_FGD
    if not sure.any() or (seeds == cv2.GC_BGD).sum() == 0:
        return (rough * 255).astype(np.uint8)  # nothing to learn colours from: keep the rough mask
    models = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.grabCut(np.ascontiguousarray(image), seeds, None, *models, config.iterations, cv2.GC_INIT_WITH_MASK)
    return (((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)) * 255).astype(np.uint8)


def repair_with_parser(image: np.ndarray, rough: np.ndarray, net, config: MaskRepairConfig = MaskRepairConfig()) -> np.ndarray:
    """A rough person mask (e.g. clean-plate subtraction) of a photo made whole with the parser: returns uint8 0/255."""
    window = person_window(rough, config.crop_fill)
    if window is None:
        return rough
    y0, y1, x0, x1 = window
    crop, rough_crop = image[y0:y1, x0:x1], rough[y0:y1, x0:x1]
    person_prob = 1.0 - parse_probabilities(net, crop)[..., BACKGROUND]
    scale = config.work_size / max(crop.shape[:2])
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = grabcut_person(cv2.resize(crop, size, interpolation=cv2.INTER_AREA),
                           cv2.resize(rough_crop, size, interpolation=cv2.INTER_NEAREST),
                           cv2.resize(person_prob, size, interpolation=cv2.INTER_LINEAR), config)
    full = np.zeros(rough.shape, np.uint8)
    full[y0:y1, x0:x1] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR) > 127
    return fill_holes(main_component(full, min_fraction=0.15)) * 255
