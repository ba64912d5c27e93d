"""The plateau study's findings on fabricated runs with known answers: medians with censored
runs, the power law, how stuck runs ended, the sample-size lever, where the law breaks, and
the verdicts on the reruns against their cells (each threshold at its edge)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sbcore.studies.plateau import findings as f

nan = np.nan


def _runs(rows, **common):
    base = dict(rerun="", model="(9,1)-FCN", cap=1000, memorised=False, train_accuracy=0.7,
                val_accuracy=0.5)
    return pd.DataFrame([{**base, **common, **r} for r in rows])


def test_median_counts_a_censored_run_as_the_latest():
    assert f.median_escape(np.array([300.0, nan, 100.0])) == 300.0
    assert f.median_escape(np.array([100.0, 200.0, 300.0, 400.0])) == 200.0
    assert f.median_escape(np.array([100.0, nan, nan])) == np.inf
    assert np.isnan(f.median_escape(np.array([])))


def test_trend_fits_the_medians_and_lists_the_values_beyond():
    rows = [dict(d=d, n_train=100, seed=s, escape_update=2.0 * d ** 1.5)
            for d in (10, 40, 90) for s in range(3)]
    rows += [dict(d=160, n_train=100, seed=s, escape_update=nan if s else 5.0)
             for s in range(3)]
    rows += [dict(d=10, n_train=400, seed=0, escape_update=1.0)]  # another sample: not the d sweep
    t = f.trend(_runs(rows))
    assert t["exponent"] == pytest.approx(1.5) and t["at_250"] == pytest.approx(2 * 250 ** 1.5)
    assert t["fit_ds"] == [10, 40, 90] and t["beyond"] == [160] and t["n_censored"] == 2
    assert t["lengthens"]
    one = f.trend(_runs([dict(d=10, n_train=100, seed=0, escape_update=5.0)]))
    assert np.isnan(one["exponent"]) and not one["lengthens"]  # fewer than MIN_FIT_DS values
    flat = f.trend(_runs([dict(d=d, n_train=100, seed=0, escape_update=9.0 / d) for d in (1, 3)]))
    assert flat["exponent"] == pytest.approx(-1.0) and not flat["lengthens"]


def test_counts_and_endings_of_the_runs_that_never_escaped():
    runs = _runs([dict(d=5, n_train=10, escape_update=nan, memorised=True),
                  dict(d=5, n_train=10, escape_update=nan),
                  dict(d=7, n_train=10, escape_update=nan),
                  dict(d=9, n_train=10, escape_update=nan, memorised=True),
                  dict(d=9, n_train=10, escape_update=3.0, rerun="wide")])  # a rerun: not counted
    assert f.counts(runs) == dict(n_capped=2, n_memorised=2)
    stuck = f.sweep_rows(runs)
    assert f.stuck_by_ending(stuck) == dict(memorised=[9], capped=[7], mixed=[5])
    cells = f.sweep_cells(runs)
    assert [(c["d"], c["capped"], c["memorised"], c["escaped"]) for c in cells] == \
        [(5, 1, 1, 0), (7, 1, 0, 0), (9, 0, 1, 0)]


def test_larger_sample_finds_the_lever_or_says_none_was_enough():
    rows = [dict(d=150, n_train=n, seed=s, escape_update=e)
            for n, es in ((100, [nan] * 3), (200, [nan, nan, 9.0]), (400, [7.0, nan, 5.0]))
            for s, e in enumerate(es)]
    x = f.larger_sample(_runs(rows), 150, 100)
    assert x == dict(d=150, n=400, lever=True, escaped=2, runs=3, median=7.0)
    none = _runs([dict(r, escape_update=nan) if r["n_train"] == 400 else r for r in rows])
    x = f.larger_sample(none, 150, 100)
    assert (x["lever"], x["n"], x["all_capped"], x["stuck"], x["cap"]) == (False, 400, True, 3,
                                                                            1000)
    assert not x["smaller_memorised"]
    assert f.larger_sample(none, 150, 400) is None  # no larger sample swept


def test_the_law_breaks_only_past_twice_its_extrapolation():
    t = dict(at_250=400.0)
    runs = _runs([dict(d=250, n_train=10, escape_update=nan, cap=800)])
    assert f.trend_break(runs, t) == dict(runs=1, cap=800)  # 800 = BREAK_FACTOR x 400
    assert f.trend_break(runs.assign(cap=799), t) is None
    assert f.trend_break(runs.assign(escape_update=5.0), t) is None
    assert f.trend_break(runs, dict(at_250=nan)) is None


def test_sweep_answer_flags():
    rows = [dict(d=d, n_train=100, seed=s, escape_update=float(d * (1 + s)))
            for d in (10, 20) for s in range(3)]
    a = f.sweep_answer(_runs(rows), esb_cap=10**6)
    assert a["fits"] and a["within_cap"] and a["spread"] is None and a["stuck"] == []
    rows[-1]["escape_update"] = nan  # one censored run at d = 20: the spread there grows
    a = f.sweep_answer(_runs(rows), esb_cap=10**6)
    assert a["spread"] == dict(d_lo=10, std_lo=10.0, d_hi=20, std_hi=pytest.approx(14.142, 1e-3))
    assert [s["d"] for s in a["stuck"]] == [20]
    assert not f.sweep_answer(_runs(rows), esb_cap=10)["within_cap"]
    few = _runs([dict(d=10, n_train=100, seed=0, escape_update=1.0)])
    assert not f.sweep_answer(few, esb_cap=10)["any_answer"]


def test_answer_flags_name_each_verdict():
    none = dict(has_beyond=False, end_memorised=False, end_capped=False, end_mixed=False,
                typical_within=False, typical_stuck=False, law_breaks=False, has_spread=False)
    assert f.answer_flags(dict(any_answer=False)) == none
    beyond = dict(any_answer=True, trend=dict(beyond=[150, 250]), within_cap=False,
                  endings={"memorised": [250], "mixed": [150]})
    assert f.answer_flags(beyond) == {**none, "has_beyond": True, "end_memorised": True,
                                      "end_mixed": True}
    within = dict(any_answer=True, trend=dict(beyond=[]), within_cap=True, endings={})
    assert f.answer_flags(within) == {**none, "typical_within": True}
    assert f.answer_flags({**beyond, "trend_break": dict(runs=5, cap=10)})["law_breaks"]
    assert f.answer_flags({**within, "spread": dict(d_lo=1)})["has_spread"]
    assert f.answer_flags({**within, "within_cap": False}) == {**none, "typical_stuck": True}


def test_escaped_by_sample():
    runs = _runs([dict(d=5, n_train=n, escape_update=e) for n, e in
                  ((10, nan), (10, 2.0), (20, 3.0))] + [dict(d=6, n_train=10, escape_update=1.0)])
    assert f.escaped_by_sample(runs) == [dict(d=5, by_n=[(10, 1, 2), (20, 1, 1)])]


def _rerun(name, escapes, memorised, after):
    runs = _runs([dict(d=50, n_train=200, seed=s, escape_update=e, memorised=m)
                  for s, (e, m) in enumerate(zip(escapes, memorised))], rerun=name, cap=800)
    metrics = pd.DataFrame([dict(rerun=name, metric="standard accuracy", value=v) for v in after])
    cell = pd.DataFrame([dict(dataset="ms", model="(9,1)-FCN", metric="standard accuracy",
                              value=v) for v in (0.9, 0.5, 0.5, 0.5)])
    return runs, metrics, cell


def test_rerun_verdicts():
    args = dict(name="control", dataset="ms", level=0.75, esb_n=50, esb_cap=100)
    c = f.rerun_against_cell(*_rerun("control", [50.0, 60.0, 70.0, nan], [False] * 4,
                                     [0.9, 0.9, 0.9, 0.5]), **args)
    assert (c["a"], c["na"], c["b"], c["nb"], c["median"]) == (1, 4, 3, 4, 60.0)
    assert c["more"] and c["most"] and c["within_old_cap"] and c["stuck"] == 1
    runs = _rerun("control", [50.0, 60.0, nan, nan], [False, False, True, True],
                  [0.9] * 2 + [0.5] * 2)
    c = f.rerun_against_cell(*runs, **args)
    assert c["more"] and not c["most"] and not c["most_memorised"]  # 2 of 4 is not most
    assert c["median"] == 60.0 and c["within_old_cap"]  # the lower middle of four
    assert f.rerun_against_cell(*_rerun("control", [1.0], [False], [0.9]),
                                **{**args, "name": "wide"}) is None


def test_rerun_verdicts_name_one_reading_each():
    base = dict(more=True, most=True, within_old_cap=True, most_memorised=False, stuck=0)
    assert f.rerun_verdicts(base) == dict(learned=True, sample_lever=True, both_levers=False,
                                          memorised_lever=False, short=False, one_stuck=False,
                                          any_stuck=False)
    late = f.rerun_verdicts({**base, "within_old_cap": False, "stuck": 1})
    assert (late["sample_lever"], late["both_levers"], late["one_stuck"], late["any_stuck"]) \
        == (False, True, True, True)
    memo = f.rerun_verdicts({**base, "more": False, "most_memorised": True, "stuck": 2})
    assert (memo["learned"], memo["memorised_lever"], memo["short"], memo["one_stuck"]) == \
        (False, True, False, False)
    assert f.rerun_verdicts({**base, "most": False})["short"]


def test_wide_relies_on_S_alone_only_within_the_bands():
    def case(s_auc, sc_auc):
        runs = _runs([dict(d=250, n_train=400, seed=s, escape_update=30.0) for s in range(3)],
                     rerun="wide")
        metrics = pd.DataFrame([dict(rerun="wide", metric=m, value=v) for m, v in (
            ("standard accuracy", 0.9), ("S-randomized AUC", s_auc),
            ("Sc-randomized AUC", sc_auc))])
        cell = pd.DataFrame([dict(dataset="ms", model="(9,1)-FCN", metric=m, value=0.5)
                             for m in ("train accuracy", "standard accuracy")])
        return f.wide_rerun(runs, metrics, cell, "ms", esb_n=100, esb_cap=100, paper={})
    c = case(0.45, 0.8)  # both at the edge of their band
    assert c["most_escaped"] and c["s_only"] and c["within_old_cap"] and c["sweep_never"] is None
    assert c["paper_s_auc"] is None and c["reproduced"] and not c["open"]
    assert not case(0.56, 0.9)["s_only"] and not case(0.5, 0.79)["s_only"]
