"""The methods' mechanics on known answers, the trainer's objective, and the finding at a small
scale: on LMS-5 ERM reads S alone while D-BAT and DivDis, given the decorrelated pool, find Sᶜ."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from sbcore.data.synthetic import Split
from sbcore.testbed import measure, protocol
from sbcore.testbed.methods import BUILT_IN, dbat, divdis, gradient_diversity, jtt, orthop
from sbcore.testbed.methods import spectral_decoupling as sd
from sbcore.testbed.models import Ensemble, Heads, Projected
from sbcore.testbed.testbeds import make_testbed
from sbcore.training import TrainConfig, fit

# --- mechanics ---------------------------------------------------------------------------------

def test_orthop_removes_exactly_the_top_singular_direction():
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    V, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    W = torch.tensor(U[:, :4] @ np.diag([5.0, 2.0, 1.0, 0.5]) @ V.T)
    basis = orthop.top_subspace(W, 1)
    assert abs(abs(float(basis[:, 0] @ torch.tensor(V[:, 0]).float())) - 1) < 1e-5
    x = torch.tensor(3.0 * V[:, 0] + 2.0 * V[:, 1], dtype=torch.float32).view(1, 4)
    projected = Projected(nn.Identity(), basis).project(x)
    assert torch.allclose(projected, torch.tensor(2.0 * V[:, 1], dtype=torch.float32).view(1, 4),
                          atol=1e-5)


def test_orthop_reads_the_first_layer_of_an_fcn():
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[0.0, 4.0, 0.0], [0.0, 1.0, 0.0]]))
    basis = orthop.dependence_subspace(net, np.zeros((5, 3), dtype=np.float32), 1)
    assert torch.allclose(basis.abs().flatten(), torch.tensor([0.0, 1.0, 0.0]))


@pytest.mark.parametrize("p_earlier, p_now, expected", [
    ([1.0, 0.0], [0.0, 1.0], -math.log(1 + dbat.EPS)),  # full disagreement: about 0
    ([0.5, 0.5], [0.5, 0.5], math.log(2)),
    ([1.0, 1.0], [1.0, 1.0], -math.log(dbat.EPS)),  # full agreement: the largest
    ([0.8], [0.3], -math.log(0.8 * 0.7 + 0.2 * 0.3 + dbat.EPS)),
])
def test_dbat_disagreement_on_hand_made_probabilities(p_earlier, p_now, expected):
    got = dbat.disagreement(torch.tensor(p_earlier), torch.tensor(p_now))
    assert float(got) == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_divdis_mutual_information_is_zero_for_independent_heads_and_log2_for_identical():
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    b = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    assert float(divdis.mutual_information(a, b)) == pytest.approx(0.0, abs=1e-9)
    assert float(divdis.mutual_information(a, a)) == pytest.approx(math.log(2), rel=1e-6)


def test_divdis_balance_is_zero_for_balanced_predictions_only():
    assert float(divdis.balance(torch.tensor([[0.9, 0.1], [0.1, 0.9]]))) == pytest.approx(0.0)
    skewed = torch.tensor([[0.9, 0.1], [0.9, 0.1]])
    expected = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert float(divdis.balance(skewed)) == pytest.approx(expected, rel=1e-6)


def test_divdis_chooses_the_head_that_agrees_with_the_labels():
    net = nn.Sequential(nn.Linear(2, 2), nn.Identity(), nn.Linear(2, 2))
    heads = Heads(net, 2)
    with torch.no_grad():  # trunk: identity; head 0 reads x0, head 1 reads x1
        heads.trunk[0].weight.copy_(torch.eye(2))
        heads.trunk[0].bias.zero_()
        heads.heads[0].weight.copy_(torch.tensor([[-1.0, 0.0], [1.0, 0.0]]))
        heads.heads[1].weight.copy_(torch.tensor([[0.0, -1.0], [0.0, 1.0]]))
        for h in heads.heads:
            h.bias.zero_()
    X = np.array([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    assert divdis.choose_head(heads, X, np.array([0, 1, 1])) == 1
    assert divdis.choose_head(heads, X, np.array([1, 0, 1])) == 0


def test_spectral_decoupling_penalty_gradient_is_lam_times_the_logits_over_n():
    z = torch.tensor([[1.0, -2.0], [0.5, 3.0], [0.0, 1.0]], requires_grad=True)
    sd.penalty(z, 0.3).backward()
    assert torch.allclose(z.grad, 0.3 * z.detach() / 3)


def test_jtt_repeats_exactly_the_misclassified_points():
    split = Split(np.arange(5, dtype=np.float32).reshape(5, 1), np.array([0, 1, 0, 1, 0]))
    wrong = np.array([False, True, False, False, True])
    out = jtt.upweighted(split, wrong, 3)
    counts = np.bincount(out.X[:, 0].astype(int), minlength=5)
    assert counts.tolist() == [1, 3, 1, 1, 3]
    assert (out.y == split.y[out.X[:, 0].astype(int)]).all()


def test_gradient_similarity_is_one_for_parallel_and_zero_for_orthogonal_gradients():
    g = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    assert float(gradient_diversity.similarity([g, 3 * g])) == pytest.approx(1.0)
    assert float(gradient_diversity.similarity([g, g.flip(1)])) == pytest.approx(0.0)


def test_ensemble_averages_logits_or_reads_its_last_member():
    a, b = nn.Linear(1, 2), nn.Linear(1, 2)
    x = torch.ones(3, 1)
    assert torch.allclose(Ensemble([a, b])(x), (a(x) + b(x)) / 2)
    assert torch.allclose(Ensemble([a, b], readout="last")(x), b(x))


# --- the trainer's objective -------------------------------------------------------------------

def _tiny():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)

    class Data:
        train, val = Split(X, y), Split(X[:16], y[:16])
    return Data()


def test_fit_minimises_the_objective_it_is_given():
    data, config = _tiny(), TrainConfig(stop="none", max_updates=200, eval_every=100, lr=0.5)
    seen = []

    def shrink_logits(model, x, y):  # no cross-entropy at all: the logits go to zero
        seen.append(len(x))
        return model(x).pow(2).mean()

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    plain = fit(model, data, config, progress=False).model
    shrunk = fit(model, data, config, progress=False, objective=shrink_logits).model
    X = torch.as_tensor(data.train.X)
    assert len(seen) == 200  # once per update
    with torch.no_grad():
        assert float(shrunk(X).abs().max()) < 0.1 * float(plain(X).abs().max())


def test_fit_refuses_an_objective_that_is_not_a_scalar_loss():
    data, config = _tiny(), TrainConfig(stop="none", max_updates=5, eval_every=5)
    model = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="scalar loss"):
        fit(model, data, config, progress=False, objective=lambda m, x, y: m(x))
    with pytest.raises(TypeError, match="objective must be None"):
        fit(model, data, config, progress=False, objective="cross-entropy")


# --- the finding at a small scale ---------------------------------------------------------------

RECIPE = dict(momentum=0.9, stop="none", max_updates=800, eval_every=400)  # as the quick profile


def _s_randomised_auc(name: str, seeds=(0, 1, 2)) -> list[float]:
    out = []
    for seed in seeds:
        testbed = make_testbed("lms-5", 2_000, 300, 1_000, 1_000, 128, seed=seed, d=10)
        method = BUILT_IN[name]
        model = method.train(protocol.TestbedView(testbed, method, "(100,1)-FCN", RECIPE),
                             method.config, seed, "cpu")
        out.append(measure.reliance(model, testbed, seed)["S-randomized AUC"])
    return out


def test_erm_reads_s_alone_on_lms5():
    assert all(abs(a - 0.5) <= 0.05 for a in _s_randomised_auc("ERM"))


@pytest.mark.parametrize("name", ["D-BAT", "DivDis"])
def test_methods_given_the_decorrelated_pool_find_sc_on_lms5(name):
    """The chapter's finding: with the unlabelled decorrelated pool (and, for DivDis, a few
    labels to choose a head) the method's model reads Sᶜ, where ERM's reads S alone."""
    assert min(_s_randomised_auc(name)) >= 0.9
