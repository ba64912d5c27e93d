"""What the plateau chapter (06_plateau) shows: the plateau per d and sample size, its trend
in d, and the two extreme-SB cells (this run's reruns and the stored ones). No plotting here."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.book.chapter import mean_std
from sbcore.profiles import quick_reductions, section
from sbcore.studies.plateau import study as pl


def sweep_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows (runs or history) of the sweeps over d and sample size: the reruns left out."""
    return table[table["rerun"].fillna("") == ""]


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


def trend(result) -> dict:
    """A power law fitted to the median escape update of each d of the d sweep:
    escape ~ a d^b, by least squares on log-log over the values of d whose median run
    escaped; with the extrapolation to d = 250. A d where half or more of the runs did not
    escape has no median: it is listed in ``beyond`` (its median lies past the cap or the
    stop) and left out of the fit, which then understates the trend."""
    sweep = d_sweep(result.tables["runs"])
    medians = {int(d): median_escape(r["escape_update"].to_numpy(float))
               for d, r in sweep.groupby("d")}
    fit = {d: m for d, m in medians.items() if np.isfinite(m)}
    out = dict(medians=medians, fit_ds=sorted(fit), beyond=[d for d, m in medians.items()
                                                            if not np.isfinite(m)],
               n_runs=len(sweep), n_censored=int(sweep["escape_update"].isna().sum()),
               exponent=np.nan, at_250=np.nan, ds=sorted(medians))
    if len(fit) >= 2:
        b, log_a = np.polyfit(np.log(list(fit)), np.log(list(fit.values())), 1)
        out.update(exponent=float(b), at_250=float(np.exp(log_a) * 250 ** b))
    return out


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


def numbers(result, profile: str) -> dict:
    """The numbers the chapter glues."""
    s = section(profile, pl.NAME)
    t = trend(result)
    runs = sweep_rows(result.tables["runs"])  # as the chapter's table counts them
    return dict(cap=s["train"]["max_updates"], escape=s["escape"], n_seeds=len(s["seeds"]),
                lr=s["train"]["lr"], batch=s["train"]["batch_size"],
                model=f"({s['model'][0]},{s['model'][1]})-FCN",
                exponent=t["exponent"], at_250=t["at_250"], n_fit=len(t["fit_ds"]),
                n_censored=t["n_censored"], d_max=max(t["ds"]),
                ds=", ".join(map(str, t["ds"])),
                n_capped=int((runs["escape_update"].isna() & ~runs["memorised"]).sum()),
                n_memorised=int(runs["memorised"].sum()))


def profile_notes(profile: str) -> list[str]:
    if profile == "quick":
        return ["**Reductions of the quick profile.** " + quick_reductions()["plateau"]]
    if profile == "smoke":
        return ["**The smoke profile** shrinks everything only to exercise the code."]
    return []


def stored_cells(esb_stored: dict) -> dict:
    """The two extreme-SB cells as the stored paper-scale run has them: MS-(5,7) at d = 250
    with the (2000,1)-FCN (train and test accuracy) and the S-removed control on MS-(5,7)
    (test accuracy), with the update cap they ran under. Empty where not stored."""
    from sbcore.profiles import section as settings

    out = dict(esb_cap=settings("paper", "extreme_sb")["train"]["max_updates"])
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


def _about(x: float) -> float:
    """An extrapolation to two significant figures, as the text gives it."""
    return float(f"{x:.2g}")


def answer(result, esb_cap: int) -> str:
    """What the measured trend says about the d = 250 cell (markdown): the fitted growth of
    the median escape update, its extrapolation to d = 250 against the cap that cell ran
    under, and the runs that never escaped (memorised or capped), which no fit can place."""
    t = trend(result)
    sweep = d_sweep(result.tables["runs"])
    if np.isnan(t["at_250"]) and not t["beyond"]:
        return ("Too few runs escaped the plateau, at too few values of d, to fit a trend "
                "here; the paper profile's full sweep answers it.")
    model, n = sweep["model"].iloc[0], int(sweep["n_train"].iloc[0])
    text = f"For the {model} on {n:,} training points"
    if not np.isnan(t["at_250"]):
        about = _about(t["at_250"])
        text += (f", the median escape update at d = {', '.join(map(str, t['fit_ds']))} "
                 f"(a run that did not escape counted as the latest) grows like "
                 f"$d^{{{t['exponent']:.2f}}}$; extrapolated to d = 250 that is about "
                 f"{about:,.0f} updates, against the cap of {esb_cap:,} under which the "
                 "stored d = 250 cell ran. ")
    else:
        text += (", too few values of d have a median run that escaped to fit a trend. ")
    for d, r in sweep[sweep["escape_update"].isna()].groupby("d"):
        total, memorised = int((sweep["d"] == d).sum()), int(r["memorised"].sum())
        how = []
        if memorised:
            how.append(f"{memorised} memorised the training set")
        if len(r) > memorised:
            how.append(f"{len(r) - memorised} reached the cap of {int(r['cap'].iloc[0]):,} "
                       "updates")
        text += (f"At d = {d}, {len(r)} of {total} runs did not escape ({', '.join(how)}; "
                 f"train accuracy {r['train_accuracy'].mean():.2f} at validation accuracy "
                 f"{r['val_accuracy'].mean():.2f}). ")
    if t["beyond"]:
        at = ", ".join(map(str, t["beyond"]))
        stuck = sweep[sweep["d"].isin(t["beyond"]) & sweep["escape_update"].isna()]
        text += (f"At d = {at} the median run never left the plateau, so the fit cannot "
                 "include it and understates the growth. ")
        text += "".join(_why_stuck(ds, how) for how, ds in _stuck_by_ending(stuck).items())
        text += ("A d = 250 run that fits its training set without generalising, as the "
                 "stored cell did, is what this sweep predicts.")
        text += larger_samples(result, t["beyond"], n)
        text += _trend_breaks(result, t)
    elif t["at_250"] > esb_cap:
        text += "The typical run would still be on the plateau when that cap stops it."
    else:
        text += "The typical run would have escaped within that cap."
        spread = sweep.groupby("d")["escape_update"].std()
        if sweep["escape_update"].isna().any() and spread.iloc[-1] > spread.iloc[0]:
            text += (f" Not every run does, and the spread of the escape update grows with d "
                     f"(std {spread.iloc[0]:,.0f} at d = {spread.index[0]}, "
                     f"{spread.iloc[-1]:,.0f} at d = {spread.index[-1]}, over the runs that "
                     f"escaped), so a run at d = 250 still on the plateau at {esb_cap:,} "
                     "updates, fitting its training set instead, is consistent with this "
                     "sweep.")
    return text.strip()


def _stuck_by_ending(stuck: pd.DataFrame) -> dict:
    """The values of d whose runs that never escaped all memorised, all reached the cap, or
    some of each: {'memorised' | 'capped' | 'mixed': [d, ...]}, in that order."""
    ends = {}
    for d, g in stuck.groupby("d"):
        how = ("memorised" if g["memorised"].all() else
               "capped" if not g["memorised"].any() else "mixed")
        ends.setdefault(how, []).append(int(d))
    return {k: ends[k] for k in ("memorised", "capped", "mixed") if k in ends}


def _why_stuck(ds: list, how: str) -> str:
    """One sentence on how the runs that never escaped at these values of d ended (``answer``)."""
    at = ", ".join(map(str, ds))
    if how == "memorised":
        return (f"At d = {at} the runs that did not escape ended by the stop rule, not the "
                "cap: SGD fit the training set before it found the 5-slab, so a larger cap "
                "would not have changed them; what is left to change is the sample, a larger "
                "one being harder to memorise. ")
    if how == "capped":
        return (f"At d = {at} the runs that did not escape were still at chance on "
                "validation when the cap stopped them, having fit part of their training "
                "set instead: the median run does not leave the plateau late, it does not "
                "leave it within the cap at all. ")
    return (f"At d = {at} some of the runs that did not escape memorised the training set "
            "and the others were still at chance on validation at the cap. ")


def _trend_breaks(result, t: dict) -> str:
    """For ``answer``: where no run at d = 250, on any sample, escaped within a cap far
    beyond the power law's extrapolation there, that the law does not carry to d = 250."""
    runs = sweep_rows(result.tables["runs"])
    at_250 = runs[runs["d"] == 250]
    if np.isnan(t["at_250"]) or not len(at_250) or at_250["escape_update"].notna().any():
        return ""
    cap = int(at_250["cap"].max())
    if cap < 2 * t["at_250"]:
        return ""
    return (f" So the power law fitted at d = {', '.join(map(str, t['fit_ds']))} does not "
            f"carry to d = 250: it puts the median escape near "
            f"{_about(t['at_250']):,.0f} updates, yet none of the {len(at_250)} runs "
            f"there, on any sample, escaped within {cap:,}.")


def larger_samples(result, ds, n: int) -> str:
    """For each d of ``ds`` (where the median run at ``n`` points never escaped): the
    smallest larger sample of the sample-size sweep at which most runs escape, with their
    median escape update, or that even the largest sample did not suffice (markdown, '' when
    the sweep has no larger sample at that d)."""
    runs = sweep_rows(result.tables["runs"])
    text = ""
    for d in ds:
        at_d = runs[(runs["d"] == d) & (runs["n_train"] > n)]
        for m, r in sorted(at_d.groupby("n_train"), key=lambda kv: kv[0]):
            median = median_escape(r["escape_update"].to_numpy(float))
            if np.isfinite(median):
                text += (f" The sample-size sweep shows the lever: at d = {d} with {m:,} "
                         f"training points {int(r['escape_update'].notna().sum())} of {len(r)} "
                         f"runs escape, the median after {median:,.0f} updates.")
                break
        else:
            if len(at_d):  # the sweep went further at this d, and no sample was enough
                m = int(at_d["n_train"].max())
                r = at_d[at_d["n_train"] == m]
                smaller = runs[(runs["d"] == d) & (runs["n_train"] < m)]
                capped, lesson = _all_capped(d, r, smaller["memorised"].any())
                text += (f" At d = {d} even {m:,} training points, the sweep's largest, leave "
                         f"the median run on the plateau ({int(r['escape_update'].notna().sum())}"
                         f" of {len(r)} runs escape{capped})" + (f": {lesson}" if lesson else "."))
    return text


def _all_capped(d: int, r: pd.DataFrame, smaller_memorised: bool) -> tuple[str, str]:
    """For ``larger_samples``, where every run of the sweep's largest sample that never
    escaped reached the cap: how they ended (a clause) and what that says (a sentence: where
    smaller samples at this d were memorised, that the larger sample stopped that but not
    the plateau). ('', '') otherwise."""
    stuck = r[r["escape_update"].isna()]
    if not len(stuck) or stuck["memorised"].any():
        return "", ""
    cap = int(stuck["cap"].max())
    lesson = ("the larger sample stopped the memorising, not the plateau, which"
              if smaller_memorised else "the plateau")
    return (f"; {'all ' if len(stuck) > 1 else ''}{len(stuck)} reached the cap of {cap:,} "
            f"updates at train accuracy {stuck['train_accuracy'].mean():.2f} and validation "
            f"accuracy {stuck['val_accuracy'].mean():.2f}",
            f"{lesson} at d = {d} outlasts {cap:,} updates.")


def rerun_against_cell(stored, esb_control, name: str) -> dict | None:
    """A stored rerun of the S-removed cell (``control-long``: only the cap raised;
    ``control``: the sample too) beside the extreme-SB cell of the same network (None until
    the stored paper-scale run has the rerun and the extreme-SB run its control part): the
    model, the sample and the cell's sample (``esb_n``), both caps, and how many runs learned
    the seven-slabs (test accuracy at least the escape level) under each (``a`` of ``na``
    before, ``b`` of ``nb`` after), the rerun's median escape update, its test accuracies,
    how many of its runs memorised and how many were still on the plateau at the cap
    (``stuck``, with their mean train and validation accuracy)."""
    if stored is None or esb_control is None:
        return None
    runs = stored.tables["runs"]
    runs = runs[runs["rerun"].fillna("") == name]
    if not len(runs):
        return None
    model = runs["model"].iloc[0]
    m = esb_control.metrics
    before = m[(m["dataset"] == pl.DATASET) & (m["model"] == model)
               & (m["metric"] == "standard accuracy")]["value"]
    mm = stored.tables["metrics"]
    after = mm[(mm["rerun"] == name) & (mm["metric"] == "standard accuracy")]["value"]
    if not len(before) or not len(after):
        return None
    level = section("paper", pl.NAME)["escape"]
    stuck = runs[runs["escape_update"].isna() & ~runs["memorised"].astype(bool)]
    esb = section("paper", "extreme_sb")
    return dict(model=model, n=int(runs["n_train"].iloc[0]), esb_n=esb["n_train"], level=level,
                esb_cap=esb["train"]["max_updates"],
                cap=int(runs["cap"].iloc[0]), a=int((before >= level).sum()), na=len(before),
                b=int((after >= level).sum()), nb=len(after), after=after,
                median=median_escape(runs["escape_update"].to_numpy(float)),
                memorised=int(runs["memorised"].sum()), stuck=len(stuck),
                stuck_train=stuck["train_accuracy"].mean(), stuck_val=stuck["val_accuracy"].mean())


def wide_rerun(stored, esb_wide) -> dict | None:
    """The ``wide`` rerun (d = 250, the (2000,1)-FCN, a larger sample) beside the extreme-SB
    cell it reruns (None until both are stored): the cell's sample, cap, train and test
    accuracy; the rerun's sample, cap, runs that escaped (and memorised) and their median
    escape update, and its test accuracy and randomised AUCs (tidy values, for mean ± std),
    with the paper's Fig. 3b AUCs for this cell."""
    from sbcore.paper import paper_numbers

    if stored is None or esb_wide is None:
        return None
    runs = stored.tables["runs"]
    runs = runs[runs["rerun"].fillna("") == "wide"]
    if not len(runs):
        return None
    model, d = runs["model"].iloc[0], int(runs["d"].iloc[0])
    m = esb_wide.metrics
    m = m[(m["dataset"] == pl.DATASET) & (m["model"] == model)]
    mm = stored.tables["metrics"]
    mm = mm[mm["rerun"] == "wide"]
    values = {k: mm[mm["metric"] == metric]["value"] for k, metric in (
        ("test", "standard accuracy"), ("s_auc", "S-randomized AUC"),
        ("sc_auc", "Sc-randomized AUC"))}
    before = {k: m[m["metric"] == metric]["value"] for k, metric in (
        ("train", "train accuracy"), ("test", "standard accuracy"))}
    if not len(values["test"]) or not len(before["test"]):
        return None
    paper = paper_numbers("Fig. 3b")
    paper = paper[(paper["dataset"] == pl.DATASET) & (paper["d"] == d)
                  & (paper["model"] == model)].set_index("metric")["mean"].to_dict()
    esb = section("paper", "extreme_sb")
    return dict(model=model, d=d, n=int(runs["n_train"].iloc[0]), cap=int(runs["cap"].iloc[0]),
                esb_n=esb["wide_n_train"], esb_cap=esb["train"]["max_updates"],
                before=before, escaped=int(runs["escape_update"].notna().sum()),
                memorised=int(runs["memorised"].sum()), runs=len(runs),
                median=median_escape(runs["escape_update"].to_numpy(float)), **values,
                paper_s_auc=paper.get("S-randomized AUC"),
                paper_sc_auc=paper.get("Sc-randomized AUC"))


def wide_answer(stored, esb_wide) -> str:
    """What the d = 250 cell does with a larger sample and cap (markdown, '' until stored;
    see ``wide_rerun``)."""
    c = wide_rerun(stored, esb_wide)
    if c is None:
        return ""
    text = (f"**The d = {c['d']} cell with a larger sample.** In the extreme-SB chapter the "
            f"{c['model']} had {c['esb_n']:,} training points and a cap of {c['esb_cap']:,} "
            f"updates: train accuracy {mean_std(c['before']['train'], count=False)}, test "
            f"accuracy {mean_std(c['before']['test'], count=False)}. From {c['n']:,} points "
            f"({c['n'] / c['esb_n']:.0f} times the sample) with a cap of {c['cap']:,}, "
            f"{c['escaped']} of {c['runs']} runs escape the plateau")
    if np.isfinite(c["median"]):
        text += (f", the median run after {c['median']:,.0f} updates"
                 + (" (within that chapter's cap)" if c["median"] <= c["esb_cap"] else ""))
    if c["memorised"]:
        text += f"; {c['memorised']} memorised their training set"
    stop = 1 - section("paper", pl.NAME)["train"]["eps"]
    text += (f". Test accuracy {mean_std(c['test'], count=False)} (the runs stop at train "
             f"accuracy {stop:.2f}), S-randomised AUC "
             f"{mean_std(c['s_auc'], count=False)}, Sc-randomised AUC "
             f"{mean_std(c['sc_auc'], count=False)}")
    if c["paper_s_auc"] is not None:
        text += (f" (the paper's Fig. 3b: {c['paper_s_auc']:.2f} and "
                 f"{c['paper_sc_auc']:.2f})")
    text += ". "
    s_auc, sc_auc = c["s_auc"].mean(), c["sc_auc"].mean()
    if 2 * c["escaped"] > c["runs"] and abs(s_auc - 0.5) <= 0.05 and sc_auc >= 0.8:
        text += ("The networks found the 5-slab and rely on it alone: randomising it leaves "
                 "them at chance, randomising the other coordinates costs little. That is the "
                 "extreme simplicity bias the paper reports at this d, reproduced once the "
                 "plateau is behind the network. ")
    elif 2 * c["escaped"] <= c["runs"]:
        text += "Most runs still did not find the 5-slab: the cell stays open. "
    sweep = sweep_rows(stored.tables["runs"])
    sweep = sweep[sweep["d"] == c["d"]]
    if len(sweep) and not sweep["escape_update"].notna().any():
        text += (f"Beside the sweep's {sweep['model'].iloc[0]}, which did not escape at this d "
                 f"from any sample up to {int(sweep['n_train'].max()):,} points within "
                 f"{int(sweep['cap'].max()):,} updates, this rerun differs in width and in "
                 "sample both, so it does not tell which of the two let it escape.")
    return text.strip()


def cap_rerun(stored, esb_control) -> dict | None:
    """The ``control-long`` rerun (only the cap raised) beside its cell: see
    ``rerun_against_cell``."""
    return rerun_against_cell(stored, esb_control, "control-long")


def _median_leaving(c: dict) -> str:
    """', the median run leaving the plateau after N updates' for a rerun's summary ``c``,
    or '' when the median run never left it."""
    if not np.isfinite(c["median"]):
        return ""
    return f", the median run leaving the plateau after {c['median']:,.0f} updates"


def sample_answer(stored, esb_control) -> str:
    """What a larger sample (and the larger cap) did to the S-removed cell of the ``control``
    rerun's network (markdown, '' until stored; see ``rerun_against_cell``)."""
    c = rerun_against_cell(stored, esb_control, "control")
    if c is None:
        return ""
    text = (f"**A larger sample.** The S-removed {c['model']} cell of the extreme-SB chapter "
            f"learned the seven-slabs in {c['a']} of {c['na']} runs from {c['esb_n']:,} "
            f"training points under that chapter's cap of {c['esb_cap']:,} updates. From "
            f"{c['n']:,} points ({c['n'] / c['esb_n']:.0f} times the sample) with a cap of "
            f"{c['cap']:,}, {c['b']} of {c['nb']} do")
    text += _median_leaving(c)
    stop = 1 - section("paper", pl.NAME)["train"]["eps"]
    text += (f", at test accuracy {mean_std(c['after'], count=False)} (the runs stop at train "
             f"accuracy {stop:.2f}, this study's stop rule). ")
    if c["b"] > c["a"] and 2 * c["b"] > c["nb"] and c["median"] <= c["esb_cap"]:
        text += ("The median run left the plateau within the extreme-SB chapter's own cap: for "
                 "this network the sample, not the cap, is the lever. From a large enough "
                 "sample the complex features alone generalise, as the paper says; from that "
                 "chapter's sample most runs of this network had not found them.")
    elif c["b"] > c["a"] and 2 * c["b"] > c["nb"]:
        text += ("Most runs learn the complex features alone, but later than the extreme-SB "
                 "chapter's cap: the sample and the cap both held the cell back.")
    else:
        text += ("Even the larger sample leaves most runs short of the seven-slabs.")
    return text


def cap_answer(stored, esb_control) -> str:
    """What raising only the cap did to the S-removed cell (markdown, '' until stored; see
    ``cap_rerun``), and what that says about the cap against the sample."""
    c = cap_rerun(stored, esb_control)
    if c is None:
        return ""
    text = (f"**Only the cap raised.** The S-removed {c['model']} cell of the extreme-SB "
            f"chapter, on its own {c['n']:,} training points: under that chapter's cap of "
            f"{c['esb_cap']:,} updates {c['a']} of {c['na']} runs learned the seven-slabs "
            f"(test accuracy at least {c['level']}); with a cap of {c['cap']:,}, {c['b']} of "
            f"{c['nb']} do")
    text += _median_leaving(c)
    text += f", at test accuracy {mean_std(c['after'], count=False)}. "
    if c["b"] > c["a"] and 2 * c["b"] > c["nb"]:
        text += ("From the same sample most runs do learn the complex features alone, as the "
                 "paper says, but only after a plateau longer than the cap the cell ran under: "
                 "for this network the cap, not the sample, kept the cell from reproducing.")
        if c["stuck"]:
            who = "The other run was" if c["stuck"] == 1 else f"The other {c['stuck']} runs were"
            text += (f" {who} still on the plateau at {c['cap']:,} updates (train accuracy "
                     f"{c['stuck_train']:.2f} at validation accuracy {c['stuck_val']:.2f}): the "
                     "plateau's length varies from seed to seed, "
                     "and some seeds outlast even the official loop's cap.")
    elif 2 * c["memorised"] > c["nb"]:
        text += (f"Raising the cap does not rescue the cell: {c['memorised']} runs fit their "
                 "training set before they found the seven-slabs, so the sample, not the cap, "
                 "is the lever; the control rerun with a larger sample tests it.")
    else:
        text += (f"Even {c['cap']:,} updates leave {c['nb'] - c['b']} of {c['nb']} runs short "
                 "of the seven-slabs: the cap is not the whole story.")
    return text


def stored_text(cells: dict) -> str:
    """The two cells as stored (markdown bullets), or that they are not stored."""
    lines = []
    if "wide_test" in cells:
        lines.append(f"* d = 250, MS-(5,7), (2000,1)-FCN: train accuracy {cells['wide_train']}, "
                     f"test accuracy {cells['wide_test']}.")
    if "control_test" in cells:
        lines.append(f"* MS-(5,7) with S removed: test accuracy {cells['control_test']}.")
    return "\n".join(lines) or "*No paper-scale run of the extreme-SB chapter is stored.*"


def stored_sweep(stored) -> bool:
    """Whether the stored paper-scale run has sweep entries (not only reruns)."""
    return stored is not None and len(d_sweep(stored.tables["runs"])) > 0



def recap(result, stored, esb_control=None, esb_wide=None) -> str:
    """The chapter's recap (markdown bullets), from the measured trends and, once stored, the
    reruns beside the extreme-SB cells they rerun (``esb_control``, ``esb_wide``: that
    chapter's stored parts)."""
    lines = []
    for label, r in (("this run", result), ("the stored paper-scale sweep", stored)):
        if r is None or not len(d_sweep(r.tables["runs"])):
            continue
        t = trend(r)
        if not np.isnan(t["exponent"]):
            grows = "lengthens" if t["exponent"] > 0 else "does not lengthen"
            line = (f"* In {label} (d = {', '.join(map(str, t['fit_ds']))}) the median run's "
                    f"plateau {grows} with d, like $d^{{{t['exponent']:.2f}}}$")
            if t["beyond"]:
                line += (f"; at d = {', '.join(map(str, t['beyond']))} the median run never "
                         "left it")
            lines.append(line + ".")
        for d, g in sweep_rows(r.tables["runs"]).groupby("d"):
            if g["n_train"].nunique() > 1:
                counts = [f"{int(n):,} points {int(x['escape_update'].notna().sum())} of "
                          f"{len(x)}" for n, x in g.groupby("n_train")]
                lines.append(f"* In {label} at d = {d}, runs that escaped by sample size: "
                             + ", ".join(counts) + ".")
    c = cap_rerun(stored, esb_control)
    if c is not None:
        lines.append(f"* With S removed, raising only the cap from {c['esb_cap']:,} to "
                     f"{c['cap']:,} updates takes the {c['model']} from {c['a']} of {c['na']} "
                     f"to {c['b']} of {c['nb']} runs that learn the seven-slabs from the same "
                     f"{c['n']:,} points.")
    c = wide_rerun(stored, esb_wide)
    if c is not None:
        lines.append(f"* At d = {c['d']} with {c['n']:,} training points instead of "
                     f"{c['esb_n']:,}, the {c['model']} escapes the plateau in {c['escaped']} "
                     f"of {c['runs']} runs"
                     + (f", the median after {c['median']:,.0f} updates"
                        if np.isfinite(c["median"]) else "")
                     + f", with S-randomised AUC {c['s_auc'].mean():.2f} and Sc-randomised AUC "
                     f"{c['sc_auc'].mean():.2f}.")
    c = rerun_against_cell(stored, esb_control, "control")
    if c is not None:
        lines.append(f"* With S removed and {c['n']:,} training points instead of "
                     f"{c['esb_n']:,}, the {c['model']} goes from {c['a']} of {c['na']} to "
                     f"{c['b']} of {c['nb']} runs that learn the seven-slabs"
                     + _median_leaving(c) + ".")
    lines.append("* A run stopped before its plateau ends looks like a failure to learn: it sits "
                 "at chance or memorises its training set. Whether such a cell reproduces "
                 "depends on the update cap and the sample as much as on the network.")
    return "\n".join(lines)
