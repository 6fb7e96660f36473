"""SCGS step 2: from noisy per-face votes to clean surface labels.

1. Smoothing over the face graph: each face's label distribution is pulled towards its neighbours', with faces that
   got little vote weight (seen by few views, at grazing angles, near 2D boundaries) relying more on them — the
   Jacobi iterations of a quadratic (Laplacian) energy. Faces no view saw take their neighbours' labels.
2. Islands: connected regions of one label smaller than `min_island_area` (m²) take the label they share the
   longest border with, repeated until none is left.
3. Low confidence: faces whose views disagree (consistency below `low_consistency`) or that no view saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import trimesh

from usr.labels import LABEL_NAMES, NUM_LABELS
from usr.mesh.graph import face_adjacency_matrix, label_regions, region_border_counts
from usr.scgs.votes import FaceVotes


@dataclass(frozen=True)
class RegularizeOptions:
    smoothing: float = 1.0  # neighbour weight relative to a face with median vote support
    iterations: int = 30
    min_island_area: float = 0.001  # m² (10 cm²)
    low_consistency: float = 0.6


@dataclass
class SurfaceLabels:
    """Labels on the reconstructed surface: one id per face, and how much the views agreed on it."""

    face_labels: np.ndarray  # F uint8 (ids of usr.labels)
    consistency: np.ndarray  # F in [0, 1]
    low_confidence: np.ndarray  # F bool
    summary: dict = field(default_factory=dict)


def smooth_votes(votes: FaceVotes, adjacency: sp.csr_matrix, options: RegularizeOptions) -> np.ndarray:
    """F×L label distributions after Laplacian smoothing weighted by vote support."""
    q0 = votes.scores / np.maximum(votes.scores.sum(1, keepdims=True), 1e-12)
    seen = votes.support > 0
    median = float(np.median(votes.support[seen])) if seen.any() else 1.0
    data = votes.support / max(median, 1e-12)
    lam = options.smoothing
    degree = np.asarray(adjacency.sum(1)).ravel()
    q = q0.copy()
    for _ in range(options.iterations):
        q = (data[:, None] * q0 + lam * (adjacency @ q)) / np.maximum(data + lam * degree, 1e-12)[:, None]
    return q


def remove_islands(mesh: trimesh.Trimesh, labels: np.ndarray, adjacency: sp.csr_matrix, min_area: float,
                   rounds: int = 8) -> np.ndarray:
    labels = labels.copy()
    area = np.asarray(mesh.area_faces)
    for _ in range(rounds):
        comp = label_regions(labels, adjacency)
        small = np.bincount(comp, weights=area) < min_area
        if not small[comp].any():
            break
        # border counts between each small component and its neighbouring labels
        counts = region_border_counts(comp, labels, adjacency, NUM_LABELS, source=small[comp])
        has = counts.sum(1) > 0
        target = counts.argmax(1)
        new = np.where(small[comp] & has[comp], target[comp], labels)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def regularize(mesh: trimesh.Trimesh, votes: FaceVotes, options: RegularizeOptions = RegularizeOptions()) -> SurfaceLabels:
    adjacency = face_adjacency_matrix(mesh)
    q = smooth_votes(votes, adjacency, options)
    labels = q.argmax(1).astype(np.uint8)
    labels = remove_islands(mesh, labels, adjacency, options.min_island_area).astype(np.uint8)
    return summarised(mesh, labels, votes.consistency(labels), votes.support <= 0, options.low_consistency)


def summarised(mesh: trimesh.Trimesh, labels: np.ndarray, consistency: np.ndarray, unseen: np.ndarray,
               low_consistency: float) -> SurfaceLabels:
    """SurfaceLabels with the summary of report.json: area per label, low-confidence and unseen shares."""
    low = (consistency < low_consistency) | unseen
    area = np.asarray(mesh.area_faces)
    total = float(area.sum())
    summary = {
        "label_area_m2": {LABEL_NAMES[i]: round(float(area[labels == i].sum()), 5)
                          for i in range(1, NUM_LABELS) if (labels == i).any()},
        "low_confidence_fraction": round(float(area[low].sum() / max(total, 1e-12)), 4),
        "unseen_fraction": round(float(area[unseen].sum() / max(total, 1e-12)), 4),
        "mean_consistency": round(float((consistency * area).sum() / max(total, 1e-12)), 4),
    }
    return SurfaceLabels(labels, consistency, low, summary)
