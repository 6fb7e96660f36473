"""Simulated studios with skewed data (`usr fed partition`): what makes federation hard and worth measuring.

    garment  each studio films mostly one outfit kind (dress / skirt / trousers / shorts), the rest mixed
    body     each studio mostly one body shape (slim / average / heavy)
    size     studios of very different sizes (subject counts doubling from studio to studio)
    none     every studio draws from the same distribution

Each studio is a normal synthetic folder (`usr data synth` layout: subject folders + splits.json, so its last
subjects are its held-out ones) plus studio.json saying how it was drawn. Real studios are natural partitions:
one folder each, nothing to simulate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from data_tools.attributes import BODY_SHAPES
from data_tools.synth import SynthConfig, synthesize
from usr.io.atomic import write_json_atomic
from usr.progress import Progress, span

SKEWS = ("none", "garment", "body", "size")
SKEWED_OUTFITS = ("dress", "skirt", "trousers", "shorts")


@dataclass(frozen=True)
class PartitionPlan:
    studios: int = 4
    subjects: int = 8  # per studio (size skew: on average); splits.json holds out ~20 % of each studio
    skew: str = "garment"
    dominance: float = 0.8  # share of a studio's subjects drawn from its own bin
    views: int = 6
    size: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        if self.skew not in SKEWS:
            raise ValueError(f"skew {self.skew!r}: known skews are {', '.join(SKEWS)}")
        if self.studios < 1 or self.subjects < 3:
            raise ValueError(f"need ≥ 1 studio of ≥ 3 subjects (train + held out); got {self.studios}, {self.subjects}")
        if not 0.0 <= self.dominance <= 1.0:
            raise ValueError(f"dominance {self.dominance}: must lie in 0..1")


def _mix(bins: tuple[str, ...], own: int, dominance: float) -> str:
    rest = (1.0 - dominance) / max(len(bins) - 1, 1)
    return ",".join(f"{b}={dominance if i == own else rest:.4f}" for i, b in enumerate(bins))


def studio_sizes(plan: PartitionPlan) -> list[int]:
    if plan.skew != "size":
        return [plan.subjects] * plan.studios
    weights = 2.0 ** np.arange(plan.studios)
    return [max(3, int(round(w))) for w in weights / weights.sum() * plan.subjects * plan.studios]


def studio_configs(plan: PartitionPlan) -> list[SynthConfig]:
    """The synthesis settings of every studio (a seed of its own, the skew's mixes)."""
    seeds = np.random.SeedSequence([plan.seed, 5150]).generate_state(plan.studios)
    out = []
    for k, n in enumerate(studio_sizes(plan)):
        outfits = _mix(SKEWED_OUTFITS, k % len(SKEWED_OUTFITS), plan.dominance) if plan.skew == "garment" else ""
        bodies = _mix(tuple(BODY_SHAPES), k % len(BODY_SHAPES), plan.dominance) if plan.skew == "body" else ""
        out.append(SynthConfig(subjects=n, views=plan.views, size=plan.size, seed=int(seeds[k]) % 1_000_000,
                               outfits=outfits, bodies=bodies))
    return out


def make_studios(root: Path, plan: PartitionPlan, progress: Progress | None = None) -> list[Path]:
    """root/studio_<k> for every studio (resumable: finished subjects are kept); returns the studio folders.
    `progress` advances by subjects made (studios differ in size under the size skew)."""
    root = Path(root)
    folders = []
    configs = studio_configs(plan)
    bounds = np.cumsum([0] + [c.subjects for c in configs]) / sum(c.subjects for c in configs)
    for k, config in enumerate(configs):
        folder = root / f"studio_{k}"
        synthesize(folder, config, span(progress, bounds[k], bounds[k + 1], f"studio_{k}"))
        write_json_atomic(folder / "studio.json", {"studio": k, "plan": asdict(plan), "outfits": config.outfits,
                                                   "bodies": config.bodies, "subjects": config.subjects})
        folders.append(folder)
    return folders
