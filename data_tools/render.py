"""Calibrated multi-view renderer on open3d's RaycastingScene (CPU, no display).

Per view: RGB (Lambert, ambient + key light with cast shadows + fill light), mask, depth (camera
z, metres), world-space normal and label map. One ray per pixel centre, through the same
`Camera.pixel_rays` every stage uses, so renders and cameras agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import open3d as o3d
from jaxtyping import Float, Int, UInt8

from data_tools.textures import Texture
from usr.io.cameras import Camera
from usr.mesh.ops import vertex_normals


@dataclass
class SceneMesh:
    """One mesh of the rendered scene: body or one garment, with its label id and solid texture."""

    name: str
    label: int
    vertices: Float[np.ndarray, "v 3"]
    faces: Int[np.ndarray, "f 3"]
    texture: Texture


LIGHT_RANGES = {  # kind → ranges of the key, fill and ambient strengths
    "any": ((0.5, 0.75), (0.1, 0.3), (0.28, 0.45)),
    "soft": ((0.4, 0.5), (0.3, 0.4), (0.4, 0.5)), "studio": ((0.55, 0.7), (0.15, 0.25), (0.3, 0.4)),
    "hard": ((0.75, 0.9), (0.0, 0.08), (0.15, 0.25)),
}


@dataclass
class Lighting:
    key_dir: Float[np.ndarray, "3"]  # unit vector towards the key light
    key: float = 0.65
    fill: float = 0.2
    ambient: float = 0.35

    @classmethod
    def random(cls, rng: np.random.Generator) -> "Lighting":
        return cls.preset("any", rng)

    @classmethod
    def preset(cls, kind: str, rng: np.random.Generator) -> "Lighting":
        """A random light of a kind (data_tools.attributes.LIGHTINGS): soft (low key, high fill), studio, hard;
        "any" spans the usual range."""
        key, fill, ambient = LIGHT_RANGES[kind]
        az, el = rng.uniform(0, 2 * np.pi), np.radians(rng.uniform(25, 70))
        d = np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])
        return cls(d, float(rng.uniform(*key)), float(rng.uniform(*fill)), float(rng.uniform(*ambient)))

    def to_json(self) -> dict:
        return {"key_dir": [float(v) for v in self.key_dir], "key": self.key, "fill": self.fill, "ambient": self.ambient}


@dataclass
class View:
    rgb: UInt8[np.ndarray, "h w 3"]
    mask: UInt8[np.ndarray, "h w"]
    label: UInt8[np.ndarray, "h w"]
    depth: Float[np.ndarray, "h w"]  # camera z in metres, 0 where no hit
    normal: Float[np.ndarray, "h w 3"]  # world unit normal facing the camera, 0 where no hit


@dataclass(frozen=True)
class RenderOptions:
    background: tuple[float, float, float] = (0.5, 0.5, 0.5)
    noise_sigma: float = 0.0  # Gaussian pixel noise, in 0..255 units
    blur_sigma: float = 0.0  # Gaussian blur, pixels
    shadows: bool = True
    seed: int = 0
    extra: dict = field(default_factory=dict)


class Renderer:
    """Build the ray-casting scene once, then render any number of cameras."""

    def __init__(self, layers: list[SceneMesh], lighting: Lighting):
        self.layers = layers
        self.lighting = lighting
        self.scene = o3d.t.geometry.RaycastingScene()
        self._normals = []
        for layer in layers:
            mesh = o3d.t.geometry.TriangleMesh()
            mesh.vertex.positions = o3d.core.Tensor(np.ascontiguousarray(layer.vertices, dtype=np.float32))
            mesh.triangle.indices = o3d.core.Tensor(np.ascontiguousarray(layer.faces, dtype=np.int32))
            self.scene.add_triangles(mesh)  # geometry ids are 0, 1, ... in layer order
            self._normals.append(vertex_normals(np.asarray(layer.vertices, np.float64), layer.faces))
        self._labels = np.array([layer.label for layer in layers], dtype=np.uint8)

    def cast(self, origins: Float[np.ndarray, "n 3"], dirs: Float[np.ndarray, "n 3"]) -> dict[str, np.ndarray]:
        rays = o3d.core.Tensor(np.concatenate([origins, dirs], axis=1).astype(np.float32))
        return {k: v.numpy() for k, v in self.scene.cast_rays(rays).items()}

    def render(self, cam: Camera, options: RenderOptions | None = None) -> View:
        options = options or RenderOptions()
        o, d = cam.image_rays()
        o, d = o.reshape(-1, 3), d.reshape(-1, 3)
        hit = self.cast(o, d)
        t = hit["t_hit"].astype(np.float64)
        ok = np.isfinite(t)
        n_pix = len(t)
        geom = hit["geometry_ids"].astype(np.int64)
        prim = hit["primitive_ids"].astype(np.int64)
        uv = hit["primitive_uvs"].astype(np.float64)

        rgb = np.tile(np.asarray(options.background, dtype=np.float64), (n_pix, 1))
        normal = np.zeros((n_pix, 3))
        label = np.zeros(n_pix, dtype=np.uint8)
        points = o + d * np.where(ok, t, 0.0)[:, None]
        for gi, layer in enumerate(self.layers):
            sel = np.flatnonzero(ok & (geom == gi))
            if sel.size == 0:
                continue
            tri = layer.faces[prim[sel]]
            w = np.stack([1 - uv[sel, 0] - uv[sel, 1], uv[sel, 0], uv[sel, 1]], axis=1)
            n = np.einsum("nk,nkc->nc", w, self._normals[gi][tri])
            n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
            n[np.einsum("nc,nc->n", n, d[sel]) > 0] *= -1  # face the camera (inside of an open garment)
            normal[sel] = n
            label[sel] = layer.label
            rgb[sel] = layer.texture(points[sel])
        shade = self._shading(points, normal, ok, options.shadows)
        rgb[ok] *= shade[ok, None]

        h, w_ = cam.height, cam.width
        img = rgb.reshape(h, w_, 3) * 255.0
        if options.blur_sigma > 0:
            img = cv2.GaussianBlur(img, (0, 0), options.blur_sigma)
        if options.noise_sigma > 0:
            img = img + np.random.default_rng(options.seed).normal(0, options.noise_sigma, img.shape)
        depth = np.where(ok, t * (d @ cam.R[2]), 0.0).reshape(h, w_)
        return View(
            rgb=np.clip(np.round(img), 0, 255).astype(np.uint8),
            mask=(ok.reshape(h, w_) * 255).astype(np.uint8),
            label=label.reshape(h, w_),
            depth=depth,
            normal=normal.reshape(h, w_, 3),
        )

    def _shading(self, points, normal, ok, shadows: bool) -> np.ndarray:
        light = self.lighting
        key_dir = light.key_dir / np.linalg.norm(light.key_dir)
        fill_dir = -key_dir * np.array([1.0, -0.3, 1.0])
        fill_dir /= np.linalg.norm(fill_dir)
        key = np.clip(normal @ key_dir, 0, None)
        if shadows and ok.any():
            idx = np.flatnonzero(ok & (key > 0))
            origins = points[idx] + normal[idx] * 2e-3
            t = self.cast(origins, np.broadcast_to(key_dir, origins.shape))["t_hit"]
            key[idx[np.isfinite(t)]] = 0.0
        fill = np.clip(normal @ fill_dir, 0, None)
        return np.clip(light.ambient + light.key * key + light.fill * fill, 0, 1.3)
