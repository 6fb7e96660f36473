"""Benchmark: the v2 training data (`usr data synth --rig train --photo --points N`): seconds per subject by stage,
disk per subject, and how right the point signs are (winding number of open meshes).

Sign errors are measured where the truth is known: a closed icosphere (analytic), a closed body skin (against its
own closed winding number, and against open3d's ray-parity sign), the same skin with holes cut (as garment hems and
sleeves leave them: the error by distance from the hole), and, on the clothed subjects themselves, the share of
near-surface points in the ambiguous band (winding number 0.25…0.75) and of points inside the body but outside the
clothed surface (impossible in truth: the clothes cover the body).

    python benchmarks/training_data.py --out benchmarks/results/training_data.json [--subjects 4 --views 6 --size 384]
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

from data_tools.points import (PointSpec, body_skin, points_for_subject, sample_points,  # noqa: E402
                               surface_samples, winding_number)
from data_tools.rigs import make_rig  # noqa: E402
from data_tools.subject import make_subject  # noqa: E402
from data_tools.synth import (SynthConfig, person_points, render_views, rig_facts, subject_seed,  # noqa: E402
                              write_synthetic_subject)
from smpl_d.anny_backend import anny_model  # noqa: E402
from usr.geometry.distance import MeshQuery  # noqa: E402
from usr.io.atomic import atomic_dir, write_json_atomic  # noqa: E402
from usr.io.meshes import load_mesh  # noqa: E402
from usr.io.points_file import KINDS, read_points, write_points  # noqa: E402


def folder_bytes(folder: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in folder.rglob("*"):
        if p.is_file():
            key = "gt/points.npz" if p.name == "points.npz" else p.relative_to(folder).parts[0]
            out[key] = out.get(key, 0) + p.stat().st_size
    return out


def generate(args, tmp: Path) -> tuple[list[dict], list[Path]]:
    config = SynthConfig(args.subjects, args.views, args.size, args.seed, rig="train", photo=True, points=args.points,
                         garments_dir=str(args.garments_dir) if args.garments_dir else None,
                         garment_set="train" if args.garments_dir else "all")
    rows, folders = [], []
    for i in range(args.subjects):
        seed = subject_seed(args.seed, i)
        t0 = time.perf_counter()
        subject = make_subject(f"bench_{i}", seed, config.pose_kinds,
                               Path(config.garments_dir) if config.garments_dir else None, None, config.garment_set)
        t1 = time.perf_counter()
        person = person_points(subject)
        cams = make_rig("train", config.views, config.size, np.random.default_rng(seed + 2), person)
        t2 = time.perf_counter()
        views = render_views(subject, cams, config)
        t3 = time.perf_counter()
        folder = tmp / f"subject_{i:04d}"
        with atomic_dir(folder) as d:
            write_synthetic_subject(d, subject, cams, views)
            write_json_atomic(d / "gt" / "rig.json", rig_facts(cams, person))
            t4 = time.perf_counter()
            write_points(d / "gt" / "points.npz", points_for_subject(d / "gt", PointSpec(count=args.points), seed))
        t5 = time.perf_counter()
        facts = rig_facts(cams, person)["cameras"]
        rows.append({"generate_s": t1 - t0, "rig_s": t2 - t1, "render_photo_s": t3 - t2, "write_s": t4 - t3,
                     "points_s": t5 - t4, "total_s": t5 - t0, "cameras": len(cams),
                     "cut_cameras": sum(bool(c["cut"]) for c in facts),
                     "height_fractions": [c["height_fraction"] for c in facts], "bytes": folder_bytes(folder),
                     "garments": [g.name for g in subject.garments]})
        folders.append(folder)
    return rows, folders


def sphere_errors(count: int) -> dict:
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=0.5)
    v, f = np.asarray(sphere.vertices), np.asarray(sphere.faces)
    s = sample_points(v, f, np.ones(len(f), np.uint8), v, f, PointSpec(count=count), np.random.default_rng(0))
    r = np.linalg.norm(s.points.astype(np.float64), axis=1) - 0.5
    sure = np.abs(r) > 0.001  # outside the tessellation's reach
    return {"faces": len(f), "points": int(sure.sum()),
            "sign_error_rate": float(((s.sdf < 0) != (r < 0))[sure].mean()),
            "max_abs_error_m": float(np.abs(np.abs(s.sdf.astype(np.float64)) - np.abs(r)).max())}


def body_errors(body_obj: Path, count: int) -> dict:
    """Signs of points around a closed body skin, and around the same skin opened: three round holes on the torso
    (2, 5 and 10 cm radius, like a neck or sleeve opening) and a 1 cm band around the waist (like the gap between a
    top's hem and trousers): the error by distance from the removed faces."""
    mesh = load_mesh(body_obj)
    v = np.asarray(mesh.vertices, np.float64)
    f = body_skin(v, np.asarray(mesh.faces, np.int64))
    rng = np.random.default_rng(1)
    s = sample_points(v, f, np.ones(len(f), np.uint8), v, f, PointSpec(count=count), rng)
    p = s.points.astype(np.float64)
    closed = winding_number(v, f, p) >= 0.5
    parity = MeshQuery(v, f).signed_distance(p) < 0
    out = {"faces": len(f), "points": len(p),
           "winding_vs_ray_parity_disagreement": float((closed != parity).mean())}
    face_centre = v[f].mean(1)
    centre = (v.min(0) + v.max(0)) / 2
    on, _ = surface_samples(v, f, 20_000, rng)
    torso = on[(np.abs(on[:, 0] - centre[0]) < 0.12) & (np.abs(on[:, 1] - centre[1] - 0.3) < 0.15)]
    discs = np.zeros(len(f), bool)
    for c, radius in zip(torso[rng.choice(len(torso), 3, replace=False)], (0.02, 0.05, 0.1)):
        discs |= np.linalg.norm(face_centre - c, axis=1) < radius
    band = np.abs(face_centre[:, 1] - centre[1] - 0.1) < 0.005
    for name, removed in (("torso_holes_r2_5_10cm", discs), ("waist_band_1cm", band)):
        wrong = (winding_number(v, f[~removed], p) >= 0.5) != closed
        from_hole = MeshQuery(v, f[removed]).distance(p)
        bands = {}
        for lo, hi in ((0.0, 0.02), (0.02, 0.05), (0.05, 0.1), (0.1, np.inf)):
            sel = (from_hole >= lo) & (from_hole < hi)
            key = f"{lo * 100:g}-{hi * 100:g}cm" if np.isfinite(hi) else f">{lo * 100:g}cm"
            bands[key] = {"points": int(sel.sum()), "sign_error_rate": round(float(wrong[sel].mean()), 5) if sel.any() else None}
        out[name] = {"faces_removed": int(removed.sum()), "sign_error_rate": round(float(wrong.mean()), 5),
                     "by_distance_from_hole": bands}
    return out


def clothed_stats(folders: list[Path]) -> dict:
    rows = []
    for folder in folders:
        s = read_points(folder / "gt" / "points.npz")
        w = s.winding.astype(np.float64)
        row = {}
        for kind in KINDS:
            k = s.kind(kind)
            row[kind] = {"inside": float((s.sdf[k] < 0).mean()),
                         "ambiguous_0.25_0.75": float(((w[k] > 0.25) & (w[k] < 0.75)).mean()),
                         "body_inside_clothed_outside": float(((s.body_sdf[k] < 0) & (s.sdf[k] > 0)).mean())}
        rows.append(row)
    return {kind: {key: round(float(np.mean([r[kind][key] for r in rows])), 5) for key in rows[0][kind]}
            for kind in KINDS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/training_data.json"))
    ap.add_argument("--subjects", type=int, default=4)
    ap.add_argument("--views", type=int, default=6)
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--points", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--garments-dir", type=Path, default=None)
    args = ap.parse_args()

    anny_model()
    tmp = Path(tempfile.mkdtemp(prefix="usr-bench-"))
    try:
        rows, folders = generate(args, tmp)
        signs = {"sphere": sphere_errors(args.points),
                 "body": body_errors(folders[0] / "gt" / "body.obj", args.points),
                 "clothed": clothed_stats(folders)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def mean(key):
        return round(float(np.mean([r[key] for r in rows])), 3)

    per_subject_bytes = float(np.mean([sum(r["bytes"].values()) for r in rows]))
    cameras = sum(r["cameras"] for r in rows)
    result = {
        "benchmark": "training_data",
        "command": f"usr data synth --subjects {args.subjects} --views {args.views} --size {args.size} --rig train "
                   f"--photo --points {args.points}" + (f" --garments-dir {args.garments_dir} --garment-set train"
                                                        if args.garments_dir else ""),
        "seed": args.seed,
        "seconds_per_subject": {k: mean(k) for k in ("generate_s", "rig_s", "render_photo_s", "write_s", "points_s",
                                                     "total_s")},
        "cameras_per_subject": round(cameras / len(rows), 2),
        "cut_camera_share": round(sum(r["cut_cameras"] for r in rows) / cameras, 3),
        "mb_per_subject": round(per_subject_bytes / 1e6, 2),
        "gb_per_1000_subjects": round(per_subject_bytes * 1000 / 1e9, 2),
        "mb_per_subject_by_part": {k: round(float(np.mean([r["bytes"].get(k, 0) for r in rows])) / 1e6, 3)
                                   for k in sorted({k for r in rows for k in r["bytes"]})},
        "signs": signs,
        "per_subject": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
        "load_average": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "date": time.strftime("%Y-%m-%d"),
    }
    write_json_atomic(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "per_subject"}, indent=2))


if __name__ == "__main__":
    main()
