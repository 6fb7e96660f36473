"""Checkpoints: one file with the field config (JSON-able), weights, optimiser state and step.

Written atomically; read with `torch.load(weights_only=True)` (usr.io.state_file: no pickled code is ever executed).
"""

from __future__ import annotations

from pathlib import Path

from usr.field.sdf_field import FieldConfig, SDFField
from usr.io.state_file import read_state, write_state

FORMAT = "usr-field"
DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[1] / "assets" / "field_default.pt"


def save_checkpoint(path: Path, field: SDFField, step: int, optimizer=None, extra: dict | None = None) -> None:
    state = {
        "format": FORMAT,
        "version": 1,
        "config": field.config.to_json(),
        "weights": {k: v.detach().cpu() for k, v in field.state_dict().items()},
        "step": step,
        "extra": extra or {},
    }
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    write_state(path, state)


def load_checkpoint(path: Path | None = None) -> tuple[SDFField, dict]:
    """The field of a checkpoint (default: the embedded one) and the raw state (step, optimizer, extra)."""
    path = Path(path) if path else DEFAULT_CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found" + (
            " (the embedded default model is missing from this install)" if path == DEFAULT_CHECKPOINT else ""))
    state = read_state(path, FORMAT, "field")
    field = SDFField(FieldConfig.from_json(state["config"]))
    field.load_state_dict(state["weights"])
    return field, state


def update_extra(path: Path, **values) -> None:
    """Set keys of a checkpoint's `extra` (str / number values), leaving weights and optimiser state as they are."""
    state = read_state(path, FORMAT, "field")
    state.setdefault("extra", {}).update(values)
    write_state(path, state)


def surface_level(state: dict) -> float:
    """The calibrated SDF level of a checkpoint's surface (usr.training.surface_level); 0 when never calibrated."""
    return float(state.get("extra", {}).get("surface_level", 0.0))
