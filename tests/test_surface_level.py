"""Surface-level calibration: finds the offset of an inflated SDF, and is stored in / read from a checkpoint."""

import numpy as np
import trimesh

from usr.field.hashgrid import HashGridConfig
from usr.field.sdf_field import FieldConfig, SDFField
from usr.training.checkpoint import load_checkpoint, save_checkpoint, surface_level, update_extra
from usr.training.surface_level import LEVELS, chamfer_by_level


def test_level_of_an_inflated_sphere_is_found():
    n, step = 64, 1.2 / 63
    lo = np.full(3, -0.6)
    axes = lo[0] + np.arange(n) * step
    p = np.stack(np.meshgrid(axes, axes, axes, indexing="ij"), -1)
    values = np.linalg.norm(p, axis=-1) - 0.42  # the field's surface sits 2 cm outside the true one
    gt = trimesh.creation.icosphere(subdivisions=4, radius=0.4)
    table = chamfer_by_level(values, lo, step, gt, LEVELS)
    best = min(table, key=table.get)
    assert best == -0.02
    assert table[-0.02] < 0.3 < table[0.0]  # cm, at the 1.8 m protocol scale
    assert table[-0.04] < float("inf")
    assert chamfer_by_level(values, lo, step, gt, [-1.0])[-1.0] == float("inf")  # no surface at that level


def test_level_is_kept_in_the_checkpoint(tmp_path):
    field = SDFField(FieldConfig(hash=HashGridConfig(levels=2, log2_table_size=8, max_resolution=16), use_images=False))
    path = tmp_path / "f.pt"
    save_checkpoint(path, field, step=7)
    assert surface_level(load_checkpoint(path)[1]) == 0.0
    update_extra(path, surface_level=-0.015)
    loaded, state = load_checkpoint(path)
    assert surface_level(state) == -0.015 and state["step"] == 7
    assert all(np.allclose(a, b) for a, b in zip(loaded.state_dict().values(), field.state_dict().values()))
