"""Pictures people look at instead of reading numbers: contact sheets of views, label maps, normals."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from usr.io.atomic import write_bytes_atomic
from usr.labels import LABEL_COLORS, LABEL_NAMES


def colorize_labels(label: np.ndarray) -> np.ndarray:
    """uint8 label map → RGB picture with the display colours of usr.labels."""
    lut = np.zeros((256, 3), np.uint8)
    for i, c in LABEL_COLORS.items():
        lut[i] = c
    return lut[label]


def face_colours_to_vertices(mesh, face_rgb: np.ndarray) -> np.ndarray:
    """V×3 uint8 from F×3 per-face colours (a vertex takes the colour of one of its faces), for vertex-colour renders."""
    colours = np.zeros((len(mesh.vertices), 3), np.uint8)
    colours[np.asarray(mesh.faces).reshape(-1)] = np.repeat(np.asarray(face_rgb, np.uint8), 3, axis=0)
    return colours


def face_label_colours(mesh, face_labels: np.ndarray) -> np.ndarray:
    """V×3 uint8 display colours of per-face labels."""
    return face_colours_to_vertices(mesh, colorize_labels(face_labels.astype(np.uint8)))


def face_value_colours(mesh, values: np.ndarray) -> np.ndarray:
    """V×3 uint8: per-face values in [0, 1] from red (0) through yellow to green (1)."""
    v = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    return face_colours_to_vertices(mesh, np.stack([np.clip(2 - 2 * v, 0, 1), np.clip(2 * v, 0, 1), np.zeros_like(v)], 1) * 220)


def colorize_normals(normal: np.ndarray) -> np.ndarray:
    """World normals (H×W×3, zero = background) → RGB picture."""
    valid = np.linalg.norm(normal, axis=-1) > 0
    img = ((normal * 0.5 + 0.5) * 255).round().astype(np.uint8)
    img[~valid] = 0
    return img


def _thumb(img: np.ndarray, height: int) -> Image.Image:
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    im = Image.fromarray(img)
    w = max(1, round(im.width * height / im.height))
    return im.resize((w, height), Image.Resampling.BILINEAR)


def contact_sheet(rows: list[tuple[str, list[np.ndarray]]], captions: list[str] | None = None,
                  thumb_height: int = 220, title: str = "") -> Image.Image:
    """A grid: one row per (row title, images), optional column captions and a title line."""
    pad, label_w, head = 6, 90, 28 if title else 6
    thumbs = [[_thumb(im, thumb_height) for im in ims] for _, ims in rows]
    col_w = max((t.width for row in thumbs for t in row), default=thumb_height)
    n_cols = max((len(r) for r in thumbs), default=1)
    cap_h = 16 if captions else 0
    W = label_w + n_cols * (col_w + pad) + pad
    H = head + cap_h + len(rows) * (thumb_height + pad) + pad
    sheet = Image.new("RGB", (W, H), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((pad, 8), title, fill=(0, 0, 0))
    for c, cap in enumerate(captions or []):
        draw.text((label_w + c * (col_w + pad) + pad, head), cap, fill=(60, 60, 60))
    for r, ((name, _), row) in enumerate(zip(rows, thumbs)):
        y = head + cap_h + r * (thumb_height + pad) + pad
        draw.text((pad, y + thumb_height // 2 - 6), name, fill=(0, 0, 0))
        for c, t in enumerate(row):
            sheet.paste(t, (label_w + c * (col_w + pad) + pad, y))
    return sheet


def label_legend() -> str:
    return ", ".join(f"{i} {n}" for i, n in LABEL_NAMES.items())


def save_png(img: Image.Image | np.ndarray, path: Path) -> None:
    """Save atomically (temp file + rename)."""
    im = img if isinstance(img, Image.Image) else Image.fromarray(img)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    write_bytes_atomic(Path(path), buf.getvalue())
