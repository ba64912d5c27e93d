"""What the plateau chapter (06_plateau) displays: the tables of the sweeps and the reruns, the
numbers it glues, and the findings its generated paragraphs are written from (``findings.py``
decides, ``prose.py`` words). No plotting here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.book.chapter import mean_std
from sbcore.paper import paper_numbers
from sbcore.studies import section
from sbcore.studies.plateau import findings
from sbcore.studies.plateau import study as pl
from sbcore.studies.plateau.findings import d_sweep, median_escape, sweep_rows

__all__ = ["d_sweep", "median_escape", "sweep_rows"]  # the figures read them from here


def trend(result) -> dict:
    """The power law of the median escape update in d (``findings.trend``) of a result."""
    return findings.trend(result.tables["runs"])


def sweeps(result) -> pd.DataFrame:
    """One row per (d, n_train) of the sweeps (reruns left out): how many of the seeds escaped
    the plateau, the median run's escape update ("never" when half or more did not escape),
    the mean ± std over the runs that escaped, how the others ended (ran into the cap, or
    memorised: met the stop rule at chance validation accuracy), and the final validation
    accuracy."""
    rows = []
    for (d, n), r in sweep_rows(result.tables["runs"]).groupby(["d", "n_train"]):
        escaped = r["escape_update"].dropna()
        median = median_escape(r["escape_update"].to_numpy(float))
        stuck = r[r["escape_update"].isna()]
        ended = [f"{k} {how}" for k, how in ((int((~stuck["memorised"]).sum()), "capped"),
                                              (int(stuck["memorised"].sum()), "memorised")) if k]
        rows.append({"d": int(d), "training points": f"{int(n):,}",
                     "escaped": f"{len(escaped)} of {len(r)}",
                     "median escape": f"{median:,.0f}" if np.isfinite(median) else "never",
                     "mean escape": mean_std(escaped, count=False, places=0),
                     "did not escape": ", ".join(ended) or "–",
                     "validation accuracy": mean_std(r["val_accuracy"], count=False)})
    return pd.DataFrame(rows)


def reruns(result) -> pd.DataFrame:
    """The two extreme-SB cells rerun (paper profile): per cell, its setting (d, model and
    sample), the cap, how many runs escaped (and memorised), and test accuracy and
    S-randomised AUC (mean ± std)."""
    runs = result.tables["runs"]
    runs = runs[runs["rerun"].fillna("") != ""]
    if not len(runs):
        return pd.DataFrame()
    m = result.tables.get("metrics")
    rows = []
    for name, r in runs.groupby("rerun", sort=False):
        escaped, memorised = int(r["escape_update"].notna().sum()), int(r["memorised"].sum())
        # d, model and sample in one wrapping column: a column each made the table wider
        # than the page's text column
        row = {"cell": name, "setting": f"d = {int(r['d'].iloc[0])}, {r['model'].iloc[0]}, "
                                        f"{int(r['n_train'].iloc[0]):,} training points",
               "cap": f"{int(r['cap'].iloc[0]):,}",
               "escaped": f"{escaped} of {len(r)}"
               + (f" ({memorised} memorised)" if memorised else "")}
        if m is not None:
            mm = m[m["rerun"] == name]
            for metric, column in (("standard accuracy", "test accuracy"),
                                   ("S-randomized AUC", "S-randomised AUC")):
                v = mm[mm["metric"] == metric]["value"]
                row[column] = mean_std(v, count=False) if len(v) else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def numbers(results, stored, profile: str) -> dict:
    """The numbers the chapter glues: the settings and this run's trend and counts
    (``results``: this run, merged; ``stored`` is not read)."""
    s = section(profile, pl.NAME)
    t = trend(results)
    return dict(cap=s["train"]["max_updates"], escape=s["escape"], n_seeds=len(s["seeds"]),
                lr=s["train"]["lr"], batch=s["train"]["batch_size"],
                model=f"({s['model'][0]},{s['model'][1]})-FCN",
                exponent=t["exponent"], at_250=t["at_250"], n_fit=len(t["fit_ds"]),
                n_censored=t["n_censored"], d_max=max(t["ds"]),
                ds=", ".join(map(str, t["ds"])), **findings.counts(results.tables["runs"]))


def stored_cells(esb_stored: dict) -> dict:
    """The two extreme-SB cells as the stored paper-scale run has them: MS-(5,7) at d = 250
    with the (2000,1)-FCN (train and test accuracy) and the S-removed control on MS-(5,7)
    (test accuracy), with the update cap they ran under. Empty where not stored."""
    out = dict(esb_cap=section("paper", "extreme_sb")["train"]["max_updates"])
    wide, control = esb_stored.get("wide"), esb_stored.get("control")
    if wide is not None:
        m = wide.metrics[(wide.metrics["dataset"] == "ms-5-7")]
        for metric, key in (("train accuracy", "wide_train"), ("standard accuracy", "wide_test")):
            v = m[m["metric"] == metric]["value"]
            if len(v):
                out[key] = mean_std(v)
    if control is not None:
        m = control.metrics[(control.metrics["dataset"] == "ms-5-7")
                            & (control.metrics["metric"] == "standard accuracy")]
        if len(m):
            out["control_test"] = mean_std(m["value"])
    return out


def stored_sweep(stored) -> bool:
    """Whether the stored paper-scale run has sweep entries (not only reruns)."""
    return stored is not None and len(d_sweep(stored.tables["runs"])) > 0


def answer(result, esb_cap: int) -> dict:
    """What a result's sweep says about the d = 250 cell (``findings.sweep_answer``)."""
    return findings.sweep_answer(result.tables["runs"], esb_cap)


def stop_accuracy() -> float:
    """The train accuracy at which the paper profile's runs stop."""
    return 1 - section("paper", pl.NAME)["train"]["eps"]


def rerun_against_cell(stored, esb_control, name: str) -> dict | None:
    """A stored rerun of the S-removed cell beside that cell (``findings.rerun_against_cell``,
    with the paper profile's settings); None until both are stored."""
    if stored is None or esb_control is None:
        return None
    esb = section("paper", "extreme_sb")
    return findings.rerun_against_cell(
        stored.tables["runs"], stored.tables["metrics"], esb_control.metrics, name,
        dataset=pl.DATASET, level=section("paper", pl.NAME)["escape"], esb_n=esb["n_train"],
        esb_cap=esb["train"]["max_updates"])


def cap_rerun(stored, esb_control) -> dict | None:
    """The ``control-long`` rerun (only the cap raised) beside its cell."""
    return rerun_against_cell(stored, esb_control, "control-long")


def sample_rerun(stored, esb_control) -> dict | None:
    """The ``control`` rerun (a larger sample and cap) beside its cell."""
    return rerun_against_cell(stored, esb_control, "control")


def wide_rerun(stored, esb_wide) -> dict | None:
    """The ``wide`` rerun beside the d = 250 cell it reruns (``findings.wide_rerun``, with the
    paper's Fig. 3b AUCs for that cell); None until both are stored."""
    if stored is None or esb_wide is None:
        return None
    runs = stored.tables["runs"]
    wide = runs[runs["rerun"].fillna("") == "wide"]
    if not len(wide):
        return None
    paper = paper_numbers("Fig. 3b")
    paper = paper[(paper["dataset"] == pl.DATASET) & (paper["d"] == int(wide["d"].iloc[0]))
                  & (paper["model"] == wide["model"].iloc[0])].set_index("metric")["mean"]
    esb = section("paper", "extreme_sb")
    return findings.wide_rerun(runs, stored.tables["metrics"], esb_wide.metrics, pl.DATASET,
                               esb_n=esb["wide_n_train"], esb_cap=esb["train"]["max_updates"],
                               paper=paper.to_dict())


def recap_findings(result, stored, esb_control=None, esb_wide=None) -> dict:
    """What the recap is written from: per run with a d sweep (this run, the stored sweep) its
    trend and the escapes per sample size, and the reruns once stored."""
    runs = [(label, r.tables["runs"]) for label, r in (("this run", result),
                                                       ("the stored paper-scale sweep", stored))
            if r is not None and len(d_sweep(r.tables["runs"]))]
    return dict(runs=[(label, findings.trend(t), findings.escaped_by_sample(t))
                      for label, t in runs],
                cap=cap_rerun(stored, esb_control), wide=wide_rerun(stored, esb_wide),
                sample=sample_rerun(stored, esb_control))
