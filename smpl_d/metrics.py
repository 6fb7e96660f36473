"""Garment checks of a swap or try-on (the body error against the truth: usr.metrics.body)."""

from __future__ import annotations

import numpy as np

from usr.geometry.distance import MeshQuery
from usr.mesh.ops import unique_edges
from usr.metrics.body import body_vertex_error  # noqa: F401 — the body metric lives with the core's metrics


def edge_length_changes(before: np.ndarray, after: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Relative change of each edge length of one mesh between two vertex sets (|after − before| / before)."""
    edges = unique_edges(faces)
    a = np.linalg.norm(before[edges[:, 0]] - before[edges[:, 1]], axis=1)
    b = np.linalg.norm(after[edges[:, 0]] - after[edges[:, 1]], axis=1)
    keep = a > 1e-9
    return np.abs(b[keep] - a[keep]) / a[keep]


def edge_length_change(before: np.ndarray, after: np.ndarray, faces: np.ndarray) -> float:
    """Median relative change of the edge lengths of one mesh between two vertex sets."""
    return float(np.median(edge_length_changes(before, after, faces)))


def garment_fidelity(rest: np.ndarray, rest_body: np.ndarray, moved: np.ndarray, garment_faces: np.ndarray,
                     body_vertices: np.ndarray, body_faces: np.ndarray) -> dict[str, float]:
    """How much a moved garment kept of itself: its edge-length change (median, p99, %) against its rest shape,
    and the p99 of |gap to the new body − the gap the vertex had on its wearer's body `rest_body`| (cm)."""
    change = edge_length_changes(rest, moved, garment_faces)
    gap = MeshQuery(body_vertices, body_faces).signed_distance(moved)
    rest_gap = MeshQuery(rest_body, body_faces).signed_distance(rest)
    return {"edge_change_median_pct": round(float(np.median(change)) * 100, 2),
            "edge_change_p99_pct": round(float(np.percentile(change, 99)) * 100, 2),
            "clearance_change_p99_cm": round(float(np.percentile(np.abs(gap - rest_gap), 99)) * 100, 2)}
