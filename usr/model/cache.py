"""The training cache: per synthetic subject, its views' frozen backbone maps and its supervision points, as plain
.npy files read by memory map (no decompression, no backbone run during training).

    CACHE/<backbone digest>/<data folder>/<subject>/  maps_s<stride>.npy (v, c, h/s, w/s) float16 · silhouette.npy (v, 1, h, w)
        float16 · rgb.npy (v, 3, h, w) uint8 · cameras.npz (K, R, t, extent, mask_centres) · points.npy (n, 3) float32
        · targets.npy (n, 3) float16 (sdf, winding, body_sdf) · labels.npy (n,) uint8 · surface.npy (s, 6) float32
        (points, normals) · source.json
A subject's folder is written whole or not at all (usr.io.atomic). It is rebuilt when its `source.json` no longer
matches: another backbone or strides (another digest folder altogether), another working size, or a subject folder
whose images, cameras or points changed (their sizes and modification times).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from usr.geometry.rays import nearest_point_to_rays
from usr.io.atomic import atomic_dir
from usr.io.cameras import Camera
from usr.io.points_file import read_points
from usr.io.subject_folder import read_subject
from usr.model.encode import FrozenBackbone, camera_tensors, pad_views
from usr.model.views import ViewStack
from usr.prepared_views import prepare_views
from usr.progress import Progress, notify

CACHE_VERSION = 1
SOURCE_FILES = ("cameras.json", "gt/points.npz")


def source_fingerprint(subject: Path, work_size: int) -> dict:
    files = [subject / f for f in SOURCE_FILES] + sorted((subject / "images").iterdir()) + sorted(
        (subject / "masks").iterdir())
    return {"version": CACHE_VERSION, "work_size": work_size,
            "files": {str(p.relative_to(subject)): [p.stat().st_size, p.stat().st_mtime_ns] for p in files}}


def cache_folder(cache: Path, backbone: FrozenBackbone, subject: Path) -> Path:
    """CACHE/<backbone digest>/<data folder name>/<subject name> (two data folders may both hold subject_0000)."""
    return Path(cache) / backbone.digest / subject.parent.name / subject.name


def is_cached(folder: Path, fingerprint: dict) -> bool:
    path = folder / "source.json"
    return path.is_file() and json.loads(path.read_text()) == fingerprint


def build_subject(subject: Path, folder: Path, backbone: FrozenBackbone, work_size: int, fingerprint: dict) -> None:
    """Compute and write one subject's cache folder (atomically), recording the `fingerprint` of the files it read
    (taken before reading them)."""
    capture = read_subject(subject)
    views = prepare_views(capture, work_size=work_size)
    padded = pad_views(views.images, views.masks)
    maps = backbone.maps(padded.rgb01)
    points = read_points(subject / "gt" / "points.npz")
    K, R, t = camera_tensors(views.cameras)
    with atomic_dir(folder, overwrite=True) as tmp:
        for stride, m in zip(backbone.strides, maps):
            np.save(tmp / f"maps_s{stride}.npy", m.numpy())
        np.save(tmp / "silhouette.npy", padded.silhouette.numpy().astype(np.float16))
        np.save(tmp / "rgb.npy", (padded.rgb01 * 255).round().byte().numpy())
        np.savez(tmp / "cameras.npz", K=K.numpy(), R=R.numpy(), t=t.numpy(), extent=padded.extent.numpy(),
                 mask_centres=padded.mask_centres)
        np.save(tmp / "points.npy", points.points.astype(np.float32))
        np.save(tmp / "targets.npy", np.stack([points.sdf, points.winding, points.body_sdf], 1).astype(np.float16))
        np.save(tmp / "labels.npy", points.label.astype(np.uint8))
        np.save(tmp / "surface.npy", np.concatenate([points.surface_points, points.surface_normals], 1)
                .astype(np.float32))
        (tmp / "source.json").write_text(json.dumps(fingerprint))


@dataclass
class CachedSubject:
    """One subject of the cache, memory-mapped; `views(index)` loads the chosen views as a ViewStack."""

    folder: Path
    strides: tuple[int, ...]

    def __post_init__(self) -> None:
        f = self.folder
        self.maps = [np.load(f / f"maps_s{s}.npy", mmap_mode="r") for s in self.strides]
        self.silhouette = np.load(f / "silhouette.npy", mmap_mode="r")
        self.rgb = np.load(f / "rgb.npy", mmap_mode="r")
        cams = np.load(f / "cameras.npz")
        self.K, self.R, self.t = cams["K"], cams["R"], cams["t"]
        self.extent, self.mask_centres = cams["extent"], cams["mask_centres"]
        self.points = np.load(f / "points.npy", mmap_mode="r")
        self.targets = np.load(f / "targets.npy", mmap_mode="r")
        self.labels = np.load(f / "labels.npy", mmap_mode="r")
        self.surface = np.load(f / "surface.npy", mmap_mode="r")

    @property
    def view_count(self) -> int:
        return len(self.K)

    def views(self, index: list[int]) -> ViewStack:
        cams = [Camera(str(i), int(self.extent[i][0]), int(self.extent[i][1]), self.K[i].astype(np.float64),
                       self.R[i].astype(np.float64), self.t[i].astype(np.float64)) for i in index]
        centre = nearest_point_to_rays(cams, self.mask_centres[index])
        return ViewStack(torch.from_numpy(self.K[index]), torch.from_numpy(self.R[index]),
                         torch.from_numpy(self.t[index]), [torch.from_numpy(m[index]) for m in self.maps],
                         torch.from_numpy(np.concatenate([self.silhouette[index].astype(np.float32),
                                                          self.rgb[index].astype(np.float32) / 255.0], 1)),
                         torch.from_numpy(self.extent[index]), torch.tensor(centre, dtype=torch.float32))


def build_cache(subjects: list[Path], cache: Path, backbone: FrozenBackbone, work_size: int,
                progress: Progress | None = None) -> list[Path]:
    """The cache folders of `subjects`, building those missing or stale. Returns them in order."""
    folders = []
    for k, subject in enumerate(subjects):
        folder = cache_folder(cache, backbone, subject)
        fingerprint = source_fingerprint(subject, work_size)
        if not is_cached(folder, fingerprint):
            build_subject(subject, folder, backbone, work_size, fingerprint)
        folders.append(folder)
        notify(progress, f"feature cache {k + 1}/{len(subjects)}", (k + 1) / len(subjects))
    return folders
