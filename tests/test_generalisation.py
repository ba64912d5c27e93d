"""The generalisation study (chapter 09): the finding at a small scale, the grid's layout and
the selection rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sbcore.data import make_dataset
from sbcore.reliance import accuracy, randomized_metrics
from sbcore.studies.generalisation import study as gs
from sbcore.studies.generalisation import views
from sbcore.training import TrainConfig, train_many


def test_noisy_lms7_settles_for_s_while_ms7_is_learnt():
    """Section 5 at CI scale: on noisy LMS-7 (p = 0.1) the network ends near 0.95 and reads S
    alone; the same network on MS-7 from the same sample size exceeds 0.98."""
    sizes = dict(n_train=8_000, n_val=0, n_test=2_000, d=20, seed=0)
    noisy = make_dataset("noisy-lms-7", p=0.1, **sizes)
    config = TrainConfig(lr=0.3, batch_size=64, momentum=0.9, weight_decay=0.0, stop="loss",
                         eps=0.01, patience=0, max_updates=1_500, eval_every=250)
    r = train_many(noisy, 100, 1, config, [0], progress=False)[0]
    m = randomized_metrics(r.scorer, noisy, "test", seed=0)
    assert accuracy(r.scorer(noisy.train.X), noisy.train.y) > 0.96  # past what S allows
    assert abs(m["standard accuracy"] - 0.95) < 0.02
    assert abs(m["S-randomized accuracy"] - 0.5) < 0.03
    assert m["Sc-randomized accuracy"] > 0.92
    ms7 = make_dataset("ms-7", **sizes)
    control = TrainConfig(lr=0.3, batch_size=256, momentum=0.9, weight_decay=5e-4,
                          stop="accuracy", eps=0.005, patience=250, max_updates=3_000,
                          eval_every=250)
    for c in train_many(ms7, 100, 1, control, [0, 1], progress=False):
        assert accuracy(c.scorer(ms7.test.X), ms7.test.y) > 0.98


def test_paper_grid_is_the_papers_180_points_per_network():
    cfgs = gs.configs("paper")
    grid = {k: v for k, v in cfgs.items() if k.startswith("grid/")}
    assert len(grid) == 6 * 4 and len(cfgs) == 6 * 4 + 6
    per_model = {}
    for cfg in grid.values():
        per_model[cfg["model"]] = per_model.get(cfg["model"], 0) + len(cfg["points"])
        assert cfg["n_train"] == 40_000 and cfg["d"] == 50 and cfg["p"] == 0.1
    assert set(per_model.values()) == {180}
    assert gs.configs("paper", seed=3)["control/(100,1)-FCN"]["seeds"] == [3, 4, 5]


def _metrics(rows):
    out = []
    for model, lr, seed, val in rows:
        keys = dict(model=model, lr=lr, batch_size=16, weight_decay=0.0, momentum=0.0, seed=seed)
        out += [dict(keys, metric="validation accuracy", value=val),
                dict(keys, metric="standard accuracy", value=val - 0.01)]
    return pd.DataFrame(out)


def test_select_takes_the_best_mean_validation_and_breaks_ties_by_grid_order():
    m = _metrics([("A", 0.3, 0, 0.95), ("A", 0.3, 1, 0.93),   # mean 0.94
                  ("A", 0.1, 0, 0.94), ("A", 0.1, 1, 0.945),  # mean 0.9425: chosen
                  ("B", 0.3, 0, 0.90), ("B", 0.1, 0, 0.90)])  # tie: the smaller lr
    chosen = gs.select(m).set_index("model")
    assert chosen.loc["A", "lr"] == 0.1 and chosen.loc["B", "lr"] == 0.1
    assert chosen.loc["A", "validation accuracy"] == pytest.approx(0.9425)
    runs = gs.chosen_runs(m)
    assert sorted(runs[runs["model"] == "A"]["seed"].unique()) == [0, 1]
    assert set(runs["lr"]) == {0.1}


def test_smoke_entries_keep_the_last_model_and_say_how_runs_ended():
    cfgs = gs.configs("smoke")
    grid = gs.compute(cfgs["grid/(16,1)-FCN/batch-16"])
    runs, metrics = grid["runs"], grid["metrics"]
    assert len(runs) == len(cfgs["grid/(16,1)-FCN/batch-16"]["points"]) * 2
    assert set(runs["ended"]) <= {"converged", "diverged", "capped"}
    assert (runs["selected_update"] == runs["updates"]).all()  # the run's last model
    assert {"validation accuracy", "S-randomized accuracy", "train accuracy"} \
        <= set(metrics["metric"])
    control = gs.compute(cfgs["control/(16,1)-FCN"])["metrics"]
    assert "S-randomized accuracy" not in set(control["metric"])  # MS-7 has no S


def test_best_linear_accuracy_and_the_table10_flag():
    assert views.best_linear_accuracy(0.1) == pytest.approx(0.95)
    assert views.best_linear_accuracy(0.5) == pytest.approx(0.75)

    class Part:  # a stand-in for runner.Merged
        def __init__(self, metrics):
            self.metrics, self.complete = metrics, True

    m = _metrics([("(300,2)-FCN", 0.3, 0, 0.95)])
    table = views.table10_view({"grid": Part(m)}, {"grid": None}).data
    paper_lr = table[("learning rate", "paper")].iloc[0]
    assert paper_lr == "1 (outside the grid)"
    assert list(table[("weight decay", "paper")]) == ["0.0005"]
    assert table[("learning rate", "this run")].iloc[0] == "0.3"
    assert np.isfinite(float(table[("validation accuracy", "this run")].iloc[0]))


def test_table2_shows_stored_controls_before_the_stored_grid_is_complete():
    """Each network's MS-7 control is its own store entry, so a stored control shows in Table
    2 while the stored grid is still partial (its chosen setting needs every grid point, so
    the grid's columns stay 'not yet run')."""
    class Part:  # a stand-in for runner.Merged
        def __init__(self, metrics, complete, provenance=None):
            self.metrics, self.complete = metrics, complete
            self.provenance = provenance or {}
            self.provenances = [self.provenance] if provenance else []

    grid = _metrics([("(100,1)-FCN", 0.1, 0, 0.95), ("(200,1)-FCN", 0.1, 0, 0.95)])
    std = grid[grid["metric"] == "standard accuracy"]
    grid = pd.concat([grid] + [std.assign(metric=m) for m in (
        "train accuracy", "Sc-randomized accuracy", "S-randomized accuracy")])
    this = {"grid": Part(grid, True),
            "control": Part(pd.DataFrame([dict(model=m, seed=0, metric="standard accuracy",
                                               value=0.99) for m in ("(100,1)-FCN",
                                                                     "(200,1)-FCN")]), True)}
    control = pd.DataFrame([dict(model="(100,1)-FCN", seed=s, metric="standard accuracy",
                                 value=v) for s, v in enumerate([1.0, 0.998, 0.996])])
    stored = {"grid": Part(_metrics([("(100,1)-FCN", 0.1, 0, 0.9)]), False),
              "control": Part(control, False, dict(device_name="cpu (x86_64, 2 cores)",
                                                   date="2026-11-27T22:08:00+00:00"))}
    reads = views.table2_view(this, stored, "quick", "reads").data
    assert not [c for c in reads.columns if c[1] == "stored"]  # the grid's: not yet run
    table = views.table2_view(this, stored, "quick").data
    column = [c for c in table.columns if c[1] == "stored"]
    assert len(column) == 1 and "MS-7" in column[0][0]  # the control's column, no grid's
    cells = table.set_index(table.columns[0])[column[0]]
    assert str(cells["(100,1)-FCN"]).startswith("0.998 ± 0.002")
    assert cells["(200,1)-FCN"] == "not yet run"
    caption = views.table2_view(this, stored, "quick").caption
    assert "cpu (x86_64, 2 cores)" in caption
    # with nothing stored, no stored column and the caption says so
    empty = views.table2_view(this, {"grid": None, "control": None}, "quick")
    assert not [c for c in empty.data.columns if c[1] == "stored"]
    assert "not yet run" in empty.caption
    with pytest.raises(ValueError, match="unknown part 'all': price, reads"):
        views.table2_view(this, stored, "quick", "all")


def test_control_runs_name_a_stored_run_that_lost_its_fit_after_the_stop_rule():
    """The control's numbers cover this run and the stored paper-scale run; a stored run below
    0.98 is listed with its final train accuracy and the update where it had met the stop rule,
    and, as it lost the fit afterwards, its learning rate and momentum (from the runs
    table)."""
    class Part:  # a stand-in for runner.Merged
        def __init__(self, rows, runs=None):
            self.metrics = pd.DataFrame(rows)
            self.tables = {"metrics": self.metrics, "runs": runs}
            self.complete, self.provenance = True, {"device_name": "cpu (x86_64, 2 cores)"}
            self.provenances = [self.provenance]

    def rows(model, values):
        return [dict(model=model, seed=s, metric=m, value=v) for s, (test, train) in
                enumerate(values) for m, v in (("standard accuracy", test),
                                               ("train accuracy", train))]

    this = {"control": Part(rows("(100,1)-FCN", [(1.0, 1.0), (0.99, 1.0)]))}
    assert views.control_runs(this) == []  # every run learned: no list
    n = views.control_numbers(this, {"control": None})
    assert n == dict(control_test="0.995 ± 0.007 (n=2)", control_stored="–", control_n_stored=0,
                     n_paper_models=6, control_stored_test="–", control_learned=0.98)
    runs = pd.DataFrame([dict(model="(100,2)-FCN", seed=s, lr=0.3, momentum=0.9,
                              stop_update=u) for s, u in enumerate([7_500, 3_000])])
    stored = {"control": Part(rows("(100,2)-FCN", [(1.0, 1.0), (0.526, 0.529)]), runs)}
    n = views.control_numbers(this, stored)
    assert (n["control_stored"], n["control_n_stored"]) == ("cpu (x86_64, 2 cores), ?", 1)
    assert n["control_stored_test"] == "0.763 ± 0.335 (n=2)"
    assert views.control_runs(this, stored) == [
        "* stored paper-scale run: (100,2)-FCN seed 1 (test 0.526, train 0.529 at the end, the "
        "stop rule met at update 3,000, learning rate 0.3 with momentum 0.9)"]
    # a run that never met the rule is named without its learning rate and momentum
    runs.loc[1, "stop_update"] = float("nan")
    assert views.control_runs(this, stored) == [
        "* stored paper-scale run: (100,2)-FCN seed 1 (test 0.526, train 0.529 at the end)"]
