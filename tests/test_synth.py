"""`usr data synth`: deterministic files, resumable after a kill, renders consistent with ground truth."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from apps.cli import app
from data_tools.synth import SynthConfig, splits, synthesize
from tests.conftest import REPO
from usr import labels as L
from usr.geometry.distance import MeshQuery
from usr.io.meshes import load_mesh
from usr.io.subject_folder import read_subject
from usr.io.validate import subject_problems


def checksums(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "run"
    synthesize(out, SynthConfig(subjects=3, views=4, size=96, seed=7))
    return out


def test_same_seed_gives_identical_files(small_run, tmp_path):
    again = tmp_path / "again"
    synthesize(again, SynthConfig(subjects=3, views=4, size=96, seed=7))
    a, b = checksums(small_run), checksums(again)
    assert len(a) > 3 * 30 and a == b


def test_subjects_are_valid_and_split(small_run):
    for name in ("subject_0000", "subject_0001", "subject_0002"):
        assert subject_problems(small_run / name) == []
    assert splits([f"s{i}" for i in range(10)]) == {"train": [f"s{i}" for i in range(8)], "val": ["s8"], "test": ["s9"]}
    assert (small_run / "splits.json").exists()


def test_labelled_pixels_hit_the_ground_truth_mesh_of_their_label(small_run):
    hits = total = depth_ok = 0
    for name in ("subject_0000", "subject_0001"):
        cap = read_subject(small_run / name)
        gt = cap.ground_truth
        queries = {L.SKIN: MeshQuery(*_vf(load_mesh(gt.body)))}
        queries.update({L.label_id(k): MeshQuery(*_vf(load_mesh(p))) for k, p in gt.garments.items()})
        for cam, label, depth in zip(cap.cameras, cap.labels, cap.extras["depth"]):
            vs, us = np.nonzero(label)
            o, d = cam.pixel_rays(np.stack([us, vs], 1).astype(float))
            for lab in np.unique(label[vs, us]):
                sel = label[vs, us] == lab
                t = queries[int(lab)].cast(o[sel], d[sel])["t_hit"]
                hit = np.isfinite(t)
                hits += int(hit.sum())
                total += int(sel.sum())
                z = t[hit] * (d[sel][hit] @ cam.R[2])
                depth_ok += int((np.abs(z - depth[vs[sel][hit], us[sel][hit]]) < 0.002).sum())
    assert total > 2000
    assert hits / total >= 0.99, f"only {hits}/{total} labelled pixels hit their label's mesh"
    assert depth_ok / hits >= 0.99


def _vf(mesh):
    return np.asarray(mesh.vertices), np.asarray(mesh.faces)


def test_full_surface_labels_and_meta(small_run):
    cap = read_subject(small_run / "subject_0000")
    full = load_mesh(cap.ground_truth.full)
    labels = cap.ground_truth.face_labels()
    assert len(labels) == len(full.faces)
    names = {g["label"] for g in cap.ground_truth.meta["garments"]}
    assert set(np.unique(labels)) == {L.SKIN} | {L.label_id(n) for n in names} - _fully_hidden(cap)
    assert cap.ground_truth.meta["seed"] and cap.ground_truth.meta["body"]["phenotypes"]


def _fully_hidden(cap):
    """Labels whose garment is entirely under another (e.g. a shirt under a closed jacket)."""
    labels = set(np.unique(cap.ground_truth.face_labels()))
    return {L.label_id(g["label"]) for g in cap.ground_truth.meta["garments"]} - labels


def test_interrupted_write_leaves_no_partial_subject(tmp_path, monkeypatch):
    import data_tools.synth as synth

    real = synth.write_synthetic_subject
    calls = []

    def failing(folder, *args):
        calls.append(folder)
        if len(calls) == 2:
            (folder / "images").mkdir(exist_ok=True)
            raise KeyboardInterrupt  # as if Ctrl-C arrived while writing the second subject
        real(folder, *args)

    monkeypatch.setattr(synth, "write_synthetic_subject", failing)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        synthesize(out, SynthConfig(subjects=3, views=2, size=48, seed=1))
    assert sorted(p.name for p in out.iterdir()) == ["subject_0000", "synth.json"]
    monkeypatch.setattr(synth, "write_synthetic_subject", real)
    heard = []
    summary = synthesize(out, SynthConfig(subjects=3, views=2, size=48, seed=1), lambda *a: heard.append(a))
    assert summary == {"out": str(out), "subjects": 3, "generated": 2, "skipped": 1}
    assert heard == [("subject_0000 (already done)", 1 / 3), ("subject_0001", 2 / 3), ("subject_0002", 1.0)]


def test_killed_run_resumes_to_the_same_files(small_run, tmp_path):
    """`usr data synth` killed mid-run, then run again: the files of an uninterrupted run of the same settings
    (small_run's, made through the library: the command's defaults are SynthConfig's)."""
    args = ["--subjects", "3", "--views", "4", "--size", "96", "--seed", "7"]
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "apps.cli", "data", "synth", "--out", str(out), *args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while not (out / "subject_0000").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "splits.json").exists() or (out / "subject_0002").exists()
    res = CliRunner().invoke(app, ["data", "synth", "--out", str(out), *args])
    assert res.exit_code == 0, res.output
    assert checksums(out) == checksums(small_run)


def test_resume_refuses_other_settings(small_run):
    with pytest.raises(ValueError, match="other settings"):
        synthesize(small_run, SynthConfig(subjects=3, views=4, size=128, seed=7))


def test_cli_rejects_bad_options(tmp_path):
    res = CliRunner().invoke(app, ["data", "synth", "--out", str(tmp_path), "--rig", "dome"])
    assert res.exit_code != 0 and "unknown rig 'dome'" in res.output
