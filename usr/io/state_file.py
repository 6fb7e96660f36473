"""Checkpoint files: a dict of tensors and JSON-able values, written atomically, read with `weights_only=True`.

Every model file of the project (field, parser) goes through these two functions, so none of them
ever unpickles code, and a failed write never leaves half a file.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from usr.io.atomic import write_bytes_atomic


def write_state(path: Path, state: dict) -> int:
    """Serialise `state` with torch.save into `path` (temp, then rename); returns the bytes written."""
    buf = io.BytesIO()
    torch.save(state, buf)
    write_bytes_atomic(Path(path), buf.getvalue())
    return len(buf.getvalue())


def read_state(path: Path, fmt: str, kind: str) -> dict:
    """Load a state dict written by `write_state` whose "format" is `fmt`; ValueError names the file otherwise."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable checkpoint ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise ValueError(f"{path}: not a usr {kind} checkpoint (format field missing)")
    return state
