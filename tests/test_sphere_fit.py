"""End to end on an analytic scene: silhouettes of a sphere → NeuS training → marching cubes → radius."""

import numpy as np
import torch

from data_tools.rigs import hemisphere_rig
from usr.field.hashgrid import HashGridConfig
from usr.field.losses import eikonal_loss, mask_loss, sdf_gradient
from usr.field.sdf_field import FieldConfig, SDFField
from usr.mesh.extract import extract_mesh, marching_cubes_mesh
from usr.render.occupancy import OccupancyGrid, visual_hull
from usr.render.renderer import rays_in_hull, render_rays


def sphere_masks(cams, radius):
    masks = []
    for c in cams:
        o, d = c.image_rays()
        o, d = o.reshape(-1, 3), d.reshape(-1, 3)
        b = (o * d).sum(1)
        hit = b * b - ((o * o).sum(1) - radius**2) > 0
        masks.append((hit.reshape(c.height, c.width) * 255).astype(np.uint8))
    return masks


def test_mesh_of_an_analytic_sdf_is_within_one_voxel():
    grid = OccupancyGrid(np.ones((16, 16, 16), bool), np.array([-1.0, -1, -1]), np.array([1.0, 1, 1]))
    res = 64
    mesh = extract_mesh(lambda p: p.norm(dim=-1) - 0.5, grid, res)
    voxel = 2.0 / res
    err = np.abs(np.linalg.norm(mesh.vertices, axis=1) - 0.5)
    assert err.max() < voxel
    assert mesh.volume > 0  # outward winding
    with np.testing.assert_raises(ValueError):
        marching_cubes_mesh(np.ones((8, 8, 8)), np.zeros(3), 0.1)  # no surface: a clear error, never an empty mesh


def test_a_limb_cut_off_by_the_masks_is_kept_and_a_floater_dropped():
    grid = OccupancyGrid(np.ones((16, 16, 16), bool), np.array([-1.0, -1, -1]), np.array([1.0, 1, 1]))
    centres = torch.tensor([[-0.3, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.8, 0.0]])
    radii = torch.tensor([0.45, 0.2, 0.05])  # body, detached limb (~20 % of its area), floater (~1 %)
    mesh = extract_mesh(lambda p: ((p[:, None] - centres).norm(dim=-1) - radii).amin(-1), grid, 64)
    parts = sorted(mesh.split(only_watertight=False), key=lambda m: -len(m.faces))
    assert len(parts) == 2
    assert np.allclose(parts[1].centroid, [0.5, 0.0, 0.0], atol=0.02)


def test_sphere_learned_from_silhouettes_within_one_percent():
    # one thread: multi-threaded float sums differ run to run, and the optimiser steps amplify that (seen with an
    # earlier recipe: 0.3435–0.3506)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _fit_sphere_and_check()
    finally:
        torch.set_num_threads(threads)


def _fit_sphere_and_check():
    torch.manual_seed(0)
    radius, size = 0.35, 128
    cams = hemisphere_rig(8, size, radius=2.5)
    masks = sphere_masks(cams, radius)
    grid = visual_hull(cams, masks, 32)
    field = SDFField(FieldConfig(hash=HashGridConfig(levels=8, log2_table_size=12, max_resolution=128),
                                 use_images=False, hidden=32))
    # silhouettes alone pull the surface in by about 1/s (grazing rays outside still gather opacity), so
    # the sharpness starts high and learns fast; the field's learning rate decays tenfold, so the surface settles
    # instead of jittering by about a percent (constant rate, 600 steps of 384 rays: seeds 0–3 gave 0.1 %, 0.9 %,
    # 1.1 %, 5 %; this recipe, 150 steps of 768 rays: 0.1 %, 0.8 %, 0.5 %, 0.6 %, 0.2 % on seeds 0–4)
    steps, rays = 150, 768
    with torch.no_grad():
        field.log_inv_s.fill_(6.0)
    opt = torch.optim.Adam([{"params": [p for n, p in field.named_parameters() if n != "log_inv_s"]},
                            {"params": [field.log_inv_s], "lr": 1e-1}], lr=1e-2)
    decay = 0.1 ** (1 / steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, [lambda i: decay**i, lambda i: 1.0])
    o = torch.tensor(np.concatenate([c.image_rays()[0].reshape(-1, 3) for c in cams]), dtype=torch.float32)
    d = torch.tensor(np.concatenate([c.image_rays()[1].reshape(-1, 3) for c in cams]), dtype=torch.float32)
    m = torch.tensor(np.concatenate([k.reshape(-1) for k in masks]) / 255.0, dtype=torch.float32)
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(0, len(o), (rays,), generator=gen)
        out = render_rays(field, rays_in_hull(o[idx], d[idx], grid), None, samples=32,
                          jitter=torch.rand(rays, generator=gen) - 0.5, with_colour=False)
        grad = sdf_gradient(field, torch.rand(128, 3, generator=gen) * 2 - 1, None)
        loss = mask_loss(out["opacity"], m[idx]) + 0.1 * eikonal_loss(grad)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    mesh = extract_mesh(lambda p: field.sdf(p), grid, 96)
    r = np.linalg.norm(mesh.vertices, axis=1)
    assert abs(r.mean() - radius) / radius < 0.01, f"mean radius {r.mean():.4f} vs {radius}"
