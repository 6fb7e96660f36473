"""Clothes swap and virtual try-on: a garment layer bound to its wearer's fitted body, re-evaluated on another body.

swap:  A's garment → B's fitted body; B's own layers stay except those the garment replaces (a dress replaces
       upper and lower, and the other way round).
tryon: A's garment → a parametric body of a chosen shape and pose preset.
Then collisions: every garment is pushed out of the body, and layers are stacked in order (outer over upper over
lower), lifting the outer one where they cross. Texture (vertex colours) travels with the garment's vertices.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from smpl_d.body_model import BodyModel, BodyParams
from smpl_d.collisions import inside_fraction, own_clearance, push_out_of_body, stack_layers, tucked_depths
from smpl_d.drape import relax_lengths
from smpl_d.metrics import garment_fidelity
from smpl_d.preview import layer_pictures, merged
from smpl_d.skinning import WeightTransfer, repose_garment
from smpl_d.store import SavedFit, fit_bytes
from usr.geometry.distance import MeshQuery
from usr.io.npz import read_npz
from usr.labels import LABEL_IDS, SKIN
from usr.result import SMPL_D_FILE, ResultLayers, ordered_layers, read_layers, rest_shape_name, write_result
from usr.scgs.layers import Layer
from usr.viz import contact_sheet

REPLACES = {"dress": {"upper", "lower", "dress"}, "upper": {"upper", "dress"}, "lower": {"lower", "dress"}}


def garment_layers(result: Path, label: str) -> dict[str, Layer]:
    """A result's layers, refusing a garment it does not have (cheap: `usr swap` / `usr tryon` call it before any
    body fit)."""
    layers = read_layers(result)
    if label not in layers or label == "body":
        have = ", ".join(n for n in layers if n != "body") or "none"
        raise ValueError(f"{Path(result).name} has no {label} layer (its garments: {have})")
    return layers


@dataclass
class Dressed:
    """A body wearing layers: body first, then garments innermost first; the body's fit; what was done."""

    layers: list[Layer]
    fit: SavedFit
    report: dict = field(default_factory=dict)
    rest_shapes: dict[str, bytes] = field(default_factory=dict)  # garments/<label>.rest.npz of moved garments


@dataclass
class RestShape:
    """A garment as made: its vertices on its wearer, the wearer's parametric body (no D: what the garment is bound
    to), the gap each vertex kept from the wearer's skin (the body with D), and how far it was worn under the
    wearer's inner layers (`tucked`, see smpl_d.collisions.tucked_depths)."""

    garment: np.ndarray
    body: np.ndarray
    clearance: np.ndarray
    tucked: np.ndarray

    def npz_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, **{k: getattr(self, k) for k in REST_ARRAYS})
        return buf.getvalue()


REST_ARRAYS = ("garment", "body", "clearance", "tucked")


def rest_shape(result: Path, label: str, layers: dict[str, Layer], wearer: SavedFit, model: BodyModel) -> RestShape:
    """From garments/<label>.rest.npz when the garment was moved there by a swap (so swaps never compound), else
    the layer itself on its wearer's fitted body (`layers`: the wearer's)."""
    path = Path(result) / rest_shape_name(label)
    layer = layers[label]
    if not path.is_file():
        skin = wearer.body_vertices(model)
        garment = np.asarray(layer.mesh.vertices, dtype=np.float64)
        worn = {n: lay.mesh.vertices for n, lay in layers.items() if n != "body"}
        return RestShape(garment, model.posed(wearer.params).vertices, own_clearance(garment, skin, model.faces),
                         tucked_depths(worn, skin, model.faces)[label])
    arrays = read_npz(path, REST_ARRAYS, "garment rest shape")
    rest = RestShape(*(arrays[k].astype(np.float64) for k in REST_ARRAYS))
    n = len(rest.garment)
    if rest.garment.shape != layer.mesh.vertices.shape or rest.body.shape != (model.vertex_count, 3) \
            or rest.clearance.shape != (n,) or rest.tucked.shape != (n,):
        raise ValueError(f"{path}: does not match garments/{label}.obj or the body model")
    return rest


@dataclass
class Moved:
    """A garment on a new body, and the gap each of its vertices keeps from the skin (as on its own wearer)."""

    layer: Layer
    clearance: np.ndarray
    tucked: np.ndarray | float = 0.0


def transfer(garment: Layer, rest: RestShape, target_body: np.ndarray, target_skin: np.ndarray, model: BodyModel,
             weights: WeightTransfer = WeightTransfer()) -> Moved:
    """The garment's rest shape moved from its wearer's parametric body onto `target_body` (same topology; skinned
    with weights carried from the body, then bound by closest triangle: smpl_d.skinning), then relaxed back to its
    own edge lengths around the target's skin (`target_skin`, the body with D; cloth does not grow with its
    wearer); colours carried."""
    faces = model.faces
    moved = repose_garment(rest.garment, np.asarray(garment.mesh.faces), rest.body, target_body, faces, model.skin_weights,
                           weights)
    draped = relax_lengths(moved, garment.mesh.faces, rest.garment, target_skin, faces, clearance=rest.clearance)
    return Moved(Layer(garment.name, trimesh.Trimesh(draped, garment.mesh.faces, process=False), garment.colours),
                 rest.clearance, rest.tucked)


def dress(body: Layer, garments: dict[str, Layer | Moved], faces: np.ndarray) -> tuple[list[Layer], dict]:
    """Garments out of the body and stacked in order; returns the layers (body first) and collision numbers.
    Garments already on this body (`Layer`s) keep the gap they have and how they are worn together; a moved one
    keeps what it had on its wearer."""
    body_v = body.mesh.vertices
    own = {name: g.mesh.vertices for name, g in garments.items() if not isinstance(g, Moved)}
    own_tucked = tucked_depths(own, body_v, faces)
    moved = {name: g if isinstance(g, Moved) else Moved(g, own_clearance(g.mesh.vertices, body_v, faces), own_tucked[name])
             for name, g in garments.items()}
    pushed = {name: push_out_of_body(m.layer.mesh.vertices, body_v, faces, m.clearance) for name, m in moved.items()}
    stacked = stack_layers(pushed, body_v, faces, tucked={name: m.tucked for name, m in moved.items()})
    # a lift along one triangle's normal can end inside the body at a concave spot (an armpit): out again
    final = {name: push_out_of_body(stacked[name], body_v, faces, m.clearance) for name, m in moved.items()}
    ordered = ordered_layers({"body": body} | {
        name: Layer(name, trimesh.Trimesh(final[name], m.layer.mesh.faces, process=False), m.layer.colours)
        for name, m in moved.items()})
    inside = {layer.name: inside_fraction(layer.mesh.vertices, body_v, faces) for layer in ordered[1:]}
    return ordered, {"garment_vertices_inside_body": inside}


def body_layer(model: BodyModel, fit: SavedFit, colours_from: Layer | None, params: BodyParams | None = None) -> Layer:
    """The fitted body (with D) as a layer. Colours: per vertex from `colours_from` when it is the same body
    model's surface, from its nearest vertex when it is another surface in the same place, else a skin tone."""
    vertices = fit.body_vertices(model, params)
    mesh = trimesh.Trimesh(vertices, model.faces, process=False)
    if colours_from is None:
        return Layer("body", mesh, np.tile(np.array([[205, 160, 130]], np.uint8), (len(vertices), 1)))
    if _is_fitted(colours_from, model):
        return Layer("body", mesh, colours_from.colours)
    return Layer("body", mesh, colours_from.colours[cKDTree(colours_from.mesh.vertices).query(vertices)[1]])


def skin_coloured(layer: Layer, clothed: trimesh.Trimesh, colours: np.ndarray, face_labels: np.ndarray) -> Layer:
    """The body coloured from the clothed surface's skin where it is visible, the median skin colour elsewhere."""
    skin = face_labels == SKIN
    if not skin.any():
        return layer
    face_colour = colours[clothed.faces].mean(1)
    tone = np.median(face_colour[skin], axis=0)
    points, _, tri = MeshQuery(clothed.vertices, clothed.faces).closest(layer.mesh.vertices)
    near = (np.linalg.norm(points - layer.mesh.vertices, axis=1) < 0.02) & skin[tri]
    out = np.where(near[:, None], face_colour[tri], tone[None])
    return Layer(layer.name, layer.mesh, np.clip(np.round(out), 0, 255).astype(np.uint8))


def swap(garment_result: Path, label: str, onto: Path, model: BodyModel, fits: dict[Path, SavedFit]) -> Dressed:
    """B (`onto`) wearing A's (`garment_result`) layer `label`. `fits` holds both results' fitted bodies."""
    source_layers = garment_layers(garment_result, label)
    source_fit, target_fit = fits[Path(garment_result)], fits[Path(onto)]
    for fit, where in ((source_fit, garment_result), (target_fit, onto)):
        if fit.params.backend != model.name:
            raise ValueError(f"{where}: its body was fitted with the {fit.params.backend} model, not {model.name}: "
                             "swap needs both bodies from the same model")
    target_layers = read_layers(onto)
    body = body_layer(model, target_fit, target_layers["body"])
    rest = rest_shape(garment_result, label, source_layers, source_fit, model)
    garment = transfer(source_layers[label], rest, model.posed(target_fit.params).vertices, body.mesh.vertices, model)
    replaced = REPLACES.get(label, {label})
    kept = {n: layer for n, layer in target_layers.items() if n != "body" and n not in replaced}
    layers, report = dress(body, {**kept, label: garment}, model.faces)
    report.update(operation="swap", garment=f"{Path(garment_result).name}:{label}", onto=str(Path(onto).name),
                  replaced=sorted(n for n in target_layers if n in replaced),
                  garment_fit=_fidelity(rest, layers, label, body, model))
    kept_rest = {n: (Path(onto) / rest_shape_name(n)).read_bytes() for n in kept if (Path(onto) / rest_shape_name(n)).is_file()}
    return Dressed(layers, target_fit, report, {**kept_rest, label: rest.npz_bytes()})


TRYON_POSES = ("a_pose", "t_pose", "relaxed", "seated", "rest")


def tryon_params(model: BodyModel, shape: np.ndarray, pose: str, translation: np.ndarray) -> BodyParams:
    """The parametric body of a try-on: `shape`, a pose preset (anny: a_pose, t_pose, relaxed, seated; any model: rest)."""
    if pose not in TRYON_POSES:
        raise ValueError(f"pose {pose!r}: known presets are {', '.join(TRYON_POSES)}")
    return BodyParams(model.name, np.asarray(shape, dtype=np.float64), model.preset_pose(pose), np.zeros(3),
                      np.asarray(translation))


def tryon(garment_result: Path, label: str, model: BodyModel, source_fit: SavedFit, params: BodyParams,
          weights: WeightTransfer = WeightTransfer()) -> Dressed:
    """A parametric body (`params`) wearing A's layer `label`."""
    source_layers = garment_layers(garment_result, label)
    model.check(params)
    target = SavedFit(params, np.zeros(model.vertex_count), source_fit.model_file)
    source_body = source_layers["body"]
    body = body_layer(model, target, source_body if _is_fitted(source_body, model) else None, params)
    rest = rest_shape(garment_result, label, source_layers, source_fit, model)
    garment = transfer(source_layers[label], rest, model.posed(params).vertices, body.mesh.vertices, model, weights)
    layers, report = dress(body, {label: garment}, model.faces)
    report.update(operation="tryon", garment=f"{Path(garment_result).name}:{label}",
                  garment_fit=_fidelity(rest, layers, label, body, model))
    return Dressed(layers, target, report, {label: rest.npz_bytes()})


def _fidelity(rest: RestShape, layers: list[Layer], label: str, body: Layer, model: BodyModel) -> dict[str, float]:
    worn = next(layer for layer in layers if layer.name == label)
    return garment_fidelity(rest.garment, rest.body, np.asarray(worn.mesh.vertices), np.asarray(worn.mesh.faces),
                            np.asarray(body.mesh.vertices), model.faces)


def _is_fitted(layer: Layer, model: BodyModel) -> bool:
    return len(layer.mesh.vertices) == model.vertex_count and len(layer.mesh.faces) == len(model.faces)


def write_dressed(out: Path, dressed: Dressed, preview=None) -> Path:
    """A normal result folder: full.* (all layers together), body.obj, garments/, layers.glb, smpl_d.npz, report."""
    full, colours = merged(dressed.layers)
    labels = [np.full(len(layer.mesh.faces), SKIN if layer.name == "body" else LABEL_IDS[layer.name], np.uint8)
              for layer in dressed.layers]
    extra = {SMPL_D_FILE: fit_bytes(dressed.fit)} | {rest_shape_name(n): b for n, b in dressed.rest_shapes.items()}
    layers = ResultLayers(dressed.layers, np.concatenate(labels), extra_files=extra)
    report = {**dressed.report, "layers": [layer.name for layer in dressed.layers]}
    if preview is None:
        preview = contact_sheet([(report["operation"], layer_pictures(dressed.layers))], captions=["front", "side", "back"],
                                title=f"{report['operation']}: {report['garment']}" + (f" onto {report['onto']}" if "onto" in report else ""))
    return write_result(out, full, colours, report, preview=preview, layers=layers)
