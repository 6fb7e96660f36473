"""One batch subject: where it comes from, where its result goes, and running it (in any process)."""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from usr.io.any_capture import capture_kind, find_captures
from usr.io.errors import CaptureError
from usr.progress import Progress
from usr.recon_spec import ReconSpec
from usr.settings import setting


@dataclass(frozen=True)
class BatchSpec:
    """What `usr batch` runs: every subject reconstructed as `recon` says (the `usr reconstruct` options), `workers`
    at a time, here or on a Ray cluster."""

    workers: int = setting(1, "Subjects reconstructed at once (the cores are shared out).", min=1)
    resume: bool = setting(True, "Skip subjects whose result is complete (default); --no-resume redoes them.")
    fail_fast: bool = setting(False, "Stop starting subjects after the first failure.", negatable=False)
    recon: ReconSpec = setting(ReconSpec())
    ray: str | None = setting(None, "Run the subjects as tasks on an existing Ray cluster: its address, or auto "
                                    "(INPUT and OUT on a filesystem every node sees).")
    fit: bool = setting(False, "Also fit the SMPL-D body (anny) under each result's layers (as `usr fit`), so "
                               "later swaps and try-ons start at once.", negatable=False)
    threads: int = setting(0, "Torch threads per worker (0: the cores shared out among the workers).", cli=False)

    def __post_init__(self) -> None:
        if self.fit and not self.recon.layers:
            raise ValueError("--fit needs the layers (the body is fitted under them): drop --no-layers")


@dataclass
class BatchJob:
    name: str  # the result folder's name under OUT
    capture: str  # subject folder or transforms.json
    result: str


@dataclass
class Outcome:
    name: str
    capture: str
    status: str  # done | failed | skipped (complete from an earlier run) | cancelled (--fail-fast)
    reason: str | None = None
    seconds: float = 0.0
    views: int = 0
    layers: list[str] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    threads: int = 0  # torch threads the subject ran with

    def to_json(self) -> dict:
        return asdict(self)


def cancelled(job: BatchJob) -> Outcome:
    return Outcome(job.name, job.capture, "cancelled", "--fail-fast: a subject failed before this one started")


def plan_jobs(source: Path, out: Path) -> list[BatchJob]:
    """Every capture under `source` (or `source` itself), each with a unique result folder under `out`."""
    out = Path(out).resolve()
    jobs, taken = [], set()
    for path in find_captures(source):
        if path.resolve() == out or out in path.resolve().parents:
            continue
        name = path.parent.name if path.is_file() and path.stem == "transforms" else path.stem if path.is_file() else path.name
        unique, k = name, 2
        while unique in taken:
            unique, k = f"{name}-{k}", k + 1
        taken.add(unique)
        jobs.append(BatchJob(unique, str(path), str(out / unique)))
    return jobs


def is_complete(job: BatchJob, spec: BatchSpec | None = None) -> bool:
    """The job's result is whole (and has its body fit when `spec` asks for one)."""
    from smpl_d.store import has_fit
    from usr.result import is_complete as result_is_complete

    done = result_is_complete(Path(job.result))
    return done and (spec is None or not spec.fit or has_fit(Path(job.result)))


def limit_threads(threads: int) -> None:
    """Keep torch (and OpenMP/BLAS) of this process to `threads` cores, so workers do not oversubscribe."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["MKL_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)


def run_job(job: BatchJob, spec: BatchSpec, progress: Progress | None = None) -> Outcome:
    """Reconstruct one capture into its result folder as `spec.recon` says; any error becomes a failed Outcome
    with its reason. `progress` follows this subject's reconstruction."""
    if spec.threads:
        limit_threads(spec.threads)  # before torch is imported in a fresh worker, so OpenMP honours it too
    from smpl_d.prior import body_fit_for
    from usr.pipeline import reconstruct_subject

    start = time.perf_counter()
    try:
        if spec.fit and spec.resume and is_complete(job):  # reconstructed earlier, only its body fit is missing
            from usr.result import read_report

            report = read_report(Path(job.result))
        else:
            report = reconstruct_subject(Path(job.capture), Path(job.result), spec.recon, progress,
                                         body_fit_for(spec.recon))
    except (CaptureError, FileNotFoundError, ValueError) as exc:
        return Outcome(job.name, job.capture, "failed", _one_line(exc), time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 — a batch goes on past one bad subject; the reason is kept
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = f"{type(exc).__name__}: {_one_line(exc)} (at {Path(where.filename).name}:{where.lineno})"
        return Outcome(job.name, job.capture, "failed", reason, time.perf_counter() - start)
    warnings = list(report.get("warnings", []))
    if spec.fit:
        warnings += fit_into(Path(job.result), progress)
    try:
        metrics = ground_truth_scores(job)
    except Exception as exc:  # noqa: BLE001 — the result stands; only its scores are missing
        metrics = {}
        warnings.append(f"scores against the ground truth failed: {_one_line(exc)}")
    import torch

    return Outcome(job.name, job.capture, "done", None, time.perf_counter() - start, len(report["views_used"]),
                   list(report.get("scgs", {}).get("layers", [])), metrics, warnings, torch.get_num_threads())


def fit_into(result: Path, progress: Progress | None) -> list[str]:
    """`usr fit` on a finished result; a failed fit leaves the result as it is and becomes a warning."""
    from smpl_d.backends import load_body_model
    from smpl_d.pipeline import fit_result

    try:
        fit_result(result, load_body_model("anny"), progress=progress)
    except Exception as exc:  # noqa: BLE001 — the reconstruction stands without its body fit
        return [f"body fit failed: {_one_line(exc)}"]
    return []


def ground_truth_scores(job: BatchJob) -> dict:
    """Scores against the capture's ground truth when it has one (synthetic subjects), else {}."""
    capture = Path(job.capture)
    if capture_kind(capture) != "subject" or not (capture / "gt").is_dir():
        return {}
    from usr.evaluate import evaluate

    scores = evaluate(Path(job.result), capture, samples=5000)
    keep = ("chamfer_cm", "p2s_cm", "normal_consistency", "psnr", "ssim", "silhouette_iou", "label_accuracy")
    return {k: scores[k] for k in keep if isinstance(scores.get(k), float)}


def earlier_outcome(job: BatchJob, previous: dict[str, dict]) -> Outcome:
    """A complete result from an earlier run, as that run's report recorded it (or as its result says)."""
    row = previous.get(job.name)
    if row and row.get("status") in ("done", "skipped"):
        fields = {k: row[k] for k in Outcome.__dataclass_fields__ if k in row}
        return Outcome(**{**fields, "status": "skipped", "reason": "complete from an earlier run"})
    from usr.result import read_report

    report = read_report(Path(job.result))
    return Outcome(job.name, job.capture, "skipped", "complete from an earlier run",
                   float(report.get("seconds", {}).get("total", 0.0)), len(report.get("views_used", [])),
                   list(report.get("scgs", {}).get("layers", [])))


def _one_line(exc: BaseException) -> str:
    text = " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text[:600] or type(exc).__name__
