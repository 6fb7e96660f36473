"""SCGS step 2 (v2): face labels by a graph cut on the mesh — α-expansion of a Potts energy (Boykov, Veksler & Zabih).

    E(labels) = Σ_f area_f · cost[f, label_f]  +  λ Σ_(f,g adjacent) w_fg · [label_f ≠ label_g]

`cost` is −log of the fused label distribution (usr.scgs.fuse), so the first term is the area labelled against the
evidence; `w_fg` is the shared edge's length times a contrast term that makes a label boundary cheap where the surface
bends sharply (a seam, a cuff, a hem) or its colour changes, so boundaries follow them rather than the mesh's triangles.
Each expansion move is one min-cut (PyMaxflow); labels outside `allowed` are never given.
"""

from __future__ import annotations

from dataclasses import dataclass

import maxflow
import numpy as np
import trimesh

from usr.labels import BACKGROUND, NUM_LABELS


@dataclass(frozen=True)
class CutOptions:
    smoothness: float = 0.06  # λ (m): a boundary metre costs as much as λ m² labelled against 1 nat of evidence —
    # a region of radius r against c nats/m² of evidence is only worth its own label when r > 2λ/c. Chosen on
    # validation subjects (0.0075 … 0.25: 0.06 best at 4 and 6 views; docs/model.md)
    colour_sigma: float = 30.0  # RGB distance at which the contrast term has fallen to e^-½
    crease_sigma: float = 0.3  # 1 − cos(dihedral angle) at which it has fallen to e^-½
    floor: float = 0.1  # the contrast term never drops below this share of a plain edge
    cycles: int = 4  # sweeps over the labels at most (stops when a sweep lowers the energy no more)


@dataclass
class MeshEdges:
    """The interior edges of a mesh as pairs of adjacent faces with their Potts weight w_fg (metres)."""

    pairs: np.ndarray  # E×2 face indices
    weights: np.ndarray  # E

    @staticmethod
    def of(mesh: trimesh.Trimesh, colours: np.ndarray | None, options: CutOptions = CutOptions()) -> "MeshEdges":
        pairs = np.asarray(mesh.face_adjacency)
        if not len(pairs):
            return MeshEdges(np.zeros((0, 2), np.int64), np.zeros(0))
        v = np.asarray(mesh.vertices)
        ends = np.asarray(mesh.face_adjacency_edges)
        length = np.linalg.norm(v[ends[:, 0]] - v[ends[:, 1]], axis=1)
        normals = np.asarray(mesh.face_normals)
        crease = 1.0 - np.einsum("ec,ec->e", normals[pairs[:, 0]], normals[pairs[:, 1]])
        contrast = np.exp(-0.5 * (crease / options.crease_sigma) ** 2)
        if colours is not None:
            face_rgb = np.asarray(colours, np.float64)[np.asarray(mesh.faces)].mean(1)
            diff = np.linalg.norm(face_rgb[pairs[:, 0]] - face_rgb[pairs[:, 1]], axis=1)
            contrast = contrast * np.exp(-0.5 * (diff / options.colour_sigma) ** 2)
        return MeshEdges(pairs, length * (options.floor + (1.0 - options.floor) * contrast))


def energy(labels: np.ndarray, unary: np.ndarray, edges: MeshEdges, smoothness: float) -> float:
    """E(labels) with `unary` already area-weighted (F×L)."""
    data = unary[np.arange(len(labels)), labels].sum()
    cut = edges.weights[labels[edges.pairs[:, 0]] != labels[edges.pairs[:, 1]]].sum()
    return float(data + smoothness * cut)


def _expand(labels: np.ndarray, alpha: int, unary: np.ndarray, edges: MeshEdges, smoothness: float) -> np.ndarray:
    """One α-expansion move: every face keeps its label or takes `alpha`, whichever the min-cut says."""
    n = len(labels)
    cost_keep = unary[np.arange(n), labels].astype(np.float64)  # x = 0
    cost_alpha = unary[:, alpha].astype(np.float64).copy()  # x = 1
    i, j = edges.pairs[:, 0], edges.pairs[:, 1]
    w = smoothness * edges.weights
    a = w * (labels[i] != labels[j])  # E(0, 0)
    b = w * (labels[i] != alpha)  # E(0, 1): i keeps, j takes α
    c = w * (labels[j] != alpha)  # E(1, 0)
    # E = a + (c − a)·x_i + (0 − c)·x_j + (b + c − a)·(1 − x_i)·x_j   (d = E(1, 1) = 0; b + c ≥ a: Potts is a metric)
    np.add.at(cost_alpha, i, c - a)
    np.add.at(cost_alpha, j, -c)
    shift = np.minimum(cost_keep, cost_alpha)
    graph = maxflow.Graph[float](n, len(i))
    nodes = graph.add_nodes(n)
    graph.add_grid_tedges(nodes, cost_alpha - shift, cost_keep - shift)  # in the sink's segment ⇔ x = 1 (takes α)
    graph.add_edges(i.astype(np.int64), j.astype(np.int64), np.maximum(b + c - a, 0.0), np.zeros(len(i)))
    graph.maxflow()
    take = graph.get_grid_segments(nodes)
    return np.where(take, alpha, labels)


def graph_cut(mesh: trimesh.Trimesh, probs: np.ndarray, colours: np.ndarray | None = None,
              options: CutOptions = CutOptions(), allowed: np.ndarray | None = None,
              edges: MeshEdges | None = None, eps: float = 1e-4,
              init: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Face labels minimising E for the label distributions `probs` (F×L), and that energy. `allowed`: the labels that
    may be given (bool L; background never is); `init`: labels to start from (e.g. a cut with one label more), faces
    with a label not allowed start at their best allowed one."""
    unary, usable = label_costs(mesh, probs, allowed, eps)
    edges = edges or MeshEdges.of(mesh, colours, options)
    labels = usable[np.argmin(unary[:, usable], axis=1)]
    if init is not None:
        labels = np.where(np.isin(init, usable), init, labels)
    best = energy(labels, unary, edges, options.smoothness)
    for _ in range(options.cycles):
        before = best
        for alpha in usable:
            trial = _expand(labels, int(alpha), unary, edges, options.smoothness)
            e = energy(trial, unary, edges, options.smoothness)
            if e < best - 1e-12:
                labels, best = trial, e
        if best >= before - 1e-9 * max(abs(before), 1.0):
            break
    return labels.astype(np.uint8), best


def label_costs(mesh: trimesh.Trimesh, probs: np.ndarray, allowed: np.ndarray | None = None,
                eps: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted −log probabilities (F×L; labels that may not be given, background included, cost as much as
    the area itself × 1e6) and the ids of the labels that may."""
    if probs.shape != (len(mesh.faces), NUM_LABELS):
        raise ValueError(f"label probabilities of shape {probs.shape}, expected {(len(mesh.faces), NUM_LABELS)}")
    forbid = np.zeros(NUM_LABELS, bool)
    forbid[BACKGROUND] = True
    if allowed is not None:
        forbid |= ~np.asarray(allowed, bool)
    if forbid.all():
        raise ValueError("graph cut: no label is allowed")
    cost = -np.log(np.clip(probs, 0.0, 1.0) + eps)
    cost[:, forbid] = 1e6
    return np.asarray(mesh.area_faces)[:, None] * cost, np.flatnonzero(~forbid)
