"""Training: train_many agrees with train, determinism, stop rules, model selection on the
validation split, the optimisers, and configuration checks. Small problems, seconds each."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from sbcore import profiles
from sbcore.data import Split, make_dataset
from sbcore.models import FCN, model_label
from sbcore.reliance import accuracy, as_scorer
from sbcore.studies import section
from sbcore.training import TrainConfig, train, train_many

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="module")
def data():
    return make_dataset("lms-5", n_train=1500, n_val=400, n_test=600, d=8, seed=3)


def fast(**kw) -> TrainConfig:
    base = dict(optimizer="sgd", lr=0.1, batch_size=64, momentum=0.0, weight_decay=5e-5,
                stop="accuracy", eps=1e-2, patience=20, max_updates=1500, eval_every=10)
    base.update(kw)
    return TrainConfig(**base)


def weights(model) -> list[np.ndarray]:
    return [p.detach().cpu().numpy().copy() for p in model.parameters()]


# ------------------------------------------------------------------------------------------
# models
# ------------------------------------------------------------------------------------------

def test_fcn_shape_and_label():
    net = FCN(7, 12, 3)
    assert net(torch.zeros(5, 7)).shape == (5, 2)
    assert len(net.linears()) == 4  # 3 hidden layers + output
    assert [tuple(lin.weight.shape) for lin in net.linears()] == [(12, 7), (12, 12), (12, 12),
                                                                  (2, 12)]
    assert model_label(100, 2) == "(100,2)-FCN" and net.label == "(12,3)-FCN"
    with pytest.raises(ValueError, match="width"):
        FCN(7, 0, 1)


# ------------------------------------------------------------------------------------------
# train_many == train
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("opt", [dict(optimizer="sgd"),
                                 dict(optimizer="sgd", lr=0.05, momentum=0.9),
                                 dict(optimizer="adam", lr=3e-3),
                                 dict(optimizer="rmsprop", lr=1e-3, momentum=0.5)])
def test_train_many_matches_train(data, opt, device):
    config = fast(**opt)
    seeds = [0, 1, 5]
    many = train_many(data, 16, 2, config, seeds, device=device, progress=False)
    for seed, got in zip(seeds, many):
        ref = train(data, 16, 2, config, seed, device=device, progress=False)
        assert got.seed == seed
        assert got.stop_update == ref.stop_update and got.updates == ref.updates
        assert got.selected_update == ref.selected_update
        assert list(got.history["update"]) == list(ref.history["update"])
        for col in ("train_accuracy", "val_accuracy"):
            np.testing.assert_allclose(got.history[col], ref.history[col], atol=2e-3)
        np.testing.assert_allclose(got.history.train_loss, ref.history.train_loss, rtol=1e-3,
                                   atol=1e-4)
        assert abs(accuracy(got.scorer(data.test.X), data.test.y)
                   - accuracy(ref.scorer(data.test.X), data.test.y)) <= 2e-3


def test_train_many_models_finish_at_their_own_time(data):
    """Models that stop early are frozen while the rest go on; each keeps its own cap."""
    config = fast(eps=1e-9, stop="loss", max_updates=200, patience=0)  # never met: cap
    easy = fast(eps=0.3, stop="loss", patience=15)
    for cfg in (config, easy):
        many = train_many(data, 16, 1, cfg, [0, 1, 2, 3], progress=False)
        for r in many:
            ref = train(data, 16, 1, cfg, r.seed, progress=False)
            assert (r.stop_update, r.updates) == (ref.stop_update, ref.updates)
            np.testing.assert_allclose(np.concatenate([w.ravel() for w in weights(r.model)]),
                                       np.concatenate([w.ravel() for w in weights(ref.model)]),
                                       atol=1e-4)
    assert all(r.updates == 200 and not r.converged for r in
               train_many(data, 16, 1, config, [0, 1], progress=False))


def test_initial_weights_match_train(data):
    """Update 0 is evaluated before any step: equal losses mean equal initial models."""
    cfg = fast(max_updates=1)
    many = train_many(data, 16, 2, cfg, [4, 9], progress=False)
    for r in many:
        ref = train(data, 16, 2, cfg, r.seed, progress=False)
        assert r.history.train_loss.iloc[0] == pytest.approx(ref.history.train_loss.iloc[0],
                                                             rel=1e-6)


# ------------------------------------------------------------------------------------------
# determinism
# ------------------------------------------------------------------------------------------

def test_same_seed_same_result_and_global_rng_untouched(data):
    cfg = fast(max_updates=150)
    torch.manual_seed(123)
    a = train(data, 16, 2, cfg, 7, progress=False)
    after_train = torch.rand(3)
    torch.manual_seed(123)
    expected = torch.rand(3)
    assert torch.equal(after_train, expected)  # train neither used nor moved the global RNG
    b = train(data, 16, 2, cfg, 7, progress=False)
    for x, y in zip(weights(a.model), weights(b.model)):
        np.testing.assert_array_equal(x, y)
    assert a.history.equals(b.history)
    c = train(data, 16, 2, cfg, 8, progress=False)
    assert not np.array_equal(weights(a.model)[0], weights(c.model)[0])
    m1 = train_many(data, 16, 2, cfg, [7, 8], progress=False)
    m2 = train_many(data, 16, 2, cfg, [7, 8], progress=False)
    for r1, r2 in zip(m1, m2):
        assert r1.history.equals(r2.history)
        for x, y in zip(weights(r1.model), weights(r2.model)):
            np.testing.assert_array_equal(x, y)


# ------------------------------------------------------------------------------------------
# stop rules
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("runner", ["train", "train_many"])
def test_accuracy_stop_rule_and_patience(data, runner):
    cfg = fast(eps=0.02, patience=35)
    r = _run(runner, data, cfg)
    h = r.history
    met = h.train_accuracy >= 1 - cfg.eps
    assert r.converged and r.stop_update == h["update"][met].iloc[0]
    assert not met[h["update"] < r.stop_update].any()  # first time the rule held
    assert r.updates == r.stop_update + cfg.patience
    assert h["update"].iloc[-1] == r.updates  # a final evaluation at the last update
    assert set(h["update"][:-1]) == set(range(0, r.updates, cfg.eval_every))


@pytest.mark.parametrize("runner", ["train", "train_many"])
def test_loss_stop_rule_without_patience(data, runner):
    cfg = fast(stop="loss", eps=0.25, patience=0)
    r = _run(runner, data, cfg)
    h = r.history
    assert r.converged and r.updates == r.stop_update
    assert h.train_loss.iloc[-1] < 0.25
    assert (h.train_loss.iloc[:-1] >= 0.25).all()


@pytest.mark.parametrize("runner", ["train", "train_many"])
def test_cap_ends_training(data, runner):
    cfg = fast(stop="loss", eps=1e-12, max_updates=125, eval_every=50)
    r = _run(runner, data, cfg)
    assert not r.converged and r.stop_update is None and r.updates == 125
    assert list(r.history["update"]) == [0, 50, 100, 125]


def test_patience_is_cut_by_the_cap(data):
    cfg = fast(eps=0.02, patience=10_000, max_updates=300)
    r = train(data, 16, 2, cfg, 0, progress=False)
    assert r.converged and r.stop_update < 300 and r.updates == 300


def _run(runner, data, cfg, seed=0):
    if runner == "train":
        return train(data, 16, 2, cfg, seed, progress=False)
    return train_many(data, 16, 2, cfg, [seed, seed + 1], progress=False)[0]


# ------------------------------------------------------------------------------------------
# model selection: validation split only
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("runner", ["train", "train_many"])
def test_selection_uses_validation_not_test(data, runner):
    """With validation labels flipped, the best-validation checkpoint is the worst model, so
    selection picks an early checkpoint although test accuracy keeps rising; changing the
    test split changes nothing."""
    cfg = fast(eps=0.02, patience=30)
    flipped = dataclasses.replace(data, val=Split(data.val.X, 1 - data.val.y))
    r = _run(runner, flipped, cfg)
    h = r.history
    assert h.train_accuracy.iloc[-1] >= 0.98
    best = h.val_accuracy.max()
    assert r.selected_update == h["update"][h.val_accuracy == best].iloc[-1]  # ties -> later
    assert r.selected_update < r.updates
    test_acc = accuracy(r.scorer(data.test.X), data.test.y)
    assert test_acc < 0.9  # the kept model is a poor one: test data played no part
    garbage_test = dataclasses.replace(flipped, test=Split(data.test.X[:10] * 0, data.test.y[:10]))
    r2 = _run(runner, garbage_test, cfg)
    assert r2.selected_update == r.selected_update
    for x, y in zip(weights(r.model), weights(r2.model)):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("runner", ["train", "train_many"])
def test_empty_validation_keeps_last_model(runner):
    no_val = make_dataset("lms-5", n_train=800, n_val=0, n_test=200, d=6, seed=1)
    r = _run(runner, no_val, fast(eps=0.05, patience=20))
    assert r.selected_update == r.updates
    assert r.history.val_accuracy.isna().all()


# ------------------------------------------------------------------------------------------
# optimisers, result object, track
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("opt", [dict(optimizer="sgd", lr=0.1),
                                 dict(optimizer="sgd", lr=0.05, momentum=0.9),
                                 dict(optimizer="adam", lr=1e-3),
                                 dict(optimizer="rmsprop", lr=1e-3)])
def test_each_optimizer_reduces_loss(data, opt):
    cfg = fast(max_updates=120, eval_every=40, stop="loss", eps=1e-9, **opt)
    for r in (train(data, 16, 2, cfg, 0, progress=False),
              train_many(data, 16, 2, cfg, [0], progress=False)[0]):
        assert r.history.train_loss.iloc[-1] < 0.8 * r.history.train_loss.iloc[0]


def test_result_contents_and_track(data):
    seen = []

    def track(scorer):
        seen.append(1)
        return {"test accuracy": accuracy(scorer(data.test.X), data.test.y)}

    cfg = fast(max_updates=60, eval_every=20)
    for r in (train(data, 16, 1, cfg, 0, track=track, progress=False),
              train_many(data, 16, 1, cfg, [0], track=track, progress=False)[0]):
        assert isinstance(r.model, FCN) and not r.model.training
        assert next(r.model.parameters()).device.type == "cpu"
        assert list(r.history.columns) == ["update", "train_loss", "train_accuracy",
                                           "val_accuracy", "test accuracy"]
        np.testing.assert_allclose(r.scorer(data.test.X), as_scorer(r.model)(data.test.X))
        assert r.wall_time_s > 0 and r.seed == 0
    a, b = (train(data, 16, 1, cfg, 0, track=track, progress=False),
            train_many(data, 16, 1, cfg, [0], track=track, progress=False)[0])
    np.testing.assert_allclose(a.history["test accuracy"], b.history["test accuracy"], atol=2e-3)
    assert len(seen) == 4 * len(a.history)


# ------------------------------------------------------------------------------------------
# configuration checks
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("optimizer", "lbfgs"), ("lr", 0.0), ("lr", -1.0), ("lr", float("nan")), ("lr", "0.1"),
    ("batch_size", 0), ("batch_size", 2.5), ("momentum", 1.0), ("momentum", -0.1),
    ("weight_decay", -1e-5), ("stop", "val"), ("eps", 0.0), ("patience", -1),
    ("max_updates", 0), ("eval_every", 0), ("eval_every", True)])
def test_bad_config_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_config_rejects_unknown_keys_and_adam_momentum():
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig(learning_rate=0.1)
    with pytest.raises(ValueError, match="momentum"):
        TrainConfig(optimizer="adam", momentum=0.9)


@pytest.mark.parametrize("profile", profiles.PROFILE_NAMES)
def test_profiles_train_sections_are_valid_configs(profile):
    cfg = TrainConfig(**section(profile, "extreme_sb")["train"])
    assert dataclasses.replace(cfg, lr=0.5).lr == 0.5


def test_bad_training_arguments(data):
    cfg = fast()
    with pytest.raises(ValueError, match="seed"):
        train(data, 16, 1, cfg, -1, progress=False)
    with pytest.raises(ValueError, match="seeds"):
        train_many(data, 16, 1, cfg, [], progress=False)
    with pytest.raises(ValueError, match="seed"):
        train_many(data, 16, 1, cfg, [0, "1"], progress=False)
    with pytest.raises(ValueError, match="width"):
        train(data, 0, 1, cfg, 0, progress=False)
    with pytest.raises(ValueError, match="depth"):
        train_many(data, 16, 0, cfg, [0], progress=False)
    with pytest.raises(ValueError, match="device"):
        train(data, 16, 1, cfg, 0, device="tpu", progress=False)
    with pytest.raises(ValueError, match="config"):
        train(data, 16, 1, dict(lr=0.1), 0, progress=False)
