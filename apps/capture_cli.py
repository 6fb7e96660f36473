"""`usr data validate | import-video | import-nerfstudio | export-nerfstudio`: capture format commands."""

from __future__ import annotations

from pathlib import Path

import typer

from usr.io.errors import CaptureError


def register(app: typer.Typer) -> None:
    app.command("validate", help="Check a subject folder (or a folder of them, or a transforms.json); print every problem.")(validate)
    app.command("import-video", help="Frame N of each calibrated video (OpenCV/Pose2Sim TOML) → subject folder.")(import_video)
    app.command("import-nerfstudio", help="nerfstudio transforms.json (+ images) → subject folder.")(import_nerfstudio)
    app.command("export-nerfstudio", help="Subject folder → nerfstudio transforms.json + images.")(export_nerfstudio)


def _fail(exc: CaptureError) -> None:
    for p in exc.problems:
        typer.echo(f"✗ {p}", err=True)
    raise typer.Exit(1)


def validate(path: Path = typer.Argument(..., help="Subject folder, folder of subject folders, or transforms.json.")) -> None:
    from usr.io.subject_folder import read_subject
    from usr.io.validate import capture_problems

    problems = capture_problems(path)
    if problems:
        for p in problems:
            typer.echo(f"✗ {p}")
        typer.echo(f"{len(problems)} problem(s) in {path}")
        raise typer.Exit(1)
    if path.is_file():
        typer.echo(f"OK: {path}")
        return
    subjects = [path] if (path / "cameras.json").exists() else sorted(p for p in path.iterdir() if (p / "cameras.json").exists())
    for s in subjects:
        cap = read_subject(s, load_images=False)
        c = cap.cameras[0]
        typer.echo(f"OK: {s}: {len(cap.cameras)} views, {c.width}x{c.height}, masks: {_yes((s / 'masks').is_dir())}, "
                   f"labels: {_yes((s / 'labels').is_dir())}, gt: {_yes(cap.ground_truth is not None)}")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def import_video(
    calib: Path = typer.Option(..., "--calib", help="OpenCV calibration TOML (Pose2Sim Calib_scene_opencv.toml)."),
    videos: list[Path] = typer.Option(..., "--videos", help="Folder of videos, or video files (repeat the option)."),
    out: Path = typer.Option(..., "--out", help="Subject folder to write."),
    frame: int = typer.Option(0, "--frame", min=0, help="Frame index taken from every video."),
    up: str = typer.Option("auto", "--up", help="Up axis of the calibration world: auto, x, y, z, -x, -y, -z."),
    undistort: bool = typer.Option(False, "--undistort/--keep-distortion", help="Resample images without lens distortion."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing subject folder."),
    masks: str = typer.Option("none", "--masks", help="none; clean-plate: person masks by background subtraction; "
                              "clean-plate+parser: those masks made whole by the garment parser (GrabCut) — for "
                              "people who stand still or wear colours close to the set's."),
    clean_plates: Path = typer.Option(None, "--clean-plates", help="Folder of empty-set images named like the cameras "
                                      "(cam01.png …); without it the plate is estimated from the clip (slower, "
                                      "ghosts where the person stands still)."),
) -> None:
    from apps.progress import stage_bar
    from usr.io.video import import_video_rig, list_videos

    if masks not in ("none", "clean-plate", "clean-plate+parser"):
        raise typer.BadParameter(f"--masks {masks!r}: expected none, clean-plate or clean-plate+parser")
    refine = None
    if masks == "clean-plate+parser":
        from usr.parsing.mask_repair import repair_with_parser
        from usr.parsing.predict import DEFAULT_PARSER
        from usr.parsing.train import load_parser

        net, _ = load_parser(DEFAULT_PARSER)
        refine = lambda image, mask, moved: repair_with_parser(image, mask, net, moved=moved)  # noqa: E731
    notes: list[str] = []
    try:
        with stage_bar("importing") as progress:
            cap = import_video_rig(calib, list_videos(videos), frame, out, up, undistort, overwrite, notes,
                                   masks="none" if masks == "none" else "clean-plate", clean_plates=clean_plates,
                                   progress=progress, refine_mask=refine)
    except CaptureError as exc:
        _fail(exc)
    except FileExistsError as exc:
        raise typer.BadParameter(str(exc)) from None
    for note in notes:
        typer.echo(f"note: {note}")
    typer.echo(f"wrote {out}: {len(cap.cameras)} calibrated views ({', '.join(cap.camera_names)}), frame {frame}"
               + (", with person masks" if cap.masks is not None else ""))


def import_nerfstudio(
    transforms: Path = typer.Argument(..., help="transforms.json"),
    out: Path = typer.Option(..., "--out", help="Subject folder to write."),
    overwrite: bool = typer.Option(False, "--overwrite"),
) -> None:
    from usr.io.nerfstudio import read_transforms
    from usr.io.subject_folder import write_subject

    try:
        cap = read_transforms(transforms)
        write_subject(cap, out, overwrite=overwrite)
    except CaptureError as exc:
        _fail(exc)
    typer.echo(f"wrote {out}: {len(cap.cameras)} views")


def export_nerfstudio(
    subject: Path = typer.Argument(..., help="Subject folder."),
    out: Path = typer.Option(..., "--out", help="Folder for transforms.json + images/."),
    overwrite: bool = typer.Option(False, "--overwrite"),
) -> None:
    from usr.io.nerfstudio import write_transforms
    from usr.io.subject_folder import read_subject

    try:
        path = write_transforms(read_subject(subject), out, overwrite=overwrite)
    except CaptureError as exc:
        _fail(exc)
    typer.echo(f"wrote {path}")
