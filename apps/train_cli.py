"""`usr train`: train the reconstruction model on synthetic subjects (torchrun-ready); `usr calibrate-level`."""

from __future__ import annotations

from pathlib import Path

import typer

from apps.options import settings_command
from apps.progress import stage_bar


def register(app: typer.Typer) -> None:
    from usr.model.train import PointTrainConfig

    app.command("train", help="Train the reconstruction model on exact 3D points of synthetic subjects (usr data "
                "synth --points); resumes; runs under torchrun.")(
        settings_command(train, "config", PointTrainConfig))
    app.command("train-field", hidden=True, help="Train the v1 field by volume rendering (the embedded default until "
                "the reconstruction model replaces it; docs/model.md).")(train_field)
    app.command("calibrate-level", help="Measure the SDF level of a checkpoint's surface on validation subjects and "
                "store it in the checkpoint.")(calibrate_level)


def train(config=None) -> None:
    from usr.model.train import train as run
    from usr.training.loop import init_distributed_from_env

    distributed = init_distributed_from_env()
    with stage_bar("training") as progress:
        summary = run(config, progress)
    if distributed:
        import torch.distributed as dist

        dist.destroy_process_group()
    typer.echo(f"trained {summary['steps']} steps in {summary['seconds']:.0f} s → {config.out}")


def train_field(
    data: Path = typer.Option(..., "--data", help="Folder of subject folders (e.g. from usr data synth) with splits.json."),
    out: Path = typer.Option(..., "--out", help="Checkpoint file (resumed when it exists); log beside it (.log.jsonl)."),
    steps: int = typer.Option(2000, "--steps", min=1, help="Total optimisation steps."),
    rays: int = typer.Option(1024, "--rays", min=8, help="Rays per step (global batch, split across processes)."),
    samples: int = typer.Option(48, "--samples", min=4, help="Samples per ray inside the visual hull."),
    lr: float = typer.Option(5e-3, "--lr", help="Initial learning rate (decays ×0.1 over the run)."),
    work_size: int = typer.Option(192, "--work-size", min=32, help="Longer image side the field sees (pixels)."),
    checkpoint_every: int = typer.Option(200, "--checkpoint-every", min=1, help="Steps between checkpoints + validation."),
    seed: int = typer.Option(0, "--seed", help="Seed of the batch sequence and the initial weights."),
    max_subjects: int = typer.Option(0, "--max-subjects", min=0, help="Use only the first N training subjects (0 = all)."),
) -> None:
    from usr.training.loop import init_distributed_from_env
    from usr.training.trainer import TrainConfig, train as run

    distributed = init_distributed_from_env()
    config = TrainConfig(str(data), str(out), steps=steps, rays=rays, samples=samples, lr=lr, work_size=work_size,
                         checkpoint_every=checkpoint_every, seed=seed, max_subjects=max_subjects or None)
    with stage_bar("training") as progress:
        summary = run(config, progress)
    if distributed:
        import torch.distributed as dist

        dist.destroy_process_group()
    typer.echo(f"trained {summary['steps']} steps in {summary['seconds']:.0f} s → {out}")


def calibrate_level(
    data: Path = typer.Option(..., "--data", help="Folder of synthetic subjects with splits.json (the training data)."),
    checkpoint: Path = typer.Option(..., "--checkpoint", help="Checkpoint to calibrate (updated in place, atomically)."),
    split: str = typer.Option("val", "--split", help="Which subjects of splits.json to measure on (never the test set)."),
    views: int = typer.Option(4, "--views", min=2, help="Input views per subject, spread around the rig."),
    resolution: int = typer.Option(128, "--resolution", min=32, help="SDF grid resolution for the measurement."),
) -> None:
    import json

    from usr.training.checkpoint import load_checkpoint
    from usr.training.surface_level import calibrate_level as run, write_level

    splits_file = data / "splits.json"
    try:
        names = json.loads(splits_file.read_text())[split]
    except (OSError, ValueError, KeyError) as exc:
        raise typer.BadParameter(f"{splits_file}: no usable {split!r} list ({exc})") from None
    field, _ = load_checkpoint(checkpoint)
    with stage_bar("calibrating") as progress:
        cal = run(field, [data / n for n in names], views, resolution, progress=progress)
    for level, chamfer in cal.chamfer_by_level.items():
        typer.echo(f"level {level:+.3f}: Chamfer {chamfer:.2f} cm" + ("  <- chosen" if level == cal.level else ""))
    write_level(checkpoint, cal)
    typer.echo(f"surface level {cal.level:+.3f} written to {checkpoint}")
