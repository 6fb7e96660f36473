"""The subject folder (docs/formats.md): cameras.json + images/ [+ masks/ labels/ depth/ normals/ gt/].

    subject/
      cameras.json   {"version": 1, "units": "m", "cameras": [{"name","width","height","K","R","t","dist"}]}
      images/<name>.png|jpg   masks/<name>.png (0/255)   labels/<name>.png (label ids)
      depth/<name>.png (uint16 mm)   normals/<name>.png   gt/ (synthetic ground truth)

`write_subject` is atomic (temp folder, then rename); `read_subject` raises CaptureError with
every problem `validate.subject_problems` finds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from usr.io.atomic import atomic_dir, write_bytes_atomic, write_json_atomic
from usr.io.cameras import Camera
from usr.io.capture import GroundTruth, SubjectCapture
from usr.io.errors import CaptureError, problem
from usr.io.images import (decode_depth, decode_normals, encode_depth, encode_normals, find_image, png_bytes,
                           read_image)

CAMERAS_VERSION = 1
CAMERA_FIELDS = ("name", "width", "height", "K", "R", "t")


def cameras_json_dict(cameras: list[Camera], extra: dict | None = None) -> dict:
    """The cameras.json document (schema version 1)."""
    doc = {
        "version": CAMERAS_VERSION,
        "units": "m",
        "cameras": [
            {"name": c.name, "width": c.width, "height": c.height, "K": c.K.tolist(), "R": c.R.tolist(),
             "t": c.t.tolist(), "dist": c.dist.tolist()}
            for c in cameras
        ],
    }
    doc.update(extra or {})
    return doc


def parse_cameras_json(path: Path) -> tuple[list[Camera], dict, list[str]]:
    """Cameras, the whole document, and every problem found (each naming file and field)."""
    path = Path(path)
    if not path.is_file():
        return [], {}, [problem(path, None, "file not found (every subject folder needs cameras.json)")]
    try:
        doc = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return [], {}, [problem(path, None, f"not valid JSON ({exc})")]
    if not isinstance(doc, dict):
        return [], {}, [problem(path, None, "top level must be an object")]
    if doc.get("version") != CAMERAS_VERSION:
        return [], doc, [problem(path, "version", f"unknown schema version {doc.get('version')!r}; this reader knows {CAMERAS_VERSION}")]
    if doc.get("units", "m") != "m":
        return [], doc, [problem(path, "units", f"must be \"m\" (metres), got {doc.get('units')!r}")]
    items = doc.get("cameras")
    if not isinstance(items, list) or not items:
        return [], doc, [problem(path, "cameras", "must be a non-empty list")]
    cameras, problems = [], []
    for i, item in enumerate(items):
        cam, errs = _parse_camera(item, f"cameras[{i}]")
        problems += [problem(path, e.split(": ", 1)[0], e.split(": ", 1)[1]) for e in errs]
        if cam is not None:
            cameras.append(cam)
    names = [c.name for c in cameras]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(problem(path, "cameras", f"duplicate camera name {name!r}"))
    return cameras, doc, problems


def _parse_camera(item, where: str) -> tuple[Camera | None, list[str]]:
    from usr.io.cameras import camera_problems

    if not isinstance(item, dict):
        return None, [f"{where}: must be an object"]
    missing = [f for f in CAMERA_FIELDS if f not in item]
    if missing:
        return None, [f"{where}: missing field(s) {', '.join(missing)}"]
    errs = []
    arrays = {}
    for key, shape in (("K", (3, 3)), ("R", (3, 3)), ("t", (3,)), ("dist", None)):
        try:
            arr = np.asarray(item.get(key, []), dtype=np.float64)
        except (TypeError, ValueError):
            errs.append(f"{where}.{key}: not a numeric array")
            continue
        if shape is not None and arr.shape != shape:
            errs.append(f"{where}.{key}: shape must be {shape}, got {arr.shape}")
        elif shape is None and (arr.ndim != 1 or arr.size not in (0, 4, 5)):
            errs.append(f"{where}.{key}: must hold 0, 4 or 5 numbers (k1 k2 p1 p2 [k3]), got shape {arr.shape}")
        arrays[key] = arr
    for key in ("width", "height"):
        if not isinstance(item[key], int) or isinstance(item[key], bool):
            errs.append(f"{where}.{key}: must be an integer, got {item[key]!r}")
    if not isinstance(item["name"], str) or not item["name"]:
        errs.append(f"{where}.name: must be a non-empty string")
    if errs:
        return None, errs
    cam = Camera(item["name"], item["width"], item["height"], arrays["K"], arrays["R"], arrays["t"], arrays["dist"])
    errs = [f"{where}.{e}" for e in camera_problems(cam)]
    return (None if errs else cam), errs


def read_cameras_json(path: Path) -> list[Camera]:
    cameras, _, problems = parse_cameras_json(path)
    if problems:
        raise CaptureError(problems)
    return cameras


def read_subject(path: Path, load_images: bool = True) -> SubjectCapture:
    """Read and validate a subject folder; CaptureError lists every problem."""
    from usr.io.validate import subject_problems

    path = Path(path)
    problems = subject_problems(path)
    if problems:
        raise CaptureError(problems)
    cameras, doc, _ = parse_cameras_json(path / "cameras.json")
    names = [c.name for c in cameras]

    def optional(folder: str, mode: str):
        paths = [find_image(path / folder, n) for n in names]
        return [read_image(p, mode) for p in paths] if load_images and all(paths) else None

    images = [read_image(find_image(path / "images", n)) for n in names] if load_images else []
    masks, labels = optional("masks", "L"), optional("labels", "L")
    extras = {k: v for k, v in doc.items() if k not in ("version", "units", "cameras")}
    depth = optional("depth", "I;16")
    normals = optional("normals", "RGB")
    if depth is not None:
        extras["depth"] = [decode_depth(d) for d in depth]
    if normals is not None:
        extras["normals"] = [decode_normals(n) for n in normals]
    gt = GroundTruth.from_folder(path / "gt") if (path / "gt").is_dir() else None
    return SubjectCapture(path.name, cameras, images if load_images else [None] * len(cameras), masks, labels, gt,
                          path, extras)


def write_subject_files(capture: SubjectCapture, folder: Path, extra_json: dict | None = None) -> None:
    """Write the capture's files into an existing folder (the caller makes the whole folder atomic).

    Depth/normal maps are written when `capture.extras` holds "depth" (metres) / "normals" lists.
    """
    folder = Path(folder)
    write_json_atomic(folder / "cameras.json", cameras_json_dict(capture.cameras, extra_json))
    groups = [("images", capture.images, None), ("masks", capture.masks, None), ("labels", capture.labels, None),
              ("depth", capture.extras.get("depth"), encode_depth), ("normals", capture.extras.get("normals"), encode_normals)]
    for sub, items, encode in groups:
        if items is None:
            continue
        for cam, arr in zip(capture.cameras, items):
            data = encode(arr) if encode else np.asarray(arr)
            write_bytes_atomic(folder / sub / f"{cam.name}.png", png_bytes(data))


def write_subject(capture: SubjectCapture, path: Path, overwrite: bool = False, extra_json: dict | None = None) -> Path:
    """Write a complete subject folder atomically: it appears only when every file is written."""
    path = Path(path)
    with atomic_dir(path, overwrite=overwrite) as tmp:
        write_subject_files(capture, tmp, extra_json)
    return path
