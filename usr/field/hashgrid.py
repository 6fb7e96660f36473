"""Multiresolution hash-grid encoding (Instant-NGP), pure torch, with tinycudann as an optional accelerator.

`make_hash_grid(config)` returns tinycudann's HashGrid when it imports and CUDA is in use, else
`HashGridEncoding`; both map points in [0, 1]^3 to `levels × features_per_level` features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor, nn

_PRIMES = (1, 2654435761, 805459861)


@dataclass(frozen=True)
class HashGridConfig:
    levels: int = 12
    features_per_level: int = 2
    log2_table_size: int = 15
    base_resolution: int = 16
    max_resolution: int = 512

    @property
    def out_dim(self) -> int:
        return self.levels * self.features_per_level

    @property
    def growth(self) -> float:
        return float(np.exp((np.log(self.max_resolution) - np.log(self.base_resolution)) / max(self.levels - 1, 1)))

    def resolutions(self) -> list[int]:
        return [int(np.floor(self.base_resolution * self.growth**level)) for level in range(self.levels)]


class HashGridEncoding(nn.Module):
    """Trilinear interpolation of hashed (or, for coarse levels, dense-indexed) learnable features."""

    def __init__(self, config: HashGridConfig = HashGridConfig()):
        super().__init__()
        self.config = config
        T = 2**config.log2_table_size
        self.table_size = T
        self.tables = nn.Parameter(torch.empty(config.levels, T, config.features_per_level).uniform_(-1e-4, 1e-4))
        res = torch.tensor(config.resolutions(), dtype=torch.long)
        self.register_buffer("resolutions", res, persistent=False)
        dense = (res + 1) ** 3 <= T  # coarse levels fit without collisions: index directly
        self.register_buffer("dense", dense, persistent=False)
        corners = torch.tensor([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)], dtype=torch.long)
        self.register_buffer("corners", corners, persistent=False)
        self.register_buffer("primes", torch.tensor(_PRIMES, dtype=torch.long), persistent=False)

    @property
    def out_dim(self) -> int:
        return self.config.out_dim

    def forward(self, x: Float[Tensor, "n 3"]) -> Float[Tensor, "n f"]:
        """x in [0, 1]^3 (clamped); returns (n, levels × features). All levels at once: one gather from the
        tables laid end to end."""
        x = x.clamp(0.0, 1.0)
        r = self.resolutions  # (L,)
        pos = x[:, None, :] * r[None, :, None]  # (n, L, 3)
        base = torch.minimum(pos.floor().long(), (r - 1)[None, :, None])
        frac = pos - base
        idx = base[:, :, None, :] + self.corners[None, None]  # (n, L, 8, 3)
        side = (r + 1)[None, :, None]
        direct = (idx[..., 0] * side + idx[..., 1]) * side + idx[..., 2]
        h = idx * self.primes
        hashed = (h[..., 0] ^ h[..., 1] ^ h[..., 2]) % self.table_size
        flat = torch.where(self.dense[None, :, None], direct, hashed)
        flat = flat + (torch.arange(self.config.levels) * self.table_size)[None, :, None]
        w = torch.where(self.corners[None, None].bool(), frac[:, :, None, :], 1.0 - frac[:, :, None, :]).prod(-1)
        f = F.embedding(flat, self.tables.reshape(-1, self.config.features_per_level))  # (n, L, 8, F); deterministic backward
        return (w[..., None] * f).sum(2).reshape(len(x), -1)


class TcnnHashGrid(nn.Module):  # pragma: no cover - needs CUDA + tinycudann
    def __init__(self, config: HashGridConfig):
        super().__init__()
        import tinycudann as tcnn  # local: optional, CUDA only (tcnn_available checked first)

        self.config = config
        self.enc = tcnn.Encoding(3, {
            "otype": "HashGrid", "n_levels": config.levels, "n_features_per_level": config.features_per_level,
            "log2_hashmap_size": config.log2_table_size, "base_resolution": config.base_resolution,
            "per_level_scale": config.growth,
        })

    @property
    def out_dim(self) -> int:
        return self.config.out_dim

    def forward(self, x: Tensor) -> Tensor:
        return self.enc(x.clamp(0, 1)).float()


def tcnn_available() -> bool:
    try:  # local import: optional, CUDA only; importing it is the availability test
        import tinycudann  # noqa: F401
    except Exception:
        return False
    return torch.cuda.is_available()


def make_hash_grid(config: HashGridConfig = HashGridConfig(), prefer_tcnn: bool = True) -> nn.Module:
    """tinycudann on CUDA when importable, else the pure-torch encoding (same interface)."""
    if prefer_tcnn and tcnn_available():  # pragma: no cover
        return TcnnHashGrid(config)
    return HashGridEncoding(config)
