"""Synthetic validation of a garment parser checkpoint: the `val` subjects' augmented views (usr.parsing.data, the
same 48 samples as the training log's `val_miou` for that seed and augmentation), mean IoU over the labels present and
per class, at one or more inference sizes (samples made at `--sample-size`, resized to each inference size by
parse_probabilities, scored at the sample size).

    python benchmarks/parser_synth_val.py --data /work/train_data/parser_s6000_v2 --checkpoint PATH \\
        [--backgrounds DIR --background-prob 0.5 --distractor-prob 0.5] [--sample-size 320 --sizes 320] --out OUT.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.labels import LABEL_NAMES, NUM_LABELS  # noqa: E402
from usr.parsing.data import Clutter, batch, views_of  # noqa: E402
from usr.parsing.metrics import class_iou, confusion, mean_iou  # noqa: E402
from usr.parsing.predict import DEFAULT_PARSER, label_map, parse_probabilities  # noqa: E402
from usr.parsing.train import load_parser  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--checkpoint", type=Path, default=DEFAULT_PARSER)
    ap.add_argument("--seed", type=int, default=0, help="The training run's seed (val samples use seed + 10000).")
    ap.add_argument("--samples", type=int, default=48)
    ap.add_argument("--sample-size", type=int, default=320)
    ap.add_argument("--sizes", type=int, nargs="+", default=[320])
    ap.add_argument("--backgrounds", default="")
    ap.add_argument("--background-prob", type=float, default=0.5)
    ap.add_argument("--distractor-prob", type=float, default=0.0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    net, state = load_parser(args.checkpoint)
    splits = json.loads((args.data / "splits.json").read_text())
    refs = views_of(args.data, "val" if splits.get("val") else "train")
    clutter = Clutter(args.backgrounds, args.background_prob, args.distractor_prob)
    images, labels = batch(refs, args.seed + 10_000, 0, args.sample_size, args.samples, clutter=clutter)
    result = {"checkpoint": str(args.checkpoint), "step": state["step"], "clutter": vars(args) | {"out": None},
              "sizes": {}}
    result["clutter"] = {k: str(v) for k, v in result["clutter"].items() if k != "out"}
    for size in args.sizes:
        conf = np.zeros((NUM_LABELS, NUM_LABELS), np.int64)
        for img, lab in zip(images, labels):
            conf += confusion(label_map(parse_probabilities(net, img, size)), lab, NUM_LABELS)
        present = conf.sum(1) > 0
        iou = class_iou(conf)
        result["sizes"][str(size)] = {"miou": mean_iou(conf, present),
                                      "iou": {LABEL_NAMES[c]: float(iou[c]) for c in range(NUM_LABELS) if present[c]}}
        print(size, json.dumps(result["sizes"][str(size)]), flush=True)
    write_json_atomic(args.out, result)


if __name__ == "__main__":
    main()
