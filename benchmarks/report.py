"""Rebuild docs/benchmarks.md from benchmarks/results/*.json (so the doc always shows measured numbers).

    python benchmarks/report.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synth_rows(results: list[dict]) -> list[str]:
    rows = ["| run | views × size | generate s | render s | write s | **total s / subject** | goal | machine | date |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        run = "MakeHuman CC0 mixed in" if r.get("garments_dir") else "procedural garments"
        rows.append(f"| {run} ({r['subjects']} subjects, seed {r['seed']}) | {r['views']} × {r['size']}² | "
                    f"{r['generate_s_per_subject']:.2f} | {r['render_s_per_subject']:.2f} | {r['write_s_per_subject']:.2f} | "
                    f"**{r['total_s_per_subject']:.2f}** | ≤ {r['goal_total_s_per_subject']:.0f} {'✓' if r['meets_goal'] else '✗'} | "
                    f"{r['machine']['cpus']} CPU cores | {r['date']} |")
    return rows


def recon_rows(r: dict) -> list[str]:
    rows = ["| method @ views | runs | Chamfer cm | P2S cm | NC | PSNR dB | SSIM | IoU | s / subject |",
            "|---|---|---|---|---|---|---|---|---|"]
    for key, m in r["summary"].items():
        def f(name, fmt):
            return format(m[name], fmt) if name in m else "–"

        rows.append(f"| {key} | {m['runs']} | {f('chamfer_cm', '.2f')} | {f('p2s_cm', '.2f')} | {f('normal_consistency', '.3f')} | "
                    f"{f('psnr', '.2f')} | {f('ssim', '.3f')} | {f('silhouette_iou', '.3f')} | {f('seconds', '.1f')} |")
    return rows


def recon_section(results: list[dict]) -> list[str]:
    lines = ["## Reconstruction (`benchmarks/recon.py`)", "",
             "Unseen synthetic subjects at 512² (seeds 2001: procedural garments, 2002: MakeHuman CC0 garments mixed in,",
             "never seen in training), input views spread around the 8-camera ring, the others held out. Geometry in cm",
             "after scaling the ground truth to 1.8 m; PSNR over the person's pixels, SSIM and silhouette IoU on the",
             "held-out views. `field` = the embedded model feed-forward; `finetune` = + N per-subject steps; `scratch` =",
             "the same field without images or prior, optimised per subject; `visual-hull` = space carving at 128³.",
             "Seconds = reconstruction stages (prepare, field/fine-tune, mesh at 256³, colours), not evaluation.", ""]
    for r in results:
        lines += [f"`{r['_file']}` — subjects: {len(r['subjects'])}, mesh resolution {r['resolution']}, fine-tune steps "
                  f"{r['finetune_steps']}, scratch steps {r['scratch_steps']}, checkpoint: {r['checkpoint']}, {r['date']}", "",
                  *recon_rows(r), ""]
    return lines


def main() -> None:
    results = [json.loads(p.read_text()) | {"_file": p.name} for p in sorted((ROOT / "benchmarks" / "results").glob("*.json"))]
    synth = [r for r in results if r.get("benchmark") == "synth"]
    recon = [r for r in results if r.get("benchmark") == "recon"]
    lines = [
        "# Benchmarks",
        "",
        "Measured numbers only, regenerated from `benchmarks/results/*.json` by `python benchmarks/report.py`.",
        "Machine: the reference 2-core CPU machine (no GPU).",
        "",
        "## Synthetic subjects (`benchmarks/synth.py`)",
        "",
        "Seconds per subject: generate = anny body + outfit + garments; render = all views (RGB with shadows, mask,",
        "labels, depth, normals); write = PNGs, ground-truth meshes (incl. the visible clothed surface) and JSON.",
        "The anny model is loaded once per process (≈ 2 s with its cache; its first build on a new machine ≈ 1 min).",
        "",
        "Reproduce: `python benchmarks/synth.py --out benchmarks/results/synth.json` and",
        "`python benchmarks/synth.py --garments-dir ../shared/data/makehuman_cc0 --out benchmarks/results/synth_makehuman.json`.",
        "",
        *synth_rows(synth),
        "",
        *recon_section(recon),
    ]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines))
    print(f"wrote docs/benchmarks.md ({len(results)} result files)")


if __name__ == "__main__":
    main()
