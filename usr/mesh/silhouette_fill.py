"""Silhouette fill: a reconstruction must cover what every input view saw.

The model predicts a surface from what it learnt; on a pose it never saw (a leg stretched out level, a cartwheel)
it can leave a limb out, although every input mask shows it. The masks and cameras prove the person is there, so
after the feed-forward SDF lattice is made (usr.mesh.extract), its inside is projected into each input view; the
parts of the mask it leaves uncovered (after an opening that ignores slivers along the edge, and only pieces of at
least `min_area` of the mask) are the view's gaps. A lattice point whose projection falls in the gaps of at least
`min_views` views (two views place a point in depth; one only gives a ray) takes the visual hull's signed distance
there when that is lower: the missing part comes back as the hull carved by the masks — coarse, but there —,
everywhere else the model's surface is untouched. Where the model covers every mask this changes nothing.

The converse (`carve_to_hull`, `hull_carve`): what some input view sees as background is not the person, so an inside
lattice point that projects outside some input mask takes the hull's (positive) signed distance — the model's surface,
cut to the visual hull of the input masks (views whose image a point falls outside of say nothing about it).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from usr.geometry.projection import project_points
from usr.mesh.extract import FAR
from usr.model.views import silhouette_distance
from usr.prepared_views import PreparedViews
from usr.recon_spec import FillSettings

CHUNK = 1 << 20  # lattice points per projection batch (bounded memory)


def view_gaps(values: np.ndarray, lo: np.ndarray, step: float, views: PreparedViews, settings: FillSettings
              ) -> list[np.ndarray]:
    """Per view, the mask pixels (bool, working size) the lattice's inside (values < 0) does not cover."""
    inside = values < 0
    points = lo + np.argwhere(_shell(inside)) * step  # projects onto the same pixels as the solid
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * settings.open_px + 1,) * 2)
    gaps = []
    for cam, mask in zip(views.cameras, views.masks):
        covered, depths = np.zeros(mask.shape, np.uint8), []
        for part in range(0, len(points), CHUNK):
            px, ok, z = _pixels(cam, points[part : part + CHUNK], mask.shape)
            covered[px[ok, 1], px[ok, 0]] = 1
            depths.append(z[ok])
        # each lattice point stands for a cell one step wide (the surface lies up to a step beyond the inside points)
        depth = float(np.median(np.concatenate(depths))) if sum(map(len, depths)) else 1.0
        radius = max(1, int(np.ceil(step * cam.K[0, 0] / max(depth, 1e-6))))
        covered = cv2.dilate(covered, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2))
        gap = ((mask > 127) & (covered == 0)).astype(np.uint8)
        gap = cv2.morphologyEx(gap, cv2.MORPH_OPEN, kernel) if settings.open_px else gap
        count, labels, stats, _ = cv2.connectedComponentsWithStats(gap, connectivity=8)
        keep = np.zeros(count, bool)
        keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= settings.min_area * max(int((mask > 127).sum()), 1)
        gaps.append(keep[labels])
    return gaps


def fill_from_hull(values: np.ndarray, lo: np.ndarray, step: float, views: PreparedViews,
                   settings: FillSettings = FillSettings()) -> tuple[np.ndarray, dict]:
    """The lattice with the input views' gaps filled from the visual hull (module doc), and a report: each view's
    gap as a share of its mask, and the lattice points filled."""
    if not settings.silhouette_fill:
        return values, {"gap_share": {}, "filled_points": 0}
    gaps = view_gaps(values, lo, step, views, settings)
    masks = [(m > 127).sum() for m in views.masks]
    report = {"gap_share": {n: round(float(g.sum() / max(m, 1)), 4) for n, g, m in zip(views.names, gaps, masks)},
              "filled_points": 0}
    if sum(int(g.any()) for g in gaps) < settings.min_views:
        return values, report
    distances = [silhouette_distance(m) for m in views.masks]
    candidates = np.flatnonzero(values.reshape(-1) < FAR)
    out = values.copy().reshape(-1)
    for part in range(0, len(candidates), CHUNK):
        flat = candidates[part : part + CHUNK]
        points = lo + np.stack(np.unravel_index(flat, values.shape), -1) * step
        in_gaps = np.zeros(len(flat), np.int32)
        for k, (cam, gap) in enumerate(zip(views.cameras, gaps)):
            live = np.flatnonzero(in_gaps + (len(gaps) - k) >= settings.min_views)  # can still reach min_views
            px, ok, _ = _pixels(cam, points[live], gap.shape)
            in_gaps[live[ok]] += gap[px[ok, 1], px[ok, 0]]
        chosen = np.flatnonzero(in_gaps >= settings.min_views)
        hull = _hull_distance(points[chosen], views, distances, unseen=np.inf)  # outside an image: outside the hull
        out[flat[chosen]] = np.minimum(out[flat[chosen]], hull)
        report["filled_points"] += int((hull < 0).sum())
    return out.reshape(values.shape), report


def carve_to_hull(values: np.ndarray, lo: np.ndarray, step: float, views: PreparedViews,
                  settings: FillSettings = FillSettings()) -> tuple[np.ndarray, int]:
    """The lattice cut to the visual hull of the input masks (module doc) and the number of points it turned outside."""
    if not settings.hull_carve:
        return values, 0
    distances = [silhouette_distance(m) for m in views.masks]
    candidates = np.flatnonzero(values.reshape(-1) < 0)
    out, carved = values.copy().reshape(-1), 0
    for part in range(0, len(candidates), CHUNK):
        flat = candidates[part : part + CHUNK]
        points = lo + np.stack(np.unravel_index(flat, values.shape), -1) * step
        hull = _hull_distance(points, views, distances, unseen=-np.inf)  # a view a point is outside of says nothing
        outside = hull > 0  # inside every mask the model's values stay as they are
        carved += int(outside.sum())
        out[flat[outside]] = hull[outside]
    return out.reshape(values.shape), carved


def _hull_distance(points: np.ndarray, views: PreparedViews, distances: list[np.ndarray], unseen: float) -> np.ndarray:
    """The visual hull's signed distance at the points (metres, the largest over the views of each mask's pixel
    distance (`silhouette_distance`) scaled by depth); a point outside a view's image counts as `unseen` there."""
    hull = np.full(len(points), -np.inf, np.float32)
    for cam, dist in zip(views.cameras, distances):
        px, ok, z = _pixels(cam, points, dist.shape)
        sil = np.full(len(points), unseen, np.float32)
        sil[ok] = dist[px[ok, 1], px[ok, 0]] * z[ok] / cam.K[0, 0]
        hull = np.maximum(hull, sil)
    return hull


def _pixels(cam, points: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points' nearest pixels (n, 2: x, y), whether they are in front of the (undistorted, usr.prepared_views)
    camera and inside an image of `shape`, and their depths."""
    as_tensor = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)[None]  # noqa: E731
    uv, z = project_points(as_tensor(cam.K), as_tensor(cam.R), as_tensor(cam.t), as_tensor(points)[0])
    uv, z = uv[0].numpy(), z[0].numpy()
    px = np.round(np.nan_to_num(uv, nan=-1.0, posinf=-1.0, neginf=-1.0)).astype(np.int64)
    ok = (z > 0) & (px[:, 0] >= 0) & (px[:, 0] < shape[1]) & (px[:, 1] >= 0) & (px[:, 1] < shape[0])
    return px, ok, z


def _shell(inside: np.ndarray) -> np.ndarray:
    """The inside lattice points with a face neighbour outside (or on the lattice's border)."""
    shell = np.zeros_like(inside)
    for axis in range(3):
        a, b = [slice(None)] * 3, [slice(None)] * 3
        a[axis], b[axis] = slice(1, None), slice(None, -1)
        differs = inside[tuple(a)] != inside[tuple(b)]
        shell[tuple(a)] |= differs
        shell[tuple(b)] |= differs
        edge = [slice(None)] * 3
        for end in (0, -1):
            edge[axis] = end
            shell[tuple(edge)] = True
    return shell & inside
