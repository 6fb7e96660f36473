"""SCGS step 1: every input view votes for the label of every mesh face, weighted by how far it can be trusted there.

A view's vote for face f is its class-probability vector at the pixel the face centre projects to (background
dropped, renormalised), weighted by the probability that the pixel shows the person and by (each factor can be
switched off for the ablation):
  class confidence  — the largest of those probabilities,
  visibility        — the face is the first surface the camera's ray meets (depth test by ray casting); views
                      that do not see the face still vote, with `occluded_weight`, so that faces no view sees
                      (under the arms, between the legs) get the label of what covers them,
  viewing angle     — |cos(face normal, direction to the camera)|,
  boundary distance — distance of the pixel from the nearest label/mask boundary in that view, saturating at
                      `boundary_fraction` of the image's long side.
With every factor off, each view the face projects onto the person casts one vote for its arg-max label (plain voting).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import trimesh

from usr.geometry.distance import MeshQuery
from usr.io.cameras import Camera
from usr.labels import BACKGROUND, NUM_LABELS


@dataclass
class ViewSemantics:
    """One input view's 2D semantics: its camera and per-pixel class probabilities (H×W×NUM_LABELS)."""

    camera: Camera
    probs: np.ndarray

    def __post_init__(self) -> None:
        h, w = self.camera.height, self.camera.width
        if self.probs.shape != (h, w, NUM_LABELS):
            raise ValueError(f"view {self.camera.name}: probabilities of shape {self.probs.shape}, "
                             f"expected {(h, w, NUM_LABELS)} (camera size × labels)")
        if not np.isfinite(self.probs).all():
            raise ValueError(f"view {self.camera.name}: non-finite class probabilities")

    @staticmethod
    def from_label_map(camera: Camera, labels: np.ndarray) -> "ViewSemantics":
        """Hard labels (e.g. a parsing map the user already has) as one-hot probabilities."""
        return ViewSemantics(camera, np.eye(NUM_LABELS, dtype=np.float32)[labels.astype(np.int64)])


@dataclass(frozen=True)
class VoteWeights:
    class_confidence: bool = True
    visibility: bool = True
    view_angle: bool = True
    boundary: bool = True
    boundary_fraction: float = 0.01
    occluded_weight: float = 0.05

    @staticmethod
    def plain() -> "VoteWeights":
        return VoteWeights(False, False, False, False)


@dataclass
class FaceVotes:
    scores: np.ndarray  # F×NUM_LABELS summed weighted votes (background column stays 0)
    support: np.ndarray  # F: summed vote weights (0 = no view saw the face)
    view_labels: np.ndarray  # V×F arg-max label each view gave (0 where it cast no vote)
    view_weights: np.ndarray  # V×F the weight of that vote

    def consistency(self, labels: np.ndarray) -> np.ndarray:
        """Per face: the weighted share of views whose own arg-max agrees with `labels` (0 where unseen)."""
        agree = (self.view_weights * (self.view_labels == labels[None])).sum(0)
        return np.where(self.support > 0, agree / np.maximum(self.support, 1e-12), 0.0)


def boundary_weight(probs: np.ndarray, fraction: float) -> np.ndarray:
    """H×W in (0, 1]: distance to the nearest change of arg-max label (person outline included), saturating."""
    labels = probs.argmax(-1).astype(np.uint8)
    edge = np.zeros(labels.shape, bool)
    edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    edge[1:, :] |= labels[1:, :] != labels[:-1, :]
    dist = cv2.distanceTransform((~edge).astype(np.uint8), cv2.DIST_L2, 3)
    scale = max(1.0, fraction * max(labels.shape))
    return np.clip((dist + 0.5) / scale, 0.0, 1.0).astype(np.float32)


def face_votes(mesh: trimesh.Trimesh, views: list[ViewSemantics], weights: VoteWeights = VoteWeights(),
               tolerance: float = 0.005) -> FaceVotes:
    faces = np.asarray(mesh.faces)
    centres = np.asarray(mesh.triangles_center, dtype=np.float64)
    normals = np.asarray(mesh.face_normals, dtype=np.float64)
    query = MeshQuery(np.asarray(mesh.vertices), faces) if weights.visibility else None
    scores = np.zeros((len(faces), NUM_LABELS))
    view_labels = np.zeros((len(views), len(faces)), np.uint8)
    view_weights = np.zeros((len(views), len(faces)))
    for k, view in enumerate(views):
        cam = view.camera
        uv, z = cam.project(centres)
        inside = (z > 0) & (uv[:, 0] >= 0) & (uv[:, 0] <= cam.width - 1) & (uv[:, 1] >= 0) & (uv[:, 1] <= cam.height - 1)
        to_cam = cam.center[None] - centres
        dist = np.linalg.norm(to_cam, axis=1)
        cos = np.einsum("nc,nc->n", normals, to_cam / np.maximum(dist, 1e-12)[:, None])
        idx = np.flatnonzero(inside)
        w = np.ones(idx.size)
        if weights.visibility:
            hit = query.cast(np.broadcast_to(cam.center, (idx.size, 3)), -to_cam[idx] / dist[idx, None])["t_hit"]
            seen = (hit >= dist[idx] - tolerance) & (cos[idx] > 0)
            w = np.where(seen, 1.0, weights.occluded_weight)
        u = np.round(uv[idx, 0]).astype(int)
        r = np.round(uv[idx, 1]).astype(int)
        p = view.probs[r, u].astype(np.float64)
        w = w * (1.0 - p[:, BACKGROUND])  # a face that lands on background in this view gets no say there
        p[:, BACKGROUND] = 0.0
        p /= np.maximum(p.sum(1, keepdims=True), 1e-12)
        label = p.argmax(1)
        if weights.class_confidence:
            w = w * p.max(1)
        if weights.view_angle:  # an occluded vote counts `occluded_weight` times what it would if it were seen
            w = w * np.abs(cos[idx])
        if weights.boundary:
            w = w * boundary_weight(view.probs, weights.boundary_fraction)[r, u]
        vote = p if weights.class_confidence else np.eye(NUM_LABELS)[label]
        scores[idx] += w[:, None] * vote
        view_labels[k, idx] = label
        view_weights[k, idx] = w
    return FaceVotes(scores, view_weights.sum(0), view_labels, view_weights)
