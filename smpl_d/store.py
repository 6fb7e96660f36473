"""SMPL-D on disk: `smpl_d.npz` (back-end, parameters, displacements) and the layers of a result folder.

`smpl_d.npz` is read with `allow_pickle=False`; every field is checked and a bad one is named. Layers are the
result folder's body.obj and garments/<label>.obj (vertex colours in the OBJ), as `usr reconstruct` writes them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from smpl_d.binding import vertex_normals
from smpl_d.body_model import BodyModel, BodyParams
from usr.io.meshes import load_mesh
from usr.io.npz import read_npz
from usr.labels import LABEL_IDS
from usr.scgs.layers import LAYER_ORDER, Layer

SMPL_D_FILE = "smpl_d.npz"
FIT_KEYS = ("backend", "shape", "pose", "global_rotation", "translation", "displacements")


@dataclass
class SavedFit:
    """What smpl_d.npz holds: the body parameters, D along the normals, and the model file for SMPL back-ends."""

    params: BodyParams
    displacements: np.ndarray  # (V,) metres
    model_file: str = ""

    def body_vertices(self, model: BodyModel, params: BodyParams | None = None) -> np.ndarray:
        """The body with D for `params` (default: the fitted ones); D follows the surface to any shape or pose."""
        model.check(self.params)
        posed = model.posed(params or self.params)
        if len(self.displacements) != len(posed.vertices):
            raise ValueError(f"{SMPL_D_FILE}: {len(self.displacements)} displacements for a body of {len(posed.vertices)} vertices")
        return posed.vertices + self.displacements[:, None] * vertex_normals(posed.vertices, posed.faces)


def fit_bytes(fit: SavedFit) -> bytes:
    buf = io.BytesIO()
    p = fit.params
    np.savez(buf, backend=np.array(p.backend), shape=p.shape, pose=p.pose, global_rotation=p.global_rotation,
             translation=p.translation, displacements=fit.displacements, model_file=np.array(fit.model_file))
    return buf.getvalue()


def load_fit(folder: Path) -> SavedFit:
    path = Path(folder) / SMPL_D_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found (fit the body first: usr fit {folder})")
    arrays = read_npz(path, FIT_KEYS, "SMPL-D fit")
    for key in FIT_KEYS[1:]:
        if not np.all(np.isfinite(arrays[key])):
            raise ValueError(f"{path}: field {key} holds non-finite numbers")
    params = BodyParams(str(arrays["backend"]), arrays["shape"], arrays["pose"], arrays["global_rotation"], arrays["translation"])
    return SavedFit(params, arrays["displacements"].astype(np.float64), str(arrays.get("model_file", "")))


def _read_layer(name: str, path: Path) -> Layer:
    mesh = load_mesh(path)
    colours = np.full((len(mesh.vertices), 3), 180, np.uint8)
    if mesh.visual.kind == "vertex":
        colours = np.asarray(mesh.visual.vertex_colors)[:, :3].astype(np.uint8)
    return Layer(name, trimesh.Trimesh(mesh.vertices, mesh.faces, process=False), colours)


def read_layers(result: Path) -> dict[str, Layer]:
    """body + garments of a result folder, by name."""
    result = Path(result)
    if not result.is_dir():
        raise FileNotFoundError(f"{result}: not a result folder")
    garments = result / "garments"
    if not (result / "body.obj").is_file() or not garments.is_dir():
        raise ValueError(f"{result}: has no layers (body.obj, garments/): run usr separate {result}")
    layers = {"body": _read_layer("body", result / "body.obj")}
    for path in sorted(garments.glob("*.obj")):
        if path.stem not in LABEL_IDS or path.stem in ("background", "skin"):
            continue
        layers[path.stem] = _read_layer(path.stem, path)
    return layers


def ordered_layers(layers: dict[str, Layer]) -> list[Layer]:
    """The body first, then the garments innermost first (the order of layers.glb)."""
    garments = [layers[n] for label in LAYER_ORDER for n in layers if n != "body" and LABEL_IDS[n] == label]
    return [layers["body"], *garments]


def parse_garment_ref(ref: str) -> tuple[Path, str]:
    """"RESULT:label" → (RESULT, label), with a clear error for anything else."""
    match = re.fullmatch(r"(.+):([a-z]+)", ref)
    if match is None:
        raise ValueError(f"--garment {ref!r}: write RESULT_FOLDER:label, e.g. alice_result:upper")
    label = match.group(2)
    garments = [n for n in LABEL_IDS if n not in ("background", "skin")]
    if label not in garments:
        raise ValueError(f"--garment {ref!r}: unknown garment label {label!r}; labels: {', '.join(garments)}")
    return Path(match.group(1)), label
