"""Benchmark: reconstruction quality and speed on unseen synthetic subjects, all methods in one harness.

For every subject and view count, the input views are spread evenly around the rig and the others
are held out (render the subjects with 12 ring views so that 3, 4 and 6 inputs are 120°, 90° and 60° apart); each method writes a result folder that `usr.evaluate` scores (Chamfer / P2S / NC in
cm at 1.8 m, PSNR / SSIM / IoU on the held-out views). Writes JSON with every run and the means.

    python benchmarks/recon.py --subjects DIR [DIR ...] --views 3 4 6 --methods field finetune visual-hull scratch \
        --out benchmarks/results/recon.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from apps.options import add_settings_arguments, settings_from_args  # noqa: E402
from smpl_d.prior import FittedBodyPrior  # noqa: E402
from usr.evaluate import evaluate  # noqa: E402
from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.io.subject_folder import read_subject  # noqa: E402
from usr.model.checkpoint import is_model_file  # noqa: E402
from usr.pipeline import reconstruct_subject  # noqa: E402
from usr.recon_spec import ReconSpec  # noqa: E402
from usr.training.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, surface_level  # noqa: E402
from usr.prepared_views import spread_views  # noqa: E402

METRICS = ("chamfer_cm", "p2s_cm", "normal_consistency", "psnr", "ssim", "silhouette_iou", "seconds")
# ReconSpec fields set from options
RECON_OPTIONS = ("resolution", "finetune_steps", "scratch_steps", "checkpoint", "silhouette_fill", "hull_carve")


def parse_method(method: str, args: argparse.Namespace) -> tuple[str, int]:
    """`finetune`, `scratch` (steps from the options) or `finetune:N`, `scratch:N`; `field`, `visual-hull`, `v1` (the
    v1 field of --v1-checkpoint, feed-forward, at its calibrated level); `body` (a body-prior model with the body
    fitted to its first pass, smpl_d.prior; `field` runs such a model without a body)."""
    kind, _, steps = method.partition(":")
    if kind not in ("field", "finetune", "visual-hull", "scratch", "v1", "body"):
        raise SystemExit(f"unknown method {method!r}")
    default = {"finetune": args.finetune_steps, "scratch": args.scratch_steps}.get(kind, 0)
    return kind, int(steps) if steps else default


def subjects_in(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        out += [p] if (p / "cameras.json").exists() else sorted(q for q in p.iterdir() if (q / "cameras.json").exists())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=Path, nargs="+", required=True)
    ap.add_argument("--views", type=int, nargs="+", default=[3, 4, 6])
    ap.add_argument("--methods", nargs="+", default=["field", "finetune", "visual-hull", "scratch"],
                    help="field, finetune[:steps], visual-hull, scratch[:steps]")
    add_settings_arguments(ap, ReconSpec, RECON_OPTIONS, defaults={"finetune_steps": 200})  # steps of `finetune`
    ap.add_argument("--v1-checkpoint", type=Path, default=DEFAULT_CHECKPOINT, help="the v1 field of method v1")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/recon.json"))
    args = ap.parse_args()
    base = settings_from_args(ReconSpec, args, RECON_OPTIONS, layers=False)  # separation: benchmarks/scgs.py

    rows, rig = [], 0
    tmp = Path(tempfile.mkdtemp(prefix="usr-recon-bench-"))
    for subject in subjects_in(args.subjects):
        cap = read_subject(subject, load_images=False)
        rig = max(rig, len(cap.cameras))
        meta = cap.ground_truth.meta if cap.ground_truth else {}
        makehuman = any(g.get("mhclo") for g in meta.get("garments", []))
        sid = f"{subject.parent.name}/{subject.name}"
        for k in args.views:
            names = spread_views(cap.camera_names, k)
            for method in args.methods:
                kind, steps = parse_method(method, args)
                out = tmp / f"{sid.replace('/', '_')}_{k}_{method.replace(':', '_')}"
                t = time.perf_counter()
                spec = replace(base, views=tuple(names), finetune_steps=steps if kind == "finetune" else 0,
                               method="field" if kind in ("finetune", "v1", "body") else kind, scratch_steps=steps)
                if kind == "v1":
                    spec = replace(spec, checkpoint=args.v1_checkpoint)
                report = reconstruct_subject(subject, out, spec, body_fit=FittedBodyPrior() if kind == "body" else None)
                wall = time.perf_counter() - t
                scores = evaluate(out, subject)
                row = {"subject": sid, "makehuman_garments": makehuman, "views": k, "method": method, "steps": steps,
                       "wall_s": wall, "stages_s": report["seconds"], **{m: scores.get(m) for m in METRICS}}
                rows.append(row)
                print(json.dumps({kk: (round(v, 3) if isinstance(v, float) else v) for kk, v in row.items()
                                  if kk != "stages_s"}), flush=True)

    summary = {}
    for method in args.methods:
        for k in args.views:
            sel = [r for r in rows if r["method"] == method and r["views"] == k]
            if sel:
                stages = sorted({st for r in sel for st in r["stages_s"]})
                summary[f"{method}@{k}"] = {m: float(np.mean([r[m] for r in sel if r[m] is not None]))
                                            for m in METRICS if any(r[m] is not None for r in sel)} | {
                    "runs": len(sel), "steps": sel[0]["steps"],
                    "stages_s": {st: float(np.mean([r["stages_s"].get(st, 0.0) for r in sel])) for st in stages}}
    result = {
        "benchmark": "recon", "resolution": args.resolution, "finetune_steps": args.finetune_steps,
        "scratch_steps": args.scratch_steps, "checkpoint": str(args.checkpoint or "embedded default"),
        "silhouette_fill": args.silhouette_fill, "hull_carve": args.hull_carve,
        "subjects": sorted({r["subject"] for r in rows}), "summary": summary, "runs": rows,
        "surface_level": None if is_model_file(args.checkpoint) else surface_level(load_checkpoint(args.checkpoint)[1]),
        "views_layout": {k: spread_views([f"cam{i:02d}" for i in range(rig)], k) for k in args.views},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "date": time.strftime("%Y-%m-%d"),
    }
    write_json_atomic(args.out, result)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
