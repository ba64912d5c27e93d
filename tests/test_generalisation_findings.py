"""The generalisation study's control finding on fabricated tables with known answers: runs
below CONTROL_LEARNED named with their train accuracy and stop update, and the first that met
the stop rule and then lost its fit."""

from __future__ import annotations

import pandas as pd

from sbcore.studies.generalisation import findings as f
from sbcore.studies.generalisation import prose


def _metrics(values):
    return pd.DataFrame([dict(model="m", seed=s, metric=k, value=v)
                         for s, (test, train) in enumerate(values)
                         for k, v in (("standard accuracy", test), ("train accuracy", train))])


def test_control_runs_below_the_learned_level():
    m = _metrics([(0.98, 1.0), (0.979, 0.99), (0.5, 0.6), (0.6, 0.7)])
    runs = pd.DataFrame([dict(model="m", seed=s, lr=0.1 * (s + 1), momentum=0.9, stop_update=u)
                         for s, u in enumerate([100, 200, None, 400])])
    c = f.control_runs(m, runs)
    assert [r["seed"] for r in c["low"]] == [1, 2, 3]  # 0.98 itself learned
    assert c["low"][0] == dict(model="m", seed=1, test=0.979, train=0.99, stop_update=200,
                               lost_fit=None)
    assert c["low"][1]["stop_update"] is None
    # seed 1 met the rule and kept its fit (train 0.99); seed 3 met it and lost it
    assert c["low"][2]["lost_fit"] == c["collapsed"] == dict(lr=0.4, momentum=0.9)
    assert prose.low_runs(c, None) == [
        "* this run: m seed 1 (test 0.979, train 0.990 at the end, the stop rule met at update "
        "200)\n* this run: m seed 2 (test 0.500, train 0.600 at the end)\n"
        "* this run: m seed 3 (test 0.600, train 0.700 at the end, the stop rule met at update "
        "400, learning rate 0.4 with momentum 0.9)"]
    assert prose.low_runs(c, c)[0].count("* this run and the stored paper-scale run: ") == 3
    none = f.control_runs(_metrics([(1.0, 1.0)]), None)
    assert none["low"] == [] and none["collapsed"] is None
    assert prose.low_runs(none, none) == []
