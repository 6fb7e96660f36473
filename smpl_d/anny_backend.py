"""anny (Apache-2.0, assets CC0, embedded in its wheel) as the default body model.

anny outputs Z-up metres with the person facing −Y; this module is the one place that converts to the project's
world (+Y up, facing +Z): `ANNY_TO_WORLD`. The MakeHuman topology keeps the 19 158 hm08 vertex ids that
MakeHuman `.mhclo` garments bind to; the body surface used everywhere is the compact, watertight subset of them
(`AnnyTopology.used`). Shape = the 6 phenotypes (0..1); pose = one axis-angle per bone in anny's local-ref
parameterisation (rest = A-pose), the same numbers `smpl_d.poses.Pose` holds.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import torch
from jaxtyping import Float, Int

from smpl_d.body_model import BodyModel
from smpl_d.poses import ELBOW_STRAIGHT, named_pose
from smpl_d.rotations import axis_angle_to_matrix

# (x, y, z) Z-up facing −Y  →  (x, z, −y) Y-up facing +Z
ANNY_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
PHENOTYPES = ("gender", "age", "muscle", "weight", "height", "proportions")
# bones a fit under the clothes poses; the rest keep the model's reference pose
FIT_BONES = (
    "spine01", "spine03", "neck01", "head", "upperarm01.L", "upperarm01.R", "lowerarm01.L", "lowerarm01.R",
    "upperleg01.L", "upperleg01.R", "lowerleg01.L", "lowerleg01.R",
)  # fmt: skip
# knees and elbows bend about one axis (local-ref; the right side mirrors the left as (x, −y, −z))
_ELBOW_AXIS = ELBOW_STRAIGHT / np.linalg.norm(ELBOW_STRAIGHT)
HINGES = MappingProxyType({
    "lowerleg01.L": np.array([1.0, 0.0, 0.0]), "lowerleg01.R": np.array([1.0, 0.0, 0.0]),
    "lowerarm01.L": _ELBOW_AXIS, "lowerarm01.R": _ELBOW_AXIS * np.array([1.0, -1.0, -1.0]),
})  # fmt: skip


@functools.lru_cache(maxsize=1)
def anny_model():
    """The anny model with MakeHuman topology and plain LBS (no Warp kernels), loaded once.

    The first call on a machine builds anny's cache (~1 min, ~0.9 GB under ~/.cache/anny);
    later calls take about a second.
    """
    import anny  # 8-10 s to import: only when an anny body is made (not for SMPL bodies or a CLI's start)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return anny.Anny(topology="makehuman", skinning_method="lbs")


@dataclass(frozen=True)
class AnnyTopology:
    """The compact surface: faces, hm08 id of each vertex, dense skinning weights, bone labels and parents."""

    faces: Int[np.ndarray, "f 3"]
    used: Int[np.ndarray, "v"]
    weights: Float[np.ndarray, "v b"]
    bone_labels: tuple[str, ...]
    parents: Int[np.ndarray, "b"]


@functools.lru_cache(maxsize=1)
def anny_topology() -> AnnyTopology:
    model = anny_model()
    tri = model.get_triangular_faces().cpu().numpy().astype(np.int64)
    used = np.unique(tri)
    remap = np.full(int(tri.max()) + 1, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    idx = model.vertex_bone_indices.cpu().numpy()[used]
    w = model.vertex_bone_weights.cpu().numpy()[used]
    dense = np.zeros((len(used), model.bone_count), dtype=np.float32)
    np.add.at(dense, (np.repeat(np.arange(len(used)), idx.shape[1]), idx.ravel()), w.ravel())
    dense /= np.maximum(dense.sum(1, keepdims=True), 1e-8)
    parents = np.asarray([int(p) for p in model.bone_parents], dtype=np.int64)
    return AnnyTopology(remap[tri], used, dense, tuple(model.bone_labels), parents)


class AnnyBody(BodyModel):
    """anny behind the `BodyModel` interface (torch float64, differentiable in phenotypes and bone rotations)."""

    name = "anny"
    hinge_axes = HINGES
    pose_presets = ("a_pose", "t_pose", "relaxed", "seated", "rest")

    def __init__(self) -> None:
        topo = anny_topology()
        self._model = anny_model()
        self.faces = topo.faces
        self.joint_names = list(topo.bone_labels)
        self.parents = topo.parents
        self.skin_weights = topo.weights
        self._used = torch.as_tensor(topo.used)
        self._to_world = torch.as_tensor(ANNY_TO_WORLD)

    @property
    def shape_size(self) -> int:
        return len(PHENOTYPES)

    def default_shape(self) -> np.ndarray:
        return np.full(len(PHENOTYPES), 0.5)

    @property
    def fit_joints(self) -> list[int]:
        return [self.joint_index(b) for b in FIT_BONES]

    def preset_pose(self, name: str) -> np.ndarray:
        """rest (anny's A-pose reference), or a named pose of smpl_d.poses: a_pose, t_pose, relaxed, seated."""
        return super().preset_pose(name) if name == "rest" else self.pose_from_rotations(named_pose(name).rotations)

    def shape_to_free(self, shape: torch.Tensor) -> torch.Tensor:
        """Phenotypes are 0..1: a fit optimises their logits."""
        return torch.logit(shape.clamp(1e-3, 1 - 1e-3))

    def shape_from_free(self, free: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(free)

    def shape_from_text(self, text: str | None) -> np.ndarray:
        """"weight=0.8,height=0.3": phenotypes 0..1 by name, the others 0.5."""
        if not text:
            return self.default_shape()
        values = {}
        for item in text.split(","):
            key, _, value = item.partition("=")
            try:
                values[key.strip()] = float(value)
            except ValueError:
                raise ValueError(f"--shape {text!r}: write name=value pairs, e.g. weight=0.8,height=0.3") from None
        bad = {k: v for k, v in values.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"--shape: anny phenotypes are 0..1, got {bad}")
        return self.shape_from_phenotypes(values)

    def shape_from_phenotypes(self, phenotypes: dict[str, float]) -> np.ndarray:
        unknown = set(phenotypes) - set(PHENOTYPES)
        if unknown:
            raise ValueError(f"unknown anny phenotypes {sorted(unknown)}; known: {', '.join(PHENOTYPES)}")
        return np.array([float(phenotypes.get(k, 0.5)) for k in PHENOTYPES])

    def pose_from_rotations(self, rotations: dict[str, list[float]]) -> np.ndarray:
        """`Pose.rotations` (bone label → local-ref axis-angle) → the (J, 3) pose array."""
        pose = np.zeros((len(self.joint_names), 3))
        for bone, rv in rotations.items():
            pose[self.joint_index(bone)] = rv
        return pose

    def local_forward(self, shape: torch.Tensor, pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dtype = self._model.dtype
        transforms = torch.eye(4, dtype=dtype).repeat(len(self.joint_names), 1, 1)
        transforms = torch.cat(
            [torch.cat([axis_angle_to_matrix(pose.to(dtype)), transforms[:, :3, 3:]], dim=2), transforms[:, 3:]], dim=1
        )
        out = self._model(
            pose_parameters=transforms[None],
            phenotype_kwargs={k: shape[i].to(dtype)[None] for i, k in enumerate(PHENOTYPES)},
        )
        to_world = self._to_world.to(dtype)
        vertices = out["vertices"][0][self._used] @ to_world.T
        joints = out["bone_poses"][0, :, :3, 3] @ to_world.T
        return vertices, joints
