"""Measuring reliance (chapter 02): the randomised metrics checked on oracle classifiers
whose reliance is known by construction (``oracles``), on LMS-5 and MS-(5,7).

One entry: every oracle's accuracy and AUC on the standard, S- and S^c-randomised test split
under the three randomisation schemes (joint, independent, within-class), the per-coordinate
view and the logits of the true positives, all on LMS-5 and MS-(5,7) at d = 50.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.data import make_dataset
from sbcore.reliance import logit_table, per_coordinate_accuracy
from sbcore.studies import section
from sbcore.studies.measuring.oracles import ORACLES, oracle, oracle_metrics

NAME = "measuring"
VERSION = 1
DATASETS = ("lms-5", "ms-5-7")


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    s = section(profile, NAME)
    return {"oracles": dict(n_test=s["n_test"], d=s["d"], seed=seed, datasets=list(DATASETS))}


def data_of(cfg: dict, name: str):
    """The test data the oracles are scored on (the training split is not used)."""
    return make_dataset(name, n_train=10, n_test=cfg["n_test"], d=cfg["d"], seed=cfg["seed"])


def compute(cfg: dict, device: str = "cpu") -> dict[str, pd.DataFrame]:
    """Tables ``metrics`` (tidy; ``randomization`` names the scheme), ``per_coordinate`` and
    ``logits`` (LMS-5 only: the chapter's pictures). No model is trained: ``device`` unused."""
    seed, rows = cfg["seed"], []
    for name in cfg["datasets"]:
        t = oracle_metrics(data_of(cfg, name), "test", seed)
        rows.append(pd.DataFrame(dict(
            study=NAME, dataset=name, model=t["oracle"], seed=seed,
            metric=t["variant"] + " " + t["metric"], value=t["value"],
            randomization=t["randomization"])))
    lms = data_of(cfg, "lms-5")
    per, logits = [], []
    for kind in ORACLES:
        acc = per_coordinate_accuracy(oracle(lms, kind), lms, "test", seed)
        per.append(pd.DataFrame(dict(model=kind, coordinate=np.arange(len(acc)),
                                     in_S=np.isin(np.arange(len(acc)), lms.S), accuracy=acc)))
        logits.append(logit_table(oracle(lms, kind), lms, "test", seed).assign(model=kind))
    return dict(metrics=pd.concat(rows, ignore_index=True),
                per_coordinate=pd.concat(per, ignore_index=True),
                logits=pd.concat(logits, ignore_index=True))
