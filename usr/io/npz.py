"""Reading .npz files we did not write ourselves: never unpickled, a bad file or a missing array named."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_npz(path: Path, required: tuple[str, ...], what: str) -> dict[str, np.ndarray]:
    """All arrays of `path` (allow_pickle=False); ValueError naming the file when unreadable or lacking `required`."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable {what} ({exc})") from exc
    missing = [k for k in required if k not in arrays]
    if missing:
        raise ValueError(f"{path}: {what} lacks {', '.join(missing)}")
    return arrays
