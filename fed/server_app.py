"""The Flower ServerApp (Message API): every round, the global field goes to the studios, their updates are
screened and aggregated by fed.core, the server optimizer steps, the studios evaluate on their held-out subjects.

A studio that drops out (no reply, or an error) is left out of that round; a broken update (NaN, wrong shape,
absurd norm) is rejected with a log line naming the studio. Weights, the server optimizer's state, SCAFFOLD's
server variate and the history are checkpointed after every round (atomically); a run started with the same
checkpoint folder resumes from the last round done.
"""

from __future__ import annotations

import io
import json
import logging
import time
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType, RecordDict
from flwr.serverapp import Grid, ServerApp

from fed.core.privacy import PrivacySettings, PrivateAggregator
from fed.core.rounds import RoundConfig, server_round
from fed.core.server_opt import ServerOptConfig, ServerOptimizer
from fed.core.weights import StudioUpdate, load_vector, model_vector
from fed.level import LEVEL_ACTION, combine_tables, measures_level
from fed.settings import FedSettings
from fed.task import initial_field
from usr.io.atomic import write_bytes_atomic, write_json_atomic
from usr.io.npz import read_npz
from usr.training.checkpoint import save_checkpoint
from usr.training.surface_level import LEVELS, write_level

log = logging.getLogger("usr.fed")
STATE_FILE, FIELD_FILE, HISTORY_FILE, LEVEL_FILE = "server_state.npz", "field.pt", "history.json", "level.json"


def make_server_app(settings: FedSettings | None = None, on_round=None) -> ServerApp:
    """A ServerApp for `settings` (None: from the run config). `on_round(record)` sees each round's summary."""
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        run(grid, FedSettings.from_mapping(dict(context.run_config), settings), on_round)

    return app


def run(grid: Grid, s: FedSettings, on_round=None) -> dict:
    field, state = initial_field(s)
    weights = model_vector(field)
    optimizer = ServerOptimizer(ServerOptConfig(s.server_optimizer, lr=s.server_lr), weights.size)
    control = np.zeros(weights.size) if s.algorithm == "scaffold" else None
    private = PrivateAggregator(PrivacySettings(s.dp_clip, s.dp_noise, s.dp_delta), s.seed) if s.dp_noise > 0 else None
    history: list[dict] = []
    folder = Path(s.checkpoint_dir) if s.checkpoint_dir else None
    if folder and (folder / STATE_FILE).is_file():
        weights, control, history = resume(folder, optimizer, weights.size, private)
        log.info("resuming after round %d from %s", optimizer.rounds, folder)
    round_cfg = RoundConfig(s.rule, s.byzantine, s.clip or None, s.max_update_norm)
    config = {k.replace("_", "-"): v for k, v in vars(s).items()}
    for rnd in range(optimizer.rounds + 1, s.rounds + 1):
        t0 = time.perf_counter()
        nodes = sorted(grid.get_node_ids())
        content = _round_content(weights, config, rnd)
        if control is not None:
            content["control"] = ArrayRecord.from_numpy_ndarrays([control])
        replies = list(grid.send_and_receive(
            [Message(content=content, message_type=MessageType.TRAIN, dst_node_id=n) for n in nodes], timeout=s.timeout))
        updates, dropped = _updates(replies, weights, nodes)
        outcome = server_round(weights, updates, optimizer, round_cfg, control, len(nodes), private)
        for line in dropped + outcome.rejected:
            log.warning("round %d: %s", rnd, line)
        weights, control = outcome.weights, outcome.server_control
        metrics = evaluate(grid, weights, config, rnd, s.timeout)
        record = {"round": rnd, "studios": len(nodes), "used": outcome.used, "dropped": dropped,
                  "update_norms": {u.studio: _norm(u.delta) for u in updates},  # what DP's clip C should bound
                  "rejected": outcome.rejected, "train_loss": _mean([u[1] for u in _losses(replies)]),
                  "generated_subjects": _generated(replies),  # FedGC subjects the studios trained on (never evaluated)
                  **metrics, "seconds": round(time.perf_counter() - t0, 1)}
        if outcome.selected is not None:  # (multi-)Krum: who it averaged (and so who it left out)
            record["selected"] = outcome.selected
        if outcome.epsilon is not None:
            record |= {"epsilon": outcome.epsilon, "delta": s.dp_delta}
        history.append(record)
        if folder:
            load_vector(field, weights)
            checkpoint(folder, field, state, optimizer, control, history, private)
        if on_round:
            on_round(record)
    level = calibrate_surface(grid, weights, config, s, folder, optimizer.rounds) if history else None
    return {"weights": weights, "history": history, "surface_level": level}


def calibrate_surface(grid: Grid, weights: np.ndarray, config: dict, s: FedSettings, folder: Path | None,
                      rounds: int) -> float | None:
    """After the last round: the studios' level tables combined (fed.level), stored in field.pt and level.json.
    None when skipped (no subjects asked for, DP, no checkpoint folder) or when it could not be measured (level.json
    then says why)."""
    if not measures_level(s) or folder is None:
        if s.dp_noise > 0 and s.level_subjects > 0:
            log.info("DP run: the surface level is not measured (its numbers are outside ε); the starting level stays")
        return None
    done = folder / LEVEL_FILE
    measured = json.loads(done.read_text()) if done.is_file() else {}
    if measured.get("round") == rounds:
        return None if measured["level"] is None else float(measured["level"])
    content = _round_content(weights, config, rounds)
    replies = grid.send_and_receive([Message(content=content, message_type=f"{MessageType.QUERY}.{LEVEL_ACTION}",
                                             dst_node_id=n) for n in sorted(grid.get_node_ids())], timeout=s.timeout)
    tables = {}
    for r in replies:
        if r.has_error() or "metrics" not in r.content:
            log.warning("surface level: studio %s did not answer (%s)", r.metadata.src_node_id,
                        r.error.reason if r.has_error() else "no metrics")
            continue
        name = str(r.content["studio"]["name"]) if "studio" in r.content else str(r.metadata.src_node_id)
        table, count = list(r.content["metrics"].get("chamfer-by-level", [])), int(r.content["metrics"]["num-examples"])
        if count > 0 and len(table) != len(LEVELS):
            log.warning("surface level: studio %s sent %d values for %d levels; left out", name, len(table), len(LEVELS))
            continue
        tables[name] = (table, count)
    try:
        cal = combine_tables(tables, s.level_views, robust=s.rule != "mean")
    except ValueError as exc:
        log.warning("surface level not measured: %s; the starting level stays", exc)
        write_json_atomic(done, {"round": rounds, "level": None, "reason": str(exc)})
        return None
    write_level(folder / FIELD_FILE, cal)
    write_json_atomic(done, {"round": rounds, "level": cal.level, "chamfer_cm": cal.chamfer_by_level[cal.level],
                             "chamfer_cm_by_level": cal.chamfer_by_level,
                             "studios": cal.subjects, "views": cal.views})
    log.info("surface level %+.3f (mean Chamfer %.2f cm on %s)", cal.level, cal.chamfer_by_level[cal.level],
             ", ".join(cal.subjects))
    return cal.level


def _round_content(weights: np.ndarray, config: dict, rnd: int) -> RecordDict:
    """What the studios get every round: the global weights and the run's settings."""
    return RecordDict({"arrays": ArrayRecord.from_numpy_ndarrays([weights]),
                       "config": ConfigRecord({**config, "server-round": rnd})})


def _updates(replies: list[Message], weights: np.ndarray, nodes: list[int]) -> tuple[list[StudioUpdate], list[str]]:
    updates, dropped, answered = [], [], set()
    for reply in replies:
        node = reply.metadata.src_node_id
        answered.add(node)
        if reply.has_error():
            dropped.append(f"studio {node}: failed this round ({reply.error.reason}); left out")
            continue
        try:
            new = reply.content["arrays"].to_numpy_ndarrays()[0].astype(np.float64)
            samples = int(reply.content["metrics"]["num-examples"])
            control = reply.content["control"].to_numpy_ndarrays()[0] if "control" in reply.content else None
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            dropped.append(f"studio {node}: malformed reply ({exc}); left out")
            continue
        name = str(reply.content["studio"]["name"]) if "studio" in reply.content else str(node)
        delta = new - weights if new.shape == weights.shape else new
        updates.append(StudioUpdate(name, delta, samples, control))
    dropped += [f"studio {n}: no reply this round; left out" for n in nodes if n not in answered]
    return sorted(updates, key=lambda u: u.studio), dropped  # a fixed order: the same sums in every run


def _losses(replies: list[Message]):
    for r in replies:
        if not r.has_error() and "metrics" in r.content and "train_loss" in r.content["metrics"]:
            yield r.metadata.src_node_id, float(r.content["metrics"]["train_loss"])


def _generated(replies: list[Message]) -> int:
    return sum(int(r.content["metrics"].get("generated", 0)) for r in replies
               if not r.has_error() and "metrics" in r.content)


def _norm(delta: np.ndarray) -> float | None:
    norm = float(np.linalg.norm(delta))
    return norm if np.isfinite(norm) else None


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def evaluate(grid: Grid, weights: np.ndarray, config: dict, rnd: int, timeout: float) -> dict:
    """The studios' scores of the global field on their held-out subjects, weighted by how many they hold."""
    content = _round_content(weights, config, rnd)
    replies = grid.send_and_receive([Message(content=content, message_type=MessageType.EVALUATE, dst_node_id=n)
                                     for n in sorted(grid.get_node_ids())], timeout=timeout)
    rows = [r.content["metrics"] for r in replies if not r.has_error() and "metrics" in r.content]
    total = sum(int(m["num-examples"]) for m in rows)
    if not total:
        return {}
    keys = [k for k in rows[0] if k != "num-examples"]
    return {k: float(sum(float(m[k]) * int(m["num-examples"]) for m in rows if k in m) / total) for k in keys}


def checkpoint(folder: Path, field, state: dict, optimizer: ServerOptimizer, control, history: list[dict],
               private: PrivateAggregator | None = None) -> None:
    """Everything a resumed run needs, each file written atomically; the field also as a normal checkpoint
    (`usr reconstruct --checkpoint FOLDER/field.pt`)."""
    folder.mkdir(parents=True, exist_ok=True)
    opt = optimizer.state_dict()
    buf = io.BytesIO()
    np.savez(buf, weights=model_vector(field), m=opt["m"], v=opt["v"], rounds=opt["rounds"],
             config=json.dumps(opt["config"]), control=control if control is not None else np.zeros(0),
             history=json.dumps(history), privacy=json.dumps(private.state_dict() if private else None))
    save_checkpoint(folder / FIELD_FILE, field, int(opt["rounds"]), extra={**state.get("extra", {}), "federated_rounds": int(opt["rounds"])})
    write_json_atomic(folder / HISTORY_FILE, history)  # for people; the state file holds its own copy
    write_bytes_atomic(folder / STATE_FILE, buf.getvalue())  # one file: a round is in it whole or not at all


def resume(folder: Path, optimizer: ServerOptimizer, size: int,
           private: PrivateAggregator | None = None) -> tuple[np.ndarray, np.ndarray | None, list[dict]]:
    arrays = read_npz(folder / STATE_FILE, ("weights", "m", "v", "rounds", "config", "control", "history"),
                      "federation state")
    if arrays["weights"].shape != (size,):
        raise ValueError(f"{folder / STATE_FILE}: {arrays['weights'].size} weights, the model has {size}")
    optimizer.load_state_dict({"config": json.loads(str(arrays["config"])), "m": arrays["m"], "v": arrays["v"],
                               "rounds": int(arrays["rounds"])})
    control = arrays["control"] if arrays["control"].size else None
    privacy = json.loads(str(arrays.get("privacy", "null")))
    if private is not None:
        if privacy is None:
            raise ValueError(f"{folder / STATE_FILE}: the run was made without differential privacy")
        private.load_state_dict(privacy)
    return arrays["weights"].astype(np.float64), control, json.loads(str(arrays["history"]))


app = make_server_app()
