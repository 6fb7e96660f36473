"""Subject folder in, result folder out: the function behind `usr reconstruct`, `usr batch`, the demo and the page,
all run with one `ReconSpec` (usr/recon_spec.py)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import cv2

from usr.baselines import scratch_field, visual_hull_mesh
from usr.colour import render_mesh, vertex_colours
from usr.io.any_capture import capture_kind, read_capture
from usr.parsing.predict import parser_masks
from usr.parsing.sam_refine import load_sam
from usr.prepared_views import check_view_count, prepare_views
from usr.progress import Progress, span
from usr.recon_spec import METHODS, ReconSpec, SeparationSpec
from usr.model.checkpoint import is_model_file
from usr.model.predict import Predictor
from usr.reconstruct import BodyFit, Reconstruction, reconstruct, reconstruct_with_model
from usr.result import read_label_probs, read_layers, read_result, write_result
from usr.scgs.separate import SeparateOptions, separate, view_semantics
from usr.training.checkpoint import load_checkpoint, surface_level
from usr.viz import contact_sheet, face_label_colours, face_value_colours

MESH_SHARE = 0.7  # of the progress when the garments are separated too (parsing the views is the rest)


def reconstruct_subject(subject: Path, out: Path, spec: ReconSpec = ReconSpec(),
                        progress: Progress | None = None, body_fit: BodyFit | None = None,
                        heads: bool | None = None) -> dict:
    """Reconstruct a capture (subject folder or transforms.json) into a result folder as `spec` says; with
    `spec.layers`, SCGS separates the garments too; `body_fit` gives a model that reads a body prior its body
    (smpl_d.prior; without, such a model reconstructs from the images alone); `heads` (default: `spec.layers`): the
    model also reads its label head at the faces and its body surface (label_probs.npy; what SCGS uses, ≈ 1 s).
    Progress: "body fit", "fine-tune", "mesh", then "parse"."""
    if spec.method not in METHODS:
        raise ValueError(f"unknown method {spec.method!r}; known: {', '.join(METHODS)}")
    capture = read_capture(subject)
    notes = []
    if capture.masks is None:  # the parser gives the person masks of a capture that has none
        capture = dataclasses.replace(capture, masks=parser_masks(capture.images))
        notes.append(f"{subject}: no masks/ folder: person masks made by the garment parser (check the preview; "
                     "write them with `usr parser masks` to inspect or edit them)")
    mesh_share = MESH_SHARE if spec.layers else 1.0
    level = 0.0  # the field's calibrated surface level (a checkpoint's; 0 for the others)
    if spec.method == "visual-hull":
        rec = _visual_hull(capture, spec)
    elif spec.method == "field" and is_model_file(spec.checkpoint):
        rec = reconstruct_with_model(capture, Predictor.load(spec.checkpoint), spec, span(progress, 0.0, mesh_share),
                                     body_fit, spec.layers if heads is None else heads)
    else:
        if spec.method == "scratch":
            field = scratch_field()
            spec = dataclasses.replace(spec, finetune_steps=spec.finetune_steps or spec.scratch_steps)
        else:
            field, state = load_checkpoint(spec.checkpoint)
            level = surface_level(state)
        rec = reconstruct(capture, field, spec, level, span(progress, 0.0, mesh_share))
    report = {"method": spec.method, "views_used": rec.views_used, "seconds": rec.seconds,
              "warnings": notes + rec.warnings, "resolution": spec.resolution, "finetune_steps": spec.finetune_steps,
              "surface_level": spec.extraction_level(level), "vertices": len(rec.mesh.vertices),
              "faces": len(rec.mesh.faces), "subject": str(subject)}
    separation = None
    if spec.layers:
        sam = load_sam_if(spec.separation)
        separation = separate_capture(capture, rec.mesh, rec.colours, rec.views_used, spec.separation,
                                      span(progress, mesh_share, 1.0), sam=sam, head_probs=rec.label_probs,
                                      body=rec.body_mesh)
        record_separation(report, separation, spec.separation.label_source, sam is not None)
        rec.seconds["total"] = sum(v for k, v in rec.seconds.items() if k != "total")
        rec.mesh = separation.mesh
    write_result(out, rec.mesh, rec.colours, report, preview=preview_picture(capture, rec, separation),
                 separation=separation, label_probs=rec.label_probs)
    return report


def record_separation(report: dict, separation, label_source: str, sam: bool) -> None:
    """The separation's summary under report["scgs"] and its stage times as scgs_* in report["seconds"]."""
    report["scgs"] = {"label_source": label_source, "sam": sam, **separation.report()}
    report.setdefault("seconds", {}).update({f"scgs_{k}": v for k, v in separation.seconds.items()})


def load_sam_if(spec: SeparationSpec):
    """A SAM predictor when the user gave a checkpoint, else None."""
    return None if spec.sam_checkpoint is None else load_sam(spec.sam_checkpoint, spec.sam_type)


def separate_capture(capture, mesh, colours, names: list[str], spec: SeparationSpec = SeparationSpec(),
                     progress: Progress | None = None, sam=None, head_probs=None, body=None):
    """SCGS on a reconstructed mesh of `capture` seen by the views `names` (timed: parse, labels, refine, layers;
    progress: "parse"); `head_probs`, `body`: the model's label head at the mesh's faces and its body surface, when
    the model made them."""
    t = time.perf_counter()
    semantics = view_semantics(capture, names, spec.label_source, progress=progress, sam=sam)
    parse_seconds = time.perf_counter() - t
    separation = separate(mesh, colours, semantics, SeparateOptions.from_spec(spec), head_probs, body)
    separation.seconds = {"parse": parse_seconds, **separation.seconds}
    return separation


def separate_result(result: Path, spec: SeparationSpec = SeparationSpec(), subject: Path | None = None,
                    progress: Progress | None = None) -> dict:
    """`usr separate`: re-run SCGS on a result folder as `spec` says (rewritten atomically with the new layers)."""
    mesh, colours, report = read_result(result)
    subject = Path(subject or report.get("subject") or "")
    if capture_kind(subject) is None:
        raise FileNotFoundError(f"{subject}: the capture of {result} is needed (pass --subject DIR)")
    capture = read_capture(subject)
    names = report.get("views_used") or capture.camera_names
    head_probs = read_label_probs(result, len(mesh.faces))
    body = read_layers(result)["body"].mesh if report.get("scgs", {}).get("body_layer") == "body head" else None
    separation = separate_capture(capture, mesh, colours, names, spec, progress, sam=load_sam_if(spec),
                                  head_probs=head_probs, body=body)
    record_separation(report, separation, spec.label_source, spec.sam_checkpoint is not None)
    rec = Reconstruction(separation.mesh, colours, list(names), report["seconds"])
    write_result(result, separation.mesh, colours, report, preview=preview_picture(capture, rec, separation),
                 separation=separation, label_probs=head_probs)
    return report


def _visual_hull(capture, spec: ReconSpec) -> Reconstruction:
    t = time.perf_counter()
    names = list(spec.views or capture.camera_names)
    check_view_count(names)
    views = prepare_views(capture, names, spec.work_size)
    mesh = visual_hull_mesh(views, min(spec.resolution, 128))
    t_mesh = time.perf_counter() - t
    t = time.perf_counter()
    sub = capture.select(names)
    colours = vertex_colours(mesh, sub.cameras, sub.images, sub.masks)
    seconds = {"mesh": t_mesh, "colour": time.perf_counter() - t}
    seconds["total"] = sum(seconds.values())
    return Reconstruction(mesh, colours, list(names), seconds)


def preview_picture(capture, rec: Reconstruction, separation=None, height: int = 220):
    """Input views (top) beside the reconstruction rendered from the same cameras, then its layers' labels."""
    inputs, renders, labelled, agreement = [], [], [], []
    for name in rec.views_used[:8]:
        i = capture.index(name)
        small = capture.cameras[i].fit(height * 2)
        inputs.append(cv2.resize(capture.images[i], (small.width, small.height), interpolation=cv2.INTER_AREA))
        rgb, _ = render_mesh(rec.mesh, rec.colours, small)
        renders.append(rgb)
        if separation is not None:
            m, lab = separation.mesh, separation.labels
            labelled.append(render_mesh(m, face_label_colours(m, lab.face_labels), small)[0])
            agreement.append(render_mesh(m, face_value_colours(m, lab.consistency), small)[0])
    rows = [("input", inputs), ("result", renders)]
    if labelled:
        rows += [("layers", labelled), ("agreement\n(red: low)", agreement)]
    return contact_sheet(rows, captions=rec.views_used[:8], thumb_height=height,
                         title=f"{capture.name}: reconstruction from {len(rec.views_used)} views "
                               f"({len(rec.mesh.vertices)} vertices, {rec.seconds.get('total', 0):.1f} s)")
