"""`usr fit`, `usr swap`, `usr tryon`: the SMPL-D body under the clothes, clothes swap and virtual try-on."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import typer

from apps.progress import stage_bar

BODY_MODEL_HELP = "Body model: anny (embedded, default), smpl or smplx (needs --model-path)."
MODEL_PATH_HELP = "SMPL / SMPL-X model file or folder (licensed files you hold; never downloaded)."


def register(app: typer.Typer) -> None:
    app.command("fit", help="Fit the body model under the clothes of a result (writes smpl_d.npz and the body layer).")(fit)
    app.command("swap", help="Put a garment of one result onto the body of another (clothes swap).")(swap)
    app.command("tryon", help="Dress a parametric body of a chosen shape and pose in a garment of a result.")(tryon)


def _model(body_model: str, model_path: Optional[Path]):
    from smpl_d.backends import load_body_model

    return load_body_model(body_model, model_path)


def _fail(exc: Exception) -> None:
    typer.echo(f"✗ {exc}", err=True)
    raise typer.Exit(1)


def fit(
    result: Path = typer.Argument(..., help="Result folder with layers (usr reconstruct)."),
    body_model: str = typer.Option("anny", "--body-model", help=BODY_MODEL_HELP),
    model_path: Optional[Path] = typer.Option(None, "--model-path", help=MODEL_PATH_HELP),
) -> None:
    from smpl_d.pipeline import fit_result

    try:
        model = _model(body_model, model_path)
        with stage_bar(f"fitting the body of {result}") as progress:
            body = fit_result(result, model, progress=progress)
    except (FileNotFoundError, ValueError, ImportError, KeyError) as exc:
        _fail(exc)
    report = body.report
    how = (f"fitted to the model's body estimate, {report['vertices_off_surface_cm']:.1f} cm from it"
           if report["source"] == "body head" else
           f"fitted under the clothed surface, skin RMS {np.sqrt(report['terms'].get('skin', 0.0)) * 100:.1f} cm")
    typer.echo(f"wrote {result}/smpl_d.npz and the fitted body layer ({model.name}; {how}; "
               f"{report['displaced_vertices']} vertices displaced)")
    if "body_head_fit_rejected" in report:
        typer.echo("  (the fit to the model's body estimate failed its check: "
                   f"{report['body_head_fit_rejected']['surface_uncovered']:.0%} of it left uncovered)", err=True)


def _fits(results: list[Path], model):
    from smpl_d.pipeline import load_or_fit

    fits = {}
    for r in results:
        with stage_bar(f"body of {r.name}") as progress:
            fits[r] = load_or_fit(r, model, progress=progress, note=lambda msg: typer.echo(msg, err=True))
    return fits


def _echo_dressed(out: Path, dressed) -> None:
    inside = dressed.report["garment_vertices_inside_body"]
    worst = max(inside.values(), default=0.0)
    typer.echo(f"wrote {out} (layers: {', '.join(layer.name for layer in dressed.layers)}; "
               f"garment vertices inside the body: {worst:.2%})")


def swap(
    garment: str = typer.Option(..., "--garment", help="RESULT:label, e.g. alice_result:upper."),
    onto: Path = typer.Option(..., "--onto", help="Result folder of the person who will wear it."),
    out: Path = typer.Option(..., "--out", help="Result folder to write (replaced if it exists)."),
    body_model: str = typer.Option("anny", "--body-model", help=BODY_MODEL_HELP),
    model_path: Optional[Path] = typer.Option(None, "--model-path", help=MODEL_PATH_HELP),
) -> None:
    from smpl_d.store import parse_garment_ref
    from smpl_d.swap import garment_layers, write_dressed
    from smpl_d.swap import swap as swap_garment
    from usr.result import read_layers

    try:
        source, label = parse_garment_ref(garment)
        garment_layers(source, label)  # a missing garment or a result without layers fails here, before any fitting
        read_layers(onto)
        model = _model(body_model, model_path)
        dressed = swap_garment(source, label, onto, model, _fits([source, onto], model))
        write_dressed(out, dressed)
    except (FileNotFoundError, ValueError, ImportError, KeyError) as exc:
        _fail(exc)
    _echo_dressed(out, dressed)


def tryon(
    garment: str = typer.Option(..., "--garment", help="RESULT:label, e.g. alice_result:dress."),
    out: Path = typer.Option(..., "--out", help="Result folder to write (replaced if it exists)."),
    shape: Optional[str] = typer.Option(None, "--shape", help="anny: phenotypes, e.g. weight=0.8,height=0.3; SMPL: betas."),
    pose: str = typer.Option("a_pose", "--pose", help="Pose preset: a_pose, t_pose, relaxed, seated (anny); rest (any model)."),
    body_model: str = typer.Option("anny", "--body-model", help=BODY_MODEL_HELP),
    model_path: Optional[Path] = typer.Option(None, "--model-path", help=MODEL_PATH_HELP),
) -> None:
    from smpl_d.store import parse_garment_ref
    from smpl_d.swap import garment_layers, tryon_params, write_dressed
    from smpl_d.swap import tryon as tryon_garment

    try:
        source, label = parse_garment_ref(garment)
        garment_layers(source, label)
        model = _model(body_model, model_path)
        body_shape = model.shape_from_text(shape)
        tryon_params(model, body_shape, pose, np.zeros(3))  # a bad --garment, --shape or --pose fails before any fit
        source_fit = _fits([source], model)[source]
        params = tryon_params(model, body_shape, pose, source_fit.params.translation)
        dressed = tryon_garment(source, label, model, source_fit, params)
        write_dressed(out, dressed)
    except (FileNotFoundError, ValueError, ImportError, KeyError) as exc:
        _fail(exc)
    _echo_dressed(out, dressed)
