"""The MS-(5,7) plateau study: escape detection on histories with known answers, the trend
fit on runs with a known power law, configs, and the chapter's views on the smoke results."""

from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sbcore.studies import runner, section
from sbcore.studies.plateau import figures, prose, views
from sbcore.studies.plateau import study as pl


@pytest.fixture(scope="module")
def result(smoke_run):
    return runner.merge(smoke_run("plateau"))


def test_escape_is_the_first_evaluation_at_the_threshold():
    h = pd.DataFrame({"update": [0, 250, 500, 750], "val_accuracy": [0.5, 0.6, 0.8, 0.99]})
    assert pl.escape_update(h, 0.75) == 500
    assert np.isnan(pl.escape_update(h, 0.999))


def _fake(runs):
    return type("R", (), {"tables": {"runs": runs}})()


def _answer(result, esb_cap):
    return prose.answer(views.answer(result, esb_cap))


def _verdicts(result, esb_cap):
    """The verdicts the chapter glues for a result's sweep, without the 'x_' prefix."""
    return {k[2:]: v for k, v in views.answer_numbers(result, esb_cap, "x").items()}


def _glued(stored, control=None, wide=None):
    """What the chapter glues for the reruns beside their cells."""
    return views.rerun_numbers(stored, {"control": control, "wide": wide})


def test_trend_recovers_a_known_power_law():
    ds = [20, 50, 100]
    runs = pd.DataFrame([dict(d=d, n_train=1000, rerun="", seed=s, cap=10**7, model="(9,1)-FCN",
                              escape_update=3.0 * d ** 1.5 * (1 + 0.1 * s), memorised=False)
                         for d in ds for s in (-1, 0, 1)])
    runs = pd.concat([runs, runs.iloc[:1].assign(d=50, n_train=4000)])  # a sample-size point
    t = views.trend(_fake(runs))
    assert t["exponent"] == pytest.approx(1.5) and t["at_250"] == pytest.approx(3 * 250 ** 1.5)
    assert t["ds"] == t["fit_ds"] == ds and t["n_censored"] == 0 and t["beyond"] == []
    v = _verdicts(_fake(runs), 100_000)
    assert v["typical_within"] and v["fits"] and v["any_answer"]  # 11,859
    assert (v["model"], v["n_text"], v["fit_ds"], v["exponent_text"], v["at_250_text"]) == \
        ("(9,1)-FCN", "1,000", "20, 50, 100", "1.50", "12,000")
    none = _verdicts(None, 100_000)
    assert not none["any_answer"] and (none["model"], none["exponent_text"]) == ("–", "–")
    assert _verdicts(_fake(runs), 10_000)["typical_stuck"]
    recap = prose.recap(views.recap_findings(_fake(runs), None))
    assert "lengthens with d, like $d^{1.50}$" in recap


def test_a_run_that_never_escaped_counts_as_the_latest_not_as_missing():
    """One censored run of three leaves the median where it was (the mean over the runs
    that escaped would fall); two of three put the median beyond the cap."""
    assert views.median_escape(np.array([300.0, np.nan, 100.0])) == 300.0
    assert views.median_escape(np.array([100.0, 200.0, 300.0, 400.0])) == 200.0
    assert views.median_escape(np.array([100.0, np.nan, np.nan])) == np.inf
    runs = pd.DataFrame([dict(d=d, n_train=1000, rerun="", seed=s, cap=10**7, model="(9,1)-FCN",
                              escape_update=float(d ** 2 * (1 + s)), memorised=False,
                              train_accuracy=0.875, val_accuracy=0.5)
                         for d in (20, 50, 100, 150) for s in range(3)])
    slow = runs.index[(runs["d"] == 100) & (runs["seed"] == 2)]
    runs.loc[slow, "escape_update"] = np.nan  # the slowest run at d = 100 never escapes
    t = views.trend(_fake(runs))
    assert t["exponent"] == pytest.approx(2.0) and t["n_censored"] == 1
    text = _answer(_fake(runs), 10**6)
    assert ("At d = 100, 1 of 3 runs did not escape (1 reached the cap of 10,000,000 updates; "
            "train accuracy 0.88 at validation accuracy 0.50)") in text
    stuck = runs.index[(runs["d"] == 150) & (runs["seed"] >= 1)]
    runs.loc[stuck, ["escape_update", "memorised"]] = [np.nan, True]  # memorised instead
    t = views.trend(_fake(runs))
    assert t["beyond"] == [150] and t["fit_ds"] == [20, 50, 100]
    text = _answer(_fake(runs), 10**6)
    assert "2 of 3 runs did not escape (2 memorised the training set; train" in text
    v = _verdicts(_fake(runs), 10**6)
    assert v["has_beyond"] and v["beyond_ds"] == "150" and v["end_memorised_ds"] == "150"
    assert v["end_memorised"] and not v["end_capped"] and not v["typical_within"]
    runs.loc[stuck[:1], "memorised"] = False  # one of them capped: the cap may matter
    v = _verdicts(_fake(runs), 10**6)
    assert not v["end_memorised"] and v["end_mixed"] and v["end_mixed_ds"] == "150"
    assert "sample-size sweep" not in _answer(_fake(runs), 10**6)  # none at d = 150
    # capped at d = 150, memorised at d = 250: each value of d told by how its runs ended
    wider = runs[runs["d"] == 150].assign(d=250, escape_update=np.nan, memorised=True)
    both = pd.concat([runs.assign(memorised=False), wider], ignore_index=True)
    v = _verdicts(_fake(both), 10**6)
    assert v["beyond_ds"] == "150, 250" and v["end_memorised_ds"] == "250"
    assert v["end_capped_ds"] == "150" and v["end_mixed_ds"] == "" and not v["end_mixed"]
    # a sample-size sweep at d = 150: most runs escape with 4x the points, not with 2x
    more = [dict(runs.iloc[0].to_dict(), d=150, n_train=n, seed=s, escape_update=e,
                 memorised=False) for n, escapes in ((2000, [np.nan, np.nan, 900.0]),
                                                     (4000, [700.0, np.nan, 500.0]))
            for s, e in enumerate(escapes)]
    text = _answer(_fake(pd.concat([runs, pd.DataFrame(more)], ignore_index=True)), 10**6)
    assert ("The sample-size sweep shows the lever: at d = 150 with 4,000 training points 2 of 3 "
            "runs escape, the median after 700 updates.") in text
    few = [dict(r, escape_update=np.nan) if r["n_train"] == 4000 else r for r in more]
    text = _answer(_fake(pd.concat([runs, pd.DataFrame(few)], ignore_index=True)), 10**6)
    assert "shows the lever" not in text
    assert ("At d = 150 even 4,000 training points, the sweep's largest, leave the median run on "
            "the plateau (0 of 3 runs escape; all 3 reached the cap of 10,000,000 updates at "
            "train accuracy 0.88 and validation accuracy 0.50): the larger sample stopped the "
            "memorising, not the plateau, which at d = 150 outlasts 10,000,000 updates.") in text
    few = [dict(r, memorised=r["n_train"] == 4000 and r["seed"] == 0) for r in few]
    text = _answer(_fake(pd.concat([runs, pd.DataFrame(few)], ignore_index=True)), 10**6)
    assert "(0 of 3 runs escape)." in text  # one memorised: the cap did not stop them all
    fig = figures.escape_trend(_fake(runs))
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert {"median run", "never escaped (capped)", "never escaped (memorised)"} <= set(labels)
    plt.close("all")


def test_answer_says_where_the_power_law_breaks():
    """Fitted at d = 20, 50, 100 (escape = d^2 (1 + seed): the median run's 2 d^2 is 125,000
    at d = 250), the law is said not to carry to d = 250 only when no run there, on any sample,
    escaped within a cap well past that."""
    runs = pd.DataFrame([dict(d=d, n_train=n, rerun="", seed=s, cap=10**6, model="(9,1)-FCN",
                              escape_update=float(d ** 2 * (1 + s)) if d < 250 else np.nan,
                              memorised=False, train_accuracy=0.7, val_accuracy=0.5)
                         for d, n in ((20, 1000), (50, 1000), (100, 1000), (250, 1000),
                                      (250, 4000)) for s in range(3)])
    v = _verdicts(_fake(runs), 10**5)
    assert v["law_breaks"] and (v["break_fit_ds"], v["break_at_250"], v["break_runs"],
                                v["break_cap"]) == ("20, 50, 100", "120,000", "6", "1,000,000")
    one = runs.copy()
    one.loc[one.index[-1], "escape_update"] = 900_000.0  # one late escape at 4,000 points
    v = _verdicts(_fake(one), 10**5)
    assert not v["law_breaks"] and v["break_fit_ds"] == v["break_cap"] == ""
    short = runs.assign(cap=100_000)  # a cap short of twice the extrapolation proves little
    assert not _verdicts(_fake(short), 10**5)["law_breaks"]


def test_configs_cover_the_sweeps_and_the_two_cells():
    paper = pl.configs("paper")
    assert {c["d"] for c in paper.values()} >= {20, 50, 100, 150, 250}
    # the sample-size sweep reaches d = 250, where 50,000 points are memorised
    assert {c["n_train"] for k, c in paper.items() if c["d"] == 250 and
            not k.startswith("rerun/")} == {12_500, 25_000, 50_000, 100_000, 200_000}
    assert paper["rerun/wide"]["model"] == [2000, 1] and paper["rerun/wide"]["d"] == 250
    assert paper["rerun/control"]["drop_S"] and paper["rerun/wide"]["train"]["max_updates"] \
        == 800_000
    # the S-removed (100,1)-FCN cell on its own sample, only the cap changed
    long, esb = paper["rerun/control-long"], section("paper", "extreme_sb")
    assert long["drop_S"] and long["model"] == [100, 1] and long["d"] == esb["d"]
    assert (long["n_train"], long["n_val"], long["n_test"]) == \
        (esb["n_train"], esb["n_val"], esb["n_test"])
    assert long["train"]["max_updates"] > esb["train"]["max_updates"]
    assert not any(k.startswith("rerun/") for k in pl.configs("quick"))  # a GPU's work


def test_views_and_figures(result):
    t = views.sweeps(result)
    assert len(t) == 3 and t["escaped"].str.endswith(" of 2").all()
    runs = result.tables["runs"]
    stuck = runs[runs["rerun"].fillna("").eq("") & runs["escape_update"].isna()]
    n = views.numbers(result, None, "smoke")
    assert n["n_capped"] + n["n_memorised"] == len(stuck)
    assert (t["did not escape"] == "–").sum() == sum(
        g["escape_update"].notna().all() for _, g in
        runs[runs["rerun"].fillna("") == ""].groupby(["d", "n_train"]))
    r = views.reruns(result)
    assert set(r["cell"]) == {"wide", "control", "control-long"}
    assert r.set_index("cell").loc["control", "S-randomised AUC"] == "–"  # S removed
    for make in (figures.escape_trend, figures.curves):
        assert isinstance(make(result), matplotlib.figure.Figure)
    fig = figures.rerun_curves(result, 100)  # one panel per rerun, the old cap marked
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == list(r["cell"])
    assert all(any(list(line.get_xdata()) == [100, 100] for line in ax.lines)
               for ax in fig.axes)
    assert figures.rerun_curves(None, 100) is None
    plt.close("all")
    none = _glued(None)  # nothing stored: the same names, with placeholders
    assert not none["reruns_stored"] and none["wr_model"] == "–" and none["cr_after"] == "–"
    assert not any(v for k, v in none.items() if isinstance(v, bool))


def _cap_case(after_acc, escapes, memorised, before_acc=(0.998, 0.50, 0.50, 0.51, 0.51),
              rerun="control-long", model="(100,1)-FCN", n_train=50_000):
    """A stored rerun of five runs (control-long by default) beside the extreme-SB cell it
    reruns."""
    keys = dict(rerun=rerun, model=model, d=50, n_train=n_train)
    runs = pd.DataFrame([dict(keys, seed=s, cap=800_000, escape_update=e, memorised=mem,
                              train_accuracy=0.99 if e == e else 0.65 - 0.01 * s,
                              val_accuracy=0.97 if e == e else 0.5)
                         for s, (e, mem) in enumerate(zip(escapes, memorised))])
    sweep = runs.iloc[:1].assign(rerun="", n_train=1_000)  # a sweep row: never counted
    metrics = pd.DataFrame([dict(keys, seed=s, metric="standard accuracy", value=v)
                            for s, v in enumerate(after_acc)])
    stored = type("S", (), {"tables": {"runs": pd.concat([runs, sweep]), "metrics": metrics}})()
    cell = pd.DataFrame([dict(dataset=ds, model=mo, seed=s, metric="standard accuracy", value=v)
                         for ds in ("ms-5-7", "lms-5") for mo in ("(100,1)-FCN", "(2000,1)-FCN")
                         for s, v in enumerate(before_acc)])
    cell.loc[cell["dataset"] == "lms-5", "value"] = 1.0  # other cells must not be counted
    return stored, type("C", (), {"metrics": cell})()


def test_cap_answer_tells_the_cap_from_the_sample():
    nan = np.nan
    # four of five escape once the cap is raised: the cap held the cell back
    stored, cell = _cap_case([1.0, 1.0, 0.999, 1.0, 0.5], [120_000, 90_000, 300_000, 150_000,
                                                         nan], [False] * 5)
    c = views.cap_rerun(stored, cell)
    assert (c["a"], c["na"], c["b"], c["nb"]) == (1, 5, 4, 5)
    assert (c["esb_cap"], c["cap"], c["median"]) == (100_000, 800_000, 150_000)
    g = _glued(stored, control=cell)
    assert (g["cr_a"], g["cr_na"], g["cr_b"], g["cr_nb"], g["cr_cap"], g["cr_median"],
            g["cr_n"]) == (1, 5, 4, 5, 800_000, 150_000, 50_000)
    assert g["cr_learned"] and not g["cr_memorised_lever"] and not g["cr_short"]
    assert g["cr_one_stuck"] and g["cr_any_stuck"] and g["cr_stuck"] == 1
    assert (round(g["cr_stuck_train"], 2), g["cr_stuck_val"]) == (0.61, 0.5)
    assert g["learn_level"] == 0.75 and not g["reruns_stored"]  # the other two are not here
    every = _glued(*_cap_case([1.0] * 5, [9e4, 1e5, 2e5, 3e5, 4e5], [False] * 5))
    assert every["cr_b"] == 5 and not every["cr_any_stuck"]  # none left on the plateau
    # most memorise: the sample is the lever
    stored, cell = _cap_case([0.6, 0.5, 0.5, 0.5, 1.0], [nan] * 4 + [50_000],
                             [True, True, True, False, False])
    g = _glued(stored, control=cell)
    assert g["cr_b"] == 1 and g["cr_memorised"] == 3 and g["cr_memorised_lever"]
    assert not g["cr_learned"] and not g["cr_short"]
    # most still on the plateau at the larger cap
    stored, cell = _cap_case([0.5, 0.5, 0.5, 1.0, 1.0], [nan, nan, nan, 1e5, 2e5], [False] * 5)
    g = _glued(stored, control=cell)
    assert g["cr_short"] and g["cr_nb"] - g["cr_b"] == 3
    # nothing stored yet: nothing to say
    assert views.cap_rerun(None, cell) is None and views.cap_rerun(stored, None) is None
    empty = type("S", (), {"tables": {"runs": stored.tables["runs"].iloc[5:],
                                      "metrics": stored.tables["metrics"]}})()
    assert views.cap_rerun(empty, cell) is None


def test_sample_answer_tells_whether_the_larger_sample_was_the_lever():
    nan = np.nan
    case = dict(rerun="control", model="(2000,1)-FCN", n_train=200_000,
                before_acc=(0.58, 0.83, 0.54, 0.80, 0.57))
    # all five escape early, within the extreme-SB chapter's own cap: the sample is the lever
    stored, cell = _cap_case([0.96, 0.97, 0.97, 0.96, 0.97], [33_000, 29_750, 30_500, 33_250,
                                                             28_000], [False] * 5, **case)
    c = views.rerun_against_cell(stored, cell, "control")
    assert (c["a"], c["na"], c["b"], c["nb"], c["median"]) == (2, 5, 5, 5, 30_500)
    g = _glued(stored, control=cell)
    assert (g["sr_a"], g["sr_na"], g["sr_esb_n"], g["sr_n"], g["sr_ratio"], g["sr_cap"],
            g["sr_b"], g["sr_nb"], g["sr_median"]) == (2, 5, 50_000, 200_000, 4.0, 800_000, 5,
                                                       5, 30_500)
    assert g["stop_acc"] == 0.98 and g["sr_after"] == "0.966 ± 0.005"
    assert g["sr_sample_lever"] and not g["sr_both_levers"] and g["sr_learned"]
    assert views.cap_rerun(stored, cell) is None  # no control-long rerun in this store
    # most escape, but after the old cap: both held the cell back
    stored, cell = _cap_case([0.96] * 4 + [0.5], [2e5, 3e5, 4e5, 5e5, nan], [False] * 5, **case)
    g = _glued(stored, control=cell)
    assert g["sr_both_levers"] and not g["sr_sample_lever"]
    # most stay on the plateau
    stored, cell = _cap_case([0.5] * 4 + [0.96], [nan] * 4 + [2e5], [False] * 5, **case)
    assert not _glued(stored, control=cell)["sr_learned"]
    assert views.sample_rerun(None, cell) is None


def _wide_case(escapes, s_auc, sc_auc, memorised=None):
    """A stored wide rerun (d = 250) of five runs beside the extreme-SB wide cell, and a
    sweep at d = 250 whose runs never escaped."""
    keys = dict(rerun="wide", model="(2000,1)-FCN", d=250, n_train=400_000)
    memorised = memorised or [False] * len(escapes)
    runs = pd.DataFrame([dict(keys, seed=s, cap=800_000, escape_update=e, memorised=m)
                         for s, (e, m) in enumerate(zip(escapes, memorised))])
    sweep = pd.DataFrame([dict(keys, rerun="", model="(100,1)-FCN", n_train=n, seed=0,
                               cap=800_000, escape_update=np.nan, memorised=False)
                          for n in (50_000, 200_000)])
    metrics = pd.DataFrame([dict(keys, seed=s, metric=m, value=v) for s in range(len(escapes))
                            for m, v in (("standard accuracy", 0.9), ("S-randomized AUC",
                                         s_auc), ("Sc-randomized AUC", sc_auc))])
    stored = type("S", (), {"tables": {"runs": pd.concat([runs, sweep]), "metrics": metrics}})()
    cell = pd.DataFrame([dict(dataset=ds, model="(2000,1)-FCN", seed=s, metric=m, value=v)
                         for ds in ("ms-5-7", "lms-5") for s in range(5)
                         for m, v in (("train accuracy", 0.76), ("standard accuracy", 0.5))])
    return stored, type("C", (), {"metrics": cell})()


def test_wide_answer_says_whether_the_d250_cell_shows_extreme_simplicity_bias():
    nan = np.nan
    stored, cell = _wide_case([32_750, 32_250, 44_000, 28_000, 55_750], 0.50, 0.95)
    c = views.wide_rerun(stored, cell)
    assert (c["escaped"], c["runs"], c["median"], c["esb_n"], c["esb_cap"]) == \
        (5, 5, 32_750, 100_000, 100_000)
    assert (c["paper_s_auc"], c["paper_sc_auc"]) == (0.50, 1.00)  # Fig. 3b, from the data file
    g = _glued(stored, wide=cell)
    assert (g["wr_before_train"], g["wr_before_test"]) == ("0.760 ± 0.000", "0.500 ± 0.000")
    assert (g["wr_d"], g["wr_n"], g["wr_ratio"], g["wr_cap"], g["wr_escaped"], g["wr_runs"],
            g["wr_median"]) == (250, 400_000, 4.0, 800_000, 5, 5, 32_750)
    assert g["wr_within_old_cap"] and g["wr_s_auc"] == "0.500 ± 0.000"
    assert g["wr_test"] == "0.900 ± 0.000"
    assert (g["wr_paper_s_auc"], g["wr_paper_sc_auc"]) == (0.50, 1.00)
    assert g["wr_reproduced"] and not g["wr_open"]
    assert (g["wr_sweep_never"], g["wr_sweep_model"], g["wr_sweep_n"], g["wr_sweep_cap"]) == \
        (True, "(100,1)-FCN", 200_000, 800_000)
    assert (g["wr_s_auc_mean"], g["wr_sc_auc_mean"]) == (0.5, 0.95)
    # escaped but reading the complex coordinates too: no claim of extreme SB
    stored, cell = _wide_case([30_000] * 5, 0.80, 0.95)
    assert not _glued(stored, wide=cell)["wr_reproduced"]
    # most still on the plateau (memorised)
    stored, cell = _wide_case([nan, nan, nan, 40_000, nan], 0.5, 0.5, [True] * 3 + [False] * 2)
    g = _glued(stored, wide=cell)
    assert g["wr_escaped"] == 1 and g["wr_open"] and not g["wr_reproduced"]
    assert views.wide_rerun(None, cell) is None and views.wide_rerun(stored, None) is None


def test_spread_numbers_exist_only_where_the_spread_grows():
    runs = pd.DataFrame([dict(d=d, n_train=100, rerun="", seed=s, cap=1000, model="(9,1)-FCN",
                              escape_update=e, memorised=False, train_accuracy=0.7,
                              val_accuracy=0.5)
                         for d, es in ((10, (10.0, 20.0, 30.0)), (20, (20.0, 40.0, np.nan)))
                         for s, e in enumerate(es)])
    v = _verdicts(_fake(runs), 10**6)
    assert v["typical_within"] and v["has_spread"]
    assert (v["std_lo"], v["d_lo"], v["std_hi"], v["d_hi"], v["spread_cap"]) == \
        ("10", "10", "14", "20", "1,000,000")
    v = _verdicts(_fake(runs.fillna({"escape_update": 60.0})), 10**6)  # none censored
    assert not v["has_spread"] and v["std_lo"] == v["spread_cap"] == ""
