"""Run the garment parser on photos: class probabilities per pixel, label maps, person masks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from usr.io.atomic import atomic_dir
from usr.io.cameras_json import read_cameras_json
from usr.io.images import find_image, png_bytes, read_image
from usr.labels import BACKGROUND
from usr.parsing.model import GarmentParser
from usr.parsing.train import load_parser
from usr.progress import Progress, notify

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


def write_person_masks(subject: Path, net: GarmentParser, overwrite: bool = False,
                       progress: Progress | None = None) -> list[str]:
    """Parse every view of a subject folder and write masks/<camera>.png (the folder appears whole, atomically);
    progress(camera name, fraction of the views done).

    Returns notes naming views whose mask came out empty or tiny (the person may not be visible there)."""
    subject = Path(subject)
    cameras = read_cameras_json(subject / "cameras.json")
    notes = []
    with atomic_dir(subject / "masks", overwrite=overwrite) as tmp:
        for i, cam in enumerate(cameras):
            path = find_image(subject / "images", cam.name)
            if path is None:
                raise FileNotFoundError(f"{subject / 'images'}: no image for camera {cam.name}")
            mask = person_mask(parse_probabilities(net, read_image(path)))
            if (mask > 0).mean() < 0.002:
                notes.append(f"view {cam.name}: the parser found almost no person ({(mask > 0).mean():.2%} of the image)")
            (tmp / f"{cam.name}.png").write_bytes(png_bytes(mask))
            notify(progress, cam.name, (i + 1) / len(cameras))
    return notes


def parser_masks(images: list[np.ndarray], net: GarmentParser | None = None) -> list[np.ndarray]:
    """Person masks (uint8 0/255) of photos by the garment parser (the embedded one by default)."""
    if net is None:
        net, _ = load_parser(DEFAULT_PARSER)
    return [person_mask(parse_probabilities(net, img)) for img in images]
