"""`usr batch`: good subjects done, broken ones reported with their reason, exit code 1, a re-run skips what is
complete; capture discovery; --fail-fast."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from apps.batch.jobs import plan_jobs
from data_tools.synth import SynthConfig, synthesize
from usr.io.nerfstudio import write_transforms
from usr.io.subject_folder import read_subject

FAST = ["--resolution", "48", "--views", "cam00,cam02,cam04"]


@pytest.fixture(scope="module")
def batch_input(tmp_path_factory) -> Path:
    """2 good subject folders, 1 transforms.json capture, 2 broken subjects (a missing image, a NaN camera),
    and a splits.json that is not a capture."""
    root = tmp_path_factory.mktemp("batch_in")
    synthesize(root, SynthConfig(subjects=2, views=6, size=80, seed=4343))
    write_transforms(read_subject(root / "subject_0001"), root / "as_transforms")
    missing = root / "broken_missing_image"
    shutil.copytree(root / "subject_0000", missing)
    next((missing / "images").glob("cam02.*")).unlink()
    nan = root / "broken_nan_camera"
    shutil.copytree(root / "subject_0000", nan)
    doc = json.loads((nan / "cameras.json").read_text())
    doc["cameras"][1]["K"][0][0] = float("nan")
    (nan / "cameras.json").write_text(json.dumps(doc))
    return root


def _batch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "apps.cli", "batch", *args], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def local_run(batch_input, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess, str]:
    """One local run of the whole input (2 workers), shared: its output folder, the finished process and the first
    report.json as written (a test that runs the batch again works on a copy of the folder)."""
    out = tmp_path_factory.mktemp("batch_local") / "out"
    run = _batch(str(batch_input), "--out", str(out), "--workers", "2", *FAST)
    return out, run, (out / "report.json").read_text()


def test_plan_finds_subject_folders_and_transforms_and_nothing_else(batch_input, tmp_path):
    names = [j.name for j in plan_jobs(batch_input, tmp_path / "out")]
    assert names == ["as_transforms", "broken_missing_image", "broken_nan_camera", "subject_0000", "subject_0001"]
    inside = plan_jobs(batch_input, batch_input / "subject_0000")  # OUT inside INPUT is not a capture of the batch
    assert "subject_0000" not in [j.name for j in inside]


def test_batch_goes_on_past_broken_subjects_and_resumes(batch_input, local_run, tmp_path):
    first, run, first_report = local_run
    assert run.returncode == 1, run.stderr
    report = json.loads(first_report)
    status = {row["name"]: row for row in report["subjects"]}
    assert {n: r["status"] for n, r in status.items()} == {
        "as_transforms": "done", "subject_0000": "done", "subject_0001": "done",
        "broken_missing_image": "failed", "broken_nan_camera": "failed"}
    assert "cam02" in status["broken_missing_image"]["reason"] and "images" in status["broken_missing_image"]["reason"]
    assert "cameras[1].K" in status["broken_nan_camera"]["reason"] and "non-finite" in status["broken_nan_camera"]["reason"]
    assert status["subject_0000"]["metrics"]["chamfer_cm"] > 0  # ground truth present: scored
    assert status["as_transforms"]["metrics"] == {}  # a transforms.json capture has none
    cores = os.cpu_count() or 1
    assert {status[n]["threads"] for n in ("subject_0000", "subject_0001")} == {max(1, cores // 2)}  # no oversubscription
    for name in ("as_transforms", "subject_0000", "subject_0001"):
        assert (first / name / "report.json").is_file() and (first / name / "layers.glb").is_file()
    assert not (first / "broken_nan_camera").exists()  # nothing half-written
    page = (first / "report.html").read_text()
    assert "subject_0000/preview.png" in page and "non-finite" in page
    assert "broken_missing_image" in run.stderr

    out = tmp_path / "out"  # the re-run works on a copy (modification times kept) of the shared run's folder
    shutil.copytree(first, out)
    stamp = (out / "subject_0000" / "report.json").stat().st_mtime_ns

    again = _batch(str(batch_input), "--out", str(out), "--workers", "2", *FAST)
    assert again.returncode == 1
    report = json.loads((out / "report.json").read_text())
    assert report["summary"] == {"done": 0, "skipped": 3, "failed": 2, "cancelled": 0}
    assert (out / "subject_0000" / "report.json").stat().st_mtime_ns == stamp  # not redone
    skipped = next(r for r in report["subjects"] if r["name"] == "subject_0000")
    assert skipped["metrics"]["chamfer_cm"] > 0  # the earlier run's scores are kept


def test_fail_fast_cancels_what_has_not_started(batch_input, tmp_path):
    run = _batch(str(batch_input), "--out", str(tmp_path / "out"), "--fail-fast", *FAST)
    assert run.returncode == 1
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    # one worker, sorted order: as_transforms is done, the first broken subject fails, the rest never start
    assert report["summary"] == {"done": 1, "skipped": 0, "failed": 1, "cancelled": 3}


def test_an_input_without_captures_is_a_clear_error(tmp_path):
    run = _batch(str(tmp_path), "--out", str(tmp_path / "out"))
    assert run.returncode == 2 and "no captures found" in run.stderr
    run = _batch(str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert run.returncode == 2 and "not found" in run.stderr


@pytest.fixture(scope="module", autouse=True)
def ray_head(tmp_path_factory):
    """A local Ray head (2 CPUs, no dashboard) for the Ray test, started in the background as the module begins (its
    start is mostly waiting, spent beside the local runs); afterwards its own processes are killed (`ray stop` would
    kill every Ray on the machine, another test run's too). (address, the starting process, its log), or None."""
    if importlib.util.find_spec("ray") is None:
        yield None
        return
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}
    temp = tmp_path_factory.mktemp("ray")
    log = temp.parent / "ray_start.log"
    with open(log, "w") as out:
        start = subprocess.Popen([str(Path(sys.executable).parent / "ray"), "start", "--head", f"--port={port}",
                                  "--num-cpus=2", "--include-dashboard=false", "--object-store-memory=100000000",
                                  "--disable-usage-stats", f"--temp-dir={temp}"], stdout=out, stderr=subprocess.STDOUT,
                                 env=env)
    yield f"127.0.0.1:{port}", start, log
    start.wait(timeout=180)
    _kill_cluster(temp, port)


def _kill_cluster(temp: Path, port: int) -> None:
    """Kill the processes of the cluster started in `temp` (each names the folder, or the head's port) and theirs."""
    import psutil

    ours = []
    for proc in psutil.process_iter(["cmdline"]):
        args = proc.info["cmdline"] or []
        if any(str(temp) in a for a in args) or any(a.startswith("--address=") and a.endswith(f":{port}") for a in args):
            with contextlib.suppress(psutil.NoSuchProcess):
                ours += [proc, *proc.children(recursive=True)]
    for proc in ours:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(ours, timeout=30)


@pytest.fixture(scope="module")
def ray_cluster(ray_head) -> str:
    """The Ray head's address, once it is up."""
    if ray_head is None:
        pytest.skip("could not import 'ray'")
    address, start, log = ray_head
    assert start.wait(timeout=180) == 0, log.read_text()[-3000:]
    return address


def test_ray_runs_the_same_subjects_with_the_same_results(batch_input, local_run, ray_cluster, tmp_path):
    local, local_process, local_report = local_run  # the same subjects run locally, with 2 workers
    assert local_process.returncode == 1
    remote = tmp_path / "ray"
    run = _batch(str(batch_input), "--out", str(remote), "--workers", "2", "--ray", ray_cluster, *FAST)
    assert run.returncode == 1, run.stderr
    rows = {}
    for out, text in ((local, local_report), (remote, (remote / "report.json").read_text())):
        report = json.loads(text)
        rows[out] = {r["name"]: {k: v for k, v in r.items() if k not in ("seconds",)} for r in report["subjects"]}
    assert rows[local] == rows[remote]  # statuses, reasons, layers, scores, threads
    for name, row in rows[local].items():
        if row["status"] == "done":
            for f in ("full.obj", "layers.glb", "face_labels.npy"):
                assert (local / name / f).read_bytes() == (remote / name / f).read_bytes(), (name, f)
    assert json.loads((remote / "report.json").read_text())["ray"] == ray_cluster


def test_fit_asks_for_layers_and_a_result_without_its_fit_is_not_complete(local_run, monkeypatch):
    from apps.batch.jobs import BatchJob, BatchSpec, fit_into, is_complete
    from usr.recon_spec import ReconSpec

    with pytest.raises(ValueError, match="--fit needs the layers"):
        BatchSpec(fit=True, recon=ReconSpec(layers=False))
    out, _, _ = local_run
    job = BatchJob("subject_0000", "unused", str(out / "subject_0000"))
    assert is_complete(job) and is_complete(job, BatchSpec())
    assert not is_complete(job, BatchSpec(fit=True))  # --fit redoes a result that has no smpl_d.npz yet

    def broken_fit(*args, **kwargs):
        raise RuntimeError("the optimiser diverged")

    monkeypatch.setattr("smpl_d.pipeline.fit_result", broken_fit)
    assert fit_into(out / "subject_0000", None) == ["body fit failed: the optimiser diverged"]
