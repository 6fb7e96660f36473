"""Surface level of a trained field, calibrated on validation subjects (`usr calibrate-level`).

A field trained from images with a soft NeuS density does not put the true surface exactly at
SDF = 0: the feed-forward surfaces of the embedded model sit 1–2 cm outside the person. The level
at which the extracted surface best matches the ground truth is a property of the trained model,
so it is measured once, on the `val` subjects of the training data (never on evaluation subjects),
and stored in the checkpoint (`extra.surface_level`); `usr reconstruct` extracts the feed-forward
mesh at that level. A fine-tuned field has been optimised on the subject's own views and is
extracted at 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from usr.field.sdf_field import SDFField
from usr.io.meshes import load_mesh
from usr.io.subject_folder import read_subject
from usr.mesh.extract import marching_cubes_mesh, sdf_grid
from usr.metrics.geometry import chamfer_cm
from usr.progress import Progress, notify
from usr.render.occupancy import visual_hull
from usr.training.checkpoint import update_extra
from usr.prepared_views import prepare_views, spread_views

LEVELS = tuple(float(x) + 0.0 for x in np.round(np.arange(-0.06, 0.0101, 0.005), 4))  # −6 … +1 cm


@dataclass
class LevelCalibration:
    level: float  # chosen SDF level (the field's units: metres of the capture world)
    chamfer_by_level: dict[float, float]  # mean Chamfer (cm, 1.8 m protocol) over the subjects at each level
    subjects: list[str]
    views: int
    resolution: int


def chamfer_by_level(values: np.ndarray, lo: np.ndarray, step: float, gt, levels) -> dict[float, float]:
    """Chamfer (cm) of the level set of an SDF grid against the ground truth, for each level (inf: no surface)."""
    out = {}
    for lv in levels:
        try:
            out[float(lv)] = chamfer_cm(marching_cubes_mesh(values, lo, step, level=lv), gt, samples=5000)
        except ValueError:
            out[float(lv)] = float("inf")
    return out


def calibrate_level(field: SDFField, subjects: list[Path], views: int = 4, resolution: int = 128,
                    work_size: int = 192, levels=LEVELS, progress: Progress | None = None) -> LevelCalibration:
    """Mean Chamfer at each candidate level over `subjects` (feed-forward from `views` spread views, or all of a
    smaller rig); pick the best. progress(subject name, fraction of the subjects done)."""
    field.eval()
    table: dict[float, list[float]] = {float(lv): [] for lv in levels}
    for i, path in enumerate(subjects):
        cap = read_subject(path)
        if cap.ground_truth is None:
            raise ValueError(f"{path}: gt/: level calibration needs ground-truth meshes")
        gt = load_mesh(cap.ground_truth.full)
        pv = prepare_views(cap, spread_views(cap.camera_names, min(views, len(cap.camera_names))), work_size)
        hull = visual_hull(pv.cameras, pv.masks, 64, dilate=1)
        with torch.no_grad():
            source = field.encode_views(pv.to_source()) if field.encoder else None
            values, lo, step = sdf_grid(lambda p: field.sdf(p, source), hull, resolution)
        for lv, chamfer in chamfer_by_level(values, lo, step, gt, list(table)).items():
            table[lv].append(chamfer)
        notify(progress, Path(path).name, (i + 1) / len(subjects))
    means = {lv: float(np.mean(v)) for lv, v in table.items()}
    best = min(means, key=means.get)
    return LevelCalibration(best, means, [str(s) for s in subjects], views, resolution)


def write_level(checkpoint: Path, calibration: LevelCalibration) -> None:
    """Store the level (and how it was measured) in the checkpoint's `extra`, keeping everything else."""
    update_extra(checkpoint, surface_level=calibration.level,
                 surface_level_calibration=json.dumps({"chamfer_cm_by_level": calibration.chamfer_by_level,
                                                       "subjects": calibration.subjects, "views": calibration.views,
                                                       "resolution": calibration.resolution}))
