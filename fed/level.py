"""The surface level of the co-trained field (usr.training.surface_level), measured without pooling anything.

A field trained from images puts its surface a little off SDF = 0, and federated training moves that offset (the
benchmark measured the best level going from −0.01 to −0.03 over 8 FedAvg rounds). `usr train` is followed by
`usr calibrate-level`; its federated counterpart runs once after the last round:

- every studio extracts the global field's feed-forward surface of a few of its own *training* subjects (never the
  held-out ones) at each candidate level and compares it with its own scans: it sends back only the mean Chamfer per
  level and how many subjects it used (15 numbers and a count, no mesh, no image);
- the server averages the tables, weighted by subjects (runs with a robust rule: the per-level median), and stores
  the best level in the run's field.pt, so `usr reconstruct --checkpoint` extracts the surface there.

These numbers are not covered by a DP run's ε, so a run with differential privacy skips the step and keeps the
starting model's level.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fed.task import studio_split
from usr.field.sdf_field import SDFField
from usr.training.surface_level import LEVELS, LevelCalibration, calibrate_level

LEVEL_ACTION = "surface_level"  # the Flower query the studios answer (message type "query.surface_level")


def measures_level(settings) -> bool:
    """Whether a run measures its level after the last round (not when asked for 0 subjects, never under DP)."""
    return settings.level_subjects > 0 and settings.dp_noise == 0


def calibration_subjects(root: Path, count: int) -> list[Path]:
    """Up to `count` of the studio's own training subjects that have a scan (gt/full.obj); FedGC's generated
    subjects and the held-out ones are never used."""
    root = Path(root)
    return [root / n for n in studio_split(root).private if (root / n / "gt" / "full.obj").is_file()][:count]


def studio_table(field: SDFField, root: Path, count: int, views: int, work_size: int) -> tuple[list[float], int]:
    """A studio's mean Chamfer (cm) at each of LEVELS over its calibration subjects, and how many it used
    ([], 0 when it has no scanned training subject)."""
    subjects = calibration_subjects(root, count)
    if not subjects:
        return [], 0
    cal = calibrate_level(field, subjects, views=views, work_size=work_size)
    return [cal.chamfer_by_level[lv] for lv in LEVELS], len(subjects)


def combine_tables(tables: dict[str, tuple[list[float], int]], views: int, robust: bool = False,
                   resolution: int = 128) -> LevelCalibration:
    """The level with the lowest subject-weighted mean Chamfer over the studios' tables (name → (table, count));
    `robust` (a run with a robust aggregation rule): the per-level median over studios, so one studio's made-up
    table cannot pick the level."""
    used = {name: (np.asarray(t, dtype=np.float64), n) for name, (t, n) in tables.items() if n > 0}
    for name, (table, _) in used.items():
        if table.shape != (len(LEVELS),):
            raise ValueError(f"studio {name}: a level table of {table.size} values, expected {len(LEVELS)}")
    if not used:
        raise ValueError("no studio measured the surface level (no scanned training subjects)")
    if robust:
        means = np.median(np.stack([table for table, _ in used.values()]), axis=0)
    else:
        means = sum(table * n for table, n in used.values()) / sum(n for _, n in used.values())
    if not np.isfinite(means).any():
        raise ValueError("the field has no surface at any candidate level")
    means = np.where(np.isnan(means), np.inf, means)
    chamfer = {float(lv): float(c) for lv, c in zip(LEVELS, means)}
    best = min(chamfer, key=chamfer.get)
    return LevelCalibration(best, chamfer, [f"{name}: {n} subject{'s' * (n != 1)}" for name, (_, n) in sorted(used.items())],
                            views, resolution)
