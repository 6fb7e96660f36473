"""Image files of a capture: reading with clear errors, deterministic PNG bytes, depth/normal encodings.

Depth maps are uint16 PNGs in millimetres (0 = no surface); normal maps are uint8 PNGs of the
world-space unit normal mapped as (n + 1) / 2 · 255 (0, 0, 0 = no surface).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from usr.io.errors import CaptureError, problem

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def png_bytes(array: np.ndarray) -> bytes:
    """PNG encoding with fixed settings, so equal arrays give equal bytes."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def read_image(path: Path, mode: str = "RGB") -> np.ndarray:
    """Read an image as uint8 (mode "RGB" or "L") or uint16 ("I;16"); CaptureError names a bad file."""
    try:
        with Image.open(path) as im:
            im.load()
            if mode == "I;16":
                arr = np.asarray(im, dtype=np.uint16) if im.mode in ("I;16", "I") else None
                if arr is None:
                    raise CaptureError(problem(path, None, f"expected a 16-bit depth PNG, got mode {im.mode}"))
                return arr
            return np.asarray(im.convert(mode))
    except FileNotFoundError:
        raise CaptureError(problem(path, None, "file not found")) from None
    except CaptureError:
        raise
    except Exception as exc:  # PIL raises several types on corrupt files
        raise CaptureError(problem(path, None, f"cannot read image ({exc.__class__.__name__}: {exc})")) from None


def find_image(folder: Path, stem: str) -> Path | None:
    """`folder/stem.png` (or .jpg/.jpeg), whichever exists."""
    for suffix in IMAGE_SUFFIXES:
        p = folder / f"{stem}{suffix}"
        if p.exists():
            return p
    return None


def encode_depth(depth_m: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.nan_to_num(depth_m) * 1000.0), 0, 65535).astype(np.uint16)


def decode_depth(depth_mm: np.ndarray) -> np.ndarray:
    return depth_mm.astype(np.float64) / 1000.0


def encode_normals(normal: np.ndarray) -> np.ndarray:
    valid = np.linalg.norm(normal, axis=-1) > 0
    out = np.clip(np.round((normal + 1.0) * 0.5 * 255.0), 0, 255).astype(np.uint8)
    out[~valid] = 0
    return out


def decode_normals(encoded: np.ndarray) -> np.ndarray:
    n = encoded.astype(np.float64) / 255.0 * 2.0 - 1.0
    norm = np.linalg.norm(n, axis=-1, keepdims=True)
    valid = encoded.any(axis=-1, keepdims=True)
    return np.where(valid, n / np.maximum(norm, 1e-9), 0.0)
