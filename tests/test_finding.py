"""The paper's central finding (section 4.2, Fig. 3b, Table 4), asserted at a CI scale.

A (100,1)-FCN trained with the paper's recipe (SGD, learning rate 0.1, batch 256, weight decay
5e-5, no momentum; stop at train accuracy >= 1 - 1e-3, then 500 patience updates; model
selected on a validation split) on rotated LMS-5 and on rotated MS-(5,7) relies only on the
simple coordinate S: S-randomised AUC within 0.50 +- 0.05, S^c-randomised AUC >= 0.98, test
accuracy >= 0.99. A control shows that S^c alone would have sufficed.

Scale, and why. The paper uses d = 50 and 50,000-100,000 training points; on MS-(5,7) SGD then
sits near 50% for about 10,000 updates before it finds the 5-slab, too slow for CI on 2 cores.
Fewer dimensions shorten that plateau. We use d = 20 and 6,000 training points (1,000
validation, 2,000 test):

* MS-(5,7) converges after about 4,000-8,000 updates with S-randomised AUC 0.49-0.52,
  S^c-randomised AUC 1.00 and test accuracy >= 0.9995 (measured while choosing this: seeds
  0-3 at 6,000 points, seeds 0-5 at 10,000; the test itself also passed on an Intel CPU with
  2 threads, whose rounding differs from the AMD CPU it was tuned on).
* d = 10 is faster still but not clean: with only nine 7-slabs the network starts to use
  them too (one seed at 10,000 points gave S-randomised AUC 0.59), so the finding needs d
  large enough that the complex features are many.
* (100,1) rather than (100,2): the paper's Fig. 3a network, and about three times cheaper here.

The control trains the same network on LMS-5 with S removed (``without_coordinates``): the
nineteen 5-slabs alone reach >= 0.95 test accuracy with the same sample size (0.99 measured,
after about 7,000 updates). The MS-(5,7)
control (7-slabs alone) needs far longer with this recipe and is left to the book's
extreme-simplicity-bias chapter.
"""

from __future__ import annotations

import pytest

from sbcore.data import make_dataset, without_coordinates
from sbcore.reliance import accuracy, randomized_metrics
from sbcore.training import TrainConfig, train

RECIPE = TrainConfig(optimizer="sgd", lr=0.1, batch_size=256, momentum=0.0, weight_decay=5e-5,
                     stop="accuracy", eps=1e-3, patience=500, max_updates=20_000,
                     eval_every=250)
SIZES = dict(n_train=6_000, n_val=1_000, n_test=2_000, d=20, rotate=True, seed=0)


@pytest.mark.parametrize("dataset", ["lms-5", "ms-5-7"])
def test_fcn_relies_only_on_the_simple_feature(dataset):
    data = make_dataset(dataset, **SIZES)
    result = train(data, 100, 1, RECIPE, seed=0, progress=False)
    assert result.converged, (f"{dataset}: stop rule not met within {RECIPE.max_updates} "
                              f"updates; last train accuracy "
                              f"{result.history.train_accuracy.iloc[-1]:.4f}")
    m = randomized_metrics(result.scorer, data, split="test", seed=0)
    report = {k: round(v, 3) for k, v in m.items()}
    assert m["standard accuracy"] >= 0.99, report
    assert abs(m["S-randomized AUC"] - 0.5) <= 0.05, report
    assert m["Sc-randomized AUC"] >= 0.98, report


def test_complex_features_alone_suffice():
    data = make_dataset("lms-5", **SIZES)
    sc_only = without_coordinates(data, data.S)
    result = train(sc_only, 100, 1, RECIPE, seed=0, progress=False)
    test_accuracy = accuracy(result.scorer(sc_only.test.X), sc_only.test.y)
    assert test_accuracy >= 0.95, (test_accuracy, result.updates)
