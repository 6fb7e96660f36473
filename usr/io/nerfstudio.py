"""nerfstudio `transforms.json` ↔ SubjectCapture.

Mapping (docs/formats.md): `transform_matrix` is OpenGL camera-to-world (x right, y up, z back);
intrinsics `fl_x fl_y cx cy` (or `camera_angle_x` [+ `camera_angle_y`]) and `w h` at the top level
and/or per frame (per frame wins); distortion `k1 k2 p1 p2 [k3]`; `camera_model` OPENCV or PINHOLE.
nerfstudio/COLMAP put pixel centres at +0.5, our K puts the top-left pixel centre at (0, 0):
cx_ours = cx_ns − 0.5 (same for cy) on reading, + 0.5 on writing. Camera names are the image stems.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from usr.io.atomic import atomic_dir, write_bytes_atomic, write_json_atomic
from usr.io.cameras import Camera, camera_problems, camera_to_opengl_c2w, opengl_c2w_to_camera
from usr.io.capture import SubjectCapture
from usr.io.errors import CaptureError, problem
from usr.io.images import png_bytes, read_image

PIXEL_CENTRE_SHIFT = 0.5
SUPPORTED_MODELS = ("OPENCV", "PINHOLE", "SIMPLE_PINHOLE")


def _intrinsics(src: dict, top: dict, path: Path, where: str) -> tuple[np.ndarray, int, int, np.ndarray]:
    def get(key):
        return src.get(key, top.get(key))

    w, h = get("w"), get("h")
    if w is None or h is None:
        raise CaptureError(problem(path, where, "missing image size w/h (per frame or top level)"))
    w, h = int(w), int(h)
    fx, fy = get("fl_x"), get("fl_y")
    if fx is None:
        angle_x = get("camera_angle_x")
        if angle_x is None:
            raise CaptureError(problem(path, where, "no focal length: need fl_x/fl_y or camera_angle_x"))
        fx = 0.5 * w / math.tan(0.5 * float(angle_x))
        angle_y = get("camera_angle_y")
        fy = 0.5 * h / math.tan(0.5 * float(angle_y)) if angle_y is not None else fx
    fy = fx if fy is None else fy
    cx = get("cx") if get("cx") is not None else w / 2.0
    cy = get("cy") if get("cy") is not None else h / 2.0
    model = str(get("camera_model") or "OPENCV").upper()
    if model not in SUPPORTED_MODELS:
        raise CaptureError(problem(path, f"{where}.camera_model",
                                   f"{model} is not supported (only {', '.join(SUPPORTED_MODELS)}; undistort fisheye images first)"))
    dist = np.array([float(get(k) or 0.0) for k in ("k1", "k2", "p1", "p2", "k3")])
    dist = dist if dist.any() else np.zeros(0)
    K = np.array([[float(fx), 0.0, float(cx) - PIXEL_CENTRE_SHIFT], [0.0, float(fy), float(cy) - PIXEL_CENTRE_SHIFT],
                  [0.0, 0.0, 1.0]])
    return K, w, h, dist


def read_transforms(path: Path, load_images: bool = True) -> SubjectCapture:
    """Read a transforms.json (and its images/masks); CaptureError names file and field."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise CaptureError(problem(path, None, "file not found")) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CaptureError(problem(path, None, f"not valid JSON ({exc})")) from None
    frames = doc.get("frames") if isinstance(doc, dict) else None
    if not isinstance(frames, list) or not frames:
        raise CaptureError(problem(path, "frames", "must be a non-empty list"))
    cameras, images, masks, problems = [], [], [], []
    for i, fr in enumerate(frames):
        where = f"frames[{i}]"
        if "file_path" not in fr or "transform_matrix" not in fr:
            problems.append(problem(path, where, "needs file_path and transform_matrix"))
            continue
        c2w = np.asarray(fr["transform_matrix"], dtype=np.float64)
        if c2w.shape not in ((4, 4), (3, 4)):
            problems.append(problem(path, f"{where}.transform_matrix", f"shape must be 4x4, got {c2w.shape}"))
            continue
        K, w, h, dist = _intrinsics(fr, doc, path, where)
        name = Path(fr["file_path"]).stem
        cam = opengl_c2w_to_camera(name, w, h, K, np.vstack([c2w[:3], [0, 0, 0, 1]]), dist)
        problems += [problem(path, f"{where}.{e.split(': ', 1)[0]}", e.split(": ", 1)[1]) for e in camera_problems(cam)]
        cameras.append(cam)
        if load_images:
            img_path = path.parent / fr["file_path"]
            if not img_path.suffix:
                img_path = img_path.with_suffix(".png")
            try:
                img = read_image(img_path)
                if img.shape[:2] != (h, w):
                    problems.append(problem(img_path, "size", f"{img.shape[1]}x{img.shape[0]} but {where} declares {w}x{h}"))
                images.append(img)
                if "mask_path" in fr:
                    masks.append(read_image(path.parent / fr["mask_path"], "L"))
            except CaptureError as exc:
                problems += exc.problems
    names = [c.name for c in cameras]
    problems += [problem(path, "frames", f"duplicate image name {n!r}") for n in sorted({n for n in names if names.count(n) > 1})]
    if problems:
        raise CaptureError(problems)
    return SubjectCapture(path.parent.name, cameras, images if load_images else [None] * len(cameras),
                          masks if masks and len(masks) == len(cameras) else None, root=path.parent)


def transforms_dict(cameras: list[Camera], mask_names: bool = False) -> dict:
    """transforms.json document with per-frame intrinsics (exact for any set of cameras)."""
    frames = []
    for c in cameras:
        fr = {
            "file_path": f"images/{c.name}.png",
            "transform_matrix": camera_to_opengl_c2w(c).tolist(),
            "w": c.width, "h": c.height,
            "fl_x": float(c.K[0, 0]), "fl_y": float(c.K[1, 1]),
            "cx": float(c.K[0, 2]) + PIXEL_CENTRE_SHIFT, "cy": float(c.K[1, 2]) + PIXEL_CENTRE_SHIFT,
            "camera_model": "OPENCV",
        }
        for k, v in zip(("k1", "k2", "p1", "p2", "k3"), c.dist):
            fr[k] = float(v)
        if mask_names:
            fr["mask_path"] = f"masks/{c.name}.png"
        frames.append(fr)
    return {"frames": frames}


def write_transforms(capture: SubjectCapture, out_dir: Path, overwrite: bool = False) -> Path:
    """Write transforms.json + images/ (+ masks/) atomically into `out_dir`."""
    out_dir = Path(out_dir)
    with atomic_dir(out_dir, overwrite=overwrite) as tmp:
        write_json_atomic(tmp / "transforms.json", transforms_dict(capture.cameras, capture.masks is not None))
        for i, cam in enumerate(capture.cameras):
            write_bytes_atomic(tmp / "images" / f"{cam.name}.png", png_bytes(capture.images[i]))
            if capture.masks is not None:
                write_bytes_atomic(tmp / "masks" / f"{cam.name}.png", png_bytes(capture.masks[i]))
    return out_dir / "transforms.json"
