"""Result folders ↔ SMPL-D: fit a result's body (smpl_d.npz + the fitted body layer), or reuse the saved fit."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import trimesh

from smpl_d.body_model import BodyModel
from smpl_d.fit import BodyFit, FitConfig, fit_body
from smpl_d.head_fit import fit_to_body_surface
from smpl_d.store import SavedFit, fit_bytes, has_fit, load_fit
from smpl_d.swap import body_layer, skin_coloured
from usr.progress import Progress
from usr.result import SMPL_D_FILE, read_face_labels, read_layers, read_report, read_result, update_result


def labelled_surface(result: Path) -> tuple[trimesh.Trimesh, np.ndarray, np.ndarray]:
    """A result's clothed surface, its vertex colours and its SCGS face labels."""
    mesh, colours, _ = read_result(result)
    return mesh, colours, read_face_labels(result, len(mesh.faces))


FIT_SOURCES = ("auto", "clothed")


def body_head_surface(result: Path) -> trimesh.Trimesh | None:
    """The result's body layer when it is the model's body head (not a placeholder, not an earlier SMPL-D fit)."""
    report = read_report(result)
    if report.get("scgs", {}).get("body_layer") != "body head" or "smpl_d" in report:
        return None
    return read_layers(result)["body"].mesh


def fit_of_result(result: Path, model: BodyModel, cfg: FitConfig | None = None, progress: Progress | None = None,
                  surface: tuple[trimesh.Trimesh, np.ndarray, np.ndarray] | None = None, source: str = "auto") -> BodyFit:
    """Fit `model` to a result (`surface`: its clothed surface, colours and SCGS face labels, already read).
    source "auto": to the body head's surface when the result has one (smpl_d.head_fit), under the clothed surface
    when it has none or that fit fails its check; "clothed": under the clothed surface only (smpl_d.fit)."""
    if source not in FIT_SOURCES:
        raise ValueError(f"unknown fit source {source!r}; known: {', '.join(FIT_SOURCES)}")
    mesh, _, labels = surface or labelled_surface(result)
    body = body_head_surface(result) if source == "auto" else None
    if body is not None:
        fit = fit_to_body_surface(model, body, mesh, labels, displacements=cfg or FitConfig(), progress=progress)
        if fit.report["trusted"]:
            return fit
        rejected = {k: fit.report[k] for k in ("surface_uncovered", "vertices_off_surface_cm", "facing_deg")}
    fit = fit_body(model, mesh, labels, cfg, progress=progress)
    fit.report["source"] = "clothed surface"
    if body is not None:
        fit.report["body_head_fit_rejected"] = rejected
    return fit


def saved_fit(fit: BodyFit, model: BodyModel) -> SavedFit:
    return SavedFit(fit.params, fit.displacements, str(getattr(model, "model_file", "")))


def write_fit_into_result(result: Path, model: BodyModel, fit: BodyFit, seconds: float,
                          surface: tuple[trimesh.Trimesh, np.ndarray, np.ndarray] | None = None) -> None:
    """smpl_d.npz + body.obj (the fitted body with D) + layers.glb, replacing the placeholder; the whole folder is
    rewritten atomically (usr.result.update_result)."""
    saved = saved_fit(fit, model)
    clothed, colours, labels = surface or labelled_surface(result)
    body = skin_coloured(body_layer(model, saved, None), clothed, colours, labels)
    update_result(result, body=body, body_source=f"SMPL-D fit, {model.name}", files={SMPL_D_FILE: fit_bytes(saved)},
                  report={"smpl_d": {**fit.report, "seconds": round(seconds, 1)}})


def fit_result(result: Path, model: BodyModel, cfg: FitConfig | None = None, progress: Progress | None = None,
               source: str = "auto") -> BodyFit:
    """`usr fit`: fit and write into the result folder."""
    start = time.perf_counter()
    surface = labelled_surface(result)
    fit = fit_of_result(result, model, cfg, progress, surface, source)
    write_fit_into_result(result, model, fit, time.perf_counter() - start, surface)
    return fit


def load_or_fit(result: Path, model: BodyModel, progress: Progress | None = None, note=print) -> SavedFit:
    """The result's saved fit, or a fit made now (in memory; the result folder is left as it is)."""
    if has_fit(result):
        return load_fit(result)
    note(f"{result}: no {SMPL_D_FILE} yet; fitting the body now (run `usr fit {result}` to keep it)")
    return saved_fit(fit_of_result(result, model, progress=progress), model)
