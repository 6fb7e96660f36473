"""Run batch jobs as tasks on an existing Ray cluster (`usr batch --ray ADDRESS|auto`).

Each subject is one task asking for `threads` CPUs and running the same `run_job` as a local worker, so results
and outcomes are the ones a local run gives. Every node needs this package installed, and INPUT and OUT must be
on a filesystem all nodes see (the tasks read captures and write result folders by path).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from apps.batch.jobs import BatchJob, BatchOptions, Outcome, cancelled
from apps.batch.local import Progress, threads_per_worker


def _task(job: BatchJob, options: BatchOptions, events) -> Outcome:
    from apps.batch.jobs import run_job

    tell = lambda name, fraction, stage: events.put_nowait((name, fraction, stage))  # noqa: E731
    return run_job(job, options, tell)


def run_ray(jobs: list[BatchJob], options: BatchOptions, address: str, workers: int = 1,
            progress: Progress | None = None, fail_fast: bool = False) -> Iterator[Outcome]:
    """Yield one Outcome per job as the cluster finishes them (at most `workers` at once)."""
    try:
        import ray
        from ray.util.queue import Empty, Queue
    except ImportError:
        raise RuntimeError("--ray needs Ray: pip install -e '.[fed]' (it comes with Flower's simulation extra)") from None
    options = replace(options, threads=options.threads or threads_per_worker(workers))
    try:
        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RuntimeError(f"--ray {address}: cannot connect to a Ray cluster ({exc})") from None
    try:
        task = ray.remote(num_cpus=options.threads, max_retries=0)(_task)
        events = Queue()
        pending, running, stop = list(jobs), {}, False
        while pending or running:
            while pending and len(running) < workers and not stop:
                job = pending.pop(0)
                running[task.remote(job, options, events)] = job
            if not running:
                break
            done, _ = ray.wait(list(running), num_returns=1, timeout=0.2)
            while True:
                try:
                    name, fraction, stage = events.get_nowait()
                except Empty:
                    break
                if progress is not None:
                    progress(name, fraction, stage)
            for ref in done:
                job = running.pop(ref)
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 — a dead worker or node fails its subject only
                    outcome = Outcome(job.name, job.capture, "failed", f"Ray task failed: {type(exc).__name__}: {exc}"[:600])
                yield outcome
                stop = stop or (fail_fast and outcome.status == "failed")
        yield from (cancelled(j) for j in pending)
    finally:
        ray.shutdown()
