"""`usr demo`: the main job on an embedded default, no data to fetch.

Generates one synthetic dressed subject (8 calibrated views with masks, labels, depth, normals and
exact ground truth, plus a contact sheet), reconstructs it from 4 of its views with the embedded
model, separates its garments into layers, and scores the result on the 4 held-out views and
against the ground truth.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import typer

from apps.progress import stage_bar
from usr.recon_spec import QUICK_SPEC


def register(app: typer.Typer) -> None:
    app.command("demo", help="Generate a sample dressed subject, reconstruct it and score it (no downloads).")(demo)


def demo(
    out: Path = typer.Option(Path("demo_out"), "--out", help="Output folder."),
    views: int = typer.Option(8, "--views", min=1, help="Number of views."),
    size: int = typer.Option(384, "--size", min=64, help="Image size in pixels."),
    seed: int = typer.Option(3, "--seed", help="Seed of the sample subject."),
    resolution: int = typer.Option(QUICK_SPEC.resolution, "--resolution", min=32,
                                   help="Marching-cubes resolution of the reconstruction."),
) -> None:
    from data_tools.synth import SynthConfig, subject_name, synthesize
    from usr.io.subject_folder import read_subject
    from usr.viz import colorize_labels, colorize_normals, contact_sheet, label_legend, save_png

    t0 = time.perf_counter()
    data = out / "synthetic"
    with stage_bar("sample subject") as progress:
        synthesize(data, SynthConfig(subjects=1, views=views, size=size, seed=seed), progress=progress)
    subject_dir = data / subject_name(0)
    capture = read_subject(subject_dir)
    normals = capture.extras.get("normals")
    rows = [("RGB", capture.images), ("labels", [colorize_labels(m) for m in capture.labels])]
    if normals:
        rows.append(("normals", [colorize_normals(n) for n in normals]))
    sheet = contact_sheet(rows, captions=capture.camera_names, thumb_height=200,
                          title=f"{capture.name}: {len(capture.cameras)} calibrated views | labels: {label_legend()}")
    save_png(sheet, out / "contact_sheet.png")
    typer.echo(f"subject folder : {subject_dir}")
    typer.echo(f"ground truth   : {subject_dir / 'gt'} (full.obj, body.obj, garments/*.obj, meta.json)")
    typer.echo(f"contact sheet  : {out / 'contact_sheet.png'}")

    from smpl_d.prior import body_fit_for
    from usr.evaluate import evaluate
    from usr.labels import TRYON_PREFERENCE
    from usr.pipeline import reconstruct_subject

    result = out / "result"
    inputs = capture.camera_names[:: max(1, len(capture.camera_names) // 4)][:4]
    spec = replace(QUICK_SPEC, views=tuple(inputs), resolution=resolution)
    with stage_bar("reconstructing") as progress:
        report = reconstruct_subject(subject_dir, result, spec, progress, body_fit_for(spec))
    scores = evaluate(result, subject_dir)
    typer.echo(f"reconstruction : {result} (full.ply, full.obj, report.json) from {', '.join(inputs)} "
               f"in {report['seconds']['total']:.1f} s")
    typer.echo(f"layers         : {result / 'layers.glb'} + body.obj, garments/ "
               f"({', '.join(report['scgs']['layers'])})")
    typer.echo(f"picture        : {result / 'preview.png'} (input views, reconstruction, layers)")
    typer.echo(f"scores         : Chamfer {scores['chamfer_cm']:.2f} cm, P2S {scores['p2s_cm']:.2f} cm, "
               f"normal consistency {scores['normal_consistency']:.3f}; held-out views: PSNR {scores['psnr']:.2f} dB, "
               f"SSIM {scores['ssim']:.3f}, silhouette IoU {scores['silhouette_iou']:.3f}")
    iou = ", ".join(f"{k} {v:.2f}" for k, v in scores["garment_iou"].items())
    typer.echo(f"layers scores  : label accuracy {scores['label_accuracy']:.1%}; IoU {iou}; "
               f"edge roughness {scores['boundary_roughness']:.3f} rad² (ground truth {scores['gt_boundary_roughness']:.3f})")
    typer.echo(f"done in {time.perf_counter() - t0:.1f} s")
    garment = next((n for n in TRYON_PREFERENCE if n in report["scgs"]["layers"]), None)
    typer.echo(f"next           : usr fit {result}   (the body under the clothes, ~40 s)")
    if garment:
        typer.echo(f"                 usr tryon --garment {result}:{garment} --shape weight=0.8 --pose t_pose "
                   f"--out {out / 'tryon'}")
