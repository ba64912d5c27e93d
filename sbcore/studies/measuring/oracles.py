"""Oracle classifiers whose reliance on S and S^c is known by construction.

They let the randomised metrics be checked where the right answer is certain (chapter
"Measuring what a model relies on", and the tests). Each oracle reads the canonical
coordinates (it undoes the rotation) and lets every coordinate it uses cast a hard vote,
+1 or -1, for the class that owns the block's region the value falls in:

* a linear block votes with the sign of its value;
* a k-slab block votes with the class of the nearest slab.

``s_only`` averages the votes over S, ``sc_only`` over S^c, and ``both`` adds the two
averages. On clean slab data every vote is right, so the votes inside S^c agree, and the
known answers are:

=========  ============  ==============  ===============
oracle     standard      S-randomised    S^c-randomised
=========  ============  ==============  ===============
s_only     1.00          0.50            1.00
sc_only    1.00          1.00            0.50
both       1.00          0.75 (AUC 7/8)  0.75 (AUC 7/8)
=========  ============  ==============  ===============

(``both`` ties at score 0 when one half is randomised and disagrees; a tie predicts class 0,
so half of those rows are still right: accuracy 3/4, and the ROC-AUC counts ties as half.)

Two alternative randomisations are here too, only to show in the chapter why the metrics use
one joint permutation across all samples: permuting each coordinate independently, and
permuting within each class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.data import Block, SlabData, slab_classes, slab_intervals
from sbcore.reliance import accuracy, randomize, roc_auc

ORACLES = ("s_only", "sc_only", "both")
ORACLE_LABELS = {"s_only": "uses S only", "sc_only": "uses Sᶜ only", "both": "uses S and Sᶜ"}
RANDOMIZATIONS = ("joint", "independent", "within-class")

# Known accuracies of each oracle on clean slab data (see the module docstring).
KNOWN_ACCURACY = {
    "s_only": {"standard": 1.0, "S-randomized": 0.5, "Sc-randomized": 1.0},
    "sc_only": {"standard": 1.0, "S-randomized": 1.0, "Sc-randomized": 0.5},
    "both": {"standard": 1.0, "S-randomized": 0.75, "Sc-randomized": 0.75},
}
KNOWN_AUC = {
    "s_only": {"standard": 1.0, "S-randomized": 0.5, "Sc-randomized": 1.0},
    "sc_only": {"standard": 1.0, "S-randomized": 1.0, "Sc-randomized": 0.5},
    "both": {"standard": 1.0, "S-randomized": 0.875, "Sc-randomized": 0.875},
}


def block_vote(block: Block, v: np.ndarray) -> np.ndarray:
    """+1 / -1: the class that owns the region of the block where each value lies."""
    v = np.asarray(v, dtype=np.float64)
    if block.kind in ("linear", "noisy_linear", "lsn_linear"):
        return np.where(v > 0, 1.0, -1.0)
    if block.kind in ("slab", "noisy_slab"):
        # the nearest slab is found from the midpoints between adjacent slab centres
        centres = np.array(slab_intervals(block.k, block.gamma, block.B)).mean(axis=1)
        nearest = np.searchsorted((centres[1:] + centres[:-1]) / 2, v)
        return np.where(np.array(slab_classes(block.k))[nearest] == 1, 1.0, -1.0)
    if block.kind == "lsn_slab":
        return np.where(np.abs(v) > 0.5, 1.0, -1.0)
    raise ValueError(f"block kind {block.kind!r} carries no label information to vote with")


def _mean_vote(data: SlabData, coords: list[int], Z: np.ndarray) -> np.ndarray:
    if not coords:
        raise ValueError("an oracle needs at least one coordinate to vote with; this dataset's "
                         "set is empty")
    return np.mean([block_vote(data.blocks[c], Z[:, c]) for c in coords], axis=0)


def oracle(data: SlabData, kind: str):
    """The scorer (X as the model sees it -> score) of an oracle: s_only, sc_only or both."""
    if kind not in ORACLES:
        raise ValueError(f"oracle {kind!r} is unknown; allowed: {', '.join(ORACLES)}")

    def scorer(X: np.ndarray) -> np.ndarray:
        return oracle_scores(data, X, kinds=(kind,))[kind]

    return scorer


def oracle_scores(data: SlabData, X: np.ndarray, kinds=ORACLES) -> dict[str, np.ndarray]:
    """The scores of several oracles on the same inputs (the votes are counted once)."""
    Z = data.unrotate(np.asarray(X, dtype=np.float64))
    s = _mean_vote(data, data.S, Z) if set(kinds) & {"s_only", "both"} else None
    sc = _mean_vote(data, data.Sc, Z) if set(kinds) & {"sc_only", "both"} else None
    parts = {"s_only": lambda: s, "sc_only": lambda: sc, "both": lambda: s + sc}
    return {k: parts[k]() for k in kinds}


def randomize_by(data: SlabData, X: np.ndarray, coords, y: np.ndarray, how: str,
                 rng: np.random.Generator) -> np.ndarray:
    """X with ``coords`` randomised by one of three schemes (canonical coordinates):

    * ``joint``: one permutation of all rows moves the whole block (what the metrics use);
    * ``independent``: every coordinate gets its own permutation (breaks the block apart);
    * ``within-class``: one permutation inside each class (keeps x_C tied to y).
    """
    if how not in RANDOMIZATIONS:
        raise ValueError(f"randomisation {how!r} is unknown; allowed: {', '.join(RANDOMIZATIONS)}")
    if how == "joint":
        return randomize(data, X, coords, rng)
    Z = data.unrotate(np.asarray(X, dtype=np.float64)).copy()
    coords = list(coords)
    if how == "independent":
        for c in coords:
            Z[:, c] = Z[rng.permutation(len(Z)), c]
    else:
        for label in np.unique(y):
            rows = np.flatnonzero(y == label)
            Z[np.ix_(rows, coords)] = Z[np.ix_(rows[rng.permutation(len(rows))], coords)]
    return data.rotate(Z).astype(np.float32)


def oracle_metrics(data: SlabData, split: str = "test", seed: int = 0,
                   randomizations=RANDOMIZATIONS) -> pd.DataFrame:
    """Accuracy and AUC of every oracle on the standard, S- and S^c-randomised split, under
    each randomisation scheme. Tidy: oracle, randomization, variant, metric, value."""
    part = data.split(split)
    rows = []
    for how in randomizations:
        for v, coords in (("standard", []), ("S-randomized", data.S), ("Sc-randomized", data.Sc)):
            rng = np.random.default_rng([seed, RANDOMIZATIONS.index(how), len(coords)])
            X = part.X if v == "standard" else randomize_by(data, part.X, coords, part.y, how, rng)
            for kind, s in oracle_scores(data, X).items():
                rows += [dict(oracle=kind, randomization=how, variant=v, metric="accuracy",
                              value=accuracy(s, part.y)),
                         dict(oracle=kind, randomization=how, variant=v, metric="AUC",
                              value=roc_auc(s, part.y))]
    return pd.DataFrame(rows)
