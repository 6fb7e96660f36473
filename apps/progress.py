"""Progress on a terminal and on the page: the library's one signature `progress(stage, fraction)` (usr.progress)
drawn by rich (plain lines when not on a terminal) or by Gradio."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from usr.progress import Progress as StageProgress


@contextlib.contextmanager
def stage_bar(what: str) -> Iterator[StageProgress]:
    """Yield a `progress(stage, fraction)` that draws a 0–100 % bar named `what` with the stage beside it on a
    terminal, and prints a line whenever the stage or the whole percent changes otherwise."""
    last: list = [None]

    def changed(stage: str, fraction: float) -> int | None:
        done = int(round(100 * min(1.0, max(0.0, fraction))))
        if (stage, done) == last[0]:
            return None
        last[0] = (stage, done)
        return done

    if not sys.stderr.isatty():
        def progress(stage: str, fraction: float) -> None:
            done = changed(stage, fraction)
            if done is not None:
                print(f"{what}: {done}/100 {stage}", file=sys.stderr, flush=True)

        yield progress
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn(), TextColumn("{task.fields[note]}"))
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task(what, total=100, note="")

        def progress(stage: str, fraction: float) -> None:
            done = changed(stage, fraction)
            if done is not None:
                bar.update(task, completed=done, note=stage)

        yield progress


def gradio_progress(progress) -> StageProgress:
    """A library `progress(stage, fraction)` drawing a Gradio progress bar (`gr.Progress()` of a handler)."""
    return lambda stage, fraction: progress(fraction, desc=stage)
