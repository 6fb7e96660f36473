"""Camera convention of the whole project, in one module.

OpenCV pinhole: camera x right, y down, z forward; intrinsics K in pixels with the centre of
the top-left pixel at (0, 0); extrinsics world→camera, x_cam = R @ x_world + t; optional
distortion (k1, k2, p1, p2[, k3]) in OpenCV's order. World: metres, right-handed, +Y up.

Other conventions are converted at the readers: OpenGL camera-to-world (nerfstudio) with
`opengl_c2w_to_camera` / `camera_to_opengl_c2w`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from jaxtyping import Float

# Flips the y and z camera axes: OpenCV (x right, y down, z forward) ↔ OpenGL (x right, y up, z back).
_CV_TO_GL = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class Camera:
    """One calibrated view. Arrays are float64; `dist` is empty, 4 or 5 long."""

    name: str
    width: int
    height: int
    K: Float[np.ndarray, "3 3"]
    R: Float[np.ndarray, "3 3"]
    t: Float[np.ndarray, "3"]
    dist: Float[np.ndarray, "d"] = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        for name, shape in (("K", (3, 3)), ("R", (3, 3)), ("t", (3,))):
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(f"camera {self.name!r}: {name} must have shape {shape}, got {arr.shape}")
            object.__setattr__(self, name, arr)
        dist = np.asarray(self.dist, dtype=np.float64).reshape(-1)
        if dist.size not in (0, 4, 5):
            raise ValueError(f"camera {self.name!r}: dist must have 0, 4 or 5 values, got {dist.size}")
        object.__setattr__(self, "dist", dist)
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))

    # ---------------------------------------------------------------- geometry
    @property
    def center(self) -> Float[np.ndarray, "3"]:
        """Camera centre in world coordinates."""
        return -self.R.T @ self.t

    @property
    def has_distortion(self) -> bool:
        return bool(self.dist.size) and bool(np.any(self.dist != 0))

    def world_to_camera(self, points: Float[np.ndarray, "n 3"]) -> Float[np.ndarray, "n 3"]:
        return np.asarray(points, dtype=np.float64) @ self.R.T + self.t

    def project(self, points: Float[np.ndarray, "n 3"]) -> tuple[Float[np.ndarray, "n 2"], Float[np.ndarray, "n"]]:
        """Pixel coordinates (with distortion) and camera-space depth z of world points."""
        pc = self.world_to_camera(points)
        z = pc[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            xy = pc[:, :2] / z[:, None]
        xy = distort(xy, self.dist)
        uv = xy @ self.K[:2, :2].T + self.K[:2, 2]
        return uv, z

    def pixel_rays(self, uv: Float[np.ndarray, "n 2"]) -> tuple[Float[np.ndarray, "n 3"], Float[np.ndarray, "n 3"]]:
        """World-space ray origins and unit directions through pixel coordinates `uv`."""
        uv = np.asarray(uv, dtype=np.float64)
        xy = (uv - self.K[:2, 2]) @ np.linalg.inv(self.K[:2, :2]).T
        xy = undistort(xy, self.dist)
        d_cam = np.concatenate([xy, np.ones((len(xy), 1))], axis=1)
        d_world = d_cam @ self.R  # R^T applied to row vectors
        d_world /= np.linalg.norm(d_world, axis=1, keepdims=True)
        origins = np.broadcast_to(self.center, d_world.shape).copy()
        return origins, d_world

    def image_rays(self, step: int = 1) -> tuple[Float[np.ndarray, "h w 3"], Float[np.ndarray, "h w 3"]]:
        """Rays through every `step`-th pixel centre, shaped like the (sub-sampled) image."""
        vs, us = np.mgrid[0 : self.height : step, 0 : self.width : step]
        o, d = self.pixel_rays(np.stack([us.ravel(), vs.ravel()], axis=1).astype(np.float64))
        return o.reshape(*us.shape, 3), d.reshape(*us.shape, 3)

    def with_name(self, name: str) -> "Camera":
        return Camera(name, self.width, self.height, self.K, self.R, self.t, self.dist)

    def transformed(self, rotation: Float[np.ndarray, "3 3"], translation: Float[np.ndarray, "3"]) -> "Camera":
        """The same camera after the world is moved by x' = rotation @ x + translation."""
        rotation = np.asarray(rotation, dtype=np.float64)
        R = self.R @ rotation.T
        t = self.t - R @ np.asarray(translation, dtype=np.float64)
        return Camera(self.name, self.width, self.height, self.K, R, t, self.dist)

    def fit(self, long_side: int) -> "Camera":
        """The same camera for the image resampled so that its longer side is `long_side` pixels."""
        scale = long_side / max(self.width, self.height)
        return self.resized(max(1, round(self.width * scale)), max(1, round(self.height * scale)))

    def cropped(self, x0: int, y0: int, width: int, height: int) -> "Camera":
        """The same camera for the window [x0, x0+width) × [y0, y0+height) of its image (may reach outside it)."""
        K = self.K.copy()
        K[0, 2] -= x0
        K[1, 2] -= y0
        return Camera(self.name, width, height, K, self.R, self.t, self.dist)

    def resized(self, width: int, height: int) -> "Camera":
        """The same camera for the image resampled to width×height (pixel-centre aware)."""
        sx, sy = width / self.width, height / self.height
        K = self.K.copy()
        K[0, 0] *= sx
        K[0, 1] *= sx
        K[1, 1] *= sy
        K[0, 2] = (K[0, 2] + 0.5) * sx - 0.5
        K[1, 2] = (K[1, 2] + 0.5) * sy - 0.5
        return Camera(self.name, width, height, K, self.R, self.t, self.dist)


# ------------------------------------------------------------------ distortion
def distort(xy: Float[np.ndarray, "n 2"], dist: Float[np.ndarray, "d"]) -> Float[np.ndarray, "n 2"]:
    """Apply OpenCV radial-tangential distortion to normalised image coordinates."""
    if dist.size == 0 or not np.any(dist):
        return xy
    k1, k2, p1, p2 = dist[:4]
    k3 = dist[4] if dist.size > 4 else 0.0
    x, y = xy[:, 0], xy[:, 1]
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return np.stack([xd, yd], axis=1)


def undistort(xy: Float[np.ndarray, "n 2"], dist: Float[np.ndarray, "d"], iterations: int = 30) -> Float[np.ndarray, "n 2"]:
    """Invert `distort` by fixed-point iteration (as OpenCV's undistortPoints)."""
    if dist.size == 0 or not np.any(dist):
        return xy
    k1, k2, p1, p2 = dist[:4]
    k3 = dist[4] if dist.size > 4 else 0.0
    und = xy.copy()
    for _ in range(iterations):
        x, y = und[:, 0], und[:, 1]
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2
        dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        und = np.stack([(xy[:, 0] - dx) / radial, (xy[:, 1] - dy) / radial], axis=1)
    return und


# ------------------------------------------------------------------ conversions
def opengl_c2w_to_camera(
    name: str, width: int, height: int, K: Float[np.ndarray, "3 3"], c2w: Float[np.ndarray, "4 4"], dist=()
) -> Camera:
    """Camera from an OpenGL camera-to-world matrix (x right, y up, z back), as nerfstudio stores it."""
    c2w = np.asarray(c2w, dtype=np.float64)
    R_c2w_cv = c2w[:3, :3] @ _CV_TO_GL
    R = R_c2w_cv.T
    t = -R @ c2w[:3, 3]
    return Camera(name, width, height, K, R, t, np.asarray(dist, dtype=np.float64))


def camera_to_opengl_c2w(cam: Camera) -> Float[np.ndarray, "4 4"]:
    """Inverse of `opengl_c2w_to_camera`."""
    c2w = np.eye(4)
    c2w[:3, :3] = cam.R.T @ _CV_TO_GL
    c2w[:3, 3] = cam.center
    return c2w


def look_at(eye: Float[np.ndarray, "3"], target: Float[np.ndarray, "3"], up=(0.0, 1.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """World→camera (R, t) of an OpenCV camera at `eye` looking at `target`, image-up towards `up`."""
    eye, target, up = (np.asarray(a, dtype=np.float64) for a in (eye, target, up))
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, up)  # image right = forward × up
    if np.linalg.norm(x) < 1e-9:  # looking straight along `up`: pick any perpendicular
        x = np.cross(z, np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.9 else np.array([1.0, 0.0, 0.0]))
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    return R, -R @ eye


def intrinsics_from_fov(width: int, height: int, fov_x_rad: float) -> Float[np.ndarray, "3 3"]:
    """K for a horizontal field of view, principal point at the image centre (OpenCV pixel centres)."""
    f = 0.5 * width / np.tan(0.5 * fov_x_rad)
    return np.array([[f, 0.0, (width - 1) / 2], [0.0, f, (height - 1) / 2], [0.0, 0.0, 1.0]])


def rodrigues(rvec: Float[np.ndarray, "3"]) -> Float[np.ndarray, "3 3"]:
    """Rotation matrix of an axis-angle vector (OpenCV Rodrigues)."""
    rvec = np.asarray(rvec, dtype=np.float64).reshape(3)
    theta = np.linalg.norm(rvec)
    if theta < 1e-12:
        return np.eye(3)
    k = rvec / theta
    Kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(theta) * Kx + (1 - np.cos(theta)) * Kx @ Kx


def camera_problems(cam: Camera) -> list[str]:
    """What is wrong with a camera's numbers, one `field: message` string per problem."""
    out = []
    for name in ("K", "R", "t", "dist"):
        if not np.all(np.isfinite(getattr(cam, name))):
            out.append(f"{name}: contains non-finite values")
    if cam.width <= 0 or cam.height <= 0:
        out.append(f"width/height: must be positive, got {cam.width}x{cam.height}")
    if np.all(np.isfinite(cam.K)):
        if cam.K[0, 0] <= 0 or cam.K[1, 1] <= 0:
            out.append("K: focal lengths must be positive")
        if not np.allclose(cam.K[2], [0, 0, 1]):
            out.append("K: last row must be [0, 0, 1]")
    if np.all(np.isfinite(cam.R)):
        if not np.allclose(cam.R @ cam.R.T, np.eye(3), atol=1e-4) or not np.isclose(np.linalg.det(cam.R), 1.0, atol=1e-4):
            out.append("R: not a rotation matrix (R Rᵀ ≠ I or det ≠ 1)")
    return out
