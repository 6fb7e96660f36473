"""The silhouette fill: what the model left out of every input mask comes back from the visual hull; a surface that
covers the masks is left as it is."""

from __future__ import annotations

import numpy as np

from tests.test_model import look_at
from usr.mesh.silhouette_fill import fill_from_hull
from usr.prepared_views import PreparedViews

BODY = (np.zeros(3), 0.35)
LIMB = (np.array([0.6, 0.2, 0.0]), 0.15)  # the part "the model" leaves out


def masks_of(spheres, cams) -> list[np.ndarray]:
    out = []
    for cam in cams:
        o, d = cam.image_rays()
        hit = np.zeros(o.shape[:2], bool)
        for centre, radius in spheres:
            oc = o - centre
            b = (oc * d).sum(-1)
            hit |= b**2 - ((oc**2).sum(-1) - radius**2) > 0
        out.append((hit * 255).astype(np.uint8))
    return out


def lattice(spheres, n: int = 64):
    lo, step = np.full(3, -1.0), 2.0 / (n - 1)
    p = lo + np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1) * step
    values = np.min([np.linalg.norm(p - c, axis=-1) - r for c, r in spheres], axis=0).astype(np.float32)
    return values, lo, step, p


def test_a_part_missing_from_every_mask_comes_back_and_a_covering_surface_is_unchanged():
    cams = [look_at(f"c{k}", 3 * np.array([np.sin(a), 0.3, np.cos(a)]), size=128, focal=120.0)
            for k, a in enumerate((0.3, 2.4, 4.4))]
    masks = masks_of([BODY, LIMB], cams)
    views = PreparedViews([c.name for c in cams], cams, [np.repeat(m[..., None], 3, 2) for m in masks], masks)

    dropped, lo, step, p = lattice([BODY])
    filled, report = fill_from_hull(dropped, lo, step, views)
    in_limb = np.linalg.norm(p - LIMB[0], axis=-1) < 0.1
    assert (dropped[in_limb] > 0).all() and (filled[in_limb] < 0).all()
    assert report["filled_points"] > 0 and sorted(report["gap_share"].values())[-2] > 0.05  # seen in two views
    assert np.array_equal(filled[dropped < 0] < 0, np.ones((dropped < 0).sum(), bool))  # nothing was carved
    far = np.linalg.norm(p - np.array([0.0, 0.8, 0.0]), axis=-1) < 0.1  # above the body: in no gap
    assert (filled[far] == dropped[far]).all()

    whole, lo, step, _ = lattice([BODY, LIMB])
    same, report = fill_from_hull(whole, lo, step, views)
    assert np.array_equal(same, whole) and report["filled_points"] == 0


def test_the_carve_cuts_what_a_view_sees_as_background_and_keeps_what_every_view_sees():
    from usr.mesh.silhouette_fill import carve_to_hull
    from usr.recon_spec import FillSettings

    cams = [look_at(f"c{k}", 3 * np.array([np.sin(a), 0.3, np.cos(a)]), size=128, focal=120.0)
            for k, a in enumerate((0.3, 2.4, 4.4))]
    masks = masks_of([BODY], cams)
    views = PreparedViews([c.name for c in cams], cams, [np.repeat(m[..., None], 3, 2) for m in masks], masks)
    fat, lo, step, p = lattice([BODY, LIMB])  # "the model" added a limb no mask shows
    kept, carved = carve_to_hull(fat, lo, step, views, FillSettings(hull_carve=False))
    assert kept is fat and carved == 0
    cut, carved = carve_to_hull(fat, lo, step, views, FillSettings(hull_carve=True))
    in_limb = np.linalg.norm(p - LIMB[0], axis=-1) < 0.1
    assert (fat[in_limb] < 0).all() and (cut[in_limb] > 0).all() and carved > 0
    deep = np.linalg.norm(p - BODY[0], axis=-1) < BODY[1] - 2 * step
    assert (cut[deep] == fat[deep]).all()  # inside every mask: untouched
