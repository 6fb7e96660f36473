"""Field components: hash-grid gradients, NeuS weights, occupancy intervals, the sphere learned by rendering."""

import numpy as np
import pytest
import torch

from usr.field.hashgrid import HashGridConfig, HashGridEncoding, make_hash_grid, tcnn_available
from usr.render.neus import composite_weights, neus_alpha, section_alpha
from usr.render.occupancy import OccupancyGrid


def test_hash_grid_shapes_gradients_and_trains():
    torch.manual_seed(0)
    cfg = HashGridConfig(levels=6, log2_table_size=10, base_resolution=4, max_resolution=64)
    enc = HashGridEncoding(cfg)
    x = torch.rand(500, 3, requires_grad=True)
    y = enc(x)
    assert y.shape == (500, cfg.out_dim)
    y.square().sum().backward()
    assert enc.tables.grad is not None and enc.tables.grad.abs().sum() > 0
    # analytic gradient wrt x matches finite differences (trilinear interpolation is piecewise smooth)
    enc.tables.data.normal_()
    res = np.array(cfg.resolutions())
    # a point away from every level's cell faces, so the finite difference stays inside one cell
    coords = [c for c in np.linspace(0.05, 0.95, 901) if (np.abs((c * res) % 1 - 0.5) < 0.3).all()][:3]
    p = torch.tensor([coords], dtype=torch.float32, requires_grad=True)
    g = torch.autograd.grad(enc(p).sum(), p)[0]
    eps = 1e-3
    fd = torch.stack([(enc(p + eps * e) - enc(p - eps * e)).sum() / (2 * eps) for e in torch.eye(3)])
    assert torch.allclose(g[0], fd, rtol=2e-2, atol=2e-2)
    # it can fit a function: a smooth target in a few hundred steps
    net = torch.nn.Sequential(HashGridEncoding(cfg), torch.nn.Linear(cfg.out_dim, 1))
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    pts = torch.rand(2000, 3)
    target = torch.sin(6 * pts[:, :1]) * torch.cos(4 * pts[:, 1:2])
    for _ in range(200):
        loss = (net(pts) - target).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.01 * target.var().item() * 10


@pytest.mark.skipif(not tcnn_available(), reason="tinycudann with CUDA not available on this machine")
def test_tcnn_and_torch_hash_grids_agree():  # pragma: no cover - GPU only
    cfg = HashGridConfig(levels=4, log2_table_size=12, base_resolution=8, max_resolution=64)
    fast, ref = make_hash_grid(cfg), HashGridEncoding(cfg)
    params = next(fast.parameters())
    ref.tables.data = params.detach().float().reshape(ref.tables.shape).cpu()
    x = torch.rand(100, 3)
    assert torch.allclose(fast(x.cuda()).cpu(), ref(x), atol=1e-3)


def test_neus_weights_are_a_partition_of_at_most_one():
    torch.manual_seed(1)
    sdf = torch.randn(64, 33) * 0.3
    w = composite_weights(section_alpha(sdf, torch.tensor(50.0)))
    assert (w >= 0).all() and (w.sum(1) <= 1 + 1e-5).all()
    # a ray crossing a surface (SDF from + to −) is opaque, one that stays outside is transparent
    t = torch.linspace(-0.5, 0.5, 65)[None]
    crossing = composite_weights(section_alpha(-t, torch.tensor(200.0))).sum()
    outside = composite_weights(section_alpha(t * 0 + 0.3, torch.tensor(200.0))).sum()
    assert crossing > 0.99 and outside < 0.01
    w2 = composite_weights(neus_alpha(sdf[:, :-1], -torch.ones(64, 32), torch.full((64, 32), 0.02), torch.tensor(50.0)))
    assert (w2.sum(1) <= 1 + 1e-5).all()


def test_ray_intervals_cover_the_occupied_box():
    occ = np.zeros((16, 16, 16), bool)
    occ[6:10, 6:10, 6:10] = True  # the cube [-0.25, 0.25]^3 in a [-1, 1]^3 grid
    grid = OccupancyGrid(occ, np.array([-1.0, -1, -1]), np.array([1.0, 1, 1]))
    o = torch.tensor([[0.0, 0.0, 3.0], [0.0, 0.9, 3.0]])
    d = torch.tensor([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0]])
    near, far, hit = grid.ray_intervals(o, d)
    assert hit.tolist() == [True, False]
    assert near[0] <= 2.75 and far[0] >= 3.25 and far[0] - near[0] < 0.9
