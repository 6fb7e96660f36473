"""`usr fed simulate`: studios co-training the reconstruction field on this machine (Flower simulation)."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer

from apps.options import settings_command
from fed.settings import ALGORITHMS, FedSettings

# FedSettings fields `simulate` sets from --alg (three of them), --out and --data
SET_BY_SIMULATE = ("algorithm", "server_optimizer", "server_lr", "checkpoint_dir", "studios_dir")
SIMULATE_DEFAULTS = {"attack_studio": 0}  # with --attack, studio 0 attacks unless told otherwise


def register(app: typer.Typer, settings_class: type[FedSettings] = FedSettings) -> None:
    """`usr fed …` on `app`; `simulate` gets an option per field of `settings_class` but those it sets itself."""
    fed = typer.Typer(help="Federated co-training of the reconstruction field (Flower).", no_args_is_help=True)
    fed.command("simulate", help="K studios on this machine (Flower simulation, CPU); without --data, small "
                                 "synthetic studios are made first.")(
        settings_command(simulate, "settings", settings_class, defaults=SIMULATE_DEFAULTS, exclude=SET_BY_SIMULATE))
    from apps import fed_data_cli

    fed_data_cli.register(fed)
    app.add_typer(fed, name="fed")


def simulate(
    studios: int = typer.Option(3, "--studios", min=1, help="Number of studios (virtual SuperNodes)."),
    alg: str = typer.Option("fedavg", "--alg", help=f"One of: {', '.join(ALGORITHMS)}."),
    data: Optional[Path] = typer.Option(None, "--data", help="Folder with studio_0/, studio_1/ … (subject folders + "
                                        "splits.json each). Default: small synthetic studios made here."),
    out: Optional[Path] = typer.Option(None, "--out", help="Checkpoints (field.pt, server_state.npz, history.json); "
                                       "a run with the same --out resumes. Default: a temporary folder."),
    settings: FedSettings = FedSettings(),  # one option per field (register)
    fedgc: float = typer.Option(0.0, "--fedgc", min=0.0, help="FedGC: generated subjects per private training "
                                "subject, added to every studio before training (0: off; see usr fed generate)."),
    fedgc_allocation: str = typer.Option("water-filling", "--fedgc-allocation", help="equal, inverse or water-filling."),
    fedgc_prompts: str = typer.Option("several", "--fedgc-prompts", help="one, several, combinatorial or a prompt file."),
    fedgc_guidance: str = typer.Option("prompt-only", "--fedgc-guidance", help="prompt-only, real-only or prompt+real."),
    verbose: bool = typer.Option(False, "--verbose", help="Flower's and Ray's own logs too."),
) -> None:
    from fed.simulate import default_studios
    from fed.simulate import simulate as run

    from fed.core.attacks import ATTACKS

    if alg not in ALGORITHMS:
        raise typer.BadParameter(f"--alg {alg!r}: known: {', '.join(ALGORITHMS)}")
    if settings.attack not in ATTACKS:
        raise typer.BadParameter(f"--attack {settings.attack!r}: known: {', '.join(ATTACKS)}")
    local, server, server_lr = ALGORITHMS[alg]
    out = out or Path(tempfile.mkdtemp(prefix="usr-fed-"))
    if data is None:
        from apps.progress import stage_bar

        with stage_bar("studios") as progress:
            data = default_studios(out / "studios", studios, progress=progress)
    missing = [k for k in range(studios) if not (data / f"studio_{k}").is_dir()]
    if missing:
        typer.echo(f"✗ {data}: no studio_{missing[0]}/ (expected studio_0 … studio_{studios - 1})", err=True)
        raise typer.Exit(1)
    if fedgc > 0:
        add_generated([data / f"studio_{k}" for k in range(studios)], fedgc, fedgc_allocation, fedgc_prompts,
                      fedgc_guidance, settings.seed)
    settings = replace(settings, algorithm=local, server_optimizer=server, server_lr=server_lr,
                       checkpoint_dir=str(out), studios_dir=str(data))
    rounds, rule = settings.rounds, settings.rule

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
