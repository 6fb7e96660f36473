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


def main() -> None:
    results = [json.loads(p.read_text()) for p in sorted((ROOT / "benchmarks" / "results").glob("*.json"))]
    synth = [r for r in results if r.get("benchmark") == "synth"]
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
    ]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines))
    print(f"wrote docs/benchmarks.md ({len(results)} result files)")


if __name__ == "__main__":
    main()
