"""How many subjects each studio generates, and of which attribute bins.

    equal          the same number per studio; what they are follows the prompts
    inverse        inversely proportional to the studio's size (small studios get more); bins follow the prompts
    water-filling  one subject at a time to the (studio, bin) cell holding the fewest subjects, private and generated
                   together: the emptiest bins of every studio fill up first, towards one common level

The total is `ratio` × the studios' private training subjects.
"""

from __future__ import annotations

import numpy as np

ALLOCATIONS = ("equal", "inverse", "water-filling")
ANY_BIN = ""  # an allocation cell whose attributes follow the prompts


def _largest_remainder(shares: np.ndarray, total: int) -> list[int]:
    raw = shares / shares.sum() * total
    out = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - out), kind="stable")[: total - int(out.sum())]:
        out[i] += 1
    return [int(v) for v in out]


def allocate(histograms: list[dict[str, int]], ratio: float, mode: str, bins: tuple[str, ...]) -> list[dict[str, int]]:
    """Per studio: bin → subjects to generate (bin ANY_BIN for equal / inverse). `histograms[k]` counts studio k's
    private training subjects per bin."""
    if mode not in ALLOCATIONS:
        raise ValueError(f"allocation {mode!r}: known allocations are {', '.join(ALLOCATIONS)}")
    if not np.isfinite(ratio) or ratio < 0:
        raise ValueError(f"ratio {ratio}: generated subjects per private subject must be a finite number ≥ 0")
    sizes = np.array([sum(h.values()) for h in histograms], float)
    if (sizes <= 0).any():
        empty = [k for k, s in enumerate(sizes) if s <= 0]
        raise ValueError(f"studios {empty} have no private training subjects to mix generated ones with")
    total = int(round(ratio * sizes.sum()))
    if mode == "equal":
        return [{ANY_BIN: n} for n in _largest_remainder(np.ones(len(sizes)), total)]
    if mode == "inverse":
        return [{ANY_BIN: n} for n in _largest_remainder(1.0 / sizes, total)]
    counts = np.array([[h.get(b, 0) for b in bins] for h in histograms], float)
    added = np.zeros_like(counts, dtype=int)
    for _ in range(total):
        level = counts + added
        ties = np.argwhere(level == level.min())  # among the emptiest cells: the studio given least so far
        k, b = min(ties, key=lambda kb: (added[kb[0]].sum(), kb[0], kb[1]))
        added[k, b] += 1
    return [{b: int(added[k, j]) for j, b in enumerate(bins) if added[k, j]} for k in range(len(histograms))]
