"""`usr parser train | eval | masks`: the garment parser (2D semantics per view, person masks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from apps.progress import stage_bar

parser_app = typer.Typer(help="Garment parser: train it, score it on real photos, make masks for a capture.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(parser_app, name="parser")


def _load(checkpoint: Optional[Path]):
    from usr.parsing.predict import DEFAULT_PARSER
    from usr.parsing.train import load_parser

    path = checkpoint or DEFAULT_PARSER
    try:
        return load_parser(path)[0]
    except (FileNotFoundError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None


@parser_app.command("train")
def train(
    data: Path = typer.Option(..., "--data", help="Synthetic subjects (usr data synth) with splits.json, labels/ and masks/."),
    out: Path = typer.Option(..., "--out", help="Checkpoint (resumed when it exists); log beside it (.log.jsonl)."),
    steps: int = typer.Option(3000, "--steps", min=1),
    batch: int = typer.Option(8, "--batch", min=1, help="Pictures per step."),
    lr: float = typer.Option(1e-3, "--lr"),
    checkpoint_every: int = typer.Option(250, "--checkpoint-every", min=1),
    seed: int = typer.Option(0, "--seed"),
    size: int = typer.Option(320, "--size", min=64, help="Training picture size; the parser runs at this longer side."),
    rare_boost: float = typer.Option(0.0, "--rare-boost", min=0.0, help="Draw views of subjects wearing outer/dress (1 + this) times as often."),
    backgrounds: Optional[Path] = typer.Option(None, "--backgrounds", help="Folder of real background pictures without "
                                               "people (e.g. data_tools/parser_backgrounds.py): some samples' backgrounds are crops of them."),
    background_prob: float = typer.Option(0.5, "--background-prob", min=0.0, max=1.0, help="With --backgrounds: share of samples on real crops."),
    distractor_prob: float = typer.Option(0.0, "--distractor-prob", min=0.0, max=1.0,
                                          help="Share of samples with clutter (skin/cloth-coloured shapes, textured blocks, real crops) "
                                          "pasted into the background, labelled background."),
    init: Optional[Path] = typer.Option(None, "--init", help="Start from this parser checkpoint's weights (fine-tuning) "
                                        "instead of the ImageNet backbone; ignored when --out exists (resumed)."),
) -> None:
    from usr.parsing.data import Clutter
    from usr.parsing.train import ParserTrainConfig, train_parser

    if backgrounds is not None and not backgrounds.is_dir():
        raise typer.BadParameter(f"{backgrounds}: not a folder", param_hint="--backgrounds")
    if init is not None and not init.is_file():
        raise typer.BadParameter(f"{init}: parser checkpoint not found", param_hint="--init")
    clutter = Clutter(str(backgrounds) if backgrounds else "", background_prob, distractor_prob)
    config = ParserTrainConfig(str(data), str(out), steps=steps, batch=batch, lr=lr, checkpoint_every=checkpoint_every,
                               seed=seed, size=size, rare_boost=rare_boost, clutter=clutter, init=str(init) if init else "")
    with stage_bar("training parser") as progress:
        summary = train_parser(config, progress)
    typer.echo(f"trained {summary['steps']} steps in {summary['seconds']:.0f} s → {out}")


@parser_app.command("eval")
def evaluate(
    folder: Path = typer.Argument(..., help="Real photos with CIHP parsing maps: frames/<n>.png + segmentations/<n>.png "
                                  "(e.g. ../shared/data/real/octopus_8view)."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="Parser checkpoint (default: the embedded one)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    from usr.parsing.real_eval import evaluate_cihp, octopus_pairs

    try:
        pairs = octopus_pairs(folder)
    except FileNotFoundError as exc:
        raise typer.BadParameter(str(exc)) from None
    scores = evaluate_cihp(_load(checkpoint), pairs)
    if as_json:
        typer.echo(json.dumps(scores))
        return
    typer.echo(f"{scores['images']} images: mIoU {scores['miou']:.3f} | " +
               ", ".join(f"{k} {v:.3f}" for k, v in scores["iou"].items()) + f" | person {scores['person_iou']:.3f}")


@parser_app.command("masks")
def masks(
    subject: Path = typer.Argument(..., help="Subject folder (cameras.json + images/) without person masks."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="Parser checkpoint (default: the embedded one)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing masks/ folder."),
) -> None:
    """Write masks/<camera>.png from the parser, so a real capture without masks can be reconstructed."""
    from usr.io.errors import CaptureError
    from usr.parsing.predict import write_person_masks

    net = _load(checkpoint)
    try:
        with stage_bar("parsing") as progress:
            notes = write_person_masks(subject, net, overwrite, progress)
    except FileExistsError as exc:
        raise typer.BadParameter(f"{exc} (use --overwrite)") from None
    except (FileNotFoundError, CaptureError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for note in notes:
        typer.echo(f"warning: {note}")
    typer.echo(f"wrote {subject / 'masks'}")


@parser_app.command("export")
def export(
    checkpoint: Path = typer.Argument(..., help="Training checkpoint of `usr parser train`."),
    out: Path = typer.Option(..., "--out", help="Weights-only file to ship (e.g. usr/assets/parser_default.pt)."),
) -> None:
    """Strip the optimiser state and store weights as float16 (what the repository ships)."""
    from usr.parsing.train import export_parser

    try:
        size = export_parser(checkpoint, out)
    except (FileNotFoundError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(f"wrote {out} ({size / 1e6:.1f} MB)")
