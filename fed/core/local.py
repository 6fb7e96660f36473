"""A studio's local training from the global weights, by algorithm.

- fedavg: plain SGD steps on the studio's own loss;
- fedprox (Li et al. 2020): the gradient gets μ (w − w_global), keeping the local model near the global one;
- scaffold (Karimireddy et al. 2020): the gradient gets c − c_i (server and studio control variates); after K steps
  with learning rate η the studio's variate becomes c_i⁺ = c_i − c + (x − y) / (K η) ("option II") and the studio
  returns Δc = c_i⁺ − c_i; c_i stays in the studio's own state between rounds.
`loss_at(model, step)` gives the studio's loss on its batch for that step (the caller owns data and batches).
The step itself is plain SGD (the textbook form of all three) or Adam (how the field trains; the FedProx and
SCAFFOLD terms are then added to the gradient Adam sees). With Adam, (x − y) / (K η) is no gradient (Adam's steps
are about η per weight whatever the gradient's size), so the studio's new variate is instead the mean of the raw
gradients it met over its K steps: a gradient-sized estimate, as the correction c − c_i it feeds must be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fed.core.weights import load_vector, model_vector

ALGORITHMS = ("fedavg", "fedprox", "scaffold")


@dataclass(frozen=True)
class LocalConfig:
    algorithm: str = "fedavg"
    steps: int = 10
    lr: float = 0.01
    mu: float = 0.01  # FedProx proximal weight
    optimizer: str = "sgd"  # sgd | adam
    lr_scales: tuple[tuple[str, float], ...] = ()  # (parameter-name prefix, multiplier of lr); 0 freezes them


@dataclass
class LocalResult:
    weights: np.ndarray
    control_delta: np.ndarray | None  # SCAFFOLD only
    control: np.ndarray | None  # SCAFFOLD: the studio's new c_i (to keep in its state)
    loss: float


def train_locally(model: nn.Module, loss_at: Callable[[nn.Module, int], torch.Tensor], global_weights: np.ndarray,
                  config: LocalConfig, server_control: np.ndarray | None = None,
                  studio_control: np.ndarray | None = None) -> LocalResult:
    if config.algorithm not in ALGORITHMS:
        raise ValueError(f"unknown local algorithm {config.algorithm!r}; known: {', '.join(ALGORITHMS)}")
    load_vector(model, global_weights)
    params = list(model.parameters())
    rates = [config.lr * _scale(name, config.lr_scales) for name, _ in model.named_parameters()]
    size = global_weights.size
    scaffold = config.algorithm == "scaffold"
    if scaffold:
        server_control = np.zeros(size) if server_control is None else server_control
        studio_control = np.zeros(size) if studio_control is None else studio_control
        correction = _split(server_control - studio_control, params)
    anchor = _split(global_weights, params) if config.algorithm == "fedprox" else None
    if config.optimizer not in ("sgd", "adam"):
        raise ValueError(f"unknown local optimizer {config.optimizer!r}; known: sgd, adam")
    adam = torch.optim.Adam([{"params": [p], "lr": r} for p, r in zip(params, rates) if r > 0],
                            lr=config.lr) if config.optimizer == "adam" else None
    loss = torch.tensor(0.0)
    grad_sum = [torch.zeros_like(p) for p in params] if scaffold and adam is not None else None
    for step in range(config.steps):
        for p in params:
            p.grad = None
        loss = loss_at(model, step)
        loss.backward()
        with torch.no_grad():
            for i, p in enumerate(params):
                g = p.grad if p.grad is not None else torch.zeros_like(p)
                if grad_sum is not None:
                    grad_sum[i] += g
                if anchor is not None:
                    g = g + config.mu * (p - anchor[i])
                if scaffold:
                    g = g + correction[i]
                if adam is None:
                    p -= rates[i] * g
                else:
                    p.grad = g
            if adam is not None:
                adam.step()
    weights = model_vector(model)
    if not scaffold:
        return LocalResult(weights, None, None, float(loss.detach()))
    if grad_sum is not None:
        new_control = np.concatenate([(g / config.steps).reshape(-1).double().numpy() for g in grad_sum])
    else:
        new_control = studio_control - server_control + (global_weights - weights) / (config.steps * config.lr)
    return LocalResult(weights, new_control - studio_control, new_control, float(loss.detach()))


def _scale(name: str, scales: tuple[tuple[str, float], ...]) -> float:
    return next((factor for prefix, factor in scales if name.startswith(prefix)), 1.0)


def _split(vector: np.ndarray, params: list[torch.Tensor]) -> list[torch.Tensor]:
    out, offset = [], 0
    for p in params:
        out.append(torch.as_tensor(vector[offset:offset + p.numel()]).reshape(p.shape).to(p.dtype))
        offset += p.numel()
    return out
