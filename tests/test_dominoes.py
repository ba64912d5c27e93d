"""The domino construction (sbcore.data.dominoes) on hand-made sources whose pixels name
their class, so layout, pairing, sizes and randomisation are checked exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from sbcore.data import dominoes as dm


def digits(counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) uint8 'digits' whose every pixel is 10 * class + 5."""
    y = np.concatenate([np.full(n, c) for c, n in counts.items()]).astype(np.int64)
    X = np.broadcast_to((10 * y + 5).astype(np.uint8)[:, None, None], (len(y), 28, 28)).copy()
    return X, y


def cifar(counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3, 32, 32) uint8 'CIFAR images' whose every pixel is 20 * class + 7."""
    y = np.concatenate([np.full(n, c) for c, n in counts.items()]).astype(np.int64)
    X = np.broadcast_to((20 * y + 7).astype(np.uint8)[:, None, None, None],
                        (len(y), 3, 32, 32)).copy()
    return X, y


def top_class(X):  # the class a domino's top block shows (centre pixel)
    return np.rint(X[:, 0, 16, 16] * 255 - 5).astype(int) // 10


def bottom_class(X):
    return np.rint(X[:, 0, 48, 16] * 255 - 7).astype(int) // 20


def test_blocks_are_padded_three_channel_unit_floats():
    X, _ = digits({0: 2})
    b = dm.as_block(X)
    assert b.shape == (2, 3, 32, 32) and b.dtype == np.float32
    assert (b[:, :, :2] == 0).all() and (b[:, :, 30:] == 0).all() and (b[:, :, :, :2] == 0).all()
    np.testing.assert_allclose(b[:, :, 2:30, 2:30], 5 / 255)
    c = dm.as_block(cifar({9: 1})[0])
    np.testing.assert_allclose(c, 187 / 255)
    with pytest.raises(ValueError, match="images must be uint8"):
        dm.as_block(X.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(n, 28, 28\) digits or \(n, 3, 32, 32\)"):
        dm.as_block(np.zeros((2, 32, 32), np.uint8))


def test_pairs_stack_top_over_bottom_by_class_and_cut_to_the_smallest_pool():
    top = (*digits({0: 30, 1: 40, 7: 9}), (0, 1))
    bottom = (*cifar({1: 25, 9: 50, 3: 5}), (1, 9))
    s = dm.stack_pairs(top, bottom, np.random.default_rng(0))
    assert s.X.shape == (50, 3, 64, 32) and s.X.min() >= 0 and s.X.max() <= 1
    assert np.bincount(s.y).tolist() == [25, 25]  # n = the smallest pool (25 automobiles)
    # label 0: digit 0 over automobile; label 1: digit 1 over truck; nothing else
    assert (top_class(s.X) == np.where(s.y == 1, 1, 0)).all()
    assert (bottom_class(s.X) == np.where(s.y == 1, 9, 1)).all()
    assert 0 < s.y[:25].sum() < 25  # shuffled, not sorted by label
    capped = dm.stack_pairs(top, bottom, np.random.default_rng(0), per_class=10)
    assert np.bincount(capped.y).tolist() == [10, 10]


@pytest.mark.parametrize("randomize", ["mnist", "complex"])
def test_a_randomised_set_makes_its_block_independent_of_the_label(randomize):
    top = (*digits({0: 2000, 1: 2000}), (0, 1))
    bottom = (*cifar({1: 2000, 9: 2000}), (1, 9))
    s, classes = dm.stack_pairs(top, bottom, np.random.default_rng(1), randomize=randomize,
                                with_classes=True)
    # the block classes it reports are the ones drawn
    assert (classes["mnist"] == top_class(s.X)).all()
    assert (classes["complex"] == (bottom_class(s.X) == 9)).all()
    shown = top_class(s.X) if randomize == "mnist" else bottom_class(s.X)
    kept = bottom_class(s.X) if randomize == "mnist" else top_class(s.X)
    # halves of the two-class pool: n = 2000 per label, and the block's class says nothing
    assert np.bincount(s.y).tolist() == [2000, 2000]
    table = np.array([[np.sum((s.y == lab) & (shown == c)) for c in np.unique(shown)]
                      for lab in (0, 1)])
    assert chi2_contingency(table)[1] > 1e-3
    assert 0.45 < table[0, 0] / table[0].sum() < 0.55
    # the other block still names the label exactly
    assert len({(int(a), int(b)) for a, b in zip(s.y, kept)}) == 2
    with pytest.raises(ValueError, match="randomize 'cifar' is unknown; allowed: mnist, complex"):
        dm.stack_pairs(top, bottom, np.random.default_rng(1), randomize="cifar")


def test_a_missing_class_and_bad_names_are_refused():
    with pytest.raises(ValueError, match="class 4 has no images"):
        dm.stack_pairs((*digits({0: 3, 1: 3}), (0, 4)), (*cifar({1: 3, 9: 3}), (1, 9)),
                       np.random.default_rng(0))
    with pytest.raises(ValueError, match="name 'mnist-svhn' is unknown"):
        dm.make_dominoes("mnist-svhn")
    with pytest.raises(ValueError, match="variant 'D' is unknown; allowed: A, B, C"):
        dm.make_dominoes("mnist-cifar", "D")
    with pytest.raises(ValueError, match="variant 'E' is unknown; allowed: A, B, C, D"):
        dm.make_dominoes("mnist-fashion", "E")
    with pytest.raises(ValueError, match="n_train must be an even number"):
        dm.make_dominoes("mnist-fashion", n_train=101)


def test_class_names_follow_table_3():
    assert dm.class_names("mnist-cifar", "A") == ("0 + automobile", "1 + truck")
    assert dm.class_names("mnist-cifar", "B") == ("1 + automobile", "4 + truck")
    assert dm.class_names("mnist-cifar", "C") == ("0 + airplane", "1 + ship")
    assert dm.class_names("mnist-fashion", "A") == ("0 + pullover", "1 + coat")
    assert dm.class_names("mnist-fashion", "D") == ("0 + coat", "1 + dress")  # D-BAT's pair


def test_input_blocks_name_the_two_halves():
    X = np.zeros((2, 3, 64, 32), np.float32)
    s = dm.Split(X, np.array([0, 1]))
    d = dm.Dominoes("mnist-fashion", "A", s, dm.Split(X[:0], np.zeros(0, int)), s,
                    {"mnist": s, "complex": s}, 0)
    b = d.input_blocks
    assert (b.simple, b.complex) == ("mnist", "fashion")
    assert len(b.blocks["mnist"]) == len(b.blocks["fashion"]) == 3 * 32 * 32
    union = np.union1d(b.blocks["mnist"], b.blocks["fashion"])
    assert len(union) == 3 * 64 * 32  # disjoint, and together the whole image
    assert np.unravel_index(b.blocks["mnist"], (3, 64, 32))[1].max() == 31
    only = d.with_only("fashion")
    assert (only.train.X[:, :, :32] == 0).all()
