"""The point losses: every term compares the model with exact values at sampled 3D points (no rendering).

- sdf: L1 between the predicted and true signed distance, both clamped to ±`clamp` (far points only need the
  right side), in units of `clamp`;
- occupancy: binary cross-entropy of sigmoid(−sdf / τ) against the clothed surface's winding number clipped to
  [0, 1] (soft near holes of the open garment surface, where the sign is uncertain);
- label: cross-entropy of the label head against the nearest ground-truth face's label, for points within
  `label_band` of the surface;
- body: clamped L1 of the body head against the signed distance to the body under the clothes;
- normal: at surface samples, the SDF's gradient by central differences (the network samples image features
  bilinearly, whose second derivative torch does not provide) against the true normal (1 − cosine), plus the
  eikonal term (|∇| − 1)².
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from usr.settings import setting

OFFSETS = torch.cat([torch.eye(3), -torch.eye(3)])  # central differences along x, y, z


@dataclass(frozen=True)
class PointLossWeights:
    sdf: float = setting(1.0, "Weight of the clamped SDF L1.", min=0.0)
    occupancy: float = setting(0.5, "Weight of the occupancy cross-entropy.", min=0.0)
    label: float = setting(0.2, "Weight of the garment label cross-entropy.", min=0.0)
    body: float = setting(0.3, "Weight of the body SDF L1.", min=0.0)
    normal: float = setting(0.1, "Weight of the normal and eikonal terms.", min=0.0)
    clamp: float = setting(0.1, "SDF clamp, metres.", min=1e-4)
    body_clamp: float = setting(0.1, "Body SDF clamp, metres.", min=1e-4)
    tau: float = setting(0.005, "Occupancy temperature, metres.", min=1e-5)
    label_band: float = setting(0.02, "Points this near the surface train the label head, metres.", min=0.0)
    step: float = setting(0.004, "Central-difference step of the normal term, metres.", min=1e-5)


def finite_difference_points(surface: Tensor, step: float) -> Tensor:
    """The 6 probes around each surface point, (s·6, 3), in the order `normal_terms` expects."""
    return (surface[:, None] + step * OFFSETS.to(surface)[None]).reshape(-1, 3)


def normal_terms(probe_sdf: Tensor, normals: Tensor, step: float) -> tuple[Tensor, Tensor]:
    """(1 − cos(∇, n), (|∇| − 1)²) averaged, from the SDF at the probes of `finite_difference_points`."""
    f = probe_sdf.reshape(-1, 6)
    grad = (f[:, :3] - f[:, 3:]) / (2 * step)
    cos = F.cosine_similarity(grad, normals, dim=-1)
    return (1 - cos).mean(), ((grad.norm(dim=-1) - 1) ** 2).mean()


def point_losses(out: dict[str, Tensor], sdf: Tensor, winding: Tensor, labels: Tensor, body_sdf: Tensor,
                 w: PointLossWeights) -> dict[str, Tensor]:
    """The per-point terms (unweighted) of one batch of points."""
    c = w.clamp
    terms = {"sdf": (out["sdf"].clamp(-c, c) - sdf.clamp(-c, c)).abs().mean() / c,
             "occupancy": F.binary_cross_entropy_with_logits(-out["sdf"] / w.tau, winding.clamp(0, 1)),
             "body": (out["body_sdf"].clamp(-w.body_clamp, w.body_clamp)
                      - body_sdf.clamp(-w.body_clamp, w.body_clamp)).abs().mean() / w.body_clamp}
    near = sdf.abs() < w.label_band
    terms["label"] = F.cross_entropy(out["labels"][near], labels[near]) if near.any() else out["sdf"].sum() * 0
    return terms


def weighted_total(terms: dict[str, Tensor], w: PointLossWeights) -> Tensor:
    return (w.sdf * terms["sdf"] + w.occupancy * terms["occupancy"] + w.label * terms["label"]
            + w.body * terms["body"] + w.normal * (terms["normal"] + 0.1 * terms["eikonal"]))
