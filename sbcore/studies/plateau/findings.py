"""What the plateau study finds, as numbers and named booleans: the escape medians per d, the
power-law trend and where it breaks, how the runs that never escaped ended, the sample-size
lever, and the reruns of the two extreme-SB cells against those cells. Pure functions of
tables (runs, metrics); the chapter's words are in the chapter and in ``prose.py``."""

from __future__ import annotations

import numpy as np
import pandas as pd

# A power law needs two values of d whose median run escaped.
MIN_FIT_DS = 2
# "Most runs": strictly more than this share of them.
MOST = 0.5
# Randomising S leaves a network at chance when its S-randomised AUC is this close to 0.5.
S_AUC_CHANCE_BAND = 0.05
# Randomising the other coordinates "costs little" when the Sc-randomised AUC stays this high.
SC_AUC_KEPT = 0.8
# The law breaks at d = 250 only if no run there escaped within a cap this many times its
# extrapolation there (a shorter cap proves little).
BREAK_FACTOR = 2
# The d the extreme-SB chapter's wide cell runs at: the trend is extrapolated to it.
D_CELL = 250


def _most(k: int, n: int) -> bool:
    return k > MOST * n


def sweep_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows (runs or history) of the sweeps over d and sample size: the reruns left out."""
    return table[table["rerun"].fillna("") == ""]


def d_sweep(table: pd.DataFrame) -> pd.DataFrame:
    """The rows (runs or history) of the sweep over d: not reruns, and at the sample size
    that most values of d share (the sample-size sweep adds others at some d)."""
    table = sweep_rows(table)
    if not len(table):
        return table
    n = table.groupby("n_train")["d"].nunique().idxmax()
    return table[table["n_train"] == n]


def median_escape(escape_updates) -> float:
    """The middle run's escape update (the lower middle one for an even count), with runs
    that did not escape counted as escaping after every run that did: inf when half or more
    of the runs did not escape. Unlike the mean over the runs that escaped, it does not fall
    as more runs are censored by the cap."""
    values = np.sort(np.where(np.isnan(escape_updates), np.inf, escape_updates))
    return float(values[(len(values) - 1) // 2]) if len(values) else np.nan


def _median(runs: pd.DataFrame) -> float:
    return median_escape(runs["escape_update"].to_numpy(float))


def trend(runs: pd.DataFrame) -> dict:
    """A power law fitted to the median escape update of each d of the d sweep of ``runs``:
    escape ~ a d^b, by least squares on log-log over the values of d whose median run
    escaped; with the extrapolation to d = 250. A d where half or more of the runs did not
    escape has no median: it is listed in ``beyond`` (its median lies past the cap or the
    stop) and left out of the fit, which then understates the trend."""
    sweep = d_sweep(runs)
    medians = {int(d): _median(r) for d, r in sweep.groupby("d")}
    fit = {d: m for d, m in medians.items() if np.isfinite(m)}
    out = dict(medians=medians, fit_ds=sorted(fit),
               beyond=[d for d, m in medians.items() if not np.isfinite(m)],
               n_runs=len(sweep), n_censored=int(sweep["escape_update"].isna().sum()),
               exponent=np.nan, at_250=np.nan, ds=sorted(medians), lengthens=False)
    if len(fit) >= MIN_FIT_DS:
        b, log_a = np.polyfit(np.log(list(fit)), np.log(list(fit.values())), 1)
        out.update(exponent=float(b), at_250=float(np.exp(log_a) * D_CELL ** b),
                   lengthens=bool(b > 0))
    return out


def counts(runs: pd.DataFrame) -> dict:
    """How the sweep runs that never escaped ended: ``n_capped`` ran into the cap,
    ``n_memorised`` met the stop rule at chance validation accuracy."""
    runs = sweep_rows(runs)
    return dict(n_capped=int((runs["escape_update"].isna() & ~runs["memorised"]).sum()),
                n_memorised=int(runs["memorised"].sum()))


def sweep_cells(runs: pd.DataFrame) -> list[dict]:
    """Per (d, n_train) of the sweeps: runs, escaped, the median and the escape updates of
    the runs that escaped, how many of the others ran into the cap or memorised, and the
    final validation accuracies."""
    cells = []
    for (d, n), r in sweep_rows(runs).groupby(["d", "n_train"]):
        stuck = r[r["escape_update"].isna()]
        cells.append(dict(d=int(d), n=int(n), runs=len(r), escaped=int(r["escape_update"]
                                                                      .notna().sum()),
                          median=_median(r), escapes=r["escape_update"].dropna().to_numpy(),
                          capped=int((~stuck["memorised"]).sum()),
                          memorised=int(stuck["memorised"].sum()),
                          val=r["val_accuracy"].to_numpy(float)))
    return cells


def stuck_by_ending(stuck: pd.DataFrame) -> dict:
    """The values of d whose runs that never escaped all memorised, all reached the cap, or
    some of each: {'memorised' | 'capped' | 'mixed': [d, ...]}, in that order."""
    ends = {}
    for d, g in stuck.groupby("d"):
        how = ("memorised" if g["memorised"].all() else
               "capped" if not g["memorised"].any() else "mixed")
        ends.setdefault(how, []).append(int(d))
    return {k: ends[k] for k in ("memorised", "capped", "mixed") if k in ends}


def _stuck_per_d(sweep: pd.DataFrame) -> list[dict]:
    """Per d of the d sweep with runs that never escaped: how many of how many, how many
    memorised, the cap and their mean train and validation accuracy."""
    out = []
    for d, r in sweep[sweep["escape_update"].isna()].groupby("d"):
        out.append(dict(d=int(d), stuck=len(r), total=int((sweep["d"] == d).sum()),
                        memorised=int(r["memorised"].sum()), cap=int(r["cap"].iloc[0]),
                        train=float(r["train_accuracy"].mean()),
                        val=float(r["val_accuracy"].mean())))
    return out


def larger_sample(runs: pd.DataFrame, d: int, n: int) -> dict | None:
    """At ``d``, where the median run at ``n`` points never escaped: the smallest larger
    sample of the sample-size sweep at which the median run escapes (``lever``: True, with
    its counts and median), or else the sweep's largest sample (``lever``: False), with, when
    every run of it that never escaped ran into the cap, their cap and mean accuracies and
    whether smaller samples at this d memorised. None when the sweep has no larger sample."""
    at_d = runs[(runs["d"] == d) & (runs["n_train"] > n)]
    for m, r in sorted(at_d.groupby("n_train"), key=lambda kv: kv[0]):
        if np.isfinite(_median(r)):
            return dict(d=d, n=int(m), lever=True, escaped=int(r["escape_update"].notna().sum()),
                        runs=len(r), median=_median(r))
    if not len(at_d):
        return None
    m = int(at_d["n_train"].max())
    r = at_d[at_d["n_train"] == m]
    stuck = r[r["escape_update"].isna()]
    out = dict(d=d, n=m, lever=False, escaped=int(r["escape_update"].notna().sum()),
               runs=len(r), all_capped=bool(len(stuck)) and not stuck["memorised"].any())
    if out["all_capped"]:
        smaller = runs[(runs["d"] == d) & (runs["n_train"] < m)]
        out.update(stuck=len(stuck), cap=int(stuck["cap"].max()),
                   train=float(stuck["train_accuracy"].mean()),
                   val=float(stuck["val_accuracy"].mean()),
                   smaller_memorised=bool(smaller["memorised"].any()))
    return out


def trend_break(runs: pd.DataFrame, t: dict) -> dict | None:
    """Where no sweep run at d = 250, on any sample, escaped within a cap at least
    ``BREAK_FACTOR`` times the power law's extrapolation there: the runs and that cap (the
    law does not carry to d = 250). None otherwise."""
    at_250 = sweep_rows(runs)
    at_250 = at_250[at_250["d"] == D_CELL]
    if np.isnan(t["at_250"]) or not len(at_250) or at_250["escape_update"].notna().any():
        return None
    cap = int(at_250["cap"].max())
    return dict(runs=len(at_250), cap=cap) if cap >= BREAK_FACTOR * t["at_250"] else None


def spread(sweep: pd.DataFrame) -> dict | None:
    """Where some runs of the d sweep never escaped and the std of the escape update (over
    the runs that escaped) is larger at the largest d than at the smallest: both ends."""
    std = sweep.groupby("d")["escape_update"].std()
    if not sweep["escape_update"].isna().any() or not std.iloc[-1] > std.iloc[0]:
        return None
    return dict(d_lo=int(std.index[0]), std_lo=float(std.iloc[0]),
                d_hi=int(std.index[-1]), std_hi=float(std.iloc[-1]))


def sweep_answer(runs: pd.DataFrame, esb_cap: int) -> dict:
    """What the sweep says about the d = 250 cell that ran under ``esb_cap`` updates: the
    trend, the values of d with runs that never escaped and how they ended, the sample-size
    lever at the values of d beyond the fit, where the law breaks, and (when the median run
    escapes everywhere) whether the typical run at d = 250 would escape within the cap."""
    t = trend(runs)
    sweep = d_sweep(runs)
    out = dict(trend=t, esb_cap=esb_cap, fits=not np.isnan(t["at_250"]),
               any_answer=not np.isnan(t["at_250"]) or bool(t["beyond"]))
    if not out["any_answer"]:
        return out
    n = int(sweep["n_train"].iloc[0])
    out.update(model=sweep["model"].iloc[0], n=n, stuck=_stuck_per_d(sweep),
               within_cap=out["fits"] and t["at_250"] <= esb_cap, endings={}, larger=[],
               trend_break=None, spread=None)
    if t["beyond"]:
        stuck = sweep[sweep["d"].isin(t["beyond"]) & sweep["escape_update"].isna()]
        rows = sweep_rows(runs)
        out.update(endings=stuck_by_ending(stuck), trend_break=trend_break(runs, t),
                   larger=[x for d in t["beyond"] if (x := larger_sample(rows, d, n))])
    elif out["within_cap"]:
        out["spread"] = spread(sweep)
    return out


def answer_flags(f: dict) -> dict:
    """The named booleans the chapter picks the sweep answer's sentences by (``f`` from
    ``sweep_answer``): ``has_beyond`` (some d whose median run never escaped), how the runs
    that never escaped there ended (``end_memorised``, ``end_capped``, ``end_mixed``), and,
    where every median run escaped, whether the typical run at d = 250 would escape within
    the cell's cap (``typical_within``) or not (``typical_stuck``); ``law_breaks`` where the
    power law does not carry to d = 250 (``trend_break``), ``has_spread`` where the spread of
    the escape update grows with d (``spread``)."""
    beyond = bool(f["any_answer"] and f["trend"]["beyond"])
    ends = f.get("endings", {})
    typical = f["any_answer"] and not beyond
    return dict(has_beyond=beyond, end_memorised="memorised" in ends,
                end_capped="capped" in ends, end_mixed="mixed" in ends,
                typical_within=bool(typical and f["within_cap"]),
                typical_stuck=bool(typical and not f["within_cap"]),
                law_breaks=f.get("trend_break") is not None,
                has_spread=f.get("spread") is not None)


def escaped_by_sample(runs: pd.DataFrame) -> list[dict]:
    """Per d swept over more than one sample size: (n_train, escaped, runs) per sample."""
    return [dict(d=int(d), by_n=[(int(n), int(x["escape_update"].notna().sum()), len(x))
                                 for n, x in g.groupby("n_train")])
            for d, g in sweep_rows(runs).groupby("d") if g["n_train"].nunique() > 1]


def _rerun_runs(runs: pd.DataFrame, name: str) -> pd.DataFrame:
    return runs[runs["rerun"].fillna("") == name]


def rerun_against_cell(runs: pd.DataFrame, metrics: pd.DataFrame, cell_metrics: pd.DataFrame,
                       name: str, dataset: str, level: float, esb_n: int,
                       esb_cap: int) -> dict | None:
    """A stored rerun of the S-removed cell (``control-long``: only the cap raised;
    ``control``: the sample too) beside the extreme-SB cell of the same network
    (``cell_metrics``), None until both are there: the model, the sample and the cell's
    sample, both caps, how many runs learned the seven-slabs (test accuracy at least
    ``level``) before (``a`` of ``na``) and after (``b`` of ``nb``), the rerun's median escape
    update and test accuracies, how many memorised and how many were still on the plateau at
    the cap (``stuck``, with their mean accuracies), and the verdicts: ``more`` learned,
    ``most`` learned, ``within_old_cap``, ``most_memorised``."""
    runs = _rerun_runs(runs, name)
    if not len(runs):
        return None
    model = runs["model"].iloc[0]
    m = cell_metrics
    before = m[(m["dataset"] == dataset) & (m["model"] == model)
               & (m["metric"] == "standard accuracy")]["value"]
    after = metrics[(metrics["rerun"] == name)
                    & (metrics["metric"] == "standard accuracy")]["value"]
    if not len(before) or not len(after):
        return None
    stuck = runs[runs["escape_update"].isna() & ~runs["memorised"].astype(bool)]
    c = dict(model=model, n=int(runs["n_train"].iloc[0]), esb_n=esb_n, level=level,
             esb_cap=esb_cap, cap=int(runs["cap"].iloc[0]), a=int((before >= level).sum()),
             na=len(before), b=int((after >= level).sum()), nb=len(after),
             after=after.to_numpy(float), median=_median(runs),
             memorised=int(runs["memorised"].sum()), stuck=len(stuck),
             stuck_train=float(stuck["train_accuracy"].mean()),
             stuck_val=float(stuck["val_accuracy"].mean()))
    c.update(more=c["b"] > c["a"], most=_most(c["b"], c["nb"]),
             within_old_cap=c["median"] <= esb_cap,
             most_memorised=_most(c["memorised"], c["nb"]))
    return {**c, **rerun_verdicts(c)}


def rerun_verdicts(c: dict) -> dict:
    """The verdicts on a rerun of the S-removed cell, each one named boolean the chapter picks
    its words by: ``learned`` (more runs than in the cell learned, and most did), then either
    ``sample_lever`` (within the cell's own cap: the sample was the lever) or ``both_levers``
    (only past it); else ``memorised_lever`` (most memorised: the sample is the lever) or
    ``short`` (most still short of the seven-slabs); ``one_stuck``: one run left on the
    plateau at the cap, ``any_stuck``: any."""
    learned, early = bool(c["more"] and c["most"]), bool(c["within_old_cap"])
    return dict(learned=learned, sample_lever=learned and early,
                both_levers=learned and not early,
                memorised_lever=not learned and bool(c["most_memorised"]),
                short=not learned and not c["most_memorised"], one_stuck=c["stuck"] == 1,
                any_stuck=c["stuck"] > 0)


def wide_rerun(runs: pd.DataFrame, metrics: pd.DataFrame, cell_metrics: pd.DataFrame,
               dataset: str, esb_n: int, esb_cap: int, paper: dict) -> dict | None:
    """The ``wide`` rerun (d = 250, the (2000,1)-FCN, a larger sample) beside the extreme-SB
    cell it reruns (None until both are there): the cell's sample, cap, train and test
    accuracies; the rerun's sample, cap, runs that escaped (and memorised), median escape
    update, test accuracies and randomised AUCs, the paper's AUCs (``paper``: metric ->
    mean, for this cell), the sweep at the same d, and the verdicts: ``most_escaped``,
    ``s_only`` (it relies on S alone: S-randomised AUC at chance, Sc-randomised kept)."""
    sweep, rerun = sweep_rows(runs), _rerun_runs(runs, "wide")
    if not len(rerun):
        return None
    model, d = rerun["model"].iloc[0], int(rerun["d"].iloc[0])
    m = cell_metrics[(cell_metrics["dataset"] == dataset) & (cell_metrics["model"] == model)]
    mm = metrics[metrics["rerun"] == "wide"]
    values = {k: mm[mm["metric"] == metric]["value"].to_numpy(float) for k, metric in (
        ("test", "standard accuracy"), ("s_auc", "S-randomized AUC"),
        ("sc_auc", "Sc-randomized AUC"))}
    before = {k: m[m["metric"] == metric]["value"].to_numpy(float) for k, metric in (
        ("train", "train accuracy"), ("test", "standard accuracy"))}
    if not len(values["test"]) or not len(before["test"]):
        return None
    c = dict(model=model, d=d, n=int(rerun["n_train"].iloc[0]), cap=int(rerun["cap"].iloc[0]),
             esb_n=esb_n, esb_cap=esb_cap, before=before, runs=len(rerun),
             escaped=int(rerun["escape_update"].notna().sum()),
             memorised=int(rerun["memorised"].sum()), median=_median(rerun), **values,
             paper_s_auc=paper.get("S-randomized AUC"),
             paper_sc_auc=paper.get("Sc-randomized AUC"))
    c.update(most_escaped=_most(c["escaped"], c["runs"]),
             s_only=bool(abs(values["s_auc"].mean() - 0.5) <= S_AUC_CHANCE_BAND
                          and values["sc_auc"].mean() >= SC_AUC_KEPT),
             within_old_cap=c["median"] <= esb_cap)
    at_d = sweep[sweep["d"] == d]
    c["sweep_never"] = (dict(model=at_d["model"].iloc[0], n=int(at_d["n_train"].max()),
                             cap=int(at_d["cap"].max()))
                        if len(at_d) and not at_d["escape_update"].notna().any() else None)
    c.update(reproduced=bool(c["most_escaped"] and c["s_only"]), open=not c["most_escaped"])
    return c
