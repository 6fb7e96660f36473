"""The federated surface level (fed.level): which subjects a studio measures on, and how the server combines the
studios' Chamfer-by-level tables. The Flower round trip is in test_fed_sim.py."""

from __future__ import annotations

import json

import pytest

from fed.level import calibration_subjects, combine_tables
from usr.training.surface_level import LEVELS


def _table(best: float, depth: float = 1.0) -> list[float]:
    """A V-shaped Chamfer table with its minimum at level `best`."""
    return [2.0 + depth * abs(lv - best) * 100 for lv in LEVELS]


def test_tables_are_weighted_by_subjects():
    cal = combine_tables({"a": (_table(-0.03), 3), "b": (_table(0.0), 1)}, views=6)
    assert cal.level == -0.03
    cal = combine_tables({"a": (_table(-0.03), 1), "b": (_table(0.0), 3)}, views=6)
    assert cal.level == 0.0
    assert cal.subjects == ["a: 1 subject", "b: 3 subjects"]
    assert cal.chamfer_by_level[0.0] == pytest.approx((_table(-0.03)[LEVELS.index(0.0)] + 3 * 2.0) / 4)


def test_a_studio_without_scans_is_left_out_and_none_at_all_is_an_error():
    cal = combine_tables({"a": (_table(-0.02), 2), "empty": ([], 0)}, views=6)
    assert cal.level == -0.02 and cal.subjects == ["a: 2 subjects"]
    with pytest.raises(ValueError, match="no studio measured"):
        combine_tables({"empty": ([], 0)}, views=6)


def test_levels_without_a_surface_are_never_chosen():
    table = _table(LEVELS[0])
    table[0] = float("inf")  # no surface at the lowest level (the best one otherwise)
    assert combine_tables({"a": (table, 2)}, views=6).level == LEVELS[1]
    with pytest.raises(ValueError, match="no surface"):
        combine_tables({"a": ([float("inf")] * len(LEVELS), 2)}, views=6)


def test_a_malformed_table_names_its_studio():
    with pytest.raises(ValueError, match="studio_3: a level table of 3 values"):
        combine_tables({"studio_0": (_table(0.0), 1), "studio_3": ([1.0, 2.0, 3.0], 1)}, views=6)


def test_the_median_ignores_one_made_up_table():
    honest = {f"s{k}": (_table(-0.02), 2) for k in range(4)}
    liar = {"liar": ([0.0 if lv == -0.04 else 100.0 for lv in LEVELS], 100)}  # claims −0.04 is perfect
    assert combine_tables({**honest, **liar}, views=6).level == -0.04  # the weighted mean follows the liar
    assert combine_tables({**honest, **liar}, views=6, robust=True).level == -0.02


def test_only_scanned_own_training_subjects_are_measured(tmp_path):
    for name in ("subject_0000", "subject_0001", "subject_0002", "subject_0003", "gen_0000"):
        (tmp_path / name / "gt").mkdir(parents=True)
        (tmp_path / name / "cameras.json").write_text("{}")
        if name != "subject_0001":  # no scan
            (tmp_path / name / "gt" / "full.obj").write_text("v 0 0 0\n")
    (tmp_path / "gen_0000" / "generated.json").write_text("{}")
    (tmp_path / "splits.json").write_text(json.dumps({"train": [], "val": ["subject_0002"], "test": []}))
    assert [p.name for p in calibration_subjects(tmp_path, 5)] == ["subject_0000", "subject_0003"]
    assert [p.name for p in calibration_subjects(tmp_path, 1)] == ["subject_0000"]
