"""`usr reconstruct` and `usr eval`: the reconstruction and its honest scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from apps.options import settings_command
from usr.io.errors import CaptureError
from usr.recon_spec import ReconSpec, SeparationSpec


def register(app: typer.Typer, spec_class: type[ReconSpec] = ReconSpec) -> None:
    """The commands on `app`; `usr reconstruct` gets an option per field of `spec_class` (usr/recon_spec.py)."""
    app.command("reconstruct", help="Calibrated views (+ masks) → textured clothed mesh in a result folder.")(
        settings_command(reconstruct, "spec", spec_class))
    app.command("separate", help="Re-run the garment separation (SCGS + edge fine-tune) on a result folder.")(
        settings_command(separate, "spec", SeparationSpec))
    app.command("eval", help="Score a result against a ground-truth subject (Chamfer, P2S, NC, PSNR, SSIM, IoU).")(evaluate)


def reconstruct(
    subject: Path = typer.Argument(..., help="Subject folder (cameras.json, images/, masks/)."),
    out: Path = typer.Option(..., "--out", help="Result folder to write (replaced if it exists)."),
    spec: ReconSpec = ReconSpec(),  # one option per field (register)
) -> None:
    from apps.progress import stage_bar
    from smpl_d.prior import body_fit_for
    from usr.pipeline import reconstruct_subject

    try:
        with stage_bar("reconstructing") as progress:
            report = reconstruct_subject(subject, out, spec, progress, body_fit_for(spec))
    except (CaptureError, FileNotFoundError, ValueError, ImportError) as exc:
        typer.echo(f"✗ {exc}", err=True)
        raise typer.Exit(1)
    for w in report.get("warnings", []):
        typer.echo(f"warning: {w}", err=True)
    typer.echo(f"wrote {out} ({report['vertices']} vertices, {len(report['views_used'])} views, "
               f"{report['seconds']['total']:.1f} s)")
    _echo_layers(report)


def _echo_layers(report: dict) -> None:
    scgs = report.get("scgs")
    if scgs:
        sources = " + ".join(scgs.get("sources", ["views"]))
        typer.echo(f"layers: {', '.join(scgs['layers'])} (labels from {sources}; views agree on "
                   f"{scgs['mean_consistency']:.0%} of the surface; {scgs['low_confidence_fraction']:.0%} low-confidence)")
        for name, e in scgs.get("garments_dropped", {}).items():
            typer.echo(f"not a layer: {name} ({e['area_m2'] * 1e4:.0f} cm², confidence {e['confidence']:.2f}): too "
                       "small, or too little evidence, to be a garment the person wears")


def separate(
    result: Path = typer.Argument(..., help="Result folder from usr reconstruct (rewritten with the new layers)."),
    subject: Optional[Path] = typer.Option(None, "--subject", help="The capture it came from (default: the one in report.json)."),
    spec: SeparationSpec = SeparationSpec(),  # one option per field (register)
) -> None:
    from apps.progress import stage_bar
    from usr.pipeline import separate_result

    try:
        with stage_bar("separating") as progress:
            report = separate_result(result, spec, subject, progress)
    except (CaptureError, FileNotFoundError, ValueError, ImportError) as exc:
        typer.echo(f"✗ {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(f"wrote layers into {result}")
    _echo_layers(report)


def evaluate(
    result: Path = typer.Argument(..., help="Result folder from usr reconstruct."),
    gt: Path = typer.Option(..., "--gt", help="Subject folder with ground truth (gt/) and the held-out views."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    samples: int = typer.Option(10000, "--samples", min=100, help="Surface samples per mesh."),
) -> None:
    from usr.evaluate import evaluate as run

    try:
        scores = run(result, gt, samples)
    except (CaptureError, FileNotFoundError, ValueError) as exc:
        typer.echo(f"✗ {exc}", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(scores))
        return
    for k, v in scores.items():
        typer.echo(f"{k:20s} {v:.4f}" if isinstance(v, float) else f"{k:20s} {v}")
