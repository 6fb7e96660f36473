"""Procedural solid textures (colour as a function of the 3D surface point) for skin, hair and garments.

Patterns (solid, stripes, checks, noise) and colour palettes make segmentation depend on more
than colour alone. Every texture is a small dataclass, so it is stored in gt/meta.json and
re-evaluated exactly.
"""

from __future__ import annotations

import colorsys
from dataclasses import asdict, dataclass

import numpy as np
from jaxtyping import Float

PATTERNS = ("solid", "stripes", "checks", "noise")

# Skin tones from light to deep (sRGB 0..1), hair colours (black, browns, blond, grey, red).
SKIN_TONES = [(0.96, 0.80, 0.69), (0.92, 0.74, 0.60), (0.85, 0.64, 0.50), (0.76, 0.55, 0.40),
              (0.62, 0.43, 0.30), (0.48, 0.32, 0.22), (0.36, 0.24, 0.17)]
HAIR_COLORS = [(0.06, 0.05, 0.05), (0.18, 0.11, 0.07), (0.33, 0.20, 0.11), (0.55, 0.38, 0.22),
               (0.80, 0.66, 0.42), (0.62, 0.60, 0.58), (0.55, 0.22, 0.10)]


@dataclass(frozen=True)
class Texture:
    pattern: str
    base: tuple[float, float, float]
    accent: tuple[float, float, float]
    scale: float  # metres per pattern period
    seed: int

    def __call__(self, points: Float[np.ndarray, "n 3"]) -> Float[np.ndarray, "n 3"]:
        p = np.asarray(points, dtype=np.float64)
        base, accent = np.asarray(self.base), np.asarray(self.accent)
        if self.pattern == "solid":
            w = np.zeros(len(p))
        elif self.pattern == "stripes":
            w = (np.sin(2 * np.pi * p[:, 1] / self.scale) > 0.3).astype(np.float64)
        elif self.pattern == "checks":
            q = np.floor(p / (self.scale / 2)).astype(np.int64)
            w = ((q[:, 0] + q[:, 1] + q[:, 2]) % 2).astype(np.float64)
        elif self.pattern == "noise":
            w = np.clip(value_noise(p / self.scale, self.seed) * 1.6 - 0.3, 0, 1)
        else:
            raise ValueError(f"unknown texture pattern {self.pattern!r}; known: {', '.join(PATTERNS)}")
        # fine grain so even solid colours have some texture, as real fabric and skin do
        grain = 0.06 * (value_noise(p / 0.01, self.seed + 1) - 0.5)
        rgb = base[None] * (1 - w[:, None]) + accent[None] * w[:, None]
        return np.clip(rgb * (1 + grain[:, None]), 0, 1)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Texture":
        return cls(d["pattern"], tuple(d["base"]), tuple(d["accent"]), float(d["scale"]), int(d["seed"]))


def value_noise(p: Float[np.ndarray, "n 3"], seed: int) -> Float[np.ndarray, "n"]:
    """Smooth 3D value noise in [0, 1]: hashed lattice values, smoothstep-trilinear interpolation."""
    i0 = np.floor(p).astype(np.int64)
    f = p - i0
    f = f * f * (3 - 2 * f)
    out = np.zeros(len(p))
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                corner = i0 + np.array([dx, dy, dz])
                w = (f[:, 0] if dx else 1 - f[:, 0]) * (f[:, 1] if dy else 1 - f[:, 1]) * (f[:, 2] if dz else 1 - f[:, 2])
                out += w * _hash01(corner, seed)
    return out


def _hash01(q: np.ndarray, seed: int) -> np.ndarray:
    """Deterministic integer hash of lattice points → [0, 1)."""
    h = (q[:, 0] * 73856093) ^ (q[:, 1] * 19349663) ^ (q[:, 2] * 83492791) ^ (seed * 2654435761)
    h = (h ^ (h >> 13)) * 1274126177
    h = h ^ (h >> 16)
    return (h & 0xFFFFFF).astype(np.float64) / float(0x1000000)


def _jitter(rgb, rng: np.random.Generator, amount: float = 0.04) -> tuple[float, float, float]:
    return tuple(float(np.clip(c + rng.uniform(-amount, amount), 0, 1)) for c in rgb)


def skin_texture(rng: np.random.Generator) -> Texture:
    base = _jitter(SKIN_TONES[rng.integers(len(SKIN_TONES))], rng)
    accent = tuple(float(c * 0.9) for c in base)
    return Texture("noise", base, accent, 0.08, int(rng.integers(1 << 30)))


def hair_texture(rng: np.random.Generator) -> Texture:
    base = _jitter(HAIR_COLORS[rng.integers(len(HAIR_COLORS))], rng, 0.03)
    accent = tuple(float(min(1.0, c * 1.35 + 0.03)) for c in base)
    return Texture("stripes", base, accent, 0.012, int(rng.integers(1 << 30)))


def garment_texture(rng: np.random.Generator) -> Texture:
    """Random garment colour (HSV, avoiding skin-like hues half of the time) and pattern."""
    h, s, v = rng.uniform(0, 1), rng.uniform(0.25, 0.9), rng.uniform(0.25, 0.95)
    base = colorsys.hsv_to_rgb(h, s, v)
    h2 = (h + rng.uniform(0.25, 0.75)) % 1.0
    accent = colorsys.hsv_to_rgb(h2, rng.uniform(0.2, 0.9), rng.uniform(0.2, 1.0))
    pattern = str(rng.choice(PATTERNS, p=[0.4, 0.2, 0.15, 0.25]))
    return Texture(pattern, tuple(map(float, base)), tuple(map(float, accent)), float(rng.uniform(0.04, 0.15)),
                   int(rng.integers(1 << 30)))
