"""Shared fixtures: the repo root, the optional ../shared/data folder, small cached subjects and studios."""

from __future__ import annotations

import functools
import json
import shutil
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


FED_WORK = ("--work-size", "32", "--rays", "64", "--samples", "8")  # federated test runs: a small, quick field pass


@pytest.fixture(scope="session")
def fed_studios(tmp_path_factory) -> Path:
    """Two small synthetic studios (fed.simulate.default_studios), made once for every federated test; each keeps
    one subject to train on and one held out (its validation subject is removed: half the evaluation every round).
    A test that changes a studio works on a copy."""
    from fed.simulate import default_studios

    root = default_studios(tmp_path_factory.mktemp("fed_studios"), 2, size=48, views=4)
    for studio in sorted(root.glob("studio_*")):
        splits = json.loads((studio / "splits.json").read_text())
        for name in splits["val"]:
            shutil.rmtree(studio / name)
        (studio / "splits.json").write_text(json.dumps({**splits, "val": []}))
    return root


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The try-on page served in this process on a free port (small reconstructions, a short body fit: the page's
    wiring is tested here, the fit's quality in test_smpl_d_fit)."""
    import socket

    from apps.web.ui import build_page
    from apps.web.workspace import Workspace
    from smpl_d.fit import FitConfig
    from usr.recon_spec import ReconSpec

    quick_fit = FitConfig(facings=1, start_poses=("a_pose",), steps_global=5, steps_start_pose=5, steps_pose=10,
                          steps_shape=10)
    root = tmp_path_factory.mktemp("app")
    page = build_page(Workspace(root, ReconSpec(resolution=64), fit_config=quick_fit))
    page.queue(default_concurrency_limit=1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    page.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                allowed_paths=[str(root)], max_file_size="50mb")
    yield f"http://127.0.0.1:{port}/"
    page.close()
