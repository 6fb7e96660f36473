"""Combining studio updates: the sample-weighted mean, and rules that a few bad studios cannot steer.

All take a (K, D) array of updates (one row per studio) and return one (D,) update.
- coordinate median, trimmed mean (drop the `trim` largest and smallest values per coordinate);
- Krum / multi-Krum (Blanchard et al. 2017): score each update by the squared distances to its K − f − 2 nearest
  others, average the `m` best-scored (m = 1: Krum);
- norm clipping: scale every update down to at most `max_norm` before any rule.
"""

from __future__ import annotations

import numpy as np

RULES = ("mean", "median", "trimmed-mean", "krum", "multi-krum")


def weighted_mean(updates: np.ndarray, samples: np.ndarray) -> np.ndarray:
    w = np.asarray(samples, dtype=np.float64)
    return (updates * (w / w.sum())[:, None]).sum(0)


def coordinate_median(updates: np.ndarray) -> np.ndarray:
    return np.median(updates, axis=0)


def trimmed_mean(updates: np.ndarray, trim: int) -> np.ndarray:
    k = len(updates)
    if not 0 <= 2 * trim < k:
        raise ValueError(f"trimmed mean: cannot drop {trim} from each side of {k} updates")
    ordered = np.sort(updates, axis=0)
    return ordered[trim:k - trim].mean(0)


def krum_selection(updates: np.ndarray, byzantine: int, selected: int = 1) -> np.ndarray:
    """Row indices of the `selected` best-scored updates (ascending score)."""
    k = len(updates)
    neighbours = k - byzantine - 2
    if neighbours < 1 or not 1 <= selected <= k - byzantine:
        raise ValueError(f"Krum: {k} updates cannot tolerate {byzantine} bad ones (needs K > f + 2)")
    d2 = ((updates[:, None, :] - updates[None, :, :]) ** 2).sum(-1)
    scores = np.sort(d2, axis=1)[:, 1:neighbours + 1].sum(1)  # column 0 is the distance to itself
    return np.argsort(scores, kind="stable")[:selected]


def krum(updates: np.ndarray, byzantine: int, selected: int = 1) -> np.ndarray:
    return updates[krum_selection(updates, byzantine, selected)].mean(0)


def clip_norms(updates: np.ndarray, max_norm: float) -> np.ndarray:
    norms = np.linalg.norm(updates, axis=1, keepdims=True)
    return updates * np.minimum(1.0, max_norm / np.maximum(norms, 1e-12))


def aggregate(updates: np.ndarray, samples: np.ndarray, rule: str = "mean", byzantine: int = 1,
              clip: float | None = None) -> np.ndarray:
    """One update from K: `rule` in RULES (`byzantine`: how many bad studios the robust rules allow for)."""
    return aggregate_and_select(updates, samples, rule, byzantine, clip)[0]


def aggregate_and_select(updates: np.ndarray, samples: np.ndarray, rule: str = "mean", byzantine: int = 1,
                         clip: float | None = None) -> tuple[np.ndarray, list[int] | None]:
    """`aggregate`, and for (multi-)Krum the rows it averaged (None for the other rules, which use every row)."""
    if rule not in RULES:
        raise ValueError(f"unknown aggregation {rule!r}; known: {', '.join(RULES)}")
    updates = np.asarray(updates, dtype=np.float64)
    if clip is not None:
        updates = clip_norms(updates, clip)
    if rule == "mean":
        return weighted_mean(updates, samples), None
    if rule == "median":
        return coordinate_median(updates), None
    if rule == "trimmed-mean":
        return trimmed_mean(updates, byzantine), None
    chosen = krum_selection(updates, byzantine, 1 if rule == "krum" else max(1, len(updates) - byzantine))
    return updates[chosen].mean(0), sorted(int(i) for i in chosen)
