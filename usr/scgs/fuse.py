"""SCGS step 1b (v2): one label distribution per face from two sources, weighted by how far each can be trusted there.

- the model's 3D label head (usr.model: trained on exact per-point labels), read at the face centres;
- the views' 2D semantics lifted onto the faces (usr.scgs.votes: confidence, visibility, viewing angle, distance to
  label boundaries), smoothed over the face graph (usr.scgs.regularize.smooth_votes).

A log-linear pool with a weight per source and class:

    log P(c) = head_c · log P_head(c) + views_c · s_f · log P_views(c),  renormalised,

where s_f ∈ [0, 1] is the face's vote support relative to the median face (a face few views saw well leans on the
head), and a source's weight for class c is how reliably it finds c (measured on validation subjects: the 2D parser
calls most open jackets "upper" and bare feet "shoes"; the head is surer there), so an unreliable source's doubt
about a class counts less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from usr.labels import BACKGROUND, NUM_LABELS
from usr.scgs.votes import FaceVotes



# How often each source's own first choice finds a label (recall per label id: background, skin, hair, upper, lower,
# dress, shoes, outer), measured on 14 validation subjects × 4 and 6 views (seeds 3001–3003, never the benchmark's;
# benchmarks/scgs_reliability.py, docs/model.md) with the shipped model and parser; a source's weight for a label is
# its recall / the better source's recall (to the power 1), the views' then × 0.75 — both chosen on the same subjects
# plus 8 subjects captured at 256 px and meshed at 192³ (the web page's setting; seeds 3005–3006): powers 2–4 sharpen
# the head's lead on 'outer' and call sweaters jackets there (wrong garment sets 5 of 44 runs at power 4, 3 at 1;
# label accuracy a tie, 92.1 vs 91.8 %).
HEAD_RECALL = (1.0, 0.877, 0.923, 0.833, 0.963, 0.558, 0.933, 0.804)
VIEWS_RECALL = (1.0, 0.733, 0.953, 0.919, 0.979, 0.710, 0.925, 0.336)
RELIABILITY_POWER = 1.0
VIEWS_SCALE = 0.75


def reliability_weights(mine: tuple[float, ...], other: tuple[float, ...], power: float = RELIABILITY_POWER,
                        scale: float = 1.0) -> tuple[float, ...]:
    """A source's weight per label: its recall relative to the better source's, raised to `power`, times `scale`."""
    return tuple(round(float(scale * (a / max(a, b)) ** power), 3) for a, b in zip(mine, other))


@dataclass(frozen=True)
class FusionWeights:
    head: float | tuple[float, ...] = reliability_weights(HEAD_RECALL, VIEWS_RECALL)  # one weight, or one per label
    views: float | tuple[float, ...] = reliability_weights(VIEWS_RECALL, HEAD_RECALL, scale=VIEWS_SCALE)
    eps: float = 1e-3  # probability floor: one confident source cannot veto a label outright

    def per_class(self, which: str) -> np.ndarray:
        w = np.broadcast_to(np.asarray(getattr(self, which), np.float64), (NUM_LABELS,))
        if (w < 0).any():
            raise ValueError(f"label fusion: negative {which} weights {w.tolist()}")
        return w


def vote_support(votes: FaceVotes) -> np.ndarray:
    """Per face in [0, 1]: its summed vote weight relative to the median face that got any (capped at 1)."""
    seen = votes.support > 0
    median = float(np.median(votes.support[seen])) if seen.any() else 1.0
    return np.clip(votes.support / max(median, 1e-12), 0.0, 1.0)


def _normalised(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.0, None)
    p[:, BACKGROUND] = 0.0
    return p / np.maximum(p.sum(1, keepdims=True), 1e-12)


def fuse(head: np.ndarray | None, views: np.ndarray | None, support: np.ndarray | None,
         weights: FusionWeights = FusionWeights()) -> np.ndarray:
    """F×L distribution from the head's probabilities and the views' (smoothed) vote distribution; either may be
    None (then the other alone)."""
    if head is None and views is None:
        raise ValueError("label fusion: neither the label head nor the views gave labels")
    if views is None:
        return _normalised(head.astype(np.float64))
    if head is None:
        return _normalised(views.astype(np.float64))
    if head.shape != views.shape:
        raise ValueError(f"label fusion: head probabilities {head.shape} vs view votes {views.shape}")
    s = np.ones(len(views)) if support is None else support
    log_head = np.log(_normalised(head.astype(np.float64)) + weights.eps)
    log_views = np.log(_normalised(views.astype(np.float64)) + weights.eps)
    logp = weights.per_class("head")[None] * log_head + weights.per_class("views")[None] * s[:, None] * log_views
    logp[:, BACKGROUND] = -np.inf
    logp -= logp.max(1, keepdims=True)
    return _normalised(np.exp(logp))
