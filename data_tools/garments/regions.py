"""Where on the body each vertex is: part groups from skinning weights, plus coordinates along limbs.

Procedural garments are cut from these: a t-shirt is the torso plus the arms up to `sleeve`
along the arm, trousers are the legs down to `length` along the leg plus the hips below the
waistband, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from jaxtyping import Bool, Float

from data_tools.body import Body, bone_labels
from usr.mesh.ops import vertex_components

GROUPS = ("head", "neck", "torso", "hips", "arm", "hand", "leg", "foot")


def _group_of(bone: str) -> str:
    b = bone.split(".")[0]
    if b in ("head", "eye", "jaw") or b.startswith(("tongue", "eye", "jaw")):
        return "head"
    if b.startswith("neck"):
        return "neck"
    if b.startswith(("spine", "clavicle", "shoulder", "breast")):
        return "torso"
    if b in ("root", "pelvis"):
        return "hips"
    if b.startswith(("upperarm", "lowerarm")):
        return "arm"
    if b.startswith(("wrist", "finger", "metacarpal", "thumb")):
        return "hand"
    if b.startswith(("upperleg", "lowerleg")):
        return "leg"
    if b.startswith(("foot", "toe")):
        return "foot"
    return "torso"


@dataclass
class BodyRegions:
    """Per compact body vertex: group weights and limb coordinates (0 at the proximal joint, 0.5 at
    the elbow/knee, 1 at the wrist/ankle; negative above the shoulder/hip joint)."""

    vertices: Float[np.ndarray, "v 3"]
    outer_skin: Bool[np.ndarray, "v"]  # the body's outer surface (not the eyeballs, teeth, tongue)
    group_weight: dict[str, Float[np.ndarray, "v"]]
    arm_coord: Float[np.ndarray, "v"]
    leg_coord: Float[np.ndarray, "v"]
    side: Float[np.ndarray, "v"]  # +1 left half (x > 0), −1 right
    head_local: Float[np.ndarray, "v 3"]  # position in the head's frame: x left, y up, z forward
    landmarks: dict[str, float]  # heights (y) of waist, hip joint, neck, shoulders, knee, ankle

    @property
    def y(self) -> Float[np.ndarray, "v"]:
        return self.vertices[:, 1]

    def group(self, name: str, threshold: float = 0.5) -> Bool[np.ndarray, "v"]:
        return self.group_weight[name] > threshold


def _chain_coord(p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Coordinate along the polyline a→b→c: 0 at a, 0.5 at b, 1 at c (extrapolated outside)."""
    def seg(p, s0, s1):
        d = s1 - s0
        t = (p - s0) @ d / max(float(d @ d), 1e-12)
        dist = np.linalg.norm(p - (s0 + np.clip(t, 0, 1)[:, None] * d), axis=1)
        return t, dist

    t1, d1 = seg(p, a, b)
    t2, d2 = seg(p, b, c)
    return np.where((d1 <= d2) & (t1 < 1.0) | (t2 < 0.0), 0.5 * t1, 0.5 + 0.5 * t2)


def body_regions(body: Body) -> BodyRegions:
    labels = bone_labels()
    groups = np.array([GROUPS.index(_group_of(b)) for b in labels])
    gw = np.zeros((len(body.vertices), len(GROUPS)))
    for gi in range(len(GROUPS)):
        gw[:, gi] = body.bone_weights[:, groups == gi].sum(1)
    group_weight = {g: gw[:, i] for i, g in enumerate(GROUPS)}

    v, j = body.vertices, body.joints
    side = np.where(v[:, 0] >= 0, 1.0, -1.0)
    arm = np.zeros(len(v))
    leg = np.zeros(len(v))
    for s, sign in (("L", 1.0), ("R", -1.0)):
        m = side == sign
        arm[m] = _chain_coord(v[m], j[f"upperarm01.{s}"], j[f"lowerarm01.{s}"], j[f"wrist.{s}"])
        leg[m] = _chain_coord(v[m], j[f"upperleg01.{s}"], j[f"lowerleg01.{s}"], j[f"foot.{s}"])

    head_rot = body.joint_rotations.get("head", np.eye(3))
    head_local = (v - j["head"]) @ head_rot  # rotate back into the rest (upright, facing +Z) frame
    hip_y = 0.5 * (j["upperleg01.L"][1] + j["upperleg01.R"][1])
    landmarks = {
        "hip": float(hip_y),
        "waist": float(j["spine03"][1]),
        "neck": float(j["neck01"][1]),
        "shoulder": float(0.5 * (j["upperarm01.L"][1] + j["upperarm01.R"][1])),
        "knee": float(0.5 * (j["lowerleg01.L"][1] + j["lowerleg01.R"][1])),
        "ankle": float(0.5 * (j["foot.L"][1] + j["foot.R"][1])),
        "top": float(v[:, 1].max()),
        "bottom": float(v[:, 1].min()),
    }
    return BodyRegions(body.vertices, _largest_component(body), group_weight, arm, leg, side, head_local, landmarks)


def _largest_component(body: Body) -> np.ndarray:
    comp = vertex_components(body.faces, len(body.vertices))
    return comp == np.bincount(comp).argmax()
