"""Attributes a synthetic subject can be asked for: outfit kind, body shape, pose, lighting.

They steer the generator for skewed partitions (a studio that mostly films dresses) and for FedGC's prompts
(fed.fedgc). Any attribute left None is drawn as usual. A mix such as "dress=0.8,trousers=0.2" gives the weights a
subject's attribute is drawn with (usr data synth --outfits / --bodies).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from smpl_d.poses import ALL_POSE_KINDS, PHENOTYPE_RANGES

# The main garment of an outfit: a dress, or a bottom (with any top); "suit" = a MakeHuman suit (needs its assets).
OUTFIT_KINDS = ("dress", "skirt", "trousers", "shorts", "suit")
# Body-shape bins: anny phenotype ranges (0..1) of weight and muscle; the other phenotypes are drawn as usual.
BODY_SHAPES: dict[str, dict[str, tuple[float, float]]] = {
    "slim": {"weight": (0.2, 0.4), "muscle": (0.2, 0.45)},
    "average": {"weight": (0.4, 0.6), "muscle": (0.35, 0.65)},
    "heavy": {"weight": (0.6, 0.8), "muscle": (0.45, 0.8)},
}
LIGHTINGS = ("soft", "studio", "hard")  # fill and ambient high → low, key light low → high


@dataclass(frozen=True)
class Attributes:
    outfit: str | None = None
    body: str | None = None
    pose: str | None = None
    lighting: str | None = None

    def __post_init__(self) -> None:
        for name, value, known in (("outfit", self.outfit, OUTFIT_KINDS), ("body", self.body, tuple(BODY_SHAPES)),
                                   ("pose", self.pose, ALL_POSE_KINDS), ("lighting", self.lighting, LIGHTINGS)):
            if value is not None and value not in known:
                raise ValueError(f"{name} {value!r}: known values are {', '.join(known)}")

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def parse_mix(text: str, known: tuple[str, ...], what: str) -> tuple[tuple[str, float], ...]:
    """"dress=0.8,trousers=0.2" (or "dress" alone) → ((dress, 0.8), (trousers, 0.2)); weights need not sum to 1."""
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, weight = part.partition("=")
        name = name.strip()
        if name not in known:
            raise ValueError(f"{what} {name!r} in {text!r}: known values are {', '.join(known)}")
        try:
            w = float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"{what} mix {text!r}: weight {weight!r} of {name} is not a number") from None
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"{what} mix {text!r}: weight of {name} must be a finite number ≥ 0")
        out.append((name, w))
    if out and sum(w for _, w in out) <= 0:
        raise ValueError(f"{what} mix {text!r}: the weights sum to 0")
    return tuple(out)


def draw(mix: tuple[tuple[str, float], ...], rng: np.random.Generator) -> str | None:
    """One value of a mix (None for an empty mix: draw as usual)."""
    if not mix:
        return None
    weights = np.array([w for _, w in mix], float)
    return mix[int(rng.choice(len(mix), p=weights / weights.sum()))][0]


def phenotype_ranges(body: str | None) -> dict[str, tuple[float, float]]:
    """The phenotype ranges of a body-shape bin (the usual ranges for None)."""
    return {**PHENOTYPE_RANGES, **(BODY_SHAPES[body] if body else {})}


def body_shape_of(phenotypes: dict[str, float]) -> str:
    """The bin a body's weight falls in (for the histograms of FedGC's water-filling)."""
    weight = float(phenotypes.get("weight", 0.5))
    return "slim" if weight < 0.4 else "average" if weight < 0.6 else "heavy"


def outfit_kind_of(garment_kinds: list[str]) -> str:
    """The outfit kind of a subject from the kinds / names of its garments (gt/meta.json)."""
    kinds = set(garment_kinds)
    for kind in ("dress", "skirt", "trousers", "shorts"):
        if kind in kinds:
            return kind
    return "suit" if any("suit" in k for k in kinds) else "unknown"
