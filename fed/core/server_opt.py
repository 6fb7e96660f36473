"""The server's step from the aggregated update Δ (mean of studio weights minus the global weights).

FedAvg: x ← x + η Δ (η = 1: the plain average). FedAvgM: m ← μ m + Δ, x ← x + η m.
FedAdagrad / FedYogi / FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization"): m ← β1 m + (1 − β1) Δ and
  Adagrad:  v ← v + Δ²;   Yogi: v ← v − (1 − β2) Δ² sign(v − Δ²);   Adam: v ← β2 v + (1 − β2) Δ²;
  x ← x + η m / (√v + τ).
The state (m, v, the round) is a dict of arrays, saved with every checkpoint so a resumed run continues exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

SERVER_OPTIMIZERS = ("fedavg", "fedavgm", "fedadagrad", "fedyogi", "fedadam")


@dataclass(frozen=True)
class ServerOptConfig:
    name: str = "fedavg"
    lr: float = 1.0  # η; the adaptive ones want ~1e-2 … 1e-1
    momentum: float = 0.9  # FedAvgM
    beta1: float = 0.9
    beta2: float = 0.99
    tau: float = 1e-3  # adaptivity: how small √v may get
    initial_v: float = 0.0  # FedAdagrad/Yogi/Adam start value of v (Reddi et al. use τ²)


class ServerOptimizer:
    def __init__(self, config: ServerOptConfig, size: int):
        if config.name not in SERVER_OPTIMIZERS:
            raise ValueError(f"unknown server optimizer {config.name!r}; known: {', '.join(SERVER_OPTIMIZERS)}")
        self.config = config
        self.m = np.zeros(size)
        self.v = np.full(size, config.initial_v)
        self.rounds = 0

    def step(self, weights: np.ndarray, delta: np.ndarray) -> np.ndarray:
        c = self.config
        self.rounds += 1
        if c.name == "fedavg":
            return weights + c.lr * delta
        if c.name == "fedavgm":
            self.m = c.momentum * self.m + delta
            return weights + c.lr * self.m
        self.m = c.beta1 * self.m + (1 - c.beta1) * delta
        d2 = delta**2
        if c.name == "fedadagrad":
            self.v = self.v + d2
        elif c.name == "fedyogi":
            self.v = self.v - (1 - c.beta2) * d2 * np.sign(self.v - d2)
        else:
            self.v = c.beta2 * self.v + (1 - c.beta2) * d2
        return weights + c.lr * self.m / (np.sqrt(self.v) + c.tau)

    def state_dict(self) -> dict:
        return {"config": asdict(self.config), "m": self.m.copy(), "v": self.v.copy(), "rounds": self.rounds}

    def load_state_dict(self, state: dict) -> None:
        if state["config"] != asdict(self.config):
            raise ValueError(f"checkpoint made with server optimizer {state['config']}, not {asdict(self.config)}")
        if np.shape(state["m"]) != self.m.shape:
            raise ValueError(f"checkpoint's optimizer state has {np.size(state['m'])} weights, the model {self.m.size}")
        self.m, self.v, self.rounds = np.array(state["m"]), np.array(state["v"]), int(state["rounds"])
