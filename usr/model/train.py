"""`usr train`: train the reconstruction model on exact 3D points of synthetic subjects.

Data: folders written by `usr data synth --points N` (the first `val_subjects` of their splits.json's val lists
validate, all their other subjects train). Each subject's views go through the frozen backbone once, into the cache (usr.model.cache);
a step then draws `subjects_per_step` subjects, for each a random 3…6 of its views and `points_per_subject` of its
points (+ surface samples for the normal term), all from a generator seeded by (seed, step): a resumed run repeats
the batches of an uninterrupted one, and under torchrun each process takes its share of the subjects while
DistributedDataParallel averages the gradients. The shared loop (usr.training.loop) owns resume, learning-rate
decay, checkpoints, the log and progress.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from usr.model.cache import CachedSubject, build_cache, cache_folder
from usr.model.checkpoint import load_model, save_model, warm_start
from usr.model.config import ModelConfig
from usr.model.encode import FrozenBackbone
from usr.model.loss import (PointLossWeights, finite_difference_points, normal_terms, point_losses,
                            weighted_total)
from usr.model.network import ReconModel
from usr.model.prior import PriorError, PriorNoise
from usr.progress import Progress, span
from usr.settings import setting, settings_json
from usr.training.loop import Schedule, TrainingLoop, process_group, resume


@dataclass(frozen=True)
class PointTrainConfig:
    data: tuple[str, ...] = setting((), "Synthetic data folders (usr data synth --points), comma-separated.")
    out: Path = setting(Path("model.pt"), "Checkpoint written (and resumed from when it exists).")
    cache: Path | None = setting(None, "Feature cache folder (default: <first data folder>/.cache).")
    steps: int = setting(20_000, "Optimisation steps.", min=1)
    subjects_per_step: int = setting(4, "Subjects per step.", min=1)
    points_per_subject: int = setting(2048, "Supervision points per subject and step.", min=1)
    surface_per_subject: int = setting(128, "Surface samples per subject and step (normal term).", min=0)
    min_views: int = setting(3, "Fewest input views drawn per subject.", min=1)
    max_views: int = setting(6, "Most input views drawn per subject.", min=1)
    lr: float = setting(1e-3, "Adam learning rate.", min=0.0)
    lr_end_factor: float = setting(0.05, "Learning rate at the end, as a share of --lr.", min=0.0)
    checkpoint_every: int = setting(500, "Steps between checkpoints (and validations).", min=1)
    keep_every: int = setting(0, "Also keep the checkpoint of every N-th step as <out>.step<N>.pt (a curve over "
                                 "steps); 0 = only the latest.", min=0)
    seed: int = setting(0, "Seed of the batches and the initial weights.")
    max_subjects: int | None = setting(None, "Use only the first N training subjects (scaling curves).")
    val_subjects: int = setting(4, "Validation subjects scored at each checkpoint.", min=1)
    init: Path | None = setting(None, "Start a new run from this model's weights (new inputs, such as "
                                      "--body-prior's, start at zero); a run that resumes ignores it.")
    model: ModelConfig = setting(default_factory=ModelConfig)
    prior: PriorNoise = setting(default_factory=PriorNoise)
    weights: PointLossWeights = setting(default_factory=PointLossWeights, cli=False)


def split_subjects(folders: tuple[str, ...], val_count: int) -> tuple[list[Path], list[Path]]:
    """(training, validation) subject folders: the first `val_count` of the val lists of the folders' splits.json
    validate; every other subject of those folders trains (the benchmark's subjects are made apart, with another
    seed and the reserved garments)."""
    everything, val = [], []
    for folder in folders:
        path = Path(folder) / "splits.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not found (is {folder} a folder written by `usr data synth`?)")
        splits = json.loads(path.read_text())
        everything += [Path(folder) / n for part in ("train", "val", "test") for n in splits.get(part, [])]
        val += [Path(folder) / n for n in splits.get("val", [])]
    val = val[:val_count]
    chosen = set(val)
    train = [p for p in everything if p not in chosen]
    missing = [p for p in train + val if not (p / "gt" / "points.npz").is_file()]
    if missing:
        raise FileNotFoundError(f"{missing[0] / 'gt' / 'points.npz'}: no supervision points "
                                f"({len(missing)} subjects without; make the data with --points)")
    if not train or not val:
        raise ValueError(f"{', '.join(map(str, folders))}: need training and validation subjects in splits.json")
    return sorted(train), val


@dataclass
class PointBatch:
    """One subject's share of a step."""

    subject: CachedSubject
    views: list[int]
    rows: np.ndarray
    surface_rows: np.ndarray
    prior: PriorError | None  # the body prior's error this time (None: no prior)


def draw_step(subjects: list[CachedSubject], c: PointTrainConfig, step: int) -> list[PointBatch]:
    """The step's global batch, a function of (seed, step) alone."""
    rng = np.random.default_rng([c.seed, step])
    chosen = rng.choice(len(subjects), c.subjects_per_step, replace=len(subjects) < c.subjects_per_step)
    out = []
    for k in chosen:
        s = subjects[k]
        top = min(c.max_views, s.view_count)
        n = int(rng.integers(min(c.min_views, top), top + 1))
        views = sorted(rng.choice(s.view_count, n, replace=False).tolist())
        rows = np.sort(rng.integers(0, len(s.points), c.points_per_subject))
        surface_rows = np.sort(rng.integers(0, len(s.surface), c.surface_per_subject))
        prior = PriorError.draw(rng, c.prior) if c.model.body_prior else None
        out.append(PointBatch(s, views, rows, surface_rows, prior))
    return out


class PointObjective(torch.nn.Module):
    """The loss terms of a list of PointBatch (a module so DistributedDataParallel can wrap it)."""

    def __init__(self, model: ReconModel, weights: PointLossWeights):
        super().__init__()
        self.model, self.weights = model, weights

    def forward(self, batches: list[PointBatch]) -> dict[str, Tensor]:
        w, sums = self.weights, {}
        for b in batches:
            s = b.subject
            points = torch.from_numpy(np.asarray(s.points[b.rows]))
            targets = torch.from_numpy(np.asarray(s.targets[b.rows]).astype(np.float32))
            labels = torch.from_numpy(np.asarray(s.labels[b.rows]).astype(np.int64))
            surface = torch.from_numpy(np.asarray(s.surface[b.surface_rows]))
            probes = finite_difference_points(surface[:, :3], w.step)
            n = len(points)
            prior = None
            if b.prior is not None:  # the probes of the normal term have no body SDF: no prior there
                prior = torch.cat([targets[:, 2] + b.prior(points), torch.full((len(probes),), float("nan"))])
            out = self.model(torch.cat([points, probes]), s.views(b.views), prior)
            head = {k: v[:n] for k, v in out.items()}
            terms = point_losses(head, targets[:, 0], targets[:, 1], labels, targets[:, 2], w)
            if len(surface):
                terms["normal"], terms["eikonal"] = normal_terms(out["sdf"][n:], surface[:, 3:], w.step)
            else:
                terms["normal"] = terms["eikonal"] = out["sdf"].sum() * 0
            for k, v in terms.items():
                sums[k] = sums.get(k, 0) + v / len(batches)
        sums["loss"] = weighted_total(sums, w)
        return sums


@torch.no_grad()
def validate(model: ReconModel, subjects: list[CachedSubject], points: int = 20_000) -> dict[str, float]:
    """Scores on fixed points of the validation subjects seen from their first 4 views: SDF error near the surface
    (mm, |true| < 1 cm), inside/outside accuracy there, label accuracy within 2 cm, body SDF error (mm); for a
    `body_prior` model also the SDF error given the true body (`val_sdf_mm_body`: what a perfect fit would give)."""
    model.eval()
    scores: dict[str, list[np.ndarray]] = {}

    def add(key: str, values: np.ndarray) -> None:
        scores.setdefault(key, []).append(values)

    for s in subjects:
        rows = np.linspace(0, len(s.points) - 1, points).astype(int)
        targets = np.asarray(s.targets[rows]).astype(np.float32)
        where, views = torch.from_numpy(np.asarray(s.points[rows])), s.views(list(range(min(4, s.view_count))))
        out = model(where, views)
        sdf, true = out["sdf"].numpy(), targets[:, 0]
        near = np.abs(true) < 0.01
        add("val_sdf_mm", np.abs(sdf - true)[near] * 1000)
        add("val_sign", (np.sign(sdf) == np.sign(true))[near])
        band = np.abs(true) < 0.02
        add("val_label", (out["labels"].argmax(-1).numpy() == np.asarray(s.labels[rows]))[band])
        add("val_body_mm", np.abs(out["body_sdf"].numpy() - targets[:, 2])[np.abs(targets[:, 2]) < 0.05] * 1000)
        if model.config.body_prior:
            given = model(where, views, torch.from_numpy(targets[:, 2]))["sdf"].numpy()
            add("val_sdf_mm_body", np.abs(given - true)[near] * 1000)
    model.train()
    return {k: float(np.concatenate(v).mean()) for k, v in scores.items()}


def train(config: PointTrainConfig, progress: Progress | None = None) -> dict:
    """Build the cache (once), then train or resume `config.out`. Progress: "feature cache …", then "step …"."""
    rank, world = process_group()
    if config.subjects_per_step % world:
        raise ValueError(f"subjects_per_step {config.subjects_per_step} must divide by the processes ({world})")
    if not config.data:
        raise ValueError("no data folders given")
    train_paths, val_paths = split_subjects(config.data, config.val_subjects)
    if config.max_subjects:
        train_paths = train_paths[: config.max_subjects]
    cache = Path(config.cache) if config.cache else Path(config.data[0]) / ".cache"
    torch.manual_seed(config.seed)
    model, state = resume(config.out, load_model, lambda: ReconModel(config.model))
    if config.init and not state:
        warm_start(model, config.init)
    model.train()
    if model.config != config.model and state:
        print(f"{config.out}: resumed with its own model settings (they differ from the ones given)")
    backbone = FrozenBackbone(model.config.backbone, model.config.strides)
    cache_share = 0.0 if state else 0.2
    if rank == 0:  # one process builds what is missing; the others wait for it
        build_cache(train_paths + val_paths, cache, backbone, model.config.work_size, span(progress, 0.0, cache_share))
    if world > 1:
        dist.barrier()
    folders = [cache_folder(cache, backbone, p) for p in train_paths + val_paths]
    subjects = [CachedSubject(f, backbone.strides) for f in folders]
    train_subjects, val_subjects = subjects[: len(train_paths)], subjects[len(train_paths):]

    objective = PointObjective(model, config.weights)
    wrapped = torch.nn.parallel.DistributedDataParallel(objective) if world > 1 else objective
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(i: int) -> dict[str, Tensor]:
        return wrapped(draw_step(train_subjects, config, i)[rank::world])

    def save(path: Path, done: int, record: dict) -> None:
        extra = {"train_config": settings_json(config), "last": record, "training_subjects": len(train_subjects)}
        save_model(path, model, done, optimizer, extra=extra)
        if config.keep_every and done % config.keep_every == 0:
            save_model(path.with_suffix(f".step{done}.pt"), model, done, extra=extra)

    loop = TrainingLoop(Path(config.out), config.steps, config.checkpoint_every, optimizer,
                        Schedule(config.lr, config.lr_end_factor, config.steps), step,
                        validate=lambda: validate(model, val_subjects), save=save)
    return loop.run(state, span(progress, cache_share, 1.0))
