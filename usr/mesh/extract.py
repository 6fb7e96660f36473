"""SDF on a grid restricted to the visual hull → marching cubes → the person's components."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import trimesh
from scipy import ndimage
from skimage.measure import marching_cubes

from usr.progress import Progress, notify, span
from usr.render.occupancy import OccupancyGrid

FAR = 1.0  # SDF value given to grid points outside the hull (treated as empty space)


def hull_box(grid: OccupancyGrid, margin_voxels: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the occupied voxels, padded."""
    idx = np.argwhere(grid.occupied)
    if len(idx) == 0:
        raise ValueError("the visual hull is empty: no voxel is inside every mask (check masks and cameras)")
    size = (grid.hi - grid.lo) / grid.resolution
    lo = grid.lo + (idx.min(0) - margin_voxels) * size
    hi = grid.lo + (idx.max(0) + 1 + margin_voxels) * size
    return lo, hi


# points per SDF call: the model's per-view intermediates stay in cache (measured on the shipped model, idle 2 cores,
# 0.39 M points: 8192 → 2.0–2.4 s, 65536 → 4.1–4.9 s)
CHUNK = 8192


@torch.no_grad()
def sdf_grid(sdf_fn: Callable[[torch.Tensor], torch.Tensor], grid: OccupancyGrid, resolution: int,
             chunk: int = CHUNK, progress: Progress | None = None):
    """Sample the SDF on a resolution³ lattice over the hull's box; outside the hull → FAR. Returns (values, lo,
    step)."""
    lo, step, axes = _lattice(grid, resolution)
    inside = _hull_lattice(_dilated(grid), grid, axes)
    values = np.full(inside.shape, FAR, dtype=np.float32)
    _evaluate(sdf_fn, axes, inside, values, chunk, progress)
    return values, lo, step


@torch.no_grad()
def sdf_grid_coarse_to_fine(sdf_fn: Callable[[torch.Tensor], torch.Tensor], grid: OccupancyGrid, resolution: int,
                            coarse: int = 32, band: float = 0.35, chunk: int = CHUNK,
                            progress: Progress | None = None):
    """The lattice of `sdf_grid`, evaluated only where the surface can be. First every k-th lattice point (about a
    `coarse`³ lattice over the same box, k a power of two), then, halving k down to 1, the points of the finer
    lattice that lie in the cells of the coarser one whose corner values reach into ±`band` cell diagonals, their
    faces included; elsewhere the coarser values interpolated trilinearly (one sign over the whole cell, which is
    all marching cubes reads there). A surface crossing a cell passes within half a diagonal of one of its corners,
    so `band` 0.5 gives the dense grid's mesh exactly for a true distance; 0.35 (the default) gave the same mesh on
    the analytic test shape and on the model's reconstructions measured (docs/model.md) with ≈ 30 % fewer points.
    Needs the SDF to be a distance near the surface (the model is trained to ±10 cm) and no part thinner than a
    coarse cell. Returns (values, lo, step) like `sdf_grid`."""
    lo, step, axes = _lattice(grid, resolution)
    counts = np.array([len(a) for a in axes])
    occupied = _dilated(grid)
    k = 2 ** max(0, int(round(np.log2(max((resolution - 1) / max(coarse - 1, 1), 1)))))
    levels = int(np.log2(k)) + 1
    index = _sub_lattice(counts, k)
    sub_axes = [axes[d][index[d]] for d in range(3)]
    inside = _hull_lattice(occupied, grid, sub_axes)
    values = np.full(inside.shape, FAR, np.float32)
    _evaluate(sdf_fn, sub_axes, inside, values, chunk, span(progress, 0.0, 1.0 / levels))
    for level in range(1, levels):
        k //= 2
        finer = _sub_lattice(counts, k)
        position = [np.interp(finer[d], index[d], np.arange(len(index[d]))) for d in range(3)]
        low, high = _cell_range(values)
        threshold = band * np.sqrt(3) * 2 * k * step
        active = (low < threshold) & (high > -threshold)
        known = [position[d] == np.round(position[d]) for d in range(3)]  # on the coarser lattice's planes
        # a point belongs to the cell it starts (floor) and, where it lies on a plane of the coarser lattice, also to
        # the cell below along that axis: needed if any of those cells is active
        cell = [np.minimum(np.floor(position[d]).astype(int), active.shape[d] - 1) for d in range(3)]
        below = [np.where(known[d], np.maximum(cell[d] - 1, 0), cell[d]) for d in range(3)]
        values = _interpolate(values, position)
        sub_axes = [axes[d][finer[d]] for d in range(3)]
        inside = _hull_lattice(occupied, grid, sub_axes)
        values[~inside] = FAR
        needed = np.zeros(values.shape, bool)
        for cx in (cell[0], below[0]):
            for cy in (cell[1], below[1]):
                for cz in (cell[2], below[2]):
                    needed |= active[cx[:, None, None], cy[None, :, None], cz[None, None, :]]
        todo = inside & needed
        todo &= ~(known[0][:, None, None] & known[1][None, :, None] & known[2][None, None, :])
        _evaluate(sdf_fn, sub_axes, todo, values, chunk, span(progress, level / levels, (level + 1) / levels))
        index = finer
    return values, lo, step


def _interpolate(values: np.ndarray, position: list[np.ndarray]) -> np.ndarray:
    """Trilinear interpolation of a lattice at the points whose fractional indices along each axis are `position`
    (separable: one axis after the other)."""
    for d in range(3):
        i0 = np.floor(position[d]).astype(int)
        i1 = np.minimum(i0 + 1, values.shape[d] - 1)
        shape = [1, 1, 1]
        shape[d] = -1
        frac = (position[d] - i0).astype(np.float32).reshape(shape)
        values = values.take(i0, axis=d) * (1 - frac) + values.take(i1, axis=d) * frac
    return values.astype(np.float32)


def _sub_lattice(counts: np.ndarray, k: int) -> list[np.ndarray]:
    """Per axis, every k-th index of the lattice and its last one."""
    return [np.unique(np.r_[np.arange(0, n, k), n - 1]) for n in counts]


def _cell_range(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest of each lattice cell's 8 corner values, arrays one shorter per axis."""
    low = high = None
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                corner = values[dx : values.shape[0] - 1 + dx, dy : values.shape[1] - 1 + dy,
                                dz : values.shape[2] - 1 + dz]
                low = corner if low is None else np.minimum(low, corner)
                high = corner if high is None else np.maximum(high, corner)
    return low, high


def _lattice(grid: OccupancyGrid, resolution: int) -> tuple[np.ndarray, float, list[np.ndarray]]:
    """(lo, step, per-axis coordinates) of the lattice with `resolution` points along the longest side of the hull's
    box."""
    lo, hi = hull_box(grid)
    step = (hi - lo).max() / (resolution - 1)
    counts = np.maximum(np.ceil((hi - lo) / step).astype(int) + 1, 2)
    return lo, step, [lo[d] + np.arange(counts[d]) * step for d in range(3)]


def _dilated(grid: OccupancyGrid) -> np.ndarray:
    """The hull's voxels grown by one: the SDF is evaluated there, FAR elsewhere."""
    return ndimage.binary_dilation(grid.occupied, iterations=1)


def _hull_lattice(occ: np.ndarray, grid: OccupancyGrid, axes: list[np.ndarray]) -> np.ndarray:
    """Which points of the lattice `axes` (x, y, z coordinates) lie in the voxels `occ` of `grid` (`_dilated`)."""
    idx = []
    for d in range(3):
        i = np.floor((axes[d] - grid.lo[d]) / (grid.hi[d] - grid.lo[d]) * grid.resolution).astype(int)
        idx.append((i, (i >= 0) & (i < grid.resolution)))
    (ix, okx), (iy, oky), (iz, okz) = ((np.clip(i, 0, grid.resolution - 1), ok) for i, ok in idx)
    ok = okx[:, None, None] & oky[None, :, None] & okz[None, None, :]
    return ok & occ[ix[:, None, None], iy[None, :, None], iz[None, None, :]]


def _evaluate(sdf_fn, axes: list[np.ndarray], where: np.ndarray, values: np.ndarray, chunk: int,
              progress: Progress | None) -> None:
    """values[where] = sdf_fn at those lattice points, in chunks."""
    cells = np.argwhere(where)
    flat = values.reshape(-1)
    targets = np.flatnonzero(where)
    for i in range(0, len(cells), chunk):
        c = cells[i : i + chunk]
        pts = np.stack([axes[0][c[:, 0]], axes[1][c[:, 1]], axes[2][c[:, 2]]], -1)
        flat[targets[i : i + chunk]] = sdf_fn(torch.as_tensor(pts, dtype=torch.float32)).reshape(-1).float().numpy()
        notify(progress, "mesh", min(1.0, (i + chunk) / max(len(cells), 1)))


def marching_cubes_mesh(values: np.ndarray, lo: np.ndarray, step: float, level: float = 0.0,
                        keep_person_parts: bool = True) -> trimesh.Trimesh:
    """Zero level set as a mesh in world coordinates (outward normals for SDF < 0 inside)."""
    if not (values.min() < level < values.max()):
        raise ValueError("the SDF has no zero crossing inside the hull: the reconstruction is empty")
    verts, faces, _, _ = marching_cubes(values, level=level, spacing=(step, step, step))
    mesh = trimesh.Trimesh(verts + lo, faces, process=False)  # outward winding for SDF < 0 inside
    if keep_person_parts:
        mesh = person_components(mesh)
    return mesh


def person_components(mesh: trimesh.Trimesh, min_fraction: float = 0.1) -> trimesh.Trimesh:
    """The largest connected part plus any other with ≥ `min_fraction` of its faces (a limb that a gap in the
    masks cut off is kept; floaters are dropped)."""
    parts = mesh.split(only_watertight=False)
    if len(parts) <= 1:
        return mesh
    largest = max(len(m.faces) for m in parts)
    kept = [m for m in parts if len(m.faces) >= min_fraction * largest]
    return kept[0] if len(kept) == 1 else trimesh.util.concatenate(kept)


def extract_mesh(sdf_fn, grid: OccupancyGrid, resolution: int, level: float = 0.0,
                 progress: Progress | None = None) -> trimesh.Trimesh:
    """The level set of `sdf_fn` at `level`, sampled at `resolution` over the hull (progress: "mesh")."""
    values, lo, step = sdf_grid(sdf_fn, grid, resolution, progress=progress)
    return marching_cubes_mesh(values, lo, step, level)
