"""Result folders ↔ SMPL-D: fit a result's body (smpl_d.npz + the fitted body layer), or reuse the saved fit."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import trimesh

from smpl_d.body_model import BodyModel
from smpl_d.fit import BodyFit, FitConfig, fit_body
from smpl_d.store import SMPL_D_FILE, SavedFit, fit_bytes, load_fit, ordered_layers, read_layers
from smpl_d.swap import body_layer, skin_coloured
from usr.io.atomic import atomic_dir, write_bytes_atomic, write_json_atomic
from usr.io.meshes import obj_bytes
from usr.result import read_face_labels, read_result
from usr.scgs.layers import layers_glb


def labelled_surface(result: Path) -> tuple[trimesh.Trimesh, np.ndarray, np.ndarray]:
    """A result's clothed surface, its vertex colours and its SCGS face labels."""
    mesh, colours, _ = read_result(result)
    return mesh, colours, read_face_labels(result, len(mesh.faces))


def fit_of_result(result: Path, model: BodyModel, cfg: FitConfig | None = None, progress=None,
                  surface: tuple[trimesh.Trimesh, np.ndarray, np.ndarray] | None = None) -> BodyFit:
    """Fit `model` under a result's clothed surface and its SCGS face labels (`surface`: already read)."""
    mesh, _, labels = surface or labelled_surface(result)
    return fit_body(model, mesh, labels, cfg, progress=progress)


def saved_fit(fit: BodyFit, model: BodyModel) -> SavedFit:
    return SavedFit(fit.params, fit.displacements, str(getattr(model, "model_file", "")))


def write_fit_into_result(result: Path, model: BodyModel, fit: BodyFit, seconds: float,
                          surface: tuple[trimesh.Trimesh, np.ndarray, np.ndarray] | None = None) -> None:
    """smpl_d.npz + body.obj (the fitted body with D) + layers.glb, replacing the placeholder; the whole folder is
    rewritten atomically (a copy is updated, then renamed over the old one)."""
    result = Path(result)
    layers = read_layers(result)
    saved = saved_fit(fit, model)
    clothed, colours, labels = surface or labelled_surface(result)
    body = skin_coloured(body_layer(model, saved, None), clothed, colours, labels)
    ordered = ordered_layers({**layers, "body": body})
    report_path = result / "report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    report["smpl_d"] = {**fit.report, "seconds": round(seconds, 1)}
    with atomic_dir(result, overwrite=True) as tmp:
        shutil.copytree(result, tmp, dirs_exist_ok=True)
        write_bytes_atomic(tmp / SMPL_D_FILE, fit_bytes(saved))
        write_bytes_atomic(tmp / "body.obj", obj_bytes(body.mesh.vertices, body.mesh.faces, body.colours / 255.0,
                                                        header=f"usr layer: body (SMPL-D fit, {model.name})"))
        write_bytes_atomic(tmp / "layers.glb", layers_glb(ordered))
        write_json_atomic(tmp / "report.json", report)


def fit_result(result: Path, model: BodyModel, cfg: FitConfig | None = None, progress=None) -> BodyFit:
    """`usr fit`: fit and write into the result folder."""
    start = time.perf_counter()
    surface = labelled_surface(result)
    fit = fit_of_result(result, model, cfg, progress, surface)
    write_fit_into_result(result, model, fit, time.perf_counter() - start, surface)
    return fit


def load_or_fit(result: Path, model: BodyModel, progress=None, note=print) -> SavedFit:
    """The result's saved fit, or a fit made now (in memory; the result folder is left as it is)."""
    if (Path(result) / SMPL_D_FILE).is_file():
        return load_fit(result)
    note(f"{result}: no {SMPL_D_FILE} yet; fitting the body now (run `usr fit {result}` to keep it)")
    return saved_fit(fit_of_result(result, model, progress=progress), model)


def steps_of(cfg: FitConfig) -> int:
    """Optimiser steps of one fit (for progress bars)."""
    starts = cfg.facings * max(len(cfg.start_poses), 1) * (cfg.steps_global + cfg.steps_start_pose)
    return starts + cfg.steps_pose + cfg.steps_shape


class FitProgress:
    """The fit's per-step callback → `report(fraction)` once per percent (a log gets ~100 lines, not thousands)."""

    def __init__(self, report, cfg: FitConfig | None = None):
        self.report, self.total, self.done, self.shown = report, steps_of(cfg or FitConfig()), 0, -1

    def __call__(self) -> None:
        self.done += 1
        percent = min(100, 100 * self.done // self.total)
        if percent != self.shown:
            self.shown = percent
            self.report(percent / 100)
