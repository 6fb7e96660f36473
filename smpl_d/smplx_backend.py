"""SMPL / SMPL-X through the `smplx` package, for users who hold the model files (never shipped or downloaded).

SMPL's own axes are the project's (+Y up, facing +Z, metres), so nothing is converted. Shape = betas; pose =
one axis-angle per joint in SMPL's convention (joint 0 = global orient, relative to the parent in a
world-aligned frame). `.npz` model files are read with `allow_pickle=False` and handed to smplx as a `Struct`
(smplx's SMPL class itself reads only pickles); `.pkl` files go to smplx as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from smpl_d.body_model import BodyModel
from usr.io.npz import read_npz

SMPL_JOINTS = [
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle", "right_ankle",
    "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hand", "right_hand",
]  # fmt: skip
SMPL_NPZ_KEYS = ("v_template", "f", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table")


def _model_file(model_path: Path, model_type: str, gender: str) -> Path:
    if model_path.is_file():
        return model_path
    if not model_path.is_dir():
        raise FileNotFoundError(f"body model path {model_path} does not exist (give the SMPL/SMPL-X model file or its folder)")
    stem = f"{model_type.upper()}_{gender.upper()}"
    for folder in (model_path, model_path / model_type):
        for ext in (".npz", ".pkl"):
            if (folder / f"{stem}{ext}").is_file():
                return folder / f"{stem}{ext}"
    raise FileNotFoundError(f"no {stem}.npz or {stem}.pkl in {model_path} (or {model_path / model_type})")


class SMPLBody(BodyModel):
    """SMPL (24 joints) or SMPL-X (55 joints) behind the `BodyModel` interface, float64."""

    def __init__(self, model_path: str | Path, model_type: str = "smpl", gender: str = "neutral", num_betas: int = 10):
        try:  # the optional extra [smpl]: needed only with the user's SMPL / SMPL-X model files
            import smplx
            from smplx.utils import Struct
        except ImportError as exc:
            raise ImportError("the SMPL/SMPL-X body model needs the smplx package: pip install 'usr[smpl]'") from exc
        if model_type not in ("smpl", "smplx"):
            raise ValueError(f"body model type {model_type!r}: use 'smpl' or 'smplx'")
        path = _model_file(Path(model_path), model_type, gender)
        self.name = model_type
        self.model_file = path
        if model_type == "smpl" and path.suffix == ".npz":
            struct = Struct(**read_npz(path, SMPL_NPZ_KEYS, "SMPL model file"))
            self._model = smplx.SMPL(str(path.parent), data_struct=struct, num_betas=num_betas, dtype=torch.float64)
        else:
            self._model = smplx.create(
                str(path.parent), model_type=model_type, gender=gender, ext=path.suffix[1:], num_betas=num_betas,
                use_pca=False, dtype=torch.float64,
            )
        self.faces = np.asarray(self._model.faces, dtype=np.int64)
        self.parents = self._model.parents.cpu().numpy().astype(np.int64)
        self.skin_weights = self._model.lbs_weights.cpu().numpy()
        n = len(self.parents)
        if n == len(SMPL_JOINTS):
            self.joint_names = list(SMPL_JOINTS)
        else:  # SMPL-X: SMPL's first 22 body joints, jaw, eyes, then 15 joints per hand
            hands = [f"{side}_hand{j:02d}" for side in ("left", "right") for j in range(15)]
            self.joint_names = (SMPL_JOINTS[:22] + ["jaw", "left_eye", "right_eye"] + hands)[:n]
            self.joint_names += [f"joint{j:02d}" for j in range(len(self.joint_names), n)]
        self._num_betas = int(self._model.num_betas)

    @property
    def shape_size(self) -> int:
        return self._num_betas

    def default_shape(self) -> np.ndarray:
        return np.zeros(self._num_betas)

    @property
    def fit_joints(self) -> list[int]:
        return list(range(1, min(len(self.joint_names), 22)))  # the body joints (SMPL-X: not jaw, eyes, hands)

    def shape_from_text(self, text: str | None) -> np.ndarray:
        """"0.5,-1,0": the first betas, the rest 0."""
        shape = self.default_shape()
        if not text:
            return shape
        try:
            betas = [float(v) for v in text.split(",")]
        except ValueError:
            raise ValueError(f"--shape {text!r}: write the betas as numbers, e.g. 0.5,-1,0") from None
        if len(betas) > len(shape):
            raise ValueError(f"--shape: {len(betas)} betas, the model takes {len(shape)}")
        shape[: len(betas)] = betas
        return shape

    def local_forward(self, shape: torch.Tensor, pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pose = pose.to(torch.float64)
        kwargs = {"betas": shape.to(torch.float64)[None], "global_orient": pose[0:1]}
        if self.name == "smpl":
            kwargs["body_pose"] = pose[1:24].reshape(1, -1)
        else:  # SMPL-X: body 1..21, jaw 22, eyes 23/24, hands 25..54 (full axis-angle, no PCA)
            kwargs.update(
                body_pose=pose[1:22].reshape(1, -1), jaw_pose=pose[22:23], leye_pose=pose[23:24], reye_pose=pose[24:25],
                left_hand_pose=pose[25:40].reshape(1, -1), right_hand_pose=pose[40:55].reshape(1, -1),
            )
        out = self._model(**kwargs, return_verts=True)
        return out.vertices[0], out.joints[0, : len(self.parents)]
