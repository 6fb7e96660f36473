"""Benchmark: SCGS garment separation + edge fine-tune on unseen synthetic subjects, with the confidence ablation.

Per subject and view count: one feed-forward reconstruction (embedded field, no layers), the garment parser on the
input views, then every variant of the separation on that same mesh, scored by usr.metrics.garments against the
ground truth (labels on the clothed surface, per-garment IoU and Chamfer, boundary roughness) and the Chamfer of the
clothed surface before/after the geometry fine-tune. Two reference rows separate the error sources: the same
separation with the renderer's exact 2D label maps (oracle 2D), and on the ground-truth surface (oracle geometry).

    python benchmarks/scgs.py --subjects bench_proc bench_mh --views 4 6 --out benchmarks/results/scgs.json
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
from benchmarks.recon import subjects_in  # noqa: E402
from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.io.meshes import load_mesh  # noqa: E402
from usr.io.subject_folder import read_subject  # noqa: E402
from usr.labels import GARMENT_LABELS, LABEL_NAMES  # noqa: E402
from usr.metrics.garments import garment_scores  # noqa: E402
from usr.metrics.geometry import chamfer_cm  # noqa: E402
from usr.parsing.predict import DEFAULT_PARSER  # noqa: E402
from usr.parsing.train import load_parser  # noqa: E402
from usr.pipeline import reconstruct_subject  # noqa: E402
from usr.recon_spec import ReconSpec  # noqa: E402
from usr.result import read_result  # noqa: E402
from usr.scgs.separate import SeparateOptions, separate, view_semantics  # noqa: E402
from usr.scgs.votes import VoteWeights  # noqa: E402
from usr.prepared_views import spread_views  # noqa: E402

GARMENTS = {LABEL_NAMES[i] for i in GARMENT_LABELS}
# (name, 2D labels, geometry, vote weights, edge fine-tune)
VARIANTS = (
    ("plain voting", "parser", "recon", VoteWeights.plain(), False),
    ("visibility only", "parser", "recon", VoteWeights(False, True, False, False), False),
    ("confidence, occluded views 0.05", "parser", "recon", VoteWeights(occluded_weight=0.05), False),
    ("confidence, occluded views 0.5", "parser", "recon", VoteWeights(occluded_weight=0.5), False),
    ("confidence, occluded views 1 (no visibility)", "parser", "recon", VoteWeights(occluded_weight=1.0), False),
    ("default", "parser", "recon", VoteWeights(), False),
    ("default + edge fine-tune", "parser", "recon", VoteWeights(), True),
    ("oracle 2D labels, default + fine-tune", "capture", "recon", VoteWeights(), True),
    ("oracle geometry (GT surface), plain voting", "parser", "gt", VoteWeights.plain(), False),
    ("oracle geometry, default", "parser", "gt", VoteWeights(), False),
)
KEYS = ("label_accuracy", "garment_iou_mean", "garment_chamfer_mean_cm", "boundary_roughness", "clothed_chamfer_cm",
        "clothed_chamfer_change_cm", "seconds")


def score_variant(mesh, colours, semantics, weights, refine: bool, gt, gt_labels) -> dict:
    options = SeparateOptions(weights=weights) if refine else SeparateOptions(weights=weights, refine=None)
    t = time.perf_counter()
    sep = separate(mesh, colours, semantics, options)
    seconds = time.perf_counter() - t
    g = garment_scores(sep.mesh, sep.labels.face_labels, gt, gt_labels)
    garments = {k: v for k, v in g.garment_iou.items() if k in GARMENTS}
    chamfers = [v for k, v in g.garment_chamfer_cm.items() if k in GARMENTS and v is not None]
    return {"label_accuracy": g.label_accuracy, "garment_iou": g.garment_iou, "garment_chamfer_cm": g.garment_chamfer_cm,
            "garment_iou_mean": float(np.mean(list(garments.values()))) if garments else None,
            "garment_chamfer_mean_cm": float(np.mean(chamfers)) if chamfers else None,
            "boundary_roughness": g.boundary_roughness, "gt_boundary_roughness": g.gt_boundary_roughness,
            "clothed_chamfer_cm": chamfer_cm(sep.mesh, gt), "seconds": seconds,
            "low_confidence_fraction": sep.labels.summary["low_confidence_fraction"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=Path, nargs="+", required=True)
    ap.add_argument("--views", type=int, nargs="+", default=[4, 6])
    add_settings_arguments(ap, ReconSpec, ("resolution",))
    ap.add_argument("--parser", type=Path, default=DEFAULT_PARSER, help="garment parser checkpoint (default: embedded)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/scgs.json"))
    args = ap.parse_args()
    base = settings_from_args(ReconSpec, args, ("resolution",), layers=False)  # the variants separate below

    parser, _ = load_parser(args.parser)
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="usr-scgs-bench-"))
    for subject in subjects_in(args.subjects):
        cap = read_subject(subject)
        gt, gt_labels = load_mesh(cap.ground_truth.full), cap.ground_truth.face_labels()
        makehuman = any(g.get("mhclo") for g in cap.ground_truth.meta.get("garments", []))
        sid = f"{subject.parent.name}/{subject.name}"
        for k in args.views:
            names = spread_views(cap.camera_names, k)
            out = tmp / f"{sid.replace('/', '_')}_{k}"
            reconstruct_subject(subject, out, replace(base, views=tuple(names)))
            mesh, colours, _ = read_result(out)
            t = time.perf_counter()
            semantics = {"parser": view_semantics(cap, names, "parser", parser),
                         "capture": view_semantics(cap, names, "capture")}
            parse_s = time.perf_counter() - t
            base = chamfer_cm(mesh, gt)
            gt_colours = np.full((len(gt.vertices), 3), 128, np.uint8)
            for name, source, geometry, weights, refine in VARIANTS:
                on_gt = geometry == "gt"
                s = score_variant(gt if on_gt else mesh, gt_colours if on_gt else colours, semantics[source], weights,
                                  refine, gt, gt_labels)
                s["clothed_chamfer_change_cm"] = None if on_gt else s["clothed_chamfer_cm"] - base
                row = {"subject": sid, "makehuman_garments": makehuman, "views": k, "variant": name,
                       "parse_seconds": parse_s, **s}
                rows.append(row)
                print(json.dumps({kk: (round(v, 3) if isinstance(v, float) else v) for kk, v in row.items()
                                  if kk not in ("garment_iou", "garment_chamfer_cm")}), flush=True)

    summary = {}
    for name, *_ in VARIANTS:
        for k in args.views:
            sel = [r for r in rows if r["variant"] == name and r["views"] == k]
            if sel:
                summary[f"{name}@{k}"] = {m: float(np.mean([r[m] for r in sel if r[m] is not None]))
                                         for m in KEYS + ("gt_boundary_roughness", "parse_seconds")
                                         if any(r[m] is not None for r in sel)} | {"runs": len(sel)}
                labels = sorted({lab for r in sel for lab in r["garment_iou"]})
                summary[f"{name}@{k}"]["garment_iou"] = {
                    lab: float(np.mean([r["garment_iou"][lab] for r in sel if lab in r["garment_iou"]])) for lab in labels}
    write_json_atomic(args.out, {
        "benchmark": "scgs", "command": "python benchmarks/scgs.py " + " ".join(sys.argv[1:]), "resolution": args.resolution, "subjects": sorted({r["subject"] for r in rows}),
        "variants": [v[0] for v in VARIANTS], "summary": summary, "runs": rows,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "date": time.strftime("%Y-%m-%d")})
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
