"""`usr eval --json` scores a fitted body against the subject's true body when both share the body model."""

from __future__ import annotations

import json

import numpy as np
import trimesh
from typer.testing import CliRunner

from apps.cli import app
from data_tools.synth import SynthConfig, synthesize
from usr.io.meshes import load_mesh
from usr.io.subject_folder import read_subject
from usr.result import ResultLayers, write_result
from usr.scgs.layers import Layer, build_layers


def test_eval_reports_the_fitted_body_error(tmp_path):
    synthesize(tmp_path / "in", SynthConfig(subjects=1, views=4, size=64, seed=5))
    subject = tmp_path / "in" / "subject_0000"
    gt = read_subject(subject).ground_truth
    clothed, labels = load_mesh(gt.full), gt.face_labels().astype(np.uint8)
    clothed = trimesh.Trimesh(clothed.vertices, clothed.faces, process=False)
    truth = load_mesh(gt.body)
    colours = np.full((len(clothed.vertices), 3), 128, np.uint8)

    def result(name: str, shift: float, fitted: bool):
        body = trimesh.Trimesh(truth.vertices + [shift, 0.0, 0.0], truth.faces, process=False)
        report = {"views_used": ["cam00"], **({"smpl_d": {"source": "body head"}} if fitted else {})}
        garments = build_layers(clothed, colours, labels)[1:]
        body_layer = Layer("body", body, np.full((len(body.vertices), 3), 200, np.uint8))
        write_result(tmp_path / name, clothed, colours, report, layers=ResultLayers([body_layer, *garments], labels))
        run = CliRunner().invoke(app, ["eval", str(tmp_path / name), "--gt", str(subject), "--json"])
        assert run.exit_code == 0, run.output
        return json.loads(run.output[run.output.index("{"):])

    height = truth.vertices[:, 1].max() - truth.vertices[:, 1].min()
    scores = result("fitted", 0.01, True)
    assert abs(scores["body_error_cm"] - 1.0 * 1.8 / height) < 0.05  # 1 cm everywhere, scaled to 1.8 m
    assert abs(scores["body_error_under_clothes_cm"] - 1.0 * 1.8 / height) < 0.05
    assert result("placeholder", 0.01, False)["body_error_cm"] is None  # no fitted body: no body score
