"""usr reconstruct + usr eval end to end with the embedded model, and clear errors for unusable input."""

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from apps.cli import app
from data_tools.synth import SynthConfig, synthesize
from usr.training.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint


@pytest.fixture(scope="module")
def subject(tmp_path_factory):
    out = tmp_path_factory.mktemp("recon") / "data"
    synthesize(out, SynthConfig(subjects=1, views=6, size=96, seed=4242))  # a seed never used in training
    return out / "subject_0000"


def test_embedded_checkpoint_loads_safely():
    assert DEFAULT_CHECKPOINT.is_file() and DEFAULT_CHECKPOINT.stat().st_size < 20e6
    field, state = load_checkpoint()
    assert state["step"] > 0 and field.encoder is not None


def test_reconstruct_then_eval(subject, tmp_path):
    out = tmp_path / "result"
    res = CliRunner().invoke(app, ["reconstruct", str(subject), "--out", str(out), "--views", "cam00,cam02,cam04",
                                   "--resolution", "64"])
    assert res.exit_code == 0, res.output
    assert {"full.ply", "full.obj", "report.json", "preview.png"} <= {p.name for p in out.iterdir()}
    res = CliRunner().invoke(app, ["eval", str(out), "--gt", str(subject), "--json"])
    assert res.exit_code == 0, res.output
    scores = json.loads(res.output)
    for key in ("chamfer_cm", "p2s_cm", "normal_consistency", "psnr", "ssim", "silhouette_iou", "views_used", "seconds"):
        assert key in scores
    assert scores["views_used"] == ["cam00", "cam02", "cam04"]
    assert scores["views_held_out"] == ["cam01", "cam03", "cam05"]
    assert 0 < scores["chamfer_cm"] < 15 and scores["silhouette_iou"] > 0.3  # a person, not noise


def test_unusable_input_gives_clear_errors(subject, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["reconstruct", str(subject), "--out", str(tmp_path / "a"), "--views", "cam00"])
    assert res.exit_code == 1 and "needs at least 2" in res.output
    res = runner.invoke(app, ["reconstruct", str(subject), "--out", str(tmp_path / "b"), "--views", "cam00,cam09"])
    assert res.exit_code == 1 and "no camera 'cam09'" in res.output
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(subject, broken)
    Image.fromarray(np.zeros((96, 96), np.uint8)).save(broken / "masks" / "cam02.png")
    res = runner.invoke(app, ["reconstruct", str(broken), "--out", str(tmp_path / "c"), "--views", "cam00,cam02,cam04"])
    assert res.exit_code == 1 and "masks/cam02.png" in res.output
    assert not (tmp_path / "c").exists()
