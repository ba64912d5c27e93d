"""The extreme-SB study's findings on fabricated metrics with known answers, each threshold at
its edge: networks that learned and read S alone, cells that did not learn, the control."""

from __future__ import annotations

import pandas as pd

from sbcore.studies.extreme_sb import findings as f


def _tidy(cells):
    return pd.DataFrame([dict(dataset=ds, d=50, model=model, seed=seed, metric=k, value=v)
                         for (ds, model, seed), values in cells.items()
                         for k, v in values.items()])


GOOD = {"standard accuracy": 1.0, "standard AUC": 1.0, "S-randomized accuracy": 0.5,
        "S-randomized AUC": 0.5, "Sc-randomized accuracy": 1.0, "Sc-randomized AUC": 1.0,
        "train accuracy": 1.0}


def test_reliance_counts_the_networks_that_learned():
    at_edge = dict(GOOD, **{"standard accuracy": f.LEARNED})
    below = dict(GOOD, **{"standard accuracy": 0.949, "Sc-randomized accuracy": 0.5})
    r = f.reliance(_tidy({("lms-5", "a", 0): at_edge, ("lms-5", "a", 1): below}))
    assert (r["n_runs"], r["n_learned"], r["n_only_S"], r["learned"]) == (2, 1, 1, 0.95)
    assert r["min_test"] == 0.949 and abs(r["sc_gap_hi"] - 0.449) < 1e-12


def test_cells_below_learned_and_the_control():
    m = _tidy({("lms-5", "a", 0): dict(GOOD, **{"standard accuracy": 0.9}),
               ("lms-5", "a", 1): dict(GOOD, **{"standard accuracy": 0.98}),
               ("ms-5-7", "b", 0): GOOD})
    assert f.not_learned(m) == [dict(dataset="lms-5", d=50, model="a", test=0.94, train=1.0)]
    c = f.control(_tidy({("lms-5", "a", 0): {"standard accuracy": f.CONTROL_LEARNED},
                         ("ms-5-7", "a", 0): {"standard accuracy": 0.989}}))
    assert [(x["dataset"], x["n"], x["learned"]) for x in c] == [("lms-5", 1, True),
                                                                ("ms-5-7", 1, False)]
