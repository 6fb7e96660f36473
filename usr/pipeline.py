"""Subject folder in, result folder out: the function behind `usr reconstruct` (and the demo)."""

from __future__ import annotations

import time
from pathlib import Path


from usr.io.subject_folder import read_subject
from usr.reconstruct import ReconOptions, Reconstruction, reconstruct
from usr.result import write_result

METHODS = ("field", "visual-hull", "scratch")


def reconstruct_subject(subject: Path, out: Path, views: list[str] | None = None, resolution: int = 256,
                        finetune_steps: int = 0, checkpoint: Path | None = None, method: str = "field",
                        progress=None, scratch_steps: int = 1500) -> dict:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    capture = read_subject(subject)
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
    report = {"method": method, "views_used": rec.views_used, "seconds": rec.seconds, "warnings": rec.warnings,
              "resolution": resolution, "finetune_steps": options.finetune_steps,
              "surface_level": options.extraction_level, "vertices": len(rec.mesh.vertices),
              "faces": len(rec.mesh.faces), "subject": str(subject)}
    write_result(out, rec.mesh, rec.colours, report, preview=preview_picture(capture, rec))
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


def preview_picture(capture, rec: Reconstruction, height: int = 220):
    """Input views (top) beside the reconstruction rendered from the same cameras (bottom)."""
    from usr.colour import render_mesh
    from usr.viz import contact_sheet

    inputs, renders = [], []
    for name in rec.views_used[:8]:
        i = capture.index(name)
        small = capture.cameras[i].fit(height * 2)
        import cv2

        inputs.append(cv2.resize(capture.images[i], (small.width, small.height), interpolation=cv2.INTER_AREA))
        rgb, _ = render_mesh(rec.mesh, rec.colours, small)
        renders.append(rgb)
    return contact_sheet([("input", inputs), ("result", renders)], captions=rec.views_used[:8], thumb_height=height,
                         title=f"{capture.name}: reconstruction from {len(rec.views_used)} views "
                               f"({len(rec.mesh.vertices)} vertices, {rec.seconds.get('total', 0):.1f} s)")
