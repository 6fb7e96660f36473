"""Run the garment parser on photos: class probabilities per pixel, label maps, person masks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from usr.labels import BACKGROUND
from usr.parsing.model import GarmentParser

DEFAULT_PARSER = Path(__file__).resolve().parents[1] / "assets" / "parser_default.pt"


@torch.no_grad()
def parse_probabilities(net: GarmentParser, image: np.ndarray, size: int | None = None) -> np.ndarray:
    """H×W×3 uint8 RGB → H×W×L float32 class probabilities (the parser runs with the longer side at `size`)."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 RGB image, got shape {image.shape}")
    h, w = image.shape[:2]
    size = size or net.config.input_size
    s = size / max(h, w)
    small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    net.eval()
    x = torch.from_numpy(np.ascontiguousarray(small)).permute(2, 0, 1)[None].float() / 255.0
    probs = net(x).softmax(1)[0].permute(1, 2, 0).numpy()
    return np.stack([cv2.resize(probs[..., c], (w, h), interpolation=cv2.INTER_LINEAR) for c in range(probs.shape[-1])], -1)


def label_map(probs: np.ndarray) -> np.ndarray:
    return probs.argmax(-1).astype(np.uint8)


def person_mask(probs: np.ndarray) -> np.ndarray:
    """uint8 0/255: pixels where the person (any label but background) is more likely than the background."""
    return ((probs[..., BACKGROUND] < 0.5) * 255).astype(np.uint8)
