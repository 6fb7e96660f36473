"""SCGS labels of a clothed surface, from whichever sources there are, in one call.

    views' 2D semantics ─ face_votes ─ smooth_votes ─┐
                                                     ├─ fuse ─ graph cut + garment hypotheses + presence ─ islands ─ slivers, holes
    model's 3D label head (at the face centres) ─────┘

`LabelOptions.cut = None` gives the v1 path (arg-max of the distribution, then islands), kept for the ablation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from usr.mesh.graph import face_adjacency_matrix
from usr.recon_spec import LABEL_FUSION
from usr.scgs.cleanup import CleanupOptions, clean_garments
from usr.scgs.fuse import FusionWeights, fuse, vote_support
from usr.scgs.graphcut import CutOptions
from usr.scgs.presence import PresenceOptions, decide
from usr.scgs.regularize import RegularizeOptions, SurfaceLabels, remove_islands, smooth_votes, summarised
from usr.scgs.votes import ViewSemantics, VoteWeights, face_votes


@dataclass(frozen=True)
class LabelOptions:
    source: str = "fused"  # fused | views | head; fused and head fall back to the views when there is no head
    weights: VoteWeights = VoteWeights()
    regularize: RegularizeOptions = RegularizeOptions()
    fusion: FusionWeights = FusionWeights()
    cut: CutOptions | None = CutOptions()  # None: arg-max (v1)
    presence: PresenceOptions | None = PresenceOptions()  # None: every label the cut gives is kept
    cleanup: CleanupOptions = CleanupOptions()

    def __post_init__(self) -> None:
        if self.source not in LABEL_FUSION:
            raise ValueError(f"unknown label source {self.source!r}; known: {', '.join(LABEL_FUSION)}")


KEEP_ALL = PresenceOptions(min_area=0.0, min_evidence=0.0, dress_hypothesis=False)


def label_surface(mesh: trimesh.Trimesh, colours: np.ndarray | None, semantics: list[ViewSemantics],
                  head_probs: np.ndarray | None = None, options: LabelOptions = LabelOptions()) -> SurfaceLabels:
    """Face labels of `mesh` from the views' semantics and/or the label head's F×L probabilities."""
    use_head = options.source != "views" and head_probs is not None
    use_views = options.source != "head" or not use_head
    if use_views and not semantics:
        raise ValueError("labels: no view semantics given (and no label head to use instead)")
    if head_probs is not None and len(head_probs) != len(mesh.faces):
        raise ValueError(f"label head: {len(head_probs)} faces' probabilities for a mesh of {len(mesh.faces)} faces")
    adjacency = face_adjacency_matrix(mesh)
    votes = face_votes(mesh, semantics, options.weights) if use_views else None
    views = smooth_votes(votes, adjacency, options.regularize) if votes is not None else None
    head = head_probs if use_head else None
    probs = fuse(head, views, None if votes is None else vote_support(votes), options.fusion)
    extra = {"sources": [n for n, used in (("head", use_head), ("views", use_views)) if used]}
    if options.cut is None:
        labels = probs.argmax(1).astype(np.uint8)
    else:
        sources = (head, views) if use_head and use_views else None
        decision = decide(mesh, probs, colours, options.cut, options.presence or KEEP_ALL, sources)
        labels = decision.labels
        extra.update({"garments": {k: v.as_dict() for k, v in decision.evidence.items()},
                      "garments_dropped": {k: v.as_dict() for k, v in decision.dropped.items()},
                      "garment_hypothesis": decision.hypothesis})
    labels = remove_islands(mesh, labels, adjacency, options.regularize.min_island_area).astype(np.uint8)
    labels = clean_garments(mesh, labels, adjacency, options.cleanup)
    if votes is not None:
        consistency, unseen = votes.consistency(labels), votes.support <= 0
    else:
        consistency, unseen = probs[np.arange(len(labels)), labels], np.zeros(len(labels), bool)
    out = summarised(mesh, labels, consistency, unseen, options.regularize.low_consistency)
    out.summary.update(extra)
    return out
