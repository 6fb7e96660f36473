"""Benchmark: person masks of a real clip against its reference masks — each cue alone, the product's fusion, and the
levers tried beside it, per camera.

The frame is imported as `usr data import-video --masks clean-plate+parser` does (plate estimated from the clip, its
motion map, the garment parser on a window around the person, GrabCut over the union of the cues), with every
intermediate kept: `clean-plate` (subtraction alone), `parser` (person probability > 0.5, on its window), `candidate`
(the union GrabCut searches), `fused` (the product's mask). Levers, each measured against the product's mask:
`+held-still` (the parser's person pixels that never moved in the clip, joined to the mask, taken in), `∧ others'
hull` (the mask cut to where the visual hull of the other cameras' fused masks projects: the multi-view vote).
`--parser` scores another parser checkpoint in the same pipeline (`--parser-size`: at another input size); the
`parser` row is that parser's person mask alone on the cluttered room.

    python benchmarks/real_masks.py --capture ../shared/data/real/pose2sim_4cam --frame 50 \
        --out benchmarks/results/real_masks.json
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.io.clean_plate import RepairedMask  # noqa: E402
from usr.io.images import read_image  # noqa: E402
from usr.io.video import import_video_rig, list_videos  # noqa: E402
from usr.parsing.mask_repair import (MaskRepairConfig, fuse_person_cues, held_still, person_candidate,  # noqa: E402
                                     window_person_prob)
from usr.parsing.predict import DEFAULT_PARSER  # noqa: E402
from usr.parsing.train import load_parser  # noqa: E402
from usr.render.occupancy import hull_silhouettes, visual_hull  # noqa: E402

REFERENCE = "reference_masks_frame{frame}"


def scores(mask: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """IoU, recall and precision of a bool mask against the bool reference."""
    both = float((mask & truth).sum())
    return {"iou": both / max(float((mask | truth).sum()), 1.0), "recall": both / max(float(truth.sum()), 1.0),
            "precision": both / max(float(mask.sum()), 1.0)}


def cues_of_frame(capture: Path, frame: int, work: Path, net, config: MaskRepairConfig, size: int | None = None):
    """Import the frame with the product's clip masks, keeping each camera's cues: (capture, {camera: cues})."""
    kept = []

    def refine(image, rough, moved):
        prob = window_person_prob(image, rough, net, config.context_fill, size)
        candidate = person_candidate(rough, prob, moved, config)
        fused = fuse_person_cues(image, rough, prob, config, moved)
        still = held_still(fused, prob, moved, config)
        taken = fuse_person_cues(image, np.where(still, 255, rough).astype(np.uint8), prob, config, moved)
        kept.append({"clean-plate": rough > 127, "parser": prob > 0.5, "candidate": candidate, "fused": fused > 127,
                     "+held-still": taken > 127})
        return RepairedMask(fused, still)

    cap = import_video_rig(capture / "Calib_scene_opencv.toml", list_videos([capture]), frame, work,
                           masks="clean-plate", refine_mask=refine,
                           progress=lambda stage, f: print(f"importing {f:.0%} {stage}", flush=True))
    return cap, dict(zip(cap.camera_names, kept, strict=True))


def multiview_vote(cap, fused: dict[str, np.ndarray], resolution: int = 128) -> dict[str, np.ndarray]:
    """Each camera's fused mask cut to the silhouette of the visual hull carved by the other cameras' fused masks."""
    out = {}
    for k, name in enumerate(cap.camera_names):
        rest = [i for i in range(len(cap.cameras)) if i != k]
        hull = visual_hull([cap.cameras[i] for i in rest],
                           [fused[cap.camera_names[i]].astype(np.uint8) * 255 for i in rest], resolution, dilate=1)
        out[name] = fused[name] & hull_silhouettes(hull, [cap.cameras[k]])[0]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--capture", type=Path, default=Path("../shared/data/real/pose2sim_4cam"))
    ap.add_argument("--frame", type=int, default=50)
    ap.add_argument("--parser", type=Path, default=DEFAULT_PARSER, help="garment parser checkpoint")
    ap.add_argument("--parser-size", type=int, default=None, help="the parser's input size (default: its own)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/real_masks.json"))
    ap.add_argument("--note", default="")
    args = ap.parse_args()
    reference = args.capture / REFERENCE.format(frame=args.frame)
    if not reference.is_dir():
        raise SystemExit(f"{reference}: no reference masks for this frame (the Pose2Sim capture has them for frame 50)")
    net, _ = load_parser(args.parser)
    t = time.perf_counter()
    cap, cues = cues_of_frame(args.capture, args.frame, Path(tempfile.mkdtemp(prefix="usr-masks-bench-")) / "subject",
                              net, MaskRepairConfig(), args.parser_size)
    seconds = time.perf_counter() - t
    vote = multiview_vote(cap, {name: c["fused"] for name, c in cues.items()})
    table = {}
    for name, c in cues.items():
        truth = read_image(reference / f"{name}.png", "L") > 127
        c["∧ others' hull"] = vote[name]
        table[name] = {method: scores(mask, truth) for method, mask in c.items()}
    methods = list(next(iter(table.values())))
    for method in methods:
        print(f"{method:>15}: " + "  ".join(f"{n} {table[n][method]['iou']:.3f}" for n in table), flush=True)
    write_json_atomic(args.out, {
        "benchmark": "real_masks", "capture": args.capture.name, "frame": args.frame, "parser": args.parser.name, "parser_size": args.parser_size,
        "command": " ".join(["python", *sys.argv]), "date": time.strftime("%Y-%m-%d"), "seconds": seconds,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}, "note": args.note,
        "methods": methods, "per_camera": table,
        "mean_iou": {m: float(np.mean([table[n][m]["iou"] for n in table])) for m in methods}})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    cv2.setNumThreads(1)
    main()
