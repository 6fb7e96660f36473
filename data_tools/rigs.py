"""Camera rigs around a person centred on the origin: ring, hemisphere, random, train (photo-like framing of the
person), or given cameras."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from jaxtyping import Float

from usr.io.cameras import Camera, intrinsics_from_fov, look_at
from usr.settings import setting

RIG_KINDS = ("ring", "hemisphere", "random", "train")
CUT_SIDES = ("bottom", "top", "left", "right")


def _fov_to_fit(distance: float, half_extent: float = 1.0) -> float:
    """Field of view (rad) that keeps a ±half_extent metre box in frame from `distance`."""
    return 2.0 * np.arctan(half_extent / max(distance - 0.4, 0.5))


def _camera(i: int, eye: np.ndarray, target: np.ndarray, width: int, height: int) -> Camera:
    dist = float(np.linalg.norm(eye - target))
    K = intrinsics_from_fov(width, height, _fov_to_fit(dist) * min(1.0, width / height))
    R, t = look_at(eye, target)
    return Camera(f"cam{i:02d}", width, height, K, R, t)


def ring_rig(n: int, width: int, height: int | None = None, radius: float = 3.0, elevation_deg: float = 8.0,
             start_deg: float = 0.0, rng: np.random.Generator | None = None, jitter_deg: float = 0.0) -> list[Camera]:
    """`n` cameras evenly around the person (cam00 in front, +Z), slightly above chest height."""
    height = height or width
    cams = []
    for i in range(n):
        az = np.radians(start_deg + 360.0 * i / n + (rng.uniform(-jitter_deg, jitter_deg) if rng is not None else 0.0))
        el = np.radians(elevation_deg)
        eye = radius * np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])
        cams.append(_camera(i, eye, np.zeros(3), width, height))
    return cams


def hemisphere_rig(n: int, width: int, height: int | None = None, radius: float = 3.0,
                   min_elevation_deg: float = -10.0, max_elevation_deg: float = 60.0) -> list[Camera]:
    """`n` cameras on a Fibonacci spiral over the upper hemisphere (elevations within the limits)."""
    height = height or width
    golden = np.pi * (3.0 - np.sqrt(5.0))
    lo, hi = np.sin(np.radians(min_elevation_deg)), np.sin(np.radians(max_elevation_deg))
    cams = []
    for i in range(n):
        s = lo + (hi - lo) * (i + 0.5) / n
        c = np.sqrt(1 - s * s)
        az = golden * i
        eye = radius * np.array([c * np.sin(az), s, c * np.cos(az)])
        cams.append(_camera(i, eye, np.zeros(3), width, height))
    return cams


def random_rig(n: int, width: int, rng: np.random.Generator, height: int | None = None) -> list[Camera]:
    """`n` cameras at random azimuth, elevation −10…40° and distance 2.4…3.6 m, aimed near the centre."""
    height = height or width
    cams = []
    for i in range(n):
        az, el = rng.uniform(0, 2 * np.pi), np.radians(rng.uniform(-10, 40))
        r = rng.uniform(2.4, 3.6)
        eye = r * np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])
        cams.append(_camera(i, eye, rng.normal(0, 0.05, 3), width, height))
    return cams


@dataclass(frozen=True)
class TrainRigSpec:
    """Training rigs: a few cameras at random places, each framing the person like a photo would."""

    min_cameras: int = setting(3, "Fewest cameras of a subject (the most is the rig's `n`).", min=1)
    min_elevation_deg: float = setting(-10.0, "Lowest camera elevation seen from the person's centre.")
    max_elevation_deg: float = setting(35.0, "Highest camera elevation.")
    min_height_fraction: float = setting(0.40, "Smallest share of the picture height the person spans.", min=0.05)
    max_height_fraction: float = setting(0.95, "Largest share of the picture height the person spans.", max=1.0)
    min_distance: float = setting(1.8, "Nearest camera, metres from the person's centre.", min=0.5)
    max_distance: float = setting(6.0, "Farthest camera, metres.")
    min_fov_deg: float = setting(15.0, "Narrowest vertical field of view (a long lens).")
    max_fov_deg: float = setting(75.0, "Widest vertical field of view (a wide phone lens).")
    cut_probability: float = setting(0.15, "Chance that a camera cuts part of the person by the frame.", min=0.0,
                                     max=1.0)
    cut_sides: tuple[float, ...] = setting((0.4, 0.2, 0.2, 0.2), "Weights of the cut side: bottom (feet), top "
                                                                 "(head), left, right (an arm).", cli=False)
    min_cut: float = setting(0.03, "Least share of the person's extent (along the cut axis) outside the frame.")
    max_cut: float = setting(0.20, "Largest share outside the frame.")
    spread_probability: float = setting(0.7, "Chance that a subject's cameras are spread evenly around it "
                                             "(jittered); else every azimuth is random.", min=0.0, max=1.0)
    max_roll_deg: float = setting(3.0, "Camera roll, uniform in ± this.", min=0.0)


@dataclass(frozen=True)
class Framing:
    """Where a person lands in one picture: `height_fraction` = the person's (uncut) projected height over the
    picture height; `cut` = the sides of the frame the person crosses (empty when fully inside)."""

    height_fraction: float
    cut: tuple[str, ...]


def framing(cam: Camera, person: Float[np.ndarray, "n 3"]) -> Framing:
    """How `cam` frames the points `person` (the extremes of a mesh's picture are at its vertices)."""
    uv, _ = cam.project(person)
    lo, hi = uv.min(0), uv.max(0)
    cut = [side for side, out in zip(CUT_SIDES, (hi[1] > cam.height - 0.5, lo[1] < -0.5, lo[0] < -0.5,
                                                   hi[0] > cam.width - 0.5)) if out]
    return Framing(float((hi[1] - lo[1]) / cam.height), tuple(cut))


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking direction `a` to direction `b`."""
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    axis, c = np.cross(a, b), float(a @ b)
    s = np.linalg.norm(axis)
    if s < 1e-12:
        return np.eye(3)
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


def _normalized(person: np.ndarray, eye: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x/z and y/z of the points in the camera at `eye` with rotation `R`."""
    pc = (person - eye) @ R.T
    return pc[:, 0] / pc[:, 2], pc[:, 1] / pc[:, 2]


def _frame_camera(name: str, eye: np.ndarray, R: np.ndarray, person: np.ndarray, size: int, focal: float,
                  cut: str | None, cut_share: float, max_fraction: float, rng: np.random.Generator) -> Camera:
    """A camera at `eye` with focal length `focal` (pixels), turned from `R` (looking at the person) to put the person
    at a random place in the frame, or across the `cut` side by `cut_share` of its extent. Off the optical axis a
    person looks a little taller: the focal length is shortened where that would pass `max_fraction` of the picture
    height, or (no cut) push the person over an edge."""
    xn, yn = _normalized(person, eye, R)
    extent = focal * np.array([np.ptp(xn), np.ptp(yn)])
    if cut is None and extent[0] > size - 2:  # wider than the picture: fit the width instead
        focal *= (size - 2) / extent[0]
        extent *= (size - 2) / extent[0]
    place = rng.uniform(-0.9, 0.9, 2) * np.maximum(0.0, (size - 2 - extent) / 2)  # pixels from the picture centre
    if cut is not None:
        axis, sign = {"bottom": (1, 1), "top": (1, -1), "left": (0, -1), "right": (0, 1)}[cut]
        place[axis] = sign * (size / 2 + (cut_share - 0.5) * extent[axis])
    for _ in range(4):  # turn the camera until the person's box centre sits at `place`
        xn, yn = _normalized(person, eye, R)
        now = np.array([(xn.max() + xn.min()) / 2, (yn.max() + yn.min()) / 2, 1.0])
        R = _rotation_between(now, np.array([*(place / focal), 1.0])) @ R
    xn, yn = _normalized(person, eye, R)
    focal = min(focal, max_fraction * size / float(np.ptp(yn)))
    if cut is None:
        focal = min(focal, 0.999 * (size / 2) / float(np.abs(np.concatenate([xn, yn])).max()))
    half = (size - 1) / 2
    K = np.array([[focal, 0.0, half], [0.0, focal, half], [0.0, 0.0, 1.0]])
    return Camera(name, size, size, K, R, -R @ eye)


def _eye(centre: np.ndarray, distance: float, az: float, el: float) -> np.ndarray:
    return centre + distance * np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])


def _look(eye: np.ndarray, centre: np.ndarray, roll: float) -> np.ndarray:
    R, _ = look_at(eye, centre)
    c, s = np.cos(roll), np.sin(roll)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ R


def train_rig(n: int, size: int, rng: np.random.Generator, person: Float[np.ndarray, "p 3"],
              spec: TrainRigSpec = TrainRigSpec()) -> list[Camera]:
    """`min_cameras`…`n` cameras (count drawn per subject) around the points `person` (its meshes' vertices), at
    random elevation and distance, each with the focal length that makes the person a random share of the picture
    height (the distance is moved where that would need a lens outside the field-of-view range), aimed to put it
    anywhere in the frame, sometimes across an edge (`spec.cut_probability`)."""
    person = np.asarray(person, dtype=np.float64)
    lo, hi = person.min(0), person.max(0)
    centre = (lo + hi) / 2
    count = int(rng.integers(min(spec.min_cameras, n), n + 1))
    start = rng.uniform(0, 2 * np.pi)
    if rng.random() < spec.spread_probability:
        azimuths = start + 2 * np.pi * (np.arange(count) + rng.uniform(-0.25, 0.25, count)) / count
    else:
        azimuths = rng.uniform(0, 2 * np.pi, count)
    lens = size / 2 / np.tan(np.radians([spec.max_fov_deg, spec.min_fov_deg]) / 2)  # shortest, longest focal (px)
    weights = np.asarray(spec.cut_sides, dtype=np.float64)
    cams = []
    for i, az in enumerate(azimuths):
        fraction = rng.uniform(spec.min_height_fraction, spec.max_height_fraction)
        distance = rng.uniform(spec.min_distance, spec.max_distance)
        el = np.radians(rng.uniform(spec.min_elevation_deg, spec.max_elevation_deg))
        roll = np.radians(rng.uniform(-spec.max_roll_deg, spec.max_roll_deg))
        cut = str(rng.choice(CUT_SIDES, p=weights / weights.sum())) if rng.random() < spec.cut_probability else None
        cut_share = rng.uniform(spec.min_cut, spec.max_cut)
        for _ in range(4):  # the focal length for `fraction`; where the lens range forbids it, move the camera
            eye = _eye(centre, distance, az, el)
            R = _look(eye, centre, roll)
            focal = fraction * size / float(np.ptp(_normalized(person, eye, R)[1]))
            lens_focal = float(np.clip(focal, *lens))
            if lens_focal == focal:
                break
            distance = float(np.clip(distance * lens_focal / focal, spec.min_distance, spec.max_distance))
        cams.append(_frame_camera(f"cam{i:02d}", eye, R, person, size, focal, cut, cut_share,
                                  spec.max_height_fraction, rng))
    return cams


def make_rig(kind: str, n: int, size: int, rng: np.random.Generator,
             person: Float[np.ndarray, "p 3"] | None = None) -> list[Camera]:
    """Dispatch on the rig kind; ring and hemisphere are deterministic, random and train use `rng`; train frames
    the points `person` (its meshes' vertices) and takes `n` as its most cameras."""
    if kind == "ring":
        return ring_rig(n, size, start_deg=0.0)
    if kind == "hemisphere":
        return hemisphere_rig(n, size)
    if kind == "random":
        return random_rig(n, size, rng)
    if kind == "train":
        if person is None:
            raise ValueError("rig 'train' frames the person: give its vertices (person=...)")
        return train_rig(n, size, rng, person)
    raise ValueError(f"unknown rig {kind!r}; known: {', '.join(RIG_KINDS)} (or give cameras.json)")
