"""The three pitfalls, measured on a method's model with the book's own metrics:

* reliance: accuracy and AUC on the standard, S-randomised and Sᶜ-randomised test sets
  (``sbcore.reliance.randomized_metrics``); an AUC well below 0.5 means the model reads a
  block inverted, not that it ignores it;
* robustness: accuracy under the label-signed SVD-UAP at given l2 norms, the UAP built from
  per-example l2 PGD perturbations as in the perturbations chapter (``sbcore.attacks``);
* generalisation: the standard test accuracy (noisy LMS-7: S caps it near 0.95).

And a diagnostic, last-layer retraining (Kirichenko et al., ICLR 2023, arXiv 2204.02937): a
logistic regression on what the model's readout receives, fitted on the testbed's few labelled
decorrelated inputs, scored on the S-randomised test set: is Sᶜ in the representation even
where the readout ignores it?
"""

from __future__ import annotations

import numpy as np
import torch

from sbcore.attacks import best_sign, data_bounds, pgd, svd_uap, uap_accuracy
from sbcore.reliance import as_scorer, randomized_metrics
from sbcore.reliance.metrics import accuracy, randomized_inputs, roc_auc
from sbcore.reliance.probe import fit_logistic
from sbcore.testbed.models import features
from sbcore.testbed.testbeds import Testbed


def reliance(model, testbed: Testbed, seed: int) -> dict:
    """{"standard accuracy", "standard AUC", "S-randomized ...", "Sc-randomized ..."}."""
    return randomized_metrics(as_scorer(model), testbed.data, "test", seed)


def robustness(model, testbed: Testbed, norms, pgd_eps: float, pgd_iters: int,
               n_attack: int) -> dict:
    """{norm: accuracy under the label-signed SVD-UAP of that l2 norm} on the first
    ``n_attack`` test points; ``pgd_eps`` in units of the data's range."""
    lo, hi = data_bounds(testbed.data)
    X, y = testbed.data.test.X[:n_attack], testbed.data.test.y[:n_attack]
    deltas = pgd(model, X, y, pgd_eps * (hi - lo), iters=pgd_iters, bounds=(lo, hi))
    unit = svd_uap(deltas, 1.0)
    return {float(n): uap_accuracy(model, X, y, best_sign(model, X, y, n * unit,
                                                          bounds=(lo, hi)), bounds=(lo, hi))
            for n in norms}


@torch.no_grad()
def _features(model, X: np.ndarray) -> np.ndarray:
    model.eval()
    return torch.cat([features(model, torch.as_tensor(X[i:i + 1024], dtype=torch.float32))
                      for i in range(0, len(X), 1024)]).numpy()


def last_layer(model, testbed: Testbed, seed: int) -> dict:
    """Accuracy and AUC of a readout refitted on the labelled decorrelated set, on the
    S-randomised test set."""
    F = _features(model, testbed.labelled.X)
    mean, std = F.mean(0), F.std(0) + 1e-6
    w, b = fit_logistic((F - mean) / std, testbed.labelled.y)
    X = randomized_inputs(testbed.data, "test", seed)["S-randomized"]
    score = ((_features(model, X) - mean) / std) @ w + b
    y = testbed.data.test.y
    return {"retrained S-randomized accuracy": accuracy(score, y),
            "retrained S-randomized AUC": roc_auc(score, y)}
