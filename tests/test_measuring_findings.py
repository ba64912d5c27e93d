"""The measuring study's findings on fabricated oracle metrics with known answers."""

import pandas as pd
import pytest

from sbcore.studies.measuring import findings


def metrics(s_only_s_auc=0.5, both_sc_auc=0.875):
    """Joint-permutation metrics of the three oracles on one dataset (known answers)."""
    aucs = {"s_only": (1.0, s_only_s_auc, 1.0), "sc_only": (1.0, 1.0, 0.5),
            "both": (1.0, 0.875, both_sc_auc)}
    rows = []
    for oracle, (std, s, sc) in aucs.items():
        for metric, v in (("standard AUC", std), ("S-randomized AUC", s), ("Sc-randomized AUC", sc),
                          ("standard accuracy", 1.0), ("S-randomized accuracy", s)):
            rows.append(dict(dataset="lms-5", model=oracle, metric=metric, randomization="joint",
                             value=v))
    rows.append(dict(dataset="lms-5", model="s_only", metric="S-randomized accuracy",
                     randomization="within-class", value=1.0))
    return pd.DataFrame(rows)


def test_value_and_standard_accuracies():
    m = metrics()
    assert findings.value(m, "both", "Sc-randomized", "AUC") == 0.875
    assert findings.value(m, "s_only", "S-randomized", how="within-class") == 1.0
    assert findings.standard_accuracies(m) == (1.0, 1.0)
    with pytest.raises(KeyError, match="no S-randomized accuracy of nobody"):
        findings.value(m, "nobody", "S-randomized")


def test_the_rule_picks_the_s_only_oracle():
    picks = findings.rule_picks(metrics())
    assert picks == {("lms-5", "s_only"): True, ("lms-5", "sc_only"): False,
                     ("lms-5", "both"): False}
    assert findings.rule_picks_only(metrics())
    assert not findings.rule_picks_only(metrics(s_only_s_auc=0.7))  # S still used: not picked
    assert not findings.rule_picks_only(metrics(both_sc_auc=1.0, s_only_s_auc=0.7))


def test_matches_known_within_four_standard_errors():
    # n = 10,000: one standard error is 0.005, four are 0.02
    assert findings.matches_known({"a": 0.51, "b": 0.75}, {"a": 0.5, "b": 0.75}, 10_000)
    assert not findings.matches_known({"a": 0.53}, {"a": 0.5}, 10_000)
