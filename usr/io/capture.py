"""The one capture type every stage takes, whatever format it came from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from jaxtyping import UInt8

from usr.io.cameras import Camera
from usr.io.errors import CaptureError


@dataclass
class GroundTruth:
    """Exact synthetic ground truth of a subject (paths into its gt/ folder, loaded on demand).

    full: the clothed surface (body + garments, every face labelled); body: the body under the
    clothes; garments: label name → mesh of that garment layer; meta: body parameters, garment
    list, seed (gt/meta.json).
    """

    root: Path
    full: Path
    body: Path
    garments: dict[str, Path]
    meta: dict

    @classmethod
    def from_folder(cls, gt_dir: Path) -> "GroundTruth":
        gt_dir = Path(gt_dir)
        garments = {p.stem: p for p in sorted((gt_dir / "garments").glob("*.obj"))}
        meta_path = gt_dir / "meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        return cls(gt_dir, gt_dir / "full.obj", gt_dir / "body.obj", garments, meta)

    def load(self, which: str = "full"):
        """trimesh.Trimesh of "full", "body" or a garment label, with vertex order kept."""
        from usr.io.meshes import load_mesh  # local: trimesh (~0.7 s) stays off the import path of every reader and the CLI

        path = {"full": self.full, "body": self.body}.get(which) or self.garments.get(which)
        if path is None:
            raise KeyError(f"{self.root}: no ground-truth mesh {which!r}; have full, body, {', '.join(self.garments)}")
        return load_mesh(path)

    def face_labels(self) -> np.ndarray:
        """Per-face label ids of full.obj (gt/full_face_labels.npy)."""
        return np.load(self.root / "full_face_labels.npy")


@dataclass
class SubjectCapture:
    """Images + calibrated cameras of one person, optionally masks, label maps and ground truth.

    Lists are aligned with `cameras` (same order, same names). Images are sRGB uint8 H×W×3,
    masks uint8 0/255 H×W, label maps uint8 H×W with the ids of usr.labels.
    """

    name: str
    cameras: list[Camera]
    images: list[UInt8[np.ndarray, "h w 3"]]
    masks: list[UInt8[np.ndarray, "h w"]] | None = None
    labels: list[UInt8[np.ndarray, "h w"]] | None = None
    ground_truth: GroundTruth | None = None
    root: Path | None = None
    extras: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.cameras)
        for what in ("images", "masks", "labels"):
            items = getattr(self, what)
            if items is not None and len(items) != n:
                raise ValueError(f"subject {self.name!r}: {len(items)} {what} for {n} cameras")

    @property
    def camera_names(self) -> list[str]:
        return [c.name for c in self.cameras]

    def index(self, camera_name: str) -> int:
        try:
            return self.camera_names.index(camera_name)
        except ValueError:
            raise CaptureError(f"{self.root or self.name}: views: no camera {camera_name!r}; "
                               f"have {', '.join(self.camera_names)}") from None

    def select(self, camera_names: list[str]) -> "SubjectCapture":
        """A capture restricted to the named views, in the given order (e.g. inputs vs held-out)."""
        idx = [self.index(n) for n in camera_names]

        def pick(items):
            return None if items is None else [items[i] for i in idx]

        return SubjectCapture(
            self.name, pick(self.cameras), pick(self.images), pick(self.masks), pick(self.labels),
            self.ground_truth, self.root, dict(self.extras),
        )
