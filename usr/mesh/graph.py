"""Mesh connectivity as sparse matrices: which faces share an edge, which vertices share an edge, neighbour means,
the connected regions of one label and the labels around them.

Used by the SCGS label smoothing and clean-up (faces), the edge fine-tune and the body placeholder (vertices).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import trimesh
from scipy.sparse.csgraph import connected_components


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


def label_regions(labels: np.ndarray, adjacency: sp.csr_matrix, within: np.ndarray | None = None) -> np.ndarray:
    """Per face (row of `adjacency`): the id of its connected region of faces with the same label (only through faces
    of `within`, when given; any other face is a region of its own)."""
    rows, cols = adjacency.nonzero()
    inner = labels[rows] == labels[cols]
    if within is not None:
        inner &= within[rows] & within[cols]
    graph = sp.coo_matrix((np.ones(inner.sum()), (rows[inner], cols[inner])), shape=adjacency.shape)
    return connected_components(graph, directed=False)[1]


def region_border_counts(regions: np.ndarray, labels: np.ndarray, adjacency: sp.csr_matrix, num_labels: int,
                         source: np.ndarray | None = None, target: np.ndarray | None = None) -> np.ndarray:
    """regions × num_labels: per region, its edges to faces of another label (from its faces in `source` to faces in
    `target`, when given)."""
    rows, cols = adjacency.nonzero()
    edge = labels[rows] != labels[cols]
    if source is not None:
        edge &= source[rows]
    if target is not None:
        edge &= target[cols]
    return sp.coo_matrix((np.ones(edge.sum()), (regions[rows[edge]], labels[cols[edge]])),
                         shape=(regions.max() + 1, num_labels)).toarray()
