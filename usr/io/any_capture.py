"""One entry for every capture kind a user points at: a subject folder (cameras.json) or a nerfstudio
transforms.json (the file, or a folder holding it); and the captures found in a folder of them."""

from __future__ import annotations

import json
from pathlib import Path

from usr.io.capture import SubjectCapture
from usr.io.errors import CaptureError, problem
from usr.io.nerfstudio import read_transforms
from usr.io.subject_folder import read_subject

TRANSFORMS = "transforms.json"


def capture_kind(path: Path) -> str | None:
    """"subject" (a folder with cameras.json), "transforms" (transforms.json, or a folder with one), or None."""
    path = Path(path)
    if path.is_file():
        return "transforms" if path.name == TRANSFORMS or (path.suffix == ".json" and _has_frames(path)) else None
    if (path / "cameras.json").is_file():
        return "subject"
    if (path / TRANSFORMS).is_file():
        return "transforms"
    return None


def _has_frames(path: Path) -> bool:
    """A .json of another name is a transforms capture when it holds a "frames" list (splits.json is not)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and isinstance(doc.get("frames"), list)


def read_capture(path: Path, load_images: bool = True) -> SubjectCapture:
    """A subject folder or a transforms.json capture, validated (CaptureError names the file and field)."""
    path = Path(path)
    kind = capture_kind(path)
    if kind == "subject":
        return read_subject(path, load_images)
    if kind == "transforms":
        return read_transforms(path if path.is_file() else path / TRANSFORMS, load_images)
    raise CaptureError(problem(path, None, "not a capture: expected a subject folder with cameras.json, "
                                           f"a {TRANSFORMS}, or a folder holding one"))


def find_captures(root: Path) -> list[Path]:
    """`root` itself when it is a capture, else its sub-folders (and loose .json files) that are, sorted."""
    root = Path(root)
    if not root.exists():
        raise CaptureError(problem(root, None, "not found"))
    if capture_kind(root) is not None:
        return [root]
    return sorted(p for p in root.iterdir() if not p.name.startswith(".") and capture_kind(p) is not None)
