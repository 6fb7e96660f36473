"""Checkpoints: one file with the field config (JSON-able), weights, optimiser state and step.

Written atomically; read with `torch.load(weights_only=True)` (no pickled code is ever executed).
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from usr.field.sdf_field import FieldConfig, SDFField
from usr.io.atomic import write_bytes_atomic

DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[1] / "assets" / "field_default.pt"


def save_checkpoint(path: Path, field: SDFField, step: int, optimizer=None, extra: dict | None = None) -> None:
    state = {
        "format": "usr-field",
        "version": 1,
        "config": field.config.to_json(),
        "weights": {k: v.detach().cpu() for k, v in field.state_dict().items()},
        "step": step,
        "extra": extra or {},
    }
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    buf = io.BytesIO()
    torch.save(state, buf)
    write_bytes_atomic(Path(path), buf.getvalue())


def load_checkpoint(path: Path | None = None) -> tuple[SDFField, dict]:
    """The field of a checkpoint (default: the embedded one) and the raw state (step, optimizer, extra)."""
    path = Path(path) if path else DEFAULT_CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found" + (
            " (the embedded default model is missing from this install)" if path == DEFAULT_CHECKPOINT else ""))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable checkpoint ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != "usr-field":
        raise ValueError(f"{path}: not a usr field checkpoint (format field missing)")
    field = SDFField(FieldConfig.from_json(state["config"]))
    field.load_state_dict(state["weights"])
    return field, state


def update_extra(path: Path, **values) -> None:
    """Set keys of a checkpoint's `extra` (str / number values), leaving weights and optimiser state as they are."""
    path = Path(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or state.get("format") != "usr-field":
        raise ValueError(f"{path}: not a usr field checkpoint (format field missing)")
    state.setdefault("extra", {}).update(values)
    buf = io.BytesIO()
    torch.save(state, buf)
    write_bytes_atomic(path, buf.getvalue())


def surface_level(state: dict) -> float:
    """The calibrated SDF level of a checkpoint's surface (usr.training.surface_level); 0 when never calibrated."""
    return float(state.get("extra", {}).get("surface_level", 0.0))
