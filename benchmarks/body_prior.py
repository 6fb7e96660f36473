"""Benchmark: what the body prior is worth to a `--body-prior` model — Chamfer of its feed-forward surface given no
body, the true body under the clothes, the true body with an error field of at most E cm (usr.model.prior, drawn
once per subject with a fixed seed and scaled to E), or anny fitted to the model's own first pass
(smpl_d.prior.FittedBodyPrior, smpl_d.field_fit; also the fitted body's Chamfer to the true one and the fit's seconds).
Synthetic subjects only (it reads gt/body.obj). Choose settings on validation subjects, not the benchmark's.

    python benchmarks/body_prior.py --checkpoint MODEL.pt --subjects VAL_DIR [...] --views 3 4 6 \
        --conditions none true error:2 error:4 fit --out benchmarks/results/body_prior.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import trimesh  # noqa: E402

from benchmarks.recon import subjects_in  # noqa: E402
from smpl_d.field_fit import FieldFitConfig  # noqa: E402
from smpl_d.prior import FittedBodyPrior  # noqa: E402
from usr.geometry.distance import MeshQuery  # noqa: E402
from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.io.meshes import load_mesh  # noqa: E402
from usr.io.subject_folder import read_subject  # noqa: E402
from usr.mesh.extract import marching_cubes_mesh, sdf_grid_coarse_to_fine  # noqa: E402
from usr.metrics.geometry import geometry_scores  # noqa: E402
from usr.model.predict import Predictor  # noqa: E402
from usr.model.prior import PriorError, PriorNoise  # noqa: E402
from usr.prepared_views import spread_views  # noqa: E402
from usr.recon_spec import ReconSpec  # noqa: E402
from usr.reconstruct import prepared  # noqa: E402

METRICS = ("chamfer_cm", "p2s_cm", "normal_consistency", "seconds", "fit_s", "body_chamfer_cm")


def error_field(size_m: float, seed: int) -> PriorError:
    """An error field whose bound (|offset| + Σ amplitudes) is exactly `size_m`."""
    e = PriorError.draw(np.random.default_rng(seed), PriorNoise(error=1.0, dropout=0.0))
    scale = size_m / (abs(e.offset) + e.amplitudes.sum())
    return PriorError(e.offset * scale, e.amplitudes * scale, e.frequencies, e.phases)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--subjects", type=Path, nargs="+", required=True)
    ap.add_argument("--views", type=int, nargs="+", default=[4])
    ap.add_argument("--resolution", type=int, default=256)
    ap.add_argument("--conditions", nargs="+", default=["none", "true", "error:2", "error:4", "fit"])
    ap.add_argument("--fit", type=json.loads, default={}, help='FieldFitConfig fields of the body fit, e.g. \'{"steps": 150}\'')
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/body_prior.json"))
    args = ap.parse_args()
    predictor = Predictor.load(args.checkpoint)
    if not predictor.model.config.body_prior:
        raise SystemExit(f"{args.checkpoint}: not a --body-prior model")
    fitter, rows = FittedBodyPrior(config=replace(FieldFitConfig(), **args.fit)), []
    for k, (subject, count) in enumerate((s, v) for s in subjects_in(args.subjects) for v in args.views):
        capture = read_subject(subject)
        spec = ReconSpec(views=tuple(spread_views(capture.camera_names, count)), resolution=args.resolution)
        _, views, hull, _ = prepared(capture, spec, predictor.work_size, {})
        stack = predictor.encode(views)
        gt, gt_body = load_mesh(subject / "gt" / "full.obj"), load_mesh(subject / "gt" / "body.obj")
        true_body = MeshQuery(gt_body.vertices, gt_body.faces).signed_distance_tensor
        for condition in args.conditions:
            kind, _, size = condition.partition(":")
            extra, t = {}, time.perf_counter()
            if kind == "none":
                body = None
            elif kind == "true":
                body = true_body
            elif kind == "error":
                field = error_field(float(size) / 100, seed=k)
                body = lambda p, field=field: true_body(p) + field(p)  # noqa: E731
            elif kind == "fit":
                body = fitter(predictor, stack, hull)
                posed = fitter.model.posed(fitter.last)
                fitted = trimesh.Trimesh(posed.vertices, posed.faces, process=False)
                extra = {"fit_s": time.perf_counter() - t, "body_chamfer_cm": geometry_scores(fitted, gt_body).chamfer_cm,
                         "fit_report": fitter.report}
            else:
                raise SystemExit(f"unknown condition {condition!r}")
            values, lo, step = sdf_grid_coarse_to_fine(predictor.sdf_function(stack, body), hull, args.resolution)
            scores = geometry_scores(marching_cubes_mesh(values, lo, step, 0.0), gt)
            row = {"subject": f"{subject.parent.name}/{subject.name}", "views": count, "condition": condition,
                   "chamfer_cm": scores.chamfer_cm, "p2s_cm": scores.p2s_cm,
                   "normal_consistency": scores.normal_consistency, "seconds": time.perf_counter() - t, **extra}
            rows.append(row)
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    summary = {}
    for c in args.conditions:
        for count in args.views:
            sel = [r for r in rows if r["condition"] == c and r["views"] == count]
            summary[f"{c}@{count}"] = {m: float(np.mean([r[m] for r in sel])) for m in METRICS if sel and m in sel[0]} | {
                "runs": len(sel)}
    write_json_atomic(args.out, {"benchmark": "body_prior", "checkpoint": str(args.checkpoint), "views": args.views,
                                 "fit": args.fit,
                                 "resolution": args.resolution, "subjects": sorted({r["subject"] for r in rows}),
                                 "summary": summary, "runs": rows, "date": time.strftime("%Y-%m-%d")})
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
