"""Mesh operations over numpy arrays (vertices (V, 3), faces (F, 3)), the one home of the project's mesh helpers.

Plain functions in the style of trimesh's topic modules: no mesh objects, vertex and face order kept, so results
are deterministic and callers (SCGS layers, the edge fine-tune, SMPL-D binding and drape, the synthetic garments
and renderer) share one implementation each.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
from jaxtyping import Bool, Float, Int
from scipy.sparse.csgraph import connected_components


def face_edges(faces: Int[np.ndarray, "f 3"]) -> Int[np.ndarray, "e 2"]:
    """Directed edges of every face as in the face (0→1, 1→2, 2→0): all first edges, then second, then third."""
    return np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])


def unique_edges(faces: Int[np.ndarray, "f 3"]) -> Int[np.ndarray, "e 2"]:
    """Each edge once, as (low, high) vertex ids, rows sorted."""
    return np.unique(np.sort(face_edges(faces), axis=1), axis=0)


def boundary_edges(faces: Int[np.ndarray, "f 3"], sort: bool = False) -> Int[np.ndarray, "e 2"]:
    """Edges that belong to exactly one face, directed as in that face, in face-corner order (`face_edges`).

    `sort`: the same edges in the order of their (high, low) vertex ids (still directed as in their face), the
    order trimesh's `group_rows` gives them and SCGS has always used."""
    e = face_edges(faces)
    _, inverse, counts = np.unique(np.sort(e, axis=1), axis=0, return_inverse=True, return_counts=True)
    edges = e[counts[inverse.ravel()] == 1]
    if sort:
        low, high = edges.min(1), edges.max(1)
        edges = edges[np.lexsort((low, high))]
    return edges


def _face_cross(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    return np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]])


def face_normals(
    vertices: Float[np.ndarray, "v 3"], faces: Int[np.ndarray, "f 3"], eps: float = 1e-18
) -> Float[np.ndarray, "f 3"]:
    """Unit face normals (right-hand rule); a degenerate face's normal is ~0 (its length floored at `eps`)."""
    n = _face_cross(vertices, faces)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), eps)


def vertex_normals(vertices: Float[np.ndarray, "v 3"], faces: Int[np.ndarray, "f 3"]) -> Float[np.ndarray, "v 3"]:
    """Area-weighted unit vertex normals (trimesh's `vertex_normals` weight by angle: not the same numbers)."""
    fn = _face_cross(vertices, faces)
    vn = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(vn, faces[:, k], fn)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def select_faces(vertices, faces, face_mask) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The selected faces with compacted vertices (order kept); also the kept vertex ids."""
    f = faces[face_mask]
    used = np.unique(f)
    remap = np.full(len(vertices), -1)
    remap[used] = np.arange(len(used))
    return vertices[used], remap[f], used


def submesh(vertices, faces, vertex_mask) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faces whose three vertices are selected, with compacted vertices; also the kept vertex ids."""
    return select_faces(vertices, faces, vertex_mask[faces].all(1))


def vertex_components(faces: Int[np.ndarray, "f 3"], n_vertices: int) -> Int[np.ndarray, "v"]:
    """Connected-component id of every vertex (edges of the faces)."""
    e = face_edges(faces)
    adj = sp.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n_vertices, n_vertices))
    return connected_components(adj, directed=False)[1]


def largest_components(
    faces: Int[np.ndarray, "f 3"], n_vertices: int, min_fraction: float = 0.02
) -> Bool[np.ndarray, "f"]:
    """Mask of faces in connected components holding at least `min_fraction` of the faces."""
    fc = vertex_components(faces, n_vertices)[faces[:, 0]]
    counts = np.bincount(fc)
    return counts[fc] >= max(1, min_fraction * len(faces))


def laplacian_smooth(vertices, faces, iterations: int = 3, lam: float = 0.5, fixed=None) -> np.ndarray:
    """Uniform Laplacian smoothing (boundary vertices move too unless `fixed`)."""
    v = vertices.copy()
    n = len(v)
    e = face_edges(faces)
    e = np.concatenate([e, e[:, ::-1]])
    deg = np.bincount(e[:, 0], minlength=n).astype(np.float64)
    for _ in range(iterations):
        acc = np.zeros_like(v)
        np.add.at(acc, e[:, 0], v[e[:, 1]])
        avg = acc / np.maximum(deg, 1)[:, None]
        step = lam * (avg - v)
        if fixed is not None:
            step[fixed] = 0
        v = v + step
    return v


def split_nonmanifold(faces: Int[np.ndarray, "f 3"]) -> tuple[np.ndarray, np.ndarray]:
    """Faces re-indexed so that every vertex is one fan of faces joined by shared edges; and each new vertex's
    original id. A vertex where two pieces of a sheet only touch (a bow-tie) becomes one vertex per piece."""
    f = np.asarray(faces, dtype=np.int64)
    corners = np.arange(f.size).reshape(f.shape)
    start, end = f.reshape(-1), np.roll(f, -1, axis=1).reshape(-1)  # directed edge k → k+1 of every face
    c_start, c_end = corners.reshape(-1), np.roll(corners, -1, axis=1).reshape(-1)
    _, group, count = np.unique(np.sort(np.stack([start, end], 1), 1), axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    order = np.argsort(group, kind="stable")
    order = order[count[group[order]] == 2]  # edges shared by exactly two faces, pairwise consecutive
    a, b = order[0::2], order[1::2]
    same = start[a] == start[b]
    rows = np.concatenate([c_start[a], c_end[a]])
    cols = np.concatenate([np.where(same, c_start[b], c_end[b]), np.where(same, c_end[b], c_start[b])])
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(f.size, f.size))
    n, comp = connected_components(graph, directed=False)
    original = np.zeros(n, np.int64)
    original[comp] = f.reshape(-1)
    return comp.reshape(f.shape), original


def thicken(
    vertices: Float[np.ndarray, "v 3"],
    faces: Int[np.ndarray, "f 3"],
    thickness: float,
    normals: Float[np.ndarray, "v 3"] | None = None,
    rim: Literal["outward", "inward"] = "outward",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed shell from an open sheet: the sheet, a copy moved `thickness` along the vertex normals (negative:
    against them), and a rim of two triangles on every open edge joining the two.

    The surface further along the normals keeps the sheet's orientation and the other is reversed: thickness > 0
    makes the sheet the inner surface (a garment grown outwards from the body, data_tools), thickness < 0 keeps the
    sheet as the outer surface (an SCGS layer grown into the person). `normals` default to `vertex_normals`.
    `rim`: "outward" winds the rim like the rest of the shell (a watertight solid of positive volume), quad by quad
    along the open edges in `boundary_edges(sort=True)` order; "inward" is the synthetic garments' rim (every
    edge's first triangle, then every edge's second, in face-corner order, wound towards the inside), kept so the
    synthetic subjects stay byte-identical.

    Returns the vertices (sheet, then copy), the faces (sheet, copy, rim) and a mask of the reversed surface's
    faces (the inner one: it faces the body).
    """
    vertices, faces = np.asarray(vertices), np.asarray(faces)
    n = len(vertices)
    normals = vertex_normals(vertices, faces) if normals is None else np.asarray(normals)
    outwards = thickness > 0
    v = np.concatenate([vertices, vertices + normals * thickness])
    sheet, copy = (faces[:, ::-1], faces + n) if outwards else (faces, faces[:, ::-1] + n)
    edges = boundary_edges(faces, sort=rim == "outward")
    # the rim runs along each open edge against the direction of the surface it meets there
    p, q = (edges[:, 0], edges[:, 1]) if outwards else (edges[:, 1], edges[:, 0])
    if rim == "outward":
        rim_faces = np.stack([np.stack([p, q, q + n], 1), np.stack([p, q + n, p + n], 1)], 1).reshape(-1, 3)
    elif rim == "inward":
        rim_faces = np.concatenate([np.stack([p, q + n, q], 1), np.stack([p, p + n, q + n], 1)])
    else:
        raise ValueError(f"rim {rim!r}: use 'outward' or 'inward'")
    inner = np.zeros(2 * len(faces) + len(rim_faces), bool)
    inner[: len(faces)] = outwards
    inner[len(faces) : 2 * len(faces)] = not outwards
    return v, np.concatenate([sheet, copy, rim_faces.reshape(-1, 3)]).astype(np.int64), inner
