"""Benchmark of `usr batch` (the must-show of the apps issue): 5 good synthetic subjects + 2 broken ones (a
missing image, a NaN in a camera matrix), reconstructed by the real command; then the same command again, which
must skip the finished results.

    python benchmarks/batch.py --out benchmarks/results/batch.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_tools.synth import SynthConfig, synthesize  # noqa: E402
from usr.io.atomic import write_json_atomic  # noqa: E402


def make_input(root: Path, seed: int, size: int, views: int) -> None:
    synthesize(root, SynthConfig(subjects=5, views=views, size=size, seed=seed))
    missing = root / "broken_missing_image"
    shutil.copytree(root / "subject_0000", missing)
    shutil.rmtree(missing / "gt")
    next((missing / "images").glob("cam02.*")).unlink()
    nan = root / "broken_nan_camera"
    shutil.copytree(root / "subject_0000", nan)
    shutil.rmtree(nan / "gt")
    doc = json.loads((nan / "cameras.json").read_text())
    doc["cameras"][1]["K"][0][0] = float("nan")
    (nan / "cameras.json").write_text(json.dumps(doc))


def run_batch(source: Path, out: Path, args: list[str]) -> dict:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "apps.cli", "batch", str(source), "--out", str(out), *args],
                          capture_output=True, text=True)
    report = json.loads((out / "report.json").read_text())
    return {"exit_code": proc.returncode, "wall_seconds": time.perf_counter() - t, "summary": report["summary"],
            "subjects": {r["name"]: {k: r[k] for k in ("status", "reason", "seconds", "layers", "metrics")}
                         for r in report["subjects"]}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/batch.json"))
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--views", type=int, default=6)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="usr-batch-bench-"))
    make_input(tmp / "in", args.seed, args.size, args.views)
    batch_args = ["--workers", str(args.workers)]
    first = run_batch(tmp / "in", tmp / "out", batch_args)
    again = run_batch(tmp / "in", tmp / "out", batch_args)
    write_json_atomic(args.out, {
        "benchmark": "batch", "command": "python benchmarks/batch.py " + " ".join(sys.argv[1:]),
        "input": {"good": 5, "broken": 2, "seed": args.seed, "size": args.size, "views": args.views},
        "workers": args.workers, "first_run": first, "re_run": again,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "date": time.strftime("%Y-%m-%d")})
    print(json.dumps({"first": {k: first[k] for k in ("exit_code", "wall_seconds", "summary")},
                      "again": {k: again[k] for k in ("exit_code", "wall_seconds", "summary")}}, indent=1))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
