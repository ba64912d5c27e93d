"""fit (any nn.Module) and fit_many (vmap over models of one architecture): fit of an FCN is
train_many's model, a small Conv1d model trains to the stop rule, fit_many matches fit per seed,
divergence ends a run, bad inputs are refused before any work. Small problems, seconds each."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest
import torch
from torch import nn

from sbcore.data import Split, make_dataset
from sbcore.models import ModelSpec
from sbcore.reliance import accuracy
from sbcore.training import TrainConfig, fit, fit_each, fit_many, init_fcn, train, train_many

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="module")
def data():
    return make_dataset("lms-5", n_train=1500, n_val=400, n_test=600, d=8, seed=3)


@dataclasses.dataclass
class Sequences:
    """Slab data as sequences of length d with one channel, (n, 1, d): any object with .train
    and .val splits will do for fit."""

    train: Split
    val: Split
    test: Split


@pytest.fixture(scope="module")
def seq(data):
    def as_seq(s):
        return Split(s.X[:, None, :].copy(), s.y)

    return Sequences(as_seq(data.train), as_seq(data.val), as_seq(data.test))


class TinyConv(nn.Module):
    """Conv1d(1 -> 4 channels, kernel 3, same length), ReLU, Linear(4 * d -> 2)."""

    def __init__(self, d: int = 8, channels: int = 4):
        super().__init__()
        self.conv = nn.Conv1d(1, channels, 3, padding=1)
        self.out = nn.Linear(channels * d, 2)

    def forward(self, x):
        return self.out(self.conv(x).relu().flatten(1))


def tiny_conv(seed: int) -> TinyConv:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TinyConv()


def fast(**kw) -> TrainConfig:
    base = dict(optimizer="sgd", lr=0.1, batch_size=64, momentum=0.0, weight_decay=5e-5,
                stop="accuracy", eps=1e-2, patience=20, max_updates=1500, eval_every=10)
    base.update(kw)
    return TrainConfig(**base)


def flat(model) -> np.ndarray:
    return np.concatenate([p.detach().cpu().numpy().ravel() for p in model.parameters()])


def assert_same_run(got, ref, atol=2e-3, params_atol=1e-4):
    assert got.seed == ref.seed
    assert (got.stop_update, got.updates, got.selected_update) == \
        (ref.stop_update, ref.updates, ref.selected_update)
    assert (got.converged, got.diverged) == (ref.converged, ref.diverged)
    assert list(got.history["update"]) == list(ref.history["update"])
    for col in ("train_accuracy", "val_accuracy"):
        np.testing.assert_allclose(got.history[col], ref.history[col], atol=atol)
    np.testing.assert_allclose(got.history.train_loss, ref.history.train_loss, rtol=1e-3,
                               atol=1e-4)
    np.testing.assert_allclose(flat(got.model), flat(ref.model), atol=params_atol)


# ------------------------------------------------------------------------------------------
# fit on an FCN is train (and so train_many)
# ------------------------------------------------------------------------------------------

def test_fit_of_an_fcn_equals_train_many(data):
    cfg = fast(lr=0.05, momentum=0.9, max_updates=400)
    for got in train_many(data, 16, 2, cfg, [0, 5], progress=False):
        ref = fit(init_fcn(data.d, 16, 2, got.seed), data, cfg, got.seed, progress=False)
        assert_same_run(got, ref)


def test_train_is_fit_of_init_fcn(data):
    cfg = fast(max_updates=200)
    a = train(data, 16, 1, cfg, 4, progress=False)
    b = fit(init_fcn(data.d, 16, 1, 4), data, cfg, seed=4, progress=False)
    assert a.history.equals(b.history)
    np.testing.assert_array_equal(flat(a.model), flat(b.model))


def test_fit_leaves_the_callers_model_and_global_rng_alone(seq):
    model = tiny_conv(0)
    before = flat(model)
    torch.manual_seed(123)
    r = fit(model, seq, fast(max_updates=50), seed=1, progress=False)
    after_fit = torch.rand(3)
    torch.manual_seed(123)
    assert torch.equal(after_fit, torch.rand(3))  # fit neither used nor moved the global RNG
    np.testing.assert_array_equal(flat(model), before)
    assert r.model is not model and not r.model.training
    assert next(r.model.parameters()).device.type == "cpu"


# ------------------------------------------------------------------------------------------
# a Conv1d model: fit to the stop rule, fit_many == fit
# ------------------------------------------------------------------------------------------

def test_fit_trains_a_conv_model_to_the_stop_rule(seq):
    cfg = fast(lr=0.2, eps=0.05, patience=20, max_updates=2000)
    r = fit(tiny_conv(0), seq, cfg, seed=0, progress=False)
    assert r.converged and not r.diverged and r.updates == r.stop_update + 20
    assert r.history.train_accuracy.iloc[-1] >= 0.95
    assert accuracy(r.scorer(seq.test.X), seq.test.y) > 0.9
    assert isinstance(r.model, TinyConv)


def test_step_schedule_multiplies_the_step_size(seq):
    # a decay to ~0 after 3 updates freezes the model: 10 updates end where 3 plain ones do
    frozen = fit(tiny_conv(0), seq, fast(max_updates=10, eval_every=10, lr_decay=1e-12,
                                         lr_decay_every=3), seed=0, progress=False)
    three = fit(tiny_conv(0), seq, fast(max_updates=3, eval_every=10), seed=0, progress=False)
    ten = fit(tiny_conv(0), seq, fast(max_updates=10, eval_every=10), seed=0, progress=False)
    np.testing.assert_allclose(flat(frozen.model), flat(three.model), atol=1e-6)
    assert np.abs(flat(ten.model) - flat(three.model)).max() > 1e-3
    # the stacked trainers follow the same schedule (adam here: its step size decays too)
    cfg = fast(max_updates=10, eval_every=10, lr_decay=0.1, lr_decay_every=4, optimizer="adam",
               lr=1e-2)
    alone = fit(tiny_conv(1), seq, cfg, seed=1, progress=False)
    stacked = fit_many([tiny_conv(0), tiny_conv(1)], seq, cfg, [0, 1], progress=False)[1]
    np.testing.assert_allclose(flat(stacked.model), flat(alone.model), atol=1e-5)
    with pytest.raises(ValueError, match="lr_decay must be"):
        fast(lr_decay=2.0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("opt", [dict(lr=0.2, momentum=0.0),
                                 dict(lr=0.05, momentum=0.9),
                                 dict(optimizer="adam", lr=1e-2)])
def test_fit_many_matches_fit(seq, opt, device):
    cfg = fast(eps=0.01, patience=30, max_updates=600, **opt)
    seeds = [0, 1, 2]
    seen = []

    def track(scorer):
        seen.append(1)
        return {"test accuracy": accuracy(scorer(seq.test.X), seq.test.y)}

    many = fit_many([tiny_conv(s) for s in seeds], seq, cfg, seeds, device=device, track=track,
                    progress=False)
    for seed, got in zip(seeds, many):
        ref = fit(tiny_conv(seed), seq, cfg, seed, device=device, track=track, progress=False)
        # The stacked and the lone convolution sum in different orders; where a training
        # example sits on a ReLU's kink that rounding can flip it, and Adam, which divides by
        # the gradient's scale, carries the flip forward (seed 1: 1e-7 apart until update 61,
        # 3e-3 at 70 on one machine, 1e-7 on another). A mixed-up step or state would be
        # lr = 1e-2 per update apart.
        assert_same_run(got, ref, params_atol=1e-2 if opt.get("optimizer") == "adam" else 1e-4)
        assert isinstance(got.model, TinyConv) and not got.model.training
        np.testing.assert_allclose(got.history["test accuracy"], ref.history["test accuracy"],
                                   atol=2e-3)
    assert len(seen) == 2 * sum(len(r.history) for r in many)


def test_fit_many_refuses_mixed_architectures(seq):
    with pytest.raises(ValueError, match=r"models\[1\]"):
        fit_many([tiny_conv(0), TinyConv(channels=5)], seq, fast(), [0, 1], progress=False)
    with pytest.raises(ValueError, match="one seed per model"):
        fit_many([tiny_conv(0), tiny_conv(1)], seq, fast(), [0], progress=False)
    with pytest.raises(ValueError, match="models"):
        fit_many([], seq, fast(), [0], progress=False)


def test_fit_each_in_two_processes_matches_fit_in_order(data, monkeypatch):
    """The toolbox's CPU path: each model alone, over processes of one torch thread; the
    results come back in the order of the models, each its own seed's fit."""
    cfg = fast(eps=0.01, patience=30, max_updates=400)
    spec, seeds = ModelSpec.parse("(4,3,1)-CNN"), [2, 0, 1]
    models = [spec.build(data.d, s) for s in seeds]
    spread = fit_each(models, data, cfg, seeds, workers=2)
    monkeypatch.setenv("SB_CPU_WORKERS", "1")
    alone = fit_each(models, data, cfg, seeds)  # workers from the environment: one process
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in each worker
    try:
        refs = [fit(m, data, cfg, s, progress=False) for m, s in zip(models, seeds)]
    finally:
        torch.set_num_threads(threads)
    assert [r.seed for r in spread] == [r.seed for r in alone] == seeds
    for got, one, ref in zip(spread, alone, refs):
        assert_same_run(got, ref)
        assert_same_run(one, ref)
    assert len({tuple(flat(r.model)[:5]) for r in spread}) == 3  # three different runs


def test_fit_each_refuses_bad_workers_and_seeds_before_any_work(data, monkeypatch):
    models = [ModelSpec.parse("(4,3,1)-CNN").build(data.d, s) for s in (0, 1)]
    with pytest.raises(ValueError, match="workers must be a positive integer, got 0"):
        fit_each(models, data, fast(), [0, 1], workers=0)
    with pytest.raises(ValueError, match="one seed per model"):
        fit_each(models, data, fast(), [0], workers=2)
    monkeypatch.setenv("SB_CPU_WORKERS", "two")
    with pytest.raises(ValueError, match="SB_CPU_WORKERS must be a positive integer, got 'two'"):
        fit_each(models, data, fast(), [0, 1])


# ------------------------------------------------------------------------------------------
# divergence
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("runner", ["fit", "train_many", "fit_many"])
def test_divergence_ends_the_run(data, seq, runner):
    cfg = fast(lr=1e30, max_updates=100_000, eval_every=10)
    if runner == "fit":
        r = fit(init_fcn(data.d, 16, 2, 0), data, cfg, 0, progress=False)
    elif runner == "train_many":
        r = train_many(data, 16, 2, cfg, [0, 1], progress=False)[0]
    else:
        r = fit_many([tiny_conv(0), tiny_conv(1)], seq, cfg, [0, 1], progress=False)[0]
    h = r.history
    assert r.diverged and not r.converged
    assert r.updates <= 100 and h["update"].iloc[-1] == r.updates
    assert not np.isfinite(h.train_loss.iloc[-1]) and np.isfinite(h.train_loss.iloc[:-1]).all()
    assert r.selected_update < r.updates  # the diverged checkpoint is never kept
    assert np.isfinite(flat(r.model)).all()


def test_diverged_model_leaves_the_stack_others_go_on(seq):
    """A model whose logits overflow at init diverges at update 0 and is dropped; the others
    train on, each as fit trains it alone."""
    cfg = fast(lr=0.2, eps=0.05, max_updates=300)
    huge = tiny_conv(1)
    with torch.no_grad():
        huge.out.weight.mul_(1e38)
    many = fit_many([tiny_conv(0), huge, tiny_conv(2)], seq, cfg, [0, 1, 2], progress=False)
    assert many[1].diverged and many[1].updates == 0 and len(many[1].history) == 1
    for seed in (0, 2):
        assert not many[seed].diverged
        assert_same_run(many[seed], fit(tiny_conv(seed), seq, cfg, seed, progress=False))


# ------------------------------------------------------------------------------------------
# inputs refused before any work
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("split", ["train", "val"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs_refused(data, split, bad):
    X = getattr(data, split).X.copy()
    X[3, 1] = bad
    broken = dataclasses.replace(data, **{split: Split(X, getattr(data, split).y)})
    with pytest.raises(ValueError, match=f"data.{split}.X has NaN or infinite"):
        fit(init_fcn(data.d, 8, 1, 0), broken, fast(), progress=False)
    with pytest.raises(ValueError, match=f"data.{split}.X"):
        train_many(broken, 8, 1, fast(), [0], progress=False)


def test_bad_model_and_data_refused(data, seq):
    cfg = fast()
    with pytest.raises(ValueError, match="model must be a torch nn.Module"):
        fit(lambda x: x, data, cfg, progress=False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        fit(nn.ReLU(), data, cfg, progress=False)
    with pytest.raises(ValueError, match=r"model fails on a batch of data.train.X of shape"):
        fit(tiny_conv(0), data, cfg, progress=False)  # (n, d) rows, the model wants (n, 1, d)
    with pytest.raises(ValueError, match=r"\(n, 2\) logits"):
        fit(nn.Linear(data.d, 3), data, cfg, progress=False)
    with pytest.raises(ValueError, match="has no .val"):
        fit(tiny_conv(0), types.SimpleNamespace(train=seq.train), cfg, progress=False)
    empty = dataclasses.replace(data, train=Split(data.train.X[:0], data.train.y[:0]))
    with pytest.raises(ValueError, match="data.train is empty"):
        fit(init_fcn(data.d, 8, 1, 0), empty, cfg, progress=False)
    three = dataclasses.replace(data, train=Split(data.train.X, data.train.y + 1))
    with pytest.raises(ValueError, match="data.train.y must hold integer labels 0 and 1"):
        fit(init_fcn(data.d, 8, 1, 0), three, cfg, progress=False)
    ragged = dataclasses.replace(data, val=Split(data.val.X[:, :3], data.val.y))
    with pytest.raises(ValueError, match="data.val.X rows"):
        fit(init_fcn(data.d, 8, 1, 0), ragged, cfg, progress=False)
    with pytest.raises(ValueError, match="config"):
        fit(init_fcn(data.d, 8, 1, 0), data, dict(lr=0.1), progress=False)
    with pytest.raises(ValueError, match="seed"):
        fit(init_fcn(data.d, 8, 1, 0), data, cfg, seed=-1, progress=False)
    with pytest.raises(ValueError, match="device"):
        fit(init_fcn(data.d, 8, 1, 0), data, cfg, device="tpu", progress=False)
    with pytest.raises(ValueError, match=r"models\[1\] must be a torch nn.Module"):
        fit_many([tiny_conv(0), "conv"], seq, cfg, [0, 1], progress=False)
