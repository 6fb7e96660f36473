"""Benchmark: the real Pose2Sim capture (4 calibrated cameras) — reconstruct from 3, score on the 4th.

One frame of the rig is imported three times, with different person masks: the independent reference masks of the
capture (`reference_masks_frame50`, its README: semi-manual, complete; so the reconstruction is measured apart from
mask making), clean-plate subtraction (the plate estimated from the clip: the capture has no empty-set images), and
those masks made whole by the garment parser (GrabCut, usr.parsing.mask_repair — what `usr data import-video --masks
clean-plate+parser` does). Each camera is held out in turn; the other three reconstruct with every method. The
held-out silhouette and the person pixels for PSNR are the reference masks of that view (the refined masks when a
frame has none), for every variant alike; a held-out view's reference mask is never an input of its own
reconstruction. Writes JSON and a picture of the held-out views.

    python benchmarks/real_capture.py --capture ../shared/data/real/pose2sim_4cam --frame 50 \
        --out benchmarks/results/real_pose2sim.json --picture docs/images/real_pose2sim.png
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from apps.options import add_settings_arguments, settings_from_args  # noqa: E402
from benchmarks.recon import parse_method  # noqa: E402
from smpl_d.prior import FittedBodyPrior  # noqa: E402
from usr.evaluate import evaluate  # noqa: E402
from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.io.clean_plate import RepairedMask  # noqa: E402
from usr.io.images import png_bytes  # noqa: E402
from usr.io.subject_folder import read_subject  # noqa: E402
from usr.metrics.images import silhouette_iou  # noqa: E402
from usr.pipeline import reconstruct_subject  # noqa: E402
from usr.recon_spec import ReconSpec  # noqa: E402

METRICS = ("psnr", "ssim", "silhouette_iou", "seconds")
# ReconSpec fields set from options
RECON_OPTIONS = ("resolution", "finetune_steps", "scratch_steps", "checkpoint", "silhouette_fill", "hull_carve")
MASKS = ("reference", "clean-plate", "clean-plate+parser")
REFERENCE = "reference_masks_frame{frame}"  # independent person masks of one frame (see the README there)


def import_all(capture: Path, frame: int, work: Path, wanted: tuple[str, ...] = MASKS) -> dict[str, Path]:
    """The frame as subject folders, one per mask method in `wanted`: clean-plate masks, the same masks refined with
    the parser, and (when the capture has them for this frame) the independent reference masks."""
    from usr.io.video import import_video_rig, list_videos

    calib = capture / "Calib_scene_opencv.toml"
    notify = lambda stage, fraction: print(f"importing {fraction:.0%} {stage}", flush=True)  # noqa: E731
    subjects = {}
    if {"clean-plate", "clean-plate+parser"} & set(wanted):
        subjects["clean-plate"] = work / "clean-plate"
        repaired, refine = [], None
        if "clean-plate+parser" in wanted:  # repaired during the import: the clip's motion map is at hand there
            from usr.parsing.mask_repair import repair_with_parser
            from usr.parsing.predict import DEFAULT_PARSER
            from usr.parsing.train import load_parser

            net, _ = load_parser(DEFAULT_PARSER)

            def refine(image, mask, moved):
                repaired.append(repair_with_parser(image, mask, net, moved=moved).mask)
                return RepairedMask(mask)

        import_video_rig(calib, list_videos([capture]), frame, subjects["clean-plate"], masks="clean-plate",
                         progress=notify, refine_mask=refine)
        if repaired:
            refined = subjects["clean-plate+parser"] = work / "clean-plate+parser"
            shutil.copytree(subjects["clean-plate"], refined)
            names = [c["name"] for c in json.loads((refined / "cameras.json").read_text())["cameras"]]
            for name, mask in zip(names, repaired, strict=True):
                (refined / "masks" / f"{name}.png").write_bytes(png_bytes(mask))
    reference_masks = capture / REFERENCE.format(frame=frame)
    if "reference" in wanted and reference_masks.is_dir():
        subjects["reference"] = work / "reference"
        if "clean-plate" in subjects:  # the frame is imported already: only the masks differ
            shutil.copytree(subjects["clean-plate"], subjects["reference"])
        else:
            import_video_rig(calib, list_videos([capture]), frame, subjects["reference"], progress=notify)
        (subjects["reference"] / "masks").mkdir(exist_ok=True)
        for name in json.loads((subjects["reference"] / "cameras.json").read_text())["cameras"]:
            name = name["name"]
            shutil.copyfile(reference_masks / f"{name}.png", subjects["reference"] / "masks" / f"{name}.png")
    return {k: v for k, v in subjects.items() if k in wanted}  # the parser's masks start from the plate's


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--capture", type=Path, default=Path("../shared/data/real/pose2sim_4cam"))
    ap.add_argument("--frame", type=int, default=50)
    ap.add_argument("--methods", nargs="+", default=["field", "finetune:200", "visual-hull"])
    ap.add_argument("--masks", nargs="+", default=list(MASKS), choices=MASKS,
                    help="input masks: the independent reference masks (measures reconstruction apart from mask "
                         "making), clean-plate, clean-plate+parser")
    add_settings_arguments(ap, ReconSpec, RECON_OPTIONS, defaults={"finetune_steps": 200, "scratch_steps": 800})
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/real_pose2sim.json"))
    ap.add_argument("--note", default="", help="conditions to report with the numbers (e.g. a busy machine)")
    ap.add_argument("--picture", type=Path, default=Path("docs/images/real_pose2sim.png"))
    args = ap.parse_args()
    base = settings_from_args(ReconSpec, args, RECON_OPTIONS, layers=False)
    if not (args.capture / "Calib_scene_opencv.toml").is_file():
        raise SystemExit(f"{args.capture}: no Calib_scene_opencv.toml (the Pose2Sim capture lives in ../shared/data/real)")

    work = Path(tempfile.mkdtemp(prefix="usr-real-bench-"))
    t = time.perf_counter()
    subjects = import_all(args.capture, args.frame, work, tuple(args.masks))
    import_s = time.perf_counter() - t
    # the held-out view's truth: the independent reference masks when the capture has them for this frame
    has_reference = (args.capture / REFERENCE.format(frame=args.frame)).is_dir()
    truth_name = "reference" if has_reference else "clean-plate+parser"
    reference = subjects.get(truth_name) or import_all(args.capture, args.frame, work / "truth",
                                                       (truth_name,))[truth_name]
    cameras = read_subject(reference, load_images=False).camera_names
    mask_iou = {masks: masks_against(subject, reference) for masks, subject in subjects.items() if has_reference}
    for masks, per_view in mask_iou.items():
        print(f"mask IoU vs the reference, {masks}: " + ", ".join(f"{c} {v:.3f}" for c, v in per_view.items()), flush=True)
    rows, renders = [], {}
    for held in cameras:
        inputs = [c for c in cameras if c != held]
        for masks, subject in subjects.items():
            for method in args.methods:
                kind, steps = parse_method(method, args)
                out = work / "results" / f"{held}_{masks}_{method.replace(':', '_')}"
                t = time.perf_counter()
                reconstruct_subject(subject, out, replace(base, views=tuple(inputs), scratch_steps=steps,
                                                          finetune_steps=steps if kind == "finetune" else 0,
                                                          method="field" if kind in ("finetune", "body") else kind),
                                    body_fit=FittedBodyPrior() if kind == "body" else None)
                wall = time.perf_counter() - t
                scores = evaluate(out, reference)
                row = {"held_out": held, "views": inputs, "masks": masks, "method": method, "wall_s": wall,
                       **{m: scores.get(m) for m in METRICS}}
                rows.append(row)
                renders[(held, masks, method)] = out
                print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)

    summary = {}
    for masks in subjects:
        for method in args.methods:
            sel = [r for r in rows if r["masks"] == masks and r["method"] == method]
            summary[f"{method} / {masks}"] = {m: float(np.mean([r[m] for r in sel if r[m] is not None]))
                                             for m in METRICS if any(r[m] is not None for r in sel)} | {"runs": len(sel)}
    from usr.viz import contact_sheet

    shown = [m for m in ("clean-plate+parser", truth_name) if m in subjects] or list(subjects)[:1]
    sheet = contact_sheet(_picture_rows(reference, cameras, renders, args.methods, shown), captions=cameras,
                          thumb_height=260,
                          title=f"{args.capture.name} frame {args.frame}: each camera held out, reconstructed from the other three")
    args.picture.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.picture)
    result = {
        "benchmark": "real_capture", "capture": args.capture.name, "frame": args.frame, "resolution": args.resolution,
        "reference_masks": truth_name, "checkpoint": str(args.checkpoint or "embedded default"),
        "silhouette_fill": args.silhouette_fill, "hull_carve": args.hull_carve,
        "import_seconds": import_s, "summary": summary, "runs": rows, "note": args.note, "mask_iou": mask_iou,
        "command": (f"python benchmarks/real_capture.py --capture {args.capture} --frame {args.frame} "
                    f"--methods {' '.join(args.methods)} --masks {' '.join(subjects)} --out {args.out} "
                    f"--picture {args.picture}"), "picture": str(args.picture),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "date": time.strftime("%Y-%m-%d"),
    }
    write_json_atomic(args.out, result)
    print(json.dumps(summary, indent=1))


def masks_against(subject: Path, reference: Path) -> dict[str, float]:
    """Per camera, the IoU of the subject's person mask with the reference mask."""
    mine, truth = read_subject(subject), read_subject(reference)
    return {name: silhouette_iou(mine.masks[mine.index(name)], truth.masks[truth.index(name)])
            for name in truth.camera_names}


def _picture_rows(reference: Path, cameras: list[str], renders: dict, methods: list[str], masks: list[str]):
    """Rows: the held-out photos, then each method's render from the held-out camera, for each input masks in
    `masks`."""
    import cv2

    from usr.colour import render_mesh
    from usr.result import read_result

    cap = read_subject(reference)
    small = lambda img: cv2.resize(img, (img.shape[1] * 320 // img.shape[0], 320), interpolation=cv2.INTER_AREA)  # noqa: E731
    rows = [("held-out photo", [small(cap.images[cap.index(c)]) for c in cameras])]
    for which in masks:
        for method in methods:
            row = []
            for c in cameras:
                mesh, colours, _ = read_result(renders[(c, which, method)])
                rgb, _ = render_mesh(mesh, colours, cap.cameras[cap.index(c)])
                row.append(small(rgb))
            rows.append((f"{method}\n{which} masks", row))
    return rows


if __name__ == "__main__":
    main()
