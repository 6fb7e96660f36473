"""One error type for bad input: it always names the file and the field that is wrong."""

from __future__ import annotations

from pathlib import Path


class CaptureError(ValueError):
    """A capture (or one of its files) is unusable.

    `problems` holds every problem found, each already naming its file and field, so a
    validator can print them all at once while a reader raises on the first batch.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def problem(path: Path | str, field: str | None, message: str) -> str:
    """Format one problem as `path: field: message` (field omitted when it is the whole file)."""
    return f"{path}: {field}: {message}" if field else f"{path}: {message}"
