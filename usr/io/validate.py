"""Every problem of a capture, each naming the file and the field: `usr data validate` and the readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from usr.io.cameras_json import parse_cameras_json
from usr.io.errors import CaptureError, problem
from usr.io.images import IMAGE_SUFFIXES, find_image, read_image
from usr.io.nerfstudio import read_transforms
from usr.labels import NUM_LABELS

OPTIONAL_MAPS = {"masks": "L", "labels": "L", "depth": "I;16", "normals": "RGB"}


def subject_problems(path: Path) -> list[str]:
    """All problems of a subject folder (empty list = valid)."""
    path = Path(path)
    if not path.is_dir():
        return [problem(path, None, "subject folder not found")]
    cameras, doc, problems = parse_cameras_json(path / "cameras.json")
    if not cameras:
        return problems
    # every camera entry counts against the images, a broken one too (its own problem is already listed)
    names = [item["name"] for item in doc["cameras"] if isinstance(item, dict) and isinstance(item.get("name"), str)]
    images_dir = path / "images"
    if not images_dir.is_dir():
        return problems + [problem(images_dir, None, "folder not found (one image per camera expected)")]
    stems = sorted(p.stem for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if len(stems) != len(names):
        problems.append(problem(path / "cameras.json", "cameras",
                                f"{len(names)} cameras but {len(stems)} images in {images_dir}"))
    for stem in sorted(set(stems) - set(names)):
        problems.append(problem(images_dir, stem, "image has no camera of that name in cameras.json"))
    for cam in cameras:
        problems += _map_problems(find_image(images_dir, cam.name), images_dir / f"{cam.name}.png", cam, "RGB", "image")
    for folder, mode in OPTIONAL_MAPS.items():
        d = path / folder
        if not d.is_dir():
            continue
        for cam in cameras:
            problems += _map_problems(find_image(d, cam.name), d / f"{cam.name}.png", cam, mode, folder)
    return problems


def _map_problems(found: Path | None, expected: Path, cam, mode: str, kind: str) -> list[str]:
    if found is None:
        return [problem(expected, None, f"missing {kind} for camera {cam.name!r}")]
    try:
        arr = read_image(found, mode)
    except CaptureError as exc:
        return exc.problems
    out = []
    h, w = arr.shape[:2]
    if (w, h) != (cam.width, cam.height):
        out.append(problem(found, "size", f"{w}x{h} but cameras.json declares {cam.width}x{cam.height} for {cam.name!r}"))
    if kind == "masks":
        if not arr.any():
            out.append(problem(found, "mask", "empty mask (no foreground pixel)"))
        elif not np.isin(np.unique(arr), (0, 255)).all():
            out.append(problem(found, "mask", "values other than 0 and 255 (masks are binary uint8 0/255)"))
    if kind == "labels" and arr.max(initial=0) >= NUM_LABELS:
        out.append(problem(found, "labels", f"label id {int(arr.max())} outside the label table 0..{NUM_LABELS - 1}"))
    return out


def capture_problems(path: Path) -> list[str]:
    """Problems of whatever PATH is: a subject folder, a folder of subject folders, or a transforms.json."""
    path = Path(path)
    if path.is_file() and path.suffix == ".json":
        try:
            read_transforms(path)
        except CaptureError as exc:
            return exc.problems
        return []
    if path.is_dir() and not (path / "cameras.json").exists():
        subs = sorted(p for p in path.iterdir() if p.is_dir() and (p / "cameras.json").exists())
        if subs:
            return [p for s in subs for p in subject_problems(s)]
    return subject_problems(path)
