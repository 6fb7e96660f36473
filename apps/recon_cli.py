"""`usr reconstruct` and `usr eval`: the reconstruction and its honest scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from apps.progress import progress_bar
from usr.io.errors import CaptureError


def register(app: typer.Typer) -> None:
    app.command("reconstruct", help="Calibrated views (+ masks) → textured clothed mesh in a result folder.")(reconstruct)
    app.command("separate", help="Re-run the garment separation (SCGS + edge fine-tune) on a result folder.")(separate)
    app.command("eval", help="Score a result against a ground-truth subject (Chamfer, P2S, NC, PSNR, SSIM, IoU).")(evaluate)


def reconstruct(
    subject: Path = typer.Argument(..., help="Subject folder (cameras.json, images/, masks/)."),
    out: Path = typer.Option(..., "--out", help="Result folder to write (replaced if it exists)."),
    views: Optional[str] = typer.Option(None, "--views", help="Input views, e.g. cam00,cam03,cam05 (default: all)."),
    resolution: int = typer.Option(256, "--resolution", min=32, help="Marching-cubes grid resolution."),
    finetune_steps: int = typer.Option(0, "--finetune-steps", min=0, help="Per-subject fine-tune steps (0 = feed-forward)."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="Field checkpoint (default: the embedded model)."),
    method: str = typer.Option("field", "--method", help="field (default), visual-hull, or scratch (per-subject from scratch)."),
    layers: bool = typer.Option(True, "--layers/--no-layers", help="Separate the garments into layers (SCGS)."),
    labels: str = typer.Option("parser", "--labels", help="2D labels for SCGS: parser (default) or capture (the capture's labels/ maps)."),
    sam_checkpoint: Optional[Path] = typer.Option(None, "--sam-checkpoint", help="segment-anything weights: sharpen the parser's regions (needs a SAM environment, see README)."),
    sam_type: str = typer.Option("vit_b", "--sam-type", help="vit_b, vit_l or vit_h (must match the checkpoint)."),
) -> None:
    from usr.pipeline import reconstruct_subject

    names = [v.strip() for v in views.split(",")] if views else None
    try:
        with progress_bar("reconstructing", 100) as advance:
            report = reconstruct_subject(subject, out, names, resolution, finetune_steps, checkpoint, method,
                                         progress=lambda stage, f: advance(int(100 * f), stage),
                                         layers=layers, label_source=labels, sam_checkpoint=sam_checkpoint,
                                         sam_type=sam_type)
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
        typer.echo(f"layers: {', '.join(scgs['layers'])} (views agree on {scgs['mean_consistency']:.0%} of the surface; "
                   f"{scgs['low_confidence_fraction']:.0%} low-confidence)")


def separate(
    result: Path = typer.Argument(..., help="Result folder from usr reconstruct (rewritten with the new layers)."),
    subject: Optional[Path] = typer.Option(None, "--subject", help="The capture it came from (default: the one in report.json)."),
    labels: str = typer.Option("parser", "--labels", help="2D labels: parser (default) or capture (its labels/ maps)."),
    refine: bool = typer.Option(True, "--refine/--no-refine", help="Geometry fine-tune of garment edges."),
    thickness: float = typer.Option(0.0, "--thickness", min=0.0, help="Garment thickness in metres (0 = open sheets)."),
    sam_checkpoint: Optional[Path] = typer.Option(None, "--sam-checkpoint", help="segment-anything weights (see usr reconstruct)."),
    sam_type: str = typer.Option("vit_b", "--sam-type", help="vit_b, vit_l or vit_h."),
) -> None:
    from usr.pipeline import separate_result
    from usr.scgs.separate import SeparateOptions

    options = SeparateOptions(thickness=thickness) if refine else SeparateOptions(refine=None, thickness=thickness)
    try:
        report = separate_result(result, subject, labels, options, sam_checkpoint, sam_type)
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
