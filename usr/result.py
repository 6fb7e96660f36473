"""The result folder: full.ply / full.obj (vertex colours), report.json, preview.png — written atomically.

With the SCGS separation: body.obj, garments/<label>.obj, layers.glb (a node per layer), face_labels.npy (label
id per face of full.*) and face_consistency.npy (how much the views agreed, per face). The SMPL-D fit adds smpl_d.npz and
replaces body.obj with the fitted body (smpl_d.store).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh

from usr.io.atomic import atomic_dir, write_bytes_atomic, write_json_atomic
from usr.io.meshes import obj_bytes

RESULT_VERSION = 1


@dataclass
class ResultLayers:
    """The layers of a result: usr.scgs.layers.Layer list (body first), a label per face of full.*, consistency."""

    layers: list
    face_labels: np.ndarray
    consistency: np.ndarray | None = None
    extra_files: dict[str, bytes] = field(default_factory=dict)  # e.g. smpl_d.npz


def write_result(out: Path, mesh: trimesh.Trimesh, colours: np.ndarray, report: dict, preview=None,
                 overwrite: bool = True, separation=None, layers: ResultLayers | None = None) -> Path:
    """`separation` (usr.scgs.separate.Separation) or `layers` adds the layers; `mesh` is then the layered surface."""
    out = Path(out)
    if separation is not None:
        layers = ResultLayers(separation.layers, separation.labels.face_labels, separation.labels.consistency)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        if layers is not None:
            write_layers(tmp, layers)
        coloured = trimesh.Trimesh(mesh.vertices, mesh.faces, vertex_colors=colours, process=False)
        write_bytes_atomic(tmp / "full.ply", coloured.export(file_type="ply"))
        write_bytes_atomic(tmp / "full.obj", obj_bytes(mesh.vertices, mesh.faces, colours / 255.0, header="usr reconstruction"))
        write_json_atomic(tmp / "report.json", {"version": RESULT_VERSION, **report})
        if preview is not None:
            from usr.viz import save_png

            save_png(preview, tmp / "preview.png")
    return out


def read_result(path: Path) -> tuple[trimesh.Trimesh, np.ndarray, dict]:
    path = Path(path)
    ply = path / "full.ply"
    if not ply.is_file():
        raise FileNotFoundError(f"{ply}: not found (is {path} a result folder from usr reconstruct?)")
    mesh = trimesh.load(ply, process=False)
    colours = np.asarray(mesh.visual.vertex_colors)[:, :3] if mesh.visual.kind == "vertex" else np.full((len(mesh.vertices), 3), 180, np.uint8)
    report_path = path / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return mesh, colours, report


def write_layers(folder: Path, result_layers: ResultLayers) -> None:
    """body.obj, garments/<label>.obj, layers.glb, face_labels.npy, face_consistency.npy into `folder` (atomic files)."""
    import io

    from usr.scgs.layers import layers_glb

    garments = folder / "garments"
    garments.mkdir(exist_ok=True)
    for layer in result_layers.layers:
        path = folder / "body.obj" if layer.name == "body" else garments / f"{layer.name}.obj"
        write_bytes_atomic(path, obj_bytes(layer.mesh.vertices, layer.mesh.faces, layer.colours / 255.0,
                                           header=f"usr layer: {layer.name}"))
    write_bytes_atomic(folder / "layers.glb", layers_glb(result_layers.layers))
    arrays = [("face_labels.npy", result_layers.face_labels.astype(np.uint8))]
    if result_layers.consistency is not None:
        arrays.append(("face_consistency.npy", result_layers.consistency.astype(np.float16)))
    for name, data in result_layers.extra_files.items():
        write_bytes_atomic(folder / name, data)
    for name, array in arrays:
        buf = io.BytesIO()
        np.save(buf, array)
        write_bytes_atomic(folder / name, buf.getvalue())


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
