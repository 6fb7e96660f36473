"""Benchmark: the garment parser's person mask on a cluttered real room (Pose2Sim lab, frame 50, 4 cameras) against
the reference masks, per camera: precision, recall, IoU of person probability > 0.5.

The parser runs as the mask repair runs it (usr.parsing.mask_repair.repair_with_parser with a motion map): on a
square window around a rough mask (`person_window(rough, 0.5)`: the rough mask's box fills half the window), 0
outside the window. The rough masks are the clip's clean-plate masks (`usr data import-video --frame 50 --masks
clean-plate`), the images the frames that command writes (raw, not undistorted, like the reference masks).

    python benchmarks/parser_pose2sim.py --capture /work/dev_real/cp [--checkpoint PATH] [--size 320] --out OUT.json
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.io.images import read_image  # noqa: E402
from usr.labels import BACKGROUND  # noqa: E402
from usr.parsing.mask_repair import person_window  # noqa: E402
from usr.parsing.predict import DEFAULT_PARSER, parse_probabilities  # noqa: E402
from usr.parsing.train import load_parser  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "pose2sim_4cam" / "reference_masks_frame50"


def person_probability(net, image: np.ndarray, rough: np.ndarray, fill: float = 0.5, size: int | None = None) -> np.ndarray:
    """Full-image person probability, 0 outside the parser's window around the rough mask."""
    p = np.zeros(rough.shape, np.float32)
    y0, y1, x0, x1 = person_window(rough, fill)
    p[y0:y1, x0:x1] = 1 - parse_probabilities(net, image[y0:y1, x0:x1], size)[..., BACKGROUND]
    return p


def scores(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    tp = float((pred & truth).sum())
    return {"precision": tp / max(pred.sum(), 1), "recall": tp / max(truth.sum(), 1),
            "iou": tp / max((pred | truth).sum(), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--capture", type=Path, required=True, help="Subject folder with images/ and clean-plate masks/.")
    ap.add_argument("--reference", type=Path, default=REFERENCE)
    ap.add_argument("--checkpoint", type=Path, default=DEFAULT_PARSER)
    ap.add_argument("--size", type=int, default=None, help="Inference size (default: the parser's own).")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    net, state = load_parser(args.checkpoint)
    result = {"benchmark": "parser_pose2sim", "checkpoint": str(args.checkpoint), "step": state["step"],
              "size": args.size or net.config.input_size, "cameras": {}}
    t = time.perf_counter()
    for ref in sorted(args.reference.glob("cam*.png")):
        truth = read_image(ref, "L") > 127
        rough = read_image(args.capture / "masks" / ref.name, "L")
        p = person_probability(net, read_image(args.capture / "images" / ref.name), rough, size=args.size)
        result["cameras"][ref.stem] = scores(p > 0.5, truth)
        print(ref.stem, {k: round(v, 3) for k, v in result["cameras"][ref.stem].items()}, flush=True)
    result["seconds"] = time.perf_counter() - t
    write_json_atomic(args.out, result)


if __name__ == "__main__":
    main()
