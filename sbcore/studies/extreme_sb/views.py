"""What the extreme simplicity bias chapter shows, from the study's results: the comparison
tables, the numbers the prose glues (``numbers``), and the notes written from them (the
caveat on cells that did not learn, the verdict of the S-removed control, the profile notes).

Every function takes the study's parts, ``{part: runner.Merged or None}`` as
``runner.parts`` gives them, for this run (``results``) and for the stored paper-scale run
(``stored``). No plotting here (that is ``figures.py``).
"""

from __future__ import annotations

import pandas as pd

from sbcore.book.chapter import compare_table, mean_std, plural, wide_table
from sbcore.data.labels import dataset_label
from sbcore.models import model_label
from sbcore.studies import section
from sbcore.studies.extreme_sb import findings, prose
from sbcore.studies.extreme_sb import study as esb

DATASETS = ("lms-5", "ms-5-7")  # the paper's two datasets of section 4.2, in its order
KEYS = ("dataset", "d", "model", "metric")
CELL = ["dataset", "d", "model"]
ORDER = ["train accuracy", "standard accuracy", "standard AUC", "S-randomized accuracy",
         "S-randomized AUC", "Sc-randomized accuracy", "Sc-randomized AUC"]
CONTROL_METRICS = ["train accuracy", "standard accuracy"]

def per_seed(metrics: pd.DataFrame, metric: str) -> pd.Series:
    """The per-seed values of one metric."""
    return metrics[metrics["metric"] == metric]["value"]


def _metrics(part):
    """A part's metrics, or None for a part that is not stored."""
    return part.metrics if part is not None else None


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

def compare(results: dict, stored: dict, part: str, profile: str,
            metrics=ORDER) -> pd.DataFrame:
    """paper | stored paper-scale run | this run, for one part and the given metrics, one row
    per (dataset, d, model, metric); cells that only the stored paper-scale run has (a reduced
    profile skips them) are listed too, with 'not run at <profile>' as this run."""
    this = results[part].metrics
    this = this[this["metric"].isin(metrics)]
    st = _metrics(stored[part])
    paper = esb.paper_table(part, profile)
    out = compare_table(paper, this, st, keys=KEYS)
    if st is not None:
        st = st[st["metric"].isin(metrics)]
        only = st.merge(this[CELL].drop_duplicates(), on=CELL, how="left", indicator=True)
        only = only[only["_merge"] == "left_only"].drop(columns="_merge")
        if len(only):
            extra = compare_table(paper, only, only, keys=KEYS)
            extra["this run"] = f"not run at {profile}"
            out = pd.concat([out, extra], ignore_index=True)
    out["metric"] = pd.Categorical(out["metric"], [m for m in ORDER if m in metrics])
    out = out.sort_values(["dataset", "model", "metric"]).reset_index(drop=True)
    out["dataset"] = out["dataset"].map(dataset_label)
    out["metric"] = out["metric"].astype(str)
    return out


# The wide tables of a part: their metrics, the paper's metrics first (what the networks rely
# on, how well they learned, the accuracy with S or Sᶜ randomised: the chapter names them).
# Two or three metric groups per table keep each one within the text column.
# The main and wide parts leave train accuracy (no paper number) to the training table
# (``MAIN_METRICS``); the control's table keeps it.
GROUPS = (["S-randomized AUC", "Sc-randomized AUC"],
          ["train accuracy", "standard accuracy", "standard AUC"],
          ["S-randomized accuracy", "Sc-randomized accuracy"])
MAIN_METRICS = [m for m in ORDER if m != "train accuracy"]


def compare_view(results: dict, stored: dict, part: str, profile: str,
                 metrics=MAIN_METRICS) -> list:
    """``compare`` as the page shows it: wide tables (rows dataset and model, a column group
    per metric with paper | stored | this run), one per group of ``GROUPS`` that has metrics
    among ``metrics``; d is a row key only where it varies, else it heads the caption."""
    long = compare(results, stored, part, profile, metrics)
    rows = ["dataset", "d", "model"] if long["d"].nunique() > 1 else ["dataset", "model"]
    at_d = "" if "d" in rows else f"d = {long['d'].iloc[0]}"
    out = []
    for group in GROUPS:
        group = [m for m in group if m in metrics]
        if group:
            out.append(wide_table(long, rows, group, stored[part], at_d, profile))
    return out


WALL = "wall_time_s"  # the runs table's wall time of a group of seeds trained together


def training(results: dict) -> pd.DataFrame:
    """Per dataset and model of the main part: seeds, how many met the stop rule, their
    updates (mean ± std), the wall time of the group of seeds trained together and the
    train accuracy of the kept checkpoints (mean ± std)."""
    runs = results["main"].tables["runs"]
    out = runs.groupby(["dataset", "model"], sort=False).agg(
        seeds=("seed", "count"), converged=("converged", "sum"),
        updates=("updates", lambda u: mean_std(u, count=False, places=0)),
        **{WALL: (WALL, "max")}).reset_index()
    m = results["main"].metrics
    train = (m[m["metric"] == "train accuracy"].groupby(["dataset", "model"], sort=False)
             ["value"].apply(mean_std, count=False).rename("train accuracy").reset_index())
    out = out.merge(train, on=["dataset", "model"], how="left")
    out["dataset"] = out["dataset"].map(dataset_label)
    return out


def training_view(results: dict):
    return (training(results).style.hide(axis="index")
            .format({WALL: "{:.1f}"}).relabel_index(
                ["dataset", "model", "seeds", "met the stop rule", "updates", "wall time (s)",
                 "train accuracy"], axis="columns"))


def coordinates(results: dict, stored: dict, profile: str) -> pd.DataFrame:
    """paper | stored | this run for the per-coordinate summary (``study.COORDINATE_METRICS``)."""
    this = esb.coordinate_summary(results["main"])
    st = esb.coordinate_summary(stored["main"]) if stored["main"] is not None else None
    out = compare_table(esb.paper_table("main", profile), this, st, keys=KEYS)
    out["dataset"] = out["dataset"].map(dataset_label)
    return out


def coordinates_view(results: dict, stored: dict, profile: str) -> list:
    """``coordinates`` as two wide tables (rows dataset and model): the accuracies, then the
    gradient ratio."""
    long = coordinates(results, stored, profile)
    accuracy, ratio = list(esb.COORDINATE_METRICS[:2]), list(esb.COORDINATE_METRICS[2:])
    return [wide_table(long, ["dataset", "model"], metrics, stored["main"], profile=profile)
            for metrics in (accuracy, ratio)]


# --------------------------------------------------------------------------------------------
# Notes written from the numbers
# --------------------------------------------------------------------------------------------

def caveats(results: dict, stored: dict, part: str) -> list[str]:
    """The warning listing the cells of a part that did not learn, in this run and in the
    stored paper-scale run (``prose.caveats``; empty when every cell learned: ``numbers``
    glues that as <part>_learned, and the chapter says what the list means)."""
    return prose.caveats(findings.not_learned(results[part].metrics),
                         findings.not_learned(_metrics(stored[part])))


def control_verdict(results: dict, stored: dict) -> str:
    """One markdown bullet per run, dataset and model of the S-removed control
    (``prose.control_verdict``)."""
    return prose.control_verdict(
        [(label, findings.control(part.metrics)) for label, part in (
            ("this run", results["control"]), ("stored paper-scale run", stored["control"]))
         if part is not None])


def stored_from(stored: dict) -> dict:
    """Whether a paper-scale run is stored, where and when it was computed
    (``prose.stored_where``; empty when none is) and whether some of its entries are not
    stored yet, under their glued names."""
    provenances = [p.provenance for p in stored.values() if p is not None]
    complete = all(p is not None and p.complete for p in stored.values())
    return dict(has_stored=bool(provenances), stored_where=prose.stored_where(provenances),
                stored_partial=bool(provenances) and not complete)


# --------------------------------------------------------------------------------------------
# The numbers of the prose
# --------------------------------------------------------------------------------------------

def settings_numbers(profile: str) -> dict:
    """The setup the prose describes: sizes, seeds, models and training recipe."""
    s = section(profile, "extreme_sb")
    t = s["train"]
    return dict(
        n_train=s["n_train"], n_val=s["n_val"], n_test=s["n_test"], n_seeds=len(s["seeds"]),
        d=s["d"], d_wide=s["d_wide"], n_sc_wide=s["d_wide"] - 1,
        n_wide_seeds=len(s["wide_seeds"]), wide_seeds=plural(len(s["wide_seeds"]), "seed"),
        n_control_seeds=len(s["control_seeds"]),
        control_seeds=plural(len(s["control_seeds"]), "seed"),
        lr=t["lr"], batch=t["batch_size"], wd=t["weight_decay"], eps=t["eps"],
        patience=t["patience"], max_updates=t["max_updates"],
        models=", ".join(model_label(w, dep) for w, dep in s["models"]),
        control_models=", ".join(model_label(w, dep) for w, dep in s["control_models"]),
        small=model_label(*s["boundary_model"]))


def numbers(results: dict, stored: dict, profile: str) -> dict:
    """Every number and text the chapter's prose glues, by name."""
    out = settings_numbers(profile)
    main = results["main"]
    out.update(findings.reliance(main.metrics))
    wm = results["wide"].metrics
    pc = main.tables["per_coordinate"]
    out.update(wide_s_auc=mean_std(per_seed(wm, "S-randomized AUC")),
               wide_sc_auc=mean_std(per_seed(wm, "Sc-randomized AUC")),
               coord_sc_min=float(pc[~pc["in_S"]]["accuracy"].min()),
               coord_s_max=float(pc[pc["in_S"]]["accuracy"].max()))
    cm = results["control"].metrics
    for name in DATASETS:
        accs = per_seed(cm[cm["dataset"] == name], "standard accuracy")
        out[f"control_{name.replace('-', '')}"] = mean_std(accs)
    cr = results["control"].tables["runs"]
    out["control_converged"] = int(cr["converged"].sum())
    out["control_runs"] = len(cr)
    hist = main.tables["history"]
    hist = hist[hist["model"] == out["small"]]
    out["dyn_gap"] = float((hist["standard accuracy"] - hist["Sc-randomized accuracy"]).max())
    out.update(toy_numbers(results["toy"]))
    out.update(stored_from(stored), **{f"{part}_learned": findings.all_learned(
        results[part].metrics, _metrics(stored[part])) for part in ("main", "wide")})
    return out


def toy_numbers(toy) -> dict:
    """Fig. 1 at d = 2: the networks' count and model, and their standard, S- and
    S^c-randomised test accuracy (mean ± std over seeds)."""
    m = toy.metrics
    return dict(toy_seeds=int(m["seed"].nunique()), toy_model=m["model"].iloc[0],
                toy_d=int(m["d"].iloc[0]),
                toy_acc=mean_std(per_seed(m, "standard accuracy"), count=False),
                toy_s_acc=mean_std(per_seed(m, "S-randomized accuracy"), count=False),
                toy_sc_acc=mean_std(per_seed(m, "Sc-randomized accuracy"), count=False))
