"""Training pictures for the garment parser: synthetic renders made to look like real photos.

A synthetic view (image, label map, mask) is cropped around the person at a random framing, put on a
procedural background (walls, floor, furniture-like blocks, texture, blur), colour-jittered (exposure,
white balance, saturation, gamma), blurred / noised / JPEG-compressed and maybe mirrored. Every
sample is a pure function of (seed, index): the same batch sequence on every run and every process.

Clutter (`Clutter`, off by default: without it the samples are exactly those of earlier runs): real rooms fool a
parser that has seen only procedural ones. With a folder of real background pictures (room pictures without
people on them, e.g. data_tools/parser_backgrounds.py), a sample's background is, with `background_prob`, a mosaic
of 1, 2×1 or k×k random crops of them (random scale, aspect, flip) instead of the procedural room; with
`distractor_prob`, a few pieces of clutter are pasted into the background before the person is: skin- and
cloth-coloured blobs and limb-like capsules, textured blocks, crops of the real pictures in random shapes. All of
it is labelled background (the person is composited over it, the label map is that of the person alone). Clutter
draws come from their own generator ((seed, index, 11)), so the person's framing and the photometric chain of a
sample are the same with and without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from usr.io.images import IMAGE_SUFFIXES, read_image


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


@dataclass(frozen=True)
class Clutter:
    """Real-room clutter in the training pictures (see the module docstring); inactive by default."""

    backgrounds: str = ""  # folder of real background pictures (.png/.jpg at its top level; none shows a person)
    background_prob: float = 0.5  # share of samples whose background is made of those pictures
    distractor_prob: float = 0.0  # share of samples with pasted clutter pieces (labelled background)

    @property
    def active(self) -> bool:
        return bool(self.backgrounds) and self.background_prob > 0 or self.distractor_prob > 0


@lru_cache(maxsize=4)
def background_pictures(folder: str) -> tuple[np.ndarray, ...]:
    """The RGB pictures at the top level of `folder`, sorted by name (so sample i is the same in every process)."""
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not paths:
        raise FileNotFoundError(f"{folder}: no background pictures (.png/.jpg)")
    return tuple(read_image(p) for p in paths)


def real_crop(rng: np.random.Generator, pictures: tuple[np.ndarray, ...], h: int, w: int) -> np.ndarray:
    """h×w RGB: a random crop of a random picture (20–100 % of its shorter side, aspect jitter ≤ 1.5, maybe mirrored)."""
    pic = pictures[int(rng.integers(len(pictures)))]
    ph, pw = pic.shape[:2]
    side = min(ph, pw) * rng.uniform(0.2, 1.0)
    aspect = (w / h) * np.exp(rng.uniform(-0.4, 0.4))
    ch, cw = side / np.sqrt(aspect), side * np.sqrt(aspect)
    ch, cw = int(np.clip(ch, 8, ph)), int(np.clip(cw, 8, pw))
    y0, x0 = int(rng.integers(0, ph - ch + 1)), int(rng.integers(0, pw - cw + 1))
    crop = pic[y0 : y0 + ch, x0 : x0 + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    interp = cv2.INTER_AREA if ch > h else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(crop), (w, h), interpolation=interp)


def real_background(rng: np.random.Generator, pictures: tuple[np.ndarray, ...], h: int, w: int) -> np.ndarray:
    """A background of real crops: one crop, two side by side / stacked, or a k×k mosaic (smaller-scale rooms)."""
    kind = rng.choice(4, p=[0.4, 0.2, 0.2, 0.2])
    if kind == 0:
        return real_crop(rng, pictures, h, w)
    out = np.empty((h, w, 3), np.uint8)
    if kind in (1, 2):
        cut = int(rng.uniform(0.25, 0.75) * (w if kind == 1 else h))
        if kind == 1:
            out[:, :cut], out[:, cut:] = real_crop(rng, pictures, h, cut), real_crop(rng, pictures, h, w - cut)
        else:
            out[:cut], out[cut:] = real_crop(rng, pictures, cut, w), real_crop(rng, pictures, h - cut, w)
        return out
    k = int(rng.integers(2, 4))
    ys, xs = np.linspace(0, h, k + 1).astype(int), np.linspace(0, w, k + 1).astype(int)
    for i in range(k):
        for j in range(k):
            out[ys[i] : ys[i + 1], xs[j] : xs[j + 1]] = real_crop(rng, pictures, ys[i + 1] - ys[i], xs[j + 1] - xs[j])
    return out


def _skin_colour(rng: np.random.Generator) -> np.ndarray:
    """RGB of a skin tone, light to dark, under some tint."""
    t = rng.uniform(0, 1)
    light, dark = np.array([235, 200, 175]), np.array([85, 55, 40])
    return (light * (1 - t) + dark * t) * rng.uniform(0.9, 1.1, 3)


def _cloth_colour(rng: np.random.Generator) -> np.ndarray:
    r = rng.random()
    if r < 0.3:  # black / grey / white clothes
        return np.full(3, rng.uniform(15, 230)) + rng.normal(0, 8, 3)
    if r < 0.5:  # denim
        return np.array([50, 70, 120]) * rng.uniform(0.6, 1.5) + rng.normal(0, 10, 3)
    return rng.uniform(0, 255, 3)  # anything


def _shape_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """float32 h×w alpha of a random shape somewhere: ellipse, rotated box, limb-like capsule or polygon."""
    m = np.zeros((h, w), np.uint8)
    cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
    r = max(3, int(min(h, w) * rng.uniform(0.04, 0.25)))
    kind = rng.integers(4)
    if kind == 0:
        cv2.ellipse(m, (cx, cy), (r, max(2, int(r * rng.uniform(0.3, 1.5)))), float(rng.uniform(0, 180)), 0, 360, 1, -1)
    elif kind == 1:
        box = ((float(cx), float(cy)), (float(r * rng.uniform(0.5, 3)), float(r * rng.uniform(0.5, 3))), float(rng.uniform(0, 90)))
        cv2.fillPoly(m, [cv2.boxPoints(box).astype(np.int32)], 1)
    elif kind == 2:  # an arm / leg-like capsule
        ang, length = rng.uniform(0, np.pi), r * rng.uniform(2, 5)
        p1 = (int(cx - np.cos(ang) * length / 2), int(cy - np.sin(ang) * length / 2))
        p2 = (int(cx + np.cos(ang) * length / 2), int(cy + np.sin(ang) * length / 2))
        cv2.line(m, p1, p2, 1, max(2, int(r * rng.uniform(0.3, 0.8))), cv2.LINE_AA)
    else:
        n = int(rng.integers(3, 8))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = r * rng.uniform(0.4, 1.6, n)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], -1).astype(np.int32)
        cv2.fillPoly(m, [pts], 1)
    alpha = m.astype(np.float32)
    k = int(rng.choice([0, 3, 5]))
    return cv2.GaussianBlur(alpha, (k, k), 0) if k else alpha


def add_distractors(rng: np.random.Generator, bg: np.ndarray, pictures: tuple[np.ndarray, ...] = ()) -> np.ndarray:
    """1–5 pieces of clutter pasted into a background (to be labelled background): skin- or cloth-coloured shapes
    with shading, textured blocks, crops of real pictures in random shapes."""
    h, w = bg.shape[:2]
    out = bg.astype(np.float32)
    for _ in range(int(rng.integers(1, 6))):
        alpha = _shape_mask(rng, h, w)[..., None]
        kind = rng.choice(4, p=[0.3, 0.3, 0.2, 0.2] if pictures else [0.4, 0.35, 0.25, 0.0])
        if kind == 3:
            piece = real_crop(rng, pictures, h, w).astype(np.float32)
        else:
            colour = _skin_colour(rng) if kind == 0 else _cloth_colour(rng)
            shade = cv2.resize(rng.normal(1, rng.uniform(0.03, 0.2), (4, 4)), (w, h), interpolation=cv2.INTER_CUBIC)
            piece = colour * shade[..., None]
            if kind == 2:  # textured: stripes / checks
                period = rng.uniform(3, 30)
                yy, xx = np.mgrid[0:h, 0:w]
                wave = np.sign(np.sin(2 * np.pi * (xx * np.cos(rng.uniform(0, np.pi)) + yy * np.sin(rng.uniform(0, np.pi))) / period))
                piece = piece * (1 + rng.uniform(0.1, 0.4) * wave[..., None])
        out = out * (1 - alpha) + piece * alpha
    return np.clip(out, 0, 255).astype(np.uint8)


def clutter_background(seed: int, index: int, size: int, clutter: Clutter, fallback: np.ndarray) -> np.ndarray:
    """The background of sample `index` with clutter (`fallback`, the procedural room, where no real picture is used)."""
    rng = np.random.default_rng([seed, index, 11])
    pictures = background_pictures(clutter.backgrounds) if clutter.backgrounds else ()
    bg = fallback
    if pictures and rng.random() < clutter.background_prob:
        bg = real_background(rng, pictures, size, size)
        k = int(rng.choice([0, 0, 0, 3, 5]))  # depth of field
        bg = cv2.GaussianBlur(bg, (k, k), 0) if k else bg
    if rng.random() < clutter.distractor_prob:
        bg = add_distractors(rng, bg, pictures)
    return bg


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


def make_sample(ref: ViewRef, seed: int, index: int, size: int,
                clutter: Clutter | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(size×size×3 uint8 photo-like image, size×size uint8 labels) for sample `index` of the run `seed`."""
    rng = np.random.default_rng([seed, index])
    img, labels, mask = read_image(ref.image), read_image(ref.labels, "L"), read_image(ref.mask, "L")
    a, dsize = frame_person(rng, mask, size)
    img = cv2.warpAffine(img, a, dsize, flags=cv2.INTER_AREA if a[0, 0] < 1 else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpAffine(mask.astype(np.float32) / 255.0, a, dsize, flags=cv2.INTER_LINEAR)[..., None]
    labels = cv2.warpAffine(labels, a, dsize, flags=cv2.INTER_NEAREST, borderValue=0)
    bg = procedural_background(rng, size, size)
    if clutter is not None and clutter.active:
        bg = clutter_background(seed, index, size, clutter, bg)
    out = (img * alpha + bg * (1 - alpha)).astype(np.uint8)
    out = photometric(rng, out)
    if rng.random() < 0.5:
        out, labels = out[:, ::-1].copy(), labels[:, ::-1].copy()
    return out, labels


def batch(refs: list[ViewRef], seed: int, step: int, size: int, count: int,
          rare_boost: float = 0.0, clutter: Clutter | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Batch `step`: `count` samples, views drawn with a per-step generator (resumable, process-independent).

    With `rare_boost` > 0 a view of a subject wearing a rare garment is drawn (1 + rare_boost) times as often."""
    rng = np.random.default_rng([seed, step, 7])
    if rare_boost > 0:
        w = np.array([1.0 + rare_boost * r.rare for r in refs])
        picks = rng.choice(len(refs), count, p=w / w.sum())
    else:
        picks = rng.integers(0, len(refs), count)
    pairs = [make_sample(refs[p], seed, step * count + i, size, clutter) for i, p in enumerate(picks)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
