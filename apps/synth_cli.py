"""`usr data synth`: generate synthetic dressed subjects with exact ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from apps.progress import stage_bar


def register(app: typer.Typer) -> None:
    app.command("synth", help="Generate synthetic dressed people with ground truth and calibrated renders.")(synth)


def synth(
    out: Path = typer.Option(..., "--out", help="Output folder (one subject folder per subject, plus splits.json)."),
    subjects: int = typer.Option(4, "--subjects", min=1, help="Number of subjects."),
    views: int = typer.Option(8, "--views", min=1, help="Cameras per subject (cam00, cam01, ...)."),
    size: int = typer.Option(512, "--size", min=16, help="Square image size in pixels."),
    seed: int = typer.Option(0, "--seed", help="Run seed: same seed, same files."),
    rig: str = typer.Option("ring", "--rig", help="Camera rig: ring, hemisphere, random, or train (3…--views cameras "
                            "per subject framing the person like photos, sometimes cut by the frame)."),
    poses: str = typer.Option("a_pose,t_pose,relaxed,random", "--poses", help="Pose kinds to draw from (also: "
                              "wide — an arm up to overhead, a leg out sideways; see smpl_d/poses.py)."),
    garments_dir: Optional[Path] = typer.Option(None, "--garments-dir", help="MakeHuman CC0 assets (clothes/, hair/)."),
    noise: float = typer.Option(0.0, "--noise", min=0.0, help="Gaussian pixel noise sigma (0-255 units)."),
    blur: float = typer.Option(0.0, "--blur", min=0.0, help="Gaussian blur sigma in pixels."),
    outfits: str = typer.Option("", "--outfits", help="Outfit-kind mix, e.g. dress=0.8,trousers=0.2 "
                                "(dress, skirt, trousers, shorts, suit); default: the usual mix."),
    bodies: str = typer.Option("", "--bodies", help="Body-shape mix, e.g. heavy=0.9,slim=0.1 (slim, average, heavy)."),
    points: int = typer.Option(0, "--points", min=0, help="Supervision points per subject in gt/points.npz (signed "
                               "distances to the clothed surface and the body, nearest label); 0 = none."),
    photo: bool = typer.Option(False, "--photo", help="Photo-like images: room backgrounds, exposure, white balance, "
                               "blur, noise, JPEG (masks and labels stay exact)."),
    garment_set: str = typer.Option("all", "--garment-set", help="MakeHuman assets to draw from: all, train (the "
                                    "evaluation assets left out) or eval (only those; see docs/model.md)."),
) -> None:
    from data_tools.synth import SynthConfig, synthesize

    try:
        config = SynthConfig(subjects, views, size, seed, rig, tuple(p.strip() for p in poses.split(",") if p.strip()),
                             str(garments_dir) if garments_dir else None, noise, blur, outfits=outfits, bodies=bodies,
                             points=points, photo=photo, garment_set=garment_set)
    except (ValueError, FileNotFoundError) as exc:
        raise typer.BadParameter(str(exc)) from None
    with stage_bar("synthesising") as progress:
        summary = synthesize(out, config, progress=progress)
    typer.echo(f"{summary['subjects']} subjects in {summary['out']} "
               f"({summary['generated']} generated, {summary['skipped']} already there)")
