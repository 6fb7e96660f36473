"""Label boundaries on a mesh as curves: the edges between faces of different labels, walked into chains.

Used by the geometry fine-tune (smooth the curves) and by the boundary-roughness metric (measure them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from usr.mesh.ops import boundary_edges


@dataclass
class Chain:
    vertices: np.ndarray  # vertex ids along the curve
    closed: bool  # a loop (first vertex follows the last)


def label_boundary_edges(mesh: trimesh.Trimesh, face_labels: np.ndarray) -> np.ndarray:
    """E×2 vertex ids of the edges shared by two faces with different labels, plus open-boundary edges."""
    pairs = np.asarray(mesh.face_adjacency)
    edges = np.asarray(mesh.face_adjacency_edges)
    between = edges[face_labels[pairs[:, 0]] != face_labels[pairs[:, 1]]]
    open_edges = np.sort(boundary_edges(np.asarray(mesh.faces), sort=True), axis=1)
    return np.concatenate([between, open_edges.reshape(-1, 2)]).astype(np.int64)


def chains(edges: np.ndarray) -> list[Chain]:
    """Split an edge set into simple chains: they end at vertices where the curve branches or stops."""
    if len(edges) == 0:
        return []
    neighbours: dict[int, list[int]] = {}
    for a, b in edges.tolist():
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    used: set[tuple[int, int]] = set()
    out: list[Chain] = []

    def walk(start: int, nxt: int) -> list[int]:
        path = [start]
        prev, cur = start, nxt
        used.add((min(prev, cur), max(prev, cur)))
        while True:
            path.append(cur)
            if len(neighbours[cur]) != 2 or cur == start:
                return path
            step = next((n for n in neighbours[cur] if (min(cur, n), max(cur, n)) not in used), None)
            if step is None:
                return path
            used.add((min(cur, step), max(cur, step)))
            prev, cur = cur, step

    ends = [v for v, n in neighbours.items() if len(n) != 2]
    for v in ends:
        for n in neighbours[v]:
            if (min(v, n), max(v, n)) not in used:
                out.append(Chain(np.array(walk(v, n)), False))
    for v, ns in neighbours.items():  # what is left are loops
        for n in ns:
            if (min(v, n), max(v, n)) not in used:
                path = walk(v, n)
                closed = path[-1] == path[0]
                out.append(Chain(np.array(path[:-1] if closed else path), closed))
    return out


def resample(points: np.ndarray, closed: bool, spacing: float) -> np.ndarray:
    """Points along a polyline at equal arc-length spacing (at least 3 when the curve is long enough)."""
    p = np.concatenate([points, points[:1]]) if closed else points
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] < 2 * spacing:
        return p[:0]
    t = np.arange(0.0, s[-1] - (spacing * 0.5 if closed else 0.0), spacing)
    return np.stack([np.interp(t, s, p[:, k]) for k in range(3)], 1)


def turning_angles(points: np.ndarray, closed: bool) -> np.ndarray:
    """Angle (rad) between consecutive segments at each interior point (every point of a loop)."""
    if len(points) < 3:
        return np.zeros(0)
    if closed:
        a, b = points - np.roll(points, 1, axis=0), np.roll(points, -1, axis=0) - points
    else:
        a, b = points[1:-1] - points[:-2], points[2:] - points[1:-1]
    cos = np.einsum("nc,nc->n", a, b) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)
    return np.arccos(np.clip(cos, -1.0, 1.0))
