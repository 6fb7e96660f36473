"""Central differential privacy at the server (DP-FedAvg, McMahan et al. 2018): every studio's update is clipped
to norm C, the sum gets Gaussian noise of standard deviation σ·C, and is divided by the number of studios; one
studio's whole contribution then moves the sum by at most C (add / remove one studio). ε at δ over the rounds so
far comes from the RDP accountant of Google's dp-accounting; every studio takes part in every round, so no
sampling amplification is claimed. The state (rounds, noise generator) is checkpointed with the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fed.core.aggregation import clip_norms


@dataclass(frozen=True)
class PrivacySettings:
    clip: float  # C: the largest update norm a studio may contribute
    noise_multiplier: float  # σ: noise standard deviation in units of C
    delta: float = 1e-5

    def __post_init__(self) -> None:
        if self.clip <= 0 or self.noise_multiplier <= 0 or not 0 < self.delta < 1:
            raise ValueError(f"DP needs clip > 0, noise multiplier > 0 and 0 < delta < 1; got {self}")


class PrivateAggregator:
    def __init__(self, settings: PrivacySettings, seed: int = 0):
        self.settings = settings
        self.rng = np.random.default_rng(seed)
        self.rounds = 0

    def aggregate(self, updates: np.ndarray) -> np.ndarray:
        """The noisy mean of the clipped updates (K, D) → (D,); one more round for the accountant."""
        s = self.settings
        total = clip_norms(np.asarray(updates, dtype=np.float64), s.clip).sum(0)
        noisy = total + self.rng.normal(0.0, s.noise_multiplier * s.clip, size=total.shape)
        self.rounds += 1
        return noisy / len(updates)

    def epsilon(self) -> float:
        return epsilon_after(self.settings.noise_multiplier, self.rounds, self.settings.delta)

    def state_dict(self) -> dict:
        return {"rounds": self.rounds, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rounds = int(state["rounds"])
        self.rng.bit_generator.state = state["rng"]


def epsilon_after(noise_multiplier: float, rounds: int, delta: float) -> float:
    """ε of `rounds` Gaussian releases with noise multiplier σ at δ (RDP accountant, dp-accounting)."""
    if rounds == 0:
        return 0.0
    try:  # the optional `fed` extra: the rest of the module (clipping, noise) works without it
        import dp_accounting
    except ImportError:
        raise RuntimeError("the privacy accountant needs dp-accounting: pip install -e '.[fed]'") from None
    accountant = dp_accounting.rdp.RdpAccountant()
    accountant.compose(dp_accounting.GaussianDpEvent(noise_multiplier), rounds)
    return float(accountant.get_epsilon(delta))
