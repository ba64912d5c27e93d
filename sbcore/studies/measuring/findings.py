"""What the measuring study finds on its oracles, as numbers and named booleans (pure
functions of the stored ``oracles`` metrics; the chapter glues them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.reliance import relies_only_on_S

# A measured randomised accuracy agrees with the oracle's known one within this many standard
# errors of a proportion near 1/2 over the test rows (4: a false alarm rarer than 1 in 10,000).
KNOWN_Z = 4


def value(metrics: pd.DataFrame, oracle: str, variant: str, metric: str = "accuracy",
          how: str = "joint", dataset: str = "lms-5") -> float:
    """One measured number of the oracle table."""
    sel = metrics[(metrics["model"] == oracle) & (metrics["metric"] == f"{variant} {metric}")
                  & (metrics["randomization"] == how) & (metrics["dataset"] == dataset)]
    if len(sel) != 1:
        raise KeyError(f"no {variant} {metric} of {oracle} ({how}) on {dataset}")
    return float(sel["value"].iloc[0])


def standard_accuracies(metrics: pd.DataFrame) -> tuple[float, float]:
    """The lowest and highest standard accuracy of the oracles (joint permutation)."""
    acc = metrics[(metrics["randomization"] == "joint")
                  & (metrics["metric"] == "standard accuracy")]["value"]
    return float(acc.min()), float(acc.max())


def rule_picks(metrics: pd.DataFrame) -> dict:
    """{(dataset, oracle): does Table 1's decision rule say it relies on S alone}."""
    m = metrics[metrics["randomization"] == "joint"]
    return {key: relies_only_on_S(dict(zip(sub["metric"], sub["value"])))
            for key, sub in m.groupby(["dataset", "model"], sort=False)}


def rule_picks_only(metrics: pd.DataFrame, oracle: str = "s_only") -> bool:
    """The rule picks out exactly ``oracle``, on every dataset."""
    return all(picked == (kind == oracle) for (_, kind), picked in rule_picks(metrics).items())


def matches_known(measured: dict, known: dict, n_test: int) -> bool:
    """Every measured accuracy within ``KNOWN_Z`` standard errors of its known value."""
    se = np.sqrt(0.25 / n_test)
    return all(abs(measured[k] - known[k]) <= KNOWN_Z * se for k in known)
