"""`usr batch INPUT --out OUT`: every capture in INPUT reconstructed into OUT/<name>, with a report."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

import typer

from apps.batch.jobs import BatchSpec
from apps.options import settings_command
from usr.io.errors import CaptureError
from usr.progress import Progress
from usr.recon_spec import ReconSpec


def register(app: typer.Typer, spec_class: type[ReconSpec] = ReconSpec) -> None:
    """`usr batch` on `app`: an option per field of BatchSpec, its reconstruction ones from `spec_class`."""
    app.command("batch", help="Reconstruct every capture in a folder (subject folders, transforms.json); "
                              "skips finished results, goes on past failures, writes OUT/report.json and report.html.")(
        settings_command(batch, "spec", BatchSpec, nested={"recon": spec_class}))


def batch(
    source: Path = typer.Argument(..., metavar="INPUT", help="Folder of subject folders and/or transforms.json captures."),
    out: Path = typer.Option(..., "--out", help="Folder for the results (OUT/<subject>/) and the report."),
    spec: BatchSpec = BatchSpec(),  # one option per field (register)
) -> None:
    from apps.batch.jobs import earlier_outcome, is_complete, plan_jobs
    from apps.batch.local import run_local
    from apps.batch.report import previous_rows, run_meta, summary, write_reports
    from usr.io.atomic import clean_stale_temps
    from usr.settings import settings_json

    try:
        jobs = plan_jobs(source, out)
    except CaptureError as exc:
        typer.echo(f"✗ {exc}", err=True)
        raise typer.Exit(2)
    if not jobs:
        typer.echo(f"✗ {source}: no captures found (subject folders with cameras.json, or transforms.json)", err=True)
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(out)
    previous = previous_rows(out)
    skipped = [earlier_outcome(j, previous) for j in jobs if spec.resume and is_complete(j, spec)]
    todo = [j for j in jobs if not (spec.resume and is_complete(j, spec))]
    typer.echo(f"{len(jobs)} captures in {source}: {len(todo)} to reconstruct, {len(skipped)} complete already", err=True)
    start = time.perf_counter()
    outcomes = list(skipped)
    if spec.ray:
        from apps.batch.ray_runner import run_ray as runner
    else:
        runner = run_local
    try:
        with BatchProgress(len(todo)) as bars:
            for outcome in runner(todo, spec, bars.subject):
                outcomes.append(outcome)
                bars.finished(outcome)
    except RuntimeError as exc:
        typer.echo(f"✗ {exc}", err=True)
        raise typer.Exit(2)
    meta = run_meta(source, spec.workers, time.perf_counter() - start, settings_json(spec.recon)) | {"ray": spec.ray}
    report_json, report_html = write_reports(out, outcomes, meta)
    counts = summary(outcomes)
    typer.echo(f"{counts['done']} done, {counts['skipped']} skipped (complete), {counts['failed']} failed"
               + (f", {counts['cancelled']} cancelled" if counts["cancelled"] else "")
               + f" in {meta['wall_seconds']:.1f} s → {report_json}, {report_html}")
    for o in outcomes:
        if o.status == "failed":
            typer.echo(f"✗ {o.name}: {o.reason}", err=True)
    if counts["failed"] or counts["cancelled"]:
        raise typer.Exit(1)


class BatchProgress:
    """An overall bar and one bar per running subject on a terminal; a line per subject and stage otherwise."""

    def __init__(self, total: int):
        self.total, self.done, self.tasks, self.stages = total, 0, {}, {}
        self.progress = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TextColumn("{task.fields[note]}"),
                                     console=Console(stderr=True))

    def __enter__(self) -> "BatchProgress":
        if self.progress is not None:
            self.progress.start()
            self.overall = self.progress.add_task("all subjects", total=self.total, note="")
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def subject(self, name: str) -> Progress:
        """The progress(stage, fraction) of subject `name`'s bar."""
        return functools.partial(self.update, name)

    def update(self, name: str, stage: str, fraction: float) -> None:
        if self.progress is None:
            if self.stages.get(name) != stage:
                self.stages[name] = stage
                print(f"batch: {name}: {stage}", file=sys.stderr, flush=True)
            return
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(f"  {name}", total=100, note="")
        self.progress.update(self.tasks[name], completed=int(100 * fraction), note=stage)

    def finished(self, outcome) -> None:
        self.done += 1
        line = f"{outcome.name}: {outcome.status}" + (f" ({outcome.reason})" if outcome.reason else f" in {outcome.seconds:.1f} s")
        if self.progress is None:
            print(f"batch: {self.done}/{self.total} {line}", file=sys.stderr, flush=True)
            return
        if outcome.name in self.tasks:
            self.progress.remove_task(self.tasks.pop(outcome.name))
        self.progress.update(self.overall, completed=self.done, note=line[:80])
