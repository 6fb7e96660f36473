"""Benchmark: a curve of the reconstruction model's quality over training — Chamfer (and P2S, NC) of several
checkpoints of `usr train` (e.g. the `--keep-every` copies, or runs with `--max-subjects`) on the same subjects and
view counts, each measured by benchmarks/recon.py (same protocol). Writes one JSON with a row per checkpoint:
its step, training subjects and the summary of recon.py.

    python benchmarks/recon_curve.py --checkpoints RUN.step3000.pt RUN.step6000.pt RUN.pt \
        --subjects bench_proc bench_mh_eval --views 4 --out benchmarks/results/recon_curve.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.model.checkpoint import load_model  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoints", type=Path, nargs="+", required=True)
    ap.add_argument("--subjects", type=Path, nargs="+", required=True)
    ap.add_argument("--views", type=int, nargs="+", default=[4])
    ap.add_argument("--resolution", type=int, default=256)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/recon_curve.json"))
    args = ap.parse_args()
    rows = []
    for checkpoint in args.checkpoints:
        _, state = load_model(checkpoint)
        with tempfile.TemporaryDirectory(prefix="usr-curve-") as tmp:
            out = Path(tmp) / "recon.json"
            subprocess.run([sys.executable, str(Path(__file__).with_name("recon.py")), "--subjects",
                            *map(str, args.subjects), "--views", *map(str, args.views), "--methods", "field",
                            "--checkpoint", str(checkpoint), "--resolution", str(args.resolution), "--out", str(out)],
                           check=True)
            measured = json.loads(out.read_text())
            summary = measured["summary"]
        trained = state.get("extra", {}).get("train_config", {})
        rows.append({"checkpoint": str(checkpoint), "step": int(state.get("step", 0)),
                     "training_subjects": state.get("extra", {}).get("training_subjects"),
                     "fusion": state["config"].get("fusion"), "backbone": state["config"].get("backbone"),
                     "body_prior": state["config"].get("body_prior"), "init": trained.get("init"),
                     "photo_like": photo_like(trained.get("data", [])),
                     "silhouette_fill": measured.get("silhouette_fill"),
                     "summary": summary})
        print(json.dumps({"checkpoint": str(checkpoint), "step": rows[-1]["step"],
                          **{k: round(v["chamfer_cm"], 3) for k, v in summary.items()}}), flush=True)
    write_json_atomic(args.out, {"benchmark": "recon_curve", "subjects": [str(s) for s in args.subjects],
                                 "views": args.views, "resolution": args.resolution, "rows": rows,
                                 "date": time.strftime("%Y-%m-%d")})


def photo_like(folders: list[str]) -> bool | None:
    """Whether the training data was made with `usr data synth --photo` (None: unknown, a folder is gone)."""
    flags = []
    for folder in folders:
        path = Path(folder) / "synth.json"
        if not path.is_file():
            return None
        flags.append(bool(json.loads(path.read_text()).get("photo")))
    return all(flags) if flags else None


if __name__ == "__main__":
    main()
