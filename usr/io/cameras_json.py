"""cameras.json (schema version 1, docs/formats.md): the document, its parsing with every problem named, reading.

    {"version": 1, "units": "m", "cameras": [{"name","width","height","K","R","t","dist"}]}

Below both `subject_folder` (which reads and writes it) and `validate` (which reports its problems).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from usr.io.cameras import Camera, camera_problems
from usr.io.errors import CaptureError, problem

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
