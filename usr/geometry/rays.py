"""Where cameras' rays meet: the person's centre from the centres of their masks."""

from __future__ import annotations

import numpy as np
from jaxtyping import Float

from usr.io.cameras import Camera


def nearest_point_to_rays(cameras: list[Camera], pixels: Float[np.ndarray, "v 2"]) -> Float[np.ndarray, "3"]:
    """The point nearest (least squares) to the cameras' rays through the given pixels (say each mask's centre)."""
    a, b = np.zeros((3, 3)), np.zeros(3)
    for cam, (u, v) in zip(cameras, pixels):
        d = cam.R.T @ np.linalg.solve(cam.K, np.array([u, v, 1.0]))
        d /= np.linalg.norm(d)
        c = -cam.R.T @ cam.t
        p = np.eye(3) - np.outer(d, d)
        a += p
        b += p @ c
    return np.linalg.lstsq(a, b, rcond=None)[0]


def mask_centre(mask: np.ndarray) -> Float[np.ndarray, "2"] | None:
    """The mean pixel (x, y) of a mask's person pixels (None: an empty mask)."""
    ys, xs = np.nonzero(mask > 127)
    return np.array([xs.mean(), ys.mean()]) if len(xs) else None
