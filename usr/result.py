"""The result folder, the one module that knows its files: every write is atomic, every read goes through here.

```
result/
  full.ply, full.obj    the clothed surface with vertex colours
  report.json           what was done (written last: present ⇔ the folder is complete, see `is_complete`)
  preview.png           a picture (optional)
  body.obj, garments/<label>.obj, layers.glb (a node per layer, body first, then LAYER_ORDER)   with SCGS layers
  face_labels.npy (label id per face of full.*), face_consistency.npy (how much the views agreed, per face)
  label_probs.npy       the model's label head at each face of full.* (F×labels, float16; model results only)
  smpl_d.npz            the SMPL-D fit (contents: smpl_d.store); the fit also replaces body.obj (`update_result`)
  garments/<label>.rest.npz   a garment's rest shape once a swap moved it (contents: smpl_d.swap)
```
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh

from usr.io.atomic import atomic_dir, write_bytes_atomic, write_json_atomic
from usr.io.meshes import load_mesh, obj_bytes
from usr.labels import GARMENT_NAMES, LABEL_IDS, LAYER_ORDER
from usr.scgs.layers import Layer, layers_glb
from usr.viz import save_png

RESULT_VERSION = 1
REPORT_FILE = "report.json"
SMPL_D_FILE = "smpl_d.npz"
GARMENTS_DIR = "garments"
LABEL_PROBS_FILE = "label_probs.npy"


def rest_shape_name(label: str) -> str:
    """Where in a result folder a moved garment's rest shape lives (a name for `ResultLayers.extra_files`)."""
    return f"{GARMENTS_DIR}/{label}.rest.npz"


@dataclass
class ResultLayers:
    """The layers of a result: usr.scgs.layers.Layer list (body first), a label per face of full.*, consistency."""

    layers: list
    face_labels: np.ndarray
    consistency: np.ndarray | None = None
    extra_files: dict[str, bytes] = field(default_factory=dict)  # e.g. SMPL_D_FILE, rest_shape_name(label)


def write_result(out: Path, mesh: trimesh.Trimesh, colours: np.ndarray, report: dict, preview=None,
                 overwrite: bool = True, separation=None, layers: ResultLayers | None = None,
                 label_probs: np.ndarray | None = None) -> Path:
    """`separation` (usr.scgs.separate.Separation) or `layers` adds the layers; `mesh` is then the layered surface.
    `label_probs`: the model's label head per face (kept for `usr separate`)."""
    out = Path(out)
    if separation is not None:
        layers = ResultLayers(separation.layers, separation.labels.face_labels, separation.labels.consistency)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        if layers is not None:
            write_layers(tmp, layers)
        if label_probs is not None:
            _write_npy(tmp / LABEL_PROBS_FILE, label_probs.astype(np.float16))
        coloured = trimesh.Trimesh(mesh.vertices, mesh.faces, vertex_colors=colours, process=False)
        write_bytes_atomic(tmp / "full.ply", coloured.export(file_type="ply"))
        write_bytes_atomic(tmp / "full.obj", obj_bytes(mesh.vertices, mesh.faces, colours / 255.0, header="usr reconstruction"))
        write_json_atomic(tmp / REPORT_FILE, {"version": RESULT_VERSION, **report})
        if preview is not None:
            save_png(preview, tmp / "preview.png")
    return out


def is_complete(path: Path) -> bool:
    """A result folder is complete when its report.json is there (write_result writes the folder atomically)."""
    return (Path(path) / REPORT_FILE).is_file()


def read_report(path: Path) -> dict:
    """report.json of a result folder ({} when there is none)."""
    report_path = Path(path) / REPORT_FILE
    return json.loads(report_path.read_text()) if report_path.exists() else {}


def read_result(path: Path) -> tuple[trimesh.Trimesh, np.ndarray, dict]:
    path = Path(path)
    ply = path / "full.ply"
    if not ply.is_file():
        raise FileNotFoundError(f"{ply}: not found (is {path} a result folder from usr reconstruct?)")
    mesh = trimesh.load(ply, process=False)
    colours = np.asarray(mesh.visual.vertex_colors)[:, :3] if mesh.visual.kind == "vertex" else np.full((len(mesh.vertices), 3), 180, np.uint8)
    return mesh, colours, read_report(path)


def _layer_obj(layer: Layer, source: str = "") -> bytes:
    header = f"usr layer: {layer.name}" + (f" ({source})" if source else "")
    return obj_bytes(layer.mesh.vertices, layer.mesh.faces, layer.colours / 255.0, header=header)


def _layer_path(folder: Path, name: str) -> Path:
    return folder / "body.obj" if name == "body" else folder / GARMENTS_DIR / f"{name}.obj"


def write_layers(folder: Path, result_layers: ResultLayers) -> None:
    """body.obj, garments/<label>.obj, layers.glb, face_labels.npy, face_consistency.npy into `folder` (atomic files)."""
    garments = folder / GARMENTS_DIR
    garments.mkdir(exist_ok=True)
    for layer in result_layers.layers:
        write_bytes_atomic(_layer_path(folder, layer.name), _layer_obj(layer))
    write_bytes_atomic(folder / "layers.glb", layers_glb(result_layers.layers))
    arrays = [("face_labels.npy", result_layers.face_labels.astype(np.uint8))]
    if result_layers.consistency is not None:
        arrays.append(("face_consistency.npy", result_layers.consistency.astype(np.float16)))
    for name, data in result_layers.extra_files.items():
        write_bytes_atomic(folder / name, data)
    for name, array in arrays:
        _write_npy(folder / name, array)


def _write_npy(path: Path, array: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, array)
    write_bytes_atomic(path, buf.getvalue())


def read_label_probs(path: Path, faces: int) -> np.ndarray | None:
    """label_probs.npy of a result folder (None when the result has none, or was made for another mesh)."""
    f = Path(path) / LABEL_PROBS_FILE
    if not f.is_file():
        return None
    probs = np.load(f, allow_pickle=False)
    if probs.ndim != 2 or len(probs) != faces:
        return None
    return probs.astype(np.float32)


def read_face_labels(path: Path, faces: int) -> np.ndarray:
    """face_labels.npy of a result folder, checked against the mesh's face count."""
    f = Path(path) / "face_labels.npy"
    if not f.is_file():
        raise FileNotFoundError(f"{f}: not found (this result has no layers: run usr separate {path})")
    try:
        labels = np.load(f, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"{f}: unreadable ({exc})") from exc
    if labels.shape != (faces,):
        raise ValueError(f"{f}: {labels.shape} labels for a mesh of {faces} faces (full.ply and the labels disagree)")
    return labels


def _read_layer(name: str, path: Path) -> Layer:
    mesh = load_mesh(path)
    colours = np.full((len(mesh.vertices), 3), 180, np.uint8)
    if mesh.visual.kind == "vertex":
        colours = np.asarray(mesh.visual.vertex_colors)[:, :3].astype(np.uint8)
    return Layer(name, trimesh.Trimesh(mesh.vertices, mesh.faces, process=False), colours)


def read_layers(result: Path) -> dict[str, Layer]:
    """body + garments of a result folder, by name (vertex colours from the OBJ files)."""
    result = Path(result)
    if not result.is_dir():
        raise FileNotFoundError(f"{result}: not a result folder")
    garments = result / GARMENTS_DIR
    if not (result / "body.obj").is_file() or not garments.is_dir():
        raise ValueError(f"{result}: has no layers (body.obj, garments/): run usr separate {result}")
    layers = {"body": _read_layer("body", result / "body.obj")}
    for path in sorted(garments.glob("*.obj")):
        if path.stem in GARMENT_NAMES:
            layers[path.stem] = _read_layer(path.stem, path)
    return layers


def ordered_layers(layers: dict[str, Layer]) -> list[Layer]:
    """The body first, then the garments innermost first (the order of layers.glb)."""
    garments = [layers[n] for label in LAYER_ORDER for n in layers if n != "body" and LABEL_IDS[n] == label]
    return [layers["body"], *garments]


def update_result(
    result: Path, body: Layer | None = None, body_source: str = "", files: dict[str, bytes] | None = None,
    report: dict | None = None,
) -> None:
    """Change a complete result folder: `body` replaces the body layer (body.obj, whose header names
    `body_source`, and layers.glb), `files` are added or replaced (e.g. SMPL_D_FILE), `report`'s entries are set
    in report.json. The whole folder is rewritten atomically (a copy is updated, then renamed over the old one)."""
    result = Path(result)
    layers = read_layers(result) if body is not None else None
    new_report = {**read_report(result), **(report or {})}
    with atomic_dir(result, overwrite=True) as tmp:
        shutil.copytree(result, tmp, dirs_exist_ok=True)
        for name, data in (files or {}).items():
            write_bytes_atomic(tmp / name, data)
        if body is not None:
            write_bytes_atomic(tmp / "body.obj", _layer_obj(body, body_source))
            write_bytes_atomic(tmp / "layers.glb", layers_glb(ordered_layers({**layers, "body": body})))
        write_json_atomic(tmp / REPORT_FILE, new_report)
