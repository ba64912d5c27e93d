"""The toolbox study's findings on fabricated tables with known answers, each threshold at its
edge: cells that learned and read S alone, Table 6's closer reading, Table 8's filler gap and
what the Fig. 5 network reads."""

from __future__ import annotations

import pandas as pd

from sbcore.studies.toolbox import findings as f


def _cell(cell, acc, s_auc, sc_auc):
    return [dict(dataset="lms-5", d=10, cell=cell, metric=m, value=v) for m, v in (
        ("standard accuracy", acc), ("S-randomized AUC", s_auc), ("Sc-randomized AUC", sc_auc),
        ("standard AUC", 1.0))]


def test_cells_that_learned_and_read_S_alone():
    m = pd.DataFrame(_cell("a", 0.95, 0.5, 1.0) + _cell("b", 0.99, 0.8, 1.0)
                     + _cell("c", 0.94, 0.5, 1.0))  # c did not learn: not counted
    r = f.relies_on_S_alone({"table4": m, "table6": None, "fig5": m})
    assert r == dict(n_only=1, n_learned=2, all_only=False)
    one = f.relies_on_S_alone({"table4": pd.DataFrame(_cell("a", 1.0, 0.5, 1.0))})
    assert one == dict(n_only=1, n_learned=1, all_only=True)


def test_table6_reading_and_filler_gap():
    assert f.table6_reading({"lms-5": 0.010, "lms-7": 0.030}) == dict(closer="lms-5", tie=False)
    assert f.table6_reading({"lms-5": 0.0102, "lms-7": 0.010})["tie"]  # below TIE apart
    assert f.table6_verdicts({"lms-5": 0.030, "lms-7": 0.010}) == dict(
        table6_tie=False, table6_lms5_closer=False, table6_lms7_closer=True)
    assert f.table6_verdicts({"lms-5": 0.0102, "lms-7": 0.010}) == dict(
        table6_tie=True, table6_lms5_closer=False, table6_lms7_closer=False)
    assert f.table6_verdicts({"lms-5": 0.010}) == dict(  # one reading ran: no verdict
        table6_tie=False, table6_lms5_closer=False, table6_lms7_closer=False)
    effect = pd.DataFrame({"S-randomised AUC": [0.5, 0.6], "without filler": [0.52, 0.55]})
    assert abs(f.filler_gap(effect) - 0.05) < 1e-12


def test_fig5_reads_the_linear_coordinate_below_the_threshold():
    def metrics(lin1):
        return pd.DataFrame([dict(alpha=a, metric=m, value=v) for a, m, v in (
            (0.0, "S-randomized AUC", 0.6), (1.0, "S-randomized AUC", lin1),
            (1.0, "Sc-randomized AUC", 0.7), (0.0, "Sc-randomized AUC", 1.0),
            (None, "S-randomized AUC", 0.0))])  # a row without α: left out
    r = f.fig5(metrics(0.949))
    assert (r["alpha_lo"], r["alpha_hi"], r["lin_lo"], r["slab_hi"]) == (0.0, 1.0, 0.6, 0.7)
    assert r["reads_linear"] and not f.fig5(metrics(0.95))["reads_linear"]


def test_caveat_cells_at_the_learned_edge():
    cells = [dict(dataset="ms-5-7", test=f.LEARNED, met=1, runs=2),  # learned, one run short
             dict(dataset="ms-5-7", test=0.949, met=0, runs=2),
             dict(dataset="lms-5", test=1.0, met=2, runs=2)]
    assert f.not_learned(cells) == [cells[1]] and f.short_of_stop_rule(cells) == [cells[0]]
    c = f.caveats(cells, [])
    assert c["all_on_plateau"] and c["not_learned"] == ([cells[1]], [])
    assert c["plateau_explains"]
    off = f.caveats(cells, [dict(cells[2], test=0.5)])
    assert not off["all_on_plateau"] and not off["plateau_explains"]
    none = f.caveats([cells[2]], [])  # no cell that did not learn: nothing to explain
    assert none["all_on_plateau"] and not none["plateau_explains"]
