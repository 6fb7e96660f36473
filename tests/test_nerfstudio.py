"""transforms.json → subject folder → transforms.json keeps cameras to 1e-6; intrinsics variants parse."""

import json
import math

import numpy as np
import pytest
from PIL import Image

from usr.io.cameras import camera_to_opengl_c2w
from usr.io.errors import CaptureError
from usr.io.nerfstudio import read_transforms, write_transforms
from usr.io.subject_folder import read_subject, write_subject
from tests.test_subject_folder import tiny_capture


def _ns_folder(tmp_path, per_frame: bool):
    cap = tiny_capture(3)
    (tmp_path / "ns" / "images").mkdir(parents=True)
    frames = []
    for i, (cam, img) in enumerate(zip(cap.cameras, cap.images)):
        Image.fromarray(img).save(tmp_path / "ns" / "images" / f"{cam.name}.png")
        fr = {"file_path": f"images/{cam.name}", "transform_matrix": camera_to_opengl_c2w(cam).tolist()}
        if per_frame:
            fr.update(w=32, h=24, fl_x=30.0 + i, fl_y=31.0 + i, cx=16.0, cy=12.5, k1=0.01 * i, p2=0.001)
        frames.append(fr)
    doc = {"frames": frames}
    if not per_frame:
        doc.update(w=32, h=24, camera_angle_x=0.9)
    (tmp_path / "ns" / "transforms.json").write_text(json.dumps(doc))
    return tmp_path / "ns" / "transforms.json", cap


@pytest.mark.parametrize("per_frame", [True, False])
def test_round_trip_through_subject_folder(tmp_path, per_frame):
    path, ref = _ns_folder(tmp_path, per_frame)
    cap = read_transforms(path)
    for a, b in zip(cap.cameras, ref.cameras):
        assert np.allclose(a.R, b.R, atol=1e-9) and np.allclose(a.t, b.t, atol=1e-9)
    if per_frame:
        assert np.isclose(cap.cameras[1].K[0, 0], 31.0) and np.isclose(cap.cameras[0].K[0, 2], 15.5)  # cx − 0.5
        assert np.isclose(cap.cameras[2].dist[0], 0.02)
    else:
        assert np.isclose(cap.cameras[0].K[0, 0], 16 / math.tan(0.45))
    write_subject(cap, tmp_path / "subject")
    out = write_transforms(read_subject(tmp_path / "subject"), tmp_path / "ns2")
    before, after = json.loads(path.read_text()), json.loads(out.read_text())
    again = read_transforms(out)
    for a, b in zip(cap.cameras, again.cameras):
        for x, y in ((a.K, b.K), (a.R, b.R), (a.t, b.t)):
            assert np.allclose(x, y, atol=1e-6)
    for fa, fb in zip(before["frames"], after["frames"]):
        assert np.allclose(fa["transform_matrix"], fb["transform_matrix"], atol=1e-6)
        if per_frame:
            for k in ("fl_x", "fl_y", "cx", "cy", "k1", "p2"):
                assert abs(fa[k] - fb[k]) < 1e-6, k


def test_errors_name_file_and_field(tmp_path):
    path, _ = _ns_folder(tmp_path, True)
    doc = json.loads(path.read_text())
    doc["frames"][1]["camera_model"] = "OPENCV_FISHEYE"
    path.write_text(json.dumps(doc))
    with pytest.raises(CaptureError, match=r"transforms.json: frames\[1\].camera_model: OPENCV_FISHEYE is not supported"):
        read_transforms(path)
    doc["frames"] = []
    path.write_text(json.dumps(doc))
    with pytest.raises(CaptureError, match="frames: must be a non-empty list"):
        read_transforms(path)
