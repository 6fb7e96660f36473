"""A coarse 3D feature volume around the person (ModelConfig.volume, off by default): the model's fused view codes at
the centres of an N³ lattice (a cube of side 2 × `extent` around the person's centre), refined by a small 3D CNN,
read trilinearly at any point. It gives each point context beyond its own rays — the shape of the whole person a
few voxels around it — which a per-point decoder cannot see (HART, arXiv 2509.26621, measured −32 % error with it).
Built once per subject and view set; outside the cube it reads zeros."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor, nn


class FeatureVolume(nn.Module):
    def __init__(self, in_dim: int, dim: int, resolution: int, extent: float, layers: int):
        super().__init__()
        self.resolution, self.extent = resolution, extent
        self.inp = nn.Linear(in_dim, dim)
        self.convs = nn.ModuleList(nn.Conv3d(dim, dim, 3, padding=1) for _ in range(layers))

    def centres(self, centre: Float[Tensor, "3"]) -> Float[Tensor, "m 3"]:
        """The lattice's points (x fastest last: index order x, y, z as in `build`)."""
        axis = torch.linspace(-self.extent, self.extent, self.resolution)
        grid = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
        return grid + centre

    def build(self, codes: Float[Tensor, "m c"]) -> Float[Tensor, "1 d n n n"]:
        """The volume from the codes at `centres` (same order)."""
        n = self.resolution
        v = self.inp(codes).T.reshape(1, -1, n, n, n)
        for conv in self.convs:
            v = v + conv(F.relu(v))
        return v

    def sample(self, volume: Tensor, centre: Float[Tensor, "3"], points: Float[Tensor, "p 3"]) -> Float[Tensor, "p d"]:
        """Trilinear reads of the volume at world points (zeros outside the cube)."""
        where = (points - centre) / self.extent  # -1…1 over the cube; grid_sample wants (z, y, x) for (x, y, z) dims
        grid = where[:, [2, 1, 0]].reshape(1, 1, 1, -1, 3)
        out = F.grid_sample(volume, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
        return out.reshape(volume.shape[1], -1).T
