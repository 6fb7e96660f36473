"""Measure how reliably each SCGS label source finds each label: the recalls behind usr.scgs.fuse's per-class weights.

Per subject and view count: a feed-forward reconstruction (embedded model; its label head at the faces) and the
parser's smoothed votes (usr.scgs.votes + regularize.smooth_votes); then, on points sampled on the true clothed
surface, each source's first choice at the nearest reconstructed face against the true label. Run it on validation
subjects only (the shipped numbers: seeds 3001–3003, docs/model.md), never on the benchmark's.

    python benchmarks/scgs_reliability.py --subjects val_proc val_mh val_proc2 --views 4 6 \\
        --out benchmarks/results/scgs_reliability.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.recon import subjects_in  # noqa: E402
from usr.geometry.distance import MeshQuery  # noqa: E402
from usr.io.atomic import write_json_atomic  # noqa: E402
from usr.io.meshes import load_mesh  # noqa: E402
from usr.io.subject_folder import read_subject  # noqa: E402
from usr.labels import LABEL_NAMES, NUM_LABELS  # noqa: E402
from usr.mesh.graph import face_adjacency_matrix  # noqa: E402
from usr.metrics.geometry import sample_surface_faces  # noqa: E402
from usr.pipeline import reconstruct_subject  # noqa: E402
from usr.prepared_views import spread_views  # noqa: E402
from usr.recon_spec import ReconSpec  # noqa: E402
from usr.result import read_label_probs, read_result  # noqa: E402
from usr.scgs.fuse import RELIABILITY_POWER, VIEWS_SCALE, reliability_weights  # noqa: E402
from usr.scgs.regularize import RegularizeOptions, smooth_votes  # noqa: E402
from usr.scgs.separate import view_semantics  # noqa: E402
from usr.scgs.votes import face_votes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=Path, nargs="+", required=True)
    ap.add_argument("--views", type=int, nargs="+", default=[4, 6])
    ap.add_argument("--samples", type=int, default=20000, help="points on each true surface")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/scgs_reliability.json"))
    args = ap.parse_args()
    counts = {"head": np.zeros((NUM_LABELS, NUM_LABELS)), "views": np.zeros((NUM_LABELS, NUM_LABELS))}
    tmp = Path(tempfile.mkdtemp(prefix="usr-scgs-reliability-"))
    runs = 0
    try:
        for subject in subjects_in(args.subjects):
            cap = read_subject(subject)
            gt = load_mesh(cap.ground_truth.full)
            points, tri = sample_surface_faces(gt, args.samples, 0)
            truth = cap.ground_truth.face_labels()[tri]
            for k in args.views:
                names = spread_views(cap.camera_names, k)
                reconstruct_subject(subject, tmp, replace(ReconSpec(), views=tuple(names), layers=False), heads=True)
                mesh, _, _ = read_result(tmp)
                head = read_label_probs(tmp, len(mesh.faces))
                if head is None:
                    raise SystemExit("the reconstruction has no label head (is the checkpoint a v2 model?)")
                votes = face_votes(mesh, view_semantics(cap, names, "parser"))
                views = smooth_votes(votes, face_adjacency_matrix(mesh), RegularizeOptions())
                near = MeshQuery(np.asarray(mesh.vertices), np.asarray(mesh.faces)).closest(points)[2]
                for name, probs in (("head", head), ("views", views)):
                    np.add.at(counts[name], (truth, probs.argmax(1)[near]), 1)
                runs += 1
                print(f"{subject.parent.name}/{subject.name} @{k}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    recall = {}
    for name, c in counts.items():
        seen = c.sum(1)
        recall[name] = tuple(float(np.round(c[i, i] / seen[i], 3)) if seen[i] else 1.0 for i in range(NUM_LABELS))
    command = "python benchmarks/scgs_reliability.py " + " ".join(sys.argv[1:])
    out = {"benchmark": "scgs_reliability", "command": command,
           "runs": runs, "labels": [LABEL_NAMES[i] for i in range(NUM_LABELS)], "recall": recall,
           "weights": {"power": RELIABILITY_POWER,
                       "head": reliability_weights(recall["head"], recall["views"]),
                       "views": reliability_weights(recall["views"], recall["head"], scale=VIEWS_SCALE)},
           "confusion": {k: v.astype(int).tolist() for k, v in counts.items()}, "date": time.strftime("%Y-%m-%d")}
    write_json_atomic(args.out, out)
    print(json.dumps({k: out[k] for k in ("recall", "weights")}, indent=1))


if __name__ == "__main__":
    main()
