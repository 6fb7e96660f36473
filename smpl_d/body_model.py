"""The body-model interface every back-end implements (anny by default, SMPL / SMPL-X through smplx).

A body is `BodyParams` (shape, per-joint pose, a global rotation and translation in the project's world:
metres, +Y up, facing +Z) run through a `BodyModel`. The model's forward pass is torch and differentiable,
so the fitter optimises the same code path that try-on poses. Back-ends differ only in what `shape` and
`pose` mean (anny: 6 phenotypes in 0..1 and local-ref bone rotations; SMPL: betas and SMPL joint rotations);
what the fit and try-on need to know about that (the joints a fit poses, hinge joints, the shape as free numbers,
pose presets, a shape typed by a person) is asked of the model, so no caller checks which back-end it holds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import torch
from jaxtyping import Float, Int

from smpl_d.rotations import axis_angle_to_matrix


@dataclass
class BodyParams:
    """Everything that places one body: back-end name, shape, pose (J, 3 axis-angle), global rotation, translation."""

    backend: str
    shape: Float[np.ndarray, "s"]
    pose: Float[np.ndarray, "j 3"]
    global_rotation: Float[np.ndarray, "3"]  # axis-angle in world, about the model's origin, before translation
    translation: Float[np.ndarray, "3"]

    def __post_init__(self) -> None:
        self.shape = np.asarray(self.shape, dtype=np.float64).reshape(-1)
        self.pose = np.asarray(self.pose, dtype=np.float64).reshape(-1, 3)
        self.global_rotation = np.asarray(self.global_rotation, dtype=np.float64).reshape(3)
        self.translation = np.asarray(self.translation, dtype=np.float64).reshape(3)
        for name in ("shape", "pose", "global_rotation", "translation"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError(f"body parameters: {name} holds non-finite numbers")


@dataclass
class PosedBody:
    """A body in world coordinates (numpy)."""

    vertices: Float[np.ndarray, "v 3"]
    faces: Int[np.ndarray, "f 3"]
    joints: Float[np.ndarray, "j 3"]


class BodyModel(ABC):
    """One parametric body: fixed topology, skinning weights over named joints, a differentiable forward pass."""

    name: str
    faces: Int[np.ndarray, "f 3"]
    joint_names: list[str]
    parents: Int[np.ndarray, "j"]  # -1 for the root
    skin_weights: Float[np.ndarray, "v j"]  # rows sum to 1
    hinge_axes: Mapping[str, np.ndarray] = MappingProxyType({})  # joint → unit axis it bends about (knees, elbows)
    pose_presets: tuple[str, ...] = ("rest",)  # the names `preset_pose` knows

    @property
    def vertex_count(self) -> int:
        return int(self.skin_weights.shape[0])

    @property
    @abstractmethod
    def shape_size(self) -> int:
        """Length of the shape vector."""

    @abstractmethod
    def default_shape(self) -> Float[np.ndarray, "s"]:
        """The mean / neutral shape."""

    @abstractmethod
    def local_forward(self, shape: torch.Tensor, pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(vertices (V, 3), joints (J, 3)) in the project's axes before the global rotation and translation."""

    def forward(
        self, shape: torch.Tensor, pose: torch.Tensor, global_rotation: torch.Tensor, translation: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Differentiable world-space (vertices, joints) for torch parameters (float64)."""
        vertices, joints = self.local_forward(shape, pose)
        rot = axis_angle_to_matrix(global_rotation)
        return vertices @ rot.T + translation, joints @ rot.T + translation

    # what a fit and a try-on need ------------------------------------------------------------------------------
    @property
    @abstractmethod
    def fit_joints(self) -> list[int]:
        """Indices of the joints a fit under the clothes poses; the others keep the reference pose."""

    def preset_pose(self, name: str) -> Float[np.ndarray, "j 3"]:
        """A named pose (`pose_presets`) as the model's (J, 3) pose; "rest" is the reference pose (all zeros)."""
        if name == "rest":
            return np.zeros((len(self.joint_names), 3))
        raise ValueError(f"pose {name!r}: the {self.name} model has only the rest pose preset")

    def shape_to_free(self, shape: torch.Tensor) -> torch.Tensor:
        """The shape as the unconstrained numbers a fit optimises (the same numbers unless the shape is bounded)."""
        return shape.clone()

    def shape_from_free(self, free: torch.Tensor) -> torch.Tensor:
        """The inverse of `shape_to_free` (differentiable)."""
        return free

    @abstractmethod
    def shape_from_text(self, text: str | None) -> Float[np.ndarray, "s"]:
        """A shape as a person types it (`usr tryon --shape`); empty or None: the default shape."""

    def default_params(self) -> BodyParams:
        return BodyParams(self.name, self.default_shape(), np.zeros((len(self.joint_names), 3)), np.zeros(3), np.zeros(3))

    def check(self, params: BodyParams) -> None:
        """Refuse parameters made for another back-end or of the wrong size, naming the field."""
        if params.backend != self.name:
            raise ValueError(f"body parameters are for the {params.backend!r} body model, not {self.name!r}")
        if params.shape.shape != (self.shape_size,):
            raise ValueError(f"body parameters: shape has {params.shape.size} values, the {self.name} model takes {self.shape_size}")
        if params.pose.shape != (len(self.joint_names), 3):
            raise ValueError(
                f"body parameters: pose has {len(params.pose)} joints, the {self.name} model has {len(self.joint_names)}"
            )

    def posed(self, params: BodyParams) -> PosedBody:
        """The body of `params` as numpy arrays."""
        self.check(params)
        t = {k: torch.as_tensor(getattr(params, k), dtype=torch.float64) for k in ("shape", "pose", "global_rotation", "translation")}
        with torch.no_grad():
            v, j = self.forward(t["shape"], t["pose"], t["global_rotation"], t["translation"])
        return PosedBody(v.numpy(), np.asarray(self.faces), j.numpy())

    def joint_index(self, name: str) -> int:
        try:
            return self.joint_names.index(name)
        except ValueError:
            raise KeyError(f"the {self.name} body model has no joint {name!r}") from None
