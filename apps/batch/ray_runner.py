"""Run batch jobs as tasks on an existing Ray cluster (`usr batch --ray ADDRESS|auto`).

Each subject is one task asking for `threads` CPUs and running the same `run_job` as a local worker, so results
and outcomes are the ones a local run gives. Every node needs this package installed, and INPUT and OUT must be
on a filesystem all nodes see (the tasks read captures and write result folders by path).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from apps.batch.jobs import BatchJob, BatchSpec, Outcome, cancelled, run_job
from apps.batch.local import SubjectProgress, send_progress, with_threads
from usr.progress import Throttled


def _task(job: BatchJob, spec: BatchSpec, events) -> Outcome:
    return run_job(job, spec, Throttled(functools.partial(send_progress, events.put_nowait, job.name)))


def run_ray(jobs: list[BatchJob], spec: BatchSpec, progress: SubjectProgress | None = None) -> Iterator[Outcome]:
    """Yield one Outcome per job as the cluster at `spec.ray` finishes them (at most `spec.workers` at once)."""
    address, workers = spec.ray, spec.workers
    try:
        import ray
        from ray.util.queue import Empty, Queue
    except ImportError:
        raise RuntimeError("--ray needs Ray: pip install -e '.[fed]' (it comes with Flower's simulation extra)") from None
    spec = with_threads(spec)
    try:
        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RuntimeError(f"--ray {address}: cannot connect to a Ray cluster ({exc})") from None
    try:
        task = ray.remote(num_cpus=spec.threads, max_retries=0)(_task)
        events = Queue()
        pending, running, stop = list(jobs), {}, False
        while pending or running:
            while pending and len(running) < workers and not stop:
                job = pending.pop(0)
                running[task.remote(job, spec, events)] = job
            if not running:
                break
            done, _ = ray.wait(list(running), num_returns=1, timeout=0.2)
            while True:
                try:
                    name, stage, fraction = events.get_nowait()
                except Empty:
                    break
                if progress is not None:
                    progress(name)(stage, fraction)
            for ref in done:
                job = running.pop(ref)
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 — a dead worker or node fails its subject only
                    outcome = Outcome(job.name, job.capture, "failed", f"Ray task failed: {type(exc).__name__}: {exc}"[:600])
                yield outcome
                stop = stop or (spec.fail_fast and outcome.status == "failed")
        yield from (cancelled(j) for j in pending)
    finally:
        ray.shutdown()
