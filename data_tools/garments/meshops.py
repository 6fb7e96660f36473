"""Small mesh operations over numpy arrays used to build garments (no trimesh objects, vertex order kept)."""

from __future__ import annotations

import numpy as np

from data_tools.body import vertex_normals


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


def vertex_components(faces: np.ndarray, n_vertices: int) -> np.ndarray:
    """Connected-component id of every vertex (edges of the faces)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]]])
    adj = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n_vertices, n_vertices))
    return connected_components(adj, directed=False)[1]


def largest_components(faces: np.ndarray, n_vertices: int, min_fraction: float = 0.02) -> np.ndarray:
    """Mask of faces in connected components holding at least `min_fraction` of the faces."""
    fc = vertex_components(faces, n_vertices)[faces[:, 0]]
    counts = np.bincount(fc)
    return counts[fc] >= max(1, min_fraction * len(faces))


def laplacian_smooth(vertices, faces, iterations: int = 3, lam: float = 0.5, fixed=None) -> np.ndarray:
    """Uniform Laplacian smoothing (boundary vertices move too unless `fixed`)."""
    v = vertices.copy()
    n = len(v)
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
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


def boundary_edges(faces: np.ndarray) -> np.ndarray:
    """Directed edges (as in their face) that belong to exactly one face."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    key = np.sort(e, axis=1)
    _, inv, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    return e[counts[inv.ravel()] == 1]


def thicken(vertices, faces, thickness: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed shell: the sheet as inner surface (flipped), an offset outer surface, and a rim.

    Returns vertices, faces and a per-face mask that is True on the inner surface."""
    n = len(vertices)
    normals = vertex_normals(vertices, faces)
    outer = vertices + normals * thickness
    v = np.concatenate([vertices, outer])
    inner_f = faces[:, ::-1]
    outer_f = faces + n
    be = boundary_edges(faces)
    a, b = be[:, 0], be[:, 1]
    rim = np.concatenate([np.stack([a, b + n, b], 1), np.stack([a, a + n, b + n], 1)]) if len(be) else np.zeros((0, 3), int)
    inner = np.zeros(len(inner_f) + len(outer_f) + len(rim), bool)
    inner[: len(inner_f)] = True
    return v, np.concatenate([inner_f, outer_f, rim]).astype(np.int64), inner
