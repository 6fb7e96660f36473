"""Anny bodies in the project's world frame (metres, +Y up, person centred on the origin).

Anny outputs Z-up metres with the person facing −Y; the conversion to +Y up facing +Z happens
in smpl_d.anny_backend (`ANNY_TO_WORLD`), the one module that loads anny. The MakeHuman topology
keeps the 19 158 hm08 vertex ids that MakeHuman `.mhclo` garments bind to; `Body.hm08_vertices` holds all of them posed, while
`Body.vertices/faces` is the compact, watertight surface (eyes and mouth parts included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from jaxtyping import Float, Int

from smpl_d.anny_backend import ANNY_TO_WORLD, anny_model, anny_topology
from smpl_d.poses import PHENOTYPE_RANGES, Pose, rotvec_to_transforms
from usr.mesh.ops import vertex_normals


@dataclass
class BodySpec:
    """A synthetic subject's body as words and numbers, everything needed to rebuild it exactly: anny phenotypes
    by name (0..1), the pose (bone rotations by name) and a turn about up (smpl_d.body_model.BodyParams is the
    back-end's arrays instead)."""

    phenotypes: dict[str, float]
    pose: Pose
    yaw_deg: float = 0.0

    def to_json(self) -> dict:
        return {"phenotypes": self.phenotypes, "pose": self.pose.to_json(), "yaw_deg": self.yaw_deg}


@dataclass
class Body:
    """A posed body. `vertices/faces` index the compact surface; `hm08_index[i]` is the hm08 id of vertex i."""

    spec: BodySpec
    vertices: Float[np.ndarray, "v 3"]
    faces: Int[np.ndarray, "f 3"]
    hm08_vertices: Float[np.ndarray, "19158 3"]
    hm08_rest: Float[np.ndarray, "19158 3"]  # same phenotype, rest pose (for garment binding frames)
    hm08_index: Int[np.ndarray, "v"]
    bone_weights: Float[np.ndarray, "v b"]  # skinning weights per bone (dense), rows sum to 1
    joints: dict[str, Float[np.ndarray, "3"]] = field(default_factory=dict)  # posed bone heads by name
    joint_rotations: dict[str, Float[np.ndarray, "3 3"]] = field(default_factory=dict)  # world rotation rest→posed

    @property
    def height(self) -> float:
        return float(self.vertices[:, 1].max() - self.vertices[:, 1].min())

    def vertex_normals(self) -> Float[np.ndarray, "v 3"]:
        return vertex_normals(self.vertices, self.faces)


def bone_labels() -> list[str]:
    return list(anny_topology().bone_labels)


def sample_body_spec(rng: np.random.Generator, pose: Pose, ranges: dict[str, tuple[float, float]] | None = None) -> BodySpec:
    """Phenotypes drawn in realistic ranges (poses.PHENOTYPE_RANGES, or `ranges` for a body-shape bin, see
    data_tools.attributes) and the given pose."""
    ranges = ranges or PHENOTYPE_RANGES
    phen = {k: float(np.round(rng.uniform(*ranges[k]), 4)) for k in PHENOTYPE_RANGES}
    phen["gender"] = float(np.round(rng.choice([rng.uniform(0.0, 0.25), rng.uniform(0.75, 1.0), rng.uniform(0, 1)], p=[0.4, 0.4, 0.2]), 4))
    return BodySpec(phenotypes=phen, pose=pose, yaw_deg=float(np.round(rng.uniform(-20, 20), 2)))


def build_body(spec: BodySpec) -> Body:
    """Run anny for `spec` and return the posed body in world coordinates, centred on the origin."""
    model = anny_model()
    topo = anny_topology()
    faces, used, weights, labels = topo.faces, topo.used, topo.weights, topo.bone_labels
    transforms = rotvec_to_transforms(spec.pose.rotations, spec.yaw_deg)
    with torch.no_grad():
        out = model(
            pose_parameters={k: torch.as_tensor(v, dtype=model.dtype)[None] for k, v in transforms.items()} or None,
            phenotype_kwargs={k: torch.tensor([v], dtype=model.dtype) for k, v in spec.phenotypes.items()},
        )
    hm08 = out["vertices"][0].cpu().numpy().astype(np.float64) @ ANNY_TO_WORLD.T
    rest = out["rest_vertices"][0].cpu().numpy().astype(np.float64) @ ANNY_TO_WORLD.T
    heads = out["bone_poses"][0, :, :3, 3].cpu().numpy().astype(np.float64) @ ANNY_TO_WORLD.T
    verts = hm08[used]
    lo, hi = verts.min(0), verts.max(0)
    shift = -(lo + hi) / 2
    hm08 = hm08 + shift
    joints = {name: heads[i] + shift for i, name in enumerate(labels)}
    posed_rot = out["bone_poses"][0, :, :3, :3].cpu().numpy().astype(np.float64)
    rest_rot = out["rest_bone_poses"][0, :, :3, :3].cpu().numpy().astype(np.float64)
    delta = ANNY_TO_WORLD @ posed_rot @ np.transpose(rest_rot, (0, 2, 1)) @ ANNY_TO_WORLD.T
    joint_rotations = {name: delta[i] for i, name in enumerate(labels)}
    rest_lo, rest_hi = rest[used].min(0), rest[used].max(0)
    rest = rest - (rest_lo + rest_hi) / 2
    return Body(spec, hm08[used], faces, hm08, rest, used, weights, joints, joint_rotations)

