"""The camera convention: known points land on known pixels; rays invert projection; OpenGL conversion."""

import cv2
import numpy as np
import pytest

from usr.io.cameras import Camera, camera_problems, camera_to_opengl_c2w, look_at, opengl_c2w_to_camera, rodrigues


def _cam(dist=()):
    K = np.array([[500.0, 0, 319.5], [0, 510.0, 239.5], [0, 0, 1]])
    return Camera("c", 640, 480, K, np.eye(3), np.array([0.0, 0.0, 2.0]), np.array(dist, float))


def test_known_point_projects_to_expected_pixel():
    cam = _cam()
    # world (0.2, -0.1, 0.5) → camera (0.2, -0.1, 2.5) → u = 500*0.08 + 319.5, v = 510*(-0.04) + 239.5
    uv, z = cam.project(np.array([[0.2, -0.1, 0.5]]))
    assert np.allclose(uv[0], [359.5, 219.1]) and np.isclose(z[0], 2.5)
    # the optical axis hits the principal point, which is the centre of the image (pixel centres at integers)
    uv, _ = cam.project(np.array([[0.0, 0.0, 3.0]]))
    assert np.allclose(uv[0], [319.5, 239.5])


def test_look_at_camera_sees_target_upright():
    R, t = look_at(np.array([0.0, 1.0, 3.0]), np.zeros(3))
    cam = Camera("c", 100, 100, np.array([[100.0, 0, 49.5], [0, 100.0, 49.5], [0, 0, 1]]), R, t)
    (u0, v0), (u1, v1) = cam.project(np.array([[0.0, 0.0, 0.0], [0.0, 0.5, 0.0]]))[0]
    assert np.allclose([u0, v0], [49.5, 49.5])
    assert v1 < v0  # +Y world is up in the image
    ux = cam.project(np.array([[0.5, 0.0, 0.0]]))[0][0, 0]
    assert ux > u0  # camera in front (+Z) of a person facing +Z: the person's left (+X) is image right


@pytest.mark.parametrize("dist", [(), (-0.05, 0.15, -1e-4, 6e-4), (0.1, -0.2, 1e-3, -2e-3, 0.05)])
def test_projection_matches_opencv_and_rays_invert_it(dist):
    rng = np.random.default_rng(0)
    rvec = np.array([0.3, -0.5, 0.2])
    cam = Camera("c", 640, 480, np.array([[600.0, 0, 320], [0, 610.0, 240], [0, 0, 1]]), rodrigues(rvec),
                 np.array([0.1, -0.2, 3.0]), np.array(dist, float))
    pts = rng.uniform(-0.7, 0.7, (50, 3))
    uv, _ = cam.project(pts)
    ref, _ = cv2.projectPoints(pts, rvec, cam.t, cam.K, np.array(dist, float) if dist else None)
    assert np.allclose(uv, ref.reshape(-1, 2), atol=1e-6)
    assert np.allclose(rodrigues(rvec), cv2.Rodrigues(rvec)[0])
    o, d = cam.pixel_rays(uv)
    depth = np.einsum("nc,nc->n", pts - o, d)
    assert np.allclose(o + d * depth[:, None], pts, atol=1e-6)


def test_opengl_c2w_round_trip():
    R = rodrigues(np.array([0.2, 1.0, -0.3]))
    cam = Camera("c", 64, 48, np.array([[50.0, 0, 31.5], [0, 50, 23.5], [0, 0, 1]]), R, np.array([0.3, 0.1, 2.0]))
    back = opengl_c2w_to_camera("c", 64, 48, cam.K, camera_to_opengl_c2w(cam))
    assert np.allclose(back.R, cam.R) and np.allclose(back.t, cam.t)
    # OpenGL looks down −z: the camera's forward (OpenCV +z) is −(third column) of c2w
    assert np.allclose(-camera_to_opengl_c2w(cam)[:3, 2], cam.R[2])


def test_camera_problems_names_fields():
    bad = Camera("c", 10, 10, np.eye(3), np.diag([1.0, 1.0, -1.0]), np.array([0.0, np.nan, 0.0]))
    probs = " | ".join(camera_problems(bad))
    assert "t: contains non-finite" in probs and "R: not a rotation" in probs
