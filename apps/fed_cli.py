"""`usr fed simulate`: studios co-training the reconstruction field on this machine (Flower simulation)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Optional

import typer

from fed.settings import ALGORITHMS


def register(app: typer.Typer) -> None:
    fed = typer.Typer(help="Federated co-training of the reconstruction field (Flower).", no_args_is_help=True)
    fed.command("simulate", help="K studios on this machine (Flower simulation, CPU); without --data, small "
                                 "synthetic studios are made first.")(simulate)
    from apps import fed_data_cli

    fed_data_cli.register(fed)
    app.add_typer(fed, name="fed")


def simulate(
    studios: int = typer.Option(3, "--studios", min=1, help="Number of studios (virtual SuperNodes)."),
    rounds: int = typer.Option(2, "--rounds", min=1, help="Federated rounds."),
    alg: str = typer.Option("fedavg", "--alg", help=f"One of: {', '.join(ALGORITHMS)}."),
    data: Optional[Path] = typer.Option(None, "--data", help="Folder with studio_0/, studio_1/ … (subject folders + "
                                        "splits.json each). Default: small synthetic studios made here."),
    out: Optional[Path] = typer.Option(None, "--out", help="Checkpoints (field.pt, server_state.npz, history.json); "
                                       "a run with the same --out resumes. Default: a temporary folder."),
    rule: str = typer.Option("mean", "--rule", help="Aggregation: mean, median, trimmed-mean, krum, multi-krum."),
    clip: float = typer.Option(0.0, "--clip", min=0.0, help="Clip every update to this norm first (0: off)."),
    local_steps: int = typer.Option(20, "--local-steps", min=1, help="Training steps per studio per round."),
    grid_lr_scale: float = typer.Option(1.0, "--grid-lr-scale", min=0.0, help="The hash grid's local learning rate "
                                        "relative to the rest (0: only the image encoder and MLPs train; "
                                        "docs/benchmarks.md compares both)."),
    dp_noise: float = typer.Option(0.0, "--dp-noise", min=0.0, help="Differential privacy: noise multiplier σ of "
                                   "DP-FedAvg (0: off); ε is reported every round."),
    dp_clip: float = typer.Option(1.0, "--dp-clip", min=0.0, help="Differential privacy: update norm bound C."),
    attack: str = typer.Option("none", "--attack", help="Robustness trials: studio --attack-studio sends scaled, "
                               "noise or flipped (poisoned-data) updates."),
    attack_studio: int = typer.Option(0, "--attack-studio", min=0, help="Which studio attacks (with --attack)."),
    fedgc: float = typer.Option(0.0, "--fedgc", min=0.0, help="FedGC: generated subjects per private training "
                                "subject, added to every studio before training (0: off; see usr fed generate)."),
    fedgc_allocation: str = typer.Option("water-filling", "--fedgc-allocation", help="equal, inverse or water-filling."),
    fedgc_prompts: str = typer.Option("several", "--fedgc-prompts", help="one, several, combinatorial or a prompt file."),
    fedgc_guidance: str = typer.Option("prompt-only", "--fedgc-guidance", help="prompt-only, real-only or prompt+real."),
    level_subjects: int = typer.Option(2, "--level-subjects", min=0, help="After the last round, each studio measures "
                                       "the surface level on this many of its training subjects with scans (0: keep "
                                       "the starting model's level; skipped under DP)."),
    seed: int = typer.Option(0, "--seed"),
    verbose: bool = typer.Option(False, "--verbose", help="Flower's and Ray's own logs too."),
) -> None:
    from fed.settings import FedSettings
    from fed.simulate import default_studios
    from fed.simulate import simulate as run

    from fed.core.attacks import ATTACKS

    if alg not in ALGORITHMS:
        raise typer.BadParameter(f"--alg {alg!r}: known: {', '.join(ALGORITHMS)}")
    if attack not in ATTACKS:
        raise typer.BadParameter(f"--attack {attack!r}: known: {', '.join(ATTACKS)}")
    local, server, server_lr = ALGORITHMS[alg]
    out = out or Path(tempfile.mkdtemp(prefix="usr-fed-"))
    if data is None:
        data = default_studios(out / "studios", studios,
                               progress=lambda k, n, what: typer.echo(f"studios: {k + 1}/{n} {what}", err=True))
    missing = [k for k in range(studios) if not (data / f"studio_{k}").is_dir()]
    if missing:
        typer.echo(f"✗ {data}: no studio_{missing[0]}/ (expected studio_0 … studio_{studios - 1})", err=True)
        raise typer.Exit(1)
    if fedgc > 0:
        add_generated([data / f"studio_{k}" for k in range(studios)], fedgc, fedgc_allocation, fedgc_prompts,
                      fedgc_guidance, seed)
    settings = FedSettings(rounds=rounds, algorithm=local, server_optimizer=server, server_lr=server_lr, rule=rule,
                           clip=clip, local_steps=local_steps, seed=seed, checkpoint_dir=str(out), studios_dir=str(data),
                           dp_noise=dp_noise, dp_clip=dp_clip, attack=attack, attack_studio=attack_studio,
                           level_subjects=level_subjects, grid_lr_scale=grid_lr_scale)

    def on_round(record: dict) -> None:
        scores = ", ".join(f"{k} {record[k]:.3f}" for k in ("train_loss", "val_psnr", "val_iou", "epsilon")
                           if record.get(k) is not None)
        typer.echo(f"round {record['round']}/{rounds}: {len(record['used'])}/{record['studios']} studios used; "
                   f"{scores}; {record['seconds']:.0f} s", err=True)
        for line in record["dropped"] + record["rejected"]:
            typer.echo(f"  ! {line}", err=True)
        if record.get("selected") is not None:
            left_out = sorted(set(record["used"]) - set(record["selected"]))
            typer.echo(f"  {rule} left out: {', '.join(left_out) or 'no studio'}", err=True)

    typer.echo(f"usr fed simulate: {studios} studios, {rounds} rounds, {alg}, aggregation {rule} → {out}", err=True)
    run(settings, studios, on_round, verbose)
    report_level(out / "level.json")
    typer.echo(f"wrote {out / 'field.pt'} (usr reconstruct --checkpoint), {out / 'history.json'}")


def report_level(path: Path) -> None:
    """The surface level the studios measured after the last round (fed.level), if the run measured one."""
    if not path.is_file():
        return
    measured = json.loads(path.read_text())
    if measured["level"] is None:
        typer.echo(f"surface level not measured ({measured['reason']}): the starting model's level stays", err=True)
    else:
        typer.echo(f"surface level {measured['level']:+.3f}: mean Chamfer {measured['chamfer_cm']:.2f} cm on "
                   f"{'; '.join(measured['studios'])}", err=True)


def add_generated(folders: list[Path], ratio: float, allocation: str, prompts: str, guidance: str, seed: int) -> None:
    """FedGC before the run: every studio's generated subjects (kept when already made with the same settings)."""
    from apps.fed_data_cli import run_generation
    from fed.fedgc.generate import FedGCPlan

    try:
        plan = FedGCPlan(ratio, allocation, prompts, guidance, seed=seed)
    except ValueError as exc:
        typer.echo(f"✗ FedGC: {exc}", err=True)
        raise typer.Exit(1) from None
    run_generation(folders, plan)
