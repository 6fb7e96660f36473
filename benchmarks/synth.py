"""Benchmark: seconds per synthetic subject to generate (body + garments + ground truth) and to render
8 views at 512² on this machine. Writes JSON (and prints it); docs/benchmarks.md shows the numbers.

    python benchmarks/synth.py --out benchmarks/results/synth.json [--subjects 6 --views 8 --size 512]
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from smpl_d.anny_backend import anny_model  # noqa: E402
from data_tools.rigs import make_rig  # noqa: E402
from data_tools.subject import make_subject  # noqa: E402
from data_tools.synth import SynthConfig, render_views, subject_seed, write_synthetic_subject  # noqa: E402
from usr.io.atomic import atomic_dir, write_json_atomic  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/synth.json"))
    ap.add_argument("--subjects", type=int, default=6)
    ap.add_argument("--views", type=int, default=8)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--garments-dir", type=Path, default=None)
    args = ap.parse_args()

    t = time.perf_counter()
    anny_model()
    model_load = time.perf_counter() - t
    config = SynthConfig(args.subjects, args.views, args.size, args.seed,
                         garments_dir=str(args.garments_dir) if args.garments_dir else None)
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="usr-bench-"))
    try:
        for i in range(args.subjects):
            seed = subject_seed(args.seed, i)
            t0 = time.perf_counter()
            subject = make_subject(f"bench_{i}", seed, config.pose_kinds,
                                   Path(config.garments_dir) if config.garments_dir else None)
            t1 = time.perf_counter()
            cams = make_rig(config.rig, config.views, config.size, np.random.default_rng(seed + 2))
            views = render_views(subject, cams, config)
            t2 = time.perf_counter()
            with atomic_dir(tmp / f"s{i}") as d:
                write_synthetic_subject(d, subject, cams, views)
            t3 = time.perf_counter()
            rows.append({"generate_s": t1 - t0, "render_s": t2 - t1, "write_s": t3 - t2, "total_s": t3 - t0,
                         "garments": [g.name for g in subject.garments], "pose": subject.body.spec.pose.kind})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def mean(key):
        return round(float(np.mean([r[key] for r in rows])), 3)

    result = {
        "benchmark": "synth",
        "subjects": args.subjects, "views": args.views, "size": args.size, "seed": args.seed,
        "garments_dir": str(args.garments_dir) if args.garments_dir else None,
        "model_load_s": round(model_load, 3),
        "generate_s_per_subject": mean("generate_s"),
        "render_s_per_subject": mean("render_s"),
        "write_s_per_subject": mean("write_s"),
        "total_s_per_subject": mean("total_s"),
        "goal_total_s_per_subject": 5.0,
        "meets_goal": mean("total_s") <= 5.0,
        "per_subject": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "date": time.strftime("%Y-%m-%d"),
    }
    write_json_atomic(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "per_subject"}, indent=2))


if __name__ == "__main__":
    main()
