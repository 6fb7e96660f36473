"""`usr fed simulate`: K studios on this machine through Flower's simulation runtime (Ray backend, CPU).

Without --data, the studios are small synthetic ones made here from fixed seeds (a studio per seed: two subjects
to train on, one held out), so the command runs on a fresh install with nothing to fetch.
"""

from __future__ import annotations

import os
from pathlib import Path

from data_tools.synth import SynthConfig, synthesize
from fed.settings import FedSettings
from usr.io.atomic import atomic_dir
from usr.progress import Progress, span

DEFAULT_STUDIO_SEEDS = (101, 202, 303, 404, 505, 606, 707, 808)


def default_studios(root: Path, studios: int, size: int = 96, views: int = 6,
                    progress: Progress | None = None) -> Path:
    """`studios` synthetic studio folders under `root` (made once; a studio folder is complete or absent)."""
    if studios > len(DEFAULT_STUDIO_SEEDS):
        raise ValueError(f"the embedded default has {len(DEFAULT_STUDIO_SEEDS)} studios; pass --data for more")
    for k in range(studios):
        folder = root / f"studio_{k}"
        if folder.is_dir():
            continue
        with atomic_dir(folder) as tmp:  # splits.json: the last subject is the studio's held-out one
            synthesize(tmp, SynthConfig(subjects=3, views=views, size=size, seed=DEFAULT_STUDIO_SEEDS[k]),
                       span(progress, k / studios, (k + 1) / studios, f"making studio_{k}"))
    return root


def simulate(settings: FedSettings, studios: int, on_round=None, verbose: bool = False) -> None:
    """Run the federation: one virtual SuperNode per studio, each ClientApp on one CPU."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # Flower and Ray (the optional `fed` extra) load only here: making studios (default_studios) needs neither
    from flwr.simulation import run_simulation

    from fed.client_app import app as client_app
    from fed.server_app import make_server_app

    run_simulation(server_app=make_server_app(settings, on_round), client_app=client_app, num_supernodes=studios,
                   backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                                   "init_args": {"num_cpus": os.cpu_count() or 1, "include_dashboard": False,
                                                 "logging_level": "ERROR", "log_to_driver": verbose}},
                   verbose_logging=verbose)
