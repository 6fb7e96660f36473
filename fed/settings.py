"""What a federated run is set to: one dataclass, filled from defaults, the Flower run config (deployment:
[tool.flwr.app.config] or `flwr run --run-config`), or `usr fed simulate` options. The server sends the studios
what they need each round, so a studio needs only its data folder."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from usr.settings import setting

ALGORITHMS = {  # `usr fed simulate --alg` → (studios' local algorithm, server optimizer, server learning rate)
    "fedavg": ("fedavg", "fedavg", 1.0), "fedprox": ("fedprox", "fedavg", 1.0), "scaffold": ("scaffold", "fedavg", 1.0),
    "fedavgm": ("fedavg", "fedavgm", 0.5), "fedadagrad": ("fedavg", "fedadagrad", 0.01),
    "fedyogi": ("fedavg", "fedyogi", 0.01), "fedadam": ("fedavg", "fedadam", 0.01),
}


@dataclass(frozen=True)
class FedSettings:
    """Every field is a run config key (kebab-case) and, unless marked cli=False or set by `usr fed simulate` itself
    (--alg, --data, --out), one of its options with this help text."""

    rounds: int = setting(2, "Federated rounds.", min=1)
    algorithm: str = setting("fedavg", "Studios' local algorithm: fedavg, fedprox or scaffold.")
    server_optimizer: str = setting("fedavg", "Server optimizer: fedavg, fedavgm, fedadagrad, fedyogi or fedadam.")
    server_lr: float = setting(1.0, "Server learning rate.")
    rule: str = setting("mean", "Aggregation: mean, median, trimmed-mean, krum, multi-krum.")
    byzantine: int = setting(1, "Studios a robust rule assumes may be hostile (krum, trimmed mean).", cli=False)
    clip: float = setting(0.0, "Clip every update to this norm first (0: off).", min=0.0)
    max_update_norm: float = setting(1e4, "Updates with a larger norm are rejected.", cli=False)
    dp_noise: float = setting(0.0, "Differential privacy: noise multiplier σ of DP-FedAvg (0: off); ε is reported "
                                   "every round.", min=0.0)
    dp_clip: float = setting(1.0, "Differential privacy: update norm bound C.", min=0.0)
    dp_delta: float = setting(1e-5, "Differential privacy: δ of the reported ε.", cli=False)
    local_steps: int = setting(20, "Training steps per studio per round.", min=1)
    local_lr: float = setting(5e-3, "Studios' learning rate.", cli=False)
    local_optimizer: str = setting("adam", "Studios' optimizer.", cli=False)
    grid_lr_scale: float = setting(1.0, "The hash grid's local learning rate relative to the rest (0: only the image "
                                        "encoder and MLPs train; docs/benchmarks.md compares both).", min=0.0)
    mu: float = setting(0.01, "FedProx proximal weight.", cli=False)
    rays: int = setting(256, "Rays per local step.", min=1)
    samples: int = setting(32, "Samples per ray.", min=1)
    work_size: int = setting(96, "Long side in pixels the studios' views are resized to (and their held-out view is "
                                 "rendered at).", min=16)
    seed: int = setting(0)
    attack: str = setting("none", "Robustness trials: studio --attack-studio sends scaled, noise or flipped "
                                  "(poisoned-data) updates.")  # fed.core.attacks; tests and benchmarks
    # the attacking studio by partition id (simulation; `usr fed simulate` makes studio 0 the default); a SuperNode's
    # own node config `attack` overrides both (deployment)
    attack_studio: int = setting(-1, "Which studio attacks (with --attack).", min=0)
    attack_factor: float = setting(10.0, "Strength of a scaled or noise attack.", cli=False)
    timeout: float = setting(3600.0, "Seconds the server waits for a round's replies; late or dead studios are "
                                     "dropped.", cli=False)
    checkpoint_dir: str = setting("", "Round checkpoints (resume from the last one); empty: none.")
    studios_dir: str = setting("", "Simulation: studio k's data is <studios_dir>/studio_<k> (deployment: node config "
                                   "data-dir).")
    level_subjects: int = setting(2, "After the last round, each studio measures the surface level on this many of "
                                     "its training subjects with scans (0: keep the starting model's level; skipped "
                                     "under DP).", min=0)
    level_views: int = setting(6, "Views per subject the surface level is measured with (fed.level).", cli=False)
    initial_checkpoint: str = setting("", "Starting field: empty = the embedded one; scratch = fresh weights of its "
                                          "architecture.", cli=False)

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
