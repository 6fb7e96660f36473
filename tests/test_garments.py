"""Garments sit outside the body, outer layers outside inner ones, and every garment kind builds."""

import numpy as np
import pytest
import trimesh

from data_tools.body import build_body, sample_body_spec
from data_tools.garments.procedural import GARMENT_KINDS, build_procedural, sample_spec
from data_tools.garments.regions import body_regions
from smpl_d.poses import named_pose, random_pose
from tests.conftest import cached_subject
from usr import labels as L
from usr.geometry.distance import MeshQuery


@pytest.fixture(scope="module")
def body():
    rng = np.random.default_rng(11)
    return build_body(sample_body_spec(rng, named_pose("a_pose")))


@pytest.mark.parametrize("kind", sorted(GARMENT_KINDS))
def test_every_kind_builds_a_closed_shell_outside_the_body(kind, body):
    rng = np.random.default_rng(5)
    g = build_procedural(sample_spec(kind, rng), body, body_regions(body), [])
    assert g.label == GARMENT_KINDS[kind][0]
    assert trimesh.Trimesh(g.vertices, g.faces, process=False).is_watertight
    sd = MeshQuery(body.vertices, body.faces).signed_distance(g.vertices)
    assert (sd < -0.002).mean() <= 0.001


def test_generated_subjects_keep_garments_outside_the_body():
    inside, total = 0, 0
    for seed in range(6):
        s = cached_subject(seed)
        q = MeshQuery(s.body.vertices, s.body.faces)
        for g in s.garments:
            sd = q.signed_distance(g.vertices)
            inside += int((sd < -0.002).sum())
            total += len(sd)
    assert total > 10000
    assert inside / total <= 0.001, f"{inside}/{total} garment vertices more than 2 mm inside the body"


def test_outer_layers_sit_outside_inner_ones():
    rng = np.random.default_rng(3)
    body = build_body(sample_body_spec(rng, random_pose(rng)))
    regions = body_regions(body)
    shirt = build_procedural(sample_spec("longsleeve", rng), body, regions, [])
    jacket = build_procedural(sample_spec("jacket", rng), body, regions, [shirt])
    assert jacket.label == L.OUTER
    sd = MeshQuery(shirt.vertices, shirt.faces).signed_distance(jacket.vertices)
    assert (sd < -0.002).mean() <= 0.001


def test_garment_regions_follow_the_length_parameters(body):
    regions = body_regions(body)
    rng = np.random.default_rng(0)
    shorts = build_procedural(sample_spec("shorts", rng), body, regions, [])
    trousers = build_procedural(sample_spec("trousers", rng), body, regions, [])
    assert trousers.vertices[:, 1].min() < shorts.vertices[:, 1].min() - 0.3  # trousers reach the ankles
    hair = build_procedural(sample_spec("hair_cap", rng), body, regions, [])
    shoes = build_procedural(sample_spec("shoes", rng), body, regions, [])
    assert hair.vertices[:, 1].min() > body.joints["neck01"][1]
    assert shoes.vertices[:, 1].max() < body.joints["lowerleg01.L"][1]


def test_jackets_are_worn_open_down_the_front(body):
    from dataclasses import replace

    from data_tools.garments.procedural import garment_region

    regions = body_regions(body)
    spec = sample_spec("jacket", np.random.default_rng(3))
    assert 0.08 <= spec.opening <= 0.2
    closed, opened = garment_region(replace(spec, opening=0.0), regions), garment_region(spec, regions)
    v = regions.vertices
    chest = (v[:, 2] > 0) & (np.abs(v[:, 0]) < 0.03) & (v[:, 1] > regions.landmarks["waist"]) & closed
    assert chest.any() and not (opened & chest).any()  # the front centre is open ...
    back = (v[:, 2] < 0) & (np.abs(v[:, 0]) < 0.03) & closed
    assert (opened[back]).all()  # ... the back is not
