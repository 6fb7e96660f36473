"""`usr fed partition` (simulated studios with skewed data) and `usr fed generate` (FedGC generated subjects)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from apps.progress import stage_bar


def register(fed: typer.Typer) -> None:
    fed.command("partition", help="Make K synthetic studios with skewed data (garment type, body shape, size).")(partition)
    fed.command("generate", help="FedGC: add generated subjects to every studio (flagged; trained on, never "
                                 "evaluated).")(generate)


def partition(
    out: Path = typer.Option(..., "--out", help="Folder for studio_0/ … studio_{K-1}/."),
    studios: int = typer.Option(4, "--studios", min=1),
    subjects: int = typer.Option(8, "--subjects", min=3, help="Subjects per studio (size skew: on average); about "
                                 "20 % of each studio are held out (splits.json)."),
    skew: str = typer.Option("garment", "--skew", help="garment, body, size or none."),
    dominance: float = typer.Option(0.8, "--dominance", min=0.0, max=1.0, help="Share of a studio's own bin."),
    views: int = typer.Option(6, "--views", min=1),
    size: int = typer.Option(128, "--size", min=16),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    from fed.partition import PartitionPlan, make_studios

    try:
        plan = PartitionPlan(studios, subjects, skew, dominance, views, size, seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    with stage_bar("studios") as progress:
        folders = make_studios(out, plan, progress=progress)
    typer.echo(f"{len(folders)} studios in {out} ({skew} skew)")


def generate(
    studios: list[Path] = typer.Argument(..., help="Studio folders (subject folders + splits.json each)."),
    ratio: float = typer.Option(0.5, "--ratio", min=0.0, help="Generated subjects per private training subject."),
    allocation: str = typer.Option("water-filling", "--allocation", help="equal, inverse or water-filling."),
    prompts: str = typer.Option("several", "--prompts", help="one, several, combinatorial, or a text file of prompts."),
    guidance: str = typer.Option("prompt-only", "--guidance", help="prompt-only, real-only or prompt+real."),
    axis: str = typer.Option("outfit", "--axis", help="Bins water-filling balances: outfit or body."),
    garments_dir: Optional[Path] = typer.Option(None, "--garments-dir", help="MakeHuman assets (suits of real subjects)."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    from fed.fedgc.generate import FedGCPlan

    try:
        plan = FedGCPlan(ratio, allocation, prompts, guidance, axis, seed=seed,
                         garments_dir=str(garments_dir) if garments_dir else None)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    bad = [s for s in studios if not s.is_dir()]
    if bad:
        typer.echo(f"✗ {bad[0]}: studio folder not found", err=True)
        raise typer.Exit(1)
    run_generation(studios, plan)


def run_generation(studios: list[Path], plan) -> None:
    """Generate with a progress bar and print each studio's summary (`usr fed generate`, `usr fed simulate --fedgc`);
    a refusal is one ✗ line and exit code 1."""
    from fed.fedgc.generate import generate, plan_studios

    try:
        jobs = plan_studios(studios, plan)
        with stage_bar("generating") as progress:
            summaries = generate(studios, plan, progress=progress, jobs=jobs)
    except (ValueError, FileNotFoundError) as exc:
        typer.echo(f"✗ FedGC: {exc}", err=True)
        raise typer.Exit(1) from None
    for s in summaries:
        bins = ", ".join(f"{k} {v}" for k, v in s["bins"].items()) or "none"
        typer.echo(f"fedgc: {s['studio']}: {s['private']} private + {s['generated']} generated ({bins})", err=True)
