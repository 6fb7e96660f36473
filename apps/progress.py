"""One progress bar style for every long command (rich; plain lines when not on a terminal)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


@contextlib.contextmanager
def progress_bar(what: str, total: int) -> Iterator[Callable[[int, str], None]]:
    """Yield `advance(done, note)`; draws a bar on a terminal, prints one line per step otherwise."""
    if not sys.stderr.isatty():
        def advance(done: int, note: str = "") -> None:
            print(f"{what}: {done}/{total} {note}", file=sys.stderr, flush=True)

        yield advance
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn(), TextColumn("{task.fields[note]}"))
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task(what, total=total, note="")

        def advance(done: int, note: str = "") -> None:
            progress.update(task, completed=done, note=note)

        yield advance
