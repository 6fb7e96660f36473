"""The body boundary converts anny to the project's world: metres, +Y up, facing +Z, centred."""

import numpy as np
import pytest

from data_tools.body import build_body, sample_body_spec
from smpl_d.poses import ALL_POSE_KINDS, POSE_KINDS, named_pose, sample_pose


def _body(kind, seed=0):
    rng = np.random.default_rng(seed)
    pose = sample_pose(kind, rng)
    return build_body(sample_body_spec(rng, pose))


def test_world_frame_is_y_up_facing_plus_z_and_centred():
    b = _body("a_pose")
    j = b.joints
    assert j["head"][1] > j["upperleg01.L"][1] > j["foot.L"][1]  # +Y up
    assert 1.4 < b.height < 2.1  # metres, an adult
    assert np.allclose((b.vertices.min(0) + b.vertices.max(0)) / 2, 0, atol=1e-9)  # bbox centred
    nose_z = b.vertices[b.vertices[:, 1] > j["head"][1]][:, 2].max()
    assert nose_z > j["head"][2] + 0.05  # the face points to +Z
    assert j["upperarm01.L"][0] > 0 > j["upperarm01.R"][0]  # anatomical left on +X


def _arm_elevation_deg(b, side):
    d = b.joints[f"lowerarm01.{side}"] - b.joints[f"upperarm01.{side}"]
    return np.degrees(np.arctan2(d[1], np.hypot(d[0], d[2])))


@pytest.mark.parametrize("side", ["L", "R"])
def test_named_poses_put_the_arms_where_their_names_say(side):
    assert abs(_arm_elevation_deg(_body("t_pose"), side)) < 8  # horizontal
    assert -60 < _arm_elevation_deg(_body("a_pose"), side) < -35  # A
    assert _arm_elevation_deg(_body("relaxed"), side) < -55  # down
    t = _body("t_pose")
    forearm = t.joints[f"wrist.{side}"] - t.joints[f"lowerarm01.{side}"]
    upper = t.joints[f"lowerarm01.{side}"] - t.joints[f"upperarm01.{side}"]
    cos = forearm @ upper / np.linalg.norm(forearm) / np.linalg.norm(upper)
    assert cos > 0.97  # straight elbows in the T-pose


def test_random_poses_differ_and_stay_upright():
    bodies = [_body("random", s) for s in range(3)]
    assert not np.allclose(bodies[0].vertices, bodies[1].vertices)
    for b in bodies:
        assert b.joints["head"][1] > b.joints["upperleg01.L"][1] + 0.4


def test_wide_poses_reach_beyond_the_random_ones():
    """Over a few draws, an arm above horizontal (random poses never) and a leg further out sideways."""
    def leg_out_deg(b, side):
        d = b.joints[f"lowerleg01.{side}"] - b.joints[f"upperleg01.{side}"]
        return np.degrees(np.arctan2(abs(d[0]), -d[1]))

    def reach(kind):
        bodies = [_body(kind, s) for s in range(6)]
        return (max(_arm_elevation_deg(b, side) for b in bodies for side in "LR"),
                max(leg_out_deg(b, side) for b in bodies for side in "LR"))

    (arm_random, leg_random), (arm_wide, leg_wide) = reach("random"), reach("wide")
    assert arm_random < 5 < 30 < arm_wide and leg_wide > leg_random + 5
    for s in range(3):
        b = _body("wide", s)
        assert b.joints["head"][1] > b.joints["upperleg01.L"][1] + 0.4  # upright


def test_pose_kinds_are_known():
    assert set(POSE_KINDS) == {"a_pose", "t_pose", "relaxed", "random"} and set(ALL_POSE_KINDS) - set(POSE_KINDS) == {"wide"}
    with pytest.raises(ValueError, match="unknown pose kind"):
        named_pose("handstand")
