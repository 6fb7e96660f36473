"""Subject folders: round trip, atomic writes, and a clear error naming file and field for bad input."""

import json

import numpy as np
import pytest
from PIL import Image

from usr.io.cameras import Camera, intrinsics_from_fov, look_at
from usr.io.capture import SubjectCapture
from usr.io.errors import CaptureError
from usr.io.subject_folder import read_subject, write_subject
from usr.io.validate import subject_problems


def tiny_capture(n=2, w=32, h=24):
    cams, imgs, masks = [], [], []
    for i in range(n):
        R, t = look_at(np.array([np.sin(i), 0.2, 3 * np.cos(i)]), np.zeros(3))
        cams.append(Camera(f"cam{i:02d}", w, h, intrinsics_from_fov(w, h, 0.8), R, t))
        imgs.append(np.full((h, w, 3), 40 * i, np.uint8))
        m = np.zeros((h, w), np.uint8)
        m[5:15, 8:20] = 255
        masks.append(m)
    return SubjectCapture("tiny", cams, imgs, masks)


@pytest.fixture
def subject(tmp_path):
    return write_subject(tiny_capture(), tmp_path / "subj")


def test_round_trip(subject):
    cap = read_subject(subject)
    ref = tiny_capture()
    assert cap.camera_names == ["cam00", "cam01"]
    for a, b in zip(cap.cameras, ref.cameras):
        assert np.allclose(a.K, b.K, atol=1e-12) and np.allclose(a.R, b.R) and np.allclose(a.t, b.t)
    assert np.array_equal(cap.images[1], ref.images[1]) and np.array_equal(cap.masks[0], ref.masks[0])
    assert subject_problems(subject) == []


def _edit_cameras(subject, fn):
    p = subject / "cameras.json"
    doc = json.loads(p.read_text())
    fn(doc)
    p.write_text(json.dumps(doc))


def _problems(subject):
    with pytest.raises(CaptureError) as err:
        read_subject(subject)
    assert err.value.problems == subject_problems(subject)
    return "\n".join(err.value.problems)


@pytest.mark.parametrize("edit, file_field", [
    (lambda d: d.update(version=7), "cameras.json: version: unknown schema version 7"),
    (lambda d: d["cameras"][1]["K"][0].__setitem__(0, float("nan")), "cameras.json: cameras[1].K: contains non-finite"),
    (lambda d: d["cameras"][0].__setitem__("R", [[1, 0, 0], [0, 1, 0], [0, 0, -1]]), "cameras.json: cameras[0].R: not a rotation"),
    (lambda d: d["cameras"][0].__setitem__("t", [0, 1]), "cameras.json: cameras[0].t: shape must be (3,)"),
    (lambda d: d["cameras"][0].pop("K"), "cameras.json: cameras[0]: missing field(s) K"),
    (lambda d: d["cameras"].append(dict(d["cameras"][0], name="cam09")), "cameras.json: cameras: 3 cameras but 2 images"),
    (lambda d: d["cameras"][1].__setitem__("name", "cam00"), "duplicate camera name 'cam00'"),
    (lambda d: d["cameras"][0].__setitem__("width", 64), "cam00.png: size: 32x24 but cameras.json declares 64x24"),
])
def test_bad_cameras_json_names_file_and_field(subject, edit, file_field):
    _edit_cameras(subject, edit)
    assert file_field in _problems(subject)


def test_bad_images_and_masks_name_the_file(subject):
    (subject / "images" / "cam01.png").write_bytes(b"not a png")
    Image.fromarray(np.zeros((24, 32), np.uint8)).save(subject / "masks" / "cam00.png")
    (subject / "masks" / "cam01.png").unlink()
    text = _problems(subject)
    assert "images/cam01.png: cannot read image" in text
    assert "masks/cam00.png: mask: empty mask" in text
    assert "masks/cam01.png: missing masks for camera 'cam01'" in text


def test_missing_image_and_unknown_extra_image(subject):
    (subject / "images" / "cam00.png").rename(subject / "images" / "camXX.png")
    text = _problems(subject)
    assert "images/cam00.png: missing image" in text and "camXX: image has no camera" in text


def test_missing_cameras_json_and_bad_json(tmp_path, subject):
    assert "cameras.json: file not found" in "\n".join(subject_problems(tmp_path))
    (subject / "cameras.json").write_text("{oops")
    assert "not valid JSON" in _problems(subject)


def test_no_partial_folder_after_a_failed_write(tmp_path):
    cap = tiny_capture()
    cap.images[1] = np.zeros((24, 32, 7), np.uint8)  # PIL cannot encode 7 channels: fails mid-write
    with pytest.raises(Exception):
        write_subject(cap, tmp_path / "subj")
    assert not (tmp_path / "subj").exists()
    assert list(tmp_path.iterdir()) == []  # no temp debris either


def test_existing_folder_is_not_overwritten_silently(tmp_path, subject):
    with pytest.raises(FileExistsError, match="already exists"):
        write_subject(tiny_capture(), subject)
