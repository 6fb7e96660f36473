"""`usr data validate|import-*|export-*`: capture format commands (owned by the io work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the capture-format commands to `app`."""
