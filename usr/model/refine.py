"""The per-subject fine-tune (`--finetune-steps`): a hash-grid residual on top of the feed-forward SDF, learnt by
rendering the subject's own input views (NeuS), never anything else.

    SDF(x) = feed-forward SDF (the extraction lattice, trilinear, frozen) + δ(x)       δ = MLP(hash grid(x)), δ₀ = 0
    colour(x, ray) = MLP(hash grid(x), ray)                                          (for the photometric loss only)

Loss per step: one input view's rays (3/4 on the person), colour L1 + mask BCE + a small penalty on δ². The
residual is kept only if it does not lower the input views' silhouette agreement (mean IoU of the mesh's
ray-cast masks with the input masks): the fine-tune may only improve on the input views.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from usr.colour import render_mesh
from usr.field.hashgrid import HashGridConfig, make_hash_grid
from usr.field.losses import mask_loss, rgb_loss
from usr.mesh.extract import marching_cubes_mesh
from usr.metrics.images import silhouette_iou
from usr.prepared_views import PreparedViews
from usr.progress import Progress, notify
from usr.render.occupancy import OccupancyGrid
from usr.render.renderer import rays_in_hull, render_rays

RESIDUAL_GRID = HashGridConfig(levels=8, features_per_level=2, log2_table_size=15, base_resolution=16,
                               max_resolution=256)


@dataclass(frozen=True)
class RefineSettings:
    steps: int
    rays: int = 512
    samples: int = 40
    lr: float = 5e-3
    residual_weight: float = 10.0  # on mean δ² (metres²·10⁴ ≈ cm²·…): keeps δ a correction
    band: float = 0.03  # δ is evaluated on the lattice where |feed-forward SDF| < band (metres)
    seed: int = 0


class ResidualField(nn.Module):
    """The field the renderer reads (the interface of usr.field.sdf_field.SDFField without image features)."""

    encoder = None

    def __init__(self, values: np.ndarray, lo: np.ndarray, step: float, config: HashGridConfig = RESIDUAL_GRID):
        super().__init__()
        self.register_buffer("base", torch.tensor(values, dtype=torch.float32)[None, None])
        self.register_buffer("lo", torch.tensor(lo, dtype=torch.float32))
        self.register_buffer("extent", torch.tensor((np.array(values.shape) - 1) * step, dtype=torch.float32))
        self.encoding = make_hash_grid(config)
        width = self.encoding.out_dim
        self.delta = nn.Sequential(nn.Linear(width, 32), nn.SiLU(), nn.Linear(32, 1))
        nn.init.zeros_(self.delta[-1].weight)
        nn.init.zeros_(self.delta[-1].bias)
        self.colour_net = nn.Sequential(nn.Linear(width + 3, 32), nn.SiLU(), nn.Linear(32, 3))
        self.log_inv_s = nn.Parameter(torch.tensor(5.0))

    @property
    def inv_s(self) -> Tensor:
        return self.log_inv_s.exp().clamp(1.0, 1e4)

    def encode_views(self, views):
        return views

    def unit(self, points: Tensor) -> Tensor:
        return (points - self.lo) / self.extent

    def base_sdf(self, points: Tensor) -> Tensor:
        g = self.unit(points) * 2 - 1  # grid_sample's (x → W, y → H, z → D) is the lattice's (k, j, i)
        return F.grid_sample(self.base, g.flip(-1)[None, :, None, None], align_corners=True,
                             padding_mode="border")[0, 0, :, 0, 0]

    def forward(self, points: Tensor, views=None) -> dict[str, Tensor]:
        geo = self.encoding(self.unit(points))
        delta = self.delta(geo)[:, 0]
        return {"sdf": self.base_sdf(points) + delta, "geo": geo, "delta": delta}

    def sdf(self, points: Tensor, views=None) -> Tensor:
        return self.forward(points)["sdf"]

    def colour(self, points: Tensor, ray_dirs: Tensor, out: dict[str, Tensor], views=None) -> Tensor:
        return torch.sigmoid(self.colour_net(torch.cat([out["geo"], ray_dirs], -1)))

    @torch.no_grad()
    def lattice_values(self, chunk: int = 262144, band: float = 0.03) -> np.ndarray:
        """The fine-tuned SDF on the base lattice (δ added where |base| < band, the only place it can move the
        surface)."""
        values = self.base[0, 0].numpy().copy()
        near = np.argwhere(np.abs(values) < band)
        step = (self.extent / (torch.tensor(values.shape) - 1)).numpy()
        for i in range(0, len(near), chunk):
            cells = near[i : i + chunk]
            points = torch.tensor(self.lo.numpy() + cells * step, dtype=torch.float32)
            values[tuple(cells.T)] += self.delta(self.encoding(self.unit(points)))[:, 0].numpy()
        return values


def view_rays(views: PreparedViews, count: int, rng: np.random.Generator) -> tuple[Tensor, ...]:
    """`count` rays of one input view drawn by `rng`, 3/4 on the person: origins, directions, colours (0..1), mask
    (0/1), jitter of the samples along each ray."""
    k = int(rng.integers(len(views.names)))
    cam, image, mask = views.cameras[k], views.images[k], views.masks[k]
    person = np.flatnonzero(mask.reshape(-1) > 127)
    on = count * 3 // 4 if len(person) else 0
    pixels = np.concatenate([rng.choice(person, on), rng.integers(0, mask.size, count - on)])
    rows, cols = np.divmod(pixels, cam.width)
    o, d = cam.pixel_rays(np.stack([cols, rows], 1).astype(np.float64))
    tensor = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    return (tensor(o), tensor(d), tensor(image[rows, cols] / 255.0), tensor(mask[rows, cols] > 127),
            tensor(rng.uniform(-0.5, 0.5, count)))


def silhouette_agreement(mesh, views: PreparedViews, size: int = 128) -> float:
    """Mean IoU between the mesh's ray-cast silhouette and each input view's mask (at `size` pixels)."""
    scores = []
    colours = np.zeros((len(mesh.vertices), 3), np.uint8)
    for cam, mask in zip(views.cameras, views.masks):
        small = cam.fit(size)
        _, rendered = render_mesh(mesh, colours, small)
        truth = cv2.resize(mask, (small.width, small.height), interpolation=cv2.INTER_AREA) > 127
        scores.append(silhouette_iou(rendered > 127, truth))
    return float(np.mean(scores))


def refine(values: np.ndarray, lo: np.ndarray, step: float, views: PreparedViews, hull: OccupancyGrid,
           settings: RefineSettings, progress: Progress | None = None) -> tuple[np.ndarray, dict]:
    """The fine-tuned lattice values (or the feed-forward ones, if fine-tuning lowered the input views'
    silhouette agreement) and a report {"kept", "iou_before", "iou_after", "loss_first", "loss_last"}."""
    torch.manual_seed(settings.seed)
    field = ResidualField(values, lo, step)
    optimizer = torch.optim.Adam(field.parameters(), lr=settings.lr)
    losses = []
    for i in range(settings.steps):
        origins, dirs, rgb, mask, jitter = view_rays(views, settings.rays, np.random.default_rng([settings.seed, i]))
        out = render_rays(field, rays_in_hull(origins, dirs, hull), None, settings.samples, jitter=jitter)
        delta = field(out["points"].reshape(-1, 3)[:: max(settings.samples // 4, 1)])["delta"]
        loss = (rgb_loss(out["rgb"], rgb, mask) + 0.5 * mask_loss(out["opacity"], mask)
                + settings.residual_weight * (delta**2).mean())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        notify(progress, "fine-tune", (i + 1) / settings.steps)
    tuned = field.lattice_values(band=settings.band)
    before = silhouette_agreement(marching_cubes_mesh(values, lo, step), views)
    after = silhouette_agreement(marching_cubes_mesh(tuned, lo, step), views)
    kept = after >= before
    report = {"kept": bool(kept), "iou_before": before, "iou_after": after,
              "loss_first": losses[0] if losses else None, "loss_last": losses[-1] if losses else None}
    return (tuned if kept else values), report
