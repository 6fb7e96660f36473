"""The input views as the model reads them: cameras, frozen backbone feature maps, the silhouette's signed distance
and the colours, all at the working resolution; and what one 3D point sees in each view.

Per point and view (`ViewStack.sample`): the model's pixel features at the point's projection (bilinear; the model
makes them from the backbone maps, usr.model.network.project_maps), the signed distance from the projection to the
view's silhouette edge in metres at the point's depth (negative inside the mask), the point's depth relative to the
person's centre, the unit direction from the camera, the colour there, and whether the point projects in front of
the camera and inside the image (`valid`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float, UInt8
from torch import Tensor

from usr.geometry.projection import project_points

GEOMETRY_CUES = 8  # silhouette distance, depth, view direction (3), colour (3)


def silhouette_distance(mask: UInt8[np.ndarray, "h w"]) -> Float[np.ndarray, "h w"]:
    """Signed distance in pixels from each pixel to the mask's edge: negative inside the person, positive outside."""
    inside = (mask > 127).astype(np.uint8)
    if not inside.any():
        return np.full(mask.shape, float(max(mask.shape)), np.float32)
    outside = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 5)
    depth_in = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    return (outside - depth_in).astype(np.float32)


@dataclass
class ViewStack:
    K: Float[Tensor, "v 3 3"]
    R: Float[Tensor, "v 3 3"]
    t: Float[Tensor, "v 3"]
    maps: list[Tensor]  # per stride: (v, c, h/s, w/s), float16 or float32
    pixels: Float[Tensor, "v 4 h w"]  # per pixel: silhouette distance (pixels, negative inside the mask), RGB 0..1
    extent: Float[Tensor, "v 2"]  # each view's true width and height (the maps may be padded beyond)
    centre: Float[Tensor, "3"]  # the person's centre (world), depths are measured from it

    @property
    def count(self) -> int:
        return self.K.shape[0]

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.pixels.shape[-2:])

    @property
    def camera_centres(self) -> Float[Tensor, "v 3"]:
        return -(self.R.transpose(1, 2) @ self.t[..., None])[..., 0]

    def project(self, points: Float[Tensor, "n 3"]) -> tuple[Float[Tensor, "v n 2"], Float[Tensor, "v n"]]:
        """Pixel coordinates (OpenCV) and depth along each camera's axis."""
        return project_points(self.K, self.R, self.t, points)

    def sample(self, points: Float[Tensor, "n 3"], pixel_maps: Float[Tensor, "v c h2 w2"], silhouette_clamp: float
               ) -> tuple[Float[Tensor, "v n c"], Float[Tensor, "v n g"], Float[Tensor, "v n"]]:
        """(samples of `pixel_maps`, geometric cues (GEOMETRY_CUES), valid) of each point in each view."""
        uv, z = self.project(points)
        h, w = self.size
        grid = torch.stack([(uv[..., 0] + 0.5) / w * 2 - 1, (uv[..., 1] + 0.5) / h * 2 - 1], -1)[:, :, None]
        feats = _sample(pixel_maps, grid)
        pixels = _sample(self.pixels, grid)
        sil, rgb = pixels[..., :1], pixels[..., 1:]
        focal = self.K[:, 0, 0][:, None, None]
        sil_m = (sil * z[..., None] / focal).clamp(-silhouette_clamp, silhouette_clamp) / silhouette_clamp
        centre_z = (self.R @ self.centre + self.t)[:, 2]
        depth = (z - centre_z[:, None])[..., None]
        ray = points[None] - self.camera_centres[:, None]
        ray = ray / ray.norm(dim=-1, keepdim=True).clamp(min=1e-9)
        inside = (uv >= 0).all(-1) & (uv < self.extent[:, None]).all(-1)
        valid = ((z > 1e-3) & inside).float()
        return feats, torch.cat([sil_m, depth, ray, rgb], -1), valid


def _sample(maps: Tensor, grid: Tensor) -> Tensor:
    """Bilinear samples (v, n, c) of (v, c, h, w) maps at grid (v, n, 1, 2), in float32."""
    out = F.grid_sample(maps.float(), grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out[..., 0].permute(0, 2, 1).contiguous()  # strided, every later elementwise op on it is ~1.5× slower
