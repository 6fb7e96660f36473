"""Training batches: for a subject, some source views, one target view, and rays sampled on the target.

Each batch is drawn from a generator seeded by (seed, step), so every process of a distributed run
draws the same global batch and takes its own slice: 2 processes compute what 1 process computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import Tensor

from usr.io.subject_folder import read_subject
from usr.render.occupancy import OccupancyGrid, visual_hull
from usr.prepared_views import PreparedViews, prepare_views


@dataclass
class SubjectViews:
    """All views of one training subject at the working resolution (+ depth maps when synthetic)."""

    name: str
    views: PreparedViews
    depth: list[np.ndarray] | None


def load_subjects(data: Path, names: list[str], work_size: int) -> list[SubjectViews]:
    out = []
    for name in names:
        cap = read_subject(Path(data) / name)
        views = prepare_views(cap, work_size=work_size)
        depth = None
        if "depth" in cap.extras:
            depth = [cv2.resize(d.astype(np.float32), (c.width, c.height), interpolation=cv2.INTER_NEAREST)
                     for d, c in zip(cap.extras["depth"], views.cameras)]
        out.append(SubjectViews(name, views, depth))
    return out


@dataclass
class Batch:
    subject: str
    sources: PreparedViews
    hull: OccupancyGrid
    origins: Tensor
    dirs: Tensor
    rgb: Tensor
    mask: Tensor
    depth: Tensor | None  # z-depth (camera axis) or None
    z_axis: Tensor  # the target camera's viewing axis, to turn ray depth into z-depth
    eikonal_points: Tensor
    jitter: Tensor  # per-ray sample offset in [−0.5, 0.5] steps
    rgb_norm: float = 1.0  # masked losses are divided by these global counts (÷ processes), so that the
    depth_norm: float = 1.0  # average of the processes' gradients equals the 1-process gradient

    def slice(self, rank: int, world: int) -> "Batch":
        """This process's share of the rays and eikonal points (equal, contiguous shares)."""
        def part(x):
            n = x.shape[0] // world
            return x[rank * n : (rank + 1) * n]

        return Batch(self.subject, self.sources, self.hull, part(self.origins), part(self.dirs), part(self.rgb),
                     part(self.mask), None if self.depth is None else part(self.depth), self.z_axis,
                     part(self.eikonal_points), part(self.jitter), self.rgb_norm / world, self.depth_norm / world)


def draw_batch(subjects: list[SubjectViews], seed: int, step: int, rays: int, source_range: tuple[int, int],
               hull_resolution: int = 48, eikonal_points: int = 256) -> Batch:
    rng = np.random.default_rng([seed, step])
    subj = subjects[rng.integers(len(subjects))]
    n = len(subj.views.names)
    k = int(rng.integers(source_range[0], min(source_range[1], n - 1) + 1))
    order = rng.permutation(n)
    src, tgt = sorted(order[:k].tolist()), int(order[k])
    v = subj.views
    sources = v.subset(src)
    hull = visual_hull(sources.cameras, sources.masks, hull_resolution, dilate=1)
    cam, img, mask = v.cameras[tgt], v.images[tgt], v.masks[tgt]
    # 3/4 of the rays on the person, 1/4 anywhere (background teaches empty space)
    fg = np.flatnonzero(mask.reshape(-1) > 0)
    n_fg = rays * 3 // 4 if len(fg) else 0
    pix = np.concatenate([rng.choice(fg, n_fg), rng.integers(0, mask.size, rays - n_fg)])
    vs, us = np.divmod(pix, cam.width)
    o, d = cam.pixel_rays(np.stack([us, vs], 1).astype(np.float64))
    depth = None
    if subj.depth is not None:
        depth = torch.tensor(subj.depth[tgt][vs, us], dtype=torch.float32)
    ek = rng.uniform(-1, 1, (eikonal_points, 3)) * np.array([0.6, 1.0, 0.6])
    fg_rays = float(max((mask[vs, us] > 0).sum(), 1))
    depth_rays = float(max(((mask[vs, us] > 0) & (depth.numpy() > 0)).sum(), 1)) if depth is not None else 1.0
    return Batch(
        subj.name, sources, hull,
        torch.tensor(o, dtype=torch.float32), torch.tensor(d, dtype=torch.float32),
        torch.tensor(img[vs, us] / 255.0, dtype=torch.float32), torch.tensor(mask[vs, us] > 0, dtype=torch.float32),
        depth, torch.tensor(cam.R[2], dtype=torch.float32), torch.tensor(ek, dtype=torch.float32),
        torch.tensor(rng.uniform(-0.5, 0.5, rays), dtype=torch.float32), fg_rays, depth_rays,
    )
