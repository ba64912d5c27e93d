"""Property-based tests (hypothesis) of the data generators and the metrics: for any valid
parameters, the blocks keep their stated supports and ring probabilities, AUC is a rank
statistic, and randomising coordinates leaves every marginal exactly as it was."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sbcore.data import Block, make_dataset, ring_probs, sample_block, slab_classes, slab_intervals
from sbcore.reliance import roc_auc
from sbcore.reliance.blocks import input_blocks, permute_features

# derandomize: the same examples on every run, so CI never meets a new one by chance
FAST = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@st.composite
def slab_blocks(draw):
    k = draw(st.sampled_from([3, 5, 7, 9, 11]))
    gamma = draw(st.floats(0.0, 0.95 / (k - 1)))
    B = draw(st.floats(0.1, 10.0))
    return Block("slab", k=k, gamma=gamma, B=B)


@FAST
@given(block=slab_blocks(), seed=st.integers(0, 2**32 - 1))
def test_slab_samples_lie_in_their_class_slabs_with_the_stated_ring_probabilities(block, seed):
    n = 4_000
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = sample_block(block, y, rng)
    intervals = np.array(slab_intervals(block.k, block.gamma, block.B))
    inside = (x[:, None] >= intervals[:, 0] - 1e-12) & (x[:, None] <= intervals[:, 1] + 1e-12)
    assert (inside.sum(axis=1) == 1).all()  # every point in exactly one slab
    slab = inside.argmax(axis=1)
    assert (np.array(slab_classes(block.k))[slab] == y).all()  # of its own class
    m = (block.k - 1) // 2
    ring = np.abs(slab - m)
    for c, probs in ring_probs(block.k).items():
        rings = [j for j in range(m + 1) if j % 2 == c]
        n_c = int((y == c).sum())
        for j, p in zip(rings, probs):
            share = float(np.mean(ring[y == c] == j))
            assert abs(share - p) <= 5 * np.sqrt(p * (1 - p) / n_c) + 1e-12  # 5 sigma


@FAST
@given(gamma=st.floats(0.0, 0.99), B=st.floats(0.1, 10.0), p=st.floats(0.0, 1.0),
       seed=st.integers(0, 2**32 - 1))
def test_linear_blocks_keep_their_support_and_noise_count(gamma, B, p, seed):
    n = 1_000
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = sample_block(Block("linear", gamma=gamma, B=B), y, rng)
    assert ((np.sign(x) > 0) == (y == 1)).all()
    assert (np.abs(x) >= B * gamma - 1e-12).all() and (np.abs(x) <= B + 1e-12).all()
    noisy = sample_block(Block("noisy_linear", gamma=gamma, B=B, p=p), y, rng)
    in_gap = np.abs(noisy) < B * gamma
    # exactly round(n p) points redrawn inside the margin (a redraw lands on its edge with
    # probability 0; a margin of width below about 1e-9 cannot be told apart in float64)
    if gamma * B > 1e-9:
        assert int(in_gap.sum()) == int(round(n * p))


@FAST
@given(scores=st.lists(st.integers(-50, 50), min_size=4, max_size=60),  # ties included
       labels=st.lists(st.integers(0, 1), min_size=4, max_size=60),
       shift=st.floats(-5, 5), scale=st.floats(0.01, 100))
def test_auc_is_the_pairwise_count_and_invariant_to_monotone_transforms(scores, labels, shift,
                                                                        scale):
    n = min(len(scores), len(labels))
    s, y = np.array(scores[:n], dtype=np.float64), np.array(labels[:n])
    if len(set(y)) < 2:
        y[0], y[1] = 0, 1
    pos, neg = s[y == 1], s[y == 0]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    auc = roc_auc(s, y)
    assert abs(auc - pairs / (len(pos) * len(neg))) < 1e-12
    for transformed in (s * scale + shift, np.tanh(s / 50.0) * 3, np.cbrt(s)):
        # strictly increasing maps keep every comparison (scores 1 apart stay apart)
        assert abs(roc_auc(transformed, y) - auc) < 1e-12


@FAST
@given(name=st.sampled_from(["lms-5", "ms-5-7", "noisy-lms-7", "lms-7"]),
       d=st.integers(2, 12), rotate=st.booleans(), seed=st.integers(0, 2**32 - 1),
       chosen=st.lists(st.integers(0, 11), max_size=6))
def test_randomising_coordinates_keeps_every_marginal_exactly(name, d, rotate, seed, chosen):
    data = make_dataset(name, n_train=20, n_test=300, d=d, rotate=rotate, seed=seed % 1000)
    blocks = input_blocks(data)
    features = sorted({c % d for c in chosen})
    X = data.test.X
    out = permute_features(blocks, X, features, np.random.default_rng(seed))
    Z_in = data.unrotate(X) if rotate else X
    Z_out = data.unrotate(out) if rotate else out
    # each canonical coordinate keeps its multiset of values (up to the rotation's rounding);
    # the features not chosen stay in place
    tol = 1e-5 if rotate else 0.0
    for c in range(d):
        assert np.allclose(np.sort(Z_out[:, c]), np.sort(Z_in[:, c]), atol=tol, rtol=0)
        if c not in features:
            assert np.allclose(Z_out[:, c], Z_in[:, c], atol=tol, rtol=0)
    if len(features) > 1:  # the chosen ones move together, by one permutation
        order = np.argsort(Z_in[:, features[0]])
        moved = np.argsort(Z_out[:, features[0]])
        assert np.allclose(Z_out[moved][:, features], Z_in[order][:, features], atol=tol)
