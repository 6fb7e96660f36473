"""The reconstruction model v2: views as the model reads them, the feature cache, point losses that train, and the
coarse-to-fine mesh extraction."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
import torch

from data_tools.synth import SynthConfig, synthesize
from usr.io.cameras import Camera
from usr.mesh.extract import marching_cubes_mesh, sdf_grid, sdf_grid_coarse_to_fine
from usr.model import cache as model_cache
from usr.model.cache import CachedSubject, build_cache
from usr.model.config import ModelConfig
from usr.geometry.rays import nearest_point_to_rays
from usr.model.encode import FrozenBackbone, encode_views
from usr.model.loss import PointLossWeights, finite_difference_points, normal_terms, point_losses, weighted_total
from usr.model.network import ReconModel
from usr.model.views import silhouette_distance
from usr.render.occupancy import OccupancyGrid


def look_at(name: str, eye, size: int = 64, focal: float = 80.0) -> Camera:
    eye = np.asarray(eye, float)
    forward = -eye / np.linalg.norm(eye)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    R = np.stack([right, down, forward])
    K = np.array([[focal, 0, size / 2], [0, focal, size / 2], [0, 0, 1.0]])
    return Camera(name, size, size, K, R, -R @ eye)


def sphere_views(radius: float = 0.4, size: int = 64):
    """Three cameras around a sphere at the origin, its exact masks and a shaded picture."""
    cams = [look_at(f"c{k}", 3 * np.array([np.sin(a), 0.3, np.cos(a)])) for k, a in enumerate((0.0, 2.1, 4.2))]
    images, masks = [], []
    for cam in cams:
        o, d = cam.image_rays()
        b = (o * d).sum(-1)
        disc = b**2 - ((o**2).sum(-1) - radius**2)
        hit = disc > 0
        images.append(np.repeat(np.where(hit, 200, 30).astype(np.uint8).reshape(size, size, 1), 3, axis=2))
        masks.append((hit * 255).astype(np.uint8).reshape(size, size))
    return cams, images, masks


def test_silhouette_distance_is_negative_inside_and_grows_outside():
    mask = np.zeros((40, 40), np.uint8)
    mask[10:30, 10:30] = 255
    d = silhouette_distance(mask)
    assert d[20, 20] < -9 and d[20, 0] > 9 and abs(d[20, 10]) <= 1.5 and d[0, 0] > d[5, 5] > 0


def test_person_centre_is_where_the_mask_centres_meet():
    cams = [look_at(f"c{k}", 3 * np.array([np.sin(a), 0.2, np.cos(a)])) for k, a in enumerate((0.0, 1.5, 3.5))]
    target = np.array([0.1, -0.2, 0.05])
    pixels = np.stack([c.project(target[None])[0][0] for c in cams])
    assert np.allclose(nearest_point_to_rays(cams, pixels), target, atol=1e-6)


def analytic_sdf(p: torch.Tensor) -> torch.Tensor:
    """An ellipsoid and a ring through it: a distance (Lipschitz 1) with a thin part."""
    a = torch.tensor([0.5, 0.8, 0.3])
    ellipsoid = ((p / a).norm(dim=-1) - 1) * a.min()
    ring = torch.stack([p[:, [0, 2]].norm(dim=-1) - 0.35, p[:, 1] - 0.2], -1).norm(dim=-1) - 0.08
    return torch.minimum(ellipsoid, ring)


def test_coarse_to_fine_extraction_equals_the_dense_one():
    lin = np.linspace(-1, 1, 32)
    x, y, z = np.meshgrid(lin, lin, lin, indexing="ij")
    hull = OccupancyGrid(x**2 / 0.5 + y**2 / 0.9 + z**2 / 0.3 < 1.05, np.full(3, -1.0), np.full(3, 1.0))
    calls = []

    def counted(p):
        calls.append(len(p))
        return analytic_sdf(p)

    dense, lo, step = sdf_grid(analytic_sdf, hull, 128)
    fine, lo2, step2 = sdf_grid_coarse_to_fine(counted, hull, 128, coarse=16)
    assert np.array_equal(lo, lo2) and step == step2 and np.array_equal(np.sign(dense), np.sign(fine))
    a, b = marching_cubes_mesh(dense, lo, step), marching_cubes_mesh(fine, lo2, step2)
    assert len(a.vertices) == len(b.vertices) and np.abs(a.vertices - b.vertices).max() < step
    assert sum(calls) < 0.8 * np.count_nonzero(dense != 1.0), (sum(calls), np.count_nonzero(dense != 1.0))  # it evaluated a fraction of the lattice


def test_point_losses_train_the_model_on_a_sphere():
    """Exact SDF at points near a sphere seen by 3 views: the losses fall and the inside/outside signs become
    right (the model learns from the silhouette cues and the features, nothing else tells it the sphere)."""
    torch.manual_seed(0)
    cams, images, masks = sphere_views()
    config = ModelConfig(work_size=64, pixel_dim=8, view_dim=16, hidden=32)
    stack = encode_views(FrozenBackbone(config.backbone, config.strides), cams, images, masks)
    model = ReconModel(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    w = PointLossWeights()
    rng = np.random.default_rng(0)

    def batch(n=512):
        d = rng.normal(size=(n, 3))
        on = d / np.linalg.norm(d, axis=1, keepdims=True)
        p = on * (0.4 + rng.normal(scale=0.05, size=(n, 1)))
        surface = on[:64]
        return (torch.tensor(p, dtype=torch.float32), torch.tensor(surface * 0.4, dtype=torch.float32),
                torch.tensor(surface, dtype=torch.float32))

    def losses(p, surface, normals):
        out = model(torch.cat([p, finite_difference_points(surface, w.step)]), stack)
        sdf = p.norm(dim=-1) - 0.4
        head = {k: v[: len(p)] for k, v in out.items()}
        terms = point_losses(head, sdf, (sdf < 0).float(), torch.zeros(len(p), dtype=torch.long), sdf + 0.05, w)
        terms["normal"], terms["eikonal"] = normal_terms(out["sdf"][len(p):], normals, w.step)
        return terms, head["sdf"], sdf

    test = batch(2000)
    with torch.no_grad():
        before, pred, true = losses(*test)
    sign_before = float(((pred < 0) == (true < 0)).float().mean())
    for _ in range(100):
        terms, _, _ = losses(*batch())
        optimizer.zero_grad()
        weighted_total(terms, w).backward()
        optimizer.step()
    with torch.no_grad():
        after, pred, true = losses(*test)
    sign_after = float(((pred < 0) == (true < 0)).float().mean())
    assert after["sdf"] < 0.5 * before["sdf"] and after["normal"] < before["normal"], (before, after)
    assert sign_after > 0.9 > sign_before or sign_after > sign_before + 0.2, (sign_before, sign_after)


@pytest.fixture(scope="module")
def tiny_points_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "data"
    synthesize(out, SynthConfig(subjects=3, views=4, size=64, seed=11, rig="train", points=4000))
    return out


def test_the_cache_is_reused_and_rebuilt_when_its_source_or_backbone_changes(tiny_points_data, tmp_path, monkeypatch):
    built = []
    original = model_cache.build_subject
    monkeypatch.setattr(model_cache, "build_subject", lambda *a: (built.append(a[0].name), original(*a))[1])
    subjects = sorted(p for p in tiny_points_data.iterdir() if p.name.startswith("subject_"))
    lite0 = FrozenBackbone("lite0", (4, 8))
    folders = build_cache(subjects, tmp_path, lite0, 64)
    assert len(built) == 3 and all((f / "source.json").is_file() for f in folders)
    built.clear()
    assert build_cache(subjects, tmp_path, lite0, 64) == folders and built == []  # reused
    image = subjects[1] / "images" / "cam00.png"
    os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns + 10**9))
    build_cache(subjects, tmp_path, lite0, 64)
    assert built == [subjects[1].name]  # its image changed: that subject only
    built.clear()
    other = build_cache(subjects[:1], tmp_path, FrozenBackbone("lite0", (4, 8, 16)), 64)
    assert built == [subjects[0].name] and other[0] != folders[0]  # another backbone setting: its own folder
    s = CachedSubject(folders[0], (4, 8))
    stack = s.views([0, 1])
    assert stack.count == 2 and [m.shape[1] for m in stack.maps] == [24, 40]
    assert len(s.points) == 4000 and s.targets.shape == (4000, 3)


TINY = dict(steps=4, checkpoint_every=2, seed=3, subjects_per_step=2, points_per_subject=256, surface_per_subject=16,
            val_subjects=1, model=ModelConfig(work_size=64, strides=(4, 8), pixel_dim=8, view_dim=16, hidden=32))


def _weights(path):
    state = torch.load(path, weights_only=True)
    return state["weights"], state


def test_interrupted_training_resumes_to_the_same_weights(tiny_points_data, tmp_path):
    from usr.model.train import PointTrainConfig, train

    tiny = TINY | {"model": dataclasses.replace(TINY["model"], body_prior=True)}  # its noise drawn per step too
    config = PointTrainConfig(data=(str(tiny_points_data),), cache=tmp_path / "cache", **tiny)
    straight, resumed = tmp_path / "straight.pt", tmp_path / "resumed.pt"
    train(dataclasses.replace(config, out=straight))

    def stop_at_3(stage, fraction):
        if stage.startswith("step 3/4 "):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(dataclasses.replace(config, out=resumed), progress=stop_at_3)
    assert _weights(resumed)[1]["step"] == 2  # the last checkpoint before the interruption
    train(dataclasses.replace(config, out=resumed))
    (a, sa), (b, sb) = _weights(straight), _weights(resumed)
    assert sa["step"] == sb["step"] == 4 and all(torch.equal(a[k], b[k]) for k in a)
    log = resumed.with_suffix(".log.jsonl").read_text().splitlines()
    assert len(log) == 2 and '"val_sdf_mm"' in log[-1] and '"val_sdf_mm_body"' in log[-1]


def test_the_body_prior_is_read_where_known_and_its_training_error_is_bounded():
    from usr.model.prior import PriorError, PriorNoise

    rng = np.random.default_rng(0)
    assert PriorError.draw(rng, PriorNoise(dropout=1.0)) is None
    points = torch.tensor(rng.uniform(-1, 1, (4000, 3)), dtype=torch.float32)
    sizes = [float(PriorError.draw(rng, PriorNoise(error=0.02, dropout=0.0))(points).abs().max()) for _ in range(50)]
    assert max(sizes) <= 0.02 + 1e-6 and max(sizes) > 0.01 and min(sizes) < max(sizes)  # drawn sizes, bounded
    cams, images, masks = sphere_views()
    config = ModelConfig(work_size=64, pixel_dim=8, view_dim=16, hidden=32, body_prior=True)
    stack = encode_views(FrozenBackbone(config.backbone, config.strides), cams, images, masks)
    model = ReconModel(config).eval()
    p = points[:50] * 0.5
    with torch.no_grad():
        none = model(p, stack)["sdf"]
        body = p.norm(dim=-1) - 0.3
        unknown = model(p, stack, torch.full((50,), float("nan")))["sdf"]
        known = model(p, stack, body)["sdf"]
        half = model(p, stack, torch.where(torch.arange(50) < 25, body, float("nan")))["sdf"]
    assert torch.equal(none, unknown) and not torch.allclose(none, known)
    assert torch.allclose(half[:25], known[:25]) and torch.allclose(half[25:], none[25:])  # per point
    plain = ReconModel(dataclasses.replace(config, body_prior=False)).eval()
    with pytest.raises(ValueError, match="no body prior"):
        plain(p, stack, body)


def test_a_warm_start_adds_the_body_prior_input_without_changing_the_model(tmp_path):
    from usr.model.checkpoint import save_model, warm_start

    cams, images, masks = sphere_views()
    config = ModelConfig(work_size=64, pixel_dim=8, view_dim=16, hidden=32)
    stack = encode_views(FrozenBackbone(config.backbone, config.strides), cams, images, masks)
    plain = ReconModel(config).eval()
    save_model(tmp_path / "plain.pt", plain, 10)
    started = warm_start(ReconModel(dataclasses.replace(config, body_prior=True)), tmp_path / "plain.pt").eval()
    p = torch.tensor(np.random.default_rng(1).uniform(-0.5, 0.5, (40, 3)), dtype=torch.float32)
    with torch.no_grad():
        assert torch.allclose(started(p, stack, p.norm(dim=-1) - 0.3)["sdf"], plain(p, stack)["sdf"], atol=1e-6)
    with pytest.raises(ValueError, match="only new inputs"):
        warm_start(ReconModel(dataclasses.replace(config, hidden=16)), tmp_path / "plain.pt")
    # a feature volume added the same way: the same start, and it trains (its read-out weights get a gradient)
    voluminous = warm_start(ReconModel(dataclasses.replace(config, volume=6)), tmp_path / "plain.pt")
    with torch.no_grad():
        assert torch.allclose(voluminous.eval()(p, stack)["sdf"], plain(p, stack)["sdf"], atol=1e-6)
    voluminous.train()(p, stack)["sdf"].square().sum().backward()
    assert voluminous.decoder_volume.weight.grad.abs().sum() > 0


def test_kept_projected_maps_and_volume_give_what_the_model_computes_alone():
    cams, images, masks = sphere_views()
    config = ModelConfig(work_size=64, pixel_dim=8, view_dim=16, hidden=32, volume=5)
    stack = encode_views(FrozenBackbone(config.backbone, config.strides), cams, images, masks)
    model = ReconModel(config).eval()
    p = torch.tensor(np.random.default_rng(3).uniform(-0.6, 0.6, (50, 3)), dtype=torch.float32)
    with torch.no_grad():
        projected = model.project_maps(stack.maps)
        kept = model(p, stack, projected=projected, volume=model.feature_volume(stack, projected))
        alone = model(p, stack)
    for head in ("sdf", "labels", "body_sdf"):
        assert torch.allclose(kept[head], alone[head], atol=1e-5), head


def test_the_feature_volume_reads_a_linear_code_back_exactly_anywhere_in_its_cube():
    from usr.model.volume import FeatureVolume

    volume = FeatureVolume(3, 4, resolution=5, extent=1.0, layers=0)
    centre = torch.tensor([0.3, 1.0, -0.2])
    built = volume.build(volume.centres(centre) - centre)  # the code at a lattice point: its position
    p = torch.tensor(np.random.default_rng(2).uniform(-0.9, 0.9, (30, 3)), dtype=torch.float32)
    with torch.no_grad():
        assert torch.allclose(volume.sample(built, centre, p + centre), volume.inp(p), atol=1e-5)
        assert volume.sample(built, centre, torch.tensor([[5.0, 1.0, 0.0]])).abs().max() == 0  # outside: zeros


def test_two_processes_match_one_process(tiny_points_data, tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO

    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    m = TINY["model"]
    args = ["train", "--data", str(tiny_points_data), "--cache", str(tmp_path / "cache"), "--steps", "3",
            "--checkpoint-every", "3", "--seed", "3", "--subjects-per-step", "2", "--points-per-subject", "256",
            "--surface-per-subject", "16", "--val-subjects", "1", "--work-size", str(m.work_size), "--pixel-dim",
            str(m.pixel_dim), "--view-dim", str(m.view_dim), "--hidden", str(m.hidden)]
    one, two = tmp_path / "one.pt", tmp_path / "two.pt"
    first = subprocess.run([sys.executable, "-m", "apps.cli", *args, "--out", str(one)], env=env, capture_output=True,
                           text=True, timeout=300)  # also builds the cache both runs read
    assert first.returncode == 0, first.stderr[-3000:]
    res = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
                          "29534", "-m", "apps.cli", *args, "--out", str(two)], env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[:3000] + "\n...\n" + res.stderr[-1500:]
    (a, sa), (b, sb) = _weights(one), _weights(two)
    torch.manual_seed(3)
    init = ReconModel(ModelConfig(**{**dataclasses.asdict(m), "strides": (4, 8, 16)})).state_dict()
    moved = torch.cat([(a[k] - init[k]).abs().flatten() for k in a])
    diff = torch.cat([(a[k] - b[k]).abs().flatten() for k in a])
    assert moved.max() > 1e-4 and diff.max() < 1e-5, (float(moved.max()), float(diff.max()))
    la, lb = sa["extra"]["last"]["loss"], sb["extra"]["last"]["loss"]
    assert abs(la - lb) < 1e-5 * max(1.0, abs(la)), (la, lb)


def test_the_fine_tune_residual_moves_a_wrong_surface_towards_the_views():
    """The feed-forward lattice holds a sphere 20 % too small; rendering the 3 input views of the true sphere, the
    hash-grid residual grows it: the input views' silhouettes agree more, so the residual is kept."""
    from usr.model.refine import RefineSettings, ResidualField, refine
    from usr.prepared_views import PreparedViews
    from usr.render.occupancy import visual_hull

    cams, images, masks = sphere_views(radius=0.4, size=64)
    views = PreparedViews([c.name for c in cams], cams, images, masks)
    hull = visual_hull(cams, masks, 32, dilate=1)
    lin = np.linspace(-0.6, 0.6, 49)
    x, y, z = np.meshgrid(lin, lin, lin, indexing="ij")
    values = (np.sqrt(x**2 + y**2 + z**2) - 0.32).astype(np.float32)
    lo, step = np.full(3, -0.6), lin[1] - lin[0]
    field = ResidualField(values, lo, step)
    corners = torch.tensor([[-0.6, -0.6, -0.6], [0.6, 0.0, -0.3], [0.0, 0.15, 0.6]], dtype=torch.float32)
    exact = torch.tensor([values[0, 0, 0], values[48, 24, 12], values[24, 30, 48]])
    assert torch.allclose(field.base_sdf(corners), exact, atol=1e-6)  # the lattice, read where it was written
    tuned, report = refine(values, lo, step, views, hull, RefineSettings(steps=40, rays=192, samples=16))
    assert report["kept"] and report["iou_after"] > report["iou_before"] + 0.05, report
    assert (tuned < 0).sum() > (values < 0).sum()  # it grew
