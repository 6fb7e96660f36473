"""`usr reconstruct`: calibrated views (+ masks) → textured clothed mesh, feed-forward with optional fine-tune.

Stages (timed into report.json): prepare views → visual hull → field on the views (feed-forward)
→ optional per-subject fine-tune → SDF grid in the hull + marching cubes → vertex colours from the
input views → result folder (written atomically).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import trimesh

from usr.colour import vertex_colours
from usr.field.sdf_field import SDFField
from usr.io.capture import SubjectCapture
from usr.io.errors import CaptureError
from usr.mesh.extract import extract_mesh, marching_cubes_mesh, sdf_grid_coarse_to_fine
from usr.mesh.silhouette_fill import carve_to_hull, fill_from_hull
from usr.model.predict import Predictor
from usr.model.refine import RefineSettings, refine
from usr.model.views import ViewStack
from usr.prepared_views import PreparedViews, check_view_count, prepare_views
from usr.progress import Progress, span
from usr.recon_spec import ReconSpec
from usr.render.occupancy import OccupancyGrid, hull_silhouettes, visual_hull
from usr.training.finetune import finetune

FINETUNE_SHARE = 0.8  # of a fine-tuned reconstruction's progress (the mesh is the rest)
BODY_SHARE = 0.5  # of a reconstruction with a fitted body prior's progress (pass 1 and the fit)

# (predictor, views, hull, progress) → points → a fitted body's signed distance: the body prior of a model that
# reads one (usr.model.prior), made from the model's first pass (smpl_d.prior.FittedBodyPrior); or None when the fit
# is not to be trusted (the model then reconstructs without a body)
BodyFit = Callable[[Predictor, ViewStack, OccupancyGrid, Progress | None],
                   Callable[[torch.Tensor], torch.Tensor] | None]


@dataclass
class Reconstruction:
    mesh: trimesh.Trimesh
    colours: np.ndarray
    views_used: list[str]
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    hull: OccupancyGrid | None = None
    label_probs: np.ndarray | None = None  # F×NUM_LABELS: the model's label head at the face centres (model only)
    body_mesh: trimesh.Trimesh | None = None  # the model's body-under-the-clothes surface (model only)


def check_consistency(views: PreparedViews, hull: OccupancyGrid, min_coverage: float = 0.95) -> list[str]:
    """Warn about views whose mask the hull carved by all views does not cover (bad calibration or mask), and name
    the likely causes.

    With consistent cameras and masks the hull contains the person, so its projection covers every view's mask
    (on a real 4-camera capture with reference masks: 100 % in every view); a view whose person pixels fall outside
    it disagrees with the others. Often the cause is another view, whose mask misses a part the others see (the
    hull loses it): the culprits are looked for greedily (`_likely_causes`)."""
    if not hull.occupied.any():
        raise CaptureError("views: the masks do not agree on any common volume (visual hull is empty): "
                           "check the cameras and masks of " + ", ".join(views.names))
    coverage = _coverages(views, hull, range(len(views.names)))
    low = [k for k, c in coverage.items() if c < min_coverage]
    warnings = [f"view {views.names[k]}: only {coverage[k]:.0%} of its mask lies inside the hull carved by all views: "
                "check its calibration and mask" for k in low]
    if low and len(views.names) >= 3:
        warnings += _likely_causes(views, hull, coverage, min_coverage)
    for name, mask in zip(views.names, views.masks):
        person = mask > 127
        if person[0].any() or person[-1].any() or person[:, 0].any() or person[:, -1].any():
            warnings.append(f"view {name}: the person touches the image border; what lies outside the frame is carved away")
    return warnings


def _coverages(views: PreparedViews, hull: OccupancyGrid, which) -> dict[int, float]:
    """For each view index in `which`: the share of its mask's person pixels the hull's silhouette in it covers."""
    which = list(which)
    shares = {}
    for i, seen in zip(which, hull_silhouettes(hull, [views.cameras[i] for i in which])):
        person = views.masks[i] > 127
        shares[i] = float(seen[person].mean()) if person.any() else 0.0
    return shares


def _likely_causes(views: PreparedViews, hull: OccupancyGrid, coverage: dict[int, float], min_coverage: float,
                   min_gain: float = 0.03) -> list[str]:
    """Views whose masks likely miss what the others see, found greedily: among the views still trusted, the one
    without which the poorly covered others are covered best is named (if that raises their mean coverage by
    `min_gain`), left out, and the search repeats on the rest while some of its masks stay uncovered and ≥ 2 views
    would remain (two bad masks of four are two rounds)."""
    trusted, warnings = list(range(len(views.names))), []
    while len(trusted) >= 3:
        low = [i for i in trusted if coverage[i] < min_coverage]
        if not low:
            break
        best, gain, best_cover = None, min_gain, {}
        for k in trusted:
            witnesses = [i for i in low if i != k]  # the poorly covered views that leaving k out may cover
            if not witnesses:
                continue
            rest = [i for i in trusted if i != k]
            without = visual_hull([views.cameras[i] for i in rest], [views.masks[i] for i in rest], hull.resolution,
                                  bounds=(hull.lo, hull.hi), dilate=1)
            if not without.occupied.any():
                continue
            cover = _coverages(views, without, rest)
            mean_gain = float(np.mean([cover[i] - coverage[i] for i in witnesses]))
            if mean_gain > gain:
                best, gain, best_cover = k, mean_gain, cover
        if best is None:
            break
        raised = ", ".join(f"{views.names[i]} {coverage[i]:.0%} → {c:.0%}" for i, c in best_cover.items())
        too = " too" if len(trusted) < len(views.names) else ""
        warnings.append(f"view {views.names[best]}: its mask likely misses parts the other views see (carved without "
                        f"it{too}, their masks are covered better: {raised}); check that mask first")
        trusted.remove(best)
        coverage = best_cover
    return warnings


def size_warnings(capture: SubjectCapture, names: list[str], ratio: float = 2.0) -> list[str]:
    """Views whose resolution is far from the others' (mixed cameras): detail and colour will differ between them."""
    sides = {c.name: max(c.width, c.height) for c in capture.select(names).cameras}
    median = float(np.median(list(sides.values())))
    return [f"view {n}: {s} px on its long side vs a median of {median:.0f} px among the views: "
            "its detail and colour weigh differently in the reconstruction" for n, s in sides.items()
            if s > ratio * median or s * ratio < median]


def run_field(field: SDFField, views: PreparedViews, spec: ReconSpec, progress: Progress | None = None):
    """Fine-tune (if the spec asks) and return the SDF function and the source views (tensors) to evaluate it with."""
    source = field.encode_views(views.to_source()) if field.encoder else None
    if spec.finetune_steps > 0:
        finetune(field, views, spec.finetune_steps, spec.finetune_rays, spec.samples, spec.seed, progress=progress)
        source = field.encode_views(views.to_source()) if field.encoder else None
    field.eval()
    return (lambda p: field.sdf(p, source)), source


def prepared(capture: SubjectCapture, spec: ReconSpec, work_size: int, seconds: dict[str, float]
             ) -> tuple[list[str], PreparedViews, OccupancyGrid, list[str]]:
    """The chosen views at `work_size`, their visual hull and the warnings about them (timed as "prepare")."""
    t = time.perf_counter()
    names = list(spec.views or capture.camera_names)
    check_view_count(names)
    views = prepare_views(capture, names, work_size)
    hull = visual_hull(views.cameras, views.masks, spec.hull_resolution, dilate=1)
    warnings = size_warnings(capture, names) + check_consistency(views, hull)
    seconds["prepare"] = time.perf_counter() - t
    return names, views, hull, warnings


def coloured(capture: SubjectCapture, mesh: trimesh.Trimesh, names: list[str], seconds: dict[str, float],
             warnings: list[str], hull: OccupancyGrid) -> Reconstruction:
    """The reconstruction of `mesh` with colours blended from the full-size input views (timed as "colour")."""
    t = time.perf_counter()
    full = capture.select(names)
    colours = vertex_colours(mesh, full.cameras, full.images, full.masks)
    seconds["colour"] = time.perf_counter() - t
    seconds["total"] = sum(seconds.values())
    return Reconstruction(mesh, colours, list(names), seconds, warnings, hull)


def reconstruct(capture: SubjectCapture, field: SDFField, spec: ReconSpec = ReconSpec(), surface_level: float = 0.0,
                progress: Progress | None = None) -> Reconstruction:
    """The mesh of `capture` by `field` as `spec` says; `surface_level` is the field's calibrated SDF level of the
    feed-forward surface (its checkpoint's). Progress: "fine-tune" (when fine-tuning), then "mesh"."""
    seconds: dict[str, float] = {}
    names, views, hull, warnings = prepared(capture, spec, spec.work_size, seconds)
    t = time.perf_counter()
    tuned = FINETUNE_SHARE if spec.finetune_steps > 0 else 0.0
    sdf_fn, _ = run_field(field, views, spec, span(progress, 0.0, tuned))
    seconds["finetune"] = time.perf_counter() - t
    t = time.perf_counter()
    with torch.no_grad():
        mesh = extract_mesh(sdf_fn, hull, spec.resolution, spec.extraction_level(surface_level),
                            progress=span(progress, tuned, 1.0))
    seconds["mesh"] = time.perf_counter() - t

    return coloured(capture, mesh, names, seconds, warnings, hull)


def reconstruct_with_model(capture: SubjectCapture, predictor: Predictor, spec: ReconSpec = ReconSpec(),
                           progress: Progress | None = None, body_fit: BodyFit | None = None,
                           heads: bool = True) -> Reconstruction:
    """The mesh of `capture` by the reconstruction model (usr.model), feed-forward: views at the model's working
    size → visual hull (where to look) → backbone features → [a model with a body prior and a `body_fit`: the body
    fitted to its first look] → SDF coarse-to-fine over the hull → marching cubes at 0 → optional fine-tune
    (usr.model.refine) → [`heads`: the label head at the faces and the body head's surface, for SCGS] → colours
    blended from the full-size views. Progress: ["body fit"], "mesh", then
    "fine-tune" when fine-tuning."""
    seconds: dict[str, float] = {}
    names, views, hull, warnings = prepared(capture, spec, predictor.work_size, seconds)
    t = time.perf_counter()
    stack = predictor.encode(views)
    seconds["features"] = time.perf_counter() - t
    body, fitted = None, 0.0
    if predictor.model.config.body_prior and body_fit is not None:
        t, fitted = time.perf_counter(), BODY_SHARE
        body = body_fit(predictor, stack, hull, span(progress, 0.0, fitted))
        seconds["body fit"] = time.perf_counter() - t
        if body is None:
            warnings.append("body prior: the fitted body disagreed with the first look; reconstructed without it")
    t = time.perf_counter()
    tuned = FINETUNE_SHARE if spec.finetune_steps > 0 else 0.0
    values, lo, step = sdf_grid_coarse_to_fine(predictor.sdf_function(stack, body), hull, spec.resolution,
                                               progress=span(progress, fitted, 1.0 - tuned))
    seconds["sdf"] = time.perf_counter() - t
    t = time.perf_counter()
    values, filled = fill_from_hull(values, lo, step, views, spec.fill)
    values, _ = carve_to_hull(values, lo, step, views, spec.fill)
    seconds["silhouette fill"] = time.perf_counter() - t
    if filled["filled_points"]:
        gaps = ", ".join(f"{n} {share:.0%}" for n, share in filled["gap_share"].items() if share > 0)
        warnings.append(f"silhouette fill: the model left parts of the input masks uncovered ({gaps}; a pose it has "
                        "not learnt?): filled from the visual hull there")
    if spec.finetune_steps > 0:
        t = time.perf_counter()
        settings = RefineSettings(spec.finetune_steps, spec.finetune_rays, spec.samples, seed=spec.seed)
        values, refined = refine(values, lo, step, views, hull, settings, span(progress, 1.0 - tuned, 1.0))
        if not refined["kept"]:
            warnings.append(f"fine-tune: the input views' silhouettes agreed less with it (IoU {refined['iou_after']:.3f}"
                            f" vs {refined['iou_before']:.3f}): the feed-forward surface is kept")
        seconds["finetune"] = time.perf_counter() - t
    t = time.perf_counter()
    mesh = marching_cubes_mesh(values, lo, step, 0.0)
    seconds["mesh"] = time.perf_counter() - t
    rec = coloured(capture, mesh, names, seconds, warnings, hull)
    if heads:
        t = time.perf_counter()
        rec.label_probs = predictor.label_probabilities(stack, np.asarray(mesh.triangles_center), body)
        seconds["labels 3D"] = time.perf_counter() - t
        t = time.perf_counter()
        rec.body_mesh = body_surface(predictor, stack, hull, max(64, spec.resolution // 2), body)
        seconds["body 3D"] = time.perf_counter() - t
        seconds["total"] = sum(v for k, v in seconds.items() if k != "total")
    return rec


def body_surface(predictor: Predictor, stack: ViewStack, hull: OccupancyGrid, resolution: int,
                 body: Callable[[torch.Tensor], torch.Tensor] | None = None) -> trimesh.Trimesh | None:
    """The model's body head's zero level (the body under the clothes) at `resolution`, None when it has none."""
    values, lo, step = sdf_grid_coarse_to_fine(predictor.sdf_function(stack, body, head="body_sdf"), hull, resolution)
    try:
        return marching_cubes_mesh(values, lo, step, 0.0)
    except ValueError:
        return None
