"""SCGS step 2b (v2): which garments the person wears, decided, not assumed from whatever labels the faces got.

1. **Dress or upper + lower**, as whole-garment hypotheses: the graph cut once without the dress and once without
   upper and lower; the labelling of lower energy wins (a dress that the views half call "upper" stays one dress, a
   shirt and skirt never become a patchwork with dress bits).
2. **Presence:** a garment stays only if its area passes a threshold and its evidence does: how much the energy
   rises when the surface is cut again without it (nats × m²: a small garment the sources are sure of keeps its
   layer; a large patch they half believe does not). The weakest garment below the thresholds is dropped and the
   rest are weighed again, until every garment left passes.
Each garment's evidence (area, confidence = the area-weighted mean probability of its label on its faces, the
energy it saves, the share of its area where both sources' own first choice agree with it) goes into report.json.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from usr.labels import BACKGROUND, DRESS, GARMENT_LABELS, LABEL_NAMES, LOWER, NUM_LABELS, UPPER
from usr.scgs.graphcut import CutOptions, MeshEdges, graph_cut


@dataclass(frozen=True)
class PresenceOptions:
    min_area: float = 0.01  # m²: a smaller garment is not one (a hand of a sleeve, a speck of "outer")
    min_evidence: float = 0.11  # nats × m²: the middle of the gap between phantoms (≤ 0.086) and real garments
    # (≥ 0.132) on the validation subjects at these settings (docs/model.md)
    dress_hypothesis: bool = True


@dataclass
class GarmentEvidence:
    area_m2: float
    confidence: float
    agreement: float | None  # None when only one source gave labels
    evidence: float = float("inf")  # energy saved by having this garment (nats × m²); inf: not weighed

    def as_dict(self) -> dict:
        return {"area_m2": round(self.area_m2, 5), "confidence": round(self.confidence, 3),
                "agreement": None if self.agreement is None else round(self.agreement, 3),
                "evidence": None if not np.isfinite(self.evidence) else round(self.evidence, 4)}


@dataclass
class Decision:
    labels: np.ndarray  # F uint8
    evidence: dict[str, GarmentEvidence]  # the garments kept
    dropped: dict[str, GarmentEvidence]  # garments the faces first got but the person is judged not to wear
    hypothesis: str | None  # "dress" / "upper+lower" when both were weighed
    energies: dict[str, float]


def garment_evidence(mesh: trimesh.Trimesh, labels: np.ndarray, probs: np.ndarray,
                     sources: tuple[np.ndarray, np.ndarray] | None = None,
                     allowed: np.ndarray | None = None) -> dict[int, GarmentEvidence]:
    """Per garment label present: its area, mean probability over its faces (among the `allowed` labels: under the
    upper+lower hypothesis a face's "dress" share is not counted against its "upper"), and (given both sources' F×L
    distributions) the share of its area where both sources' first choice is that label."""
    if allowed is not None:
        probs = probs * allowed[None]
        probs = probs / np.maximum(probs.sum(1, keepdims=True), 1e-12)
    area = np.asarray(mesh.area_faces)
    firsts = None if sources is None else [s.argmax(1) for s in sources]
    out = {}
    for label in GARMENT_LABELS:
        on = labels == label
        a = float(area[on].sum())
        if a <= 0:
            continue
        conf = float((probs[on, label] * area[on]).sum() / a)
        agree = None if firsts is None else float(area[on & (firsts[0] == label) & (firsts[1] == label)].sum() / a)
        out[label] = GarmentEvidence(a, conf, agree)
    return out


def decide(mesh: trimesh.Trimesh, probs: np.ndarray, colours: np.ndarray | None = None,
           cut: CutOptions = CutOptions(), options: PresenceOptions = PresenceOptions(),
           sources: tuple[np.ndarray, np.ndarray] | None = None) -> Decision:
    """Face labels by the graph cut under the garment hypotheses and presence thresholds."""
    edges = MeshEdges.of(mesh, colours, cut)
    allowed = np.ones(NUM_LABELS, bool)
    allowed[BACKGROUND] = False
    labels, e = graph_cut(mesh, probs, options=cut, allowed=allowed, edges=edges)
    energies, hypothesis = {"free": e}, None
    if options.dress_hypothesis and np.isin(labels, (DRESS, UPPER, LOWER)).any():
        no_dress, dress_only = allowed.copy(), allowed.copy()
        no_dress[DRESS] = False
        dress_only[[UPPER, LOWER]] = False
        ul, e_ul = graph_cut(mesh, probs, options=cut, allowed=no_dress, edges=edges, init=labels)
        d, e_d = graph_cut(mesh, probs, options=cut, allowed=dress_only, edges=edges, init=labels)
        energies.update({"upper+lower": e_ul, "dress": e_d})
        hypothesis, labels, allowed, e = (("dress", d, dress_only, e_d) if e_d < e_ul
                                          else ("upper+lower", ul, no_dress, e_ul))
    dropped: dict[str, GarmentEvidence] = {}
    weigh = options.min_evidence > 0
    while True:
        evidence = garment_evidence(mesh, labels, probs, sources, allowed)
        without = {}
        for lab, ev in evidence.items():
            if weigh:
                trial = allowed.copy()
                trial[lab] = False
                without[lab] = graph_cut(mesh, probs, options=cut, allowed=trial, edges=edges, init=labels)
                ev.evidence = without[lab][1] - e
        failing = [lab for lab, ev in evidence.items()
                   if ev.area_m2 < options.min_area or ev.evidence < options.min_evidence]
        if not failing:
            break
        weakest = min(failing, key=lambda lab: (evidence[lab].evidence, evidence[lab].area_m2))
        dropped[LABEL_NAMES[weakest]] = evidence[weakest]
        allowed[weakest] = False
        labels, e = without[weakest] if weakest in without else graph_cut(mesh, probs, options=cut, allowed=allowed,
                                                                          edges=edges, init=labels)
        energies["final"] = e
    return Decision(labels, {LABEL_NAMES[k]: v for k, v in evidence.items()}, dropped, hypothesis, energies)
