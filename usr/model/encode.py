"""Input views → `ViewStack`: the frozen backbone's feature maps, silhouettes and colours at the working size.

The backbone never trains, so a view's maps are a pure function of (backbone variant and weights, strides, image):
training computes them once per view and caches them (usr.model.cache); reconstruction computes them once per
subject. Views are padded right/bottom to a common size that is a multiple of 32, so each stride's map covers the
image exactly; the padding is outside every view's `extent` and never read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch
from jaxtyping import Float, UInt8

from usr.backbone import VARIANTS, EfficientNetLite, fold_batchnorm, pretrained
from usr.geometry.rays import mask_centre, nearest_point_to_rays
from usr.io.cameras import Camera
from usr.model.views import ViewStack, silhouette_distance

ALIGN = 32  # the backbone's largest stride


class FrozenBackbone:
    """A pretrained EfficientNet-Lite in eval mode returning the maps at the chosen strides (float16)."""

    def __init__(self, variant: str, strides: tuple[int, ...], net: EfficientNetLite | None = None):
        self.variant, self.strides = variant, tuple(strides)
        self.net = fold_batchnorm(net if net is not None else pretrained(variant))
        for p in self.net.parameters():
            p.requires_grad_(False)
        path = VARIANTS[variant].weights_path()
        weights = path.name if path is not None else "random"
        self.digest = hashlib.sha1(f"{variant}|{weights}|{self.strides}".encode()).hexdigest()[:12]

    @torch.no_grad()
    def maps(self, rgb01: Float[torch.Tensor, "v 3 h w"], batch: int = 4) -> list[torch.Tensor]:
        levels = [(2, 4, 8, 16, 32).index(s) for s in self.strides]
        out: list[list[torch.Tensor]] = [[] for _ in levels]
        for i in range(0, len(rgb01), batch):
            feats = self.net.features(rgb01[i : i + batch], last_stride=max(self.strides))
            for k, level in enumerate(levels):
                out[k].append(feats[level].half())
        return [torch.cat(o) for o in out]


@dataclass
class PaddedViews:
    """Views padded to one size (multiple of ALIGN): images, masks, silhouette distances, true extents."""

    rgb01: Float[torch.Tensor, "v 3 h w"]
    silhouette: Float[torch.Tensor, "v 1 h w"]
    extent: Float[torch.Tensor, "v 2"]  # true width, height of each view, pixels
    mask_centres: Float[np.ndarray, "v 2"]  # mean pixel of each mask (for the person's centre)


def pad_views(images: list[UInt8[np.ndarray, "h w 3"]], masks: list[UInt8[np.ndarray, "h w"]]) -> PaddedViews:
    h = max(i.shape[0] for i in images)
    w = max(i.shape[1] for i in images)
    h, w = -(-h // ALIGN) * ALIGN, -(-w // ALIGN) * ALIGN
    rgb = np.zeros((len(images), h, w, 3), np.uint8)
    sil = np.zeros((len(images), h, w), np.float32)
    centres = np.zeros((len(images), 2), np.float64)
    for k, (img, mask) in enumerate(zip(images, masks)):
        ih, iw = mask.shape
        rgb[k, :ih, :iw] = img
        sil[k, :ih, :iw] = silhouette_distance(mask)
        sil[k, ih:, :], sil[k, :, iw:] = sil[k].max(), sil[k].max()  # never read (outside the extent)
        centre = mask_centre(mask)
        centres[k] = centre if centre is not None else (iw / 2, ih / 2)
    extent = torch.tensor([[m.shape[1], m.shape[0]] for m in masks], dtype=torch.float32)
    return PaddedViews(torch.from_numpy(rgb).permute(0, 3, 1, 2).float() / 255.0,
                       torch.from_numpy(sil)[:, None], extent, centres)


def camera_tensors(cameras: list[Camera]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (torch.tensor(np.stack([c.K for c in cameras]), dtype=torch.float32),
            torch.tensor(np.stack([c.R for c in cameras]), dtype=torch.float32),
            torch.tensor(np.stack([c.t for c in cameras]), dtype=torch.float32))


def encode_views(backbone: FrozenBackbone, cameras: list[Camera], images: list[np.ndarray],
                 masks: list[np.ndarray]) -> ViewStack:
    """The ViewStack of views already at the working size (usr.prepared_views), maps in float32."""
    padded = pad_views(images, masks)
    K, R, t = camera_tensors(cameras)
    maps = [m.float() for m in backbone.maps(padded.rgb01)]
    centre = torch.tensor(nearest_point_to_rays(cameras, padded.mask_centres), dtype=torch.float32)
    return ViewStack(K, R, t, maps, torch.cat([padded.silhouette, padded.rgb01], 1), padded.extent, centre)
