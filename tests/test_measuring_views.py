"""The measuring chapter's study (oracles through the store), its numbers, tables and figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sbcore.studies.measuring import figures, findings, views


@pytest.fixture(scope="module")
def result(smoke_run):
    return smoke_run("measuring")["oracles"]


def test_numbers_match_the_known_answers(result):
    n = views.numbers({"oracles": result}, None, "smoke")
    se = 4 * np.sqrt(0.25 / n["n_test"])  # four standard errors of a proportion near 1/2
    assert n["s_only_S_acc"] == pytest.approx(0.5, abs=se)
    assert n["s_only_Sc_acc"] == 1.0 and n["sc_only_S_acc"] == 1.0
    assert n["sc_only_Sc_acc"] == pytest.approx(0.5, abs=se)
    assert n["both_S_acc"] == pytest.approx(0.75, abs=se)
    assert n["both_S_known"] == 0.75 and n["both_S_known_auc"] == 0.875
    # within-class permutation randomises nothing; independent breaks the S^c block apart
    assert n["s_only_S_within_class"] == 1.0
    assert n["both_Sc_independent"] > n["both_Sc_acc"]
    assert n["s_only_coord0"] == pytest.approx(0.5, abs=se) and n["sc_only_min_coord"] == 1.0
    assert n["rule_auc"] == 0.5 and n["n_sc"] == n["d"] - 1
    assert n["rule_picks_s_only"] is True and n["oracles_match_known"] is True


def test_tables(result):
    t = views.oracle_table(result)
    assert len(t) == 6  # 2 datasets x 3 oracles
    rule = t.set_index([("dataset", ""), ("oracle", "")])[("relies on S only", "(rule)")]
    assert rule.sum() == 2 and rule.xs("uses S only", level=1).all()
    r = views.randomization_table(result)
    assert len(r) == 6 and list(r.columns) == ["oracle", "randomised half", "joint",
                                               "independent", "within-class"]
    assert set(r["randomised half"]) == {"S-randomised accuracy", "Sᶜ-randomised accuracy"}
    assert findings.standard_accuracies(result.metrics) == (1.0, 1.0)  # exact on clean data
    with pytest.raises(KeyError, match="no S-randomized"):
        findings.value(result.metrics, "nobody", "S-randomized")


def test_figures(result):
    for make, panels in ((figures.oracle_bars, 2), (figures.per_coordinate, 3),
                         (figures.logits, 3)):
        fig = make(result)
        assert len([ax for ax in fig.axes if ax.has_data()]) >= panels, make.__name__
        plt.close(fig)
