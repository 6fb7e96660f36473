"""How close a fitted body is to the ground-truth body (same topology: vertex to vertex), cm at the protocol height."""

from __future__ import annotations

import numpy as np
import trimesh

from usr.geometry.distance import MeshQuery
from usr.labels import SKIN
from usr.metrics.geometry import TARGET_HEIGHT_M


def body_vertex_error(
    fitted: np.ndarray, truth: np.ndarray, clothed: trimesh.Trimesh, clothed_face_labels: np.ndarray
) -> dict[str, float]:
    """Mean vertex distance in cm at the protocol height: over all vertices, under the clothes, on visible skin.

    A ground-truth body vertex is *under the clothes* when the nearest face of the ground-truth clothed surface is
    not skin (a garment or hair covers it); the rest is visible skin (or hidden inside the head, e.g. the mouth).
    """
    if fitted.shape != truth.shape:
        raise ValueError(f"fitted body has {len(fitted)} vertices, the ground truth {len(truth)}: not the same topology")
    scale = TARGET_HEIGHT_M / float(truth[:, 1].max() - truth[:, 1].min())
    error = np.linalg.norm(fitted - truth, axis=1) * 100.0 * scale
    _, _, tri = MeshQuery(clothed.vertices, clothed.faces).closest(truth)
    under = clothed_face_labels[tri] != SKIN
    return {
        "body_vertex_error_cm": float(error.mean()),
        "under_clothes_error_cm": float(error[under].mean()) if under.any() else float("nan"),
        "skin_error_cm": float(error[~under].mean()) if (~under).any() else float("nan"),
    }
