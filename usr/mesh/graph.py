"""Mesh connectivity as sparse matrices: which faces share an edge, which vertices share an edge, neighbour means.

Used by the SCGS label smoothing (faces), the edge fine-tune and the body placeholder (vertices).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import trimesh


def _symmetric(pairs: np.ndarray, n: int) -> sp.csr_matrix:
    a = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return (a + a.T).tocsr()


def face_adjacency_matrix(mesh: trimesh.Trimesh) -> sp.csr_matrix:
    """F×F, 1 where two faces share an edge."""
    return _symmetric(np.asarray(mesh.face_adjacency), len(mesh.faces))


def vertex_adjacency(mesh: trimesh.Trimesh) -> sp.csr_matrix:
    """V×V, 1 where two vertices share an edge."""
    return _symmetric(np.asarray(mesh.edges_unique), len(mesh.vertices))


def neighbour_mean(adjacency: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Per row of `values`: the mean of its neighbours' rows (0 for a row without neighbours)."""
    degree = np.asarray(adjacency.sum(1)).ravel()
    return (adjacency @ values) / np.maximum(degree, 1).reshape((-1,) + (1,) * (np.ndim(values) - 1))
