"""Garment-separation metrics (the DESIGN.md protocol: both meshes scaled so the ground truth is 1.8 m tall).

label_accuracy      area-weighted: points sampled on the ground-truth surface, the predicted label taken from the
                    closest point of the predicted surface, compared with the true label there.
garment_iou         per label, on the surfaces: |true ∩ predicted| / |true ∪ predicted|, counted over samples of
                    both surfaces (each sample carries its own label and the other surface's label at its closest point).
garment_chamfer_cm  per label: Chamfer between the predicted faces of that label and the ground-truth faces of that
                    label (the visible part of the garment: the reconstruction sees only the outside).
boundary_roughness  turning-angle energy of the label boundaries: curves resampled every 0.5 cm, mean squared angle
                    (rad²) between consecutive segments. A straight or gently curving edge is ≈ 0; a zig-zag along
                    mesh triangles is large.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from usr.geometry.distance import MeshQuery
from usr.labels import BACKGROUND, LABEL_NAMES
from usr.mesh.curves import chains, label_boundary_edges, resample, turning_angles
from usr.metrics.geometry import distance_terms_cm, sample_surface_faces, scaled_to_protocol


@dataclass
class GarmentScores:
    label_accuracy: float
    garment_iou: dict[str, float]
    garment_chamfer_cm: dict[str, float | None]
    boundary_roughness: float
    gt_boundary_roughness: float


def transfer_labels(points: np.ndarray, mesh: trimesh.Trimesh, face_labels: np.ndarray) -> np.ndarray:
    """The label of the closest face of `mesh` for every point."""
    return face_labels[MeshQuery(np.asarray(mesh.vertices), np.asarray(mesh.faces)).closest(points)[2]]


def boundary_roughness(mesh: trimesh.Trimesh, face_labels: np.ndarray, spacing: float = 0.005) -> float:
    """Mean squared turning angle (rad²) along all label boundaries, resampled every `spacing` (mesh units)."""
    v = np.asarray(mesh.vertices, dtype=np.float64)
    angles = []
    for ch in chains(label_boundary_edges(mesh, face_labels)):
        pts = resample(v[ch.vertices], ch.closed, spacing)
        angles.append(turning_angles(pts, ch.closed))
    a = np.concatenate(angles) if angles else np.zeros(0)
    return float(np.mean(a ** 2)) if a.size else 0.0


def submesh(mesh: trimesh.Trimesh, face_mask: np.ndarray) -> trimesh.Trimesh:
    return trimesh.Trimesh(np.asarray(mesh.vertices), np.asarray(mesh.faces)[face_mask], process=False)


def garment_scores(pred: trimesh.Trimesh, pred_labels: np.ndarray, gt: trimesh.Trimesh, gt_labels: np.ndarray,
                   samples: int = 20000, seed: int = 0) -> GarmentScores:
    if len(pred_labels) != len(pred.faces):
        raise ValueError(f"predicted labels: {len(pred_labels)} values for {len(pred.faces)} faces")
    if len(gt_labels) != len(gt.faces):
        raise ValueError(f"ground-truth labels: {len(gt_labels)} values for {len(gt.faces)} faces")
    _, pred_s, gt_s = scaled_to_protocol(pred, gt)
    gt_pts, gt_tri = sample_surface_faces(gt_s, samples, seed)
    pr_pts, pr_tri = sample_surface_faces(pred_s, samples, seed + 1)
    true_at_gt, pred_at_gt = gt_labels[gt_tri], transfer_labels(gt_pts, pred_s, pred_labels)
    pred_at_pr, true_at_pr = pred_labels[pr_tri], transfer_labels(pr_pts, gt_s, gt_labels)
    accuracy = float(np.mean(true_at_gt == pred_at_gt))
    true = np.concatenate([true_at_gt, true_at_pr])
    guess = np.concatenate([pred_at_gt, pred_at_pr])
    present = sorted(({int(x) for x in np.unique(gt_labels)} | {int(x) for x in np.unique(pred_labels)}) - {BACKGROUND})
    iou, chamfer = {}, {}
    for label in present:
        if label == BACKGROUND:
            continue
        name = LABEL_NAMES[label]
        union = np.sum((true == label) | (guess == label))
        iou[name] = float(np.sum((true == label) & (guess == label)) / union) if union else 0.0
        p_faces, g_faces = pred_labels == label, gt_labels == label
        if p_faces.any() and g_faces.any():
            n = max(2000, samples // 4)
            p2s, rev = distance_terms_cm(submesh(pred_s, p_faces), submesh(gt_s, g_faces), n, seed + 2)
            chamfer[name] = 0.5 * (p2s + rev)
        else:
            chamfer[name] = None
    return GarmentScores(accuracy, iou, chamfer, boundary_roughness(pred_s, pred_labels),
                         boundary_roughness(gt_s, gt_labels))
