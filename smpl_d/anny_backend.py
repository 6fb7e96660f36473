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

import numpy as np
import torch
from jaxtyping import Float, Int

from smpl_d.body_model import BodyModel
from smpl_d.rotations import axis_angle_to_matrix

# (x, y, z) Z-up facing −Y  →  (x, z, −y) Y-up facing +Z
ANNY_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
PHENOTYPES = ("gender", "age", "muscle", "weight", "height", "proportions")


@functools.lru_cache(maxsize=1)
def anny_model():
    """The anny model with MakeHuman topology and plain LBS (no Warp kernels), loaded once.

    The first call on a machine builds anny's cache (~1 min, ~0.9 GB under ~/.cache/anny);
    later calls take about a second.
    """
    import anny

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
