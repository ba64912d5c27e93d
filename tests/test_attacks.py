"""Tests of sbcore.attacks: PGD's ball, bounds, determinism and closed form on a linear model;
the budget-share readings; SVD-UAP against numpy's full SVD; the paper's UAP claim at a CI
scale (an LMS-5 FCN falls to an l2 UAP of norm 1 spent on S; the averaging classifier does not);
bad inputs."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch import nn

from sbcore.attacks import (
    AveragingClassifier,
    apply_uap,
    as_uap,
    best_sign,
    budget_shares,
    canonical,
    pgd,
    share_l2_mass,
    share_norm_ratio,
    svd_uap,
    uap_accuracy,
)
from sbcore.attacks import uap as uap_module
from sbcore.data import make_dataset
from sbcore.data.blocks import InputBlocks
from sbcore.reliance.metrics import Scorer, accuracy
from sbcore.training import TrainConfig, train


def small_mlp(d: int, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, 2))


def small_cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 8 * 8, 2))


def toy(n=64, shape=(6,), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.05, 0.95, size=(n, *shape)).astype(np.float32)
    return X, rng.integers(0, 2, size=n)


# --------------------------------------------------------------------------------------------
# PGD
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("norm", ["l2", "linf"])
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_pgd_stays_in_ball_and_bounds(norm, kind):
    shape = (6,) if kind == "mlp" else (1, 8, 8)
    model = small_mlp(6) if kind == "mlp" else small_cnn()
    X, y = toy(shape=shape)
    eps = 0.3
    for bounds in (None, (0.0, 1.0)):
        D = pgd(model, X, y, eps, norm=norm, iters=10, bounds=bounds, batch_size=20)
        assert D.shape == X.shape and D.dtype == np.float32
        flat = D.reshape(len(D), -1)
        size = np.linalg.norm(flat, axis=1) if norm == "l2" else np.abs(flat).max(axis=1)
        assert size.max() <= eps + 1e-5
        assert size.min() > 0.5 * eps  # it moved: the gradient steps reach the ball's edge
        if bounds is not None:
            assert (X + D).min() >= -1e-6 and (X + D).max() <= 1 + 1e-6
    # the attack raises the loss over the clean inputs
    with torch.no_grad():
        loss = lambda Z: nn.functional.cross_entropy(  # noqa: E731
            model(torch.as_tensor(Z)), torch.as_tensor(y)).item()
    assert loss(X + D) > loss(X)


class TorchGRU(nn.Module):
    """A torch nn.GRU over a row read as 4 steps of d/4 features, then a linear head."""

    def __init__(self, d: int):
        super().__init__()
        torch.manual_seed(0)
        self.gru, self.head = nn.GRU(d // 4, 8, batch_first=True), nn.Linear(8, 2)

    def forward(self, x):
        out, _ = self.gru(x.unflatten(-1, (4, -1)))
        return self.head(out[:, -1])


def test_pgd_on_the_projects_models():
    from sbcore.models import CNN, GRU

    X, y = toy(n=40, shape=(8,))
    for model in (CNN(8, 4, 3, 1), GRU(8, 6, 2, 1), TorchGRU(8)):
        before = [p.detach().clone() for p in model.parameters()]
        D = pgd(model, X, y, 0.5, iters=5)
        assert np.linalg.norm(D, axis=1).max() <= 0.5 + 1e-5
        assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
        u = as_uap(model, X, y, 0.5, iters=3, epochs=1, batch_size=16)
        assert u.shape == (8,) and np.linalg.norm(u) <= 0.5 + 1e-5


def test_pgd_bounds_as_arrays():
    model, (X, y) = small_mlp(6), toy()
    low, high = np.full(6, 0.0), np.linspace(0.96, 1.0, 6)
    D = pgd(model, X, y, 0.5, norm="linf", bounds=(low, high))
    assert np.all(X + D >= low - 1e-6) and np.all(X + D <= high + 1e-6)


def test_pgd_deterministic_model_and_rng_untouched():
    model, (X, y) = small_mlp(6), toy()
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch_rng, np_rng = torch.get_rng_state(), np.random.get_state()
    a = pgd(model, X, y, 0.4, seed=3)
    b = pgd(model, X, y, 0.4, seed=3)
    c = pgd(model, X, y, 0.4, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert torch.equal(torch.get_rng_state(), torch_rng)
    assert all(np.array_equal(u, v) for u, v in zip(np.random.get_state(), np_rng))
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    assert all(p.grad is None for p in model.parameters())
    assert model.training  # put back in the mode it was in


def linear_model(w0, w1, b0, b1) -> nn.Module:
    lin = nn.Linear(len(w0), 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(np.stack([w0, w1]), dtype=torch.float32))
        lin.bias.copy_(torch.tensor([b0, b1], dtype=torch.float32))
    return lin


def test_pgd_reaches_closed_form_on_linear_model():
    rng = np.random.default_rng(0)
    d = 10
    w0, w1 = rng.standard_normal(d), rng.standard_normal(d)
    b0, b1 = 0.3, -0.2
    model = linear_model(w0, w1, b0, b1)
    w, b = w1 - w0, b1 - b0
    X = rng.standard_normal((8, d)).astype(np.float32)
    m = X.astype(np.float64) @ w + b  # margin, logit1 - logit0
    y = (m > 0).astype(np.int64)  # every point correctly classified
    r = np.abs(m) / np.linalg.norm(w)  # the smallest l2 perturbation that flips each point
    best = -np.sign(m)[:, None] * w / np.linalg.norm(w)
    # The gradient's direction is the same everywhere (-sign(m) w), so every step moves along
    # it and each projection shrinks what is left of the random start across it by a factor
    # eps / (eps + step): a step of eps / 4 for 100 iterations leaves 0.8^100 of it. (The
    # default step, 2.5 eps / iters, moves 2.5 eps in all however many iterations: it shrinks
    # that part by about exp(-2.5) only, enough to flip but not to align to 0.99.)
    for i in range(len(X)):
        xi, yi = X[i:i + 1], y[i:i + 1]
        for kwargs in (dict(step=0.25 * 1.02 * r[i], iters=100), dict(random_start=False)):
            above = pgd(model, xi, yi, 1.02 * r[i], **kwargs)
            margin = ((xi + above).astype(np.float64) @ w + b)[0]
            assert np.sign(margin) == -np.sign(m[i])  # flipped
            assert np.linalg.norm(above[0]) == pytest.approx(1.02 * r[i], rel=1e-5)
            cosine = above[0] @ best[i] / np.linalg.norm(above[0])
            assert cosine > 0.99
            below = pgd(model, xi, yi, 0.98 * r[i], **kwargs)
            assert np.sign(((xi + below).astype(np.float64) @ w + b)[0]) == np.sign(m[i])


# --------------------------------------------------------------------------------------------
# Budget shares
# --------------------------------------------------------------------------------------------

def test_budget_shares_exact():
    P = np.array([3.0, 4.0, 0.0])
    assert share_l2_mass(P, [0]) == pytest.approx(9 / 25, abs=1e-15)
    assert share_norm_ratio(P, [0]) == pytest.approx(3 / 5, abs=1e-15)
    assert share_l2_mass(P, [0, 1]) == pytest.approx(1.0)
    assert share_l2_mass(P, []) == 0.0
    M = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(share_norm_ratio(M, [0], per_row=True)[:2], [0.6, 0.0])
    assert np.isnan(share_norm_ratio(M, [0], per_row=True)[2])  # no norm, no share
    assert share_norm_ratio(M, [0]) == pytest.approx(0.3)  # mean over rows with a norm
    assert share_l2_mass(M, [0, 1]) == pytest.approx(0.5)


def test_canonical_undoes_the_rotation_and_block_names():
    data = make_dataset("lms-5", n_train=10, n_test=10, d=6, seed=2)
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((5, 6))
    np.testing.assert_allclose(canonical(data, data.rotate(Z)), Z, atol=1e-12)
    e0 = np.eye(6)[0] * 0.7
    np.testing.assert_allclose(canonical(data, data.rotate(e0[None])[0]), e0, atol=1e-12)
    shares = budget_shares(data, data.rotate(e0[None])[0], "S")
    assert shares["norm_ratio"] == pytest.approx(1.0) and shares["l2_mass"] == pytest.approx(1)
    # images: the flattened pixels, blocks by name
    blocks = InputBlocks(shape=(3, 64, 32), blocks={"mnist": np.s_[:, :32, :],
                                                    "fashion": np.s_[:, 32:, :]},
                         simple="mnist", complex="fashion")
    P = np.zeros((2, 3, 64, 32))
    P[0, :, :32, :] = 1.0  # all on the top half
    P[1] = 1.0  # half and half
    flat = canonical(blocks, P)
    assert flat.shape == (2, 3 * 64 * 32)
    np.testing.assert_allclose(share_l2_mass(flat, "mnist", blocks, per_row=True), [1.0, 0.5])
    np.testing.assert_allclose(share_norm_ratio(flat, "mnist", blocks, per_row=True),
                               [1.0, np.sqrt(0.5)])


# --------------------------------------------------------------------------------------------
# SVD-UAP
# --------------------------------------------------------------------------------------------

def planted(n, f, seed):
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(f)
    u /= np.linalg.norm(u)
    return 0.1 * rng.standard_normal((n, f)) + 0.3 * rng.standard_normal((n, 1)) * u


@pytest.mark.parametrize("n,f", [(2000, 50), (200, 6144)])
def test_svd_uap_matches_full_svd(n, f):
    D = planted(n, f, seed=n)
    v = np.linalg.svd(D, full_matrices=False)[2][0]
    u = svd_uap(D, 2.5)
    assert u.shape == (f,)
    assert np.linalg.norm(u) == pytest.approx(2.5, rel=1e-12)
    assert abs(u @ v) / 2.5 > 1 - 1e-6
    assert u[np.argmax(np.abs(u))] > 0  # the sign convention
    # per-example shape kept (images)
    assert svd_uap(D.reshape(n, 1, f), 1.0).shape == (1, f)


def test_svd_uap_lanczos_branch(monkeypatch):
    monkeypatch.setattr(uap_module, "GRAM_MAX", 10)
    D = planted(300, 40, seed=5)
    v = np.linalg.svd(D, full_matrices=False)[2][0]
    assert abs(svd_uap(D, 1.0) @ v) > 1 - 1e-6


def test_apply_uap_conventions_and_best_sign():
    X = np.zeros((4, 3), dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    u = np.array([0.5, -0.2, 2.0])
    np.testing.assert_allclose(apply_uap(X, y, u), [-u, u, u, -u], rtol=1e-6)
    np.testing.assert_allclose(apply_uap(X, y, u, signed=False), [u] * 4, rtol=1e-6)
    np.testing.assert_allclose(apply_uap(X, y, u, bounds=(-1.0, 1.0))[1], [0.5, -0.2, 1.0])
    # a linear model logit1 - logit0 = x0: +e0 helps every point, -e0 hurts every point
    model = linear_model(np.zeros(3), np.eye(3)[0], 0.0, 0.0)
    Xc = np.array([[0.3, 0, 0], [-0.2, 0, 0], [0.4, 0, 0], [-0.1, 0, 0]], dtype=np.float32)
    yc = np.array([1, 0, 1, 0])
    e0 = np.eye(3)[0]
    assert uap_accuracy(model, Xc, yc, e0) == 1.0
    assert uap_accuracy(model, Xc, yc, -e0) == 0.0
    np.testing.assert_array_equal(best_sign(model, Xc, yc, e0), -e0)


# --------------------------------------------------------------------------------------------
# The paper's claim at a CI scale
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lms5():
    data = make_dataset("lms-5", n_train=3000, n_test=1000, d=20, seed=0)
    start = time.perf_counter()
    result = train(data, 100, 1, TrainConfig(lr=0.1, batch_size=256, max_updates=3000,
                                             eval_every=250, patience=500), seed=0,
                   progress=False)
    seconds = time.perf_counter() - start
    everything = np.concatenate([data.train.X, data.test.X])
    bounds = (float(everything.min()), float(everything.max()))
    return data, result, seconds, bounds


def test_lms5_fcn_falls_to_an_l2_uap_on_s(lms5):
    data, result, seconds, bounds = lms5
    assert seconds < 20
    X, y = data.test.X, data.test.y
    model = result.model
    assert accuracy(result.scorer(X), y) > 0.99
    drange = bounds[1] - bounds[0]
    # SVD-UAP as the official notebook: PGD with eps = data range, 30 iterations, UAP norm 1
    deltas = pgd(model, X, y, drange, iters=30, bounds=bounds)
    assert accuracy(result.scorer(X + deltas), y) == 0.0
    uap = best_sign(model, X, y, svd_uap(deltas, 1.0), bounds=bounds)
    acc = uap_accuracy(model, X, y, uap, bounds=bounds)
    shares = budget_shares(data, uap, "S")
    assert acc < 0.1, acc
    assert shares["norm_ratio"] > 0.95, shares
    # AS-UAP finds the same: below 0.1, its budget on S
    asu = as_uap(model, X, y, 1.0, bounds=bounds)
    assert np.linalg.norm(asu) <= 1.0 + 1e-5
    assert uap_accuracy(model, X, y, asu, bounds=bounds) < 0.1
    assert budget_shares(data, asu, "S")["norm_ratio"] > 0.95
    # the same budget barely moves the averaging classifier
    f = AveragingClassifier(data)
    assert accuracy(Scorer(f)(X), y) == 1.0
    for u in (uap, -uap, asu):
        assert uap_accuracy(f, X, y, u, bounds=bounds) > 0.9


def test_averaging_margin_grows_like_sqrt_d():
    # per-example l2 PGD of norm 1: its robust radius is about 0.2 sqrt(d) on LMS-5
    accs = {}
    for d in (10, 50):
        data = make_dataset("lms-5", n_train=10, n_test=500, d=d, seed=1)
        X, y = data.test.X, data.test.y
        f = AveragingClassifier(data)
        assert accuracy(Scorer(f)(X), y) == 1.0
        accs[d] = accuracy(Scorer(f)(X + pgd(f, X, y, 1.0, iters=50)), y)
    assert accs[10] < 0.5 and accs[50] > 0.9, accs
    assert sum(p.numel() for p in f.parameters()) == 0


def test_averaging_handles_ms57_and_refuses_other_blocks():
    data = make_dataset("ms-5-7", n_train=10, n_test=500, d=8, seed=3)
    assert accuracy(Scorer(AveragingClassifier(data))(data.test.X), data.test.y) == 1.0
    with pytest.raises(ValueError, match="data"):
        AveragingClassifier(make_dataset("lsn", n_train=10, n_test=10, d=4))


# --------------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,name", [
    (dict(eps=0.0), "eps"), (dict(eps=-1.0), "eps"), (dict(norm="l1"), "norm"),
    (dict(iters=0), "iters"), (dict(step=0.0), "step"), (dict(batch_size=0), "batch_size"),
    (dict(bounds=(0.0,)), "bounds"), (dict(bounds=(0.5, 1.0)), "bounds"),
    (dict(seed=-1), "seed"),
])
def test_pgd_bad_inputs(kwargs, name):
    model, (X, y) = small_mlp(6), toy()
    args = dict(eps=0.1) | kwargs
    with pytest.raises(ValueError, match=name):
        pgd(model, X, y, **args)


def test_bad_shapes_and_uap_inputs():
    model, (X, y) = small_mlp(6), toy()
    with pytest.raises(ValueError, match="y"):
        pgd(model, X, y[:-1], 0.1)
    with pytest.raises(ValueError, match="y"):
        pgd(model, X, y + 1, 0.1)
    with pytest.raises(ValueError, match="X"):
        pgd(model, X[0], y[:1], 0.1)
    with pytest.raises(ValueError, match="model"):
        pgd(nn.Linear(6, 3), X, y, 0.1)
    with pytest.raises(ValueError, match="eps"):
        svd_uap(np.ones((4, 3)), 0)
    with pytest.raises(ValueError, match="deltas"):
        svd_uap(np.zeros((4, 3)), 1.0)
    with pytest.raises(ValueError, match="eps"):
        as_uap(model, X, y, -1.0)
    with pytest.raises(ValueError, match="iters"):
        as_uap(model, X, y, 1.0, iters=0)
    with pytest.raises(ValueError, match="y"):
        as_uap(model, X, y[:3], 1.0)
    with pytest.raises(ValueError, match="uap"):
        apply_uap(X, y, np.ones(5))
    with pytest.raises(ValueError, match="S"):
        share_l2_mass(np.ones(3), [5])
    with pytest.raises(ValueError, match="data"):
        share_l2_mass(np.ones(3), "S")
