"""`usr fed simulate` end to end on Flower's simulation runtime: studios train and evaluate, a broken studio is
left out without stopping the run, a run resumed from its round checkpoint reproduces the uninterrupted one, the
studios measure the final field's surface level (or, asked for none, leave the starting level), FedGC's generated
subjects are trained on.

Every simulate run starts Ray and its actors (~20 s), so each run is paid for once: the resumed run (uninterrupted,
interrupted after round 1, resumed) is SCAFFOLD's, the algorithm whose resume has the most to restore (the studios'
control variates besides the server's state), with the broken studio and the level; FedAvg runs once, on studios
with FedGC subjects, and its side of the round checkpoint (no variate) is checked in process. The level (~8 s more
per run) is measured only where a check reads it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import FED_WORK
from usr.training.checkpoint import load_checkpoint, surface_level

pytest.importorskip("flwr")
pytestmark = pytest.mark.slow


def _simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "apps.cli", "fed", "simulate", *FED_WORK, *args], capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def studios(fed_studios, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("studios")
    for k in (0, 1):
        (root / f"studio_{k}").symlink_to(fed_studios / f"studio_{k}", target_is_directory=True)
    (root / "studio_2").mkdir()  # a studio whose data folder holds no subjects: it fails every round
    return root


NO_LEVEL = ("--level-subjects", "0")


def test_scaffold_resumes_exactly_and_the_studios_measure_the_level(studios, tmp_path):
    """A studio without subjects is left out of every round while the run goes on; the studios keep their control
    variates per round in their state folder, so a run resumed from the round checkpoint reproduces the
    uninterrupted one; after the last round the studios measure the surface level (the empty one cannot)."""
    common = ["--studios", "3", "--local-steps", "2", "--data", str(studios), "--alg", "scaffold"]
    whole = _simulate(*common, "--rounds", "2", "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr[-3000:]
    history = json.loads((tmp_path / "whole" / "history.json").read_text())
    assert [r["round"] for r in history] == [1, 2]
    for record in history:  # the empty studio fails every round and is left out; the run goes on
        assert sorted(record["used"]) == ["studio_0", "studio_1"] and len(record["dropped"]) == 1
        assert 5 < record["val_psnr"] < 40 and 0 < record["val_iou"] <= 1
    assert "left out" in whole.stderr
    assert (tmp_path / "whole" / "field.pt").is_file()

    first = _simulate(*common, *NO_LEVEL, "--rounds", "1", "--out", str(tmp_path / "resumed"))  # "interrupted"
    assert first.returncode == 0, first.stderr[-3000:]
    second = _simulate(*common, "--rounds", "2", "--out", str(tmp_path / "resumed"))
    assert second.returncode == 0, second.stderr[-3000:]
    assert "round 1/2" not in second.stderr  # round 1 was not redone
    a = np.load(tmp_path / "whole" / "server_state.npz")
    b = np.load(tmp_path / "resumed" / "server_state.npz")
    assert int(b["rounds"]) == 2 and np.array_equal(a["weights"], b["weights"])
    assert np.array_equal(a["control"], b["control"]) and a["control"].any()  # the server's variate too
    # after the last round the studios measured the surface level on their own training subjects (fed.level)
    whole_level = json.loads((tmp_path / "whole" / "level.json").read_text())
    resumed_level = json.loads((tmp_path / "resumed" / "level.json").read_text())
    assert whole_level["round"] == resumed_level["round"] == 2
    assert whole_level["studios"] == ["studio_0: 1 subject", "studio_1: 1 subject"]  # the empty studio failed
    assert resumed_level["chamfer_cm_by_level"] == whole_level["chamfer_cm_by_level"]
    assert surface_level(load_checkpoint(tmp_path / "whole" / "field.pt")[1]) == whole_level["level"]
    assert f"surface level {whole_level['level']:+.3f}" in whole.stderr


def test_a_round_checkpoint_without_a_variate_resumes_without_one(tmp_path):
    """FedAvg's side of the server's round checkpoint (fed.server_app checkpoint/resume; SCAFFOLD's, with its
    variate, is resumed end to end above): the same weights, server-optimizer state and history, and no variate."""
    from fed.core.server_opt import ServerOptConfig, ServerOptimizer
    from fed.core.weights import load_vector, model_vector
    from fed.server_app import checkpoint, resume
    from fed.settings import FedSettings
    from fed.task import initial_field

    field, state = initial_field(FedSettings())
    start = model_vector(field).astype(np.float64)
    history = [{"round": 1, "used": ["studio_0", "studio_1"]}]
    for name, control in (("fedavg", None), ("scaffold", np.linspace(-1, 1, start.size))):
        optimizer = ServerOptimizer(ServerOptConfig("fedavgm", lr=0.5), start.size)
        load_vector(field, optimizer.step(start, np.full(start.size, 1e-3)))
        checkpoint(tmp_path / name, field, state, optimizer, control, history)
        again = ServerOptimizer(ServerOptConfig("fedavgm", lr=0.5), start.size)
        weights, resumed_control, resumed_history = resume(tmp_path / name, again, start.size)
        assert np.array_equal(weights, model_vector(field).astype(np.float64)) and not np.array_equal(weights, start)
        assert again.rounds == 1 and np.array_equal(again.m, optimizer.m) and resumed_history == history
        if control is None:
            assert resumed_control is None
        else:
            assert np.array_equal(resumed_control, control)


def test_fedavg_trains_on_fedgc_subjects_and_can_keep_the_starting_level(studios, tmp_path):
    import shutil

    data, out = tmp_path / "studios", tmp_path / "run"
    for k in (0, 1):
        shutil.copytree(studios / f"studio_{k}", data / f"studio_{k}")
    run = _simulate("--studios", "2", "--rounds", "1", "--local-steps", "2", "--data", str(data), "--alg", "fedavg",
                    *NO_LEVEL, "--fedgc", "1", "--fedgc-guidance", "prompt+real", "--out", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    record = json.loads((out / "history.json").read_text())[0]
    assert sorted(record["used"]) == ["studio_0", "studio_1"] and not record["dropped"]
    assert 5 < record["val_psnr"] < 40 and 0 < record["val_iou"] <= 1
    generated = sorted(p.name for p in data.glob("studio_*/gen_*"))
    assert record["generated_subjects"] == len(generated) == 2  # ratio 1: one per private training subject
    assert all(json.loads((p / "generated.json").read_text())["guidance"] == "prompt+real" for p in data.glob("*/gen_*"))
    assert "fedgc: studio_0: 1 private + 1 generated" in run.stderr
    # --level-subjects 0: nothing measured, the starting model's level stays
    assert not (out / "level.json").exists() and "surface level" not in run.stderr
    assert surface_level(load_checkpoint(out / "field.pt")[1]) == surface_level(load_checkpoint()[1])
