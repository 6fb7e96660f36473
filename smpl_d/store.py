"""SMPL-D on disk: what `smpl_d.npz` of a result folder holds (back-end, parameters, displacements).

`smpl_d.npz` is read with `allow_pickle=False`; every field is checked and a bad one is named. The result folder
itself (where the file lives, the layers beside it, atomic updates) is usr.result's.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smpl_d.body_model import BodyModel, BodyParams
from usr.io.npz import read_npz
from usr.labels import GARMENT_NAMES
from usr.mesh.ops import vertex_normals
from usr.result import SMPL_D_FILE

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


def has_fit(folder: Path) -> bool:
    """Whether a result folder holds a saved SMPL-D fit."""
    return (Path(folder) / SMPL_D_FILE).is_file()


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


def parse_garment_ref(ref: str) -> tuple[Path, str]:
    """"RESULT:label" → (RESULT, label), with a clear error for anything else."""
    match = re.fullmatch(r"(.+):([a-z]+)", ref)
    if match is None:
        raise ValueError(f"--garment {ref!r}: write RESULT_FOLDER:label, e.g. alice_result:upper")
    label = match.group(2)
    if label not in GARMENT_NAMES:
        raise ValueError(f"--garment {ref!r}: unknown garment label {label!r}; labels: {', '.join(GARMENT_NAMES)}")
    return Path(match.group(1)), label
