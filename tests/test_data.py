"""The synthetic blocks and datasets against the paper's numbers (App. B).

Sample-based checks use a binomial tolerance of four standard deviations at a fixed seed, so
they are deterministic yet would catch a wrong probability.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sbcore.data import (
    DATASETS,
    Block,
    dataset_blocks,
    make_dataset,
    random_rotation,
    ring_probs,
    sample_block,
    slab_classes,
    slab_gaps,
    slab_intervals,
    slab_width,
    without_coordinates,
)

N = 40_000  # draws per block check
TOL_SD = 4.0


def labels(n=N, seed=0):
    return np.random.default_rng(seed).integers(0, 2, size=n)


def draw(block, n=N, seed=0):
    y = labels(n, seed)
    return sample_block(block, y, np.random.default_rng(seed + 100)), y


def assert_frequency(count, total, prob):
    """count/total equals prob within TOL_SD binomial standard deviations."""
    sd = math.sqrt(prob * (1 - prob) / total)
    assert abs(count / total - prob) <= TOL_SD * sd + 1e-12, (count / total, prob)


def in_union(x, intervals, slack=0.0):
    return np.any([(x >= a - slack) & (x <= b + slack) for a, b in intervals], axis=0)


# --------------------------------------------------------------------------------------------
# Linear and noisy linear
# --------------------------------------------------------------------------------------------

def test_linear_support_at_paper_defaults():
    x, y = draw(Block("linear"))
    pos, neg = x[y == 1], x[y == 0]
    assert pos.min() >= 0.1 and pos.max() <= 1.0
    assert neg.min() >= -1.0 and neg.max() <= -0.1
    # the support is filled, not just bounded: uniform on [0.1, 1]
    assert pos.min() < 0.1 + 1e-3 and pos.max() > 1.0 - 1e-3
    assert abs(pos.mean() - 0.55) < 0.01 and abs(neg.mean() + 0.55) < 0.01
    # the empty gap around zero has width 2 B gamma
    assert np.abs(x).min() >= 0.1


def test_linear_scales_with_gamma_and_width():
    x, y = draw(Block("linear", gamma=0.2, B=2.0))
    assert x[y == 1].min() >= 0.4 and x[y == 1].max() <= 2.0
    assert x[y == 0].max() <= -0.4 and x[y == 0].min() >= -2.0


@pytest.mark.parametrize("p", [0.0, 0.1, 0.25, 1.0])
def test_noisy_linear_puts_exactly_round_np_points_in_the_margin(p):
    n = 10_001
    x, y = draw(Block("noisy_linear", p=p), n=n)
    inside = np.abs(x) < 0.1
    assert inside.sum() == int(round(n * p))
    # the rest follow the linear block
    assert np.all((np.sign(x[~inside]) == 2 * y[~inside] - 1))
    assert np.all(np.abs(x[~inside]) <= 1.0)


def test_noisy_linear_margin_points_ignore_the_label():
    x, y = draw(Block("noisy_linear", p=0.3))
    inside = np.abs(x) < 0.1
    # within the margin, the sign agrees with the label only half the time
    agree = int((np.sign(x[inside]) == 2 * y[inside] - 1).sum())
    assert_frequency(agree, int(inside.sum()), 0.5)
    assert x[inside].min() >= -0.1 and x[inside].max() <= 0.1


def test_best_linear_accuracy_of_noisy_linear_is_one_minus_half_p():
    p = 0.1
    x, y = draw(Block("noisy_linear", p=p))
    acc_at_zero = np.mean((x > 0) == (y == 1))
    sd = math.sqrt(p * 0.25 / N)  # only the p N margin points are coin flips
    assert abs(acc_at_zero - (1 - p / 2)) <= TOL_SD * sd
    # no other threshold does better than 1 - p/2 beyond noise
    thresholds = np.linspace(-0.2, 0.2, 81)
    best = max(max(np.mean((x > t) == (y == 1)), np.mean((x < t) == (y == 1)))
               for t in thresholds)
    assert best <= 1 - p / 2 + TOL_SD * sd


# --------------------------------------------------------------------------------------------
# Slabs
# --------------------------------------------------------------------------------------------

# digest 1.1, at gamma 0.1, B 1: (width, negative intervals of |x|, positive intervals of |x|)
DIGEST_SLABS = {
    3: (0.5333, [(0.0, 0.2667)], [(0.4667, 1.0)]),
    5: (0.24, [(0.0, 0.12), (0.76, 1.0)], [(0.32, 0.56)]),
    7: (0.1143, [(0.0, 0.0571), (0.5714, 0.6857)], [(0.2571, 0.3714), (0.8857, 1.0)]),
}


@pytest.mark.parametrize("k", [3, 5, 7])
def test_slab_width_and_gaps_follow_the_formulas(k):
    gamma, B = 0.1, 1.0
    w = slab_width(k, gamma, B)
    assert w == pytest.approx(2 * B * (1 - (k - 1) * gamma) / k)
    assert w == pytest.approx(DIGEST_SLABS[k][0], abs=1e-4)
    iv = slab_intervals(k, gamma, B)
    assert len(iv) == k
    assert iv[0][0] == pytest.approx(-B) and iv[-1][1] == pytest.approx(B)
    assert all(b - a == pytest.approx(w) for a, b in iv)
    gaps = slab_gaps(k, gamma, B)
    assert len(gaps) == k - 1
    assert all(b - a == pytest.approx(2 * B * gamma) for a, b in gaps)
    # symmetric about zero, the centre slab negative, classes alternating
    assert all(a == pytest.approx(-d) for (a, _), (_, d) in zip(iv, iv[::-1]))
    cls = slab_classes(k)
    assert cls[(k - 1) // 2] == 0
    assert all(cls[i] != cls[i + 1] for i in range(k - 1))


@pytest.mark.parametrize("k", [3, 5, 7])
def test_slab_intervals_match_the_digest(k):
    _, neg, pos = DIGEST_SLABS[k]
    iv = slab_intervals(k)
    cls = slab_classes(k)
    # the intervals of |x| on the positive side, per class
    right = [(a, b, c) for (a, b), c in zip(iv, cls) if b > 0]
    got_neg = sorted((max(a, 0.0), b) for a, b, c in right if c == 0)
    got_pos = sorted((max(a, 0.0), b) for a, b, c in right if c == 1)
    assert np.allclose(got_neg, neg, atol=1e-4)
    assert np.allclose(got_pos, pos, atol=1e-4)


@pytest.mark.parametrize("k", [3, 5, 7])
def test_slab_samples_lie_in_their_class_support(k):
    x, y = draw(Block("slab", k=k))
    _, neg, pos = DIGEST_SLABS[k]
    a = np.abs(x)
    # digest numbers are rounded to 1e-4
    assert np.all(in_union(a[y == 0], neg, slack=1e-4))
    assert np.all(in_union(a[y == 1], pos, slack=1e-4))
    # exactly inside the formula's intervals of the right class, never in a gap
    iv, cls = slab_intervals(k), slab_classes(k)
    for c in (0, 1):
        own = [v for v, cc in zip(iv, cls) if cc == c]
        assert np.all(in_union(x[y == c], own))
    assert not np.any(in_union(x, slab_gaps(k), slack=-1e-12))
    # and every slab of a class is visited, filled to its edges
    for (lo, hi), c in zip(iv, cls):
        part = x[(x >= lo) & (x <= hi)]
        assert len(part) > 0 and np.all(y[(x >= lo) & (x <= hi)] == c)
        assert part.min() - lo < 0.01 and hi - part.max() < 0.01


@pytest.mark.parametrize("k, cls, rings, probs", [
    (5, 0, [(0.0, 0.12), (0.76, 1.0)], [0.75, 0.25]),
    (5, 1, [(0.32, 0.56)], [1.0]),
    (7, 0, [(0.0, 0.0572), (0.5714, 0.6858)], [0.5, 0.5]),
    (7, 1, [(0.2571, 0.3715), (0.8857, 1.0)], [0.875, 0.125]),
    (3, 0, [(0.0, 0.2667)], [1.0]),
])
def test_ring_probabilities_per_class(k, cls, rings, probs):
    assert ring_probs(k)[cls] == pytest.approx(tuple(probs))
    x, y = draw(Block("slab", k=k))
    a = np.abs(x[y == cls])
    for (lo, hi), prob in zip(rings, probs):
        count = int(((a >= lo - 1e-4) & (a <= hi + 1e-4)).sum())
        if prob == 1.0:
            assert count == len(a)
        else:
            assert_frequency(count, len(a), prob)


@pytest.mark.parametrize("k", [3, 5, 7])
def test_slab_sign_is_balanced_within_each_ring(k):
    x, y = draw(Block("slab", k=k))
    w = slab_width(k)
    off_centre = np.abs(x) > w / 2  # the centre slab straddles zero; the others have a side
    for c in (0, 1):
        sel = off_centre & (y == c)
        if sel.sum():
            assert_frequency(int((x[sel] > 0).sum()), int(sel.sum()), 0.5)
    centre = ~off_centre
    assert_frequency(int((x[centre] > 0).sum()), int(centre.sum()), 0.5)


def test_noisy_slab_puts_points_in_the_gaps():
    n, p = 10_000, 0.2
    x, _ = draw(Block("noisy_slab", k=5, p=p), n=n)
    assert in_union(x, slab_gaps(5)).sum() == int(round(n * p))


def test_lsn_support():
    data = make_dataset("lsn", n_train=4000, n_test=1000, d=6, rotate=False, seed=3)
    Z, y = data.train.X.astype(np.float64), data.train.y
    assert np.all(Z[:, 0] == 2 * y - 1)
    assert np.all(Z[y == 0, 1] == 0.0)
    assert set(np.unique(Z[y == 1, 1])) == {-1.0, 1.0}
    assert_frequency(int((Z[y == 1, 1] > 0).sum()), int((y == 1).sum()), 0.5)
    noise = Z[:, 2:]
    assert abs(noise.mean()) < 0.05 and abs(noise.std() - 1.0) < 0.05
    # the Gaussians carry no information about y
    assert abs(noise[y == 1].mean() - noise[y == 0].mean()) < 0.1
    assert data.S == [0] and data.Sc == [1, 2, 3, 4, 5]


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------

def test_label_balance():
    data = make_dataset("lms-5", n_train=20_000, n_test=5_000, d=5, seed=1)
    y = np.concatenate([data.train.y, data.test.y])
    assert set(np.unique(y)) == {0, 1}
    assert_frequency(int(y.sum()), len(y), 0.5)


@pytest.mark.parametrize("name, kinds, S", [
    ("lms-5", ("linear", 5), [0]),
    ("lms-7", ("linear", 7), [0]),
    ("noisy-lms-7", ("noisy_linear", 7), [0]),
    ("ms-5-7", (5, 7), [0]),
])
def test_simple_coordinate_sits_first(name, kinds, S):
    blocks, s = dataset_blocks(name, d=50)
    assert s == S and len(blocks) == 50
    first, rest = kinds
    if isinstance(first, str):
        assert blocks[0].kind == first
    else:
        assert blocks[0].kind == "slab" and blocks[0].k == first
    assert all(b.kind == "slab" and b.k == rest for b in blocks[1:])
    assert all(b.gamma == 0.1 and b.B == 1.0 for b in blocks)


def test_noisy_lms_uses_p():
    blocks, _ = dataset_blocks("noisy-lms-7", d=10, p=0.1)
    assert blocks[0].p == 0.1


def test_advms_halves():
    blocks, S = dataset_blocks("advms-5-7")
    assert len(blocks) == 20 and S == list(range(10))
    assert all(b.kind == "slab" and b.k == 5 and b.gamma == 0.05 for b in blocks[:10])
    assert all(b.kind == "slab" and b.k == 7 and b.gamma == 0.15 for b in blocks[10:])
    data = make_dataset("advms-5-7", n_train=100, n_test=50, seed=0)
    assert data.S == list(range(10)) and data.Sc == list(range(10, 20))


def test_every_named_dataset_builds_with_complementary_S_and_Sc():
    for name in DATASETS:
        data = make_dataset(name, n_train=50, n_test=20, n_val=10, seed=0)
        assert sorted(data.S + data.Sc) == list(range(data.d))
        assert data.train.X.shape == (50, data.d) and data.train.X.dtype == np.float32
        assert data.train.y.dtype == np.int64


def test_rotation_is_orthogonal_and_undone():
    Q = random_rotation(50, np.random.default_rng(0))
    assert np.allclose(Q @ Q.T, np.eye(50), atol=1e-10)
    assert np.allclose(Q.T @ Q, np.eye(50), atol=1e-10)
    rot = make_dataset("lms-5", n_train=500, n_test=100, d=20, seed=4, rotate=True)
    plain = make_dataset("lms-5", n_train=500, n_test=100, d=20, seed=4, rotate=False)
    assert np.allclose(rot.Q @ rot.Q.T, np.eye(20), atol=1e-10)
    # the model sees something else ...
    assert not np.allclose(rot.train.X, plain.train.X, atol=0.1)
    # ... and unrotating gives back the blocks (up to the float32 storage)
    assert np.allclose(rot.unrotate(rot.train.X), plain.train.X, atol=1e-5)
    Z = np.random.default_rng(1).standard_normal((30, 20))
    assert np.allclose(rot.unrotate(rot.rotate(Z)), Z, atol=1e-12)
    assert plain.Q is None


def test_same_seed_same_arrays_different_seed_different():
    a = make_dataset("lms-7", n_train=300, n_test=100, n_val=50, d=8, seed=11)
    b = make_dataset("lms-7", n_train=300, n_test=100, n_val=50, d=8, seed=11)
    c = make_dataset("lms-7", n_train=300, n_test=100, n_val=50, d=8, seed=12)
    for split in ("train", "val", "test"):
        assert np.array_equal(a.split(split).X, b.split(split).X)
        assert np.array_equal(a.split(split).y, b.split(split).y)
    assert np.array_equal(a.Q, b.Q)
    assert not np.allclose(a.train.X, c.train.X)
    assert not np.allclose(a.Q, c.Q)


def test_splits_have_the_asked_sizes_and_disjoint_rows():
    data = make_dataset("ms-5-7", n_train=700, n_test=200, n_val=100, d=6, seed=2)
    assert (len(data.train), len(data.val), len(data.test)) == (700, 100, 200)
    rows = [set(map(tuple, data.split(s).X.tolist())) for s in ("train", "val", "test")]
    assert sum(map(len, rows)) == 1000  # no duplicate within or across splits
    assert not (rows[0] & rows[1]) and not (rows[0] & rows[2]) and not (rows[1] & rows[2])
    empty_val = make_dataset("ms-5-7", n_train=10, n_test=5, d=3)
    assert len(empty_val.val) == 0 and empty_val.val.X.shape == (0, 3)


def test_noisy_lms_corrupts_all_splits_together():
    n_train, n_val, n_test, p = 3000, 500, 1500, 0.1
    data = make_dataset("noisy-lms-5", n_train=n_train, n_test=n_test, n_val=n_val, d=4,
                        seed=5, rotate=False, p=p)
    x0 = np.concatenate([data.split(s).X[:, 0] for s in ("train", "val", "test")])
    assert (np.abs(x0) < 0.1).sum() == round((n_train + n_val + n_test) * p)
    # the test set is noisy too (official code)
    assert (np.abs(data.test.X[:, 0]) < 0.1).sum() > 0


def test_without_coordinates_drops_exactly_those():
    data = make_dataset("lms-5", n_train=400, n_test=100, n_val=50, d=6, seed=8)
    cut = without_coordinates(data, [0])
    assert cut.d == 5 and cut.S == [] and cut.Sc == [0, 1, 2, 3, 4]
    assert all(b.kind == "slab" for b in cut.blocks)
    assert np.allclose(cut.Q @ cut.Q.T, np.eye(5), atol=1e-10)
    for split in ("train", "val", "test"):
        before = data.unrotate(data.split(split).X.astype(np.float64))[:, 1:]
        after = cut.unrotate(cut.split(split).X.astype(np.float64))
        assert np.allclose(before, after, atol=1e-5)
        assert np.array_equal(cut.split(split).y, data.split(split).y)
    # dropping a complex coordinate keeps S and renumbers it
    keep_s = without_coordinates(data, [2, 3])
    assert keep_s.S == [0] and keep_s.Sc == [1, 2, 3]
    with pytest.raises(ValueError, match="drop"):
        without_coordinates(data, list(range(6)))
