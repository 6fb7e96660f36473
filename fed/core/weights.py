"""Model weights as one flat float64 vector (what aggregation works on), and screening of studio updates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


def model_vector(model: nn.Module) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1).double() for p in model.parameters()]).numpy().copy()


def load_vector(model: nn.Module, vector: np.ndarray) -> None:
    """Write a flat vector into the model's parameters (shapes from the model)."""
    expected = sum(p.numel() for p in model.parameters())
    if vector.shape != (expected,):
        raise ValueError(f"weights vector of shape {vector.shape}; the model has {expected} parameters")
    offset = 0
    with torch.no_grad():
        for p in model.parameters():
            n = p.numel()
            p.copy_(torch.as_tensor(vector[offset:offset + n]).reshape(p.shape).to(p.dtype))
            offset += n


@dataclass
class StudioUpdate:
    """One studio's answer to a round: its new weights minus the global ones, and how many samples it trained on."""

    studio: str
    delta: np.ndarray
    samples: int
    control_delta: np.ndarray | None = None  # SCAFFOLD: the change of the studio's control variate


def screen(updates: list[StudioUpdate], size: int, max_norm: float) -> tuple[list[StudioUpdate], list[str]]:
    """The updates fit to aggregate, and one line per rejected one naming the studio and the reason
    (not a finite vector of the model's size, or a norm above `max_norm`)."""
    kept, rejected = [], []
    for u in updates:
        delta = np.asarray(u.delta)
        if delta.shape != (size,):
            rejected.append(f"studio {u.studio}: update of shape {delta.shape}, the model has {size} weights; rejected")
        elif not np.isfinite(delta).all():
            rejected.append(f"studio {u.studio}: update holds {int((~np.isfinite(delta)).sum())} non-finite values; rejected")
        elif u.samples <= 0:
            rejected.append(f"studio {u.studio}: reports {u.samples} training samples; rejected")
        elif (norm := float(np.linalg.norm(delta))) > max_norm:
            rejected.append(f"studio {u.studio}: update norm {norm:.3g} above the limit {max_norm:.3g}; rejected")
        else:
            kept.append(u)
    return kept, rejected
