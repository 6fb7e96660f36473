"""Benchmark: the garment parser on real photos with parsing maps (Octopus 8 views, CIHP palette), per class,
and on the DeepFashion2 garment polygons (IoU of the annotated garment with the parser's clothing / dress).

    python benchmarks/parser.py --out benchmarks/results/parser.json [--checkpoint PATH] [--size 448]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.parsing.predict import DEFAULT_PARSER  # noqa: E402
from usr.parsing.real_eval import deepfashion2_masks, evaluate_cihp, evaluate_garment_polygons, octopus_pairs  # noqa: E402
from usr.parsing.train import load_parser  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
OCTOPUS, DEEPFASHION2 = REAL / "octopus_8view", REAL / "deepfashion2_2img"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=OCTOPUS)
    ap.add_argument("--deepfashion2", type=Path, default=DEEPFASHION2)
    ap.add_argument("--checkpoint", type=Path, default=DEFAULT_PARSER)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/parser.json"))
    ap.add_argument("--size", type=int, default=None, help="Inference size, longer side (default: the parser's own).")
    args = ap.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: real photos not available (the team's ../shared/data folder)")
    net, state = load_parser(args.checkpoint)
    t = time.perf_counter()
    scores = evaluate_cihp(net, octopus_pairs(args.data), size=args.size)
    seconds = time.perf_counter() - t
    if args.deepfashion2.exists():
        scores["deepfashion2"] = evaluate_garment_polygons(net, deepfashion2_masks(args.deepfashion2))
    result = {"benchmark": "parser", "data": args.data.name, "checkpoint": str(args.checkpoint.name), "step": state["step"],
              "size": args.size or net.config.input_size, **scores, "seconds_per_image": seconds / scores["images"], "goal_miou": 0.75,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "date": time.strftime("%Y-%m-%d")}
    write_json_atomic(args.out, result)
    print(result)


if __name__ == "__main__":
    main()
