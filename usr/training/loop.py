"""The one training loop of the house: a model's step plugged into a loop that owns the rest.

A trainer (the field's `usr train`, the parser's `usr parser train`) builds its model, optimiser and data and hands
the loop three functions: `objective(step)` (the loss terms of that step on this process's share of the batch,
"loss" the one minimised), `validate()` (scores at a checkpoint) and `save(path, step, record)` (the checkpoint, in
the model's own file format, written atomically by usr.io.state_file). The loop owns what every trainer repeats:

- resume: a run whose checkpoint exists continues from its step with its optimiser state (`resume`); each step's
  batch is a function of (seed, step), so an interrupted and resumed run ends with the weights of an uninterrupted one;
- the learning-rate schedule, a function of the step alone (`Schedule`);
- a checkpoint every `checkpoint_every` steps and at the end, with the validation scores appended to
  `<out>.log.jsonl` (one JSON record a line: step, seconds, the loss terms, the scores);
- progress as `progress("step 120/2500 loss 0.031 …", fraction)` (usr.progress);
- torchrun: every process runs the loop on its share (`process_group`), the loss terms are averaged over the
  processes (`global_mean`), only rank 0 validates, saves, logs and reports progress, and no process leaves before
  rank 0 is done.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import Tensor

from usr.progress import Progress, notify

Model = TypeVar("Model")


def process_group() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) outside torchrun."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_distributed_from_env() -> bool:
    """Join the process group torchrun describes (RANK/WORLD_SIZE set); gloo on CPU, nccl on CUDA. Collectives may
    wait for hours: rank 0 alone builds a training cache before the others start (usr.model.train)."""
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo", timeout=timedelta(hours=12))
        return True
    return False


def global_mean(terms: dict[str, Tensor], world: int) -> dict[str, float]:
    """Loss terms averaged over the processes (each holds the loss of its share of the batch)."""
    if world > 1:
        stacked = torch.stack(list(terms.values()))
        dist.all_reduce(stacked)
        terms = dict(zip(terms, stacked / world))
    return {k: float(v) for k, v in terms.items()}


def resume(path: Path, load: Callable[[Path], tuple[Model, dict]], new: Callable[[], Model]) -> tuple[Model, dict]:
    """The model and raw state of the checkpoint at `path` when it exists (the run continues from it), else `new()`
    and an empty state."""
    path = Path(path)
    if path.exists():
        return load(path)
    return new(), {}


@dataclass(frozen=True)
class Schedule:
    """Exponential decay from `lr` to `lr · end_factor` over `steps`: lr(step) = lr · γ^step, a function of the step
    alone (a resumed run continues the same curve). A parameter group's "lr_factor" (default 1) scales its rate."""

    lr: float
    end_factor: float
    steps: int

    @property
    def gamma(self) -> float:
        return self.end_factor ** (1.0 / max(self.steps, 1))

    def lr_at(self, step: int, factor: float = 1.0) -> float:
        return self.lr * factor * self.gamma**step

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> None:
        for group in optimizer.param_groups:
            group["lr"] = self.lr_at(step, group.get("lr_factor", 1.0))


Objective = Callable[[int], dict[str, Tensor]]  # step → loss terms of this process's share ("loss" is minimised)


@dataclass
class TrainingLoop:
    """What a trainer plugs in; `run` does the steps (see the module docstring)."""

    out: Path  # checkpoint file, resumed from when it exists; the log is <out>.log.jsonl beside it
    steps: int  # total optimisation steps of the run
    checkpoint_every: int
    optimizer: torch.optim.Optimizer
    schedule: Schedule
    objective: Objective
    validate: Callable[[], dict[str, float]]  # scores at a checkpoint (rank 0): logged, kept in the summary, shown
    save: Callable[[Path, int, dict], None]  # (path, steps done, log record) → checkpoint written atomically
    logged: Callable[[], dict[str, float]] = dict  # values of the model logged after the scores (not kept or shown)

    @property
    def log_path(self) -> Path:
        return Path(self.out).with_suffix(".log.jsonl")

    def run(self, state: dict | None = None, progress: Progress | None = None) -> dict:
        """Train from the step of `state` (a resumed checkpoint's raw state: its step and optimiser state) to
        `steps`. Returns {"steps", "seconds", last loss terms and scores}."""
        state = state or {}
        rank, world = process_group()
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        start = int(state.get("step", 0))
        t0, last = time.perf_counter(), {}
        for step in range(start, self.steps):
            self.schedule.apply(self.optimizer, step)
            terms = self.objective(step)
            self.optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            self.optimizer.step()
            last = global_mean({k: v.detach() for k, v in terms.items()}, world)
            done, scores = step + 1, {}
            if rank == 0 and (done % self.checkpoint_every == 0 or done == self.steps):
                scores = self.validate()
                record = {"step": done, "seconds": round(time.perf_counter() - t0, 1), **last, **scores,
                          **self.logged()}
                self.save(Path(self.out), done, record)
                with open(self.log_path, "a") as f:
                    f.write(json.dumps(record) + "\n")
                last.update(scores)
            if rank == 0:
                shown = " ".join(f"{k} {v:.3f}" for k, v in {"loss": last["loss"], **scores}.items())
                notify(progress, f"step {done}/{self.steps} {shown}", done / self.steps)
        if world > 1:
            dist.barrier()  # no process leaves (and tears down the group) while rank 0 still validates and saves
        return {"steps": self.steps, "seconds": time.perf_counter() - t0, **last}
