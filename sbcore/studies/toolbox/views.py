"""What the toolbox chapter (05_toolbox) shows, from the study's results: the comparison
tables beside the paper's Tables 4 and 6-9, Fig. 5's numbers, and the numbers the prose glues.

Every function takes the study's parts, ``{part: runner.Merged or None}`` as ``runner.parts``
gives them, for this run (``results``) and for the stored paper-scale run (``stored``). No
plotting here (that is ``figures.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.book.chapter import compare_table, mean_std, wide_table
from sbcore.data.labels import dataset_label
from sbcore.paper import paper_numbers
from sbcore.studies import section
from sbcore.studies.toolbox import findings, prose
from sbcore.studies.toolbox import study as tb
from sbcore.studies.toolbox.settings import OPTIMIZERS

KEYS = ("dataset", "d", "cell", "metric")
RELIANCE = ["standard AUC", "S-randomized AUC", "Sc-randomized AUC"]
MS7_BEFORE = "MS-7 accuracy before training"  # Fig. 5's metric of M_alpha before training
SOURCES = {"table4": "Table 4", "table6": "Table 6", "table7": "Table 7", "table8": "Table 8",
           "table9": "Table 9"}


def _metrics(part):
    return part.metrics if part is not None else None


def paper_table(part: str) -> pd.DataFrame:
    """The paper's numbers of a part, keyed like this study's metrics (``cell`` is the
    paper's row name). Table 6's LMS-7 column is also set beside LMS-5: its header says LMS-7,
    its caption LMS-5, and both run."""
    p = paper_numbers(SOURCES[part]).rename(columns={"model": "cell"})
    if part == "table4":
        p = p[p["cell"].str.contains("CNN|GRU")]
    if part == "table6":
        p = pd.concat([p, p[p["dataset"] == "lms-7"].assign(dataset="lms-5")], ignore_index=True)
    return p


def compare(results: dict, stored: dict, part: str, metrics=None, keys=KEYS) -> pd.DataFrame:
    """paper | stored paper-scale run | this run for one part, one row per ``keys`` (dataset,
    d, cell, metric), with the cell's grid factors as columns (for the wide tables)."""
    this = results[part].metrics
    st = _metrics(stored[part])
    if st is not None:  # a stored cell this profile does not train at all (the smoke
        st = st[st["cell"].isin(this["cell"])]  # profile's small models) has no row here
    if metrics is not None:
        this = this[this["metric"].isin(metrics)]
        st = None if st is None else st[st["metric"].isin(metrics)]
    # cells this profile runs on fewer datasets (MS-(5,7) in Tables 4 and 6 is the paper
    # profile's alone) still get a row for each dataset the stored run has
    out = compare_table(paper_table(part), this, st, keys=keys, stored_rows=True)
    on = [k for k in keys if k != "metric"]
    factors = pd.concat([m for m in (this, st) if m is not None])
    factors = factors[list(dict.fromkeys(["dataset", "d", "cell", "model", *tb.FACTORS]))]
    return out.merge(factors.drop_duplicates(on), on=on, how="left")


def _label(long: pd.DataFrame) -> pd.DataFrame:
    out = long.copy()
    out["dataset"] = out["dataset"].map(dataset_label)
    return out


def table4_view(results, stored, profile):
    """Table 4: rows dataset and model; S- and S^c-randomised AUC, test accuracy."""
    # quick runs Table 4 at a smaller d (QUICK_REDUCTION): its rows sit beside the paper's
    # and the stored run's at d = 50, and the chapter's title of the table says so
    long = _label(compare(results, stored, "table4", keys=("dataset", "cell", "metric")))
    return wide_table(long, ["dataset", "model"],
                      ["S-randomized AUC", "Sc-randomized AUC", "standard accuracy"],
                      stored["table4"], profile=profile)


def table4_d(results: dict) -> dict:
    """The dimensions of Table 4's rows: this run's and the paper's (also the stored run's)."""
    def listed(ds):
        return ", ".join(str(int(d)) for d in sorted(ds.unique()))
    return dict(table4_d=listed(results["table4"].metrics["d"]),
                table4_d_paper=listed(paper_table("table4")["d"].astype(int)))


def table6_view(results, stored, profile):
    """Table 6: rows dataset and activation, a column group per optimiser (S-randomised AUC)."""
    long = _label(compare(results, stored, "table6", ["S-randomized AUC"]))
    long["activation"] = long["activation"].map(tb.ACTIVATION_NAMES)
    long["metric"] = long["optimizer"]
    return wide_table(long, ["dataset", "activation"], list(OPTIMIZERS), stored["table6"],
                      profile=profile)


def table7_view(results, stored, profile):
    """Table 7: rows model and dropout, a column group per l2 (S-randomised AUC)."""
    long = _label(compare(results, stored, "table7", ["S-randomized AUC"]))
    long["dropout"] = long["dropout"].map("{:g}".format)
    long["metric"] = long["weight_decay"].map("l2 = {:g}".format)
    groups = [f"l2 = {w:g}" for w in sorted(long["weight_decay"].unique(), reverse=True)]
    return wide_table(long, ["model", "dropout"], groups, stored["table7"],
                      profile=profile) if len(long) else None


def table8_view(results, stored, profile):
    """Table 8: rows d and |S^c|; standard, S- and S^c-randomised AUC."""
    long = _label(compare(results, stored, "table8", RELIANCE))
    long["|Sᶜ|"] = long["n_sc"].astype(int)
    long["filler"] = long["d"] - 1 - long["|Sᶜ|"]
    return wide_table(long.sort_values(["d", "|Sᶜ|"]), ["d", "|Sᶜ|", "filler"], RELIANCE,
                      stored["table8"], profile=profile)


def table9_view(results, stored, profile):
    """Table 9: rows scale, a column group per scheme (S-randomised AUC)."""
    long = _label(compare(results, stored, "table9", ["S-randomized AUC"]))
    long["metric"] = long["init"].map(tb.INIT_NAMES)
    long["scale"] = long["scale"].map("{:g}".format)
    return wide_table(long, ["scale"], list(tb.INIT_NAMES.values()), stored["table9"],
                      profile=profile)


def training(results: dict) -> pd.DataFrame:
    """Per part: cells (one per dataset, d and setting, as the chapter's count of
    configurations has them), runs, how many met the stop rule, diverged, and the updates
    run."""
    rows = []
    for part, merged in results.items():
        if merged is None:
            continue
        runs = merged.tables["runs"]
        cells = runs.groupby(["dataset", "d", "cell"]).ngroups
        rows.append({"part": part, "cells": cells, "runs": len(runs),
                     "met the stop rule": int(runs["converged"].sum()),
                     "diverged": int(runs["diverged"].sum()),
                     "updates": mean_std(runs["updates"], count=False, places=0),
                     "wall time (s)": float(runs.wall_time_s.sum())})
    return pd.DataFrame(rows)


def fig5_table(results: dict) -> pd.DataFrame:
    """Fig. 5 per alpha: MS-7 accuracy before training, and after training on LMS-7 the test
    accuracy and the S- (linear) and S^c- (7-slabs) randomised AUC (mean ± std over seeds)."""
    m = results["fig5"].metrics
    m = m[m["alpha"].notna()]
    cols = [MS7_BEFORE, "standard accuracy", "S-randomized AUC",
            "Sc-randomized AUC"]
    out = (m[m["metric"].isin(cols)].groupby(["alpha", "metric"])["value"]
           .apply(mean_std).unstack("metric")[cols])
    return out.rename(columns={"S-randomized AUC": "linear randomised AUC",
                               "Sc-randomized AUC": "7-slabs randomised AUC",
                               "standard accuracy": "LMS-7 test accuracy"})


def all_reliance(results: dict) -> pd.DataFrame:
    """Every trained configuration of Tables 4 and 6-9 (one row per cell and seed): its
    part, dataset, cell and S-randomised AUC, for the summary figure."""
    frames = [r.metrics for p, r in results.items() if r is not None and p != "fig5"]
    m = pd.concat(frames, ignore_index=True)
    m = m[m["metric"] == "S-randomized AUC"].copy()
    m["table"] = m["part"].map(SOURCES)
    return m


def not_learned(results: dict) -> list[str]:
    """The cells (any part but Fig. 5) that did not learn (``findings.not_learned``), with how
    many of their runs met the stop rule and the update cap."""
    return [prose.not_learned_line(c) for c in findings.not_learned(cell_summaries(results))]


def short_of_stop_rule(results: dict) -> list[str]:
    """The cells that learned although some of their runs stopped at the update cap short of
    the stop rule (``findings.short_of_stop_rule``), with their mean test and train accuracy."""
    return [prose.short_line(c) for c in findings.short_of_stop_rule(cell_summaries(results))]


def cell_summaries(results: dict) -> list[dict]:
    """Per cell (any part but Fig. 5): its dataset, where it is ("Table t, dataset (d = ..),
    cell"), mean test and train accuracy (NaN where not measured), and how many of its runs
    met the stop rule within the most updates any ran."""
    out = []
    for part, r in results.items():
        if r is None or part == "fig5":
            continue
        mean = r.metrics.pivot_table(index=["dataset", "d", "cell"], columns="metric",
                                     values="value", sort=False)
        runs = r.tables["runs"].groupby(["dataset", "d", "cell"], sort=False)
        for (ds, d, cell), row in mean.iterrows():
            run = runs.get_group((ds, d, cell))
            out.append(dict(dataset=ds, where=f"{SOURCES[part]}, {dataset_label(ds)} (d = {d}), "
                                              f"{cell}",
                            test=row["standard accuracy"], train=row.get("train accuracy", np.nan),
                            met=int(run["converged"].sum()), runs=len(run),
                            updates=int(run["updates"].max())))
    return out


def table6_match(results: dict) -> dict:
    """How close this run's LMS-5 and LMS-7 cells of Table 6 are to the paper's column (mean
    absolute difference of the S-randomised AUC means, over the cells the paper gives a number
    for), so the page can say which matches."""
    cell, metric = ["dataset", "d", "cell"], "S-randomized AUC"
    m = results["table6"].metrics
    ours = (m[m["metric"] == metric].groupby(cell, sort=False)["value"].mean().dropna()
            .rename("this run").reset_index())
    paper = paper_table("table6").drop_duplicates([*cell, "metric"])
    paper = paper[(paper["metric"] == metric) & paper["mean"].notna()]
    paper = paper.astype({"d": ours["d"].dtype})  # d is read as float from the CSV
    both = ours.merge(paper[[*cell, "mean"]], on=cell, how="inner")
    out = {}
    for name in ("lms-5", "lms-7"):
        sub = both[both["dataset"] == name]
        if len(sub):
            out[name] = float(np.mean(np.abs(sub["mean"] - sub["this run"])))
    return out


def filler_effect(results: dict) -> pd.DataFrame:
    """Table 8's filler: each (d, |S^c|) with filler beside its filler-free twin (d = 1 +
    |S^c|): mean S-randomised AUC and test accuracy of both."""
    m = results["table8"].metrics
    m = m[m["metric"].isin(["S-randomized AUC", "standard accuracy"])]
    mean = m.groupby(["d", "n_sc", "metric"])["value"].mean().unstack("metric")
    rows = []
    for (d, k), r in mean.iterrows():
        twin = (1 + k, k)
        if d != 1 + k and twin in mean.index:
            t = mean.loc[twin]
            rows.append({"d": int(d), "|Sᶜ|": int(k), "filler": int(d - 1 - k),
                         "S-randomised AUC": r["S-randomized AUC"],
                         "without filler": t["S-randomized AUC"],
                         "test accuracy": r["standard accuracy"],
                         "test accuracy without filler": t["standard accuracy"]})
    return pd.DataFrame(rows)


def numbers(results: dict, stored: dict, profile: str) -> dict:
    """Every number and text the chapter's prose glues, by name."""
    s = section(profile, tb.NAME)
    t = s["train"]
    rel = all_reliance(results)
    out = dict(n_train=s["n_train"], n_test=s["n_test"], d=s["d"], n_seeds=len(s["seeds"]),
               lr=t["lr"], batch=t["batch_size"], eps=t["eps"], max_updates=t["max_updates"],
               n_cells=int(rel.groupby(["part", "dataset", "d", "cell"]).ngroups),
               n_runs=len(rel), s_auc_lo=float(rel["value"].min()),
               s_auc_hi=float(rel["value"].max()),
               adam=f"learning rate {OPTIMIZERS['Adam']['lr']:g}",
               rmsprop=f"learning rate {OPTIMIZERS['RMSProp']['lr']:g}")
    sc = pd.concat([r.metrics for p, r in results.items() if r is not None and p != "fig5"])
    out.update(sc_auc_lo=float(sc[sc["metric"] == "Sc-randomized AUC"]["value"].min()))
    runs = pd.concat([r.tables["runs"] for r in results.values() if r is not None])
    out.update(n_converged=int(runs["converged"].sum()), n_all_runs=len(runs))
    match = table6_match(results)
    out["table6_match"] = (", ".join(f"{dataset_label(k)} {v:.3f}" for k, v in match.items())
                           if match else "–")
    f5 = results["fig5"].metrics
    for a in (0.0, 1.0):
        sub = f5[f5["alpha"] == a]
        for metric, name in (("S-randomized AUC", "lin"), ("Sc-randomized AUC", "slab"),
                             (MS7_BEFORE, "ms7")):
            out[f"fig5_{name}_{int(a)}"] = float(sub[sub["metric"] == metric]["value"].mean())
    out["fig5_coord"] = int(results["fig5"].tables["coordinates"]["linear_at"].iloc[0])
    out["not_learned"] = len(not_learned(results))
    out.update(**recap_numbers(results), **table4_d(results), learned=findings.LEARNED,
               plateau_explains=findings.caveats(cell_summaries(results),
                                                 cell_summaries(stored))["plateau_explains"])
    return out


def caveats(results: dict, stored: dict) -> list[str]:
    """Markdown blocks on the cells that did not learn or fell short of the stop rule, in this
    run and in the stored paper-scale run (``prose.caveats``; empty when there are none)."""
    return prose.caveats(findings.caveats(cell_summaries(results), cell_summaries(stored)))


def recap_numbers(results: dict) -> dict:
    """The recap's numbers and verdicts: how many cells that learned read S alone
    (``findings.relies_on_S_alone``), Table 6's closer reading (``findings.table6_verdicts``),
    Table 8's filler gap (``findings.filler_gap``) and what the Fig. 5 network reads from
    M_slab (``findings.fig5``)."""
    relying = findings.relies_on_S_alone(
        {p: None if r is None else r.metrics for p, r in results.items()})
    return dict(n_only_S=relying["n_only"], n_learned=relying["n_learned"],
                all_only_S=relying["all_only"], **findings.table6_verdicts(table6_match(results)),
                filler_gap=findings.filler_gap(filler_effect(results)),
                fig5_reads_linear=findings.fig5(results["fig5"].metrics)["reads_linear"])
