"""NeuS SDF → opacity (Wang et al. 2021, unbiased, occlusion-aware), discrete form.

Section i of a ray runs between samples t_i and t_{i+1}; with Φ_s(x) = sigmoid(s·x),
    α_i = clamp((Φ_s(f_i) − Φ_s(f_{i+1})) / Φ_s(f_i), 0, 1)          (`section_alpha`)
or, from the SDF and its directional derivative at a mid-point (`neus_alpha`, NeuS's code form).
Weights w_i = α_i · Π_{j<i}(1 − α_j), so Σ w_i ≤ 1 (the rest is background).
"""

from __future__ import annotations

import torch
from jaxtyping import Float
from torch import Tensor


def neus_alpha(sdf: Float[Tensor, "r s"], dir_derivative: Float[Tensor, "r s"], deltas: Float[Tensor, "r s"],
               inv_s: Float[Tensor, ""], cos_anneal: float = 1.0) -> Float[Tensor, "r s"]:
    """Per-section opacity. `dir_derivative` = ∇f · ray direction (cosine for a unit-gradient SDF)."""
    iter_cos = -(torch.relu(-dir_derivative * 0.5 + 0.5) * (1.0 - cos_anneal) + torch.relu(-dir_derivative) * cos_anneal)
    prev = sdf - iter_cos * deltas * 0.5
    nxt = sdf + iter_cos * deltas * 0.5
    prev_cdf = torch.sigmoid(prev * inv_s)
    next_cdf = torch.sigmoid(nxt * inv_s)
    return ((prev_cdf - next_cdf + 1e-5) / (prev_cdf + 1e-5)).clamp(0.0, 1.0)


def composite_weights(alpha: Float[Tensor, "r s"]) -> Float[Tensor, "r s"]:
    """w_i = α_i Π_{j<i} (1 − α_j)."""
    trans = torch.cumprod(torch.cat([torch.ones_like(alpha[:, :1]), 1.0 - alpha + 1e-7], dim=1), dim=1)[:, :-1]
    return alpha * trans


def composite(weights: Float[Tensor, "r s"], values: Float[Tensor, "r s c"]) -> Float[Tensor, "r c"]:
    return (weights[..., None] * values).sum(1)


def section_alpha(sdf: Float[Tensor, "r s1"], inv_s: Float[Tensor, ""]) -> Float[Tensor, "r s"]:
    """Opacity of the sections between consecutive samples, from the SDF at the samples only."""
    cdf = torch.sigmoid(sdf * inv_s)
    prev, nxt = cdf[:, :-1], cdf[:, 1:]
    return ((prev - nxt + 1e-5) / (prev + 1e-5)).clamp(0.0, 1.0)
