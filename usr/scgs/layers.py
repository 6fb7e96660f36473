"""SCGS step 3: the labelled clothed mesh → separate layers (body + one open mesh per garment), GLB with named nodes.

Garment layers are the faces of their label, cut along the label boundaries (which the geometry fine-tune has
smoothed), with the reconstruction's vertex colours. The body layer is the closed clothed surface pulled inwards
under hair and garments by `body_inset` (skin stays where it was) — a placeholder until the SMPL-D fit replaces it.
An optional `thickness` turns each garment into a closed shell (outer sheet, inner sheet, rim).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import trimesh
from scipy.sparse.csgraph import connected_components

from usr.labels import BACKGROUND, DRESS, HAIR, LABEL_NAMES, LOWER, OUTER, SHOES, SKIN, UPPER
from usr.mesh.graph import vertex_adjacency

# innermost first: the order layers are stacked (and listed in layers.glb)
LAYER_ORDER = (SKIN, SHOES, LOWER, UPPER, DRESS, OUTER, HAIR)
GARMENT_LABELS = (HAIR, UPPER, LOWER, DRESS, OUTER, SHOES)


@dataclass
class Layer:
    name: str  # "body" or a garment label name
    mesh: trimesh.Trimesh
    colours: np.ndarray  # V×3 uint8


def split_nonmanifold(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _sub(mesh: trimesh.Trimesh, colours: np.ndarray, face_mask: np.ndarray) -> tuple[trimesh.Trimesh, np.ndarray]:
    """The faces of `face_mask` as their own manifold sheet (bow-tie vertices split), colours carried."""
    faces, original = split_nonmanifold(np.asarray(mesh.faces)[face_mask])
    return trimesh.Trimesh(np.asarray(mesh.vertices)[original], faces, process=False), colours[original]


def thicken(mesh: trimesh.Trimesh, colours: np.ndarray, thickness: float) -> tuple[trimesh.Trimesh, np.ndarray]:
    """Closed shell: the sheet, a copy moved `thickness` against the normals (reversed), and a rim on open edges."""
    v, f = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    n = len(v)
    inner = v - thickness * np.asarray(mesh.vertex_normals)
    edges = mesh.edges_sorted[trimesh.grouping.group_rows(mesh.edges_sorted, require_count=1)]
    # orient each open edge as it appears in its face, so the rim faces outwards
    directed = np.asarray(mesh.edges)
    lookup = {tuple(e): True for e in directed.tolist()}
    rim = []
    for a, b in edges.tolist():
        if not lookup.get((a, b)):
            a, b = b, a
        rim += [[b, a, a + n], [b, a + n, b + n]]
    faces = np.concatenate([f, f[:, ::-1] + n, np.array(rim, dtype=np.int64).reshape(-1, 3)])
    return trimesh.Trimesh(np.concatenate([v, inner]), faces, process=False), np.concatenate([colours, colours])


def body_placeholder(mesh: trimesh.Trimesh, colours: np.ndarray, face_labels: np.ndarray, inset: float,
                     smooth_rings: int = 3) -> tuple[trimesh.Trimesh, np.ndarray]:
    """The clothed surface with covered parts pulled `inset` inwards; covered colours become the median skin tone."""
    faces = np.asarray(mesh.faces)
    covered = np.zeros(len(mesh.vertices))
    is_garment = np.isin(face_labels, GARMENT_LABELS)
    np.maximum.at(covered, faces[is_garment].reshape(-1), 1.0)
    adjacency = vertex_adjacency(mesh)
    degree = np.asarray(adjacency.sum(1)).ravel()
    for _ in range(smooth_rings):  # soften the step of the inset at the garment edges: mean over self + neighbours
        covered = (adjacency @ covered + covered) / (degree + 1)
    v = np.asarray(mesh.vertices) - inset * covered[:, None] * np.asarray(mesh.vertex_normals)
    skin_vertices = np.unique(faces[face_labels == SKIN].reshape(-1))
    tone = np.median(colours[skin_vertices], axis=0) if skin_vertices.size else np.array([200, 160, 140])
    body_colours = np.where((covered > 0.5)[:, None], tone, colours).astype(np.uint8)
    return trimesh.Trimesh(v, faces, process=False), body_colours


def build_layers(mesh: trimesh.Trimesh, colours: np.ndarray, face_labels: np.ndarray, body_inset: float = 0.01,
                 thickness: float = 0.0) -> list[Layer]:
    """Body first, then the garments present, innermost first."""
    if len(face_labels) != len(mesh.faces):
        raise ValueError(f"face labels: {len(face_labels)} values for {len(mesh.faces)} faces")
    layers = [Layer("body", *body_placeholder(mesh, colours, face_labels, body_inset))]
    for label in LAYER_ORDER:
        if label in (SKIN, BACKGROUND) or not (face_labels == label).any():
            continue
        sub, sub_colours = _sub(mesh, colours, face_labels == label)
        if thickness > 0:
            sub, sub_colours = thicken(sub, sub_colours, thickness)
        layers.append(Layer(LABEL_NAMES[label], sub, sub_colours))
    return layers


def layers_glb(layers: list[Layer]) -> bytes:
    """One binary glTF with a node per layer, named like the layer, vertex colours carried."""
    scene = trimesh.Scene()
    for layer in layers:
        m = trimesh.Trimesh(layer.mesh.vertices, layer.mesh.faces, process=False,
                            vertex_colors=np.concatenate([layer.colours, np.full((len(layer.colours), 1), 255, np.uint8)], 1))
        scene.add_geometry(m, node_name=layer.name, geom_name=layer.name)
    return scene.export(file_type="glb")
