"""The studio's Flower ClientApp (Message API): trains the field on the studio's own subjects, evaluates it on the
studio's held-out ones. Only weights (and SCAFFOLD's control variate) leave the studio, never images or meshes.

Its data: node config `data-dir` (deployment: `flower-supernode --node-config "data-dir=/studio/subjects"`), or in
a simulation `<studios-dir>/studio_<partition-id>`. SCAFFOLD's variate c_i stays in the node's context.state.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from fed.core.attacks import corrupt_update, mirror_views
from fed.settings import FedSettings
from fed.core.weights import load_vector
from fed.level import LEVEL_ACTION, studio_table
from fed.task import initial_field, studio_data, train_round
from usr.io.atomic import write_bytes_atomic
from usr.training.trainer import validate

app = ClientApp()
_cache: dict[str, tuple] = {}  # per data folder: the field object and the loaded subjects (a node's process keeps them)


def studio_folder(context: Context, settings: FedSettings) -> Path:
    if "data-dir" in context.node_config:
        return Path(str(context.node_config["data-dir"]))
    if settings.studios_dir and "partition-id" in context.node_config:
        return Path(settings.studios_dir) / f"studio_{int(context.node_config['partition-id'])}"
    raise ValueError("this node has no data: start it with --node-config data-dir=FOLDER")


def attack_of(context: Context, settings: FedSettings) -> str:
    """This studio's attack (tests and benchmarks): its node config `attack`, or in a simulation the run's attack
    when this node is the attacking partition."""
    if "attack" in context.node_config:
        return str(context.node_config["attack"])
    if settings.attack != "none" and int(context.node_config.get("partition-id", -2)) == settings.attack_studio:
        return settings.attack
    return "none"


def _studio(context: Context, settings: FedSettings) -> tuple:
    folder = studio_folder(context, settings)
    attack = attack_of(context, settings)
    key = f"{folder}|{settings.work_size}|{attack}"
    if key not in _cache:
        field, _ = initial_field(settings)
        data = studio_data(folder, settings.work_size)
        if attack == "flipped":
            for subject in data.train:
                subject.views.images, subject.views.masks = mirror_views(subject.views.images, subject.views.masks)
        _cache[key] = (field, data)
    return _cache[key]


def _settings(msg: Message) -> FedSettings:
    return FedSettings.from_mapping(dict(msg.content["config"]))


def _variate_file(context: Context, settings: FedSettings, server_round: int) -> Path | None:
    """Where this studio keeps its SCAFFOLD variate after a round, so a run resumed from the server's checkpoint
    continues with the same variates: its own state folder (node config `state-dir`, else `.usr-fed/` in its data
    folder), one subfolder per checkpointed run. None when the run keeps no checkpoints."""
    if not settings.checkpoint_dir:
        return None
    root = Path(str(context.node_config.get("state-dir", studio_folder(context, settings) / ".usr-fed")))
    run = f"{zlib.crc32(f'{settings.checkpoint_dir}|{settings.algorithm}'.encode()):08x}"
    return root / run / f"scaffold_round{server_round:05d}.npy"


def load_variate(context: Context, settings: FedSettings, server_round: int) -> np.ndarray | None:
    """c_i after `server_round` (None before the first round): from this process's context, else from disk."""
    if server_round < 1:
        return None
    if "scaffold" in context.state and int(context.state["scaffold-round"]["round"]) == server_round:
        return context.state["scaffold"].to_numpy_ndarrays()[0]
    path = _variate_file(context, settings, server_round)
    return np.load(path, allow_pickle=False) if path is not None and path.is_file() else None


def save_variate(context: Context, settings: FedSettings, server_round: int, control: np.ndarray) -> None:
    context.state["scaffold"] = ArrayRecord.from_numpy_ndarrays([control])
    context.state["scaffold-round"] = ConfigRecord({"round": server_round})
    path = _variate_file(context, settings, server_round)
    if path is None:
        return
    buf = io.BytesIO()
    np.save(buf, control)
    write_bytes_atomic(path, buf.getvalue())
    for old in path.parent.glob("scaffold_round*.npy"):  # keep this round and the one before
        if old.name < f"scaffold_round{server_round - 1:05d}.npy":
            old.unlink(missing_ok=True)


@app.train()
def train(msg: Message, context: Context) -> Message:
    settings = _settings(msg)
    field, data = _studio(context, settings)
    weights = msg.content["arrays"].to_numpy_ndarrays()[0].astype(np.float64)
    server_round = int(msg.content["config"]["server-round"])
    scaffold = settings.algorithm == "scaffold"
    server_control = msg.content["control"].to_numpy_ndarrays()[0] if scaffold and "control" in msg.content else None
    studio_control = load_variate(context, settings, server_round - 1) if scaffold else None
    result = train_round(field, data, weights, settings, server_round, server_control, studio_control)
    sent = weights + corrupt_update(result.weights - weights, attack_of(context, settings), settings.attack_factor,
                                    server_round)
    content = RecordDict({
        "arrays": ArrayRecord.from_numpy_ndarrays([sent]),
        "metrics": MetricRecord({"num-examples": len(data.train), "train_loss": result.loss,
                                 "generated": len(data.generated)}),
        "studio": ConfigRecord({"name": data.root.name}),
    })
    if scaffold:
        save_variate(context, settings, server_round, result.control)
        content["control"] = ArrayRecord.from_numpy_ndarrays([result.control_delta])
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    settings = _settings(msg)
    field, data = _studio(context, settings)
    load_vector(field, msg.content["arrays"].to_numpy_ndarrays()[0].astype(np.float64))
    scores = [validate(field, s, settings.work_size) for s in data.held_out]  # rendered at the run's work size
    metrics = {"num-examples": len(scores)}
    if scores:
        metrics |= {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
    return Message(content=RecordDict({"metrics": MetricRecord(metrics)}), reply_to=msg)


@app.query(LEVEL_ACTION)
def surface_level(msg: Message, context: Context) -> Message:
    """The studio's Chamfer-by-level table of the final field on a few of its own training subjects (fed.level)."""
    settings = _settings(msg)
    field, data = _studio(context, settings)
    load_vector(field, msg.content["arrays"].to_numpy_ndarrays()[0].astype(np.float64))
    table, used = studio_table(field, data.root, settings.level_subjects, settings.level_views, settings.work_size)
    return Message(content=RecordDict({"metrics": MetricRecord({"chamfer-by-level": table, "num-examples": used}),
                                       "studio": ConfigRecord({"name": data.root.name})}), reply_to=msg)

