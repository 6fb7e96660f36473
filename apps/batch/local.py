"""Run batch jobs on this machine: a pool of worker processes (spawned, each with its share of the cores),
progress events sent back over a queue, outcomes in the order subjects finish."""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
import queue as queue_module
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from apps.batch.jobs import BatchJob, BatchSpec, Outcome, cancelled, run_job
from usr.progress import Progress, Throttled

SubjectProgress = Callable[[str], Progress]  # a subject's name → the progress(stage, fraction) of its bar


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))


def with_threads(spec: BatchSpec) -> BatchSpec:
    """`spec` with its torch threads per worker set (the cores shared out among the workers unless given)."""
    return replace(spec, threads=spec.threads or threads_per_worker(spec.workers))


def send_progress(put: Callable[[tuple], None], name: str, stage: str, fraction: float) -> None:
    """A subject's progress as an event (name, stage, fraction) for the process that draws the bars."""
    put((name, stage, fraction))


def _work(job: BatchJob, spec: BatchSpec, events) -> Outcome:
    return run_job(job, spec, Throttled(functools.partial(send_progress, events.put, job.name)))


def run_local(jobs: list[BatchJob], spec: BatchSpec, progress: SubjectProgress | None = None) -> Iterator[Outcome]:
    """Yield one Outcome per job as they finish, `spec.workers` at a time. With `spec.fail_fast`, jobs not started
    after the first failure are yielded as cancelled. A worker that dies (out of memory …) fails its job; the others
    go on in a new pool. `progress(name)` is the progress of subject `name`."""
    spec = with_threads(spec)
    workers = spec.workers
    pending = list(jobs)
    context = mp.get_context("spawn")  # fork after torch/open3d have started threads is unsafe
    with context.Manager() as manager:
        events = manager.Queue()
        while pending:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)  # run_job limits each one's threads
            running: dict[Future, BatchJob] = {}
            stop = False
            try:
                while pending or running:
                    while pending and len(running) < workers and not stop:
                        running[pool.submit(_work, pending[0], spec, events)] = pending[0]
                        pending.pop(0)
                    if stop and not running:
                        break
                    done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
                    _drain(events, progress)
                    for future in done:
                        job = running.pop(future)
                        try:
                            outcome = future.result()
                        except BrokenProcessPool as exc:
                            outcome = Outcome(job.name, job.capture, "failed", f"worker process died ({exc})")
                        yield outcome
                        stop = stop or (spec.fail_fast and outcome.status == "failed")
                if stop:
                    yield from (cancelled(j) for j in pending)
                    pending = []
            except BrokenProcessPool:
                # the pool is unusable: jobs still marked running failed with it; the rest start in a new pool
                for future, job in running.items():
                    yield Outcome(job.name, job.capture, "failed", "worker process died")
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        _drain(events, progress)


def _drain(events, progress: SubjectProgress | None) -> None:
    while True:
        try:
            name, stage, fraction = events.get_nowait()
        except (queue_module.Empty, OSError, EOFError):
            return
        if progress is not None:
            progress(name)(stage, fraction)
