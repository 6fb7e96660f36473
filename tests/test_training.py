"""Training: the shared loop (resume = uninterrupted, schedule, atomic checkpoints). The reconstruction model's
training on it (resume, 2 processes = 1) is tested in test_model.py."""

import json
import os

import pytest
import torch

import usr.io.atomic
from usr.io.state_file import read_state, write_state
from usr.training.loop import Schedule, TrainingLoop, resume

def _toy_run(out, steps=6, progress=None):
    """A linear model fitted to a fixed target with the loop: batches drawn per step, two parameter groups."""

    def new():
        torch.manual_seed(0)
        return torch.nn.Linear(4, 1)

    def load(path):
        state = read_state(path, "toy", "toy")
        model = torch.nn.Linear(4, 1)
        model.load_state_dict(state["weights"])
        return model, state

    model, state = resume(out, load, new)
    optimizer = torch.optim.Adam([{"params": [model.weight], "lr_factor": 1.0},
                                  {"params": [model.bias], "lr_factor": 0.5}], lr=0.1)
    lrs = []

    def step(i):
        lrs.append([g["lr"] for g in optimizer.param_groups])
        x = torch.randn(16, 4, generator=torch.Generator().manual_seed(i))
        err = model(x)[:, 0] - (x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 1)
        return {"loss": (err**2).mean(), "bias": model.bias[0]}

    def save(path, done, record):
        write_state(path, {"format": "toy", "step": done, "weights": model.state_dict(),
                           "optimizer": optimizer.state_dict(), "last": json.dumps(record)})

    loop = TrainingLoop(out, steps, 2, optimizer, Schedule(0.1, 0.01, steps), step,
                        validate=lambda: {"val": float(model.bias.detach())}, save=save)
    return loop.run(state, progress), model, lrs


def _log(out):
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"}
            for line in out.with_suffix(".log.jsonl").read_text().splitlines()]


def test_loop_resumed_after_an_interruption_equals_an_uninterrupted_run(tmp_path):
    summary, straight, lrs = _toy_run(tmp_path / "straight.pt")
    assert [r["step"] for r in _log(tmp_path / "straight.pt")] == [2, 4, 6] and summary["loss"] < 30
    stages = []

    def stop_after_5(stage, fraction):
        stages.append((stage, fraction))
        if stage.startswith("step 5/"):
            raise KeyboardInterrupt

    out = tmp_path / "resumed.pt"
    with pytest.raises(KeyboardInterrupt):
        _toy_run(out, progress=stop_after_5)
    assert stages[1][0].startswith("step 2/6 loss ") and " val " in stages[1][0] and stages[1][1] == pytest.approx(2 / 6)
    assert " val " not in stages[2][0]  # scores are shown at the step that measured them
    assert read_state(out, "toy", "toy")["step"] == 4  # the last checkpoint before the interruption
    resumed_summary, resumed, resumed_lrs = _toy_run(out)
    assert resumed_lrs == lrs[4:]  # the schedule continues where it stopped
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    assert _log(out) == _log(tmp_path / "straight.pt")
    assert {k: v for k, v in resumed_summary.items() if k != "seconds"} == {k: v for k, v in summary.items()
                                                                            if k != "seconds"}


def test_schedule_decays_to_the_end_factor_per_group(tmp_path):
    _, _, lrs = _toy_run(tmp_path / "toy.pt", steps=10)
    gamma = 0.01 ** (1 / 10)
    assert lrs[0] == [0.1, 0.05]
    for step, (weight_lr, bias_lr) in enumerate(lrs):
        assert weight_lr == pytest.approx(0.1 * gamma**step) and bias_lr == pytest.approx(0.5 * weight_lr)
    assert Schedule(0.1, 0.01, 10).lr_at(10) == pytest.approx(0.001)


def test_a_checkpoint_write_that_fails_leaves_the_previous_one(tmp_path, monkeypatch):
    out = tmp_path / "toy.pt"
    real_replace, calls = os.replace, []

    def replace_once(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies while writing the step-4 checkpoint
        real_replace(src, dst)

    monkeypatch.setattr(usr.io.atomic.os, "replace", replace_once)
    with pytest.raises(KeyboardInterrupt):
        _toy_run(out)
    monkeypatch.undo()
    assert read_state(out, "toy", "toy")["step"] == 2 and [r["step"] for r in _log(out)] == [2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.log.jsonl", "toy.pt"]  # no half-written file
    _, resumed, _ = _toy_run(out)
    _, straight, _ = _toy_run(tmp_path / "straight.pt")
    assert all(torch.equal(a, b) for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()))
