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
    assert {"full.ply", "full.obj", "report.json", "preview.png", "body.obj", "layers.glb",
            "face_labels.npy"} <= {p.name for p in out.iterdir()}
    assert "upper" in json.loads((out / "report.json").read_text())["scgs"]["layers"]
    assert (out / "garments" / "upper.obj").is_file()
    res = CliRunner().invoke(app, ["eval", str(out), "--gt", str(subject), "--json"])
    assert res.exit_code == 0, res.output
    scores = json.loads(res.output)
    for key in ("chamfer_cm", "p2s_cm", "normal_consistency", "psnr", "ssim", "silhouette_iou", "views_used", "seconds"):
        assert key in scores
    assert scores["views_used"] == ["cam00", "cam02", "cam04"]
    assert scores["views_held_out"] == ["cam01", "cam03", "cam05"]
    assert 0 < scores["chamfer_cm"] < 15 and scores["silhouette_iou"] > 0.3  # a person, not noise
    assert scores["label_accuracy"] > 0.5 and scores["garment_iou"]["upper"] > 0.3
    assert set(scores["garment_chamfer_cm"]) == set(scores["garment_iou"]) and scores["boundary_roughness"] >= 0


def test_separate_reruns_on_a_result_with_the_capture_labels(subject, tmp_path):
    out = tmp_path / "result"
    runner = CliRunner()
    res = runner.invoke(app, ["reconstruct", str(subject), "--out", str(out), "--views", "cam00,cam02,cam04",
                              "--resolution", "48", "--no-layers"])
    assert res.exit_code == 0, res.output
    assert not (out / "layers.glb").exists()
    res = runner.invoke(app, ["eval", str(out), "--gt", str(subject), "--json"])
    assert json.loads(res.output)["label_accuracy"] is None
    res = runner.invoke(app, ["separate", str(out), "--labels", "capture", "--thickness", "0.004"])
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    assert report["scgs"]["label_source"] == "capture" and (out / "layers.glb").is_file()
    import trimesh

    assert trimesh.load(out / "garments" / "upper.obj", process=False).is_watertight  # thickened into a shell
    res = runner.invoke(app, ["separate", str(tmp_path / "nothing")])
    assert res.exit_code == 1 and "full.ply" in res.output
    try:
        import segment_anything  # noqa: F401
    except ImportError:  # the main environment: a clear pointer to the SAM environment
        (tmp_path / "sam.pth").write_bytes(b"x")
        res = runner.invoke(app, ["separate", str(out), "--sam-checkpoint", str(tmp_path / "sam.pth")])
        assert res.exit_code == 1 and "segment-anything" in res.output


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


def test_capture_without_masks_gets_them_from_the_parser(subject, tmp_path):
    import shutil

    bare = tmp_path / "bare"
    shutil.copytree(subject, bare, ignore=shutil.ignore_patterns("masks"))
    out = tmp_path / "result"
    res = CliRunner().invoke(app, ["reconstruct", str(bare), "--out", str(out), "--views", "cam00,cam02,cam04",
                                   "--resolution", "48", "--no-layers"])
    assert res.exit_code == 0, res.output
    assert "person masks made by the garment parser" in res.output
    scores = json.loads(CliRunner().invoke(app, ["eval", str(out), "--gt", str(subject), "--json"]).output)
    assert scores["silhouette_iou"] > 0.3  # the parser's masks carve a person, scored against the true masks


def test_a_body_fit_is_passed_down_and_a_distrusted_one_is_left_out(subject):
    """The embedded model reads a body prior: a `body_fit` is called after the first look and its body used; one
    that returns None (smpl_d.prior.FittedBodyPrior when the fit disagrees with the body head) leaves the body out,
    with a warning, and the surface is the one without a body."""
    import torch

    from usr.io.subject_folder import read_subject
    from usr.model.predict import Predictor
    from usr.recon_spec import ReconSpec
    from usr.reconstruct import reconstruct_with_model

    capture, predictor = read_subject(subject), Predictor.load()
    assert predictor.model.config.body_prior
    spec = ReconSpec(views=("cam00", "cam02", "cam04"), resolution=48, layers=False)
    calls = []

    def far_body(pred, stack, hull, progress):  # a body 10 cm out everywhere: nothing like the person
        calls.append(stack.count)
        return lambda points: torch.full((len(points),), 0.1)

    plain = reconstruct_with_model(capture, predictor, spec)
    with_body = reconstruct_with_model(capture, predictor, spec, body_fit=far_body)
    left_out = reconstruct_with_model(capture, predictor, spec, body_fit=lambda *args: None)
    others = lambda r: [w for w in r.warnings if not w.startswith("silhouette fill")]  # noqa: E731 (a far body leaves gaps)
    assert calls == [3] and "body fit" in with_body.seconds and others(with_body) == others(plain)
    assert not np.array_equal(with_body.mesh.vertices, plain.mesh.vertices)  # the body was read
    assert any("body prior" in w for w in left_out.warnings)
    assert np.array_equal(left_out.mesh.vertices, plain.mesh.vertices)


def test_the_model_reads_its_label_and_body_heads_only_when_asked(subject):
    """SCGS's inputs from the model: its label head at every face (a distribution over the person's labels) and its
    body surface inside the clothed one; a reconstruction without layers skips them (no time spent)."""
    from usr.io.subject_folder import read_subject
    from usr.labels import BACKGROUND
    from usr.model.predict import Predictor
    from usr.recon_spec import ReconSpec
    from usr.reconstruct import reconstruct_with_model

    capture, predictor = read_subject(subject), Predictor.load()
    spec = ReconSpec(views=("cam00", "cam02", "cam04"), resolution=48, layers=False)
    rec = reconstruct_with_model(capture, predictor, spec)
    assert rec.label_probs.shape == (len(rec.mesh.faces), 8)
    assert np.allclose(rec.label_probs.sum(1), 1.0, atol=1e-4) and (rec.label_probs[:, BACKGROUND] == 0).all()
    assert rec.body_mesh is not None and rec.body_mesh.volume < rec.mesh.volume
    assert {"labels 3D", "body 3D"} <= set(rec.seconds)
    bare = reconstruct_with_model(capture, predictor, spec, heads=False)
    assert bare.label_probs is None and bare.body_mesh is None and "labels 3D" not in bare.seconds
