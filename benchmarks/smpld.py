"""Benchmark: SMPL-D body under the clothes and clothes swap on unseen synthetic subjects.

Two inputs per subject, both fitted by the same `usr fit` code:
- recon: the feed-forward reconstruction from N spread views with its SCGS layers (parser labels) — the product path;
- gt-surface: the ground-truth clothed surface with its exact labels — the fitter alone, without reconstruction error.
Body error: vertex to vertex against the ground-truth body (same anny topology), cm at 1.8 m: all vertices, under the
clothes (the nearest clothed-surface face is a garment or hair), visible skin.
Swap: every subject's upper garment onto the next subject that has a fitted body (cyclic), then back: garment
vertices inside the body, median edge-length change against the garment on its own body, swap-back Chamfer (cm).
Try-on: every upper / outer / dress onto parametric bodies in T-pose and seated, weight 0.1 and 0.9, with the
skinned transfer and with closest-triangle binding alone: edge-length change (median, p99), p99 of the change of
each vertex's gap to the body, garment vertices inside the body.

    python benchmarks/smpld.py --subjects bench_proc bench_mh --views 6 --out benchmarks/results/smpld.json
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
import trimesh  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

from benchmarks.recon import subjects_in  # noqa: E402
from smpl_d.backends import load_body_model  # noqa: E402
from smpl_d.collisions import inside_fraction  # noqa: E402
from smpl_d.metrics import body_vertex_error, edge_length_change  # noqa: E402
from smpl_d.pipeline import FIT_SOURCES, fit_result  # noqa: E402
from smpl_d.skinning import WeightTransfer  # noqa: E402
from smpl_d.store import load_fit  # noqa: E402
from smpl_d.swap import swap, tryon, tryon_params, write_dressed  # noqa: E402
from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.io.meshes import load_mesh  # noqa: E402
from usr.io.subject_folder import read_subject  # noqa: E402
from usr.pipeline import reconstruct_subject  # noqa: E402
from usr.prepared_views import spread_views  # noqa: E402
from usr.recon_spec import ReconSpec  # noqa: E402
from usr.result import ResultLayers, read_layers, write_result  # noqa: E402
from usr.scgs.layers import build_layers  # noqa: E402

BODY_KEYS = ("body_vertex_error_cm", "under_clothes_error_cm", "skin_error_cm", "fit_seconds")
SWAP_KEYS = ("inside_fraction", "edge_length_change", "swap_back_chamfer_cm", "swap_seconds")
TRYON_GARMENTS = ("upper", "outer", "dress")
TRYON_POSES = ("t_pose", "seated")
TRYON_WEIGHTS = (0.1, 0.9)
TRANSFERS = {"skinned": WeightTransfer(), "closest triangle": WeightTransfer(skinned=False)}


def gt_surface_result(subject: Path, out: Path) -> Path:
    """A result folder holding the ground-truth clothed surface, separated by its exact labels."""
    cap = read_subject(subject)
    mesh = load_mesh(cap.ground_truth.full)
    labels = cap.ground_truth.face_labels().astype(np.uint8)
    colours = (np.asarray(mesh.visual.vertex_colors)[:, :3] if mesh.visual.kind == "vertex"
               else np.full((len(mesh.vertices), 3), 160)).astype(np.uint8)
    mesh = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    return write_result(out, mesh, colours, {"subject": str(subject)},
                        layers=ResultLayers(build_layers(mesh, colours, labels), labels))


def chamfer_points_cm(p: np.ndarray, q: np.ndarray) -> float:
    return float((cKDTree(q).query(p)[0].mean() + cKDTree(p).query(q)[0].mean()) / 2 * 100)


def swap_scores(a: Path, b: Path, model, tmp: Path) -> dict:
    t = time.perf_counter()
    fits = {a: load_fit(a), b: load_fit(b)}
    dressed = swap(a, "upper", b, model, fits)
    ab = write_dressed(tmp / f"{a.name}_on_{b.name}", dressed)
    seconds = time.perf_counter() - t
    original = read_layers(a)["upper"]
    moved = read_layers(ab)["upper"]
    fit_ab = load_fit(ab)
    body = fit_ab.body_vertices(model)
    back = swap(ab, "upper", a, model, {ab: fit_ab, a: fits[a]})
    back_upper = next(layer for layer in back.layers if layer.name == "upper")
    return {"inside_fraction": inside_fraction(moved.mesh.vertices, body, model.faces),
            "edge_length_change": edge_length_change(original.mesh.vertices, moved.mesh.vertices, original.mesh.faces),
            "swap_back_chamfer_cm": chamfer_points_cm(back_upper.mesh.vertices, original.mesh.vertices),
            "swap_seconds": seconds}


def _tryon(result: Path, fit, label: str, pose: str, weight: float, transfer: str, model):
    """One try-on of the benchmark: the result's `label` onto the anny body of `weight` (the rest at 0.5) in `pose`."""
    params = tryon_params(model, model.shape_from_text(f"weight={weight}"), pose, fit.params.translation)
    return tryon(result, label, model, fit, params, TRANSFERS[transfer])


def tryon_rows(result: Path, kind: str, model, transfers: list[str]) -> list[dict]:
    """Every upper / outer / dress of a result onto parametric bodies: 2 poses × 2 weights × each transfer."""
    fit, layers, rows = load_fit(result), read_layers(result), []
    for label in (g for g in TRYON_GARMENTS if g in layers):
        for pose in TRYON_POSES:
            for weight in TRYON_WEIGHTS:
                for transfer in transfers:
                    t = time.perf_counter()
                    dressed = _tryon(result, fit, label, pose, weight, transfer, model)
                    rows.append({"input": kind, "garment": f"{result.name}:{label}", "pose": pose, "weight": weight,
                                 "transfer": transfer, **dressed.report["garment_fit"],
                                 "inside_fraction": dressed.report["garment_vertices_inside_body"][label],
                                 "seconds": time.perf_counter() - t})
                    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()}), flush=True)
    return rows


def worst_tryon_picture(rows: list[dict], results: dict[str, list[Path]], model, picture: Path, tmp: Path) -> None:
    """The skinned try-on with the largest edge-length change p99, done again and its preview kept."""
    skinned = [r for r in rows if r["transfer"] == "skinned"] or rows
    worst = max(skinned, key=lambda r: r["edge_change_p99_pct"])
    name, label = worst["garment"].split(":")
    result = next(r for r in results[worst["input"]] if r.name == name)
    dressed = _tryon(result, load_fit(result), label, worst["pose"], worst["weight"], worst["transfer"], model)
    out = write_dressed(tmp / "worst_tryon", dressed)
    picture.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "preview.png", picture)
    print(f"worst try-on ({worst['garment']}, {worst['pose']}, weight {worst['weight']}): {picture}", flush=True)


def tryon_summary(rows: list[dict]) -> dict:
    out = {}
    for key in sorted({(r["input"], r["transfer"]) for r in rows}):
        sel = [r for r in rows if (r["input"], r["transfer"]) == key]
        worst = max(sel, key=lambda r: r["edge_change_p99_pct"])
        out[" / ".join(key)] = {
            "tryons": len(sel),
            "edge_change_p99_pct_max": max(r["edge_change_p99_pct"] for r in sel),
            "edge_change_p99_pct_median": float(np.median([r["edge_change_p99_pct"] for r in sel])),
            "clearance_change_p99_cm_max": max(r["clearance_change_p99_cm"] for r in sel),
            "clearance_change_p99_cm_median": float(np.median([r["clearance_change_p99_cm"] for r in sel])),
            "inside_fraction_max": max(r["inside_fraction"] for r in sel),
            "seconds_median": float(np.median([r["seconds"] for r in sel])),
            "worst": {k: worst[k] for k in ("garment", "pose", "weight")}}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=Path, nargs="+", required=True)
    ap.add_argument("--views", type=int, default=6)
    ap.add_argument("--inputs", nargs="+", default=["recon", "gt-surface"], choices=["recon", "gt-surface"])
    ap.add_argument("--tryon", nargs="*", default=list(TRANSFERS), choices=list(TRANSFERS),
                    help="garment transfers whose try-ons to measure (none: skip the try-ons)")
    ap.add_argument("--no-swaps", action="store_true")
    ap.add_argument("--picture", type=Path, help="write the worst skinned try-on's preview here (docs/images/…)")
    ap.add_argument("--fit-source", default="auto", choices=FIT_SOURCES,
                    help="auto: the body head's surface when the result has one (else under the clothes); clothed")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/smpld.json"))
    args = ap.parse_args()

    model = load_body_model("anny")
    tmp = Path(tempfile.mkdtemp(prefix="usr-smpld-bench-"))
    bodies, swaps, results = [], [], {kind: [] for kind in args.inputs}
    for subject in subjects_in(args.subjects):
        cap = read_subject(subject)
        sid = f"{subject.parent.name}/{subject.name}"
        truth = load_mesh(cap.ground_truth.body).vertices
        clothed, clothed_labels = load_mesh(cap.ground_truth.full), cap.ground_truth.face_labels()
        for kind in args.inputs:
            out = tmp / kind / sid.replace("/", "_")
            t = time.perf_counter()
            if kind == "recon":
                reconstruct_subject(subject, out, ReconSpec(views=tuple(spread_views(cap.camera_names, args.views))))
            else:
                gt_surface_result(subject, out)
            prepare = time.perf_counter() - t
            t = time.perf_counter()
            fit = fit_result(out, model, source=args.fit_source)
            row = {"subject": sid, "input": kind, "prepare_seconds": prepare, "fit_seconds": time.perf_counter() - t,
                   "fit_source": fit.report.get("source", ""),
                   **body_vertex_error(model.posed(fit.params).vertices, truth, clothed, clothed_labels)}
            bodies.append(row)
            results[kind].append(out)
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    tryons = [row for kind, outs in results.items() for r in outs for row in tryon_rows(r, kind, model, args.tryon)]
    if args.picture and tryons:
        worst_tryon_picture(tryons, results, model, args.picture, tmp)
    for kind, outs in ({} if args.no_swaps else results).items():
        wearers = [r for r in outs if "upper" in read_layers(r)]
        for i, a in enumerate(wearers):
            b = outs[(outs.index(a) + 1) % len(outs)]
            row = {"input": kind, "garment_of": a.name, "onto": b.name, **swap_scores(a, b, model, tmp / "swaps" / kind)}
            swaps.append(row)
            print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}), flush=True)

    summary = {}
    for kind in args.inputs:
        sel = [r for r in bodies if r["input"] == kind]
        sw = [r for r in swaps if r["input"] == kind]
        summary[kind] = {k: float(np.mean([r[k] for r in sel])) for k in BODY_KEYS} | {"subjects": len(sel)}
        if sw:
            summary[kind] |= {k: float(np.mean([r[k] for r in sw])) for k in SWAP_KEYS} | {
                "edge_length_change_median": float(np.median([r["edge_length_change"] for r in sw])),
                "inside_fraction_max": float(max(r["inside_fraction"] for r in sw)),
                "swap_back_chamfer_max_cm": float(max(r["swap_back_chamfer_cm"] for r in sw)), "swaps": len(sw)}
    write_json_atomic(args.out, {
        "benchmark": "smpld", "command": "python benchmarks/smpld.py " + " ".join(sys.argv[1:]), "views": args.views,
        "summary": summary, "tryon_summary": tryon_summary(tryons), "bodies": bodies, "swaps": swaps, "tryons": tryons,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "date": time.strftime("%Y-%m-%d")})
    print(json.dumps({"summary": summary, "tryon": tryon_summary(tryons)}, indent=1))


if __name__ == "__main__":
    main()
