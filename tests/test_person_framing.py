"""Real captures where the person is small in the frame: cropping to the person, and masks made whole."""

from __future__ import annotations

import numpy as np

from usr.io.cameras import Camera, intrinsics_from_fov, look_at
from usr.io.capture import SubjectCapture
from usr.parsing.mask_repair import grabcut_person
from usr.prepared_views import TRAINING_FILL, prepare_views


def small_person_capture() -> tuple[SubjectCapture, np.ndarray]:
    """One 600×400 portrait view whose person box (80 px tall, off-centre) carries a coordinate-coded colour."""
    w, h = 400, 600
    R, t = look_at(np.array([0.0, 0.5, 4.0]), np.zeros(3))
    cam = Camera("cam00", w, h, intrinsics_from_fov(w, h, np.radians(50)), R, t)
    ys, xs = np.mgrid[0:h, 0:w]
    image = np.stack([xs % 256, ys % 256, (xs // 256) * 100 + (ys // 256) * 50], -1).astype(np.uint8)
    mask = np.zeros((h, w), np.uint8)
    mask[400:480, 50:90] = 255
    return SubjectCapture("small", [cam], [image], masks=[mask]), image


def test_a_small_person_is_cropped_and_the_camera_still_projects_onto_the_same_pixels():
    capture, image = small_person_capture()
    cam = capture.cameras[0]
    views = prepare_views(capture, work_size=128)
    small, crop_img, crop_mask = views.cameras[0], views.images[0], views.masks[0]
    assert (small.width, small.height) == (128, 128)
    ys, xs = np.nonzero(crop_mask)
    assert abs((ys.max() - ys.min() + 1) / 128 - TRAINING_FILL) < 0.05  # the person now fills the crop as in training
    # a point seen at pixel (70, 440) of the original view lands on the pixel of the crop showing the same colour
    origin, direction = cam.pixel_rays(np.array([[70.0, 440.0]]))
    point = origin + 3.0 * direction
    uv, _ = small.project(point)
    u, v = np.round(uv[0]).astype(int)
    assert crop_mask[v, u] == 255
    assert np.abs(crop_img[v, u].astype(int) - image[440, 70].astype(int)).max() <= 12  # INTER_AREA over ~5 px


def test_a_person_who_fills_the_frame_is_not_cropped():
    capture, _ = small_person_capture()
    capture.masks[0][:] = 0
    capture.masks[0][100:560, 100:300] = 255
    views = prepare_views(capture, work_size=120)
    assert (views.cameras[0].width, views.cameras[0].height) == (80, 120)
    assert np.allclose(views.cameras[0].K, capture.cameras[0].fit(120).K)


def tiled_room(rng: np.random.Generator, h: int, w: int, *painted: tuple[np.ndarray, tuple[int, int, int]]
               ) -> np.ndarray:
    """An h×w picture of a set tiled in three colours, the (mask, colour) regions painted on it, sensor noise."""
    tiles = rng.choice(np.array([[40, 60, 150], [90, 90, 90], [30, 30, 40]], np.uint8), size=(h // 8, w // 8))
    image = np.repeat(np.repeat(tiles, 8, 0), 8, 1)
    for mask, colour in painted:
        image[mask] = colour
    return np.clip(image + rng.normal(0, 4, image.shape), 0, 255).astype(np.uint8)


def test_grabcut_recovers_the_ghost_of_a_still_torso_and_drops_the_parsers_clutter():
    h, w = 160, 160
    truth = np.zeros((h, w), bool)
    truth[30:130, 60:100] = True  # torso + legs
    truth[40:50, 30:130] = True  # arms
    image = tiled_room(np.random.default_rng(0), h, w, (truth, (215, 165, 135)))
    rough = truth.copy()
    rough[50:110, 62:98] = False  # the torso stood still while the plate was estimated: missing
    parser = truth.copy()
    parser[100:150, 100:140] = True  # the parser also calls part of the set person
    iou = lambda a, b: (a & b).sum() / (a | b).sum()  # noqa: E731
    refined = grabcut_person(image, rough.astype(np.uint8) * 255, parser.astype(np.float32)) > 127
    assert iou(rough, truth) < 0.6
    assert iou(parser, truth) < 0.8
    assert iou(refined, truth) > 0.9


def test_the_clip_motion_brings_back_a_ghost_leg_the_plate_lost_and_keeps_the_parsers_clutter_out():
    from usr.parsing.mask_repair import fuse_person_cues

    h, w = 240, 200
    truth = np.zeros((h, w), bool)
    truth[30:140, 80:120] = True  # torso
    truth[140:220, 82:98] = True  # the standing leg
    truth[140:200, 104:140] = True  # the other leg, stretched out
    clutter = np.zeros((h, w), bool)
    clutter[150:230, 20:70] = True  # a chair beside the standing leg, the parser calls it person
    image = tiled_room(np.random.default_rng(1), h, w, (truth, (215, 165, 135)), (clutter, (200, 120, 90)))
    rough = truth.copy()
    rough[140:220, 82:98] = False  # the standing leg stood still while the plate was estimated: a ghost
    parser = (truth | clutter).astype(np.float32)
    moved = np.zeros((h, w), np.float32)
    moved[25:225, 75:145] = 0.4  # the person passed there during the clip, never over the chair
    iou = lambda a, b: (a & b).sum() / (a | b).sum()  # noqa: E731
    fused = fuse_person_cues(image, rough.astype(np.uint8) * 255, parser, moved=moved) > 127
    assert iou(rough, truth) < 0.85
    assert iou(parser > 0.5, truth) < 0.7
    assert iou(fused, truth) > 0.9, iou(fused, truth)
    assert fused[clutter].mean() < 0.05
