"""The docs picture of SCGS: a subject's true surface labels beside the labels of its reconstruction by each source
(2D parser only as in v1, the model's 3D head only, both fused + graph cut + presence), from three cameras.

    python benchmarks/scgs_picture.py --subject bench_proc/subject_0003 --views 6 --out docs/images/scgs_v2.png
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usr.colour import render_mesh  # noqa: E402
from usr.io.meshes import load_mesh  # noqa: E402
from usr.io.subject_folder import read_subject  # noqa: E402
from usr.pipeline import reconstruct_subject  # noqa: E402
from usr.prepared_views import spread_views  # noqa: E402
from usr.recon_spec import ReconSpec  # noqa: E402
from usr.result import read_label_probs, read_result  # noqa: E402
from usr.scgs.labelling import LabelOptions  # noqa: E402
from usr.scgs.separate import SeparateOptions, separate, view_semantics  # noqa: E402
from usr.viz import contact_sheet, face_label_colours, save_png  # noqa: E402

ROWS = (("2D parser\n(v1)", LabelOptions(source="views", cut=None, presence=None)),
        ("3D head", LabelOptions(source="head")),
        ("fused\n(default)", LabelOptions()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subject", type=Path, required=True)
    ap.add_argument("--views", type=int, default=6)
    ap.add_argument("--out", type=Path, default=Path("docs/images/scgs_v2.png"))
    args = ap.parse_args()
    cap = read_subject(args.subject)
    names = spread_views(cap.camera_names, args.views)
    with tempfile.TemporaryDirectory(prefix="usr-scgs-picture-") as tmp:
        reconstruct_subject(args.subject, Path(tmp), replace(ReconSpec(), views=tuple(names), layers=False),
                            heads=True)
        mesh, colours, _ = read_result(Path(tmp))
        head = read_label_probs(Path(tmp), len(mesh.faces))
    semantics = view_semantics(cap, names, "parser")
    shown = [cap.cameras[cap.index(n)].fit(440) for n in spread_views(cap.camera_names, 3)]
    gt = load_mesh(cap.ground_truth.full)
    rows = [("truth", [render_mesh(gt, face_label_colours(gt, cap.ground_truth.face_labels()), c)[0] for c in shown])]
    for title, labels in ROWS:
        sep = separate(mesh, colours, semantics, SeparateOptions(labels, refine=None), head)
        rows.append((title, [render_mesh(sep.mesh, face_label_colours(sep.mesh, sep.labels.face_labels), c)[0]
                             for c in shown]))
    sheet = contact_sheet(rows, captions=[c.name for c in shown], thumb_height=300,
                          title=f"SCGS labels of {args.subject.parent.name}/{args.subject.name} reconstructed from "
                                f"{args.views} views (feed-forward): the truth, then each label source")
    save_png(sheet, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
