"""SCGS step 3: the labelled clothed mesh → separate layers (body + one open mesh per garment), GLB with named nodes.

Garment layers are the faces of their label, cut along the label boundaries (which the geometry fine-tune has
smoothed), with the reconstruction's vertex colours. The body layer is the model's body-under-the-clothes surface
when the reconstruction has one (its body head), kept `body_inset` under the clothed surface, else the closed
clothed surface pulled inwards under hair and garments by `body_inset` (skin stays where it was); the SMPL-D fit
replaces either.
An optional `thickness` turns each garment into a closed shell (outer sheet, inner sheet, rim).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from usr.geometry.distance import MeshQuery, push_inside
from usr.labels import BACKGROUND, GARMENT_LABELS, LABEL_NAMES, LAYER_ORDER, SKIN
from usr.mesh.graph import vertex_adjacency
from usr.mesh.ops import split_nonmanifold, thicken


@dataclass
class Layer:
    name: str  # "body" or a garment label name
    mesh: trimesh.Trimesh
    colours: np.ndarray  # V×3 uint8


def _sub(mesh: trimesh.Trimesh, colours: np.ndarray, face_mask: np.ndarray) -> tuple[trimesh.Trimesh, np.ndarray]:
    """The faces of `face_mask` as their own manifold sheet (bow-tie vertices split), colours carried."""
    faces, original = split_nonmanifold(np.asarray(mesh.faces)[face_mask])
    return trimesh.Trimesh(np.asarray(mesh.vertices)[original], faces, process=False), colours[original]


def _shell(sheet: trimesh.Trimesh, colours: np.ndarray, thickness: float) -> tuple[trimesh.Trimesh, np.ndarray]:
    """Closed shell: the sheet, a copy moved `thickness` against its (trimesh) vertex normals, a rim on open edges."""
    v, f, _ = thicken(np.asarray(sheet.vertices), np.asarray(sheet.faces), -thickness, np.asarray(sheet.vertex_normals))
    return trimesh.Trimesh(v, f, process=False), np.concatenate([colours, colours])


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
    tone = _skin_tone(mesh, colours, face_labels)
    body_colours = np.where((covered > 0.5)[:, None], tone, colours).astype(np.uint8)
    return trimesh.Trimesh(v, faces, process=False), body_colours


def body_under(body: trimesh.Trimesh, mesh: trimesh.Trimesh, colours: np.ndarray, face_labels: np.ndarray,
               inset: float, skin_reach: float = 0.01) -> tuple[trimesh.Trimesh, np.ndarray]:
    """A body surface (the model's body head) kept `inset` under the clothed surface where garments cover it and
    never outside it; coloured from the clothed surface where it shows (skin within `skin_reach`), else the
    median skin tone."""
    query = MeshQuery(np.asarray(mesh.vertices), np.asarray(mesh.faces))
    _, _, face = query.closest(np.asarray(body.vertices))
    covered = np.isin(face_labels[face], GARMENT_LABELS)
    v = push_inside(np.asarray(body.vertices), query, np.where(covered, inset, 0.0))
    skin_faces = face_labels == SKIN
    tone = _skin_tone(mesh, colours, face_labels)
    near_skin = skin_faces[face] & (query.distance(v) <= skin_reach)
    nearest_vertex = np.asarray(mesh.faces)[face, 0]
    body_colours = np.where(near_skin[:, None], colours[nearest_vertex], tone).astype(np.uint8)
    return trimesh.Trimesh(v, np.asarray(body.faces), process=False), body_colours


def _skin_tone(mesh: trimesh.Trimesh, colours: np.ndarray, face_labels: np.ndarray) -> np.ndarray:
    skin_vertices = np.unique(np.asarray(mesh.faces)[face_labels == SKIN].reshape(-1))
    return np.median(colours[skin_vertices], axis=0) if skin_vertices.size else np.array([200, 160, 140])


def build_layers(mesh: trimesh.Trimesh, colours: np.ndarray, face_labels: np.ndarray, body_inset: float = 0.01,
                 thickness: float = 0.0, body: trimesh.Trimesh | None = None) -> list[Layer]:
    """Body first (from `body`, the model's body surface, when given), then the garments present, innermost first
    (usr.labels.LAYER_ORDER)."""
    if len(face_labels) != len(mesh.faces):
        raise ValueError(f"face labels: {len(face_labels)} values for {len(mesh.faces)} faces")
    if body is not None:
        layers = [Layer("body", *body_under(body, mesh, colours, face_labels, body_inset))]
    else:
        layers = [Layer("body", *body_placeholder(mesh, colours, face_labels, body_inset))]
    for label in LAYER_ORDER:
        if label in (SKIN, BACKGROUND) or not (face_labels == label).any():
            continue
        sub, sub_colours = _sub(mesh, colours, face_labels == label)
        if thickness > 0:
            sub, sub_colours = _shell(sub, sub_colours, thickness)
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
