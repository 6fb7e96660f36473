"""What a federated run is set to: one dataclass, filled from defaults, the Flower run config (deployment:
[tool.flwr.app.config] or `flwr run --run-config`), or `usr fed simulate` options. The server sends the studios
what they need each round, so a studio needs only its data folder."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

ALGORITHMS = {  # `usr fed simulate --alg` → (studios' local algorithm, server optimizer, server learning rate)
    "fedavg": ("fedavg", "fedavg", 1.0), "fedprox": ("fedprox", "fedavg", 1.0), "scaffold": ("scaffold", "fedavg", 1.0),
    "fedavgm": ("fedavg", "fedavgm", 0.5), "fedadagrad": ("fedavg", "fedadagrad", 0.01),
    "fedyogi": ("fedavg", "fedyogi", 0.01), "fedadam": ("fedavg", "fedadam", 0.01),
}


@dataclass
class FedSettings:
    rounds: int = 2
    algorithm: str = "fedavg"  # local: fedavg | fedprox | scaffold
    server_optimizer: str = "fedavg"  # fedavg | fedavgm | fedadagrad | fedyogi | fedadam
    server_lr: float = 1.0
    rule: str = "mean"  # mean | median | trimmed-mean | krum | multi-krum
    byzantine: int = 1
    clip: float = 0.0  # 0: no clipping
    max_update_norm: float = 1e4
    dp_noise: float = 0.0  # σ of DP-FedAvg (0: no differential privacy)
    dp_clip: float = 1.0  # C of DP-FedAvg
    dp_delta: float = 1e-5
    local_steps: int = 20
    local_lr: float = 5e-3
    local_optimizer: str = "adam"
    grid_lr_scale: float = 1.0  # the hash grid's local learning rate relative to local_lr (0: the grid stays as sent)
    mu: float = 0.01
    rays: int = 256
    samples: int = 32
    work_size: int = 96
    seed: int = 0
    attack: str = "none"  # tests / benchmarks: none | scaled | noise | flipped (fed.core.attacks) …
    attack_studio: int = -1  # … by the studio of this partition id (simulation); a SuperNode's own node config
    attack_factor: float = 10.0  # `attack` overrides both (deployment)
    timeout: float = 3600.0  # seconds the server waits for a round's replies; late or dead studios are dropped
    checkpoint_dir: str = ""  # round checkpoints (resume from the last one); "" = none
    studios_dir: str = ""  # simulation: studio k's data is <studios_dir>/studio_<k> (deployment: node config data-dir)
    level_subjects: int = 2  # after the last round: each studio's training subjects the surface level is measured on
    level_views: int = 6  # (fed.level; 0 subjects, or DP on: the starting model's level is kept)
    initial_checkpoint: str = ""  # "" = the embedded field; "scratch" = fresh weights of its architecture

    @classmethod
    def from_mapping(cls, values: dict, base: "FedSettings | None" = None) -> "FedSettings":
        """`base` (or the defaults) with the known keys of `values` (kebab-case or snake_case) converted."""
        out = asdict(base or cls())
        types = {f.name: type(out[f.name]) for f in fields(cls)}
        for key, value in values.items():
            name = str(key).replace("-", "_")
            if name in types:
                out[name] = types[name](value)
        return cls(**out)
