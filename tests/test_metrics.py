"""Metric functions against hand-computed cases."""

import numpy as np
import trimesh

from usr.metrics.geometry import geometry_scores, height_scale, sample_surface
from usr.metrics.images import psnr, silhouette_iou, ssim


def test_psnr_ssim_iou_hand_computed():
    a = np.zeros((10, 10, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 255  # one channel-pixel triple fully wrong: mse = 3/300 = 0.01 → 20 dB
    assert np.isclose(psnr(b, a), 20.0)
    mask = np.zeros((10, 10), np.uint8)
    mask[:1, :1] = 255  # only the wrong pixel: mse = 1 → 0 dB
    assert np.isclose(psnr(b, a, mask), 0.0)
    assert psnr(a, a) == float("inf") and np.isclose(ssim(a, a), 1.0)
    m1 = np.zeros((4, 4), np.uint8)
    m2 = np.zeros((4, 4), np.uint8)
    m1[:2] = 255
    m2[1:3] = 255  # overlap one row of 4, union three rows
    assert np.isclose(silhouette_iou(m1, m2), 1 / 3)


def test_geometry_scores_of_concentric_spheres():
    gt = trimesh.creation.icosphere(5, radius=0.9)  # 1.8 m tall: scale 1
    pred = trimesh.creation.icosphere(5, radius=0.85)
    assert np.isclose(height_scale(gt), 1.0, atol=1e-3)
    s = geometry_scores(pred, gt, samples=4000)
    assert np.isclose(s.p2s_cm, 5.0, atol=0.1) and np.isclose(s.reverse_cm, 5.0, atol=0.1)
    assert np.isclose(s.chamfer_cm, 5.0, atol=0.1)
    assert s.normal_consistency > 0.99  # same normals direction at every pixel of concentric spheres
    same = geometry_scores(gt, gt, samples=2000)
    assert same.chamfer_cm < 0.05 and same.normal_consistency > 0.999


def test_height_scaling_makes_scores_comparable():
    gt = trimesh.creation.icosphere(4, radius=0.45)  # 0.9 m tall → scaled ×2
    pred = trimesh.creation.icosphere(4, radius=0.44)
    s = geometry_scores(pred, gt, samples=3000)
    assert np.isclose(s.scale, 2.0, atol=1e-2) and np.isclose(s.p2s_cm, 2.0, atol=0.1)


def test_area_weighted_sampling_is_uniform():
    box = trimesh.creation.box((2.0, 1.0, 1.0))
    pts = sample_surface(box, 20000, seed=0)
    big_faces = np.isclose(np.abs(pts[:, 0]), 1.0).mean()  # the two 1×1 faces hold 2/10 of the area
    assert abs(big_faces - 0.2) < 0.02
