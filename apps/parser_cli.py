"""`usr parser train | eval | masks`: the garment parser (2D semantics per view, person masks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from apps.progress import progress_bar

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
) -> None:
    from usr.parsing.train import ParserTrainConfig, train_parser

    config = ParserTrainConfig(str(data), str(out), steps, batch, lr, checkpoint_every=checkpoint_every, seed=seed)
    with progress_bar("training parser", steps) as advance:
        summary = train_parser(config, progress=lambda i, n, last: advance(i, " ".join(f"{k}={v:.3f}" for k, v in last.items())))
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
