"""Settings dataclasses: what a stage runs with, one frozen dataclass per stage, each field made with `setting`
(its default, its help text and its command-line bounds in one place).

apps/options.py turns such a class into command-line options (one per field, named after it), so a new field is a
new option on every command built from the class; `settings_json` writes one into a report.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

MISSING = dataclasses.MISSING


def setting(default: Any = MISSING, help: str = "", *, default_factory: Any = MISSING, flag: str | None = None,
            min: float | None = None, max: float | None = None, cli: bool = True, negatable: bool = True) -> Any:
    """A dataclass field with its command-line description in the field's metadata:
    `help` the option's help text; `flag` its name when not --field-name; `min`/`max` bounds on the command line;
    `cli=False` a knob that is no user option (no command shows it; it keeps its default there);
    `negatable=False` a bool that is a plain flag (--fail-fast) instead of --x/--no-x."""
    metadata = {"help": help, "flag": flag, "min": min, "max": max, "cli": cli, "negatable": negatable}
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


def settings_json(settings: Any) -> dict:
    """A settings dataclass as a JSON-ready dict (nested ones as dicts, paths as strings, tuples as lists)."""
    return _plain(dataclasses.asdict(settings))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
