"""The paper's datasets as testbeds for methods that try to avoid simplicity bias.

A testbed is a dataset whose simple block S and complex block Sᶜ both predict the label on
the training set, plus what some methods may read besides it (they declare which,
``protocol.USES``):

* ``pool``: unlabelled inputs in which S and Sᶜ are drawn independently, so that a model
  cannot tell them apart by agreeing with S alone: fresh synthetic draws with the S block
  shuffled across rows, or dominoes pairing digits and garments at random;
* ``labelled``: a few such inputs with labels; the label is the complex block's class (in a
  decorrelated input only one block can agree with it, and the methods are asked to find
  the complex one).

The synthetic testbeds share one rotation between their splits, pool and labelled set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sbcore.checks import check_choice, check_int, check_seed
from sbcore.data import make_dataset
from sbcore.data.blocks import input_blocks
from sbcore.data.dominoes import VARIANTS, make_dominoes, sources, stack_pairs
from sbcore.data.synthetic import Split
from sbcore.reliance.metrics import randomize_blocks

# The testbeds: the synthetic datasets of chapters 03 and 09 (S: the linear coordinate or
# the 5-slabs), and the dominoes (S: the MNIST digit on top).
SYNTHETIC = {"lms-5": "lms-5", "ms-5-7": "ms-5-7", "noisy-lms-7": "noisy-lms-7"}
DOMINOES = ("mnist-fashion", "mnist-cifar")
TESTBEDS = (*SYNTHETIC, *DOMINOES)
# What each testbed asks about: the three pitfalls of the paper, by testbed
PITFALLS = {"lms-5": ("reliance", "robustness"), "ms-5-7": ("reliance", "robustness"),
            "noisy-lms-7": ("reliance", "generalisation"),
            "mnist-fashion": ("reliance",), "mnist-cifar": ("reliance",)}
# streams of the testbed's random draws besides its dataset's own
_POOL_STREAM, _LABELLED_STREAM, _SHUFFLE_STREAM = 71, 72, 73


@dataclass
class Testbed:
    """A dataset (train, val and test splits, blocks S and Sᶜ) with its unlabelled
    decorrelated ``pool`` and its small ``labelled`` decorrelated set."""

    name: str
    data: object  # SlabData or Dominoes
    pool: np.ndarray
    labelled: Split

    @property
    def kind(self) -> str:
        return "image" if self.name in DOMINOES else "vector"

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.data.train.X.shape[1:])


def check_testbed(name) -> str:
    return check_choice("testbed", name, TESTBEDS)


def make_testbed(name: str, n_train: int, n_val: int, n_test: int, n_pool: int,
                 n_labelled: int, seed: int = 0, d: int = 50, p: float = 0.1) -> Testbed:
    """One testbed drawn from ``seed``: ``d`` and ``p`` (the noisy coordinate's corruption)
    apply to the synthetic ones; the dominoes are the images chapter's variant A."""
    check_testbed(name)
    sizes = {k: check_int(k, v, 0 if k == "n_val" else 2) for k, v in dict(
        n_train=n_train, n_val=n_val, n_test=n_test, n_pool=n_pool,
        n_labelled=n_labelled).items()}
    seed = check_seed(seed)
    if name in SYNTHETIC:
        return _synthetic(name, seed, d, p, **sizes)
    return _dominoes(name, seed, **sizes)


def _synthetic(name, seed, d, p, n_train, n_val, n_test, n_pool, n_labelled) -> Testbed:
    data = make_dataset(SYNTHETIC[name], n_train, n_test, n_val, d=d, seed=seed, p=p)
    # the same distribution drawn afresh, unrotated, then rotated by the dataset's rotation
    extra = make_dataset(SYNTHETIC[name], n_pool + n_labelled, 1, d=d, seed=seed + 1_000_003,
                         p=p, rotate=False)
    X = data.rotate(extra.train.X.astype(np.float64)).astype(np.float32)
    X = _decorrelated(data, X, seed)
    return Testbed(name, data, X[:n_pool], Split(X[n_pool:], extra.train.y[n_pool:]))


def _decorrelated(data, X: np.ndarray, seed: int) -> np.ndarray:
    """X with its S block shuffled across rows: S no longer agrees with the label."""
    return randomize_blocks(data, X, input_blocks(data).simple,
                            np.random.default_rng([seed, _SHUFFLE_STREAM])).astype(np.float32)


def _dominoes(name, seed, n_train, n_val, n_test, n_pool, n_labelled) -> Testbed:
    data = make_dominoes(name, "A", seed, n_train=n_train - n_train % 2, n_val=n_val,
                         n_test=n_test - n_test % 2)
    classes = VARIANTS[name]["A"]
    (Xt, yt), (Xb, yb) = sources(name, "train")

    def draw(n: int, stream: int) -> Split:
        # the digit's pools are random halves: the label is the garment's (or CIFAR) class
        return stack_pairs((Xt, yt, classes["top"]), (Xb, yb, classes["bottom"]),
                           np.random.default_rng([seed, stream]), "mnist", max(1, n // 2))

    return Testbed(name, data, draw(n_pool, _POOL_STREAM).X, draw(n_labelled, _LABELLED_STREAM))
