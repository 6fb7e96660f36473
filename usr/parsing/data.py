"""Training pictures for the garment parser: synthetic renders made to look like real photos.

A synthetic view (image, label map, mask) is cropped around the person at a random framing, put on a
procedural background (walls, floor, furniture-like blocks, texture, blur), colour-jittered (exposure,
white balance, saturation, gamma), blurred / noised / JPEG-compressed and maybe mirrored. Every
sample is a pure function of (seed, index): the same batch sequence on every run and every process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from usr.io.images import read_image


RARE_GARMENTS = ("outer", "dress")  # few subjects wear them: their views can be drawn more often


@dataclass(frozen=True)
class ViewRef:
    image: Path
    labels: Path
    mask: Path
    rare: bool = False  # the subject wears one of RARE_GARMENTS


def views_of(data: Path, split: str) -> list[ViewRef]:
    """Every labelled view of the subjects in `split` of `data/splits.json`."""
    names = json.loads((data / "splits.json").read_text())[split]
    refs = []
    for name in names:
        folder = data / name
        meta = folder / "gt" / "meta.json"
        worn = {g.get("label") for g in json.loads(meta.read_text()).get("garments", [])} if meta.exists() else set()
        rare = bool(worn & set(RARE_GARMENTS))
        for img in sorted((folder / "images").glob("*.png")):
            lab, mask = folder / "labels" / img.name, folder / "masks" / img.name
            if lab.exists() and mask.exists():
                refs.append(ViewRef(img, lab, mask, rare))
    if not refs:
        raise FileNotFoundError(f"{data}: no views with labels/ and masks/ in split {split!r}")
    return refs


def _room_colour(rng: np.random.Generator) -> np.ndarray:
    """Mostly muted colours, like walls, floors and furniture; now and then a vivid one."""
    c = rng.uniform(0, 255, 3)
    grey = c.mean()
    return grey + (c - grey) * (rng.uniform(0.6, 1.0) if rng.random() < 0.15 else rng.uniform(0.0, 0.4))


def procedural_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A room-like picture: two-tone wall/floor with a horizon, blocks, stripes and texture at random scales."""
    top, bottom = _room_colour(rng), _room_colour(rng)
    horizon = int(h * rng.uniform(0.45, 0.95))
    t = np.clip((np.arange(h) - horizon) * rng.uniform(0.05, 0.5), 0, 1)[:, None, None]
    img = (top * (1 - t) + bottom * t) * np.ones((1, w, 1))
    img *= rng.uniform(0.7, 1.2, (1, w, 1)) ** rng.uniform(0, 1)  # light fall-off across the room
    for _ in range(rng.integers(2, 12)):  # furniture, doors, windows, posters
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        bw, bh = rng.integers(w // 20, w // 2), rng.integers(h // 20, h // 2)
        colour = _room_colour(rng)
        img[y0 : y0 + bh, x0 : x0 + bw] = colour * rng.uniform(0.8, 1.0) + rng.normal(0, 6, 3)
    if rng.random() < 0.5:  # stripes / tiles
        period = rng.integers(6, 60)
        axis = np.arange(w)[None, :, None] if rng.random() < 0.5 else np.arange(h)[:, None, None]
        img *= 1 + rng.uniform(0.05, 0.3) * np.sign(np.sin(2 * np.pi * axis / period))
    small = rng.normal(0, rng.uniform(2, 12), (max(2, h // 16), max(2, w // 16), 1)) * np.ones(3)
    img += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img, 0, 255).astype(np.uint8)
    k = int(rng.choice([0, 0, 3, 7, 15]))
    return cv2.GaussianBlur(img, (k, k), 0) if k else img


def frame_person(rng: np.random.Generator, mask: np.ndarray, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Affine map image → size×size crop with the person at 45–95 % of the crop height, off-centre by a little."""
    ys, xs = np.nonzero(mask > 127)
    if len(ys) == 0:
        raise ValueError("empty mask")
    ph = ys.max() - ys.min() + 1
    scale = size * rng.uniform(0.45, 0.95) / ph
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    cx += rng.uniform(-0.15, 0.15) * size / scale
    cy += rng.uniform(-0.1, 0.1) * size / scale
    a = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]], np.float32)
    return a, (size, size)


def photometric(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    x = img.astype(np.float32) / 255.0
    x = x ** rng.uniform(0.7, 1.4)  # gamma / exposure curve
    x = x * rng.uniform(0.6, 1.4) * rng.uniform(0.85, 1.15, 3)  # exposure, white balance
    grey = x.mean(-1, keepdims=True)
    x = grey + (x - grey) * rng.uniform(0.5, 1.5)  # saturation
    x = (x - 0.5) * rng.uniform(0.7, 1.3) + 0.5  # contrast
    x += rng.normal(0, rng.uniform(0, 0.03), x.shape)  # sensor noise
    out = np.clip(x * 255, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        k = int(rng.choice([3, 5]))
        out = cv2.GaussianBlur(out, (k, k), 0)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 95))])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return out


def make_sample(ref: ViewRef, seed: int, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(size×size×3 uint8 photo-like image, size×size uint8 labels) for sample `index` of the run `seed`."""
    rng = np.random.default_rng([seed, index])
    img, labels, mask = read_image(ref.image), read_image(ref.labels, "L"), read_image(ref.mask, "L")
    a, dsize = frame_person(rng, mask, size)
    img = cv2.warpAffine(img, a, dsize, flags=cv2.INTER_AREA if a[0, 0] < 1 else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(mask.astype(np.float32) / 255.0, a, dsize, flags=cv2.INTER_LINEAR)[..., None]
    labels = cv2.warpAffine(labels, a, dsize, flags=cv2.INTER_NEAREST, borderValue=0)
    bg = procedural_background(rng, size, size)
    out = (img * alpha + bg * (1 - alpha)).astype(np.uint8)
    out = photometric(rng, out)
    if rng.random() < 0.5:
        out, labels = out[:, ::-1].copy(), labels[:, ::-1].copy()
    return out, labels


def batch(refs: list[ViewRef], seed: int, step: int, size: int, count: int,
          rare_boost: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Batch `step`: `count` samples, views drawn with a per-step generator (resumable, process-independent).

    With `rare_boost` > 0 a view of a subject wearing a rare garment is drawn (1 + rare_boost) times as often."""
    rng = np.random.default_rng([seed, step, 7])
    if rare_boost > 0:
        w = np.array([1.0 + rare_boost * r.rare for r in refs])
        picks = rng.choice(len(refs), count, p=w / w.sum())
    else:
        picks = rng.integers(0, len(refs), count)
    pairs = [make_sample(refs[p], seed, step * count + i, size) for i, p in enumerate(picks)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
