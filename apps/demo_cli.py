"""`usr demo`: the main job on an embedded default, no data to fetch.

Today: generate one synthetic dressed subject (8 calibrated views with masks, labels, depth,
normals and exact ground truth) and a contact sheet picture of it. Later stages extend it to the
full reconstruction pipeline.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from apps.progress import progress_bar


def register(app: typer.Typer) -> None:
    app.command("demo", help="Generate a sample dressed subject and a contact sheet (no downloads).")(demo)


def demo(
    out: Path = typer.Option(Path("demo_out"), "--out", help="Output folder."),
    views: int = typer.Option(8, "--views", min=1, help="Number of views."),
    size: int = typer.Option(384, "--size", min=64, help="Image size in pixels."),
    seed: int = typer.Option(3, "--seed", help="Seed of the sample subject."),
) -> None:
    from data_tools.synth import SynthConfig, subject_name, synthesize
    from usr.io.subject_folder import read_subject
    from usr.viz import colorize_labels, colorize_normals, contact_sheet, label_legend, save_png

    t0 = time.perf_counter()
    data = out / "synthetic"
    with progress_bar("sample subject", 1) as advance:
        synthesize(data, SynthConfig(subjects=1, views=views, size=size, seed=seed),
                   progress=lambda i, n, name: advance(i, name))
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
    typer.echo(f"done in {time.perf_counter() - t0:.1f} s")
