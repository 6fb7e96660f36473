"""usr swap / usr tryon on result folders, and their clear errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import trimesh
from typer.testing import CliRunner

from apps.cli import app
from smpl_d.backends import load_body_model
from smpl_d.collisions import inside_fraction
from smpl_d.store import load_fit
from tests.layered_results import layered_result, seed_with_upper
from usr.geometry.distance import MeshQuery
from usr.result import read_layers

runner = CliRunner()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("swap")
    a = layered_result(root / "A", seed_with_upper(40))
    b = layered_result(root / "B", seed_with_upper(60))
    return root, a, b


def _chamfer_cm(p: np.ndarray, q: np.ndarray) -> float:
    from scipy.spatial import cKDTree

    return float((cKDTree(q).query(p)[0].mean() + cKDTree(p).query(q)[0].mean()) / 2 * 100)


def test_swap_dresses_b_in_a_s_upper_and_back(results):
    root, a, b = results
    out = root / "AB"
    run = runner.invoke(app, ["swap", "--garment", f"{a}:upper", "--onto", str(b), "--out", str(out)])
    assert run.exit_code == 0, run.output
    layers, original = read_layers(out), read_layers(a)["upper"]
    assert "upper" in layers and "dress" not in layers
    assert np.array_equal(layers["upper"].colours, original.colours)  # texture carried vertex by vertex
    model = load_body_model("anny")
    body = load_fit(out).body_vertices(model)
    assert np.abs(body - load_fit(b).body_vertices(model)).max() < 1e-9  # B's body
    assert inside_fraction(layers["upper"].mesh.vertices, body, model.faces) == 0.0
    moved = np.abs(layers["upper"].mesh.vertices - original.mesh.vertices).max()
    assert moved > 0.01  # it really was refitted to another body
    scene = trimesh.load(out / "layers.glb")
    assert {"body", "upper"} <= set(scene.graph.nodes_geometry)
    back = root / "ABA"
    run = runner.invoke(app, ["swap", "--garment", f"{out}:upper", "--onto", str(a), "--out", str(back)])
    assert run.exit_code == 0, run.output
    assert _chamfer_cm(read_layers(back)["upper"].mesh.vertices, original.mesh.vertices) < 0.3


def test_tryon_follows_shape_and_pose(results):
    root, a, _ = results
    out = root / "AT"
    run = runner.invoke(app, ["tryon", "--garment", f"{a}:upper", "--shape", "weight=0.9,height=0.8",
                              "--pose", "t_pose", "--out", str(out)])
    assert run.exit_code == 0, run.output
    layers = read_layers(out)
    body = layers["body"].mesh
    upper = layers["upper"].mesh.vertices
    dist = MeshQuery(body.vertices, body.faces).signed_distance(upper)
    assert (dist >= 0).all() and np.median(dist) < 0.03  # on the new body, outside it, close to it
    assert upper[:, 0].max() - upper[:, 0].min() > 1.0  # sleeves out along T-posed arms
    fidelity = json.loads((out / "report.json").read_text())["garment_fit"]
    assert set(fidelity) == {"edge_change_median_pct", "edge_change_p99_pct", "clearance_change_p99_cm"}
    assert 0 < fidelity["edge_change_median_pct"] <= fidelity["edge_change_p99_pct"]
    assert 0 < fidelity["clearance_change_p99_cm"] < 10


def test_bad_requests_are_refused_clearly(results, tmp_path):
    root, a, b = results
    cases = [
        (["swap", "--garment", f"{a}:cape", "--onto", str(b), "--out", str(tmp_path / "x")], "unknown garment label"),
        (["swap", "--garment", f"{a}", "--onto", str(b), "--out", str(tmp_path / "x")], "RESULT_FOLDER:label"),
        (["tryon", "--garment", f"{a}:upper", "--shape", "weight=3", "--out", str(tmp_path / "x")], "0..1"),
        (["tryon", "--garment", f"{a}:upper", "--pose", "lotus", "--out", str(tmp_path / "x")], "lotus"),
    ]
    missing = next(n for n in ("dress", "outer", "lower") if n not in read_layers(a))
    cases.append((["swap", "--garment", f"{a}:{missing}", "--onto", str(b), "--out", str(tmp_path / "x")],
                  f"has no {missing} layer"))
    unfitted = tmp_path / "unfitted"  # no smpl_d.npz: a bad request must fail before fitting one
    shutil.copytree(a, unfitted)
    (unfitted / "smpl_d.npz").unlink()
    for command in ("swap", "tryon"):
        args = [command, "--garment", f"{unfitted}:{missing}", "--out", str(tmp_path / "x")]
        args += ["--onto", str(b)] if command == "swap" else ["--shape", "weight=0.2"]
        cases.append((args, f"unfitted has no {missing} layer"))
    cases.append((["tryon", "--garment", f"{unfitted}:upper", "--shape", "weight=3", "--out", str(tmp_path / "x")], "0..1"))
    bare = tmp_path / "bare"
    shutil.copytree(b, bare)
    shutil.rmtree(bare / "garments")
    cases.append((["swap", "--garment", f"{a}:upper", "--onto", str(bare), "--out", str(tmp_path / "x")], "has no layers"))
    other = tmp_path / "other_model"
    shutil.copytree(b, other)
    with np.load(other / "smpl_d.npz") as data:
        arrays = dict(data)
    np.savez(other / "smpl_d.npz", **{**arrays, "backend": np.array("smpl")})
    cases.append((["swap", "--garment", f"{a}:upper", "--onto", str(other), "--out", str(tmp_path / "x")],
                  "fitted with the smpl model"))
    for args, message in cases:
        run = runner.invoke(app, args)
        assert run.exit_code == 1, (args, run.output)
        assert message in run.output, (args, run.output)
        assert "fitting the body now" not in run.output, (args, run.output)
        assert not (tmp_path / "x").exists()
