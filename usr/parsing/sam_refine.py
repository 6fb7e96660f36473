"""Optional segment-anything refinement of the parser's regions (`--sam-checkpoint PATH`).

For every label the parser found in a view, SAM gets the region's bounding box, positive points at the region's
most interior pixels and negative points inside the other regions; the mask it returns sharpens that label's
boundary: the label's probability is raised inside SAM's mask and lowered outside it (by `strength`), then the
probabilities are renormalised. Regions the parser did not find are never created.

SAM needs torchvision, which must not enter the main environment (see README): install `segment-anything` and
torchvision in a separate environment to use this. The weights are a path the user gives (never downloaded), read
with `weights_only=True`. Only numpy, OpenCV and torch are imported here besides segment_anything.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from usr.labels import BACKGROUND, LABEL_NAMES

SAM_TYPES = ("vit_b", "vit_l", "vit_h")


def _segment_anything():
    try:
        import segment_anything  # local: optional, second environment only (it brings torchvision)
    except ImportError as exc:
        raise ImportError("--sam-checkpoint needs the segment-anything package and torchvision, which do not belong in "
                          "the main environment (they replace its torch): use a separate environment, see README "
                          f"'Optional extras' ({exc})") from exc
    return segment_anything


def load_sam(checkpoint: Path, model_type: str = "vit_b", build=None):
    """A SamPredictor from a user-given checkpoint; `build` overrides the architecture (tests use a tiny one)."""
    sa = _segment_anything()
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise FileNotFoundError(f"{checkpoint}: SAM checkpoint not found")
    if build is None:
        if model_type not in SAM_TYPES:
            raise ValueError(f"unknown SAM model type {model_type!r}; known: {', '.join(SAM_TYPES)}")
        build = sa.sam_model_registry[model_type]
    model = build(checkpoint=None)
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except (RuntimeError, ValueError, OSError) as exc:
        raise ValueError(f"{checkpoint}: not a {model_type} SAM checkpoint ({str(exc).splitlines()[0]})") from exc
    return sa.SamPredictor(model.eval())


def prompts(labels: np.ndarray, label: int, points: int = 3, negatives: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(box xyxy, point xy N×2, point labels N) for one parser region of `labels`."""
    region = (labels == label).astype(np.uint8)
    ys, xs = np.nonzero(region)
    box = np.array([xs.min(), ys.min(), xs.max(), ys.max()], np.float32)
    depth = cv2.distanceTransform(region, cv2.DIST_L2, 3)
    inner = np.argsort(depth.ravel())[::-1][: points * 25 : 25]  # deep pixels, not all in one spot
    pos = np.stack(np.unravel_index(inner, labels.shape)[::-1], 1)
    others = (labels != label) & (labels != BACKGROUND)
    neg = np.zeros((0, 2), np.int64)
    if others.any():
        depth_o = cv2.distanceTransform(others.astype(np.uint8), cv2.DIST_L2, 3)
        idx = np.argsort(depth_o.ravel())[::-1][: negatives * 25 : 25]
        neg = np.stack(np.unravel_index(idx, labels.shape)[::-1], 1)
    coords = np.concatenate([pos, neg]).astype(np.float32)
    flags = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))]).astype(np.int64)
    return box, coords, flags


def refine_probabilities(predictor, image: np.ndarray, probs: np.ndarray, strength: float = 0.5,
                         min_pixels: int = 64) -> tuple[np.ndarray, dict[str, float]]:
    """Parser probabilities (H×W×L) sharpened by SAM masks; also SAM's score per refined label."""
    if probs.shape[:2] != image.shape[:2]:
        raise ValueError(f"probabilities {probs.shape[:2]} and image {image.shape[:2]} differ in size")
    labels = probs.argmax(-1)
    predictor.set_image(np.ascontiguousarray(image))
    out = probs.astype(np.float32).copy()
    scores = {}
    for label in np.unique(labels):
        if label == BACKGROUND or (labels == label).sum() < min_pixels:
            continue
        box, coords, flags = prompts(labels, int(label))
        masks, score, _ = predictor.predict(point_coords=coords, point_labels=flags, box=box, multimask_output=False)
        inside = masks[0].astype(np.float32)
        out[..., label] *= 1.0 + strength * (2.0 * inside - 1.0)
        scores[LABEL_NAMES[int(label)]] = float(score[0])
    out /= np.maximum(out.sum(-1, keepdims=True), 1e-12)
    return out, scores
