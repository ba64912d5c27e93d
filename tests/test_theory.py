"""Theorem 1's setting: the data, the gradient, its closed form, Lemma 1's bands, the chapter."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import torch

from sbcore.build import pipeline
from sbcore.data import make_dataset
from sbcore.studies.theory import simulation

ROOT = Path(__file__).resolve().parent.parent


def test_setting_constants():
    v = simulation.second_layer(10, runs=2)
    assert v.shape == (2, 10)
    assert (v > 0).sum(1).tolist() == [5, 5]  # exactly half positive
    assert torch.allclose(v.abs(), torch.full_like(v, 1 / math.sqrt(10)))
    d, k = 50, 20
    assert simulation.step_size(d) == pytest.approx(1 / math.sqrt(math.log(d)))
    assert simulation.init_std(d, k) == pytest.approx(1 / math.sqrt(d * k * math.log(d) ** 2))
    assert simulation.init_std(d, k, "statement") < simulation.init_std(d, k, "lemma")
    eta = simulation.step_size(d)
    t_hat = simulation.theorem_steps(eta)
    assert (t_hat + 0.5) * eta / 4 <= 1 < (t_hat + 1.5) * eta / 4


@pytest.mark.parametrize("call, word", [
    (lambda: simulation.second_layer(5), "width k"),
    (lambda: simulation.step_size(2), "dimension d"),
    (lambda: simulation.init_std(10, 4, "log4d"), "init reading"),
    (lambda: simulation.simulate(10, 4, eta=0.0), "step size"),
    (lambda: simulation.simulate(10, 4, batch_size=0), "batch_size"),
    (lambda: simulation.simulate(10, 4, batch_size=64, train_set_size=10), "train_set_size"),
])
def test_bad_input_raises_before_work(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_lsn_batch_has_the_theorem_law():
    rng, gen = np.random.default_rng(0), torch.Generator().manual_seed(0)
    X, y = simulation.lsn_batch(8, 20_000, 2, rng, gen)
    assert X.shape == (2, 20_000, 8) and y.shape == (2, 20_000)
    assert torch.equal(X[..., 0], y)  # x1 = y
    neg, pos = y < 0, y > 0
    assert torch.all(X[..., 1][neg] == 0)
    assert set(X[..., 1][pos].unique().tolist()) == {-1.0, 1.0}
    assert abs(float(X[..., 1][pos].mean())) < 0.03
    noise = X[..., 2:]
    assert abs(float(noise.mean())) < 0.01 and abs(float(noise.std()) - 1) < 0.01
    assert abs(float(pos.float().mean()) - 0.5) < 0.01


def test_hinge_gradient_equals_autograd():
    rng, gen = np.random.default_rng(1), torch.Generator().manual_seed(1)
    X, y = simulation.lsn_batch(7, 300, 3, rng, gen)
    W = (0.3 * torch.randn(3, 6, 7, generator=gen)).requires_grad_(True)
    v = (simulation.second_layer(6, 3) * 1.5).requires_grad_(True)
    loss = torch.clamp(1 - y * simulation.network(W, v, X), min=0).mean(1).sum()
    loss.backward()
    g = simulation.batch_gradient(W.detach(), v.detach(), 0, None, None, "cpu", data=(X, y))
    assert torch.allclose(g["gW"], W.grad, atol=1e-6)
    assert torch.allclose(g["gv"], v.grad, atol=1e-6)


def _per_sample_parts(W, v, X, y):
    """Per-sample gradient parts (linear, slab, noise along w_bar). The closed form assumes
    the hinge is active at every point; a rare Gaussian-tail point past the margin is allowed
    (its bias, at most |v| times the inactive fraction, is far below the standard error)."""
    Z = X @ W.T  # (n, k)
    live = (y * (torch.relu(Z) @ v) < 1).double()
    assert live.mean() > 0.999, "the closed form needs an active hinge"
    coef = -((live * y)[:, None] * (Z > 0)) * v[None]
    u = W[:, 2:] / W[:, 2:].norm(dim=1, keepdim=True)
    return {"linear": coef * X[:, :1], "slab": coef * X[:, 1:2],
            "noise_along": coef * (X[:, 2:] @ u.T)}


@pytest.mark.parametrize("steps", [0, 2])
def test_closed_form_matches_batch_gradient(steps):
    """At the initial weights and after a few theorem steps, the batch gradient on a fresh
    sample from make_dataset('lsn') agrees with the closed form within 5 standard errors."""
    d, k, n = 12, 6, 40_000
    sim = simulation.simulate(d, k, steps=steps, runs=1, seed=3) if steps else None
    W = sim.W[0] if sim else simulation.init_std(d, k) * torch.randn(
        k, d, generator=torch.Generator().manual_seed(3))
    v = simulation.second_layer(k)[0]
    data = make_dataset("lsn", n_train=n, n_test=1, d=d, rotate=False, seed=11)
    X = torch.as_tensor(data.train.X, dtype=torch.float64)
    y = torch.as_tensor(2.0 * data.train.y - 1.0, dtype=torch.float64)
    W, v = W.double(), v.double()
    parts = _per_sample_parts(W, v, X, y)
    closed = simulation.population_gradient(W[None], v[None])
    for name, terms in parts.items():
        mean, se = terms.mean(0), terms.std(0) / math.sqrt(n)
        # the closed-form standard deviation matches the per-sample one
        assert torch.allclose(closed["sd"][name][0], terms.std(0), rtol=0.05, atol=1e-6)
        gap = (mean - closed[name][0]).abs()
        assert torch.all(gap <= 5 * se + 1e-12), (name, gap / se)
    # the empirical split of the batch gradient agrees with the per-sample means
    g = simulation.batch_gradient(W[None].float(), v[None].float(), 0, None, None, "cpu",
                              data=(X[None].float(), y[None].float()))
    emp = simulation.gradient_parts(g["gW"], W[None].float())
    assert torch.allclose(emp["linear"][0], parts["linear"].mean(0), atol=1e-4)
    # the orthogonal noise part has the predicted size |v| sqrt(p (d-3)/n): its squared ratio
    # is a chi-square over d-3 degrees of freedom per unit, mean 1, sd sqrt(2/(k(d-3)))
    ratio2 = (emp["noise_perp"][0] / (closed["perp_scale"][0] / math.sqrt(n))) ** 2
    assert abs(float(ratio2.mean()) - 1) < 4 * math.sqrt(2 / (k * (d - 3))), ratio2


def _in_bands(sim: simulation.Simulation) -> pd.DataFrame:
    u, s = sim.units, sim.settings
    b = simulation.lemma1_bands(u.step.to_numpy(), s["eta"], s["d"], s["k"])
    return u.assign(
        ok=(np.abs(u.w1 - b["linear_center_per_v"] * u.v) <= b["width"])
        & (np.abs(u.w2) <= b["slab"]) & (u.noise_norm <= b["noise"]))


def test_weights_stay_in_lemma1_bands_at_small_d():
    """Over the steps the lemma covers (t <= t_hat, hinge active), every unit that starts
    inside Lemma 1's bands stays inside them, and the batch margin follows Lemma 2."""
    sim = simulation.simulate(20, 10, runs=4, seed=0)
    s = sim.settings
    assert s["steps"] == simulation.theorem_steps(s["eta"])
    u = _in_bands(sim)
    starts_in = u[u.step == 0].set_index(["run", "unit"]).ok
    assert starts_in.mean() >= 0.9  # 1 - 1/poly(d) is loose at d = 20
    stays = u.groupby(["run", "unit"]).ok.all()
    assert stays[starts_in[starts_in].index].all()
    assert (sim.steps.live_fraction > 0.97).all()  # the hinge is active (almost) everywhere
    b = simulation.lemma1_bands(sim.steps.step.to_numpy(), s["eta"], s["d"], s["k"])
    assert np.all(np.abs(sim.steps.margin_mean - b["margin_center"]) <= b["margin_width"])


def test_gradient_descent_picks_the_linear_coordinate():
    sim = simulation.simulate(40, 10, runs=3, seed=1)
    w = simulation.weight_summary(sim.W, sim.v, sim.W0)
    assert (w.linear_to_slab > 10).all()
    assert (w.sign_agreement == 1).all()
    assert (w.slab_growth < 3).all()  # the slab weight stays at its initial scale
    t_hat, eta = sim.settings["steps"], sim.settings["eta"]
    assert np.allclose(w.linear_sqrtk, t_hat * eta / 2, rtol=0.1)
    m = simulation.evaluate(sim.W, sim.v, n_test=2000, seed=5)
    assert (m["standard accuracy"] == 1).all()
    assert (m["S-randomized accuracy"].sub(0.5).abs() < 0.05).all()


def test_variants_run_and_fixed_set_sgd():
    sim = simulation.simulate(10, 4, batch_size=8, train_set_size=40, steps=12, runs=2,
                          train_second_layer=True, record_every=5)
    assert sorted(sim.units.step.unique()) == [0, 5, 10, 12]
    assert not torch.equal(sim.v, simulation.second_layer(4, 2))  # the second layer moved


def test_support_margins():
    m = simulation.support_margins()
    assert m["max_margin"] == pytest.approx(math.sqrt(5) / 2)
    assert m["max_margin_reached"] == pytest.approx(m["max_margin"])
    assert m["bias_free_max"] == pytest.approx(1.0, abs=1e-3)
    r = simulation.ratio_scaling([10, 40, 160], [3 * np.sqrt(10) * np.log(10),
                                             3 * np.sqrt(40) * np.log(40),
                                             3 * np.sqrt(160) * np.log(160)])
    assert r["slope_corrected"] == pytest.approx(0, abs=1e-9)


def test_experiment_smoke_tables():
    from sbcore.studies.theory import study

    cfgs = study.configs("smoke")
    assert list(cfgs) == list(study.PARTS)
    parts = {name: study.compute(cfg, "cpu", progress=False) for name, cfg in cfgs.items()}
    for name, tables in parts.items():
        m = tables["metrics"]
        for col in ("study", "dataset", "model", "seed", "metric", "value", "d", "k"):
            assert col in m.columns
        assert set(m.part) == {"variant" if name == "variants" else name}
    assert {"units", "steps"} <= set(parts["main"]) and "variant_steps" in parts["variants"]
    # the chapter seed shifts the runs' seed
    assert study.configs("smoke", seed=3)["main"]["seed"] == cfgs["main"]["seed"] + 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_runs_on_cuda():
    sim = simulation.simulate(20, 8, runs=2, device="cuda")
    assert sim.W.device.type == "cuda"
    assert (simulation.weight_summary(sim.W, sim.v).linear_to_slab > 5).all()


@pytest.mark.slow
def test_chapter_executes_at_smoke(tmp_path):
    src = ROOT / "chapters" / "04_theory.py"
    nb = subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "--set-kernel",
                         "python3", "-o", "-", str(src)], capture_output=True, check=True,
                        timeout=120)
    env = dict(os.environ, OMP_NUM_THREADS="1", SB_RESULTS=str(tmp_path / "results"))
    # a cell limit, and a hard limit on the whole run: a wedged cell must fail the test, not hang it
    cell_timeout = 300
    out = subprocess.run([sys.executable, "-m", "papermill", "-", str(tmp_path / "out.ipynb"),
                          "-p", "profile", "smoke", "--cwd", str(ROOT), "--no-progress-bar",
                          "--execution-timeout", str(cell_timeout)],
                         input=nb.stdout, capture_output=True, env=env, timeout=900)
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    # papermill can pass a cell whose reply was only read when the wait for it expired
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert not pipeline.cells_past_timeout(executed, cell_timeout)
