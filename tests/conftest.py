"""Shared fixtures: the repo root, the optional ../shared/data folder, small cached subjects."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test with a clear reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available at {path} (the team's ../shared/data folder)")
    return path


@functools.lru_cache(maxsize=None)
def cached_subject(seed: int, pose: str | None = None, garments: tuple[str, ...] | None = None):
    """A built synthetic subject (no rendering), cached across tests of one session."""
    from data_tools.subject import make_subject

    kinds = (pose,) if pose else ("a_pose", "t_pose", "relaxed", "random")
    return make_subject(f"test_{seed}", seed, kinds)
