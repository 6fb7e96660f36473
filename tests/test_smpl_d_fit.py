"""usr fit: the body found under the clothes of a labelled clothed surface, written into the result folder."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from typer.testing import CliRunner

import smpl_d.fit
from apps.cli import app
from data_tools.subject import clothed_surface, make_subject
from smpl_d.backends import load_body_model
from smpl_d.metrics import body_vertex_error
from smpl_d.store import load_fit
from tests.layered_results import layered_result, true_fit
from usr.result import read_layers

# the default fit's whole search (4 facings × 3 start poses), with half its optimiser steps: 1.5 cm under the clothes
# here (the default: 1.4 cm) in half the time
HALF_STEPS = dict(steps_global=12, steps_start_pose=13, steps_pose=75, steps_shape=75)


@pytest.mark.slow
def test_usr_fit_finds_the_body_under_the_clothes(tmp_path, monkeypatch):
    seed = 23
    result = layered_result(tmp_path / "r", seed, with_fit=False, pose_kinds=("relaxed",))
    garments_before = {n: layer.mesh.vertices.copy() for n, layer in read_layers(result).items() if n != "body"}
    monkeypatch.setattr(smpl_d.fit, "FitConfig", functools.partial(smpl_d.fit.FitConfig, **HALF_STEPS))
    run = CliRunner().invoke(app, ["fit", str(result)])
    assert run.exit_code == 0, run.output
    model = load_body_model("anny")
    fit = load_fit(result)
    subject = make_subject(f"s{seed}", seed, ("relaxed",))
    surface = clothed_surface(subject)
    import trimesh

    clothed = trimesh.Trimesh(surface.vertices, surface.faces, process=False)
    error = body_vertex_error(model.posed(fit.params).vertices, subject.body.vertices, clothed, surface.face_labels)
    assert error["under_clothes_error_cm"] < 3.0, error
    truth = true_fit(subject).params.global_rotation[1]
    assert abs(fit.params.global_rotation[1] - truth) < np.radians(15)  # facing found
    layers = read_layers(result)
    assert len(layers["body"].mesh.vertices) == model.vertex_count  # the placeholder was replaced
    for name, vertices in garments_before.items():
        assert np.array_equal(layers[name].mesh.vertices, vertices)
    assert not list(tmp_path.glob(".r.tmp-*"))


@pytest.mark.slow
def test_usr_fit_uses_the_model_s_body_estimate_and_finds_a_body_facing_backwards(tmp_path):
    """A result whose body layer is the body head's (here the true body, 5 mm in and turned 180° with everything):
    `usr fit` fits to it, faces the right way, and stays close to the body under the clothes."""
    import trimesh
    from scipy.spatial.transform import Rotation

    from tests.layered_results import layered_result_with_body_head

    seed = 31
    turn = Rotation.from_euler("y", 180, degrees=True).as_matrix()
    result, subject, clothed, labels = layered_result_with_body_head(tmp_path / "r", seed, turn)
    run = CliRunner().invoke(app, ["fit", str(result)])
    assert run.exit_code == 0, run.output
    assert "fitted to the model's body estimate" in run.output
    model = load_body_model("anny")
    fit = load_fit(result)
    truth = subject.body.vertices @ turn.T
    error = body_vertex_error(model.posed(fit.params).vertices, truth, trimesh.Trimesh(clothed.vertices, clothed.faces),
                              labels)
    assert error["under_clothes_error_cm"] < 2.5, error
    facing = model.posed(fit.params).vertices[:, 2].mean() - truth[:, 2].mean()
    assert abs(facing) < 0.02
    nose = np.argmax(subject.body.vertices @ turn.T @ np.array([0, 0, -1.0]))  # the turned body's front-most vertex
    assert np.linalg.norm(model.posed(fit.params).vertices[nose] - truth[nose]) < 0.05  # not the back of the head
