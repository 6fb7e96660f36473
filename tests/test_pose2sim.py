"""The real Pose2Sim 4-camera capture converts to a valid, calibrated, +Y-up subject folder."""

import numpy as np
import pytest
from typer.testing import CliRunner

from apps.cli import app
from tests.conftest import shared_data
from usr.io.errors import CaptureError
from usr.io.opencv_calib import read_opencv_toml, to_project_world
from usr.io.subject_folder import read_subject
from usr.io.validate import subject_problems

pytestmark = pytest.mark.shared_data


def test_calibration_turns_z_up_world_to_y_up_and_recentres():
    calib = shared_data("real", "pose2sim_4cam", "Calib_scene_opencv.toml")
    source = read_opencv_toml(calib)
    assert len(source) == 4 and source[0].width == 1088 and source[0].height == 1920  # portrait
    cams, T = to_project_world(source)
    assert np.allclose(T[:3, :3] @ [0, 0, 1], [0, 1, 0])  # the source world is Z-up
    centres = np.array([c.center for c in cams])
    assert (centres[:, 1] > 0.5).all()  # cameras above the person's centre, looking slightly down
    for c in cams:  # every camera sees the origin (the person) near the image centre
        uv, z = c.project(np.zeros((1, 3)))
        assert z[0] > 0 and 0.2 * c.width < uv[0, 0] < 0.8 * c.width and 0.2 * c.height < uv[0, 1] < 0.8 * c.height
    # reprojection is unchanged by the change of world
    p = np.array([[0.3, 1.2, 0.4]])
    for a, b in zip(source, cams):
        pb = (T[:3, :3] @ p[0] + T[:3, 3])[None]
        assert np.allclose(a.project(p)[0], b.project(pb)[0], atol=1e-6)


def test_import_video_writes_a_valid_subject(tmp_path):
    folder = shared_data("real", "pose2sim_4cam")
    out = tmp_path / "p2s"
    res = CliRunner().invoke(app, ["data", "import-video", "--calib", str(folder / "Calib_scene_opencv.toml"),
                                   "--videos", str(folder), "--frame", "10", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "codec padding" in res.output  # two videos are 1080 wide, calibrated at 1088
    assert subject_problems(out) == []
    cap = read_subject(out)
    assert cap.camera_names == ["cam01", "cam02", "cam03", "cam04"]
    assert all(img.shape[0] == 1920 for img in cap.images)
    res = CliRunner().invoke(app, ["data", "validate", str(out)])
    assert res.exit_code == 0 and "OK:" in res.output and "4 views" in res.output


def test_bad_calibration_and_missing_video_are_named(tmp_path):
    folder = shared_data("real", "pose2sim_4cam")
    text = (folder / "Calib_scene_opencv.toml").read_text().replace("rotation = [ 1.678", "rotation = [ nan, 1.678", 1)
    bad = tmp_path / "calib.toml"
    bad.write_text(text)
    with pytest.raises(CaptureError, match="calib.toml: int_cam01_img"):
        read_opencv_toml(bad)
    res = CliRunner().invoke(app, ["data", "import-video", "--calib", str(folder / "Calib_scene_opencv.toml"),
                                   "--videos", str(folder / "cam01.mp4"), "--out", str(tmp_path / "x")])
    assert res.exit_code == 1 and "int_cam02_img: no video for this camera" in res.output
    assert not (tmp_path / "x").exists()


def test_import_video_with_clean_plates_writes_masks(tmp_path):
    """Wiring of --masks clean-plate with given plates (here: frame 0 of each video, so the person's motion since)."""
    import cv2

    folder = shared_data("real", "pose2sim_4cam")
    plates = tmp_path / "plates"
    plates.mkdir()
    for n in (1, 2, 3):
        video = cv2.VideoCapture(str(folder / f"cam0{n}.mp4"))
        ok, bgr = video.read()
        video.release()
        assert ok
        cv2.imwrite(str(plates / f"cam0{n}.png"), bgr)
    args = ["data", "import-video", "--calib", str(folder / "Calib_scene_opencv.toml"), "--videos", str(folder),
            "--frame", "60", "--masks", "clean-plate", "--clean-plates", str(plates)]
    res = CliRunner().invoke(app, args + ["--out", str(tmp_path / "a")])
    assert res.exit_code == 1 and "plates: cam04: no clean plate cam04.png/.jpg" in res.output
    assert not (tmp_path / "a").exists()
    (plates / "cam04.png").write_bytes((plates / "cam01.png").read_bytes())  # wrong size (1080 vs 1088 wide)
    res = CliRunner().invoke(app, args + ["--out", str(tmp_path / "b")])
    assert res.exit_code == 1 and "cam04.mp4: clean plate: plate is 1080x1920, the frame 1088x1920" in res.output
    (plates / "cam04.png").unlink()
    video = cv2.VideoCapture(str(folder / "cam04.mp4"))
    cv2.imwrite(str(plates / "cam04.png"), video.read()[1])
    video.release()
    res = CliRunner().invoke(app, args + ["--out", str(tmp_path / "c")])
    assert res.exit_code == 0 and "with person masks" in res.output, res.output
    cap = read_subject(tmp_path / "c")
    assert cap.masks is not None and all(0.001 < (m > 0).mean() < 0.5 for m in cap.masks)
    assert subject_problems(tmp_path / "c") == []
    res = CliRunner().invoke(app, [*args[:-4], "--masks", "clean-plate+parser", "--clean-plates", str(plates),
                                   "--out", str(tmp_path / "d")])
    assert res.exit_code == 0 and "with person masks" in res.output, res.output
    refined = read_subject(tmp_path / "d").masks
    for rough, better in zip(cap.masks, refined):  # the parser adds what the plate missed, keeps what it found
        assert ((better > 0) & (rough > 0)).sum() >= 0.8 * (rough > 0).sum()
    assert subject_problems(tmp_path / "d") == []


def test_the_import_says_when_much_of_a_mask_was_a_ghost_of_the_clip_plate():
    from pathlib import Path

    from usr.io.clean_plate import RepairedMask
    from usr.io.video import _ghost_note

    final = np.zeros((40, 20), np.uint8)
    final[5:35, 5:15] = 255
    plate_mask = final.copy()
    assert _ghost_note(Path("cam01.mp4"), plate_mask, RepairedMask(final, np.zeros((40, 20), bool))) == []
    plate_mask[20:35] = 0  # the legs held still: the plate took them in
    said = _ghost_note(Path("cam01.mp4"), plate_mask, RepairedMask(final))
    assert len(said) == 1 and said[0].startswith("cam01.mp4: 50% of the person matched the plate"), said
    still = np.zeros((40, 20), bool)
    still[30:38, 15:19] = True  # a foot that never moved, left out
    said = _ghost_note(Path("cam01.mp4"), final, RepairedMask(final, still))
    assert len(said) == 1 and "an area of 11% of the mask" in said[0] and "--clean-plates" in said[0], said
