"""Mask repair: person masks from a rough mask and the garment parser together, by GrabCut.

Clean-plate subtraction (usr.io.clean_plate) misses whatever looks like its plate: a person who held still
while the plate was estimated from the clip (a ghost), dark clothes over a dark floor. The parser finds
skin and clothes but, on a cluttered real set, also furniture. Each is right where the other fails, so
GrabCut (OpenCV) decides, on a crop around the person: pixels both call person seed the person's colour
model, pixels far from the rough mask are background, the rest is labelled by colour and contrast —
skin next to the limbs that did move is then recovered as person, the room next to it is not.

With a plate estimated from the clip, a third cue tells a ghost from the room: the clip's motion share
(usr.io.clean_plate.motion_share). The person passed over a ghost during the clip, never over the room around
it; so the parser's person pixels where something moved join the rough mask as the candidate, the parser sees a
wider window (a standing foot outside the rough mask's window is in view), and GrabCut searches around the
candidate — the union of the cues, not a band around the plate's mask alone.

A part held still for the whole clip never moved, so neither the plate nor the motion can tell it from the room:
what the parser calls person there, joined to the person, is returned as `held_still` (left out of the mask —
on a cluttered set most of it is the room: taking it in lowered the mask IoU of the real rig's frame) so that the
import can say how much of it there is and point to an empty-set plate.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from usr.io.clean_plate import RepairedMask, fill_holes, main_component
from usr.labels import BACKGROUND
from usr.parsing.predict import parse_probabilities


@dataclass(frozen=True)
class MaskRepairConfig:
    work_size: int = 512  # GrabCut runs on the person crop resampled to this longer side
    search_margin: float = 0.08  # band (fraction of the work size) around the rough mask (holes filled) searched
    iterations: int = 5
    crop_fill: float = 0.75  # the person's box fills this much of the crop the parser sees
    context_fill: float = 0.5  # with a motion map: the rough mask's box fills this much of the parser's window
    candidate_prob: float = 0.7  # with a motion map: parser person probability that joins the candidate …
    moved_share: float = 0.15  # … where at least this share of the clip's frames moved
    still_prob: float = 0.9  # parser person probability of a pixel reported as held still (never moved, not in the mask)


def person_window(mask: np.ndarray, fill: float) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) of a square around the mask where its box fills `fill`, clipped to the image; None if empty."""
    ys, xs = np.nonzero(mask > 127)
    if len(ys) == 0:
        return None
    half = max(ys.max() - ys.min(), xs.max() - xs.min()) / fill / 2
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    h, w = mask.shape
    return max(0, int(cy - half)), min(h, int(np.ceil(cy + half))), max(0, int(cx - half)), min(w, int(np.ceil(cx + half)))


def grabcut_person(image: np.ndarray, rough: np.ndarray, person_prob: np.ndarray, config: MaskRepairConfig = MaskRepairConfig(),
                   candidate: np.ndarray | None = None) -> np.ndarray:
    """uint8 0/255 mask: GrabCut on image (H×W×3 uint8) seeded by a rough 0/255 mask and a person probability map;
    with a `candidate` (bool, the union of the cues) the search is a band around it and it is the probable person,
    else a band around the rough mask, where the rough mask and the parser's person are the probable person."""
    rough = rough > 127
    band = max(3, int(round(config.search_margin * max(rough.shape))) | 1)
    parser = person_prob > 0.5
    if candidate is None:
        around, probable = rough, rough | parser
    else:
        around = probable = rough | candidate
    near = cv2.dilate(fill_holes(around.astype(np.uint8)), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (band, band))) > 0
    seeds = np.full(rough.shape, cv2.GC_BGD, np.uint8)
    seeds[near] = cv2.GC_PR_BGD
    seeds[near & probable] = cv2.GC_PR_FGD
    sure = cv2.erode((rough & parser).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    seeds[sure] = cv2.GC_FGD
    if not sure.any() or (seeds == cv2.GC_BGD).sum() == 0:
        return (rough * 255).astype(np.uint8)  # nothing to learn colours from: keep the rough mask
    models = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # GrabCut seeds its colour models by k-means from OpenCV's global generator: same input, same mask
    cv2.grabCut(np.ascontiguousarray(image), seeds, None, *models, config.iterations, cv2.GC_INIT_WITH_MASK)
    return (((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)) * 255).astype(np.uint8)


def repair_with_parser(image: np.ndarray, rough: np.ndarray, net, config: MaskRepairConfig = MaskRepairConfig(),
                       moved: np.ndarray | None = None) -> RepairedMask:
    """A rough person mask (e.g. clean-plate subtraction) of a photo made whole with the parser.
    `moved`: the clip's motion share (H×W, usr.io.clean_plate.motion_share) when the plate came from the clip."""
    person_prob = window_person_prob(image, rough, net, config.crop_fill if moved is None else config.context_fill)
    if person_prob is None:
        return RepairedMask(rough)
    mask = fuse_person_cues(image, rough, person_prob, config, moved)
    return RepairedMask(mask, None if moved is None else held_still(mask, person_prob, moved, config))


def window_person_prob(image: np.ndarray, rough: np.ndarray, net, fill: float, size: int | None = None
                       ) -> np.ndarray | None:
    """The parser's person probability (H×W float32) on a square window where the rough mask's box fills `fill`,
    0 outside it; None for an empty rough mask. `size`: the parser's input size (default: its own)."""
    window = person_window(rough, fill)
    if window is None:
        return None
    y0, y1, x0, x1 = window
    person_prob = np.zeros(rough.shape, np.float32)
    person_prob[y0:y1, x0:x1] = 1.0 - parse_probabilities(net, image[y0:y1, x0:x1], size)[..., BACKGROUND]
    return person_prob


def held_still(mask: np.ndarray, person_prob: np.ndarray, moved: np.ndarray,
               config: MaskRepairConfig = MaskRepairConfig()) -> np.ndarray:
    """Bool map of the pixels outside `mask` (0/255) that the parser calls person (> `still_prob`) where nothing moved
    during the clip (motion share ≤ `moved_share`), joined to the mask through such pixels (the parser's window around
    the person bounds how far)."""
    person = mask > 127
    if not person.any():
        return np.zeros(mask.shape, bool)
    joined = person | ((person_prob > config.still_prob) & (moved <= config.moved_share))
    _, parts = cv2.connectedComponents(joined.astype(np.uint8), connectivity=8)
    touching = np.unique(parts[person])
    return np.isin(parts, touching[touching > 0]) & ~person


def person_candidate(rough: np.ndarray, person_prob: np.ndarray, moved: np.ndarray,
                     config: MaskRepairConfig = MaskRepairConfig()) -> np.ndarray:
    """Bool map of the union GrabCut searches: the rough mask, and the parser's person pixels (> `candidate_prob`)
    where the clip moved (share > `moved_share`); its main part, holes filled."""
    joined = (rough > 127) | ((person_prob > config.candidate_prob) & (moved > config.moved_share))
    return fill_holes(main_component(joined.astype(np.uint8), min_fraction=0.15)) > 0


def fuse_person_cues(image: np.ndarray, rough: np.ndarray, person_prob: np.ndarray,
                     config: MaskRepairConfig = MaskRepairConfig(), moved: np.ndarray | None = None) -> np.ndarray:
    """The person mask (uint8 0/255) from a rough 0/255 mask, the parser's person probability (H×W, 0 outside the
    window it saw) and, if given, the clip's motion share: GrabCut on a crop around the candidate at `work_size`."""
    candidate = None if moved is None else person_candidate(rough, person_prob, moved, config)
    window = person_window(rough if candidate is None else candidate.astype(np.uint8) * 255, config.crop_fill)
    if window is None:
        return rough
    y0, y1, x0, x1 = window
    scale = config.work_size / max(y1 - y0, x1 - x0)
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    small = lambda a, how=cv2.INTER_NEAREST: cv2.resize(a[y0:y1, x0:x1], size, interpolation=how)  # noqa: E731
    cut = grabcut_person(small(image, cv2.INTER_AREA), small(rough), small(person_prob, cv2.INTER_LINEAR), config,
                         None if candidate is None else small(candidate.astype(np.uint8)) > 0)
    full = np.zeros(rough.shape, np.uint8)
    full[y0:y1, x0:x1] = cv2.resize(cut, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR) > 127
    return fill_holes(main_component(full, min_fraction=0.15)) * 255
