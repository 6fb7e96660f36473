"""`usr train`: train the generalizable field across synthetic subjects.

Progress, a checkpoint every `checkpoint_every` steps (atomic; the run resumes from it), and a
validation metric per checkpoint (PSNR and silhouette IoU of a held-out view of a validation
subject, rendered from its other views) appended to `<out>.log.jsonl`.

Distributed: under `torchrun --nproc_per_node N`, each process takes 1/N of every global batch
(same batch on every process, see batches.py) and DistributedDataParallel averages gradients
(gloo on CPU, nccl on GPU), so N processes follow the 1-process run with the same global batch.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from usr.field.sdf_field import FieldConfig, SDFField
from usr.metrics.images import psnr, silhouette_iou
from usr.render.occupancy import visual_hull
from usr.render.renderer import render_view
from usr.training.batches import SubjectViews, draw_batch, load_subjects
from usr.training.checkpoint import load_checkpoint, save_checkpoint
from usr.training.objective import LossWeights, Objective


@dataclass
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


def _dist_info() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_distributed_from_env() -> bool:
    """Join the process group torchrun describes (RANK/WORLD_SIZE set); gloo on CPU, nccl on CUDA."""
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        return True
    return False


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
    import cv2

    gt = cv2.resize(v.images[1], (small.width, small.height), interpolation=cv2.INTER_AREA)
    gt_mask = cv2.resize(v.masks[1], (small.width, small.height), interpolation=cv2.INTER_AREA) > 127
    hull = visual_hull(sources.cameras, sources.masks, 48)
    out = render_view(field, views, small, hull, samples=48)
    field.train()
    pred = (np.clip(out["rgb"], 0, 1) * 255).astype(np.uint8)
    return {"val_psnr": psnr(pred, gt, gt_mask), "val_iou": silhouette_iou(out["opacity"] > 0.5, gt_mask)}


def train(config: TrainConfig, progress: Callable[[int, int, dict], None] | None = None) -> dict:
    rank, world = _dist_info()
    if config.rays % world:
        raise ValueError(f"--rays {config.rays} must divide by the number of processes ({world})")
    data, out = Path(config.data), Path(config.out)
    splits = _splits(data)
    names = splits["train"][: config.max_subjects] if config.max_subjects else splits["train"]
    subjects = load_subjects(data, names, config.work_size)
    val = load_subjects(data, splits["val"][:1], config.work_size) if splits.get("val") else subjects[:1]

    torch.manual_seed(config.seed)
    start, log_path = 0, out.with_suffix(".log.jsonl")
    if out.exists():
        field, state = load_checkpoint(out)
        start = int(state["step"])
    else:
        field = SDFField(config.field)
    objective = Objective(field, config.weights, config.samples)
    model = torch.nn.parallel.DistributedDataParallel(objective) if world > 1 else objective
    optimizer = torch.optim.Adam(field.parameters(), lr=config.lr)
    if out.exists() and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    gamma = config.lr_end_factor ** (1.0 / max(config.steps, 1))  # lr(step) = lr · gamma^step, resume-safe

    t0, last = time.perf_counter(), {}
    for step in range(start, config.steps):
        batch = draw_batch(subjects, config.seed, step, config.rays, (config.min_sources, config.max_sources))
        for group in optimizer.param_groups:
            group["lr"] = config.lr * gamma**step
        terms = model(batch.slice(rank, world))
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        optimizer.step()
        last = _global_mean({k: v.detach() for k, v in terms.items()}, world)
        done = step + 1
        if rank == 0 and (done % config.checkpoint_every == 0 or done == config.steps):
            metrics = validate(field, val[0])
            record = {"step": done, "seconds": round(time.perf_counter() - t0, 1), **last, **metrics,
                      "inv_s": field.inv_s.item()}
            save_checkpoint(out, field, done, optimizer, extra={"train_config": _json(config), "last": record})
            with open(log_path, "a") as f:
                f.write(json.dumps(record) + "\n")
            last.update(metrics)
        if progress and rank == 0:
            progress(done, config.steps, last)
    if world > 1:
        dist.barrier()  # no process leaves (and tears down the group) while rank 0 still validates and saves
    return {"steps": config.steps, "seconds": time.perf_counter() - t0, **last}


def _global_mean(terms: dict[str, torch.Tensor], world: int) -> dict[str, float]:
    """Loss terms averaged over the processes (each holds the loss of its share of the batch)."""
    if world > 1:
        stacked = torch.stack(list(terms.values()))
        dist.all_reduce(stacked)
        terms = dict(zip(terms, stacked / world))
    return {k: float(v) for k, v in terms.items()}


def _json(config: TrainConfig) -> dict:
    d = asdict(config)
    return json.loads(json.dumps(d, default=str))
