"""Camera rigs around a person centred on the origin: ring, hemisphere, random, or given cameras."""

from __future__ import annotations

import numpy as np

from usr.io.cameras import Camera, intrinsics_from_fov, look_at

RIG_KINDS = ("ring", "hemisphere", "random")


def _fov_to_fit(distance: float, half_extent: float = 1.0) -> float:
    """Field of view (rad) that keeps a ±half_extent metre box in frame from `distance`."""
    return 2.0 * np.arctan(half_extent / max(distance - 0.4, 0.5))


def _camera(i: int, eye: np.ndarray, target: np.ndarray, width: int, height: int) -> Camera:
    dist = float(np.linalg.norm(eye - target))
    K = intrinsics_from_fov(width, height, _fov_to_fit(dist) * min(1.0, width / height))
    R, t = look_at(eye, target)
    return Camera(f"cam{i:02d}", width, height, K, R, t)


def ring_rig(n: int, width: int, height: int | None = None, radius: float = 3.0, elevation_deg: float = 8.0,
             start_deg: float = 0.0, rng: np.random.Generator | None = None, jitter_deg: float = 0.0) -> list[Camera]:
    """`n` cameras evenly around the person (cam00 in front, +Z), slightly above chest height."""
    height = height or width
    cams = []
    for i in range(n):
        az = np.radians(start_deg + 360.0 * i / n + (rng.uniform(-jitter_deg, jitter_deg) if rng is not None else 0.0))
        el = np.radians(elevation_deg)
        eye = radius * np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])
        cams.append(_camera(i, eye, np.zeros(3), width, height))
    return cams


def hemisphere_rig(n: int, width: int, height: int | None = None, radius: float = 3.0,
                   min_elevation_deg: float = -10.0, max_elevation_deg: float = 60.0) -> list[Camera]:
    """`n` cameras on a Fibonacci spiral over the upper hemisphere (elevations within the limits)."""
    height = height or width
    golden = np.pi * (3.0 - np.sqrt(5.0))
    lo, hi = np.sin(np.radians(min_elevation_deg)), np.sin(np.radians(max_elevation_deg))
    cams = []
    for i in range(n):
        s = lo + (hi - lo) * (i + 0.5) / n
        c = np.sqrt(1 - s * s)
        az = golden * i
        eye = radius * np.array([c * np.sin(az), s, c * np.cos(az)])
        cams.append(_camera(i, eye, np.zeros(3), width, height))
    return cams


def random_rig(n: int, width: int, rng: np.random.Generator, height: int | None = None) -> list[Camera]:
    """`n` cameras at random azimuth, elevation −10…40° and distance 2.4…3.6 m, aimed near the centre."""
    height = height or width
    cams = []
    for i in range(n):
        az, el = rng.uniform(0, 2 * np.pi), np.radians(rng.uniform(-10, 40))
        r = rng.uniform(2.4, 3.6)
        eye = r * np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])
        cams.append(_camera(i, eye, rng.normal(0, 0.05, 3), width, height))
    return cams


def make_rig(kind: str, n: int, size: int, rng: np.random.Generator) -> list[Camera]:
    """Dispatch on the rig kind; ring and hemisphere are deterministic, random uses `rng`."""
    if kind == "ring":
        return ring_rig(n, size, start_deg=0.0)
    if kind == "hemisphere":
        return hemisphere_rig(n, size)
    if kind == "random":
        return random_rig(n, size, rng)
    raise ValueError(f"unknown rig {kind!r}; known: {', '.join(RIG_KINDS)} (or give cameras.json)")
