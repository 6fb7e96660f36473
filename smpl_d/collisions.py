"""Collisions after a swap or try-on: garments out of the body, and garment layers stacked in order.

Both work on what the binding already knows: the body is closed (signed distances are valid), and every
garment vertex has a height above the body surface along its anchor's normal. A layer further out in
`usr.labels.STACKED_GARMENTS` (the layer order without hair and shoes, which cover their own body parts) is
lifted wherever it would sit below a layer further in over the same patch of body.
"""

from __future__ import annotations

import numpy as np
import trimesh
from jaxtyping import Float, Int

from smpl_d.binding import Binding, bind, unbind
from usr.geometry.distance import MeshQuery, push_outside
from usr.labels import STACKED_GARMENTS
from usr.mesh.graph import vertex_adjacency

BODY_CLEARANCE = 0.003  # metres a garment keeps from the skin …
MIN_CLEARANCE = 0.0005  # … or less, down to this, where it sat closer on its own wearer (a tight garment stays tight)
LAYER_GAP = 0.003  # metres between stacked layers


def inside_fraction(points: Float[np.ndarray, "n 3"], body_vertices: np.ndarray, body_faces: np.ndarray) -> float:
    """Share of points strictly inside the (closed) body."""
    if len(points) == 0:
        return 0.0
    return float((MeshQuery(body_vertices, body_faces).signed_distance(points) < 0.0).mean())


def own_clearance(
    vertices: Float[np.ndarray, "n 3"], body_vertices: np.ndarray, body_faces: np.ndarray
) -> Float[np.ndarray, "n"]:
    """Per garment vertex: the gap it keeps from a body, its height above the body it was made on, within
    [MIN_CLEARANCE, BODY_CLEARANCE]. A garment put back on its own wearer then stays where it was, except where
    it dipped into the fitted body."""
    height = MeshQuery(body_vertices, body_faces).signed_distance(vertices)
    return np.clip(height, MIN_CLEARANCE, BODY_CLEARANCE)


def push_out_of_body(
    vertices: Float[np.ndarray, "n 3"],
    body_vertices: Float[np.ndarray, "v 3"],
    body_faces: Int[np.ndarray, "f 3"],
    clearance: float | np.ndarray = BODY_CLEARANCE,
) -> Float[np.ndarray, "n 3"]:
    """Garment vertices closer than `clearance` (one value or one per vertex) to the skin, or inside it, moved to
    `clearance` outside it."""
    return push_outside(vertices, MeshQuery(body_vertices, body_faces), clearance)


def _coverage_heights(binding: Binding, body_faces: np.ndarray, n_body: int, body_neighbours) -> np.ndarray:
    """Per body vertex: the highest garment height bound near it (−inf where the garment does not cover)."""
    heights = np.full(n_body, -np.inf)
    corners = body_faces[binding.triangle]
    for k in range(3):
        np.maximum.at(heights, corners[:, k], binding.height)
    covered = np.isfinite(heights)
    # close one-vertex holes: an uncovered vertex whose neighbours are covered takes their max
    rows, cols = body_neighbours.nonzero()
    fill = np.full(n_body, -np.inf)
    np.maximum.at(fill, rows, np.where(covered[cols], heights[cols], -np.inf))
    return np.where(covered, heights, fill)


def _interpolate(floor: np.ndarray, body_faces: np.ndarray, binding: Binding) -> np.ndarray:
    """Per bound vertex: the floor at its anchor, from the covered corners only (−inf where none is)."""
    corner = floor[body_faces[binding.triangle]]
    defined = np.isfinite(corner)
    weight = np.where(defined, binding.barycentric, 0.0)
    total = weight.sum(1)
    value = (np.where(defined, corner, 0.0) * weight).sum(1) / np.maximum(total, 1e-12)
    return np.where(total > 0, value, -np.inf)


def stack_layers(
    layers: dict[str, Float[np.ndarray, "n 3"]],
    body_vertices: Float[np.ndarray, "v 3"],
    body_faces: Int[np.ndarray, "f 3"],
    gap: float = LAYER_GAP,
    tucked: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Vertices of each layer, lifted so that no layer dips under one further in (by at least `gap`), except by
    `tucked` (per layer and vertex: how far it was worn under them, a shirt tucked into trousers)."""
    order = [name for name in STACKED_GARMENTS if name in layers]
    out = {name: np.asarray(v, dtype=np.float64) for name, v in layers.items()}
    if len(order) < 2:
        return out
    tucked = tucked or {}
    neighbours = vertex_adjacency(trimesh.Trimesh(body_vertices, body_faces, process=False))
    floor = np.full(len(body_vertices), -np.inf)
    for name in order:
        binding = bind(out[name], body_vertices, body_faces)
        for _ in range(8):  # a lifted vertex may bind to a neighbouring triangle: check again
            required = _interpolate(floor, body_faces, binding) + gap - tucked.get(name, 0.0)
            low = binding.height < required - 1e-9
            if not low.any():
                break
            binding.offset[low, 2] = required[low]
            out[name] = np.where(low[:, None], unbind(binding, body_vertices, body_faces), out[name])
            binding = bind(out[name], body_vertices, body_faces)
        floor = np.maximum(floor, _coverage_heights(binding, body_faces, len(body_vertices), neighbours))
    return out


def tucked_depths(
    layers: dict[str, Float[np.ndarray, "n 3"]], body_vertices: np.ndarray, body_faces: np.ndarray, gap: float = LAYER_GAP
) -> dict[str, np.ndarray]:
    """Per layer and vertex: how far it sits under the layers further in (within `gap` of them counts), 0 where
    it is over them: what `stack_layers` leaves alone when the garment is worn again."""
    neighbours = vertex_adjacency(trimesh.Trimesh(body_vertices, body_faces, process=False))
    floor = np.full(len(body_vertices), -np.inf)
    out = {name: np.zeros(len(v)) for name, v in layers.items()}
    for name in [name for name in STACKED_GARMENTS if name in layers]:
        binding = bind(layers[name], body_vertices, body_faces)
        required = _interpolate(floor, body_faces, binding) + gap
        out[name] = np.where(np.isfinite(required), np.maximum(required - binding.height, 0.0), 0.0)
        floor = np.maximum(floor, _coverage_heights(binding, body_faces, len(body_vertices), neighbours))
    return out


def crossing_fraction(
    inner: Float[np.ndarray, "n 3"], outer: Float[np.ndarray, "m 3"], body_vertices: np.ndarray, body_faces: np.ndarray
) -> float:
    """Share of the outer layer's vertices that sit below the inner layer over the same patch of body."""
    neighbours = vertex_adjacency(trimesh.Trimesh(body_vertices, body_faces, process=False))
    floor = _coverage_heights(bind(inner, body_vertices, body_faces), body_faces, len(body_vertices), neighbours)
    outer_binding = bind(outer, body_vertices, body_faces)
    required = _interpolate(floor, body_faces, outer_binding)
    return float((outer_binding.height < required).sum() / max(len(outer), 1))
