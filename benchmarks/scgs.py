"""Benchmark: SCGS garment separation + edge fine-tune on unseen synthetic subjects, with the source ablation.

Per subject and view count: one feed-forward reconstruction (embedded model, no layers; its label head read at the
faces), the garment parser on the input views, then every variant of the separation on that same mesh, scored by
usr.metrics.garments against the ground truth (labels on the clothed surface, per-garment IoU and Chamfer, boundary
roughness), the garments it finds against the ones the person wears (phantoms: a layer the truth does not have, or
the reverse), and the Chamfer of the clothed surface before/after the geometry fine-tune. The oracle rows use the
renderer's exact 2D label maps instead of the parser's.

    python benchmarks/scgs.py --subjects bench_proc bench_mh_eval --views 4 6 --out benchmarks/results/scgs.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
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
from usr.result import read_label_probs, read_result  # noqa: E402
from usr.scgs.labelling import LabelOptions  # noqa: E402
from usr.scgs.separate import SeparateOptions, separate, view_semantics  # noqa: E402
from usr.prepared_views import spread_views  # noqa: E402

GARMENTS = {LABEL_NAMES[i] for i in GARMENT_LABELS}
GT_PRESENT_M2 = 0.005  # a garment the person wears shows at least this much on the true clothed surface
V1 = LabelOptions(source="views", cut=None, presence=None)
# (name, 2D labels, label options, edge fine-tune)
VARIANTS = (
    ("2D parser only, v1 (votes + smoothing)", "parser", V1, False),
    ("2D parser only, graph cut + presence", "parser", LabelOptions(source="views"), False),
    ("3D head only, graph cut + presence", "parser", LabelOptions(source="head"), False),
    ("fused, no graph cut (arg-max)", "parser", LabelOptions(cut=None, presence=None), False),
    ("fused, graph cut, no presence", "parser", LabelOptions(presence=None), False),
    ("default (fused, graph cut + presence)", "parser", LabelOptions(), False),
    ("default + edge fine-tune", "parser", LabelOptions(), True),
    ("oracle 2D labels, v1 + fine-tune", "capture", V1, True),
    ("oracle 2D labels, default + fine-tune", "capture", LabelOptions(), True),
)
KEYS = ("label_accuracy", "garment_iou_mean", "garment_chamfer_mean_cm", "boundary_roughness", "clothed_chamfer_cm",
        "clothed_chamfer_change_cm", "phantoms", "seconds")


def worn(mesh, face_labels) -> set[str]:
    """The garments shown on a labelled surface (GT_PRESENT_M2 or more)."""
    area = np.asarray(mesh.area_faces)
    return {LABEL_NAMES[i] for i in GARMENT_LABELS if area[face_labels == i].sum() >= GT_PRESENT_M2}


def score_variant(mesh, colours, semantics, head_probs, labels: LabelOptions, refine: bool, gt, gt_labels) -> dict:
    options = SeparateOptions(labels) if refine else SeparateOptions(labels, refine=None)
    t = time.perf_counter()
    sep = separate(mesh, colours, semantics, options, head_probs)
    seconds = time.perf_counter() - t
    g = garment_scores(sep.mesh, sep.labels.face_labels, gt, gt_labels)
    garments = {k: v for k, v in g.garment_iou.items() if k in GARMENTS}
    chamfers = [v for k, v in g.garment_chamfer_cm.items() if k in GARMENTS and v is not None]
    predicted = {layer.name for layer in sep.layers} - {"body"}
    truth = worn(gt, gt_labels)
    return {"label_accuracy": g.label_accuracy, "garment_iou": g.garment_iou, "garment_chamfer_cm": g.garment_chamfer_cm,
            "garment_iou_mean": float(np.mean(list(garments.values()))) if garments else None,
            "garment_chamfer_mean_cm": float(np.mean(chamfers)) if chamfers else None,
            "boundary_roughness": g.boundary_roughness, "gt_boundary_roughness": g.gt_boundary_roughness,
            "clothed_chamfer_cm": chamfer_cm(sep.mesh, gt), "seconds": seconds,
            "phantoms": len(predicted ^ truth), "phantom_layers": sorted(predicted - truth),
            "missed_layers": sorted(truth - predicted),
            "low_confidence_fraction": sep.labels.summary["low_confidence_fraction"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=Path, nargs="+", required=True)
    ap.add_argument("--views", type=int, nargs="+", default=[4, 6])
    add_settings_arguments(ap, ReconSpec, ("resolution",))
    ap.add_argument("--parser", type=Path, default=DEFAULT_PARSER, help="garment parser checkpoint (default: embedded)")
    ap.add_argument("--variants", nargs="+", choices=[v[0] for v in VARIANTS], metavar="NAME",
                    help="only these variants (default: all), e.g. \"default + edge fine-tune\"")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/scgs.json"))
    args = ap.parse_args()
    variants = [v for v in VARIANTS if args.variants is None or v[0] in args.variants]
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
            reconstruct_subject(subject, out, replace(base, views=tuple(names)), heads=True)
            mesh, colours, _ = read_result(out)
            head_probs = read_label_probs(out, len(mesh.faces))
            t = time.perf_counter()
            semantics = {source: view_semantics(cap, names, source, parser)
                         for source in sorted({v[1] for v in variants})}
            parse_s = time.perf_counter() - t
            before = chamfer_cm(mesh, gt)
            for name, source, labels, refine in variants:
                s = score_variant(mesh, colours, semantics[source], head_probs, labels, refine, gt, gt_labels)
                s["clothed_chamfer_change_cm"] = s["clothed_chamfer_cm"] - before
                row = {"subject": sid, "makehuman_garments": makehuman, "views": k, "variant": name,
                       "parse_seconds": parse_s, **s}
                rows.append(row)
                print(json.dumps({kk: (round(v, 3) if isinstance(v, float) else v) for kk, v in row.items()
                                  if kk not in ("garment_iou", "garment_chamfer_cm")}), flush=True)
                if row["phantoms"]:
                    print(f"  phantoms: {row['phantom_layers']} predicted, {row['missed_layers']} missed", flush=True)

    shutil.rmtree(tmp, ignore_errors=True)
    summary = {}
    for name, *_ in variants:
        for k in args.views:
            sel = [r for r in rows if r["variant"] == name and r["views"] == k]
            if sel:
                summary[f"{name}@{k}"] = {m: float(np.mean([r[m] for r in sel if r[m] is not None]))
                                         for m in KEYS + ("gt_boundary_roughness", "parse_seconds")
                                         if any(r[m] is not None for r in sel)} | {"runs": len(sel)}
                summary[f"{name}@{k}"]["phantoms_total"] = int(sum(r["phantoms"] for r in sel))
                labels = sorted({lab for r in sel for lab in r["garment_iou"]})
                summary[f"{name}@{k}"]["garment_iou"] = {
                    lab: float(np.mean([r["garment_iou"][lab] for r in sel if lab in r["garment_iou"]])) for lab in labels}
    write_json_atomic(args.out, {
        "benchmark": "scgs", "command": "python benchmarks/scgs.py " + shlex.join(sys.argv[1:]), "resolution": args.resolution, "subjects": sorted({r["subject"] for r in rows}),
        "variants": [v[0] for v in variants], "summary": summary, "runs": rows,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "date": time.strftime("%Y-%m-%d")})
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
