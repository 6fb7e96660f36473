"""`usr train`: train the generalizable field across synthetic subjects.

The field's step (a batch of rays of one subject, usr.training.objective) and validation (PSNR and silhouette IoU
of a held-out view of a validation subject, rendered from its other views) plugged into the shared loop
(usr.training.loop: resume, learning-rate decay, a checkpoint every `checkpoint_every` steps, `<out>.log.jsonl`,
progress).

Distributed: under `torchrun --nproc_per_node N`, each process takes 1/N of every global batch
(same batch on every process, see batches.py) and DistributedDataParallel averages gradients
(gloo on CPU, nccl on GPU), so N processes follow the 1-process run with the same global batch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from usr.field.sdf_field import FieldConfig, SDFField
from usr.metrics.images import psnr, silhouette_iou
from usr.progress import Progress
from usr.render.occupancy import visual_hull
from usr.render.renderer import render_view
from usr.training.batches import SubjectViews, draw_batch, load_subjects
from usr.training.checkpoint import load_checkpoint, save_checkpoint
from usr.training.loop import Schedule, TrainingLoop, process_group, resume
from usr.training.objective import LossWeights, Objective


@dataclass(frozen=True)
class TrainConfig:
    data: str
    out: str
    steps: int = 2000
    rays: int = 1024
    samples: int = 48
    lr: float = 5e-3
    lr_end_factor: float = 0.1
    work_size: int = 192
    min_sources: int = 3
    max_sources: int = 6
    checkpoint_every: int = 200
    seed: int = 0
    max_subjects: int | None = None
    weights: LossWeights = field(default_factory=LossWeights)
    field: FieldConfig = field(default_factory=FieldConfig)


def _splits(data: Path) -> dict[str, list[str]]:
    path = data / "splits.json"
    if path.exists():
        return json.loads(path.read_text())
    names = sorted(p.name for p in data.iterdir() if (p / "cameras.json").exists())
    if not names:
        raise FileNotFoundError(f"{data}: no subject folders (cameras.json) found")
    return {"train": names[:-1] or names, "val": names[-1:], "test": []}


def validate(field: SDFField, subject: SubjectViews, size: int = 96) -> dict[str, float]:
    """Render view 1 of the subject from its other views; PSNR on the person and silhouette IoU."""
    v = subject.views
    sources = v.subset([i for i in range(len(v.names)) if i != 1][:6])
    field.eval()
    views = field.encode_views(sources.to_source()) if field.encoder else None
    small = v.cameras[1].fit(size)
    gt = cv2.resize(v.images[1], (small.width, small.height), interpolation=cv2.INTER_AREA)
    gt_mask = cv2.resize(v.masks[1], (small.width, small.height), interpolation=cv2.INTER_AREA) > 127
    hull = visual_hull(sources.cameras, sources.masks, 48)
    out = render_view(field, views, small, hull, samples=48)
    field.train()
    pred = (np.clip(out["rgb"], 0, 1) * 255).astype(np.uint8)
    return {"val_psnr": psnr(pred, gt, gt_mask), "val_iou": silhouette_iou(out["opacity"] > 0.5, gt_mask)}


def train(config: TrainConfig, progress: Progress | None = None) -> dict:
    """Train (or resume) the field of `config.out`; progress("step 120/2000 loss 0.031 …", fraction) on rank 0."""
    rank, world = process_group()
    if config.rays % world:
        raise ValueError(f"--rays {config.rays} must divide by the number of processes ({world})")
    data, out = Path(config.data), Path(config.out)
    splits = _splits(data)
    names = splits["train"][: config.max_subjects] if config.max_subjects else splits["train"]
    subjects = load_subjects(data, names, config.work_size)
    val = load_subjects(data, splits["val"][:1], config.work_size) if splits.get("val") else subjects[:1]

    torch.manual_seed(config.seed)
    field, state = resume(out, load_checkpoint, lambda: SDFField(config.field))
    objective = Objective(field, config.weights, config.samples)
    model = torch.nn.parallel.DistributedDataParallel(objective) if world > 1 else objective
    optimizer = torch.optim.Adam(field.parameters(), lr=config.lr)

    def step(i: int) -> dict[str, torch.Tensor]:
        batch = draw_batch(subjects, config.seed, i, config.rays, (config.min_sources, config.max_sources))
        return model(batch.slice(rank, world))

    def save(path: Path, done: int, record: dict) -> None:
        save_checkpoint(path, field, done, optimizer, extra={"train_config": _json(config), "last": record})

    loop = TrainingLoop(out, config.steps, config.checkpoint_every, optimizer,
                        Schedule(config.lr, config.lr_end_factor, config.steps), step,
                        validate=lambda: validate(field, val[0]), save=save,
                        logged=lambda: {"inv_s": field.inv_s.item()})
    return loop.run(state, progress)


def _json(config: TrainConfig) -> dict:
    d = asdict(config)
    return json.loads(json.dumps(d, default=str))
