"""docs/benchmarks.md sections of the apps: `usr batch` (benchmarks/batch.py)."""

from __future__ import annotations

import numpy as np


def batch_section(results: list[dict]) -> list[str]:
    lines = []
    for r in results:
        first, again = r["first_run"], r["re_run"]
        done = [s for s in first["subjects"].values() if s["status"] == "done"]
        failed = {n: s["reason"] for n, s in first["subjects"].items() if s["status"] == "failed"}
        chamfer = [s["metrics"]["chamfer_cm"] for s in done if "chamfer_cm" in s["metrics"]]
        lines += ["## Batch reconstruction (`benchmarks/batch.py`)", "",
                  f"`usr batch` over {r['input']['good']} good synthetic subjects ({r['input']['views']} views, "
                  f"{r['input']['size']}², seed {r['input']['seed']}) and {r['input']['broken']} broken ones (a missing "
                  f"image; a NaN in a camera matrix), {r['workers']} workers. Reproduce: `{r['command']}`", "",
                  "| run | exit code | done | skipped | failed | wall s | s / subject (mean) | Chamfer cm (mean) |",
                  "|---|---|---|---|---|---|---|---|",
                  f"| first | {first['exit_code']} | {first['summary']['done']} | {first['summary']['skipped']} | "
                  f"{first['summary']['failed']} | {first['wall_seconds']:.1f} | "
                  f"{np.mean([s['seconds'] for s in done]) if done else float('nan'):.1f} | "
                  f"{np.mean(chamfer) if chamfer else float('nan'):.2f} |",
                  f"| again (same command) | {again['exit_code']} | {again['summary']['done']} | {again['summary']['skipped']} | "
                  f"{again['summary']['failed']} | {again['wall_seconds']:.1f} | – | – |", "",
                  "Reasons recorded for the broken subjects (report.json / report.html):", ""]
        lines += [f"- `{n}`: {reason}" for n, reason in sorted(failed.items())]
        lines.append("")
    return lines
