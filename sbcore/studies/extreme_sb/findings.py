"""What the extreme simplicity bias study finds, as numbers and named booleans: which networks
learned and read S alone, the cells that did not learn, and whether the S-removed control
learned the complex coordinates. Pure functions of metrics tables; the chapter's words are in
the chapter and ``prose.py``."""

from __future__ import annotations

import pandas as pd

from sbcore.reliance import relies_only_on_S

CELL = ["dataset", "d", "model"]
# A network at chance is "invariant" to every randomisation, so the decision rule (relies on
# S alone?) is read only for networks whose test accuracy reaches this; the cells whose mean
# stays below it get the caveat. Chance is 0.5, the paper's networks reach about 1.0.
LEARNED = 0.95
# The S-removed control counts the complex coordinates as learned when the mean test accuracy
# reaches this: the paper's claim is that S^c alone is fully predictive (about 100% test
# accuracy), so "learned" asks for near-perfect accuracy, not merely above chance.
CONTROL_LEARNED = 0.99


def _per_seed(metrics: pd.DataFrame, metric: str) -> pd.Series:
    return metrics[metrics["metric"] == metric]["value"]


def reliance(metrics: pd.DataFrame) -> dict:
    """From the main part's tidy metrics: how many networks, how many learned (test accuracy
    at least ``LEARNED``), how many of those rely on S alone by the decision rule, and the
    extremes of the randomised metrics over all networks."""
    wide = metrics.pivot_table(index=["dataset", "model", "seed"], columns="metric",
                               values="value")
    ok = wide["standard accuracy"] >= LEARNED
    only_s = sum(bool(relies_only_on_S(r.to_dict())) for _, r in wide[ok].iterrows())
    gap = (wide["standard accuracy"] - wide["Sc-randomized accuracy"]).abs()
    return dict(
        learned=LEARNED, n_runs=len(wide), n_learned=int(ok.sum()), n_only_S=only_s,
        min_test=float(_per_seed(metrics, "standard accuracy").min()),
        s_auc_lo=float(_per_seed(metrics, "S-randomized AUC").min()),
        s_auc_hi=float(_per_seed(metrics, "S-randomized AUC").max()),
        s_acc_hi=float(_per_seed(metrics, "S-randomized accuracy").max()),
        sc_auc_lo=float(_per_seed(metrics, "Sc-randomized AUC").min()),
        sc_gap_hi=float(gap.max()))


def not_learned(metrics: pd.DataFrame | None) -> list[dict]:
    """The (dataset, d, model) cells whose mean test accuracy stays below ``LEARNED``, with
    their mean test and train accuracy (none for a part that is not stored)."""
    if metrics is None:
        return []
    t = metrics.pivot_table(index=CELL, columns="metric", values="value")
    t = t[t["standard accuracy"] < LEARNED]
    return [dict(dataset=ds, d=d, model=model, test=float(r["standard accuracy"]),
                 train=float(r["train accuracy"])) for (ds, d, model), r in t.iterrows()]


def all_learned(*metrics: pd.DataFrame | None) -> bool:
    """Whether every cell of these metrics tables learned (``not_learned`` finds none; a part
    that is not stored, None, has none)."""
    return not any(not_learned(m) for m in metrics)


def control(metrics: pd.DataFrame) -> list[dict]:
    """Per dataset and model of the S-removed control: its mean test accuracy over ``n`` seeds
    and whether the complex coordinates count as learned (at least ``CONTROL_LEARNED``)."""
    t = metrics[metrics["metric"] == "standard accuracy"]
    return [dict(dataset=name, model=model, test=float(v.mean()), n=len(v),
                 learned=bool(v.mean() >= CONTROL_LEARNED))
            for (name, model), v in t.groupby(["dataset", "model"], sort=False)["value"]]
