"""The result folder: full.ply / full.obj (vertex colours), report.json, preview.png — written atomically.

Later stages add body.obj, garments/<label>.obj, layers.glb and smpl_d.npz to the same folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import trimesh

from usr.io.atomic import atomic_dir, write_bytes_atomic, write_json_atomic
from usr.io.meshes import obj_bytes

RESULT_VERSION = 1


def write_result(out: Path, mesh: trimesh.Trimesh, colours: np.ndarray, report: dict, preview=None,
                 overwrite: bool = True) -> Path:
    out = Path(out)
    with atomic_dir(out, overwrite=overwrite) as tmp:
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
