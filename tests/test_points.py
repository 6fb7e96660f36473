"""Training data v2: exact point supervision (data_tools/points.py), training rigs (data_tools/rigs.py train_rig),
photo-like images and the garment sets (`usr data synth --points --rig train --photo --garment-set`)."""

import dataclasses
import json

import numpy as np
import pytest
import trimesh

from data_tools.garments.makehuman import EVAL_ASSETS, GarmentAsset, select_assets
from data_tools.points import PointSpec, sample_points
from usr.io.points_file import KINDS, read_points, write_points
from data_tools.rigs import TrainRigSpec, train_rig
from data_tools.synth import SynthConfig, synthesize
from usr.io.images import read_image

HALF = np.array([0.3, 0.5, 0.2])  # the clothed stand-in: a box, its SDF known exactly
SIDES = [(axis, sign) for axis in range(3) for sign in (-1, 1)]  # box side k gets label k + 1


def box_sdf(p: np.ndarray) -> np.ndarray:
    q = np.abs(p) - HALF
    return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(1), 0)


def labelled_box() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    box = trimesh.creation.box(extents=2 * HALF)
    v, f = np.asarray(box.vertices, float), np.asarray(box.faces)
    normal = np.asarray(box.face_normals)
    side = [SIDES.index((int(np.argmax(np.abs(n))), int(np.sign(n[np.argmax(np.abs(n))])))) for n in normal]
    return v, f, np.array(side, np.uint8) + 1


@pytest.fixture(scope="module")
def box_points():
    v, f, labels = labelled_box()
    body = trimesh.creation.icosphere(subdivisions=3, radius=0.15)
    spec = PointSpec(count=20_000, fine_sigma=0.01, coarse_sigma=0.05)
    return sample_points(v, f, labels, np.asarray(body.vertices), np.asarray(body.faces), spec,
                         np.random.default_rng(0)), body


def test_signed_distances_on_a_closed_box_are_exact(box_points):
    s, body = box_points
    p = s.points.astype(np.float64)
    truth = box_sdf(p)
    assert s.counts.tolist() == [8000, 8000, 4000] and s.sdf.dtype == np.float16
    assert np.array_equal(s.sdf < 0, truth < 0)  # every sign right
    assert np.abs(s.sdf - truth).max() <= 1e-5 + 1e-3 * np.abs(truth).max()  # float16 rounding only
    assert 0.3 < (s.sdf[s.kind("near_fine")] < 0).mean() < 0.7  # near points fall on both sides
    sphere = np.linalg.norm(p, axis=1) - 0.15  # the body: an icosphere, within its tessellation error
    far = np.abs(sphere) > 0.005
    assert np.array_equal((s.body_sdf < 0)[far], (sphere < 0)[far])
    assert np.abs(s.body_sdf - sphere).max() < 0.003


def test_points_by_kind_and_surface_normals(box_points):
    s, _ = box_points
    p = s.points.astype(np.float64)
    lo, hi = p[s.kind("uniform")].min(0), p[s.kind("uniform")].max(0)
    assert np.all(lo >= -HALF - 0.1 - 1e-6) and np.all(hi <= HALF + 0.1 + 1e-6)
    spread = [np.abs(box_sdf(p[s.kind(k)])).mean() for k in KINDS[:2]]
    assert spread[0] < 0.01 < spread[1] < 0.05
    q = s.surface_points.astype(np.float64)
    assert np.abs(box_sdf(q)).max() < 1e-6
    axis = np.argmax(np.abs(q) / HALF, axis=1)  # outward normal of the side a sample lies on
    outward = np.zeros_like(q)
    outward[np.arange(len(q)), axis] = np.sign(q[np.arange(len(q)), axis])
    assert np.einsum("nc,nc->n", s.surface_normals.astype(np.float64), outward).min() > 0.99


def test_labels_of_points_next_to_a_face_are_its_label(box_points):
    s, _ = box_points
    p = s.points.astype(np.float64)
    gaps = []  # exact distance to each side (a rectangle) of the box, in SIDES order
    for axis, sign in SIDES:
        q = np.clip(p, -HALF, HALF)
        q[:, axis] = sign * HALF[axis]
        gaps.append(np.linalg.norm(p - q, axis=1))
    gaps = np.stack(gaps, axis=1)
    first, second = np.sort(gaps, axis=1)[:, :2].T
    near = (first < 0.02) & (second - first > 0.005)  # next to one side, clearly nearer to it than to any other
    assert near.sum() > 2000
    assert np.array_equal(s.label[near], np.argmin(gaps, axis=1)[near] + 1)


def test_open_box_sign_is_right_away_from_the_hole():
    """A box without its top: the winding number still tells inside from outside a few cm from the hole."""
    v, f, labels = labelled_box()
    keep = labels != SIDES.index((1, 1)) + 1
    s = sample_points(v, f[keep], labels[keep], v, f, PointSpec(count=20_000), np.random.default_rng(1))
    p = s.points.astype(np.float64)
    truth = box_sdf(p)
    away = (p[:, 1] < HALF[1] - 0.1) & (np.abs(truth) > 0.002)
    assert away.sum() > 5000
    assert ((s.sdf < 0) == (truth < 0))[away].mean() > 0.999


def test_points_file_round_trip_and_stable_bytes(box_points, tmp_path):
    s, _ = box_points
    write_points(tmp_path / "a.npz", s)
    write_points(tmp_path / "b.npz", s)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    back = read_points(tmp_path / "a.npz")
    for name in ("points", "sdf", "label", "body_sdf", "surface_normals", "counts"):
        assert np.array_equal(getattr(back, name), getattr(s, name))
    np.savez(tmp_path / "bad.npz", points=s.points)
    with pytest.raises(ValueError, match="bad.npz"):
        read_points(tmp_path / "bad.npz")


def _project(cam, pts):
    uv, z = cam.project(pts)
    assert (z > 0).all()
    return uv


def test_train_rig_counts_elevations_and_framing():
    rng = np.random.default_rng(3)
    person = rng.uniform([-0.3, -0.85, -0.15], [0.3, 0.85, 0.15], (500, 3))  # a 1.7 m person-sized cloud
    spec = TrainRigSpec()
    counts, fractions, cut = [], [], 0
    for seed in range(30):
        cams = train_rig(8, 128, np.random.default_rng(seed), person, spec)
        counts.append(len(cams))
        for cam in cams:
            uv = _project(cam, person)
            fractions.append(np.ptp(uv[:, 1]) / cam.height)
            inside = (uv >= -0.5).all() and (uv[:, 0] <= cam.width - 0.5).all() and (uv[:, 1] <= cam.height - 0.5).all()
            cut += not inside
            el = np.degrees(np.arcsin(cam.center[1] / np.linalg.norm(cam.center)))
            assert spec.min_elevation_deg - 1 <= el <= spec.max_elevation_deg + 1
            assert abs(cam.K[0, 2] - 63.5) < 1e-9 and cam.K[0, 0] == cam.K[1, 1]
    assert min(counts) >= 3 and max(counts) <= 8 and len(set(counts)) >= 4
    assert 0.4 - 1e-6 <= min(fractions) and max(fractions) <= 0.95 + 1e-6
    assert 0.03 < cut / len(fractions) < 0.35  # sometimes cut by the frame (15 % asked)
    narrow = TrainRigSpec(min_height_fraction=0.6, max_height_fraction=0.7, cut_probability=0.0)
    for cam in train_rig(5, 96, np.random.default_rng(0), person, narrow):
        uv = _project(cam, person)
        assert 0.6 - 1e-6 <= np.ptp(uv[:, 1]) / 96 <= 0.7 + 1e-6 and uv.min() >= -0.5 and uv.max() <= 95.5


def test_garment_sets_split_the_assets():
    assets = [GarmentAsset("suit", name, None) for name in (*EVAL_ASSETS, "male_casualsuit01", "bob01")]
    assert {a.name for a in select_assets(assets, "eval")} == set(EVAL_ASSETS)
    assert {a.name for a in select_assets(assets, "train")} == {"male_casualsuit01", "bob01"}
    assert select_assets(assets, "all") == assets
    with pytest.raises(ValueError, match="garment set"):
        SynthConfig(garment_set="test")


def test_synth_with_points_train_rig_and_photo(tmp_path):
    """One tiny subject with the new options: points and rig facts written, photo-like images over the same exact
    masks and labels as without --photo."""
    config = SynthConfig(subjects=1, views=3, size=48, seed=5, rig="train", points=3000)
    synthesize(tmp_path / "plain", config)
    synthesize(tmp_path / "photo", dataclasses.replace(config, photo=True))
    plain, photo = tmp_path / "plain" / "subject_0000", tmp_path / "photo" / "subject_0000"
    rig = json.loads((plain / "gt" / "rig.json").read_text())
    assert 3 <= len(rig["cameras"]) == len(list((plain / "images").glob("*.png")))
    assert all(0.4 <= c["height_fraction"] <= 0.95 for c in rig["cameras"])
    points = read_points(plain / "gt" / "points.npz")
    assert len(points.points) == 3000 and (points.sdf < 0).any() and (points.body_sdf < 0).any()
    assert json.loads((tmp_path / "photo" / "synth.json").read_text())["photo"] is True
    for name in (p.name for p in (plain / "images").glob("*.png")):
        for kind in ("masks", "labels"):
            assert np.array_equal(read_image(plain / kind / name, "L"), read_image(photo / kind / name, "L"))
        mask = read_image(plain / "masks" / name, "L") == 0
        a, b = read_image(plain / "images" / name), read_image(photo / "images" / name)
        assert np.abs(a[mask].astype(int) - b[mask]).mean() > 5  # a new background
