"""One server round without Flower: screen the studios' updates, aggregate them (robustly if asked), take the
server optimizer's step, and (SCAFFOLD) move the server control variate."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fed.core.aggregation import aggregate_and_select
from fed.core.privacy import PrivateAggregator
from fed.core.server_opt import ServerOptimizer
from fed.core.weights import StudioUpdate, screen


@dataclass(frozen=True)
class RoundConfig:
    rule: str = "mean"  # aggregation.RULES
    byzantine: int = 1  # bad studios the robust rules allow for
    clip: float | None = None  # norm clipping of every update before aggregation
    max_norm: float = 1e6  # updates above this norm are rejected outright (a broken or hostile studio)


@dataclass
class RoundOutcome:
    weights: np.ndarray
    server_control: np.ndarray | None
    used: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # one log line per rejected studio
    epsilon: float | None = None  # with DP: ε spent so far (at the aggregator's δ)
    selected: list[str] | None = None  # (multi-)Krum: the studios whose updates were averaged (None: every one used)


def server_round(weights: np.ndarray, updates: list[StudioUpdate], optimizer: ServerOptimizer, config: RoundConfig,
                 server_control: np.ndarray | None = None, studios: int | None = None,
                 private: PrivateAggregator | None = None) -> RoundOutcome:
    """The new global weights from this round's updates; a round where every update is rejected keeps them.
    With `private`, the updates are combined by DP-FedAvg (clip, sum, Gaussian noise) instead of `config.rule`."""
    kept, rejected = screen(updates, weights.size, config.max_norm)
    if not kept:
        return RoundOutcome(weights, server_control, [], rejected)
    deltas = np.stack([u.delta for u in kept])
    samples = np.array([u.samples for u in kept], dtype=np.float64)
    chosen = None
    if private is not None:
        delta = private.aggregate(deltas)
    else:
        delta, chosen = aggregate_and_select(deltas, samples, config.rule, min(config.byzantine, max(0, (len(kept) - 3))),
                                             config.clip)
    new_weights = optimizer.step(weights, delta)
    if server_control is not None:
        controls = [u.control_delta for u in kept if u.control_delta is not None]
        if controls:
            share = len(controls) / max(studios or len(controls), len(controls))
            server_control = server_control + share * np.mean(controls, axis=0)
    return RoundOutcome(new_weights, server_control, [u.studio for u in kept], rejected,
                        private.epsilon() if private is not None else None,
                        None if chosen is None else [kept[i].studio for i in chosen])
