"""Clean-plate person masks: a synthetic static camera filming a moving figure over a textured set."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from usr.io.clean_plate import PlateConfig, estimate_plate, mask_from_video, person_mask, read_clip
from usr.io.errors import CaptureError

H, W, N = 120, 160, 40


def background() -> np.ndarray:
    rng = np.random.default_rng(0)
    tiles = rng.integers(40, 200, (H // 8, W // 8, 3), dtype=np.uint8)
    return cv2.resize(tiles, (W, H), interpolation=cv2.INTER_NEAREST)


def figure_box(t: int, moving: bool = True) -> tuple[slice, slice]:
    x = 10 + (3 * t if moving else 60)
    return slice(30, 100), slice(x, x + 25)


def frames(moving: bool = True) -> np.ndarray:
    bg = background()
    out = []
    for t in range(N):
        f = bg.copy()
        f[figure_box(t, moving)] = (230, 60, 90)
        out.append(f)
    return np.stack(out)


def write_video(path, clip: np.ndarray) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (W, H))
    assert writer.isOpened()
    for f in clip:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_plate_is_recovered_where_the_figure_moves_away():
    clip = frames()
    plate = estimate_plate(clip, PlateConfig(still_window=2))
    err = np.abs(plate.astype(int) - background().astype(int)).max(-1)
    assert (err > 10).mean() < 0.01


def test_mask_of_one_frame_matches_the_figure():
    clip = frames()
    t = 20
    mask = person_mask(clip[t], background())
    truth = np.zeros((H, W), bool)
    truth[figure_box(t)] = True
    assert iou(mask > 0, truth) > 0.9


def test_mask_from_video_estimates_the_plate_from_the_clip(tmp_path):
    video = tmp_path / "cam01.avi"
    write_video(video, frames())
    clip = read_clip(video, 20, 30)
    assert clip.shape == (30, H, W, 3)  # frames 5..34: clip[15] is frame 20
    mask = mask_from_video(video, 20, clip[15], config=PlateConfig(clip=30, still_window=2))
    truth = np.zeros((H, W), bool)
    truth[figure_box(20)] = True
    assert iou(mask > 0, truth) > 0.8


def test_static_person_without_a_plate_is_a_clear_error(tmp_path):
    video = tmp_path / "cam02.avi"
    clip = frames(moving=False)
    write_video(video, clip)
    with pytest.raises(CaptureError, match="cam02.avi: mask: clean-plate subtraction found no person"):
        mask_from_video(video, 5, clip[5], config=PlateConfig(clip=30, still_window=2))


def test_plate_of_another_size_is_named(tmp_path):
    video = tmp_path / "cam03.avi"
    write_video(video, frames())
    with pytest.raises(CaptureError, match="cam03.avi: clean plate: plate is 80x60"):
        mask_from_video(video, 5, frames()[5], plate=np.zeros((60, 80, 3), np.uint8))


def test_a_figure_that_stood_still_most_of_the_clip_is_a_ghost_that_the_motion_share_marks():
    from usr.io.clean_plate import motion_share

    bg = background()
    clip = []
    for t in range(N):  # still at x = 60 for 28 frames, then walks away to the right
        f = bg.copy()
        x = 60 if t < 28 else 60 + 8 * (t - 27)
        f[30:100, x:x + 25] = (230, 60, 90)
        clip.append(f)
    clip = np.stack(clip)
    plate = estimate_plate(clip, PlateConfig(still_window=2))
    figure = np.zeros((H, W), bool)
    figure[30:100, 60:85] = True
    assert (person_mask(clip[10], plate)[figure] > 0).mean() < 0.3  # the plate took the figure in: a ghost
    moved = motion_share(clip, plate)
    assert moved[figure].mean() > 0.15  # the figure was away from there in some frames
    never = np.ones((H, W), bool)
    never[25:105, 55:] = False  # where the figure never went
    assert moved[never].max() < 0.05


def test_a_leg_that_never_moved_is_found_beside_the_mask_and_detached_clutter_is_not():
    """A part held still for the whole clip is in the plate and never moves: no plate can tell it from the room. What
    the parser calls person there, joined to the person, is reported as held still (not silently dropped)."""
    from usr.io.clean_plate import motion_share
    from usr.parsing.mask_repair import fuse_person_cues, held_still

    bg = background()
    leg = np.zeros((H, W), bool)
    leg[75:112, 70:80] = True
    clutter = np.zeros((H, W), bool)
    clutter[80:115, 120:150] = True  # a chair the parser calls person, not touching the person
    clip = []
    for t in range(N):  # the torso sways over the leg, the leg never moves
        f = bg.copy()
        x = round(60 + 10 * np.sin(2 * np.pi * t / 10))
        f[30:76, x:x + 30] = (230, 60, 90)
        f[leg] = (215, 165, 135)
        clip.append(f)
    clip = np.stack(clip)
    plate = estimate_plate(clip, PlateConfig(still_window=2))
    moved = motion_share(clip, plate)
    image = clip[0]
    truth = leg.copy()
    truth[30:76, 60:90] = True
    rough = person_mask(image, plate)
    assert (rough[leg] > 0).mean() < 0.2  # the plate took the leg in
    assert moved[leg].max() < 0.05  # and it never moved: the motion cannot bring it back
    parser = (truth | clutter).astype(np.float32) * 0.95
    mask = fuse_person_cues(image, rough, parser, moved=moved)
    still = held_still(mask, parser, moved)
    assert ((mask > 127) | still)[leg].mean() > 0.95
    assert not still[clutter].any() and not (still & (mask > 127)).any()

    walk = frames()  # a figure walking across the set: every part moves, nothing is held still
    plate2 = estimate_plate(walk, PlateConfig(still_window=2))
    moved2 = motion_share(walk, plate2)
    parser2 = np.zeros((H, W), np.float32)
    parser2[figure_box(20)] = 0.95
    mask2 = fuse_person_cues(walk[20], person_mask(walk[20], plate2), parser2, moved=moved2)
    assert iou(mask2 > 127, parser2 > 0) > 0.9
    assert held_still(mask2, parser2, moved2).sum() < 0.05 * (mask2 > 127).sum()
