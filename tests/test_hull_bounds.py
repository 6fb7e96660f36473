"""Where the visual hull is carved comes from the data: a person far from the world's origin and taller than the old
fixed ±1.2 m cube is held whole."""

from __future__ import annotations

import numpy as np

from usr.io.cameras import Camera, look_at
from usr.render.occupancy import visual_hull


def ellipsoid_masks(centre, radii, cams, size):
    masks = []
    for cam in cams:
        o, d = cam.image_rays()
        o, d = (o - centre) / radii, d / radii  # the ellipsoid as a unit sphere
        a, b, c = (d * d).sum(-1), (o * d).sum(-1), (o * o).sum(-1) - 1
        masks.append(((b * b - a * c > 0) * 255).astype(np.uint8).reshape(size, size))
    return masks


def test_the_hull_holds_a_tall_person_far_from_the_origin():
    centre, radii, size = np.array([6.0, 1.4, -4.0]), np.array([0.35, 1.4, 0.25]), 96  # 2.8 m tall
    cams = []
    for k, a in enumerate((0.2, 1.9, 3.6, 5.0)):
        eye = centre + np.array([6 * np.sin(a), 0.8, 6 * np.cos(a)])
        R, t = look_at(eye, centre)
        cams.append(Camera(f"c{k}", size, size, np.array([[70.0, 0, size / 2], [0, 70.0, size / 2], [0, 0, 1]]), R, t))
    hull = visual_hull(cams, ellipsoid_masks(centre, radii, cams, size), 64)
    for end in (centre + [0, 1.35, 0], centre - [0, 1.35, 0], centre + [0.3, 0, 0]):
        idx = np.floor((end - hull.lo) / (hull.hi - hull.lo) * hull.resolution).astype(int)
        assert (idx >= 0).all() and (idx < hull.resolution).all() and hull.occupied[tuple(idx)], end
    assert (hull.hi - hull.lo).max() < 2 * 1.4 + 1.0  # the cube is fitted to the person, not the 5 m search
    assert np.linalg.norm((hull.hi + hull.lo) / 2 - centre) < 0.3
    assert not hull.occupied[0].any() and not hull.occupied[-1].any()  # nothing reaches the cube's faces


def test_a_mask_missing_a_part_the_others_see_is_named_and_consistent_masks_are_quiet():
    from tests.test_model import look_at as ring_camera
    from tests.test_silhouette_fill import masks_of
    from usr.prepared_views import PreparedViews
    from usr.reconstruct import check_consistency

    body, limb = (np.zeros(3), 0.3), (np.array([0.45, 0.25, 0.0]), 0.25)
    cams = [ring_camera(f"c{k}", 3 * np.array([np.sin(a), 0.3, np.cos(a)]), size=128, focal=120.0)
            for k, a in enumerate((0.2, 1.8, 3.4, 4.9))]
    whole = masks_of([body, limb], cams)
    bodies = masks_of([body], cams)

    def warnings(masks):
        views = PreparedViews([c.name for c in cams], cams, [np.repeat(m[..., None], 3, 2) for m in masks], masks)
        return check_consistency(views, visual_hull(cams, masks, 64))

    assert warnings(whole) == []
    broken = [bodies[2] if k == 2 else m for k, m in enumerate(whole)]  # c2's mask misses the limb
    said = warnings(broken)
    assert any(w.startswith("view c2: its mask likely misses parts") for w in said), said
    assert any("inside the hull" in w for w in said)
    head, foot = (np.array([-0.1, 0.75, 0.0]), 0.2), (np.array([0.15, -0.75, 0.1]), 0.2)  # seen by every view
    whole = masks_of([body, head, foot], cams)
    two = masks_of([body, foot], cams)[:1] + whole[1:2] + masks_of([body, head], cams)[2:3] + whole[3:]
    said = warnings(two)  # c0 misses the head, c2 the foot: both are named, one per round
    named = {w.split(":")[0] for w in said if "likely misses" in w}
    assert named == {"view c0", "view c2"}, said


def test_masks_that_never_close_give_the_last_search_cube():
    from usr.render.occupancy import SEARCH_HALF_SIDE, SEARCH_RESOLUTION, hull_bounds

    size, cams = 96, []
    # far cameras, every pixel "person": the hull reaches every search cube's faces
    for k, a in enumerate((0.2, 1.9, 3.6, 5.0)):
        R, t = look_at(np.array([30 * np.sin(a), 0.8, 30 * np.cos(a)]), np.zeros(3))
        cams.append(Camera(f"c{k}", size, size, np.array([[70.0, 0, size / 2], [0, 70.0, size / 2], [0, 0, 1]]), R, t))
    lo, hi = hull_bounds(cams, [np.full((size, size), 255, np.uint8)] * 4, pad_voxels=1, attempts=3)
    last = 2 * SEARCH_HALF_SIDE * 4  # the third cube's side
    assert np.allclose(hi - lo, last + 2 * last / SEARCH_RESOLUTION)


def test_the_tight_voxel_test_hugs_the_person_and_still_holds_it():
    """The hull method's carve (slack 0: a voxel's centre within half a pixel of the person) is closer to the true
    volume than the conservative test of the sampling hull, and keeps the whole person (up to a voxel at the rim)."""
    centre, radii, size = np.zeros(3), np.array([0.3, 0.9, 0.2]), 128
    cams = []
    for k, a in enumerate(np.linspace(0, 2 * np.pi, 6, endpoint=False)):
        R, t = look_at(centre + np.array([3 * np.sin(a), 0.5, 3 * np.cos(a)]), centre)
        cams.append(Camera(f"c{k}", size, size, np.array([[90.0, 0, size / 2], [0, 90.0, size / 2], [0, 0, 1]]), R, t))
    masks = ellipsoid_masks(centre, radii, cams, size)
    loose = visual_hull(cams, masks, 64, dilate=0)
    tight = visual_hull(cams, masks, 64, dilate=0, slack=0.0, bounds=(loose.lo, loose.hi))
    pts = loose.centres()
    inside = (((pts - centre) / radii) ** 2).sum(-1) <= 1
    deep = (((pts - centre) / (radii - 1.5 * loose.voxel)) ** 2).sum(-1) <= 1
    true_volume = inside.sum()
    assert abs(int(tight.occupied.sum()) - true_volume) < 0.5 * abs(int(loose.occupied.sum()) - true_volume)
    assert tight.occupied.reshape(-1)[deep].all()  # nothing of the person is carved away but the rim
    assert tight.occupied.sum() >= 0.97 * true_volume
