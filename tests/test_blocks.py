"""Reliance on named blocks, checked on an image-like toy dataset whose answers are known.

X has shape (n, 1, 4, 2): rows 0-1 of the "image" are the block "top", rows 2-3 the block
"bottom". Every pixel of both blocks has the sign of the label (+1 for y = 1) and a random
size, so each block decides the label alone; inside "bottom" all four pixels are the same
value times a fixed pattern (a joint structure that a per-pixel shuffle would break).

Oracles: ``top`` scores by the mean of the top block, ``bottom`` by the bottom block, ``both``
by one +-1 vote per block (the sum of the signs of the two means). Randomising the block an
oracle reads sends it to chance (accuracy and AUC 1/2, within sampling error: n = 4000 gives
a standard error of 0.008, the tests allow 0.04); randomising the other block leaves it
exactly at 1. ``both`` then keeps 3/4 (AUC 7/8), as the synthetic oracles do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from sbcore.data import Split, make_dataset, random_rotation
from sbcore.reliance import (
    InputBlocks,
    Scorer,
    as_scorer,
    input_blocks,
    logit_table,
    per_block_metrics,
    per_coordinate_accuracy,
    permute_features,
    randomize,
    randomize_blocks,
    randomized_inputs,
    randomized_metrics,
)

SHAPE = (1, 4, 2)
PATTERN = np.array([[1.0, 2.0], [3.0, 4.0]])
N = 4000
TOL = 0.04


def toy_blocks(**kw) -> InputBlocks:
    return InputBlocks(shape=SHAPE, blocks={"top": np.s_[:, :2, :], "bottom": np.s_[:, 2:, :]},
                       simple="top", complex="bottom", **kw)


def toy_split(n: int, seed: int) -> Split:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    s = (2.0 * y - 1.0)[:, None, None]
    X = np.empty((n, *SHAPE), dtype=np.float32)
    X[:, 0, :2, :] = s * rng.uniform(0.2, 1.0, size=(n, 2, 2))
    X[:, 0, 2:, :] = s * rng.uniform(0.2, 1.0, size=(n, 1, 1)) * PATTERN
    return Split(X, y.astype(np.int64))


@dataclass
class ToyImages:
    """An image-like dataset: InputBlocks as ``blocks``, splits as attributes, no rotation."""

    blocks: InputBlocks
    train: Split
    val: Split
    test: Split


@pytest.fixture(scope="module")
def toy():
    return ToyImages(toy_blocks(), toy_split(10, 0), toy_split(10, 1), toy_split(N, 2))


def top(X):
    return np.asarray(X)[:, 0, :2, :].mean(axis=(1, 2))


def bottom(X):
    return np.asarray(X)[:, 0, 2:, :].mean(axis=(1, 2))


def both(X):
    """One vote per block, +1 or -1; a tie (score 0) predicts class 0."""
    return np.sign(top(X)) + np.sign(bottom(X))


# ---- known answers ---------------------------------------------------------------------------

def test_randomising_the_decisive_block_sends_accuracy_to_chance(toy):
    m = randomized_metrics(top, toy)  # S = "top", S^c = "bottom" (the dataset's roles)
    assert m["standard accuracy"] == 1.0 and m["standard AUC"] == 1.0
    assert abs(m["S-randomized accuracy"] - 0.5) <= TOL
    assert abs(m["S-randomized AUC"] - 0.5) <= TOL
    assert m["Sc-randomized accuracy"] == 1.0 and m["Sc-randomized AUC"] == 1.0


def test_roles_can_be_swapped_by_name(toy):
    m = randomized_metrics(bottom, toy, s_block="bottom", sc_block="top")
    assert abs(m["S-randomized accuracy"] - 0.5) <= TOL
    assert m["Sc-randomized accuracy"] == 1.0
    # same seed, same roles as the default: same numbers
    assert randomized_metrics(top, toy, seed=5) == randomized_metrics(
        top, toy, seed=5, s_block="top", sc_block="bottom")


def test_an_oracle_using_both_blocks_loses_a_quarter(toy):
    # one block randomised: the votes agree half the time (right); a tie predicts 0, right for
    # half of the rest: accuracy 3/4, AUC 7/8 (ties count half), as the synthetic oracles
    m = randomized_metrics(both, toy)
    assert m["standard accuracy"] == 1.0
    for v in ("S", "Sc"):
        assert abs(m[f"{v}-randomized accuracy"] - 0.75) <= TOL
        assert abs(m[f"{v}-randomized AUC"] - 0.875) <= TOL


def test_per_block_metrics_on_the_oracles(toy):
    t = per_block_metrics(top, toy)
    assert list(t["block"]) == ["top", "bottom"] and list(t["features"]) == [4, 4]
    acc = dict(zip(t["block"], t["accuracy"]))
    assert abs(acc["top"] - 0.5) <= TOL and acc["bottom"] == 1.0
    b = per_block_metrics(bottom, toy, names="bottom", fraction=0.5)
    assert list(b["block"]) == ["bottom"] and abs(b["AUC"].iloc[0] - 0.5) <= TOL


def test_per_feature_accuracy_on_the_toy(toy):
    # a scorer reading one pixel, (row 1, column 0) = flat index 2 of (1, 4, 2)
    acc = per_coordinate_accuracy(lambda X: X[:, 0, 1, 0], toy, fraction=0.5)
    assert acc.shape == (8,)
    assert abs(acc[2] - 0.5) <= TOL
    assert np.all(np.delete(acc, 2) == 1.0)
    assert toy.blocks.feature_name(2) == "0,1,0"


def test_logit_table_on_images(toy):
    lt = logit_table(top, toy)
    assert set(lt["variant"]) == {"standard", "S-randomized", "Sc-randomized"}
    sc = lt[lt["variant"] == "Sc-randomized"]["score"].to_numpy()
    assert np.allclose(sc, lt[lt["variant"] == "standard"]["score"].to_numpy())


# ---- the permutation itself ------------------------------------------------------------------

def test_joint_permutation_keeps_the_rows_of_a_block_together(toy):
    X = toy.test.X
    R = randomize_blocks(toy, X, "bottom", np.random.default_rng(0))
    assert R.shape == X.shape and R.dtype == np.float32
    assert np.array_equal(R[:, 0, :2, :], X[:, 0, :2, :])  # "top" untouched
    rb, xb = R[:, 0, 2:, :].reshape(N, -1), X[:, 0, 2:, :].reshape(N, -1)
    # every new bottom block is one whole old bottom block (the pattern survives) ...
    assert np.allclose(rb / rb[:, :1], PATTERN.reshape(1, -1))
    order = {row.tobytes(): i for i, row in enumerate(xb)}
    idx = np.array([order[row.tobytes()] for row in rb])
    assert sorted(idx) == list(range(N))  # ... each used exactly once
    assert np.mean(idx != np.arange(N)) > 0.9  # and they did move
    # several names: the union moves with ONE permutation, so the image stays whole
    A = randomize_blocks(toy, X, ["top", "bottom"], np.random.default_rng(1))
    whole = {row.tobytes(): i for i, row in enumerate(X.reshape(N, -1))}
    assert sorted(whole[row.tobytes()] for row in A.reshape(N, -1)) == list(range(N))


def test_randomize_with_flat_indices_and_empty_sets(toy):
    X = toy.test.X
    a = randomize(toy, X, toy.blocks.indices("top"), np.random.default_rng(3))
    b = randomize_blocks(toy, X, "top", np.random.default_rng(3))
    assert np.array_equal(a, b)
    rng = np.random.default_rng(4)
    assert np.array_equal(randomize(toy, X, [], rng), X)
    assert rng.integers(1 << 30) == np.random.default_rng(4).integers(1 << 30)  # no draw
    assert np.array_equal(randomize_blocks(toy, X, [], rng), X)


def test_randomized_inputs_of_images_keep_the_standard_split(toy):
    ins = randomized_inputs(toy, "test", seed=1)
    assert ins["standard"] is toy.test.X
    assert all(v.shape == toy.test.X.shape for v in ins.values())


# ---- the spec ------------------------------------------------------------------------------

def test_block_specs_agree_across_mask_index_expression_and_flat_indices():
    mask = np.zeros(SHAPE, dtype=bool)
    mask[:, :2, :] = True
    a = InputBlocks(SHAPE, {"top": mask, "bottom": ~mask})
    b = InputBlocks(SHAPE, {"top": np.s_[:, :2, :], "bottom": np.s_[:, 2:, :]})
    c = InputBlocks(SHAPE, {"top": [3, 1, 2, 0], "bottom": np.arange(4, 8)})
    for spec in (a, b, c):
        assert spec.names == ("top", "bottom") and spec.n_features == 8
        assert list(spec.indices("top")) == [0, 1, 2, 3]
        assert np.array_equal(spec.mask("top"), mask)
        assert not spec.rotated and spec.input_shape == SHAPE
    assert list(a.select(["bottom", "top"])) == list(range(8))
    assert a.feature_name(5) == "0,2,1"
    with pytest.raises(ValueError):
        a.indices("top")[0] = 7  # read-only


def test_unknown_block_names_are_refused_with_the_known_ones(toy):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"'cifar' is unknown; known blocks: top, bottom"):
        randomize_blocks(toy, toy.test.X, "cifar", rng)
    with pytest.raises(ValueError, match=r"'S' is unknown; known blocks: top, bottom"):
        randomized_metrics(top, toy, s_block="S")
    with pytest.raises(ValueError, match="known blocks: top, bottom"):
        per_block_metrics(top, toy, names=["top", "mnist"])
    # a dataset whose blocks are not called S/Sc and that names no roles
    plain = ToyImages(InputBlocks(SHAPE, {"top": np.s_[:, :2], "bottom": np.s_[:, 2:]}),
                      toy.train, toy.val, toy.test)
    with pytest.raises(ValueError, match="S block 'S' is unknown; known blocks: top, bottom"):
        randomized_inputs(plain)
    assert randomized_metrics(top, plain, s_block="top", sc_block="bottom") == \
        randomized_metrics(top, toy)


def test_inputs_of_the_wrong_shape_are_refused(toy):
    rng = np.random.default_rng(0)
    X = toy.test.X
    for bad in (X.reshape(N, 1, 2, 4), X.reshape(N, 8), X[:, 0]):
        with pytest.raises(ValueError, match=r"do not match the blocks: expected \(n, 1, 4, 2\)"):
            randomize_blocks(toy, bad, "top", rng)
    with pytest.raises(ValueError, match="feature indices must lie in 0..7"):
        permute_features(toy.blocks, X, [8], rng)


@pytest.mark.parametrize("blocks, message", [
    ({"a": np.ones((4, 2), dtype=bool)}, "mask of shape"),
    ({"a": [0, 8]}, "flat indices must lie in 0..7"),
    ({"a": [1, 1]}, "repeat"),
    ({"a": np.s_[:, :, :, 0]}, "does not fit"),
    ({"a": np.zeros((2, 2), dtype=int)}, "1-D integer"),
    ({"": [0]}, "non-empty strings"),
    ({}, "non-empty mapping"),
])
def test_bad_block_specs_are_refused(blocks, message):
    with pytest.raises(ValueError, match=message):
        InputBlocks(SHAPE, blocks)


def test_bad_rotations_are_refused():
    with pytest.raises(ValueError, match="must be 8 x 8"):
        InputBlocks(SHAPE, {"a": [0]}, Q=np.eye(4))
    with pytest.raises(ValueError, match="both to_input and to_canonical"):
        InputBlocks(SHAPE, {"a": [0]}, to_input=lambda z: z)
    with pytest.raises(ValueError, match="not both"):
        InputBlocks(SHAPE, {"a": [0]}, Q=np.eye(8), to_input=lambda z: z,
                    to_canonical=lambda x: x)


def test_datasets_without_blocks_are_refused():
    with pytest.raises(TypeError, match="carries no InputBlocks"):
        input_blocks(object())


# ---- rotations -----------------------------------------------------------------------------

def test_a_matrix_rotation_round_trips_and_randomises_canonical_features():
    rng = np.random.default_rng(0)
    Q = random_rotation(8, rng)
    spec = InputBlocks((8,), {"S": [0], "Sc": np.arange(1, 8)}, Q=Q)
    assert spec.rotated and spec.input_shape == (8,)
    Z = rng.standard_normal((500, 8))
    assert np.allclose(spec.unrotate(spec.rotate(Z)), Z, atol=1e-12)
    R = spec.unrotate(randomize_blocks(spec, spec.rotate(Z), "Sc", rng).astype(np.float64))
    assert np.allclose(R[:, 0], Z[:, 0], atol=1e-5)  # S stays, up to float32
    assert not np.allclose(R[:, 1:], Z[:, 1:], atol=1e-3)


def test_a_rotation_given_as_functions_round_trips_on_images(toy):
    # the model sees the image upside down and negated: canonical <-> input by two functions
    def flip(A):
        return -A[:, :, ::-1, :]

    spec = toy_blocks(to_input=flip, to_canonical=flip)
    Z = toy.test.X.astype(np.float64)
    X = spec.rotate(Z)
    assert np.array_equal(spec.unrotate(X), Z)
    R = spec.unrotate(randomize_blocks(spec, X.astype(np.float32), "bottom",
                                       np.random.default_rng(0)).astype(np.float64))
    assert np.array_equal(R[:, 0, :2], Z[:, 0, :2])  # canonical "top" (input rows 2-3) kept
    assert np.allclose(R[:, 0, 2:].reshape(N, -1) / R[:, 0, 2:3, :1].reshape(N, 1),
                       PATTERN.reshape(1, -1))


# ---- synthetic data ------------------------------------------------------------------------

def test_slab_data_carries_its_blocks():
    data = make_dataset("lms-5", n_train=10, n_test=300, d=5, seed=1)
    spec = data.input_blocks
    assert input_blocks(data) is not None and spec.names == ("S", "Sc")
    assert list(spec.indices("S")) == data.S and list(spec.indices("Sc")) == data.Sc
    assert spec.feature_names == ("x1", "x2", "x3", "x4", "x5") and spec.shape == (5,)
    assert np.array_equal(spec.Q, data.Q)
    X = data.test.X
    assert np.array_equal(spec.rotate(data.unrotate(X)), data.rotate(data.unrotate(X)))
    assert np.array_equal(randomize_blocks(data, X, "Sc", np.random.default_rng(2)),
                          randomize(data, X, data.Sc, np.random.default_rng(2)))
    assert data.blocks[0].kind == "linear"  # the distributions stay where they were
    plain = make_dataset("ms-5", n_train=10, n_test=50, d=3, rotate=False)
    assert not plain.input_blocks.rotated and len(plain.input_blocks.indices("S")) == 0


# ---- scorers -------------------------------------------------------------------------------

def test_a_torch_module_on_images_scores_like_the_oracle(toy):
    import torch

    torch.manual_seed(0)
    w = torch.zeros(2, 8)
    w[1, :4] = 1.0 / 4  # logit1 - logit0 = mean of the top block
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 2, bias=False))
    with torch.no_grad():
        model[1].weight.copy_(w)
    model.train()
    X = toy.test.X[:1000]
    for scorer in (Scorer(model, batch_size=333), as_scorer(model, batch_size=7), Scorer(model)):
        assert np.allclose(scorer(X), top(X), atol=1e-6)
    assert model.training  # the scorer put it back in training mode
    assert Scorer(model)(X[:0]).shape == (0,)
    m = randomized_metrics(Scorer(model), toy)
    assert m == randomized_metrics(top, toy)


def test_scorers_take_one_logit_and_refuse_other_outputs():
    import torch

    one = torch.nn.Linear(3, 1)
    X = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    with torch.no_grad():
        expect = one(torch.as_tensor(X)).numpy().ravel()
    assert np.allclose(Scorer(one)(X), expect)
    with pytest.raises(ValueError, match="returned shape"):
        Scorer(torch.nn.Linear(3, 4))(X)
    with pytest.raises(ValueError, match="batch_size"):
        Scorer(one, batch_size=0)
