"""The toolbox study (Tables 4, 6-9, Fig. 5): configs, data, the Fig. 5 interpolation, and the
chapter's tables and figures on the smoke results (computed once per session)."""

from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from sbcore.data import make_dataset
from sbcore.models import ModelSpec
from sbcore.reliance import accuracy, as_scorer
from sbcore.studies import runner
from sbcore.studies.toolbox import figures, views
from sbcore.studies.toolbox import study as tb

NONE_STORED = {part: None for part in tb.PARTS}


@pytest.fixture(scope="module")
def results(smoke_run):
    return runner.parts("toolbox", smoke_run("toolbox"))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------- configs and data

def test_paper_profile_has_every_cell_of_the_paper():
    c = tb.configs("paper")
    cells = {(cfg["part"], cfg["dataset"], cell["label"])
             for cfg in c.values() for cell in cfg.get("cells", [])}
    paper = {(p, r.dataset, r.cell) for p in views.SOURCES
             for r in views.paper_table(p).itertuples()}
    missing = {x for x in paper - cells if not (x[0] == "table4" and "FCN" in x[2])}
    assert not missing, f"paper cells with no config: {sorted(missing)[:5]}"
    assert len([k for k in c if k.startswith("table6/")]) == 9  # 3 datasets x 3 optimisers
    t7 = [cell for k, cfg in c.items() if k.startswith("table7/") for cell in cfg["cells"]]
    assert {cell["factors"]["weight_decay"] for cell in t7} == {1e-2, 1e-3, 1e-4}  # the union
    assert all(len(cfg["seeds"]) == 5 for cfg in c.values())
    assert all(len(cfg["seeds"]) >= 3 for cfg in tb.configs("quick").values())


def test_settings_reach_the_cells():
    c = tb.configs("paper")
    adam = c["table6/lms-7/Adam"]["cells"][3]
    assert adam["label"] == "(100,2)-FCN, Tanh, Adam"
    assert adam["spec"]["activation"] == "tanh" and adam["train"]["optimizer"] == "adam"
    x = c["table9/lms-7/xavier"]["cells"][2]
    assert (x["spec"]["init"], x["spec"]["init_scale"], x["label"]) == (
        "xavier", 2.0, "(100,1)-FCN, Xavier x2")
    shifted = tb.configs("paper", seed=3)["fig5/ms-7"]
    assert shifted["seeds"] == [3, 4, 5, 6, 7] and shifted["data_seed"] == 3


def test_table8_data_has_the_asked_slabs_and_uniform_filler():
    cfg = tb.configs("smoke")["table8/lms-7/(16,1)-FCN"]
    cell = next(c for c in cfg["cells"] if c["d"] == 5)
    data = tb.cell_data(cfg, cell)
    kinds = [b.kind for b in data.blocks]
    assert kinds == ["linear", "slab", "slab", "slab", "uniform"] and data.S == [0]
    Z = data.unrotate(data.train.X.astype(np.float64))
    filler = Z[:, 4]
    assert 0 <= filler.min() and filler.max() < 1  # uniform [0, 1), as the official code
    assert abs(np.corrcoef(filler, data.train.y)[0, 1]) < 0.1  # no label information


def test_with_linear_at_replaces_one_coordinate_and_keeps_the_rest():
    ms7 = make_dataset("ms-7", n_train=2_000, n_test=500, d=6, rotate=False, seed=1)
    lms7 = tb.with_linear_at(ms7, 3, seed=2)
    assert lms7.S == [3] and lms7.Sc == [0, 1, 2, 4, 5]
    keep = [0, 1, 2, 4, 5]
    assert np.array_equal(lms7.train.X[:, keep], ms7.train.X[:, keep])
    # the linear coordinate: its sign is the label
    assert np.all((lms7.train.X[:, 3] > 0) == (lms7.train.y == 1))
    with pytest.raises(ValueError, match="unrotated"):
        tb.with_linear_at(make_dataset("ms-7", 100, 100, d=4, seed=0), 0, 0)


def test_interpolation_ends_are_the_two_models():
    data = make_dataset("ms-7", n_train=10, n_test=2_000, d=8, rotate=False, seed=0)
    spec = ModelSpec.parse("(16,1)-FCN")
    slab, rand = spec.build(8, 0), spec.build(8, 1)
    torch.manual_seed(5)
    with torch.no_grad():  # make the 'slab' model differ clearly from a fresh one
        for p in slab.parameters():
            p.add_(torch.randn_like(p))

    def acc(m):
        return accuracy(as_scorer(m)(data.test.X), data.test.y)

    assert acc(tb.interpolate(slab, rand, 1.0)) == acc(slab)
    assert acc(tb.interpolate(slab, rand, 0.0)) == acc(rand)
    half = tb.interpolate(slab, rand, 0.5).state_dict()
    w = "net.0.weight" if "net.0.weight" in half else next(iter(half))
    assert torch.allclose(half[w], (slab.state_dict()[w] + rand.state_dict()[w]) / 2)


def test_least_used_coordinate_is_the_one_every_model_ignores():
    per = np.array([[0.5, 0.9, 1.0, 0.7], [0.6, 1.0, 0.99, 0.5]])
    assert tb.least_used_coordinate(per) == 2


# ---------------------------------------------------------------------------- smoke results

def test_every_cell_is_measured(results):
    for part in tb.PARTS:
        assert results[part] is not None, part
    m = results["table6"].metrics
    assert set(m["optimizer"]) == {"SGD", "Adam"} and set(m["activation"]) == {"relu", "tanh"}
    assert len(m[m["metric"] == "S-randomized AUC"]) == 2 * 2 * 2  # 2 act x 2 opt x 2 seeds
    f5 = results["fig5"].metrics
    assert set(f5["alpha"].dropna()) == {0.0, 1.0}
    assert "MS-7 accuracy before training" in set(f5["metric"])


def test_tables_put_the_paper_beside_each_cell(results):
    t6 = views.table6_view(results, NONE_STORED, "smoke").data
    assert ("SGD", "paper") not in t6.columns  # the smoke model is not the paper's
    assert set(t6[("activation", "")]) == {"ReLU", "Tanh"}
    long = views.compare(results, NONE_STORED, "table8", views.RELIANCE)
    assert (long["paper"] == "").all()  # the smoke model, (16,1), is not the paper's
    t8 = views.table8_view(results, NONE_STORED, "smoke").data
    assert sorted(t8[("filler", "")].tolist()) == [0, 0, 1]
    assert len(views.filler_effect(results)) == 1  # (5, 3) beside (4, 3)
    for view in (views.table4_view, views.table6_view, views.table7_view, views.table8_view,
                 views.table9_view):
        t = view(results, NONE_STORED, "smoke").data
        this_run = [c for c in t.columns if c[1] == "this run"]
        assert len(t) and this_run and (t[this_run] != "–").all().all(), view.__name__
    assert list(views.fig5_table(results).index) == [0.0, 1.0]


def test_a_paper_cell_meets_its_number():
    import pandas as pd

    rows = [dict(study="toolbox", part="table8", dataset="lms-7", d=5,
                 model="(100,1)-FCN", cell="(100,1)-FCN, |S^c| = 3", n_sc=3, seed=s,
                 metric="S-randomized AUC", value=v) for s, v in ((0, 0.49), (1, 0.51))]
    for f in tb.FACTORS:
        for r in rows:
            r.setdefault(f, float("nan"))
    part = type("Part", (), {"metrics": pd.DataFrame(rows)})()
    long = views.compare(dict(NONE_STORED, table8=part), NONE_STORED, "table8")
    assert long["paper"].map(str).tolist() == ["0.50 ± 0.00"]
    assert long["this run"].map(str).tolist() == ["0.500 ± 0.014 (n=2)"]
    assert long["n_sc"].tolist() == [3]


def _part(d: int, values, model="(32,7,1)-CNN"):
    """A stand-in for one stored part: Table 4 metrics of one CNN cell at dimension d."""
    import pandas as pd

    rows = [dict(study="toolbox", part="table4", dataset="lms-5", d=d, model=model,
                 cell=model, seed=s, metric="S-randomized AUC", value=v)
            for s, v in enumerate(values)]
    for r in rows:
        r.update({f: float("nan") for f in tb.FACTORS})
    return type("Part", (), {"metrics": pd.DataFrame(rows)})()


def test_table4_at_a_smaller_d_still_sits_beside_the_paper_and_the_stored_run():
    # quick runs Table 4 at d = 20; the paper and the stored run are at d = 50
    view = views.table4_view(dict(NONE_STORED, table4=_part(20, (0.49, 0.51))),
                             dict(NONE_STORED, table4=_part(50, (0.50, 0.50, 0.50))), "quick")
    long = views.compare(dict(NONE_STORED, table4=_part(20, (0.49, 0.51))),
                         dict(NONE_STORED, table4=_part(50, (0.50, 0.50, 0.50))), "table4",
                         keys=("dataset", "cell", "metric"))
    assert long["paper"].map(str).tolist() == ["0.50"]
    assert long["stored paper-scale run"].map(str).tolist() == ["0.500 ± 0.000 (n=3)"]
    assert long["this run"].map(str).tolist() == ["0.500 ± 0.014 (n=2)"]
    assert "Table 4" not in view.caption  # the chapter's markdown titles the table
    assert views.table4_d(dict(NONE_STORED, table4=_part(20, (0.49, 0.51)))) == dict(
        table4_d="20", table4_d_paper="50")


def test_table6_lms5_rows_meet_the_papers_lms7_column():
    p = views.paper_table("table6")
    lms5 = p[p["dataset"] == "lms-5"].set_index("cell")["mean"]
    lms7 = p[p["dataset"] == "lms-7"].set_index("cell")["mean"]
    assert len(lms5) == 12 and lms5.equals(lms7)


def test_numbers_and_figures(results):
    n = views.numbers(results, NONE_STORED, "smoke")
    assert n["n_runs"] == len(views.all_reliance(results))
    assert 0 <= n["s_auc_lo"] <= n["s_auc_hi"] <= 1
    assert n["n_converged"] <= n["n_all_runs"]
    assert isinstance(n["fig5_reads_linear"], bool) and isinstance(n["all_only_S"], bool)
    assert 0 <= n["n_only_S"] <= n["n_learned"] <= n["n_cells"]
    assert n["filler_gap"] >= 0 and n["table6_match"] == "–"  # smoke runs LMS-5 alone
    assert not (n["table6_tie"] or n["table6_lms5_closer"] or n["table6_lms7_closer"])
    for make in (figures.all_reliance, figures.fig5):
        assert isinstance(make(results), matplotlib.figure.Figure)


def _learned_part(accuracies, converged, updates=100_000, dataset="ms-5-7", train=None):
    """A stand-in Table 6 part: one cell, a seed per accuracy (and train accuracy, when
    given), with its runs table."""
    import pandas as pd

    keys = dict(study="toolbox", part="table6", dataset=dataset, d=50,
                model="(100,2)-FCN", cell="(100,2)-FCN, Tanh, SGD")
    metrics = pd.DataFrame([dict(keys, seed=s, metric="standard accuracy", value=a)
                            for s, a in enumerate(accuracies)]
                           + [dict(keys, seed=s, metric="train accuracy", value=a)
                              for s, a in enumerate(train or [])])
    runs = pd.DataFrame([dict(keys, seed=s, converged=c, updates=updates if not c else 9_000)
                         for s, c in enumerate(converged)])
    return type("Part", (), {"metrics": metrics, "tables": {"runs": runs}})()


def test_caveats_name_the_cells_that_did_not_learn_in_this_run_and_the_stored_one():
    learned = dict(NONE_STORED, table6=_learned_part([1.0, 1.0], [True, True]))
    stuck = dict(NONE_STORED, table6=_learned_part([0.5, 1.0, 0.5], [False, True, False]))
    assert views.caveats(learned, learned) == [] and views.caveats(learned, NONE_STORED) == []
    [note] = views.caveats(learned, stuck)
    assert note.startswith(":::{warning}\nDid not learn:\n\n") and note.endswith(":::")
    assert "this run:" not in note
    assert ("* stored paper-scale run: Table 6, MS-(5,7) (d = 50), (100,2)-FCN, Tanh, SGD: "
            "test accuracy 0.667; 1 of 3 runs met the stop rule within 100,000 updates") in note
    [both] = views.caveats(stuck, stuck)  # the paper profile: this run is the stored run
    assert both.count("* this run and the stored paper-scale run: Table 6") == 1
    assert both.count("Table 6") == 1
    lms = dict(NONE_STORED, table6=_learned_part([0.5, 0.5], [False, False], dataset="lms-5"))
    [mixed] = views.caveats(lms, stuck)
    assert "* this run: Table 6, LMS-5" in mixed


def test_caveats_note_learned_cells_whose_runs_stopped_at_the_cap_short_of_the_stop_rule():
    capped = _learned_part([0.97, 0.99], [False, True], train=[0.96, 1.0])
    assert views.short_of_stop_rule(dict(NONE_STORED, table6=capped)) == [
        "Table 6, MS-(5,7) (d = 50), (100,2)-FCN, Tanh, SGD: test accuracy 0.980, train "
        "accuracy 0.980; 1 of 2 runs met the stop rule within 100,000 updates"]
    all_met = _learned_part([0.97, 0.99], [True, True], train=[1.0, 1.0])
    stuck = _learned_part([0.5, 0.5], [False, False], train=[0.5, 0.5])
    for part in (all_met, stuck):  # every run met the rule; the cell did not learn
        assert views.short_of_stop_rule(dict(NONE_STORED, table6=part)) == []
    assert views.caveats(dict(NONE_STORED, table6=all_met), NONE_STORED) == []
    [note] = views.caveats(dict(NONE_STORED, table6=capped), NONE_STORED)
    assert note.startswith(":::{note}\nShort of the stop rule:\n\n")
    assert "* this run: Table 6" in note
    [warning, note] = views.caveats(dict(NONE_STORED, table6=stuck),
                                    dict(NONE_STORED, table6=capped))
    assert warning.startswith(":::{warning}") and "* this run: Table 6" in warning
    assert "* stored paper-scale run: Table 6" in note and "this run" not in note


def test_training_counts_a_setting_on_two_datasets_as_two_cells():
    import pandas as pd

    def runs(dataset):
        return [dict(part="table6", dataset=dataset, d=50, cell="(100,2)-FCN, Tanh, SGD",
                     seed=s, converged=s == 0, diverged=False, updates=1_000 * (s + 1),
                     wall_time_s=1.0) for s in range(2)]

    part = type("Part", (), {"tables": {"runs": pd.DataFrame(runs("lms-5") + runs("ms-5-7"))}})()
    [row] = views.training(dict(table6=part)).to_dict("records")
    assert (row["cells"], row["runs"], row["met the stop rule"]) == (2, 4, 2)
    assert row["wall time (s)"] == 4.0


def test_stored_cells_on_a_dataset_this_run_skips_get_rows_other_models_do_not():
    """Quick trains Table 4's CNN on LMS-5 only: the stored MS-(5,7) row of that CNN is
    shown (with '–' for this run); a stored model this profile never trains is not."""
    import pandas as pd

    def part(rows):
        frame = pd.DataFrame([dict(study="toolbox", part="table4", dataset=ds, d=50,
                                   model=m, cell=m, seed=0, metric="S-randomized AUC", value=0.5,
                                   **{f: float("nan") for f in tb.FACTORS}) for ds, m in rows])
        return type("Part", (), {"metrics": frame})()

    this = dict(NONE_STORED, table4=part([("lms-5", "(32,7,1)-CNN")]))
    stored = dict(NONE_STORED, table4=part([("lms-5", "(32,7,1)-CNN"), ("ms-5-7", "(32,7,1)-CNN"),
                                            ("ms-5-7", "(100,10,1)-GRU")]))
    long = views.compare(this, stored, "table4", keys=("dataset", "cell", "metric"))
    assert list(zip(long["dataset"], long["cell"], long["this run"].map(str))) == [
        ("lms-5", "(32,7,1)-CNN", "0.500 (n=1)"), ("ms-5-7", "(32,7,1)-CNN", "–")]
