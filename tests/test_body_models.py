"""The body-model interface: anny and SMPL (smplx) back-ends agree on the same skinning data; clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from smpl_d.anny_backend import AnnyBody
from smpl_d.backends import load_body_model
from smpl_d.body_model import BodyParams
from tests.smpl_fixture import anny_pose_for_smpl, kept_order, write_smpl_npz_from_anny

SHAPE = np.array([0.3, 0.6, 0.4, 0.7, 0.55, 0.45])


@pytest.fixture(scope="module")
def anny() -> AnnyBody:
    return load_body_model("anny")


@pytest.fixture(scope="module")
def smpl_file(tmp_path_factory, anny):
    path = tmp_path_factory.mktemp("smpl") / "SMPL_NEUTRAL.npz"
    kept = write_smpl_npz_from_anny(path, anny, SHAPE)
    return path, kept


def test_anny_and_smplx_give_the_same_lbs(anny, smpl_file):
    pytest.importorskip("smplx")
    path, kept = smpl_file
    smpl = load_body_model("smpl", path.parent)
    assert len(smpl.joint_names) == 24 and smpl.vertex_count == anny.vertex_count
    rng = np.random.default_rng(3)
    rest = smpl.posed(smpl.default_params()).vertices
    for scale in (0.3, 0.6):
        smpl_pose = rng.normal(0.0, scale, (24, 3))
        anny_pose, translation = anny_pose_for_smpl(anny, SHAPE, smpl_pose, kept)
        va = anny.posed(BodyParams("anny", SHAPE, anny_pose, np.zeros(3), np.zeros(3))).vertices
        vs = smpl.posed(BodyParams("smpl", np.zeros(10), smpl_pose, np.zeros(3), translation)).vertices
        assert np.abs(vs - rest).max() > 0.2  # the pose really moves the body
        assert np.abs(va - vs).max() < 1e-6


def test_smplx_global_rotation_and_translation_are_the_interfaces(anny, smpl_file):
    pytest.importorskip("smplx")
    path, _ = smpl_file
    smpl = load_body_model("smpl", path)
    base = smpl.posed(smpl.default_params()).vertices
    params = smpl.default_params()
    params.global_rotation = np.array([0.0, np.pi / 2, 0.0])
    params.translation = np.array([0.1, 0.2, 0.3])
    turned = smpl.posed(params).vertices
    expected = base @ np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]]).T + params.translation
    assert np.abs(turned - expected).max() < 1e-9


def test_anny_forward_is_differentiable_in_shape_and_pose(anny):
    shape = torch.tensor(SHAPE, requires_grad=True)
    pose = torch.zeros(len(anny.joint_names), 3, dtype=torch.float64, requires_grad=True)
    v, _ = anny.forward(shape, pose, torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    v[:, 1].max().backward()  # the top of the head
    assert shape.grad[4] > 0  # the height phenotype raises it
    assert torch.isfinite(pose.grad).all() and pose.grad.abs().sum() > 0


def test_bad_body_model_requests_are_refused(anny, tmp_path):
    with pytest.raises(ValueError, match="unknown body model"):
        load_body_model("star")
    with pytest.raises(ValueError, match="--model-path"):
        load_body_model("smplx")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_body_model("smpl", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="SMPL_NEUTRAL"):
        load_body_model("smpl", tmp_path)
    (tmp_path / "SMPL_NEUTRAL.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="SMPL_NEUTRAL.npz"):
        load_body_model("smpl", tmp_path / "SMPL_NEUTRAL.npz")
    params = anny.default_params()
    params.backend = "smpl"
    with pytest.raises(ValueError, match="'smpl' body model"):
        anny.posed(params)
    with pytest.raises(ValueError, match="non-finite"):
        BodyParams("anny", [np.nan] * 6, np.zeros((104, 3)), np.zeros(3), np.zeros(3))
    assert kept_order(anny)[0] == anny.joint_index("root")


def test_what_fit_and_tryon_ask_of_either_back_end(anny, smpl_file):
    """The fit and try-on never ask which back-end they hold: each model answers for itself."""
    pytest.importorskip("smplx")
    smpl = load_body_model("smpl", smpl_file[0])
    # anny: 12 fitted bones, knees and elbows are hinges, phenotypes 0..1 are optimised as logits, arm presets
    assert [anny.joint_names[j] for j in anny.fit_joints][:4] == ["spine01", "spine03", "neck01", "head"]
    assert set(anny.hinge_axes) == {"lowerleg01.L", "lowerleg01.R", "lowerarm01.L", "lowerarm01.R"}
    assert all(abs(np.linalg.norm(a) - 1) < 1e-12 for a in anny.hinge_axes.values())
    shape = torch.as_tensor(SHAPE)
    assert torch.allclose(anny.shape_from_free(anny.shape_to_free(shape)), shape)
    assert not torch.equal(anny.shape_to_free(shape), shape)
    t_pose = anny.preset_pose("t_pose")
    assert t_pose.shape == (len(anny.joint_names), 3) and np.abs(t_pose).max() > 0.5
    assert not anny.preset_pose("rest").any()
    assert np.allclose(anny.shape_from_text("weight=0.8"), [0.5, 0.5, 0.5, 0.8, 0.5, 0.5])
    with pytest.raises(ValueError, match="0..1"):
        anny.shape_from_text("weight=3")
    # SMPL: the 21 body joints, ball joints only, betas optimised as they are, only the rest preset
    assert smpl.fit_joints == list(range(1, 22)) and not smpl.hinge_axes
    assert torch.equal(smpl.shape_to_free(torch.ones(10)), torch.ones(10))
    assert smpl.pose_presets == ("rest",) and not smpl.preset_pose("rest").any()
    with pytest.raises(ValueError, match="only the rest pose preset"):
        smpl.preset_pose("t_pose")
    assert list(smpl.shape_from_text("0.5,-1")) == [0.5, -1.0] + [0.0] * 8
    with pytest.raises(ValueError, match="betas"):
        smpl.shape_from_text("1," * 11 + "1")
