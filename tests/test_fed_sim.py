"""`usr fed simulate` end to end on Flower's simulation runtime: studios train and evaluate, a broken studio is
left out without stopping the run, a run resumed from its round checkpoint reproduces the uninterrupted one, and the
studios measure the final field's surface level (or, asked for none, leave the starting level).

Every simulate run starts Ray and its actors (~15 s), and measuring the level costs ~8 s more, so a run measures it
only where a check reads it: FedAvg's; not SCAFFOLD's (the level is measured on the final weights, whatever the
algorithm), not the interrupted first half of a resumed run, not the FedGC run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import FED_WORK

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


@pytest.mark.parametrize("alg", ["fedavg", "scaffold"])
def test_federation_runs_drops_a_broken_studio_and_resumes_exactly(studios, tmp_path, alg):
    """SCAFFOLD too: the studios keep their control variates per round in their state folder."""
    common = ["--studios", "3", "--local-steps", "2", "--data", str(studios), "--alg", alg]
    level = () if alg == "fedavg" else NO_LEVEL
    whole = _simulate(*common, *level, "--rounds", "2", "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr[-3000:]
    history = json.loads((tmp_path / "whole" / "history.json").read_text())
    assert [r["round"] for r in history] == [1, 2]
    for record in history:
        assert sorted(record["used"]) == ["studio_0", "studio_1"] and len(record["dropped"]) == 1
        assert 5 < record["val_psnr"] < 40 and 0 < record["val_iou"] <= 1
    assert "left out" in whole.stderr
    assert (tmp_path / "whole" / "field.pt").is_file()

    first = _simulate(*common, *NO_LEVEL, "--rounds", "1", "--out", str(tmp_path / "resumed"))  # "interrupted"
    assert first.returncode == 0, first.stderr[-3000:]
    second = _simulate(*common, *level, "--rounds", "2", "--out", str(tmp_path / "resumed"))
    assert second.returncode == 0, second.stderr[-3000:]
    assert "round 1/2" not in second.stderr  # round 1 was not redone
    a = np.load(tmp_path / "whole" / "server_state.npz")
    b = np.load(tmp_path / "resumed" / "server_state.npz")
    assert int(b["rounds"]) == 2 and np.array_equal(a["weights"], b["weights"])
    from usr.training.checkpoint import load_checkpoint, surface_level

    if level:  # --level-subjects 0: nothing measured, the starting model's level stays
        assert not (tmp_path / "whole" / "level.json").exists() and "surface level" not in whole.stderr
        assert surface_level(load_checkpoint(tmp_path / "whole" / "field.pt")[1]) == surface_level(load_checkpoint()[1])
        return
    # after the last round the studios measured the surface level on their own training subjects (fed.level)
    whole_level = json.loads((tmp_path / "whole" / "level.json").read_text())
    resumed_level = json.loads((tmp_path / "resumed" / "level.json").read_text())
    assert whole_level["round"] == resumed_level["round"] == 2
    assert whole_level["studios"] == ["studio_0: 1 subject", "studio_1: 1 subject"]  # the empty studio failed
    assert resumed_level["chamfer_cm_by_level"] == whole_level["chamfer_cm_by_level"]
    assert surface_level(load_checkpoint(tmp_path / "whole" / "field.pt")[1]) == whole_level["level"]
    assert f"surface level {whole_level['level']:+.3f}" in whole.stderr


def test_fedgc_subjects_are_trained_on_and_never_evaluated(studios, tmp_path):
    import shutil

    data = tmp_path / "studios"
    for k in (0, 1):
        shutil.copytree(studios / f"studio_{k}", data / f"studio_{k}")
    run = _simulate("--studios", "2", "--rounds", "1", "--local-steps", "2", "--data", str(data), *NO_LEVEL,
                    "--fedgc", "1", "--fedgc-guidance", "prompt+real", "--out", str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr[-3000:]
    record = json.loads((tmp_path / "run" / "history.json").read_text())[0]
    generated = sorted(p.name for p in data.glob("studio_*/gen_*"))
    assert record["generated_subjects"] == len(generated) == 2  # ratio 1: one per private training subject
    assert all(json.loads((p / "generated.json").read_text())["guidance"] == "prompt+real" for p in data.glob("*/gen_*"))
    assert "fedgc: studio_0: 1 private + 1 generated" in run.stderr
