"""The extreme simplicity bias chapter's tables, glued numbers, notes and figures
(``sbcore.studies.extreme_sb.views`` and ``figures``): on the smoke results, computed once,
and on hand-made metrics with known answers."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import matplotlib.figure
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from sbcore.book import viz
from sbcore.book.inline_values import inline_names
from sbcore.studies import notes, runner, section
from sbcore.studies.extreme_sb import figures, findings, prose, settings, views
from sbcore.studies.extreme_sb import study as esb

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "03_extreme_sb.py"
NONE_STORED = {part: None for part in esb.PARTS}


@pytest.fixture(scope="module")
def results(smoke_run):
    return runner.parts("extreme_sb", smoke_run("extreme_sb"))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def part(metrics=None, runs=None, provenance=None, complete=True, **tables):
    """A stand-in for runner.Merged: tables, metrics, provenance, complete."""
    tables = dict(tables, metrics=metrics if metrics is not None else pd.DataFrame(),
                  runs=runs if runs is not None else pd.DataFrame())
    return SimpleNamespace(tables=tables, metrics=tables["metrics"],
                           provenance=provenance or {}, complete=complete)


def tidy(cells: dict) -> pd.DataFrame:
    """{(dataset, model, seed): {metric: value}} -> tidy metric rows at d = 50."""
    return pd.DataFrame([dict(study="extreme_sb", dataset=ds, d=50, model=m, seed=s,
                              metric=k, value=v)
                         for (ds, m, s), values in cells.items() for k, v in values.items()])


def cells(metrics: pd.DataFrame) -> int:
    return len(metrics[["dataset", "d", "model"]].drop_duplicates())


# ---------------------------------------------------------------------------- tables

def test_compare_has_one_row_per_cell_and_metric(results):
    t = views.compare(results, NONE_STORED, "main", "smoke")
    assert list(t.columns) == ["dataset", "d", "model", "metric", "paper",
                               "stored paper-scale run", "this run"]
    assert len(t) == cells(results["main"].metrics) * len(views.ORDER)
    assert set(t["dataset"]) == {"LMS-5", "MS-(5,7)"}
    assert set(t["metric"]) == set(views.ORDER)
    assert (t["stored paper-scale run"] == "not yet run").all()
    assert t["this run"].map(str).str.contains("±").all()
    control = views.compare(results, NONE_STORED, "control", "smoke", views.CONTROL_METRICS)
    assert set(control["metric"]) == set(views.CONTROL_METRICS)
    assert len(control) == cells(results["control"].metrics) * 2
    tables = views.compare_view(results, NONE_STORED, "wide", "smoke")
    assert len(tables) == len(views.GROUPS)
    assert sum(len(t.data.columns.levels[0]) - 2 for t in tables) == len(views.MAIN_METRICS)
    assert all(len(t.data) == cells(results["wide"].metrics) for t in tables)


def test_compare_lists_the_cells_only_the_stored_run_has(results):
    m = results["main"].metrics
    extra = m[m["model"] == m["model"].iloc[0]].assign(model="(999,1)-FCN")
    stored = dict(NONE_STORED, main=part(pd.concat([m, extra], ignore_index=True)))
    t = views.compare(results, stored, "main", "smoke")
    only = t[t["model"] == "(999,1)-FCN"]
    assert len(only) == cells(extra) * len(views.ORDER)
    assert (only["this run"] == "not run at smoke").all()
    assert (t[t["model"] != "(999,1)-FCN"]["stored paper-scale run"] != "not yet run").all()


def test_training_table_counts_the_seeds(results):
    runs = results["main"].tables["runs"]
    t = views.training(results)
    assert list(t.columns) == ["dataset", "model", "seeds", "converged", "updates",
                               "wall_time_s", "train accuracy"]
    assert t["train accuracy"].str.match(r"\d\.\d{3}").all()
    assert len(t) == len(runs[["dataset", "model"]].drop_duplicates())
    assert t["seeds"].sum() == len(runs) and t["converged"].sum() == runs["converged"].sum()
    assert len(views.training_view(results).data) == len(t)


def test_coordinate_table_names_the_summary_metrics(results):
    t = views.coordinates(results, NONE_STORED, "smoke")
    assert set(t["metric"]) == set(esb.COORDINATE_METRICS)
    assert len(t) == cells(results["main"].metrics) * len(esb.COORDINATE_METRICS)
    accuracy, ratio = views.coordinates_view(results, dict(NONE_STORED, main=results["main"]),
                                             "smoke")
    assert len(accuracy.data) == len(ratio.data) == cells(results["main"].metrics)
    assert "lowest Sᶜ coordinate randomised accuracy" in accuracy.data.columns.get_level_values(0)


# ---------------------------------------------------------------------------- numbers

def test_numbers_agree_with_the_metrics(results):
    nums = views.numbers(results, NONE_STORED, "smoke")
    m = results["main"].metrics
    acc = m[m["metric"] == "standard accuracy"]["value"]
    assert nums["min_test"] == acc.min()
    assert nums["n_runs"] == len(results["main"].tables["runs"]) == len(acc)
    assert nums["n_learned"] == (acc >= findings.LEARNED).sum()
    assert 0 <= nums["n_only_S"] <= nums["n_learned"]
    s_auc = m[m["metric"] == "S-randomized AUC"]["value"]
    assert (nums["s_auc_lo"], nums["s_auc_hi"]) == (s_auc.min(), s_auc.max())
    pc = results["main"].tables["per_coordinate"]
    assert nums["coord_s_max"] == pc[pc["in_S"]]["accuracy"].max()
    assert nums["coord_sc_min"] == pc[~pc["in_S"]]["accuracy"].min()
    s = section("smoke", "extreme_sb")
    assert (nums["d"], nums["n_train"], nums["n_sc_wide"]) == (s["d"], s["n_train"],
                                                               s["d_wide"] - 1)
    assert nums["small"] == "(20,1)-FCN"
    assert nums["control_runs"] == len(results["control"].tables["runs"])
    assert nums["control_lms5"].endswith(f"(n={len(s['control_seeds'])})")
    hist = results["main"].tables["history"]
    hist = hist[hist["model"] == nums["small"]]
    assert nums["dyn_gap"] == pytest.approx(
        (hist["standard accuracy"] - hist["Sc-randomized accuracy"]).max())
    assert (nums["has_stored"], nums["stored_where"], nums["stored_partial"]) == (False, "", False)
    assert isinstance(nums["main_learned"], bool) and isinstance(nums["wide_learned"], bool)


def test_every_glued_name_of_the_chapter_is_a_number(results):
    glued = inline_names(CHAPTER.read_text())
    assert glued and glued <= set(views.numbers(results, NONE_STORED, "smoke"))


def test_reliance_numbers_on_known_networks():
    good = {"standard accuracy": 1.0, "standard AUC": 1.0, "S-randomized accuracy": 0.5,
            "S-randomized AUC": 0.52, "Sc-randomized accuracy": 0.98, "Sc-randomized AUC": 0.99}
    uses_sc = dict(good, **{"Sc-randomized AUC": 0.8, "Sc-randomized accuracy": 0.7})
    chance = dict(good, **{"standard accuracy": 0.5, "Sc-randomized accuracy": 0.5})
    nums = findings.reliance(tidy({("lms-5", "a", 0): good, ("lms-5", "a", 1): uses_sc,
                                        ("ms-5-7", "a", 0): chance}))
    assert (nums["n_runs"], nums["n_learned"], nums["n_only_S"]) == (3, 2, 1)
    assert nums["min_test"] == 0.5 and nums["learned"] == findings.LEARNED
    assert nums["sc_gap_hi"] == pytest.approx(0.3)
    assert nums["s_auc_hi"] == 0.52 and nums["sc_auc_lo"] == 0.8


def test_plural():
    assert prose.plural(1, "seed") == "1 seed" and prose.plural(2, "seed") == "2 seeds"
    assert views.settings_numbers("quick")["wide_seeds"] == "1 seed"


# ---------------------------------------------------------------------------- notes

def test_not_learned_flags_only_cells_below_the_threshold():
    below, above = findings.LEARNED - 0.01, findings.LEARNED + 0.01
    m = tidy({("lms-5", "a", 0): {"standard accuracy": below, "train accuracy": 1.0},
              ("lms-5", "a", 1): {"standard accuracy": below, "train accuracy": 0.98},
              ("ms-5-7", "b", 0): {"standard accuracy": above, "train accuracy": 1.0}})
    lines = prose.not_learned(findings.not_learned(m))
    assert lines == [f"LMS-5 (d = 50, a): test accuracy {below:.3f}, train accuracy 0.990"]
    at = tidy({("lms-5", "a", 0): {"standard accuracy": findings.LEARNED,
                                   "train accuracy": 1.0}})
    assert findings.not_learned(at) == [] and findings.not_learned(None) == []  # at the edge
    assert findings.all_learned(at, None) is True and findings.all_learned() is True
    assert findings.all_learned(at, m) is False and findings.all_learned(None, m) is False


def test_caveats_name_this_run_and_the_stored_run():
    ok = tidy({("lms-5", "a", 0): {"standard accuracy": 1.0, "train accuracy": 1.0}})
    bad = tidy({("ms-5-7", "b", 0): {"standard accuracy": 0.6, "train accuracy": 1.0}})
    assert views.caveats({"main": part(ok)}, {"main": part(ok)}, "main") == []
    assert views.caveats({"main": part(ok)}, {"main": None}, "main") == []
    [note] = views.caveats({"main": part(bad)}, {"main": part(bad)}, "main")
    assert note == (":::{warning}\n* this run and the stored paper-scale run: MS-(5,7) (d = 50, "
                    "b): test accuracy 0.600, train accuracy 1.000\n:::")
    # at the paper profile this run is the stored run: the cell is named once, for both
    assert note.count("MS-(5,7)") == 1
    assert "* this run and the stored paper-scale run: MS-(5,7) (d = 50, b): test accuracy 0.600" \
        in note
    worse = tidy({("ms-5-7", "b", 0): {"standard accuracy": 0.5, "train accuracy": 1.0}})
    [both] = views.caveats({"main": part(bad)}, {"main": part(worse)}, "main")
    assert "* this run: MS-(5,7) (d = 50, b): test accuracy 0.600" in both
    assert "* stored paper-scale run: MS-(5,7) (d = 50, b): test accuracy 0.500" in both
    [only_stored] = views.caveats({"main": part(ok)}, {"main": part(bad)}, "main")
    assert "this run:" not in only_stored


def test_sourced_bullets_name_a_line_both_runs_give_once():
    from sbcore.book.chapter import sourced_bullets

    assert sourced_bullets([], []) == []
    assert sourced_bullets(["a", "b"], ["b", "c"]) == [
        "* this run: a", "* this run and the stored paper-scale run: b",
        "* stored paper-scale run: c"]


def test_control_verdict_on_known_accuracies():
    hi, lo = findings.CONTROL_LEARNED + 0.005, findings.CONTROL_LEARNED - 0.2
    this = tidy({("lms-5", "a", 0): {"standard accuracy": hi},
                 ("lms-5", "a", 1): {"standard accuracy": hi},
                 ("ms-5-7", "a", 0): {"standard accuracy": lo}})
    text = views.control_verdict({"control": part(this)}, {"control": None})
    assert text.splitlines() == [
        f"* this run, LMS-5, a: test accuracy {hi:.3f} (2 seeds): the complex coordinates "
        "were learned.",
        f"* this run, MS-(5,7), a: test accuracy {lo:.3f} (1 seed): **not** learned with "
        "this recipe."]
    both = views.control_verdict({"control": part(this)}, {"control": part(this)})
    assert len(both.splitlines()) == 4 and both.splitlines()[2].startswith("* stored")


def test_stored_from_says_device_and_date():
    prov = dict(device_name="NVIDIA H100 80GB HBM3", date="2026-11-27T04:40:24+00:00")
    stored = {p: part(provenance=prov) for p in esb.PARTS}
    assert views.stored_from(stored) == dict(
        has_stored=True, stored_where="NVIDIA H100 80GB HBM3 on 2026-11-27", stored_partial=False)
    partial = dict(stored, wide=None)
    assert views.stored_from(partial)["stored_partial"] is True
    assert views.stored_from(NONE_STORED) == dict(has_stored=False, stored_where="",
                                                  stored_partial=False)
    other = dict(stored, wide=part(provenance=dict(device_name="cpu", date="2026-11-28")))
    assert views.stored_from(other)["stored_where"] == ("NVIDIA H100 80GB HBM3 and cpu on "
                                                        "2026-11-27 and 2026-11-28")


def test_profile_notes():
    assert len(notes.profile_notes("extreme_sb", "paper")) == 1
    choices, quick = notes.profile_notes("extreme_sb", "quick")
    assert all(f"*{k}*" in choices for k in settings.CHOICES)
    assert quick.startswith("**Reductions of the quick profile.**")
    assert "d = 10" in notes.profile_notes("extreme_sb", "smoke")[1]


# ---------------------------------------------------------------------------- figures

def test_figures_have_one_panel_per_dataset(results):
    main = results["main"]
    n_data = main.metrics["dataset"].nunique()
    n_cells = len(main.tables["per_coordinate"][["dataset", "model"]].drop_duplicates())
    for fig, n_axes in ((figures.randomized_aucs(results), n_data),
                        (figures.logit_histograms(main, "(20,1)-FCN"), n_data),
                        (figures.decision_boundaries(main, "(20,1)-FCN"), n_data),
                        (figures.per_coordinate(main), n_cells),
                        (figures.dynamics(main, "(20,1)-FCN"), n_data)):
        assert isinstance(fig, matplotlib.figure.Figure)
        assert len(fig.axes) == n_axes
        # drawn for the text column: never wider than it (wider panels wrap into rows)
        assert fig.get_figwidth() <= viz.COLUMN_IN + 1e-9
    assert sum(ax.get_visible() for ax in figures.per_coordinate(main).axes) == n_cells
    html = figures.dynamics_animation(main, "(20,1)-FCN", frames=2)
    assert "<script" in html and "font-awesome" not in html
