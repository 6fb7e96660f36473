"""`usr fed simulate`: K studios on this machine through Flower's simulation runtime (Ray backend, CPU).

Without --data, the studios are small synthetic ones made here from fixed seeds (a studio per seed: two subjects
to train on, one held out), so the command runs on a fresh install with nothing to fetch.
"""

from __future__ import annotations

from pathlib import Path

from fed.settings import FedSettings

DEFAULT_STUDIO_SEEDS = (101, 202, 303, 404, 505, 606, 707, 808)


def default_studios(root: Path, studios: int, size: int = 96, views: int = 6, progress=None) -> Path:
    """`studios` synthetic studio folders under `root` (made once; a studio folder is complete or absent)."""
    from data_tools.synth import SynthConfig, synthesize
    from usr.io.atomic import atomic_dir

    if studios > len(DEFAULT_STUDIO_SEEDS):
        raise ValueError(f"the embedded default has {len(DEFAULT_STUDIO_SEEDS)} studios; pass --data for more")
    for k in range(studios):
        folder = root / f"studio_{k}"
        if folder.is_dir():
            continue
        if progress:
            progress(k, studios, f"making studio_{k}")
        with atomic_dir(folder) as tmp:  # splits.json: the last subject is the studio's held-out one
            synthesize(tmp, SynthConfig(subjects=3, views=views, size=size, seed=DEFAULT_STUDIO_SEEDS[k]))
    return root


def simulate(settings: FedSettings, studios: int, on_round=None, verbose: bool = False) -> None:
    """Run the federation: one virtual SuperNode per studio, each ClientApp on one CPU."""
    import os

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from flwr.simulation import run_simulation

    from fed.client_app import app as client_app
    from fed.server_app import make_server_app

    run_simulation(server_app=make_server_app(settings, on_round), client_app=client_app, num_supernodes=studios,
                   backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                                   "init_args": {"num_cpus": os.cpu_count() or 1, "include_dashboard": False,
                                                 "logging_level": "ERROR", "log_to_driver": verbose}},
                   verbose_logging=verbose)
