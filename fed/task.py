"""The model the studios co-train: the reconstruction field (usr/field), trained on a studio's own subjects with
the same objective and batches as `usr train`; weights travel as one flat vector (fed.core.weights)."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fed.core.local import LocalConfig, LocalResult, train_locally
from fed.settings import FedSettings
from usr.field.sdf_field import FieldConfig, SDFField
from usr.training.batches import SubjectViews, draw_batch, load_subjects
from usr.training.checkpoint import load_checkpoint
from usr.training.objective import Objective


def initial_field(settings: FedSettings) -> tuple[SDFField, dict]:
    """The starting model: the run's `initial_checkpoint`, else the embedded field; "scratch" = the embedded field's
    architecture with fresh weights (seeded by the run's seed), for studios that train a model of their own."""
    if settings.initial_checkpoint == "scratch":
        _, state = load_checkpoint(None)
        torch.manual_seed(settings.seed)
        return SDFField(FieldConfig.from_json(state["config"])), {"extra": {"initial": "scratch"}}
    return load_checkpoint(Path(settings.initial_checkpoint) if settings.initial_checkpoint else None)


@dataclass
class StudioData:
    """A studio's subjects, split: `train` for local training, `held_out` for evaluation (never trained on)."""

    root: Path
    train: list[SubjectViews]
    held_out: list[SubjectViews]
    generated: list[str]  # FedGC subjects among `train` (flagged; never used for evaluation)


GRID_PARAMETERS = "encoding."  # the field's multiresolution hash grid (usr.field.sdf_field)
GENERATED_FILE = "generated.json"  # the flag of a FedGC-generated subject (fed.fedgc)


@dataclass
class StudioSplit:
    """Subject names of a studio folder: its splits.json val + test are held out (never trained on), FedGC's
    generated subjects (generated.json) are trained on and never held out, every other subject is trained on."""

    train: list[str]
    held_out: list[str]
    generated: list[str]

    @property
    def private(self) -> list[str]:
        """The studio's own training subjects (not generated)."""
        return [n for n in self.train if n not in self.held_out and n not in self.generated]


def studio_split(root: Path) -> StudioSplit:
    root = Path(root)
    names = sorted(p.name for p in root.iterdir() if (p / "cameras.json").is_file())
    splits = json.loads((root / "splits.json").read_text()) if (root / "splits.json").is_file() else {}
    generated = [n for n in names if (root / n / GENERATED_FILE).is_file()]
    held_out = [n for n in splits.get("test", []) + splits.get("val", []) if n in names and n not in generated]
    return StudioSplit([n for n in names if n not in held_out] or names, held_out, generated)


def studio_data(root: Path, work_size: int) -> StudioData:
    """A studio's folder of subject folders, loaded as `studio_split` divides them."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: the studio's data folder does not exist (node config data-dir)")
    split = studio_split(root)
    if not split.train:
        raise FileNotFoundError(f"{root}: no subject folders (cameras.json) in the studio's data folder")
    return StudioData(root, load_subjects(root, split.train, work_size), load_subjects(root, split.held_out, work_size),
                      split.generated)


def studio_seed(data: StudioData) -> int:
    """A seed of the studio's own (its folder's name): the same batches in every run, whatever node id it gets."""
    return zlib.crc32(data.root.name.encode()) % 100_003


def train_round(field: SDFField, data: StudioData, weights: np.ndarray, settings: FedSettings, server_round: int,
                server_control=None, studio_control=None) -> LocalResult:
    """The studio's local training for one round from the global `weights`."""
    objective = Objective(field, samples=settings.samples)
    seed = settings.seed * 1_000_003 + studio_seed(data) * 7919 + server_round

    def loss_at(model, step: int) -> torch.Tensor:
        batch = draw_batch(data.train, seed, step, settings.rays, (3, 6))
        return objective(batch)["loss"]

    local = LocalConfig(settings.algorithm, settings.local_steps, settings.local_lr, settings.mu, settings.local_optimizer,
                        lr_scales=((GRID_PARAMETERS, settings.grid_lr_scale),))
    return train_locally(field, loss_at, weights, local, server_control, studio_control)
