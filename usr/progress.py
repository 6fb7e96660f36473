"""The one progress signature of the library: `progress(stage, fraction)`.

`stage` says what is happening in words a person reads ("mesh", "subject_0003", "step 120/2500 loss 0.031");
`fraction` is how much of the *whole call* is done, from 0 to 1. Every long library function takes
`progress: Progress | None = None`; the apps turn it into a bar (apps/progress.py: rich on a terminal, Gradio on the
page). Helpers here keep callers free of adapter lambdas.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, float], None]  # (stage, fraction of the whole call done, 0…1)


def notify(progress: Progress | None, stage: str, fraction: float) -> None:
    """Call `progress` if there is one (fraction clipped to 0…1)."""
    if progress is not None:
        progress(stage, min(1.0, max(0.0, float(fraction))))


def span(progress: Progress | None, start: float, end: float, stage: str | None = None) -> Progress | None:
    """A Progress for a part of a longer job: its 0…1 maps to start…end of `progress`; `stage` replaces the
    part's own stage names when given (None keeps them)."""
    if progress is None:
        return None
    return lambda what, fraction: notify(progress, stage if stage is not None else what,
                                         start + (end - start) * min(1.0, max(0.0, fraction)))


def staged(progress: Progress | None, stage: str) -> Progress | None:
    """The same fractions under a fixed stage name (for a sub-step that reports its own names)."""
    return span(progress, 0.0, 1.0, stage)


class Throttled:
    """Passes a call on only when the whole percent or the stage changes (a log gets ~100 lines, not thousands)."""

    def __init__(self, progress: Progress):
        self.progress, self.last = progress, (None, -1)

    def __call__(self, stage: str, fraction: float) -> None:
        key = (stage, int(100 * min(1.0, max(0.0, fraction))))
        if key != self.last:
            self.last = key
            self.progress(stage, key[1] / 100)
