"""The model the studios co-train: the reconstruction field (usr/field), trained on a studio's own subjects with
the same objective and batches as `usr train`; weights travel as one flat vector (fed.core.weights)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from fed.core.local import LocalConfig, LocalResult, train_locally
from fed.core.weights import load_vector, model_vector
from usr.field.sdf_field import SDFField
from usr.training.batches import SubjectViews, draw_batch, load_subjects
from usr.training.checkpoint import load_checkpoint
from usr.training.objective import Objective


@dataclass
class TaskConfig:
    local_steps: int = 20
    rays: int = 256
    samples: int = 32
    work_size: int = 96
    lr: float = 5e-3
    local_optimizer: str = "adam"  # the field trains with Adam (as `usr train`); sgd for textbook FedProx/SCAFFOLD
    seed: int = 0

    @classmethod
    def from_config(cls, values: dict) -> "TaskConfig":
        known = {k: type(v)(values[k]) for k, v in asdict(cls()).items() if k in values}
        return cls(**known)


def initial_field(checkpoint: Path | None = None) -> tuple[SDFField, dict]:
    """The starting model: the embedded field (or a checkpoint's)."""
    return load_checkpoint(checkpoint)


@dataclass
class StudioData:
    """A studio's subjects, split: `train` for local training, `held_out` for evaluation (never trained on)."""

    root: Path
    train: list[SubjectViews]
    held_out: list[str]
    generated: list[str]  # FedGC subjects among `train` (flagged; never used for evaluation)


def studio_data(root: Path, work_size: int) -> StudioData:
    """A studio's folder of subject folders; its splits.json (train / val / test) decides what is held out."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: the studio's data folder does not exist (node config data-dir)")
    names = sorted(p.name for p in root.iterdir() if (p / "cameras.json").is_file())
    if not names:
        raise FileNotFoundError(f"{root}: no subject folders (cameras.json) in the studio's data folder")
    splits = json.loads((root / "splits.json").read_text()) if (root / "splits.json").is_file() else {}
    held_out = [n for n in splits.get("test", []) + splits.get("val", []) if n in names]
    train = [n for n in names if n not in held_out] or names
    generated = [n for n in train if (root / n / "generated.json").is_file()]
    return StudioData(root, load_subjects(root, train, work_size), held_out, generated)


def train_round(field: SDFField, data: StudioData, weights: np.ndarray, config: TaskConfig, local: LocalConfig,
                server_round: int, studio_seed: int, server_control=None, studio_control=None) -> LocalResult:
    """The studio's local training for one round from the global `weights`."""
    objective = Objective(field, samples=config.samples)
    seed = config.seed * 1_000_003 + studio_seed * 7919 + server_round

    def loss_at(model, step: int) -> torch.Tensor:
        batch = draw_batch(data.train, seed, step, config.rays, (3, 6))
        return objective(batch)["loss"]

    return train_locally(field, loss_at, weights, local, server_control, studio_control)


def field_vector(field: SDFField) -> np.ndarray:
    return model_vector(field)


def set_field(field: SDFField, vector: np.ndarray) -> SDFField:
    load_vector(field, vector)
    return field
