"""Metrics on oracle classifiers whose reliance is known by construction (paper §3, Defs 1-2).

* The linear oracle reads only the linear coordinate (S): randomising S must bring its AUC to
  chance, randomising S^c must change nothing.
* The slab oracle lets each slab coordinate vote for the class of the slab it falls in and
  ignores S: the reverse.
"""

from __future__ import annotations

import numpy as np
import pytest

from sbcore.data import make_dataset, slab_classes, slab_intervals
from sbcore.reliance import (
    accuracy,
    per_coordinate_accuracy,
    randomize,
    randomized_inputs,
    randomized_metrics,
    roc_auc,
)


@pytest.fixture(scope="module")
def lms():
    return make_dataset("lms-5", n_train=10, n_test=20_000, d=5, seed=0)


def linear_oracle(data):
    return lambda X: data.unrotate(np.asarray(X, dtype=np.float64))[:, 0]


def slab_oracle(data):
    """Each S^c coordinate votes +1/-1 for the class of its nearest slab; score = mean vote."""
    def vote(z, block):
        centres = np.array([(a + b) / 2 for a, b in slab_intervals(block.k, block.gamma,
                                                                     block.B)])
        cls = np.array(slab_classes(block.k))
        return 2.0 * cls[np.abs(z[:, None] - centres[None, :]).argmin(axis=1)] - 1.0

    def scorer(X):
        Z = data.unrotate(np.asarray(X, dtype=np.float64))
        return np.mean([vote(Z[:, c], data.blocks[c]) for c in data.Sc], axis=0)

    return scorer


def test_linear_oracle_relies_only_on_S(lms):
    m = randomized_metrics(linear_oracle(lms), lms)
    assert m["standard accuracy"] == 1.0 and m["standard AUC"] == 1.0
    assert abs(m["S-randomized AUC"] - 0.5) <= 0.02
    assert abs(m["S-randomized accuracy"] - 0.5) <= 0.02
    assert m["Sc-randomized AUC"] == pytest.approx(m["standard AUC"], abs=1e-6)
    assert m["Sc-randomized accuracy"] == pytest.approx(m["standard accuracy"], abs=1e-6)


def test_slab_oracle_relies_only_on_Sc(lms):
    m = randomized_metrics(slab_oracle(lms), lms)
    assert m["standard accuracy"] == 1.0 and m["standard AUC"] == 1.0
    assert m["S-randomized AUC"] == pytest.approx(m["standard AUC"], abs=1e-6)
    assert m["S-randomized accuracy"] == pytest.approx(m["standard accuracy"], abs=1e-6)
    assert abs(m["Sc-randomized AUC"] - 0.5) <= 0.02


def test_randomized_metrics_keys_and_reproducibility(lms):
    a = randomized_metrics(linear_oracle(lms), lms, seed=3)
    b = randomized_metrics(linear_oracle(lms), lms, seed=3)
    assert a == b
    assert set(a) == {f"{v} {m}" for v in ("standard", "S-randomized", "Sc-randomized")
                      for m in ("accuracy", "AUC")}


def brute_force_auc(score, y):
    pos, neg = score[y == 1], score[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_matches_a_pairwise_count_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=300)
    score = rng.integers(-3, 4, size=300) + 0.7 * y  # many ties, some signal
    assert roc_auc(score, y) == pytest.approx(brute_force_auc(score, y), abs=1e-12)
    cont = rng.standard_normal(300)
    assert roc_auc(cont, y) == pytest.approx(brute_force_auc(cont, y), abs=1e-12)


def test_roc_auc_extremes_and_one_class():
    y = np.array([0, 0, 1, 1])
    assert roc_auc(np.array([0.1, 0.2, 0.3, 0.4]), y) == 1.0
    assert roc_auc(np.array([0.4, 0.3, 0.2, 0.1]), y) == 0.0
    assert roc_auc(np.zeros(4), y) == 0.5
    with pytest.raises(ValueError, match="both classes"):
        roc_auc(np.array([0.1, 0.2]), np.array([1, 1]))


def test_accuracy_uses_the_sign_of_the_score():
    y = np.array([0, 1, 1, 0])
    assert accuracy(np.array([-1.0, 2.0, 0.5, -0.1]), y) == 1.0
    assert accuracy(np.array([1.0, -2.0, -0.5, 0.1]), y) == 0.0
    # a zero score predicts class 0
    assert accuracy(np.zeros(4), y) == 0.5


def match_rows(A, B, atol=1e-5):
    """Index i such that A[j] == B[i[j]], or None if some row of A is not in B."""
    dist = np.abs(A[:, None, :] - B[None, :, :]).max(axis=2)
    idx = dist.argmin(axis=1)
    return idx if np.all(dist[np.arange(len(A)), idx] <= atol) else None


def test_randomisation_moves_the_block_as_a_unit():
    data = make_dataset("lms-5", n_train=10, n_test=400, d=6, seed=1)
    X = data.test.X
    Z = data.unrotate(X.astype(np.float64))
    R = data.unrotate(randomize(data, X, data.Sc, np.random.default_rng(0)).astype(np.float64))
    # S is untouched
    assert np.allclose(R[:, data.S], Z[:, data.S], atol=1e-5)
    # the rows of the S^c block are whole rows of the original block, each used once
    idx = match_rows(R[:, data.Sc], Z[:, data.Sc])
    assert idx is not None and sorted(idx) == list(range(len(Z)))
    assert np.mean(idx != np.arange(len(Z))) > 0.9  # and they did move
    # randomising S alone permutes the S column
    R_S = data.unrotate(randomize(data, X, data.S, np.random.default_rng(0)).astype(np.float64))
    assert np.allclose(R_S[:, data.Sc], Z[:, data.Sc], atol=1e-5)
    assert np.allclose(np.sort(R_S[:, 0]), np.sort(Z[:, 0]), atol=1e-5)
    # randomising nothing changes nothing
    assert np.allclose(randomize(data, X, [], np.random.default_rng(0)), X, atol=1e-6)


def test_randomized_inputs_keep_the_standard_split(lms):
    inputs = randomized_inputs(lms)
    assert set(inputs) == {"standard", "S-randomized", "Sc-randomized"}
    assert inputs["standard"] is lms.test.X
    assert all(v.shape == lms.test.X.shape for v in inputs.values())


def test_per_coordinate_accuracy_on_the_oracles():
    data = make_dataset("lms-5", n_train=10, n_test=10_000, d=5, seed=2)
    lin = per_coordinate_accuracy(linear_oracle(data), data)
    assert lin.shape == (5,)
    assert abs(lin[0] - 0.5) <= 0.03
    assert np.allclose(lin[1:], 1.0)
    # four slab votes: permuting one of them cannot outvote the other three
    slab = per_coordinate_accuracy(slab_oracle(data), data)
    assert np.allclose(slab, 1.0)
    half = per_coordinate_accuracy(linear_oracle(data), data, fraction=0.5)
    assert abs(half[0] - 0.5) <= 0.04
    with pytest.raises(ValueError, match="fraction"):
        per_coordinate_accuracy(linear_oracle(data), data, fraction=0.0)
