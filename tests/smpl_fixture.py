"""A small SMPL-layout model file made from anny, so the smplx back-end is tested without SMPL's licensed files.

24 anny bones are kept; every other bone's skinning weight goes to its nearest kept ancestor, the joint regressor
reproduces the kept bones' heads exactly (minimum-norm affine weights over all vertices), shape and pose
correctives are zero. Posing anny with rotations on the kept bones only then has exactly this LBS.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from smpl_d.anny_backend import ANNY_TO_WORLD, PHENOTYPES, AnnyBody, anny_model, anny_topology

KEPT_BONES = [
    "root", "upperleg01.L", "upperleg02.L", "lowerleg01.L", "foot.L", "upperleg01.R", "upperleg02.R", "lowerleg01.R",
    "foot.R", "spine05", "spine04", "spine03", "spine02", "spine01", "neck01", "head", "clavicle.L", "upperarm01.L",
    "lowerarm01.L", "wrist.L", "clavicle.R", "upperarm01.R", "lowerarm01.R", "wrist.R",
]  # fmt: skip


def kept_order(body: AnnyBody) -> list[int]:
    """Anny indices of the kept bones, parents before children (anny's own order)."""
    return sorted(body.joint_index(b) for b in KEPT_BONES)


def nearest_kept(body: AnnyBody, kept: list[int]) -> np.ndarray:
    """For every anny bone, the kept bone it follows (itself or its nearest kept ancestor)."""
    out = np.full(len(body.parents), -1)
    for b in range(len(body.parents)):
        a = b
        while a not in kept:
            a = int(body.parents[a])
        out[b] = a
    return out


def _anny_out(body: AnnyBody, shape: np.ndarray, pose: np.ndarray) -> dict[str, np.ndarray]:
    from scipy.spatial.transform import Rotation

    transforms = np.tile(np.eye(4), (len(body.joint_names), 1, 1))
    transforms[:, :3, :3] = Rotation.from_rotvec(pose).as_matrix()
    with torch.no_grad():
        out = anny_model()(
            pose_parameters=torch.as_tensor(transforms)[None],
            phenotype_kwargs={k: torch.tensor([float(v)]) for k, v in zip(PHENOTYPES, shape)},
        )
    return {k: v[0].numpy() for k, v in out.items()}


def anny_rest(body: AnnyBody, shape: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """anny's own rest surface and bone heads in world axes (its skinning is relative to these, not the zero pose)."""
    out = _anny_out(body, shape, np.zeros((len(body.joint_names), 3)))
    verts = out["rest_vertices"][anny_topology().used] @ ANNY_TO_WORLD.T
    return verts, out["rest_bone_poses"][:, :3, 3] @ ANNY_TO_WORLD.T


def write_smpl_npz_from_anny(path: Path, body: AnnyBody, shape: np.ndarray) -> list[int]:
    """Write the SMPL-layout file; returns the anny indices of its 24 joints."""
    kept = kept_order(body)
    follow = nearest_kept(body, kept)
    verts, heads = anny_rest(body, shape)
    weights = np.zeros((len(verts), len(kept)))
    for b, k in enumerate(follow):
        weights[:, kept.index(k)] += body.skin_weights[:, b]
    parents = np.array([-1] + [kept.index(follow[int(body.parents[b])]) for b in kept[1:]])
    system = np.vstack([verts.T, np.ones(len(verts))])  # (4, V): x, y, z, 1
    targets = np.vstack([heads[kept].T, np.ones(len(kept))])  # (4, 24)
    regressor = np.linalg.lstsq(system, targets, rcond=None)[0].T  # (24, V), min-norm, exact
    np.savez(
        path,
        v_template=verts,
        f=body.faces.astype(np.int64),
        shapedirs=np.zeros((len(verts), 3, 10)),
        posedirs=np.zeros((len(verts), 3, 207), dtype=np.float32),
        J_regressor=regressor,
        weights=weights,
        kintree_table=np.vstack([np.where(parents < 0, 4294967295, parents), np.arange(len(kept))]).astype(np.int64),
    )
    return kept


def anny_pose_for_smpl(
    body: AnnyBody, shape: np.ndarray, smpl_pose: np.ndarray, kept: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """The anny pose whose skinning equals SMPL's for `smpl_pose` on the file above, and SMPL's matching translation.

    anny's local-ref zero pose is not its skinning rest, so a bone left at zero does not simply follow its parent.
    Every bone is therefore given the rotation that makes its rest→posed transform its kept ancestor's: then the
    collapsed weights are exact. anny's bone orientations (measured): posed_b = posed_parent · Z_parentᵀ · D_b · Z_b,
    Z = the orientations of the zero pose, D_b = the local-ref rotation.
    """
    from scipy.spatial.transform import Rotation

    a = ANNY_TO_WORLD
    world = np.zeros((len(kept), 3, 3))  # SMPL chain: world rotation of each kept joint, anny axes
    follow = nearest_kept(body, kept)
    for i, b in enumerate(kept):
        local = a.T @ Rotation.from_rotvec(smpl_pose[i]).as_matrix() @ a
        world[i] = local if i == 0 else world[kept.index(follow[int(body.parents[b])])] @ local
    zero = _anny_out(body, shape, np.zeros((len(body.joint_names), 3)))
    rest, zero_rot = zero["rest_bone_poses"][:, :3, :3], zero["bone_poses"][:, :3, :3]
    posed = np.stack([world[kept.index(follow[b])] @ rest[b] for b in range(len(body.joint_names))])
    pose = np.zeros((len(body.joint_names), 3))
    for b, p in enumerate(body.parents):
        d = posed[b] @ zero_rot[b].T if p < 0 else zero_rot[p] @ posed[p].T @ posed[b] @ zero_rot[b].T
        pose[b] = Rotation.from_matrix(d).as_rotvec()
    out = _anny_out(body, shape, pose)
    to_world = np.eye(4)
    to_world[:3, :3] = a
    root = (to_world @ out["bone_poses"] @ np.linalg.inv(out["rest_bone_poses"]) @ to_world.T)[kept[0]]
    root_joint = anny_rest(body, shape)[1][kept[0]]
    translation = root[:3, 3] - (root_joint - root[:3, :3] @ root_joint)  # SMPL rotates about the root joint
    return pose, translation
