"""The per-number scoreboard (chapter 00_overview, section "Every number"): the registry
accounts for every row of paper_numbers.csv once, each selection picks rows of the stored
results where they exist, and the verdict rule on constructed cases."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sbcore.build import reproduction as rep
from sbcore.build import scoreboard as sb
from sbcore.build.pipeline import chapter_sources
from sbcore.paper import format_paper, paper_numbers
from sbcore.studies import runner


@pytest.fixture(scope="module")
def reg():
    return sb.registry()


@pytest.fixture(scope="module")
def stored(reg):
    names = dict.fromkeys(reg.loc[reg["study"] != "", "study"])
    return {n: runner.lookup(n, "paper") for n in names}


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

def test_every_number_of_the_paper_is_accounted_for_once(reg):
    a = sb.accounting(reg)
    assert a["n_numbers"] == len(paper_numbers()) == 319
    assert a["n_rows"] == 319 and not a["missing"] and not a["twice"] and not a["unknown"]
    assert a["n_selected"] + a["n_no_counterpart"] == 319
    sb.check_complete(reg)


def test_an_incomplete_or_doubled_registry_is_refused(reg):
    with pytest.raises(ValueError, match="missing"):
        sb.check_complete(reg.iloc[1:])
    doubled = pd.concat([reg, reg.iloc[[5]]], ignore_index=True)
    assert len(sb.accounting(doubled)["twice"]) == 1
    with pytest.raises(ValueError, match="named twice"):
        sb.check_complete(doubled)
    stranger = reg.copy()
    stranger.loc[0, "metric"] = "a metric the paper never printed"
    a = sb.accounting(stranger)
    assert len(a["unknown"]) == 1 and len(a["missing"]) == 1
    with pytest.raises(ValueError, match="unknown"):
        sb.check_complete(stranger)


def test_a_row_must_be_a_selection_or_a_reason_and_say_how_it_is_known(reg, tmp_path):
    path = tmp_path / "board.csv"
    both = reg.copy()
    both.loc[0, "no_counterpart"] = "a reason as well as a selection"
    both.to_csv(path, index=False)
    with pytest.raises(ValueError, match="either a study"):
        sb.registry(path)
    bad = reg.copy()
    bad.loc[0, "judged_as"] = "guessed"
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError, match="judged_as must be one of"):
        sb.registry(path)
    bad = reg.copy()
    bad.loc[0, "reduce"] = "median of everything"
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError, match="reduce .* is unknown"):
        sb.registry(path)
    reg.drop(columns="filter").to_csv(path, index=False)
    with pytest.raises(ValueError, match="lacks the columns"):
        sb.registry(path)


def test_how_each_number_is_known_follows_its_source_and_note(reg):
    numbers = paper_numbers()
    notes = {str(sb.key_of(r)): ("" if pd.isna(r["note"]) else r["note"])
             for _, r in numbers.iterrows()}
    for _, row in reg.iterrows():
        note = notes[str(sb.key_of(row))]
        expected = (sb.NOTEBOOK if row["source"].startswith("Notebook") else
                    sb.READ_OFF if "read off" in note else sb.PRINTED)
        assert row["judged_as"] == expected, sb.key_of(row)
    assert set(reg["judged_as"]) == set(sb.JUDGED_AS)


def test_every_selection_names_a_study_entries_and_a_section_that_exist(reg):
    sources = chapter_sources()
    for _, row in reg.iterrows():
        text = sources[row["chapter"]].read_text()
        assert re.search(rf"^# #+ {re.escape(row['section'])}$", text, flags=re.M), row["section"]
        if row["no_counterpart"]:
            continue
        entries = runner.study(row["study"]).configs("paper")
        assert any(e.startswith(row["entries"]) for e in entries), sb.key_of(row)
        rep.parse_filter(row["filter"])
        assert row["our_metric"], sb.key_of(row)


def _check_selections_pick_rows(reg, results: dict, profile: str) -> int:
    """Each selection with an entry in ``results`` picks at least one row; returns how many
    selections were checked."""
    checked = 0
    for _, row in reg[reg["study"] != ""].iterrows():
        found = sb.selected(row, results.get(row["study"]), profile)
        if found is None:  # none of its entries stored (or a grid not yet complete)
            continue
        assert found["n"] >= 1, (profile, sb.key_of(row), row["filter"])
        checked += 1
    return checked


def test_each_selection_picks_rows_of_the_stored_paper_results(reg, stored):
    # the committed store holds most of the synthetic numbers' entries
    assert _check_selections_pick_rows(reg, stored, "paper") >= 150


def test_each_selection_picks_rows_of_the_quick_results_where_stored(reg):
    names = dict.fromkeys(reg.loc[reg["study"] != "", "study"])
    quick = {n: runner.lookup(n, "quick") for n in names}
    if not any(v is not None for r in quick.values() for v in r.values()):
        pytest.skip("no quick results stored here")
    assert _check_selections_pick_rows(reg, quick, "quick") >= 1


# --------------------------------------------------------------------------------------------
# Selections and the verdict rule on constructed cases
# --------------------------------------------------------------------------------------------

def _result(rows: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(metrics=pd.DataFrame(rows),
                           provenance={"device_name": "a test", "date": "2026-01-02T03:04"})


def test_a_selection_reads_its_entries_filter_and_metric():
    rows = [dict(model="(100,2)-FCN", size=s, metric=m, value=v, seed=0)
            for s, m, v in [(10, "gain", 0.1), (10, "gain", 0.3), (5, "gain", 0.9),
                            (10, "accuracy", 0.7)]]
    # a column with gaps holds 10.0 where the filter says 10
    gappy = [dict(r, size=float(r["size"])) for r in rows] + [dict(model="(100,2)-FCN",
                                                               size=np.nan, metric="gain",
                                                               value=5.0, seed=1)]
    row = dict(entries="ens/", our_metric="gain", filter="size=10", reduce="")
    for table in (rows, gappy):
        found = sb.selected(row, {"ens/a": _result(table), "other": _result(table)}, "paper")
        assert found["n"] == 2 and np.isclose(found["mean"], 0.2)
        assert found["devices"] == ["a test"] and found["dates"] == ["2026-01-02"]
    # a model the results lack is not pooled: no row
    assert sb.selected(dict(row, filter="model=(2000,1)-FCN"), {"ens/a": _result(rows)},
                       "paper")["n"] == 0
    assert sb.selected(row, {"other": _result(rows)}, "paper") is None
    assert sb.selected(row, None, "paper") is None


def test_the_chosen_grid_point_needs_every_point_of_the_grid():
    row = dict(entries="grid/(100,1)-FCN/", our_metric="standard accuracy",
               filter="model=(100,1)-FCN", reduce="chosen grid point")
    one = [e for e in runner.study("generalisation").configs("paper")
           if e.startswith(row["entries"])][0]
    assert sb.selected(row, {one: _result([])}, "paper") is None


def test_the_verdict_by_how_the_paper_number_is_known():
    def found(mean, std=np.nan, n=5):
        return dict(mean=mean, std=std, n=n)

    tol, read = rep.TOLERANCE, sb.READ_OFF_TOLERANCE
    assert read > tol
    # printed, with its std
    assert sb.judge(0.50, 0.01, sb.PRINTED, found(0.505, 0.002)) == rep.REPRODUCED
    assert sb.judge(0.50, np.nan, sb.PRINTED, found(0.50 + 1.5 * tol)) == rep.WITHIN_SPREAD
    far = sb.judge(0.50, 0.01, sb.PRINTED, found(0.60, 0.002))
    assert sb.outcome(far) == rep.DEPARTS and "0.100" in far
    # a notebook's print has no std: our spread over seeds, or the tolerance, sets the gap
    assert sb.judge(0.507, np.nan, sb.NOTEBOOK, found(0.507 + 1.5 * tol)) == rep.WITHIN_SPREAD
    assert sb.judge(0.507, np.nan, sb.NOTEBOOK, found(0.507 + 3 * tol)).startswith(rep.DEPARTS)
    assert sb.judge(0.507, np.nan, sb.NOTEBOOK, found(0.507 + 3 * tol, 3 * tol)) \
        == rep.REPRODUCED
    # read off a plot: the reading's tolerance
    assert sb.judge(0.20, np.nan, sb.READ_OFF, found(0.20 - read)) == rep.REPRODUCED
    assert sb.judge(0.20, np.nan, sb.PRINTED, found(0.20 - read)) != rep.REPRODUCED
    assert sb.judge(0.20, np.nan, sb.READ_OFF, found(0.20 - 1.5 * read)) == rep.WITHIN_SPREAD
    assert sb.outcome(sb.judge(0.20, np.nan, sb.READ_OFF, found(0.20 - 3 * read))) \
        == rep.DEPARTS
    # nothing to judge
    assert sb.judge(0.5, 0.01, sb.PRINTED, None) == rep.NOT_YET
    assert sb.judge(0.5, 0.01, sb.PRINTED, found(np.nan, n=0)) == rep.NOT_YET
    with pytest.raises(ValueError, match="judged_as"):
        sb.judge(0.5, 0.01, "guessed", found(0.5))
    with pytest.raises(ValueError, match="none of"):
        sb.outcome("splendid")


def test_counts_and_departures_of_a_constructed_board():
    departs = rep.verdict(0.20, np.nan, 0.05, 0.01, tolerance=sb.READ_OFF_TOLERANCE)
    rows = [("Table 4", rep.REPRODUCED, rep.NOT_YET), ("Table 4", departs, rep.REPRODUCED),
            ("Fig. 6", rep.WITHIN_SPREAD, departs), ("Table 10", sb.NO_COUNTERPART,
                                                     sb.NO_COUNTERPART),
            ("Notebook 01", rep.REPRODUCED, rep.NOT_YET)]
    table = pd.DataFrame([{"source": s, "dataset": "ms-5", "d": "50", "model": "m",
                           "metric": "gain", "judged as": sb.READ_OFF, "paper": "0.20",
                           "stored paper-scale run": "0.05", "this build": "0.06",
                           "verdict (paper scale)": p, "verdict (this build)": b,
                           "chapter": "10_defences", "section": "Ensembles (Fig. 6)"}
                          for s, p, b in rows])
    c = sb.counts(table, "paper scale")
    assert list(c.index) == ["Table 4", "Table 10", "Fig. 6", "Notebook 01", sb.THE_PAPER,
                             sb.THE_NOTEBOOKS, "all"]
    assert c.loc["Table 4", "reproduced"] == 1 and c.loc["Table 4", "departs"] == 1
    assert c.loc[sb.THE_PAPER].tolist() == [1, 1, 1, 0, 1, 4]
    assert c.loc[sb.THE_NOTEBOOKS].tolist() == [1, 0, 0, 0, 0, 1]
    assert c.loc["all", "numbers"] == 5
    assert sb.counts(table, "this build").loc[sb.THE_PAPER, "not yet run"] == 1
    with pytest.raises(ValueError, match="scale"):
        sb.counts(table, "tomorrow")
    text = sb.departures_markdown(table)
    assert text.count("\n- ") == 1 and "(10_defences.ipynb)" in text
    assert "*Ensembles (Fig. 6)*" in text and "paper scale: 0.05" in text \
        and "this build: 0.06" in text
    calm = table.assign(**{"verdict (paper scale)": rep.REPRODUCED,
                           "verdict (this build)": rep.REPRODUCED})
    assert sb.departures_markdown(calm).startswith("No number departs")


# --------------------------------------------------------------------------------------------
# The board from the committed store
# --------------------------------------------------------------------------------------------

def test_the_board_at_paper_scale(reg, stored):
    t = sb.board(stored, stored, "paper", reg)
    assert len(t) == 319 and list(t.columns) == sb.BOARD_COLUMNS
    # every paper cell is its row of paper_numbers.csv as printed: none typed
    numbers = paper_numbers()
    printed = {str(sb.key_of(r)): format_paper(r["mean"], r["std"])
               for _, r in numbers.iterrows()}
    assert [printed[str(sb.key_of(r))] for _, r in t.iterrows()] == t["paper"].tolist()
    kinds = t["verdict (paper scale)"].map(sb.outcome)
    assert (kinds == t["verdict (this build)"].map(sb.outcome)).all()  # this build is paper
    marked = (reg["no_counterpart"] != "").to_numpy()
    assert ((kinds == sb.NO_COUNTERPART).to_numpy() == marked).all()
    # a number with a stored value has a verdict that is no 'not yet'; the rest are not yet
    has_value = t["stored paper-scale run"].str.contains(r"\(n=\d+\)")
    assert (kinds[has_value] != rep.NOT_YET).all()
    assert (kinds[~has_value & ~marked] == rep.NOT_YET).all()
    c = sb.counts(t, "paper scale")
    assert c.loc["all", "numbers"] == 319
    totals = sb.totals(t)
    assert totals["sb_paper_numbers"] + totals["sb_notebook_numbers"] == 319
    assert sum(totals[f"sb_paper_{k}"] + totals[f"sb_paper_nb_{k}"]
               for k in ("reproduced", "within", "departs", "not_yet", "none")) == 319
    # every departing number is listed, with its chapter
    text = sb.departures_markdown(t)
    assert text.count("\n- ") + text.startswith("- ") == int((kinds == rep.DEPARTS).sum())
