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


def answer_numbers(result, esb_cap: int, prefix: str) -> dict:
    """What the chapter glues for the verdicts on a result's sweep (``findings.answer_flags``),
    each as ``prefix_name``, with the values of d each verdict is about ('' where none); all
    False where ``result`` is None or has no d sweep."""
    f = (findings.sweep_answer(result.tables["runs"], esb_cap)
         if result is not None and len(d_sweep(result.tables["runs"])) else None)
    flags = findings.answer_flags(f) if f is not None else dict.fromkeys(
        findings.answer_flags(dict(any_answer=False)), False)
    ends = f.get("endings", {}) if f is not None else {}
    ds = dict(beyond_ds=f["trend"]["beyond"] if flags["has_beyond"] else [],
              **{f"end_{how}_ds": ends.get(how, []) for how in ("memorised", "capped", "mixed")})
    out = {**flags, **{k: ", ".join(map(str, v)) for k, v in ds.items()}}
    t = f["trend"] if f is not None and f["any_answer"] else None
    fits = bool(t is not None and f["fits"])
    out.update(fits=fits, any_answer=t is not None, model=f["model"] if t else "–",
               n_text=f"{f['n']:,}" if t else "–",
               fit_ds=", ".join(map(str, t["fit_ds"])) if fits else "–",
               exponent_text=f"{t['exponent']:.2f}" if fits else "–",
               at_250_text=f"{float(format(t['at_250'], '.2g')):,.0f}" if fits else "–")
    # the numbers of the sentences that exist only where the law breaks or the spread grows:
    # '' elsewhere, so that the sentence, its words picked by the same flag, vanishes
    brk, sp = (f.get("trend_break"), f.get("spread")) if f is not None else (None, None)
    out.update(break_fit_ds=out["fit_ds"] if brk else "", break_at_250=out["at_250_text"]
               if brk else "", break_runs=str(brk["runs"]) if brk else "",
               break_cap=f"{brk['cap']:,}" if brk else "",
               std_lo=f"{sp['std_lo']:,.0f}" if sp else "", d_lo=str(sp["d_lo"]) if sp else "",
               std_hi=f"{sp['std_hi']:,.0f}" if sp else "", d_hi=str(sp["d_hi"]) if sp else "",
               spread_cap=f"{esb_cap:,}" if sp else "")
    return {f"{prefix}_{k}": v for k, v in out.items()}


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


def recap_findings(result, stored) -> dict:
    """What the recap is written from: per run with a d sweep (this run, the stored sweep) its
    trend and the escapes per sample size."""
    runs = [(label, r.tables["runs"]) for label, r in (("this run", result),
                                                       ("the stored paper-scale sweep", stored))
            if r is not None and len(d_sweep(r.tables["runs"]))]
    return dict(runs=[(label, findings.trend(t), findings.escaped_by_sample(t))
                      for label, t in runs])


def _glued(prefix: str, c: dict | None, keys: dict) -> dict:
    """``keys`` (name -> value when nothing is stored) of a findings dict, each glued as
    ``prefix_name``; the fallback values where the rerun is not stored."""
    out = {f"{prefix}_{k}": (c[k] if c is not None else v) for k, v in keys.items()}
    return {k: np.nan if v is None else v for k, v in out.items()}


_CELL = dict(model="–", n=0, esb_n=0, cap=0, median=np.nan)
_RERUN = dict(_CELL, a=0, na=0, b=0, nb=0, learned=False, sample_lever=False,
              both_levers=False, memorised_lever=False, short=False, one_stuck=False,
              any_stuck=False, stuck=0, memorised=0, stuck_train=np.nan, stuck_val=np.nan)
_WIDE = dict(_CELL, d=0, escaped=0, runs=0, within_old_cap=False, reproduced=False, open=False,
             paper_s_auc=np.nan, paper_sc_auc=np.nan)


def _rerun_glue(prefix: str, c: dict | None, keys: dict) -> dict:
    out = _glued(prefix, c, keys)
    spread = ("after",) if "a" in keys else ("test", "s_auc", "sc_auc")
    for k in spread:
        out[f"{prefix}_{k}"] = mean_std(c[k], count=False) if c is not None else "–"
    out[f"{prefix}_ratio"] = c["n"] / c["esb_n"] if c is not None else np.nan
    return out


def rerun_numbers(stored, esb_parts: dict) -> dict:
    """The numbers and verdicts the chapter glues for the three reruns beside their cells:
    ``wr_`` the wide rerun, ``sr_`` the control rerun (a larger sample), ``cr_`` the
    control-long rerun (only the cap raised); ``reruns_stored`` whether all three are."""
    wide = wide_rerun(stored, esb_parts.get("wide"))
    out = {**_rerun_glue("wr", wide, _WIDE),
           **_rerun_glue("sr", sample_rerun(stored, esb_parts.get("control")), _RERUN),
           **_rerun_glue("cr", cap_rerun(stored, esb_parts.get("control")), _RERUN)}
    before = wide["before"] if wide is not None else {"train": [], "test": []}
    out.update(wr_before_train=mean_std(before["train"], count=False),
               wr_before_test=mean_std(before["test"], count=False),
               wr_s_auc_mean=float(np.mean(wide["s_auc"])) if wide is not None else np.nan,
               wr_sc_auc_mean=float(np.mean(wide["sc_auc"])) if wide is not None else np.nan,
               wr_sweep_never=bool(wide is not None and wide["sweep_never"]),
               stop_acc=stop_accuracy(), learn_level=section("paper", pl.NAME)["escape"],
               reruns_stored=all(out[f"{p}_model"] != "–" for p in ("wr", "sr", "cr")))
    at_d = sweep_rows(stored.tables["runs"]) if stored is not None else None
    at_d = at_d[at_d["d"] == out["wr_d"]] if at_d is not None else []
    out.update(wr_sweep_model=at_d["model"].iloc[0] if len(at_d) else "–",
               wr_sweep_n=int(at_d["n_train"].max()) if len(at_d) else 0,
               wr_sweep_cap=int(at_d["cap"].max()) if len(at_d) else 0)
    return out
