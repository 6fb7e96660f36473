"""The subject folder (docs/formats.md): cameras.json + images/ [+ masks/ labels/ depth/ normals/ gt/].

    subject/
      cameras.json   (usr.io.cameras_json)
      images/<name>.png|jpg   masks/<name>.png (0/255)   labels/<name>.png (label ids)
      depth/<name>.png (uint16 mm)   normals/<name>.png   gt/ (synthetic ground truth)

`write_subject` is atomic (temp folder, then rename); `read_subject` raises CaptureError with
every problem `validate.subject_problems` finds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from usr.io.atomic import atomic_dir, write_bytes_atomic, write_json_atomic
from usr.io.cameras_json import cameras_json_dict, parse_cameras_json
from usr.io.capture import GroundTruth, SubjectCapture
from usr.io.errors import CaptureError
from usr.io.images import (decode_depth, decode_normals, encode_depth, encode_normals, find_image, png_bytes,
                           read_image)
from usr.io.validate import subject_problems


def read_subject(path: Path, load_images: bool = True) -> SubjectCapture:
    """Read and validate a subject folder; CaptureError lists every problem."""
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
