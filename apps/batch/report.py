"""The batch report: OUT/report.json (every subject's outcome, the options, timings) and OUT/report.html (a
thumbnail per subject, its layers, time, scores or the reason it failed)."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path

from apps.batch.jobs import Outcome
from usr.io.atomic import write_bytes_atomic, write_json_atomic

REPORT_JSON, REPORT_HTML = "report.json", "report.html"
STATUS_COLOURS = {"done": "#2e7d32", "skipped": "#546e7a", "failed": "#c62828", "cancelled": "#ef6c00"}
METRIC_NAMES = {"chamfer_cm": "Chamfer cm", "p2s_cm": "P2S cm", "psnr": "PSNR dB", "label_accuracy": "labels"}


def previous_rows(out: Path) -> dict[str, dict]:
    """Subjects of an earlier report in `out` by name ({} when there is none or it is unreadable)."""
    try:
        doc = json.loads((Path(out) / REPORT_JSON).read_text())
        return {row["name"]: row for row in doc.get("subjects", []) if isinstance(row, dict) and "name" in row}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    return {status: sum(o.status == status for o in outcomes) for status in STATUS_COLOURS}


def write_reports(out: Path, outcomes: list[Outcome], meta: dict) -> tuple[Path, Path]:
    out = Path(out)
    rows = sorted(outcomes, key=lambda o: o.name)
    doc = {"summary": summary(rows), "subjects": [o.to_json() for o in rows], **meta}
    write_json_atomic(out / REPORT_JSON, doc)
    write_bytes_atomic(out / REPORT_HTML, _html(out, rows, doc).encode("utf-8"))
    return out / REPORT_JSON, out / REPORT_HTML


def _html(out: Path, rows: list[Outcome], doc: dict) -> str:
    esc = html.escape
    counts = ", ".join(f"{n} {s}" for s, n in doc["summary"].items() if n)
    lines = [
        "<!doctype html><html><head><meta charset='utf-8'><title>usr batch report</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #ddd;padding:6px 10px;vertical-align:top;text-align:left}"
        "img{height:140px}.reason{max-width:40em;font-family:monospace;font-size:90%}",
        "</style></head><body>",
        f"<h1>usr batch: {esc(counts)}</h1>",
        f"<p>{esc(str(doc.get('input', '')))} → {esc(str(out))}; {doc.get('workers', 1)} worker(s); "
        f"{doc.get('wall_seconds', 0):.1f} s; {esc(doc.get('date', ''))}</p>",
        "<table><tr><th>preview</th><th>subject</th><th>status</th><th>views</th><th>layers</th><th>seconds</th>"
        "<th>scores</th><th>reason / warnings</th></tr>",
    ]
    for o in rows:
        preview = out / o.name / "preview.png"
        thumb = f"<img src='{esc(o.name)}/preview.png' alt='{esc(o.name)}'>" if preview.is_file() else ""
        scores = "<br>".join(f"{METRIC_NAMES.get(k, k)} {v:.3g}" for k, v in o.metrics.items() if k in METRIC_NAMES)
        notes = "<br>".join(esc(t) for t in ([o.reason] if o.reason else []) + o.warnings)
        lines.append(f"<tr><td>{thumb}</td><td>{esc(o.name)}<br><small>{esc(o.capture)}</small></td>"
                     f"<td style='color:{STATUS_COLOURS.get(o.status, '#000')};font-weight:bold'>{esc(o.status)}</td>"
                     f"<td>{o.views or ''}</td><td>{esc(', '.join(o.layers))}</td><td>{o.seconds:.1f}</td>"
                     f"<td>{scores}</td><td class='reason'>{notes}</td></tr>")
    lines.append("</table></body></html>")
    return "\n".join(lines)


def run_meta(source: Path, workers: int, wall_seconds: float, options: dict) -> dict:
    return {"input": str(source), "workers": workers, "wall_seconds": round(wall_seconds, 2), "options": options,
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}
