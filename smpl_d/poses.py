"""Body poses for anny (local-ref parameterisation) and realistic phenotype ranges.

Poses are per-bone axis-angle vectors in anny's local frames. Measured on the model: the
right side mirrors the left as (x, y, z) → (x, −y, −z); on the left, upper-arm rotation about
−y raises the arm sideways (rest is an A-pose, arms ~48° below horizontal), elbow rotation
ELBOW_STRAIGHT straightens the ~42° rest bend, hip rotation about −x flexes the hip forward,
−y abducts the left leg, knee rotation about +x bends the knee.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

POSE_KINDS = ("a_pose", "t_pose", "relaxed", "random")  # drawn by default
ALL_POSE_KINDS = POSE_KINDS + ("wide",)  # "wide": opt-in (usr data synth --poses), see wide_pose

# anny phenotype parameters are 0..1; these ranges keep adults of realistic build.
PHENOTYPE_RANGES: dict[str, tuple[float, float]] = {
    "gender": (0.0, 1.0),
    "age": (0.45, 0.85),
    "muscle": (0.2, 0.8),
    "weight": (0.2, 0.8),
    "height": (0.15, 0.85),
    "proportions": (0.3, 0.7),
}

ELBOW_STRAIGHT = np.array([0.546, 0.034, 0.49])  # rest → straight forearm (solved on the model)
ELBOW_REST_BEND = float(np.linalg.norm(ELBOW_STRAIGHT))  # the rest pose's elbow bend, rad
ARM_RAISE_TO_HORIZONTAL = 0.84  # rad about −y from the rest A-pose
SEATED_HIP_FLEX = 1.45  # rad: hips and knees of the seated try-on pose


@dataclass
class Pose:
    kind: str
    rotations: dict[str, list[float]]  # bone label → axis-angle (local-ref), radians

    def to_json(self) -> dict:
        return {"kind": self.kind, "rotations": self.rotations}

    @classmethod
    def from_json(cls, d: dict) -> "Pose":
        return cls(d["kind"], {k: list(map(float, v)) for k, v in d["rotations"].items()})


def _mirror(rv) -> list[float]:
    x, y, z = rv
    return [float(x), float(-y), float(-z)]


def _elbow(bend: float) -> np.ndarray:
    """Rotation giving an elbow bend of `bend` rad (0 = straight)."""
    return ELBOW_STRAIGHT * (1.0 - bend / ELBOW_REST_BEND)


def _symmetric(left: dict[str, np.ndarray], right: dict[str, np.ndarray] | None = None) -> dict[str, list[float]]:
    """Left-side rotations plus their mirrors on the right (or explicit right-side values)."""
    out: dict[str, list[float]] = {}
    for bone, rv in left.items():
        out[f"{bone}.L"] = [float(v) for v in rv]
        out[f"{bone}.R"] = _mirror(right[bone] if right and bone in right else rv)
    return out


def named_pose(kind: str) -> Pose:
    """A-pose, T-pose, relaxed (arms down, slight elbow bend) or seated."""
    if kind == "a_pose":
        rot = _symmetric({"lowerarm01": _elbow(0.15)})
    elif kind == "t_pose":
        rot = _symmetric({"upperarm01": np.array([0.0, -ARM_RAISE_TO_HORIZONTAL, 0.0]), "lowerarm01": _elbow(0.0)})
    elif kind == "relaxed":
        rot = _symmetric({"upperarm01": np.array([0.05, 0.28, 0.0]), "lowerarm01": _elbow(0.35)})
    elif kind == "seated":  # thighs forward to horizontal, shins down, hands near the lap: a try-on pose, never drawn
        rot = _symmetric({"upperarm01": np.array([-0.35, 0.2, 0.0]), "lowerarm01": _elbow(0.9),
                          "upperleg01": np.array([-SEATED_HIP_FLEX, 0.0, 0.0]),
                          "lowerleg01": np.array([SEATED_HIP_FLEX, 0.0, 0.0])})
    else:
        raise ValueError(f"unknown pose kind {kind!r}; known: {', '.join(ALL_POSE_KINDS)}")
    return Pose(kind, rot)


@dataclass(frozen=True)
class PoseLimits:
    """Uniform ranges (rad) of a drawn pose's joints, left side (the right mirrors it, drawn on its own)."""

    arm: tuple[tuple[float, float], ...]  # upper arm: flex (− forward), raise (−), twist
    elbow: tuple[float, float]  # bend (0 = straight)
    hip: tuple[tuple[float, float], ...]  # flex (− forward), abduct (−), twist
    knee_flexed: tuple[float, float]  # knee bend when the hip flexes forward beyond `hip_flexed` …
    knee: tuple[float, float]  # … and otherwise
    hip_flexed: float
    torso: tuple[tuple[str, float], ...]  # bone, ± limit on each axis


# conservative: arms off the torso and legs apart, so garments built on the body stay valid
RANDOM_LIMITS = PoseLimits(arm=((-0.6, 0.25), (-0.8, 0.2), (-0.2, 0.2)), elbow=(0.0, 1.1),
                           hip=((-0.45, 0.15), (-0.2, 0.02), (-0.15, 0.15)), knee_flexed=(0.0, 0.7), knee=(0.0, 0.3),
                           hip_flexed=-0.1, torso=(("spine03", 0.12), ("spine01", 0.12), ("neck01", 0.2), ("head", 0.2)))
# as people stand in front of capture rigs: an arm up to overhead (≈ 80° above horizontal), a leg out sideways (≈ 35°)
# or forward, a knee bent to ≈ 70°, the torso turned and bent more; limbs still move only away from the torso
WIDE_LIMITS = PoseLimits(arm=((-1.0, 0.3), (-2.3, 0.1), (-0.4, 0.4)), elbow=(0.0, 1.6),
                         hip=((-0.9, 0.25), (-0.6, 0.02), (-0.3, 0.3)), knee_flexed=(0.0, 1.2), knee=(0.0, 0.5),
                         hip_flexed=-0.2, torso=(("spine03", 0.25), ("spine01", 0.2), ("neck01", 0.3), ("head", 0.3)))


def drawn_pose(kind: str, limits: PoseLimits, rng: np.random.Generator) -> Pose:
    """Each joint drawn independently and uniformly inside `limits`."""
    def u(lo, hi):
        return float(rng.uniform(lo, hi))

    rot: dict[str, list[float]] = {}
    for side, mirror in (("L", False), ("R", True)):
        arm = [u(*r) for r in limits.arm]
        elbow = _elbow(u(*limits.elbow))
        hip = [u(*r) for r in limits.hip]
        knee = [u(*limits.knee_flexed) if hip[0] < limits.hip_flexed else u(*limits.knee), 0.0, 0.0]
        for bone, rv in (("upperarm01", arm), ("lowerarm01", elbow), ("upperleg01", hip), ("lowerleg01", knee)):
            rot[f"{bone}.{side}"] = _mirror(rv) if mirror else [float(v) for v in rv]
    for bone, lim in limits.torso:
        rot[bone] = [u(-lim, lim), u(-lim, lim), u(-lim, lim)]
    return Pose(kind, rot)


def random_pose(rng: np.random.Generator) -> Pose:
    """A natural pose inside conservative limits (RANDOM_LIMITS)."""
    return drawn_pose("random", RANDOM_LIMITS, rng)


def wide_pose(rng: np.random.Generator) -> Pose:
    """A pose beyond `random_pose`'s limits (WIDE_LIMITS); a long skirt or dress stretches with the leg."""
    return drawn_pose("wide", WIDE_LIMITS, rng)


def sample_pose(kind: str, rng: np.random.Generator) -> Pose:
    if kind == "random":
        return random_pose(rng)
    return wide_pose(rng) if kind == "wide" else named_pose(kind)


def rotvec_to_transforms(rotations: dict[str, list[float]], yaw_deg: float = 0.0) -> dict[str, np.ndarray]:
    """4×4 local delta transforms for anny's `pose_parameters`; yaw turns the whole body about up."""
    out = {bone: _homogeneous(Rotation.from_rotvec(rv).as_matrix()) for bone, rv in rotations.items()}
    if yaw_deg:
        yaw = _homogeneous(Rotation.from_rotvec([0.0, 0.0, np.radians(yaw_deg)]).as_matrix())
        out["root"] = yaw @ out.get("root", np.eye(4))
    return out


def _homogeneous(r: np.ndarray) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] = r
    return m
