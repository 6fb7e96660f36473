"""Person masks for a static camera by clean-plate (background) subtraction.

A studio either shoots a clean plate (the empty set, same camera: the reliable way) or films the person
moving; in the second case the plate is estimated from the clip around the frame: per pixel, the median of
the frames in which that pixel stays still for a while (the background is still whenever it is visible,
a moving person is not). A person who stands still for long in one place leaves a ghost in such a plate,
and the mask then misses that part: `usr data validate` and the reconstruction warnings show it, and a
real clean plate fixes it. The mask of one frame is the set of pixels that differ from the plate, cleaned
up (morphology, holes filled, the person's connected components kept).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

from usr.io.errors import CaptureError, problem


@dataclass(frozen=True)
class PlateConfig:
    clip: int = 120  # consecutive frames around the chosen one used for the plate estimate
    still_window: int = 5  # a pixel is still at frame t when frames t±window agree within `still_range`
    still_range: float = 12.0  # max-min of a (blurred) channel over the window, 0..255
    min_threshold: float = 18.0  # RGB distance (0..441) below which a pixel is background, whatever Otsu says
    max_threshold: float = 60.0
    min_area: float = 0.002  # fraction of the image below which a mask counts as empty
    moved_distance: float = 25.0  # RGB distance from the plate above which a frame's pixel counts as moved


def read_clip(video: Path, centre: int, count: int) -> np.ndarray:
    """Up to `count` consecutive RGB frames around frame `centre` (N, H, W, 3) uint8."""
    cap = cv2.VideoCapture(str(video))
    try:
        if not cap.isOpened():
            raise CaptureError(problem(video, None, "cannot open video"))
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        first = max(0, min(centre - count // 2, total - count)) if total > 0 else 0
        cap.set(cv2.CAP_PROP_POS_FRAMES, first)
        frames = []
        while len(frames) < count:
            ok, bgr = cap.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    if len(frames) < 3:
        raise CaptureError(problem(video, "frames", f"{len(frames)} decodable frames: a clean plate needs a moving person over ≥ 3"))
    return np.stack(frames)


def _distance(frames: np.ndarray, plate: np.ndarray) -> np.ndarray:
    d = frames.astype(np.float32) - plate.astype(np.float32)
    return np.sqrt((d * d).sum(-1))


def estimate_plate(frames: np.ndarray, config: PlateConfig = PlateConfig()) -> np.ndarray:
    """Background of a static camera from consecutive frames (N, H, W, 3) in which the person moves → (H, W, 3)."""
    n, h, w = frames.shape[:3]
    half = np.stack([cv2.resize(cv2.GaussianBlur(f, (5, 5), 0), (w // 2, h // 2), interpolation=cv2.INTER_AREA)
                     for f in frames]).astype(np.int16)
    size = 2 * config.still_window + 1
    spread = (ndimage.maximum_filter1d(half, size, axis=0, mode="nearest")
              - ndimage.minimum_filter1d(half, size, axis=0, mode="nearest")).max(-1)
    still_half = spread < config.still_range
    del half, spread
    plate = np.median(frames, axis=0)
    for y0 in range(0, h, 64):  # median of the still frames, in row blocks (full resolution)
        rows = slice(y0, min(y0 + 64, h))
        still = still_half[:, y0 // 2 : (rows.stop + 1) // 2].repeat(2, 1).repeat(2, 2)[:, : rows.stop - y0]
        still = np.pad(still, ((0, 0), (0, 0), (0, w - still.shape[2])), mode="edge")
        block = frames[:, rows].astype(np.float32)
        block[~still] = np.nan
        have = still.any(0)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(block, axis=0)
        plate[rows][have] = med[have]
    return np.clip(plate, 0, 255).astype(np.uint8)


def person_mask(image: np.ndarray, plate: np.ndarray, config: PlateConfig = PlateConfig()) -> np.ndarray:
    """uint8 0/255 mask of what differs from the plate: Otsu threshold (clamped), cleaned, main component kept."""
    if image.shape != plate.shape:
        raise ValueError(f"image {image.shape} and clean plate {plate.shape} differ in size")
    blur = lambda a: cv2.GaussianBlur(a, (5, 5), 0)  # noqa: E731 — sensor noise and compression blocks
    dist = _distance(blur(image)[None], blur(plate))[0]
    scaled = np.clip(dist * (255.0 / 160.0), 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    threshold = float(np.clip(otsu * 160.0 / 255.0, config.min_threshold, config.max_threshold))
    fg = (dist > threshold).astype(np.uint8)
    k = max(3, int(round(min(image.shape[:2]) / 200)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, kernel)
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3 * k, 3 * k)))
    fg = main_component(fg, min_fraction=0.15)
    return fill_holes(fg) * 255


def main_component(fg: np.ndarray, min_fraction: float) -> np.ndarray:
    """The largest connected component plus any other at least `min_fraction` of its size (a detached hand)."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if n <= 1:
        return fg
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= min_fraction * areas.max())
    return np.isin(lab, keep).astype(np.uint8)


def fill_holes(fg: np.ndarray) -> np.ndarray:
    h, w = fg.shape
    flood = np.pad(fg, 1).copy()
    cv2.floodFill(flood, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 1)
    holes = flood[1:-1, 1:-1] == 0
    return (fg.astype(bool) | holes).astype(np.uint8)


def motion_share(frames: np.ndarray, plate: np.ndarray, config: PlateConfig = PlateConfig()) -> np.ndarray:
    """Per pixel, the share of the clip's frames (N, H, W, 3) that differ from the plate (H, W, 3) by more than
    `config.moved_distance` (computed at half size): where the person passed during the clip. A part of the person
    that the plate took in (a ghost: it matches the plate in the chosen frame) was still away from there in some
    frames, while the room around the person, which the person never covered, stays near 0."""
    h, w = plate.shape[:2]
    small = (w // 2, h // 2)
    ref = cv2.resize(plate, small, interpolation=cv2.INTER_AREA).astype(np.float32)
    moved = np.zeros(small[::-1], np.float32)
    for f in frames:
        d = cv2.resize(f, small, interpolation=cv2.INTER_AREA).astype(np.float32) - ref
        moved += np.sqrt((d * d).sum(-1)) > config.moved_distance
    return cv2.resize(moved / len(frames), (w, h), interpolation=cv2.INTER_LINEAR)


@dataclass(frozen=True)
class FrameMask:
    """A frame's clean-plate mask (uint8 0/255) and, when the plate was estimated from the clip, its
    `motion_share` map (None for an empty-set plate: nothing there is a ghost)."""

    mask: np.ndarray
    moved: np.ndarray | None


@dataclass(frozen=True)
class RepairedMask:
    """A frame's person mask after repair (uint8 0/255; usr.parsing.mask_repair) and, when the plate came from the
    clip, `held_still` (bool): pixels the parser calls person, joined to the mask and near it, where nothing moved
    during the whole clip — a body part held still throughout, or clutter: the plate cannot tell, so they stay out of
    the mask. None for an empty-set plate."""

    mask: np.ndarray
    held_still: np.ndarray | None = None


def mask_from_video(video: Path, frame: int, image: np.ndarray, plate: np.ndarray | None = None,
                    config: PlateConfig = PlateConfig()) -> np.ndarray:
    """Mask of `image` (frame `frame` of `video`); the plate is estimated from the clip around it unless given."""
    return mask_and_motion(video, frame, image, plate, config).mask


def mask_and_motion(video: Path, frame: int, image: np.ndarray, plate: np.ndarray | None = None,
                    config: PlateConfig = PlateConfig()) -> FrameMask:
    """`mask_from_video`, with the clip's motion share when the plate is estimated from it."""
    moved = None
    if plate is None:
        frames = read_clip(video, frame, config.clip)
        plate = estimate_plate(frames, config)
        moved = motion_share(frames, plate, config)
        del frames
    elif plate.shape != image.shape:
        raise CaptureError(problem(video, "clean plate", f"plate is {plate.shape[1]}x{plate.shape[0]}, "
                                   f"the frame {image.shape[1]}x{image.shape[0]}"))
    mask = person_mask(image, plate, config)
    if (mask > 0).mean() < config.min_area:
        raise CaptureError(problem(video, "mask", "clean-plate subtraction found no person in this frame "
                                   "(static person? give --clean-plates with images of the empty set)"))
    return FrameMask(mask, moved)
