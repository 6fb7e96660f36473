"""Run batch jobs on this machine: a pool of worker processes (spawned, each with its share of the cores),
progress events sent back over a queue, outcomes in the order subjects finish."""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_module
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from apps.batch.jobs import BatchJob, BatchOptions, Outcome, cancelled, run_job

Progress = Callable[[str, float, str], None]  # (subject, fraction, stage)


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))


def _report_to(events) -> Progress:
    return lambda name, fraction, stage: events.put((name, fraction, stage))


def _work(job: BatchJob, options: BatchOptions, events) -> Outcome:
    return run_job(job, options, _report_to(events))


def run_local(jobs: list[BatchJob], options: BatchOptions, workers: int = 1, progress: Progress | None = None,
              fail_fast: bool = False) -> Iterator[Outcome]:
    """Yield one Outcome per job as they finish. With `fail_fast`, jobs not started after the first failure are
    yielded as cancelled. A worker that dies (out of memory …) fails its job; the others go on in a new pool."""
    options = replace(options, threads=options.threads or threads_per_worker(workers))
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
                        running[pool.submit(_work, pending[0], options, events)] = pending[0]
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
                        stop = stop or (fail_fast and outcome.status == "failed")
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


def _drain(events, progress: Progress | None) -> None:
    while True:
        try:
            name, fraction, stage = events.get_nowait()
        except (queue_module.Empty, OSError, EOFError):
            return
        if progress is not None:
            progress(name, fraction, stage)
