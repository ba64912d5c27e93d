"""The testbed's findings on fabricated results with known answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sbcore import store
from sbcore.studies.testbed import findings, views

X, Y = findings.X, findings.Y


def _metrics(rows) -> pd.DataFrame:
    """Tidy rows from (testbed, method, uses, seed, {metric: value})."""
    out = []
    for testbed, method, uses, seed, values in rows:
        out += [dict(study="testbed", dataset=testbed, model="m", seed=seed, method=method,
                     uses=uses, read="method", metric=k, value=v) for k, v in values.items()]
    return pd.DataFrame(out)


def _values(x, y, acc=1.0, retrained=0.5, wall=1.0, nets=1):
    return {X: x, Y: y, "standard accuracy": acc, "retrained S-randomized AUC": retrained,
            "wall time (s)": wall, "networks trained": nets}


TABLE = _metrics([
    ("lms-5", "ERM", "none", 0, _values(0.50, 1.0, retrained=0.70, wall=2.0)),
    ("lms-5", "ERM", "none", 1, _values(0.52, 1.0, retrained=0.70, wall=2.0)),
    ("lms-5", "D-BAT", "unlabelled", 0, _values(0.90, 0.85, wall=6.0, nets=2)),
    ("lms-5", "D-BAT", "unlabelled", 1, _values(0.80, 0.85, wall=6.0, nets=2)),
    ("lms-5", "JTT", "none", 0, _values(0.55, 1.0)),
    ("lms-5", "JTT", "none", 1, _values(0.55, 1.0)),
    ("lms-5", "Odd", "none", 0, _values(0.30, 1.0)),
    ("lms-5", "Odd", "none", 1, _values(0.30, 1.0)),
    ("lms-5", "Sc-only ceiling", "none", 0, _values(0.99, 0.5)),
    ("lms-5", "Sc-only ceiling", "none", 1, _values(0.97, 0.5)),
    ("noisy-lms-7", "ERM", "none", 0, _values(0.5, 1.0, acc=0.95)),
    ("noisy-lms-7", "DivDis", "labels", 0, _values(0.9, 0.6, acc=0.99)),
    ("noisy-lms-7", "Sc-only ceiling", "none", 0, _values(0.52, 0.5, acc=0.55)),
])


def test_summary_gives_mean_std_and_seeds():
    s = findings.summary(TABLE).set_index(["dataset", "method"])
    assert s.loc[("lms-5", "ERM"), X] == pytest.approx(0.51)
    assert s.loc[("lms-5", "ERM"), f"{X} std"] == pytest.approx(math.sqrt(0.0002))
    assert s.loc[("lms-5", "D-BAT"), "seeds"] == 2 and s.loc[("noisy-lms-7", "ERM"), "seeds"] == 1


def test_relative_cost_is_against_erm_on_the_same_testbed():
    s = findings.relative_cost(findings.summary(TABLE)).set_index(["dataset", "method"])
    assert s.loc[("lms-5", "D-BAT"), "time vs ERM"] == pytest.approx(3.0)
    assert s.loc[("lms-5", "D-BAT"), "networks vs ERM"] == pytest.approx(2.0)
    assert s.loc[("lms-5", "JTT"), "time vs ERM"] == pytest.approx(0.5)


def test_verdicts_and_the_testbed_finding():
    f = findings.testbed_findings(findings.summary(TABLE), "lms-5")
    assert f["erm_at_chance"] and f["erm_s_auc"] == pytest.approx(0.51)
    assert f["best"] == "D-BAT" and f["best_s_auc"] == pytest.approx(0.85)
    assert f["best_reads_pool"]  # D-BAT declares the unlabelled pool
    assert f["moved"] == ["D-BAT"]  # JTT's +0.04 is below MOVED; the ceiling is not ranked
    assert f["both"] == ["D-BAT"] and f["inverted"] == ["Odd"]
    assert f["room"] and f["share_of_ceiling"] == pytest.approx((0.85 - 0.51) / (0.98 - 0.51))


def test_no_share_is_given_when_the_ceiling_is_not_clear_of_erm():
    f = findings.testbed_findings(findings.summary(TABLE), "noisy-lms-7")
    assert not f["room"] and f["share_of_ceiling"] == 0.0


def test_generalisation_and_representation():
    s = findings.summary(TABLE)
    g = findings.generalisation(s)
    assert g == dict(erm_accuracy=0.95, best="DivDis", best_accuracy=0.99, beats_cap=True)
    assert findings.generalisation(s, "ms-5-7")["beats_cap"] is False  # absent testbed
    r = findings.representation(s, "lms-5")
    assert r == dict(erm_retrained=pytest.approx(0.70), sc_in_features=True)


def test_numbers_glue_every_name_the_prose_reads_even_for_an_absent_testbed():
    only_lms5 = {"lms-5/all": store.Result(tables={"metrics": TABLE[TABLE["dataset"] == "lms-5"]},
                                           provenance={})}
    nums = views.numbers(only_lms5, None, "quick")
    assert nums["lms_5_best"] == "D-BAT" and nums["lms_5_n_moved"] == 1
    assert nums["noisy_lms_7_room"] is False and nums["mnist_fashion_best"] == ""
    assert nums["lms_5_any_moved"] is True


def test_note_mean_averages_over_seeds_and_is_zero_where_nothing_was_reported():
    notes = pd.DataFrame([dict(dataset="noisy-lms-7", method="JTT", note="errors upweighted",
                               seed=s, value=v) for s, v in ((0, 70.0), (1, 80.0))])
    assert findings.note_mean(notes, "noisy-lms-7", "JTT", "errors upweighted") == 75.0
    assert findings.note_mean(notes, "lms-5", "JTT", "errors upweighted") == 0.0
    assert findings.note_mean(pd.DataFrame(), "lms-5", "JTT", "errors upweighted") == 0.0
