"""What a model relies on: accuracy, ROC-AUC and their S- and S^c-randomised versions.

A *scorer* maps inputs (n, d) as the model sees them to one score per row, logit1 - logit0;
a positive score predicts class 1. Torch models become scorers through ``as_scorer``; oracle
classifiers in the tests and chapters are plain functions.

Randomising a set of coordinates C (digest section 2): undo the rotation, draw ONE permutation
of the rows and move the whole block x_C with it (so the joint structure inside C is kept and
x_C becomes independent of y and of the other coordinates), then rotate back. The permutation
runs across all samples, not within a class: within-class shuffling would keep x_C predictive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from sbcore.data import SlabData

VARIANTS = ("standard", "S-randomized", "Sc-randomized")


def as_scorer(model, device: str = "cpu", batch_size: int = 8192):
    """Wrap a torch module returning (n, 2) logits as a numpy scorer of logit1 - logit0."""
    import torch

    def scorer(X: np.ndarray) -> np.ndarray:
        model.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(X), batch_size):
                xb = torch.as_tensor(X[i:i + batch_size], dtype=torch.float32, device=device)
                logits = model(xb)
                out.append((logits[:, 1] - logits[:, 0]).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    return scorer


def accuracy(score: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose sign of score matches the label (score > 0 predicts 1)."""
    return float(np.mean((np.asarray(score) > 0) == (np.asarray(y) == 1)))


def roc_auc(score: np.ndarray, y: np.ndarray) -> float:
    """ROC-AUC of the score (Mann-Whitney U with ties counted half), as the official code."""
    score, y = np.asarray(score, dtype=np.float64), np.asarray(y)
    n1, n0 = int((y == 1).sum()), int((y == 0).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError("roc_auc needs both classes in y")
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def randomize(data: SlabData, X: np.ndarray, coords, rng: np.random.Generator) -> np.ndarray:
    """X with the canonical coordinates ``coords`` moved jointly by one random row permutation."""
    coords = list(coords)
    Z = data.unrotate(np.asarray(X, dtype=np.float64)).copy()
    if coords:
        perm = rng.permutation(len(Z))
        Z[:, coords] = Z[perm][:, coords]
    return data.rotate(Z).astype(np.float32)


def randomized_inputs(data: SlabData, split: str = "test", seed: int = 0) -> dict:
    """The standard, S-randomised and S^c-randomised inputs of a split, reproducible by seed."""
    X = data.split(split).X
    return {"standard": X,
            "S-randomized": randomize(data, X, data.S, np.random.default_rng([seed, 1])),
            "Sc-randomized": randomize(data, X, data.Sc, np.random.default_rng([seed, 2]))}


def randomized_metrics(scorer, data: SlabData, split: str = "test", seed: int = 0) -> dict:
    """Accuracy and AUC on the standard, S-randomised and S^c-randomised versions of a split.

    Keys are ``"<variant> accuracy"`` and ``"<variant> AUC"`` for the three ``VARIANTS``.
    """
    y = data.split(split).y
    out = {}
    for variant, X in randomized_inputs(data, split, seed).items():
        s = scorer(X)
        out[f"{variant} accuracy"] = accuracy(s, y)
        out[f"{variant} AUC"] = roc_auc(s, y)
    return out


def per_coordinate_accuracy(scorer, data: SlabData, split: str = "test", seed: int = 0,
                            fraction: float = 1.0) -> np.ndarray:
    """Accuracy with each canonical coordinate randomised alone, against the true labels.

    ``fraction`` < 1 uses that share of the split (the official summary tables used 0.5).
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction!r}")
    part = data.split(split)
    n = max(2, int(round(len(part) * fraction)))
    X, y = part.X[:n], part.y[:n]
    rng = np.random.default_rng([seed, 3])
    return np.array([accuracy(scorer(randomize(data, X, [c], rng)), y) for c in range(data.d)])


def logit_table(scorer, data: SlabData, split: str = "test", seed: int = 0) -> pd.DataFrame:
    """Scores of the true positives (label 1, predicted 1 on the standard split) under each
    variant: the data of the paper's logit histograms (Fig. 3a). Columns: variant, score."""
    y = data.split(split).y
    inputs = randomized_inputs(data, split, seed)
    base = scorer(inputs["standard"])
    tp = (y == 1) & (base > 0)
    frames = [pd.DataFrame({"variant": v, "score": (base if v == "standard" else scorer(X))[tp]})
              for v, X in inputs.items()]
    return pd.concat(frames, ignore_index=True)


def relies_only_on_S(metrics: dict, tol: float = 0.05) -> bool:
    """Table 1's decision rule with an explicit tolerance (the paper states none): S-randomised
    AUC within 0.5 +- tol, and S^c-randomised AUC within tol of the standard AUC."""
    return (abs(metrics["S-randomized AUC"] - 0.5) <= tol
            and abs(metrics["Sc-randomized AUC"] - metrics["standard AUC"]) <= tol)
