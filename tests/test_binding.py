"""Garment binding (exact at rest, follows the body), penetration resolver and layer stacking."""

from __future__ import annotations

import numpy as np
import pytest

from smpl_d.backends import load_body_model
from smpl_d.binding import bind, unbind
from smpl_d.collisions import crossing_fraction, inside_fraction, push_out_of_body, stack_layers, tucked_depths
from smpl_d.displacements import body_displacements
from smpl_d.poses import named_pose
from usr.geometry.distance import MeshQuery
from usr.mesh.ops import vertex_normals


@pytest.fixture(scope="module")
def bodies():
    model = load_body_model("anny")
    params = model.default_params()
    params.pose = model.pose_from_rotations(named_pose("a_pose").rotations)
    rest = model.posed(params)
    params.pose = model.pose_from_rotations(named_pose("t_pose").rotations)
    params.shape = np.array([0.8, 0.5, 0.6, 0.8, 0.7, 0.5])  # another person too
    return rest, model.posed(params)


def _torso_sheet(body, offset: float) -> np.ndarray:
    """Vertices of the torso lifted `offset` along the normals: a tight top."""
    v = body.vertices
    y = v[:, 1]
    torso = (y > np.quantile(y, 0.55)) & (y < np.quantile(y, 0.8)) & (np.abs(v[:, 0]) < 0.16)
    return v[torso] + offset * vertex_normals(v, body.faces)[torso]


def test_binding_is_exact_at_rest(bodies):
    rest, _ = bodies
    rng = np.random.default_rng(0)
    garment = _torso_sheet(rest, 0.015) + rng.normal(0, 0.01, (1, 3))  # plus a shift: not on the offset surface
    loose = rest.vertices[::50] + rng.normal(0, 0.04, (len(rest.vertices[::50]), 3))  # far points, any side
    for points in (garment, loose):
        again = unbind(bind(points, rest.vertices, rest.faces), rest.vertices, rest.faces)
        assert np.abs(again - points).max() < 1e-9


def test_garment_follows_a_new_shape_and_pose(bodies):
    rest, other = bodies
    garment = _torso_sheet(rest, 0.01)
    moved = unbind(bind(garment, rest.vertices, rest.faces), other.vertices, other.faces)
    assert np.abs(moved - garment).max() > 0.02  # the new body really is elsewhere
    dist = MeshQuery(other.vertices, other.faces).signed_distance(moved)
    assert np.median(np.abs(dist - 0.01)) < 0.002  # still a tight top 1 cm off the new body
    assert inside_fraction(moved, other.vertices, other.faces) < 0.05  # armpits: left to the resolver
    assert inside_fraction(push_out_of_body(moved, other.vertices, other.faces), other.vertices, other.faces) == 0.0


def test_penetration_resolver_removes_a_planted_penetration(bodies):
    rest, _ = bodies
    garment = _torso_sheet(rest, 0.01)
    rng = np.random.default_rng(1)
    planted = rng.choice(len(garment), 200, replace=False)
    normals = vertex_normals(rest.vertices, rest.faces)
    _, _, tri = MeshQuery(rest.vertices, rest.faces).closest(garment[planted])
    broken = garment.copy()
    broken[planted] -= 0.03 * normals[rest.faces[tri, 0]]  # 3 cm inwards: 2 cm inside the skin
    assert inside_fraction(broken, rest.vertices, rest.faces) > 0.02
    fixed = push_out_of_body(broken, rest.vertices, rest.faces)
    assert inside_fraction(fixed, rest.vertices, rest.faces) == 0.0
    clear = MeshQuery(rest.vertices, rest.faces).signed_distance(garment) > 0.004
    untouched = np.setdiff1d(np.flatnonzero(clear), planted)
    assert len(untouched) > 0.8 * len(garment)
    assert np.abs(fixed[untouched] - garment[untouched]).max() < 1e-9


def test_outer_layers_are_lifted_over_inner_ones(bodies):
    rest, _ = bodies
    layers = {"upper": _torso_sheet(rest, 0.02), "outer": _torso_sheet(rest, 0.01)}  # the jacket under the shirt
    before = crossing_fraction(layers["upper"], layers["outer"], rest.vertices, rest.faces)
    assert before > 0.5
    stacked = stack_layers(layers, rest.vertices, rest.faces)
    assert np.array_equal(stacked["upper"], layers["upper"])  # the inner layer stays
    assert crossing_fraction(stacked["upper"], stacked["outer"], rest.vertices, rest.faces) < 0.01


def test_a_layer_worn_under_another_stays_so(bodies):
    """A shirt tucked into trousers (under them over the same patch) is left as it was worn; without its tucked
    depths it is lifted over them."""
    rest, _ = bodies
    layers = {"lower": _torso_sheet(rest, 0.02), "upper": _torso_sheet(rest, 0.01)}
    tucked = tucked_depths(layers, rest.vertices, rest.faces)
    assert tucked["lower"].max() == 0.0 and (tucked["upper"] > 0.005).mean() > 0.7
    again = stack_layers(layers, rest.vertices, rest.faces, tucked=tucked)
    assert np.abs(again["upper"] - layers["upper"]).max() < 1e-9
    lifted = stack_layers(layers, rest.vertices, rest.faces)
    assert crossing_fraction(lifted["lower"], lifted["upper"], rest.vertices, rest.faces) < 0.01


def test_displacements_tuck_the_body_under_a_garment_it_sticks_out_of(bodies):
    """A fitted body too heavy for the clothed surface (a person of lower weight, partly labelled as a garment):
    D moves it under the garment."""
    import trimesh

    from usr.labels import SKIN, UPPER

    rest, _ = bodies
    model = load_body_model("anny")
    params = model.default_params()
    params.pose = model.pose_from_rotations(named_pose("a_pose").rotations)
    params.shape = params.shape.copy()
    params.shape[3] = min(params.shape[3] + 0.15, 1.0)  # heavier
    fitted = model.posed(params)
    clothed = trimesh.Trimesh(rest.vertices, rest.faces, process=False)
    y = clothed.vertices[clothed.faces].mean(1)[:, 1]
    labels = np.where((y > np.quantile(y, 0.5)) & (y < np.quantile(y, 0.8)), UPPER, SKIN).astype(np.uint8)
    d = body_displacements(fitted.vertices, fitted.faces, clothed, labels)
    moved = fitted.vertices + d[:, None] * vertex_normals(fitted.vertices, fitted.faces)
    garment = clothed.vertices[np.unique(clothed.faces[labels == UPPER])]
    assert inside_fraction(garment, fitted.vertices, fitted.faces) > 0.5  # before: the body sticks out
    assert inside_fraction(garment, moved, fitted.faces) < 0.01


def test_a_sleeve_bound_in_a_pose_follows_its_arm_into_a_t_pose(bodies):
    """A loose shirt (torso + arms, 3 cm off the skin) made in A-pose, moved onto another person in T-pose: no
    vertex of the sleeves' underside stays within 3 cm of the torso (closest-triangle binding alone tears them off)."""
    from smpl_d.skinning import repose_garment

    rest, other = bodies
    model = load_body_model("anny")
    dominant = np.array(model.joint_names)[model.skin_weights.argmax(1)]
    arm = np.array([n.startswith(("upperarm", "lowerarm", "shoulder")) for n in dominant])
    torso = np.array([n.startswith(("spine", "clavicle", "pelvis")) for n in dominant])
    faces = model.faces[(arm | torso)[model.faces].all(1)]
    keep = np.unique(faces)
    remap = np.full(len(arm), -1)
    remap[keep] = np.arange(len(keep))
    normals = vertex_normals(rest.vertices, rest.faces)[keep]
    shirt = rest.vertices[keep] + 0.03 * normals
    underside = arm[keep] & (np.sign(normals[:, 0]) == -np.sign(shirt[:, 0])) & (np.abs(normals[:, 0]) > 0.5)
    assert underside.sum() > 100
    torso_surface = MeshQuery(other.vertices, model.faces[torso[model.faces].all(1)])
    moved = repose_garment(shirt, remap[faces], rest.vertices, other.vertices, model.faces, model.skin_weights)
    assert torso_surface.distance(moved[underside]).min() > 0.03
    torn = unbind(bind(shirt, rest.vertices, rest.faces), other.vertices, other.faces)
    assert (torso_surface.distance(torn[underside]) < 0.03).sum() > 5  # what the skinning step is for
