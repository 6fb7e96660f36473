"""The federated algorithms on a problem with a known answer: studios with different least-squares problems
(heterogeneous data), whose federation optimum is the solution of the pooled problem."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from fed.core.aggregation import aggregate, clip_norms, krum, trimmed_mean
from fed.core.local import LocalConfig, train_locally
from fed.core.rounds import RoundConfig, server_round
from fed.core.server_opt import SERVER_OPTIMIZERS, ServerOptConfig, ServerOptimizer
from fed.core.weights import StudioUpdate, model_vector, screen

D = 6


def _studios(k: int = 4, seed: int = 0):
    """Per studio (A, b): each sees a different part of the input space and a different target."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(k):
        a = rng.normal(size=(40, D)) * (1 + 3 * (np.arange(D) % k == i))  # studio i mostly sees its own directions
        out.append((a, a @ rng.normal(size=D) + 0.1 * rng.normal(size=40)))
    return out


def _optimum(studios) -> np.ndarray:
    a = np.concatenate([s[0] for s in studios])
    b = np.concatenate([s[1] for s in studios])
    return np.linalg.lstsq(a, b, rcond=None)[0]


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Linear(D, 1, bias=False).double()


def _loss(a, b, scale: float = 1.0):
    at, bt = torch.as_tensor(a), torch.as_tensor(b)
    return lambda model, step: scale * ((model(at).squeeze(-1) - bt) ** 2).mean() / 2


def _federate(algorithm: str, rounds: int, steps: int, lr: float = 0.02, server: str = "fedavg", server_lr: float = 1.0,
              local_optimizer: str = "sgd", loss_scale: float = 1.0):
    studios, model = _studios(), _model()
    weights = model_vector(model)
    optimizer = ServerOptimizer(ServerOptConfig(server, lr=server_lr), weights.size)
    server_control = np.zeros(weights.size) if algorithm == "scaffold" else None
    controls = [None] * len(studios)
    for _ in range(rounds):
        updates = []
        for i, (a, b) in enumerate(studios):
            r = train_locally(model, _loss(a, b, loss_scale), weights, LocalConfig(algorithm, steps, lr, mu=0.1, optimizer=local_optimizer), server_control,
                              controls[i])
            controls[i] = r.control
            updates.append(StudioUpdate(f"s{i}", r.weights - weights, len(b), r.control_delta))
        out = server_round(weights, updates, optimizer, RoundConfig(), server_control, len(studios))
        weights, server_control = out.weights, out.server_control
    return weights, np.linalg.norm(weights - _optimum(studios))


def test_scaffold_removes_client_drift_fedavg_keeps():
    _, fedavg_error = _federate("fedavg", rounds=60, steps=25)
    _, scaffold_error = _federate("scaffold", rounds=60, steps=25)
    assert scaffold_error < 1e-3 < fedavg_error  # equal sample counts: the pooled optimum is the federation's
    assert scaffold_error < fedavg_error / 20


def test_scaffold_with_adam_steps_still_corrects_drift():
    """The field trains with Adam, whose steps are about η per weight whatever the gradients' size (the field's are
    small): SCAFFOLD's variate is then the studio's mean gradient, so the correction has the gradients' scale."""
    for scale in (1.0, 1e-3):
        _, fedavg_error = _federate("fedavg", rounds=60, steps=25, lr=0.01, local_optimizer="adam", loss_scale=scale)
        _, scaffold_error = _federate("scaffold", rounds=60, steps=25, lr=0.01, local_optimizer="adam", loss_scale=scale)
        assert scaffold_error < fedavg_error / 3, scale


def test_fedavg_with_one_local_step_is_gradient_descent_on_the_pooled_loss():
    studios = _studios()
    weights, _ = _federate("fedavg", rounds=1, steps=1, lr=0.05)
    w0 = model_vector(_model())
    grad = np.mean([a.T @ (a @ w0 - b) / len(b) for a, b in studios], axis=0)
    assert np.allclose(weights, w0 - 0.05 * grad, atol=1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_learning_rate_scales_slow_or_freeze_parameters_by_name(optimizer):
    """fed.task uses this to leave the field's hash grid as sent (FedSettings.grid_lr_scale)."""
    a, b = _studios()[0]
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(D, 4).double(), nn.Linear(4, 1).double())
    w0 = model_vector(model)
    first = sum(p.numel() for p in model[0].parameters())
    loss = lambda m, step: ((m(torch.as_tensor(a)).squeeze(-1) - torch.as_tensor(b)) ** 2).mean()  # noqa: E731
    moved = train_locally(model, loss, w0, LocalConfig("fedavg", 5, 0.01, optimizer=optimizer)).weights - w0
    frozen = train_locally(model, loss, w0, LocalConfig("fedavg", 5, 0.01, optimizer=optimizer,
                                                       lr_scales=(("0.", 0.0),))).weights - w0
    assert np.abs(moved[:first]).max() > 1e-4 and np.all(frozen[:first] == 0)
    assert np.abs(frozen[first:]).max() > 1e-4
    if optimizer == "sgd":  # one step: exactly half the move at half the rate
        one = train_locally(model, loss, w0, LocalConfig("fedavg", 1, 0.01)).weights - w0
        half = train_locally(model, loss, w0, LocalConfig("fedavg", 1, 0.01, lr_scales=(("0.", 0.5),))).weights - w0
        assert np.allclose(half[:first], one[:first] / 2) and np.allclose(half[first:], one[first:])


def test_fedprox_keeps_local_models_near_the_global_one():
    a, b = _studios()[0]
    model = _model()
    w0 = model_vector(model)
    far = train_locally(model, _loss(a, b), w0, LocalConfig("fedavg", 100, 0.02)).weights
    near = train_locally(model, _loss(a, b), w0, LocalConfig("fedprox", 100, 0.02, mu=20.0)).weights
    assert np.linalg.norm(near - w0) < 0.5 * np.linalg.norm(far - w0)


@pytest.mark.parametrize("name, lr", [("fedavgm", 0.1), ("fedadagrad", 0.3), ("fedyogi", 0.05), ("fedadam", 0.1)])
def test_server_optimizers_converge_and_resume_exactly(name, lr):
    _, error = _federate("fedavg", rounds=80, steps=1, lr=0.05, server=name, server_lr=lr)
    _, start = _federate("fedavg", rounds=0, steps=1)
    assert error < 0.05 * start
    # a checkpointed optimizer continues exactly where it was
    rng = np.random.default_rng(1)
    deltas = rng.normal(size=(6, D))
    one = ServerOptimizer(ServerOptConfig(name, lr=lr), D)
    w = np.zeros(D)
    for d in deltas:
        w = one.step(w, d)
    two = ServerOptimizer(ServerOptConfig(name, lr=lr), D)
    w2 = np.zeros(D)
    for d in deltas[:3]:
        w2 = two.step(w2, d)
    three = ServerOptimizer(ServerOptConfig(name, lr=lr), D)
    three.load_state_dict(two.state_dict())
    for d in deltas[3:]:
        w2 = three.step(w2, d)
    assert np.array_equal(w, w2) and three.rounds == 6
    assert name in SERVER_OPTIMIZERS


def test_robust_rules_ignore_one_malicious_studio():
    rng = np.random.default_rng(2)
    honest = rng.normal(1.0, 0.1, size=(4, D))
    for attack in (honest[0] * -50, rng.normal(0, 30, D), -honest[0]):  # scaled, noise, sign-flipped
        updates = np.vstack([honest, attack])
        truth = honest.mean(0)
        assert np.linalg.norm(aggregate(updates, np.ones(5), "mean") - truth) > 0.3
        for rule in ("median", "trimmed-mean", "krum", "multi-krum"):
            assert np.linalg.norm(aggregate(updates, np.ones(5), rule, byzantine=1) - truth) < 0.25, rule
        # the round names who multi-Krum averaged: the four honest studios, never the attacker
        studios = [StudioUpdate(f"studio_{k}", u, 10) for k, u in enumerate(updates)]
        outcome = server_round(np.zeros(D), studios, ServerOptimizer(ServerOptConfig(), D),
                               RoundConfig(rule="multi-krum", max_norm=1e9))
        assert outcome.selected == ["studio_0", "studio_1", "studio_2", "studio_3"] and len(outcome.used) == 5
    assert server_round(np.zeros(D), studios, ServerOptimizer(ServerOptConfig(), D), RoundConfig()).selected is None


def test_clipping_krum_and_trimming_edges():
    updates = np.array([[3.0, 4.0], [0.3, 0.4]])
    assert np.allclose(np.linalg.norm(clip_norms(updates, 1.0), axis=1), [1.0, 0.5])
    with pytest.raises(ValueError, match="Krum"):
        krum(np.zeros((3, 2)), byzantine=1)
    with pytest.raises(ValueError, match="trimmed"):
        trimmed_mean(np.zeros((2, 2)), 1)
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate(updates, np.ones(2), "average")


def test_broken_updates_are_rejected_with_the_studio_named():
    good = StudioUpdate("lyon", np.ones(D), 10)
    bad = [StudioUpdate("oslo", np.full(D, np.nan), 10), StudioUpdate("rome", np.ones(D + 1), 10),
           StudioUpdate("kyiv", np.full(D, 1e9), 10), StudioUpdate("lima", np.ones(D), 0)]
    kept, rejected = screen([good, *bad], D, max_norm=1e3)
    assert [u.studio for u in kept] == ["lyon"]
    for line, (studio, words) in zip(rejected, [("oslo", "non-finite"), ("rome", "shape"), ("kyiv", "norm"),
                                                  ("lima", "samples")]):
        assert studio in line and words in line
    optimizer = ServerOptimizer(ServerOptConfig(), D)
    same = server_round(np.zeros(D), bad, optimizer, RoundConfig(max_norm=1e3))
    assert np.array_equal(same.weights, np.zeros(D)) and len(same.rejected) == 4  # nothing usable: weights kept


def test_dp_aggregation_bounds_one_studio_and_reports_epsilon():
    from fed.core.privacy import PrivacySettings, PrivateAggregator, epsilon_after

    rng = np.random.default_rng(3)
    honest = rng.normal(size=(4, 2000)) * 0.01
    settings = PrivacySettings(clip=1.0, noise_multiplier=1e-9)
    quiet = PrivateAggregator(settings)
    for outsider in (np.full(2000, 1e6), -np.full(2000, 1e6)):  # whatever one studio sends …
        moved = quiet.aggregate(np.vstack([honest, outsider])) - quiet.aggregate(np.vstack([honest, np.zeros(2000)]))
        assert np.linalg.norm(moved) * 5 <= 1.0 + 1e-6  # … it moves the sum by at most C
    noisy = PrivateAggregator(PrivacySettings(clip=1.0, noise_multiplier=2.0), seed=1)
    spread = np.std([noisy.aggregate(np.zeros((4, 500))) for _ in range(20)])
    assert abs(spread - 2.0 / 4) < 0.05  # σ·C / K
    assert noisy.rounds == 20
    # the accountant: more rounds cost more, more noise less; below the closed-form RDP bound for the Gaussian
    eps = epsilon_after(1.0, 10, 1e-5)
    alpha = np.linspace(1.01, 200, 20000)
    bound = np.min(10 * alpha / 2 + np.log(1e5) / (alpha - 1))
    assert 0 < eps <= bound and epsilon_after(1.0, 20, 1e-5) > eps > epsilon_after(2.0, 10, 1e-5)
    resumed = PrivateAggregator(PrivacySettings(clip=1.0, noise_multiplier=2.0), seed=9)
    resumed.load_state_dict(noisy.state_dict())
    assert np.array_equal(resumed.aggregate(np.zeros((4, 5))), noisy.aggregate(np.zeros((4, 5))))
    assert resumed.epsilon() == noisy.epsilon()


def test_attacks_turn_an_honest_update_into_a_hostile_one():
    from fed.core.attacks import corrupt_update, mirror_views

    delta = np.random.default_rng(4).normal(size=50)
    assert np.allclose(corrupt_update(delta, "scaled", 10), -10 * delta)
    noisy = corrupt_update(delta, "noise", 10, seed=1)
    assert np.isclose(np.linalg.norm(noisy), 10 * np.linalg.norm(delta)) and abs(np.dot(noisy, delta)) < np.linalg.norm(noisy) * np.linalg.norm(delta)
    assert np.array_equal(corrupt_update(delta, "flipped"), delta)  # poisoned data, honest-looking update
    images, masks = mirror_views([np.arange(6, dtype=np.uint8).reshape(1, 2, 3)], [np.array([[0, 255]], np.uint8)])
    assert images[0][0, 0].tolist() == [3, 4, 5] and masks[0].tolist() == [[255, 0]]
    with pytest.raises(ValueError, match="unknown attack"):
        corrupt_update(delta, "bribe")
