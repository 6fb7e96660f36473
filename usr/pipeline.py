"""Subject folder in, result folder out: the function behind `usr reconstruct` (and the demo)."""

from __future__ import annotations

import time
from pathlib import Path


from usr.io.any_capture import capture_kind, read_capture
from usr.reconstruct import ReconOptions, Reconstruction, reconstruct
from usr.result import write_result

METHODS = ("field", "visual-hull", "scratch")


def reconstruct_subject(subject: Path, out: Path, views: list[str] | None = None, resolution: int = 256,
                        finetune_steps: int = 0, checkpoint: Path | None = None, method: str = "field",
                        progress=None, scratch_steps: int = 1500, layers: bool = True,
                        label_source: str = "parser", sam_checkpoint: Path | None = None, sam_type: str = "vit_b") -> dict:
    """Reconstruct a capture (subject folder or transforms.json) into a result folder; with `layers`, SCGS
    separates the garments too."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    capture = read_capture(subject)
    notes = []
    if capture.masks is None:  # the parser gives the person masks of a capture that has none
        import dataclasses

        from usr.parsing.predict import parser_masks

        capture = dataclasses.replace(capture, masks=parser_masks(capture.images))
        notes.append(f"{subject}: no masks/ folder: person masks made by the garment parser (check the preview; "
                     "write them with `usr parser masks` to inspect or edit them)")
    options = ReconOptions(views=views, resolution=resolution, finetune_steps=finetune_steps)
    if method == "visual-hull":
        rec = _visual_hull(capture, options)
    else:
        if method == "scratch":
            from usr.baselines import scratch_field

            field = scratch_field()
            options.finetune_steps = finetune_steps or scratch_steps
        else:
            from usr.training.checkpoint import load_checkpoint, surface_level

            field, state = load_checkpoint(checkpoint)
            options.surface_level = surface_level(state)
        rec = reconstruct(capture, field, options, progress)
    report = {"method": method, "views_used": rec.views_used, "seconds": rec.seconds, "warnings": notes + rec.warnings,
              "resolution": resolution, "finetune_steps": options.finetune_steps,
              "surface_level": options.extraction_level, "vertices": len(rec.mesh.vertices),
              "faces": len(rec.mesh.faces), "subject": str(subject)}
    separation = None
    if layers:
        sam = load_sam_if(sam_checkpoint, sam_type)
        separation = separate_capture(capture, rec.mesh, rec.colours, rec.views_used, label_source, progress, sam=sam)
        record_separation(report, separation, label_source, sam is not None)
        rec.seconds["total"] = sum(v for k, v in rec.seconds.items() if k != "total")
        rec.mesh = separation.mesh
    write_result(out, rec.mesh, rec.colours, report, preview=preview_picture(capture, rec, separation),
                 separation=separation)
    return report


def record_separation(report: dict, separation, label_source: str, sam: bool) -> None:
    """The separation's summary under report["scgs"] and its stage times as scgs_* in report["seconds"]."""
    report["scgs"] = {"label_source": label_source, "sam": sam, **separation.report()}
    report.setdefault("seconds", {}).update({f"scgs_{k}": v for k, v in separation.seconds.items()})


def load_sam_if(checkpoint: Path | None, model_type: str = "vit_b"):
    """A SAM predictor when the user gave a checkpoint, else None."""
    if checkpoint is None:
        return None
    from usr.parsing.sam_refine import load_sam

    return load_sam(checkpoint, model_type)


def separate_capture(capture, mesh, colours, names: list[str], label_source: str = "parser", progress=None,
                     options=None, sam=None):
    """SCGS on a reconstructed mesh of `capture` seen by the views `names` (timed: parse, labels, refine, layers)."""
    from usr.scgs.separate import SeparateOptions, separate, view_semantics

    t = time.perf_counter()
    semantics = view_semantics(capture, names, label_source,
                               progress=(lambda f: progress("parse", f)) if progress else None, sam=sam)
    parse_seconds = time.perf_counter() - t
    separation = separate(mesh, colours, semantics, options or SeparateOptions())
    separation.seconds = {"parse": parse_seconds, **separation.seconds}
    return separation


def separate_result(result: Path, subject: Path | None = None, label_source: str = "parser", options=None,
                    sam_checkpoint: Path | None = None, sam_type: str = "vit_b") -> dict:
    """`usr separate`: re-run SCGS on a result folder (rewritten atomically with the new layers)."""
    from usr.result import read_result

    mesh, colours, report = read_result(result)
    subject = Path(subject or report.get("subject") or "")
    if capture_kind(subject) is None:
        raise FileNotFoundError(f"{subject}: the capture of {result} is needed (pass --subject DIR)")
    capture = read_capture(subject)
    names = report.get("views_used") or capture.camera_names
    separation = separate_capture(capture, mesh, colours, names, label_source, options=options,
                                  sam=load_sam_if(sam_checkpoint, sam_type))
    record_separation(report, separation, label_source, sam_checkpoint is not None)
    rec = Reconstruction(separation.mesh, colours, list(names), report["seconds"])
    write_result(result, separation.mesh, colours, report, preview=preview_picture(capture, rec, separation),
                 separation=separation)
    return report


def _visual_hull(capture, options: ReconOptions) -> Reconstruction:
    from usr.baselines import visual_hull_mesh
    from usr.colour import vertex_colours
    from usr.views import check_view_count, prepare_views

    t = time.perf_counter()
    names = options.views or capture.camera_names
    check_view_count(names)
    views = prepare_views(capture, names, options.work_size)
    mesh = visual_hull_mesh(views, min(options.resolution, 128))
    t_mesh = time.perf_counter() - t
    t = time.perf_counter()
    sub = capture.select(names)
    colours = vertex_colours(mesh, sub.cameras, sub.images, sub.masks)
    seconds = {"mesh": t_mesh, "colour": time.perf_counter() - t}
    seconds["total"] = sum(seconds.values())
    return Reconstruction(mesh, colours, list(names), seconds)


def preview_picture(capture, rec: Reconstruction, separation=None, height: int = 220):
    """Input views (top) beside the reconstruction rendered from the same cameras, then its layers' labels."""
    from usr.colour import render_mesh
    from usr.viz import contact_sheet, face_label_colours, face_value_colours

    inputs, renders, labelled, agreement = [], [], [], []
    for name in rec.views_used[:8]:
        i = capture.index(name)
        small = capture.cameras[i].fit(height * 2)
        import cv2

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
