"""smpl_d.field_fit: the body model fitted to a body's signed-distance field (what the reconstruction model's body
head gives the body prior) finds that body, turned and posed, and reads the facing from the labels."""

from __future__ import annotations

import numpy as np
import pytest

from smpl_d.backends import load_body_model
from smpl_d.field_fit import FieldFitConfig, fit_to_field, label_facing
from smpl_d.fit import LatticeSDF, sample_faces
from usr.geometry.distance import MeshQuery
from usr.labels import HAIR, SKIN, UPPER


def _head_points(yaw: float, skin_in_front: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A standing round column of points whose top is a head with skin on the side `yaw` faces and hair behind."""
    rng = np.random.default_rng(0)
    angle, height = rng.uniform(0, 2 * np.pi, 4000), rng.uniform(0, 1.8, 4000)
    points = np.stack([0.15 * np.sin(angle), height, 0.15 * np.cos(angle)], -1)
    front = points[:, 0] * np.sin(yaw) + points[:, 2] * np.cos(yaw)
    labels = np.where(points[:, 1] > 1.65, np.where((front > 0) | (not skin_in_front), SKIN, HAIR), UPPER)
    return points, labels


def test_the_facing_is_read_from_skin_in_front_of_hair():
    for yaw in (0.0, 1.0, -2.5):
        points, labels = _head_points(yaw)
        found = label_facing(points, labels, FieldFitConfig())
        assert abs(np.angle(np.exp(1j * (found - yaw)))) < 0.15
    points, labels = _head_points(0.3, skin_in_front=False)  # skin all round (a bald head): cannot tell
    assert label_facing(points, labels, FieldFitConfig()) is None


@pytest.mark.slow
def test_a_turned_posed_body_is_found_from_its_distance_field():
    model = load_body_model("anny")
    truth = model.default_params()
    truth.pose = model.preset_pose("relaxed")
    truth.shape = np.array([0.3, 0.5, 0.6, 0.4, 0.7, 0.5])  # taller than the start
    truth.global_rotation = np.array([0.0, 0.6, 0.0])
    truth.translation = np.array([0.1, 0.0, -0.2])
    body = model.posed(truth)
    step = 0.02
    lo = body.vertices.min(0) - 0.1
    counts = np.ceil((body.vertices.max(0) + 0.1 - lo) / step).astype(int) + 1
    axes = [lo[i] + step * np.arange(counts[i]) for i in range(3)]
    lattice = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    values = MeshQuery(body.vertices, body.faces).signed_distance(lattice).reshape(*counts)
    import trimesh

    mesh = trimesh.Trimesh(body.vertices, body.faces, process=False)
    points = sample_faces(mesh, np.ones(len(body.faces), bool), 2000, np.random.default_rng(1))
    head_front = mesh.vertex_normals @ np.array([np.sin(0.6), 0.0, np.cos(0.6)])
    labels = np.where(head_front[mesh.kdtree.query(points)[1]] > 0, SKIN, HAIR)  # skin in front, hair behind
    config = FieldFitConfig(start_steps=15, steps=70)
    params, report = fit_to_field(model, LatticeSDF(values, lo, step), points, labels, config)
    assert report["facing_from_labels"]
    error = np.linalg.norm(model.posed(params).vertices - body.vertices, axis=1).mean()
    assert error < 0.02, f"fitted body {error * 100:.1f} cm from the true one"
    assert abs(np.angle(np.exp(1j * (params.global_rotation[1] - 0.6)))) < 0.2


def test_the_apps_pass_a_body_fit_only_when_the_spec_asks_for_it():
    from smpl_d.prior import FittedBodyPrior, body_fit_for
    from usr.recon_spec import ReconSpec

    assert body_fit_for(ReconSpec()) is None  # off by default: ≈ 10 s more, and not yet better on the real capture
    assert isinstance(body_fit_for(ReconSpec(body_prior=True)), FittedBodyPrior)
    assert body_fit_for(ReconSpec(body_prior=True, method="visual-hull")) is None


def test_a_first_look_without_a_body_surface_gives_no_body():
    """A body head with no zero level (nothing like a person in the views) is no error: no body, and why."""
    import torch

    from smpl_d.prior import FittedBodyPrior
    from usr.render.occupancy import OccupancyGrid

    class NoBody:
        def sdf_function(self, stack, body=None, head="sdf"):
            return lambda points: torch.full((len(points),), 0.05)

    hull = OccupancyGrid(np.ones((8, 8, 8), bool), np.array([-1.0, -1, -1]), np.array([1.0, 1, 1]))
    fit = FittedBodyPrior()
    assert fit(NoBody(), None, hull) is None
    assert fit.report["used"] is False and "body head" in fit.report["reason"] and fit.model is None
