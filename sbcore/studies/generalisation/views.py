"""What the generalisation chapter (09_generalisation) shows, from the study's results: Table 2
and Table 10 beside the paper, how the grid's runs ended, and the numbers the prose glues.

Every function takes the study's parts, ``{part: runner.Merged or None}`` as ``runner.parts``
gives them, for this run (``results``) and for the stored paper-scale run (``stored``). A stored
grid counts only when all its entries are there (a network's choice is over its whole grid).
No plotting here (that is ``figures.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.book.chapter import compare_table, mean_std, wide_table
from sbcore.paper import paper_numbers
from sbcore.studies import section
from sbcore.studies.generalisation import findings, prose
from sbcore.studies.generalisation import study as gs

CONTROL = "MS-7 control accuracy"  # the control's test accuracy, as a column of Table 2
# Table 2 as two tables, each fitting the text column with paper | stored | this run: what
# the networks reach on noisy LMS-7 beside what they reach on MS-7, and what they read (the
# chapter's markdown titles each)
TABLE2_PARTS = {
    "price": ["standard accuracy", CONTROL],
    "reads": ["train accuracy", "Sc-randomized accuracy", "S-randomized accuracy"],
}
SETTING_NAMES = {"lr": "learning rate", "batch_size": "batch", "weight_decay": "weight decay",
                 "momentum": "momentum"}


def _complete(part):
    return part if part is not None and part.complete else None


def best_linear_accuracy(p: float) -> float:
    """What S alone allows on noisy LMS-k: the fraction p inside the margin is a coin toss."""
    return 1.0 - p / 2.0


def _table2_long(parts: dict) -> pd.DataFrame | None:
    """Table 2's tidy rows for one source: the chosen point's runs (only from a complete grid:
    the choice needs every point), and the control's test accuracy renamed ``CONTROL`` for
    every network whose control is stored (each is its own entry, complete on its own)."""
    grid, control = _complete(parts.get("grid")), parts.get("control")
    out = [gs.chosen_runs(grid.metrics)] if grid is not None else []
    if control is not None:
        c = control.metrics
        out.append(c[c["metric"] == "standard accuracy"].assign(metric=CONTROL))
    return pd.concat(out, ignore_index=True) if out else None


def _table2_stored(stored: dict):
    """The stored part the Table 2 caption names: the grid when it is complete, else the
    controls (the only stored cells the table then shows)."""
    return _complete(stored.get("grid")) or stored.get("control")


def table2_view(results: dict, stored: dict, profile: str, part: str = "price"):
    """Table 2, one of ``TABLE2_PARTS``: per network, the chosen point's test accuracy on noisy
    LMS-7 and the MS-7 control's from the same sample size (``"price"``), or its train, Sᶜ-
    and S-randomised accuracy (``"reads"``)."""
    if part not in TABLE2_PARTS:
        raise ValueError(f"unknown part {part!r}: {', '.join(TABLE2_PARTS)}")
    metrics = TABLE2_PARTS[part]
    paper = paper_numbers("Table 2")
    ctrl = paper_numbers("Sec. 5 text")
    models = list(dict.fromkeys(results["grid"].metrics["model"]))
    paper = pd.concat([paper] + [ctrl.assign(model=m, metric=CONTROL) for m in models],
                      ignore_index=True)
    this = _table2_long(results)
    st = _table2_long(stored)
    long = compare_table(paper, this, st, keys=("model", "metric"))
    return wide_table(long, ["model"], metrics, _table2_stored(stored), profile=profile)


def _setting_text(name: str, value: float) -> str:
    if name == "batch_size":
        return f"{int(value)}"
    return f"{value:g}"


def table10_view(results: dict, stored: dict):
    """Table 10: each network's chosen learning rate, batch, weight decay and momentum: the
    paper's, the stored paper-scale run's and this run's, with the validation accuracy that
    chose it. The paper's learning rate 1.00 lies outside its own grid: marked. The chapter's
    markdown titles the table."""
    paper = paper_numbers("Table 10")
    sources = {"paper": None, "stored": _complete(stored.get("grid")),
               "this run": results["grid"]}
    chosen = {k: gs.select(v.metrics).set_index("model") for k, v in sources.items()
              if v is not None}
    models = list(chosen["this run"].index)
    grid_lrs = set(section("paper", gs.NAME)["grid"]["lr"])
    rows = []
    for model in models:
        row = {("network", ""): model}
        for name, label in SETTING_NAMES.items():
            p = paper[(paper["model"] == model) & (paper["metric"] == name)]["mean"]
            text = _setting_text(name, float(p.iloc[0])) if len(p) else ""
            if name == "lr" and len(p) and float(p.iloc[0]) not in grid_lrs:
                text += " (outside the grid)"
            row[(label, "paper")] = text
            for source in ("stored", "this run"):
                if source in chosen:
                    row[(label, source)] = _setting_text(name, chosen[source].loc[model, name])
        row[("validation accuracy", "this run")] = \
            f"{chosen['this run'].loc[model, 'validation accuracy']:.3f}"
        rows.append(row)
    table = pd.DataFrame(rows)
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table.style.hide(axis="index").set_table_attributes('class="dataframe wide"')


def runs_table(results: dict) -> pd.DataFrame:
    """Per network: how the grid's runs ended (stop rule met, diverged, capped) and the best
    and the median validation accuracy over its grid points."""
    runs = results["grid"].tables["runs"]
    ended = runs.pivot_table(index="model", columns="ended", values="seed", aggfunc="size",
                             fill_value=0, sort=False)
    for col in ("converged", "diverged", "capped"):
        if col not in ended:
            ended[col] = 0
    points = gs.point_table(results["grid"].metrics).groupby("model", sort=False)
    out = ended[["converged", "diverged", "capped"]].rename(
        columns={"converged": "met the stop rule"})
    out["runs"] = out.sum(axis=1)
    out["best validation accuracy"] = points["validation accuracy"].max().round(3)
    out["median validation accuracy"] = points["validation accuracy"].median().round(3)
    return out.reset_index().rename(columns={"model": "network"})


def _span(values) -> str:
    return f"{np.min(values):.3f} to {np.max(values):.3f}"


def numbers(results: dict, stored: dict, profile: str) -> dict:
    """The values the prose glues: this run's, and the stored paper-scale run's MS-7 controls
    and whether its grid is complete (``control_numbers``)."""
    s = section(profile, gs.NAME)
    m = results["grid"].metrics
    chosen = gs.chosen_runs(m)
    points = gs.point_table(m)
    runs = results["grid"].tables["runs"]
    control = results["control"].metrics
    ctrl_test = control[control["metric"] == "standard accuracy"]["value"]

    def chosen_metric(metric):
        return chosen[chosen["metric"] == metric]["value"]

    test_means = chosen[chosen["metric"] == "standard accuracy"].groupby("model")["value"].mean()
    g = s["grid"]
    return dict(
        d=s["d"], p=s["p"], n_train=s["n_train"], n_val=s["n_val"], n_test=s["n_test"],
        n_seeds=len(s["seeds"]), n_models=len(s["models"]),
        n_points=len(g["lr"]) * len(g["batch_size"]) * len(g["weight_decay"])
        * len(g["momentum"]),
        n_runs=len(runs), n_converged=int((runs["ended"] == "converged").sum()),
        n_diverged=int((runs["ended"] == "diverged").sum()),
        n_capped=int((runs["ended"] == "capped").sum()),
        max_updates=s["train"]["max_updates"],
        best_linear=best_linear_accuracy(s["p"]),
        test_span=_span(test_means), test_mean=float(chosen_metric("standard accuracy").mean()),
        s_rand_span=_span(chosen.groupby(["model", "metric"])["value"].mean()
                          .xs("S-randomized accuracy", level="metric")),
        train_mean=float(chosen_metric("train accuracy").mean()),
        best_val=float(points["validation accuracy"].max()),
        val_span=_span(points["validation accuracy"]),
        all_test_max=float(m[m["metric"] == "standard accuracy"]["value"].max()),
        all_s_rand_max=float(m[m["metric"] == "S-randomized accuracy"]["value"].max()),
        control_min=float(ctrl_test.min()), control_mean=float(ctrl_test.mean()),
        gap_points=100 * (float(ctrl_test.mean()) - float(chosen_metric("standard accuracy")
                                                         .mean())),
        grid_stored=_complete(stored.get("grid")) is not None,
        **control_numbers(results, stored),
    )


def _control(part) -> dict | None:
    return None if part is None else findings.control_runs(part.metrics,
                                                           part.tables.get("runs"))


def control_numbers(results: dict, stored: dict) -> dict:
    """The MS-7 controls' test accuracy in this run and in the stored paper-scale run (where
    and when it ran, how many of the paper profile's networks have a stored control; '–' and 0
    where none has) and the learned level (``findings.control_runs``)."""
    from sbcore.book.chapter import stored_label

    this, part = _control(results["control"]), (stored or {}).get("control")
    kept = _control(part)
    return dict(control_test=mean_std(this["test"]),
                control_stored=stored_label(part) if part is not None else "–",
                control_n_stored=0 if part is None else part.metrics["model"].nunique(),
                n_paper_models=len(section("paper", gs.NAME)["models"]),
                control_stored_test=mean_std(kept["test"]) if kept else "–",
                control_learned=findings.CONTROL_LEARNED)


def control_runs(results: dict, stored: dict | None = None) -> list[str]:
    """The control runs that did not learn MS-7, this run's and the stored paper-scale
    run's (``prose.low_runs``; empty when every run learned)."""
    return prose.low_runs(_control(results["control"]), _control((stored or {}).get("control")))
