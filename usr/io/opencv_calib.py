"""OpenCV-style calibration TOML (Pose2Sim `Calib_scene_opencv.toml`) → cameras in the project's world.

Each section other than [metadata] is one camera: `name`, `size = [w, h]`, `matrix` (K),
`distortions` (k1 k2 p1 p2), `rotation` (Rodrigues, world→camera), `translation` (metres).
Such worlds are usually Z-up (calibration board on the floor). The reader turns the world so
that `up_axis` becomes +Y ("auto": the source axis closest to the mean of the cameras' image-up
directions, since rigs hold cameras upright), then recentres it: the point closest, in the least
squares sense, to all optical axes (where the cameras look, i.e. the person) becomes the origin.
The applied 4×4 `world_from_source` is returned so results can be mapped back.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

from usr.io.cameras import Camera, camera_problems, rodrigues
from usr.io.errors import CaptureError, problem

AXES = {"x": 0, "y": 1, "z": 2}


def read_opencv_toml(path: Path) -> list[Camera]:
    """Cameras exactly as stored (source world), named after their sections; CaptureError on bad fields."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise CaptureError(problem(path, None, "file not found")) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaptureError(problem(path, None, f"not valid TOML ({exc})")) from None
    cameras, problems = [], []
    for section, item in doc.items():
        if section == "metadata" or not isinstance(item, dict):
            continue
        try:
            w, h = (int(round(float(v))) for v in item["size"])
            K = np.asarray(item["matrix"], dtype=np.float64)
            dist = np.asarray(item.get("distortions", []), dtype=np.float64)
            R = rodrigues(np.asarray(item["rotation"], dtype=np.float64))
            t = np.asarray(item["translation"], dtype=np.float64)
            if item.get("fisheye", False):
                problems.append(problem(path, f"{section}.fisheye", "fisheye calibrations are not supported"))
                continue
            cam = Camera(str(item.get("name", section)), w, h, K, R, t, dist)
        except KeyError as exc:
            problems.append(problem(path, f"{section}.{exc.args[0]}", "missing field"))
            continue
        except (TypeError, ValueError) as exc:
            problems.append(problem(path, section, f"bad value ({exc})"))
            continue
        problems += [problem(path, f"{section}.{e.split(': ', 1)[0]}", e.split(": ", 1)[1]) for e in camera_problems(cam)]
        cameras.append(cam)
    if not cameras and not problems:
        problems.append(problem(path, None, "no camera sections found"))
    if problems:
        raise CaptureError(problems)
    return cameras


def up_rotation(cameras: list[Camera], up_axis: str = "auto") -> np.ndarray:
    """Rotation taking the source world's up axis ("x", "-z", …, or "auto") to +Y, right-handed."""
    if up_axis == "auto":
        mean_up = np.mean([-c.R[1] for c in cameras], axis=0)  # image "up" (−y) of each camera, in the world
        k = int(np.argmax(np.abs(mean_up)))
        sign = 1.0 if mean_up[k] > 0 else -1.0
    else:
        key = up_axis.lstrip("+-").lower()
        if key not in AXES:
            raise ValueError(f"up axis must be auto, x, y, z, -x, -y or -z; got {up_axis!r}")
        k, sign = AXES[key], (-1.0 if up_axis.startswith("-") else 1.0)
    up = np.zeros(3)
    up[k] = sign
    # an orthonormal frame whose second row is `up`: rows are the new x, y (=up), z axes in source coordinates
    helper = np.eye(3)[(k + 1) % 3]
    new_z = np.cross(helper, up)
    new_z /= np.linalg.norm(new_z)
    new_x = np.cross(up, new_z)
    return np.stack([new_x, up, new_z])


def look_point(cameras: list[Camera]) -> np.ndarray:
    """The point closest (least squares) to every camera's optical axis."""
    A, b = np.zeros((3, 3)), np.zeros(3)
    for c in cameras:
        d = c.R[2] / np.linalg.norm(c.R[2])
        P = np.eye(3) - np.outer(d, d)
        A += P
        b += P @ c.center
    return np.linalg.lstsq(A, b, rcond=None)[0]


def to_project_world(cameras: list[Camera], up_axis: str = "auto", recentre: bool = True) -> tuple[list[Camera], np.ndarray]:
    """Cameras in the +Y-up world centred on where they look, and the 4×4 world_from_source."""
    R = up_rotation(cameras, up_axis)
    t = -R @ look_point(cameras) if recentre and len(cameras) >= 2 else np.zeros(3)
    moved = [c.transformed(R, t) for c in cameras]
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, t
    return moved, T
