"""What the defences chapter (10_defences) shows, from the study's results: the tables beside
the paper's Fig. 6, Fig. 7 and Table 11, and the numbers the prose glues.

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
from sbcore.studies.defences import findings, prose
from sbcore.studies.defences import study as ds

# the table's columns: the two aggregations' accuracy, paper | stored | this run (a single
# network's row is the members' accuracy; the members' mean per ensemble and the gains over it
# are in the figure, the prose and the recap: with them the table would not fit the column)
AVERAGED, STACKER, MEMBERS = "averaged logits accuracy", "linear stacker accuracy", \
    "mean member accuracy"
ENSEMBLE_METRICS = [AVERAGED, STACKER]
ADV_METRICS = ["standard accuracy", "robust accuracy", "S-randomized accuracy",
               "Sc-randomized accuracy"]
T11_METRICS = ["standard accuracy", "robust accuracy", "S-randomized accuracy"]
KEYS = ("dataset", "cell", "metric")


def _metrics(part):
    return None if part is None else part.metrics


def ensemble_label(size: int, model: str = "(100,2)-FCN") -> str:
    """'single (100,2)-FCN' for size 1, else 'ensemble of k': the paper_numbers.csv cells."""
    return f"single {model}" if int(size) == 1 else f"ensemble of {int(size)}"


def adv_label(model: str, eps: float) -> str:
    """'(200,2)-FCN, eps = 0.1': Fig. 7's cells in paper_numbers.csv."""
    return f"{model}, eps = {float(eps):g}"


# --------------------------------------------------------------------------------------------
# Fig. 6: ensembles
# --------------------------------------------------------------------------------------------

def ensemble_rows(m: pd.DataFrame | None) -> pd.DataFrame | None:
    """The ensembles' rows of a metrics table, with their cell label (members dropped)."""
    if m is None:
        return None
    out = m[m["aggregation"] == "ensemble"].copy()
    out["cell"] = [ensemble_label(s, mo) for s, mo in zip(out["size"], out["model"])]
    return out


def fig6_paper() -> pd.DataFrame:
    """Fig. 6's numbers keyed like this study: the paper names no aggregation (the official
    notebook averages logits), so each of its numbers stands beside both; a single model's
    accuracy is both aggregations' accuracy at size 1."""
    p = paper_numbers("Fig. 6").rename(columns={"model": "cell"})
    single = p[p["metric"] == "test accuracy"]
    # a stated gain as the accuracy it implies (the single model's plus the gain), so it
    # stands in the accuracy columns
    gains = p[p["metric"].str.endswith("gain")].copy()
    for name, sub in gains.groupby("dataset"):
        base = float(single.loc[single["dataset"] == name, "mean"].iloc[0])
        gains.loc[sub.index, "mean"] = base + sub["mean"]
    gains["metric"] = gains["metric"].str.replace(" gain", " accuracy")
    p = pd.concat([p[p["metric"] != "test accuracy"], gains,
                   single.assign(metric=AVERAGED), single.assign(metric=MEMBERS)])
    stacker = p[p["metric"].str.startswith("averaged logits")].copy()
    stacker["metric"] = stacker["metric"].str.replace("averaged logits", "linear stacker")
    return pd.concat([p, stacker], ignore_index=True)


def ensembles_view(results: dict, stored: dict, profile: str):
    """Fig. 6 as a table: rows dataset and ensemble size; the members' mean accuracy, each
    aggregation's accuracy and its gain over its members (mean ± std over ensembles)."""
    this = ensemble_rows(results["ensembles"].metrics)
    st = ensemble_rows(_metrics(stored["ensembles"]))
    long = compare_table(fig6_paper(), this, st, keys=KEYS)
    long["dataset"] = long["dataset"].map(dataset_label)
    long = long.rename(columns={"cell": "ensemble"})
    return wide_table(long, ["dataset", "ensemble"], ENSEMBLE_METRICS, stored["ensembles"],
                      profile=profile)


def stored_ensembles(stored: dict) -> list[dict]:
    """Per dataset of the stored paper-scale ensembles: the pool size, the members' mean test
    accuracy, the number of ensembles of the largest size, their mean accuracy and gain over
    their members by each aggregation, and the paper's accuracy for that size (read off its
    figure; NaN where it gives none). Empty when nothing is stored."""
    part = stored.get("ensembles")
    if part is None:
        return []
    m, paper, out = part.metrics, fig6_paper_points(), []
    for name in dict.fromkeys(m["dataset"]):
        sub = m[m["dataset"] == name]
        big = int(sub.loc[sub["aggregation"] == "ensemble", "size"].max())
        members = sub[sub["aggregation"] == "member"]
        p = paper[(paper["dataset"] == name) & (paper["size"] == big)]["accuracy"]
        row = dict(dataset=name, pool=members["seed"].nunique(), size=big,
                   member=_mean(members, metric="test accuracy"),
                   ensembles=sub.loc[(sub["aggregation"] == "ensemble") & (sub["size"] == big),
                                     "ensemble"].nunique(),
                   paper=float(p.iloc[0]) if len(p) else float("nan"))
        for agg, short in (("averaged logits", "avg"), ("linear stacker", "stack")):
            row[f"{short}_acc"] = _mean(sub, size=big, metric=f"{agg} accuracy")
            row[f"{short}_gain"] = _mean(sub, size=big, metric=f"{agg} gain")
        out.append(row)
    return out


def stored_ensembles_text(stored: dict) -> str | None:
    """Markdown: what the stored paper-scale ensembles show (``stored_ensembles``, each row
    against the paper's figure by ``findings.against_paper``), with the run's device and date;
    None when nothing is stored."""
    from sbcore.book.chapter import stored_label

    rows = _labelled(stored_ensembles(stored))
    return prose.stored_ensembles(rows, stored_label(stored["ensembles"])) if rows else None


def _labelled(rows: list[dict]) -> list[dict]:
    """Stored ensemble rows with their dataset's display name and their verdict against the
    paper's figure."""
    return [dict(r, label=dataset_label(r["dataset"]), against=findings.against_paper(r))
            for r in rows]


def ensemble_curves(results: dict) -> pd.DataFrame:
    """Per dataset, size and aggregation (members' mean, averaged logits, linear stacker):
    mean and std of the accuracy over the ensembles, and their count."""
    m = ensemble_rows(results["ensembles"].metrics)
    m = m[m["metric"].isin([MEMBERS, AVERAGED, STACKER])]
    return (m.groupby(["dataset", "metric", "size"])["value"].agg(["mean", "std", "count"])
            .reset_index())


def fig6_paper_points() -> pd.DataFrame:
    """The paper's Fig. 6 as accuracy points (dataset, size, accuracy): a single model's
    accuracy, plus the stated gain where the paper gives a gain."""
    p = paper_numbers("Fig. 6")
    rows = []
    for name, sub in p.groupby("dataset"):
        single = float(sub.loc[sub["metric"] == "test accuracy", "mean"].iloc[0])
        rows.append(dict(dataset=name, size=1, accuracy=single))
        for _, r in sub[sub["metric"] != "test accuracy"].iterrows():
            size = int(str(r["model"]).split()[-1])
            value = single + r["mean"] if r["metric"].endswith("gain") else r["mean"]
            rows.append(dict(dataset=name, size=size, accuracy=float(value)))
    return pd.DataFrame(rows)


def coordinates(results: dict) -> pd.DataFrame:
    """Per dataset, member and coordinate: the member's test accuracy minus its accuracy with
    that coordinate randomised (how much it reads the coordinate)."""
    part = results["ensembles"]
    c = part.tables["coordinates"]
    m = part.metrics
    acc = m[(m["aggregation"] == "member") & (m["metric"] == "test accuracy")]
    acc = acc.set_index(["dataset", "ensemble"])["value"]
    c = c.copy()
    c["drop"] = [acc[(d, i)] - a for d, i, a in zip(c["dataset"], c["member"], c["accuracy"])]
    return c


# coordinate_summary's columns past dataset and members; numbers() glues them as
# <dataset>_coords_per_member, _coords_pool, _top_members, _top_coord
COORDINATE_COLUMNS = ("coordinates read per member", "distinct coordinates read by the pool",
                      "members reading the most-read coordinate", "most-read coordinate")


def coordinate_summary(results: dict) -> pd.DataFrame:
    """Per dataset: how many coordinates a member reads (randomising it costs more than
    ``findings.READS_COORDINATE``), on average, how many distinct coordinates the pool reads,
    and how many members read each dataset's most-read coordinate."""
    c = coordinates(results)
    rows = []
    for name, sub in c.groupby("dataset", sort=False):
        used = sub[sub["drop"] > findings.READS_COORDINATE]
        per_member = used.groupby("member").size().reindex(sub["member"].unique(), fill_value=0)
        top = used.groupby("coordinate").size()
        rows.append(dict(zip(("dataset", "members", *COORDINATE_COLUMNS), (
            dataset_label(name), int(sub["member"].nunique()), float(per_member.mean()),
            int(used["coordinate"].nunique()), int(top.max()) if len(top) else 0,
            int(top.idxmax()) if len(top) else -1))))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# What makes Fig. 6's gain: the sweep
# --------------------------------------------------------------------------------------------

# the sweep table's measures: (metric, size) -> column
SWEEP_COLUMNS = {("member train accuracy", 0): "members' train accuracy",
                 ("member test accuracy", 0): "members' test accuracy",
                 ("disagreement", 0): "disagreement",
                 ("coordinates read per member", 0): "coordinates read per member",
                 ("overlap of read coordinates", 0): "overlap of read coordinates"}
# The page's headers of the sweep table: eight columns fit the text column only with short
# words (a header wraps only between words); the chapter's text says what each measures.
SWEEP_HEADERS = {"members' train accuracy": "train acc.", "members' test accuracy": "test acc.",
                 "coordinates read per member": "coords read",
                 "overlap of read coordinates": "overlap"}
AXIS_NAMES = {"width": "width", "n_train": "training points", "lr": "step size",
              "momentum": "momentum", "batch_size": "batch", "max_updates": "update cap"}


def sweep_label(row: dict, base: dict) -> str:
    """What a sweep setting changes from the base setting ('width 20, training points 8000'),
    or 'Fig. 6's setting' for the base itself. A base without an update cap is read as not
    changing it."""
    changed = [f"{AXIS_NAMES[k]} {row[k]:g}" for k in ds.SWEEP_AXES
               if row[k] != base.get(k, row[k])]
    return ", ".join(changed) or "Fig. 6's setting"


def sweep_start(sweep: dict) -> dict:
    """The sweep's start setting (a profile's ``sweep`` section) with its update cap."""
    return dict(sweep["start"], max_updates=sweep["train"]["max_updates"])


def sweep_table(part, base: dict) -> pd.DataFrame | None:
    """One row per sweep setting, in the order of the settings: what it changes, its members'
    train and test accuracy, the averaged-logit gain of each ensemble size above 1 (mean over
    the pool's disjoint ensembles), and how different the members are. None without a sweep."""
    if part is None:
        return None
    m = part.metrics
    axes = list(ds.SWEEP_AXES)
    rows = []
    for values, sub in m.groupby(axes, sort=False):
        setting = dict(zip(axes, values))
        row = {"setting": sweep_label(setting, base)}
        for (metric, size), column in SWEEP_COLUMNS.items():
            row[column] = _mean(sub, metric=metric, size=size)
        for size in sorted(sub.loc[sub["size"] > 1, "size"].unique()):
            row[f"gain, ensemble of {int(size)}"] = _mean(sub, metric="averaged logits gain",
                                                          size=size)
        rows.append(dict(row, **{f"_{k}": v for k, v in setting.items()}))
    out = pd.DataFrame(rows)
    order = ["setting", *SWEEP_COLUMNS.values()][:3] + \
        [c for c in out.columns if c.startswith("gain")] + list(SWEEP_COLUMNS.values())[2:]
    return out[order + [c for c in out.columns if c.startswith("_")]]


def sweep_view(results: dict, profile: str) -> pd.DataFrame | None:
    """The sweep of a run (this run's, or the stored paper-scale run's with ``profile``
    "paper") as the page shows it: ``sweep_table`` without its settings' raw values, under
    short headers (``SWEEP_HEADERS``; 'gain, 10' for an ensemble of 10); None where the run has
    no sweep."""
    table = sweep_table(results["sweep"], sweep_start(section(profile, ds.NAME)["sweep"]))
    if table is None:
        return None
    shown = table[[c for c in table.columns if not c.startswith("_")]]
    return shown.rename(columns=lambda c: SWEEP_HEADERS.get(c, c.replace("ensemble of ", "")))


def sweep_numbers(part, base: dict, sizes: list) -> dict:
    """The sweep's glued numbers: the paper's averaged-logit gain for the largest ensemble size,
    the Fig. 6 setting's gain and members' train accuracy, the setting with the largest gain
    (its label, gain, members' train and test accuracy), the largest gain among settings whose
    members memorise, and ``findings.sweep``'s answer."""
    table = sweep_table(part, base)
    big = max(sizes)
    paper = paper_numbers("Fig. 6")
    paper_gain = float(paper.loc[(paper["dataset"] == "ms-5")
                                 & (paper["model"] == ensemble_label(big))
                                 & (paper["metric"] == "averaged logits gain"), "mean"].iloc[0])
    gain, train = f"gain, ensemble of {big}", "members' train accuracy"
    rows = [dict(label=r["setting"], gain=r[gain], train=r[train]) for _, r in table.iterrows()]
    answer = findings.sweep(rows, paper_gain)
    base_row = table[table["setting"] == sweep_label(base, base)].iloc[0]
    best = table.loc[table[gain].idxmax()]
    memorising = table[table[train] >= findings.MEMORISED]
    return dict(sweep_size=big, sweep_paper_gain=paper_gain, sweep_settings=len(table),
                sweep_base_gain=float(base_row[gain]), sweep_base_train=float(base_row[train]),
                sweep_best=best["setting"], sweep_best_gain=float(best[gain]),
                sweep_best_train=float(best[train]),
                sweep_best_member=float(best["members' test accuracy"]),
                sweep_memorising_max_gain=float(memorising[gain].max()) if len(memorising)
                else float("nan"),
                sweep_reproduced=", ".join(answer["reproduced"]) or "no setting",
                sweep_any_reproduced=bool(answer["reproduced"]),
                sweep_memorising_short=answer["memorising_short"],
                sweep_underfit_reproduce=answer["underfit_reproduce"])


def stored_sweep_text(stored: dict) -> str | None:
    """Markdown: what the stored paper-scale sweep shows (``prose.stored_sweep`` of its
    ``sweep_numbers``), with the run's device and date; None when none is stored."""
    from sbcore.book.chapter import stored_label

    if stored.get("sweep") is None:
        return None
    w = section("paper", ds.NAME)["sweep"]
    return prose.stored_sweep(sweep_numbers(stored["sweep"], sweep_start(w), w["sizes"]),
                              stored_label(stored["sweep"]))


# --------------------------------------------------------------------------------------------
# Fig. 7: adversarial training on AdvMS-(5,7)
# --------------------------------------------------------------------------------------------

def _adv_rows(m: pd.DataFrame | None) -> pd.DataFrame | None:
    if m is None:
        return None
    out = m.copy()
    out["cell"] = [adv_label(mo, e) for mo, e in zip(out["model"], out["eps"])]
    return out


def advms_view(results: dict, stored: dict, profile: str):
    """Fig. 7 as a table: rows model and eps; standard and eps-robust accuracy, and the
    S- (5-slabs) and S^c- (7-slabs) randomised accuracy."""
    this = _adv_rows(results["advms"].metrics)
    st = _adv_rows(_metrics(stored["advms"]))
    paper = paper_numbers("Fig. 7").rename(columns={"model": "cell"})
    long = compare_table(paper, this, st, keys=KEYS)
    cells = pd.concat([x for x in (this, st) if x is not None])[["cell", "model", "eps"]]
    long = long.merge(cells.drop_duplicates("cell"), on="cell", how="left")
    long = long.sort_values(["model", "eps"], kind="stable")
    long["ε"] = long["eps"].map("{:g}".format)
    return wide_table(long, ["model", "ε"], ADV_METRICS, stored["advms"], profile=profile)


def advms_curves(results: dict) -> pd.DataFrame:
    """Per model, eps and metric: mean, std and count over seeds."""
    m = results["advms"].metrics
    m = m[m["metric"].isin(ADV_METRICS)]
    return m.groupby(["model", "metric", "eps"])["value"].agg(["mean", "std", "count"]) \
        .reset_index()


def fig7_paper_points() -> pd.DataFrame:
    """The paper's Fig. 7 statements as points (model, eps, metric, value)."""
    p = paper_numbers("Fig. 7")
    model_eps = p["model"].str.extract(r"^(.*), eps = (.*)$")
    return pd.DataFrame({"model": model_eps[0], "eps": model_eps[1].astype(float),
                         "metric": p["metric"], "value": p["mean"]})


# --------------------------------------------------------------------------------------------
# Table 11: adversarial training of the image CNNs
# --------------------------------------------------------------------------------------------

def table11_paper(dataset: str) -> pd.DataFrame:
    """Table 11's MNIST-CIFAR numbers keyed by this run's dataset (marked on the page)."""
    p = paper_numbers("Table 11").rename(columns={"model": "cell"})
    return p.assign(dataset=dataset)


def _t11_rows(m: pd.DataFrame | None) -> pd.DataFrame | None:
    if m is None:
        return None
    out = m.copy()
    out["cell"] = [f"{mo}, {me}" if me == "SGD" else f"{mo}, AT" if a == "code" else
                   f"{mo}, AT ({a} PGD)" for mo, me, a in zip(out["model"], out["method"],
                                                              out["attack"])]
    return out


def table11_view(results: dict, stored: dict, profile: str, dataset: str):
    """Table 11 for one domino: rows model and training (SGD, AT with the code's PGD, AT with
    the paper's); standard, eps-robust and MNIST-randomised accuracy. The paper column holds
    the paper's MNIST-CIFAR numbers, or their range over its three CNNs for a model it did
    not train. A note (markdown) when the domino did not run."""
    this = _t11_rows(results["table11"].metrics)
    this = this[this["dataset"] == dataset]
    if not len(this):
        from IPython.display import Markdown

        return Markdown(absent_text(dataset))
    st = _t11_rows(_metrics(stored["table11"]))
    st = None if st is None else st[st["dataset"] == dataset]
    paper = table11_paper(dataset)
    long = compare_table(paper, this, st if st is not None and len(st) else None, keys=KEYS)
    method = paper["cell"].str.split(", ").str[1]
    for i, row in long[long["paper"] == ""].iterrows():
        kind = "SGD" if row["cell"].endswith("SGD") else "AT"
        vals = paper[(method == kind) & (paper["metric"] == row["metric"])]["mean"]
        if len(vals):
            lo, hi = vals.min(), vals.max()
            long.loc[i, "paper"] = f"{lo:.3f}" if lo == hi else f"{lo:.3f}–{hi:.3f}"
    long["model"] = long["cell"].str.split(", ").str[0]
    long["training"] = long["cell"].str.split(", ", n=1).str[1]
    label = "paper (MNIST-CIFAR)" if not dataset.startswith("mnist-cifar") else "paper"
    return wide_table(long, ["model", "training"], T11_METRICS, stored["table11"],
                      profile=profile, paper_label=label)


def absent_text(dataset: str) -> str:
    """In place of a domino's Table 11 when it did not run (the chapter says why MNIST-CIFAR
    may not)."""
    return f"*{dataset_label(dataset)}: not run.*"


def training(results: dict) -> pd.DataFrame:
    """Per part: runs, how many met their stop rule (ensembles, Table 11; AdvMS-(5,7) runs a
    fixed schedule) and the updates they ran."""
    rows = []
    for part, merged in results.items():
        if merged is None or "runs" not in merged.tables:
            continue
        runs = merged.tables["runs"]
        conv = int(runs["converged"].sum()) if "converged" in runs else None
        rows.append({"part": part, "runs": len(runs),
                     "met the stop rule": "fixed schedule" if conv is None else conv,
                     "updates": mean_std(runs["updates"], count=False, places=0)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Numbers for the prose
# --------------------------------------------------------------------------------------------

def _mean(m: pd.DataFrame, **where) -> float:
    sel = np.ones(len(m), dtype=bool)
    for k, v in where.items():
        sel &= (m[k] == v).to_numpy()
    return float(m.loc[sel, "value"].mean()) if sel.any() else float("nan")


def numbers(results: dict, stored: dict, profile: str) -> dict:
    """Every number and text the chapter's prose glues, by name."""
    s = section(profile, ds.NAME)
    e, a, t, w = s["ensembles"], s["advms"], s["table11"], s["sweep"]
    em = results["ensembles"].metrics
    big = max(e["sizes"])
    out = dict(ms5_n_train=e["n_train"]["ms-5"], lms7_n_train=e["n_train"]["noisy-lms-7"],
               ens_d=e["d"], ens_members=e["members"], ens_max=big,
               ens_sizes=", ".join(map(str, [k for k in e["sizes"] if k > 1])),
               ens_n_test=e["n_test"], ens_n_val=e["n_val"], noise_p=e["p"])
    for name, key in (("ms-5", "ms5"), ("noisy-lms-7", "lms7")):
        sub = em[em["dataset"] == name]
        out[f"{key}_member"] = _mean(sub, aggregation="member", metric="test accuracy")
        out[f"{key}_member_train"] = _mean(sub, aggregation="member", metric="train accuracy")
        for agg, short in (("averaged logits", "avg"), ("linear stacker", "stack")):
            out[f"{key}_{short}_acc"] = _mean(sub, size=big, metric=f"{agg} accuracy")
            out[f"{key}_{short}_gain"] = _mean(sub, size=big, metric=f"{agg} gain")
        out[f"{key}_best"] = _mean(sub, size=big, metric="best member accuracy")
    cs = coordinate_summary(results).set_index("dataset")
    for name, key in (("ms-5", "ms5"), ("noisy-lms-7", "lms7")):
        per_member, pool, top_members, top_coord = cs.loc[dataset_label(name),
                                                          list(COORDINATE_COLUMNS)]
        glued = dict(coords_per_member=float(per_member), coords_pool=int(pool),
                     top_members=int(top_members), top_coord=int(top_coord))
        out.update({f"{key}_{short}": v for short, v in glued.items()})
    am = results["advms"].metrics
    sched = ds.advms_schedule(dict(a, n_train=a["n_train"]))
    out.update(adv_models=", ".join(a["models"]), adv_eps=", ".join(f"{x:g}" for x in a["eps"]),
               adv_n_train=a["n_train"], adv_epochs=a["epochs"], adv_updates=sched["updates"],
               adv_lr=a["lr"], adv_momentum=a["momentum"], adv_iters=a["iters"],
               adv_step="2.5 ε / iterations" if a["step"] is None else f"{a['step']:g}",
               adv_eval_iters=a["eval_iters"], adv_seeds=a["seeds"],
               gamma_s=a["gamma_s"], gamma_data=a["gamma_data"])
    model0 = a["models"][0]
    for eps in a["eps"]:
        key = f"{eps:g}".replace(".", "")
        sub = am[(am["model"] == model0) & (am["eps"] == eps)]
        for metric, short in (("standard accuracy", "std"), ("robust accuracy", "rob"),
                              ("S-randomized accuracy", "srand"),
                              ("Sc-randomized accuracy", "scrand")):
            out[f"adv_{short}_{key}"] = _mean(sub, metric=metric)
    tm = results["table11"].metrics
    out.update(t11_eps=t["eps"], t11_seeds=t["seeds"], t11_n_train=t["n_train"] or 0,
               t11_models=", ".join(t["models"]), t11_at_epochs=t["train"]["max_epochs"],
               t11_sgd_epochs=t["sgd_train"]["max_epochs"])
    out.update(sweep_numbers(results["sweep"], sweep_start(w), w["sizes"]),
               sweep_members=w["members"], sweep_n_test=w["n_test"], sweep_d=w["d"],
               t11_warmup=bool(t["eps_stages"] > 1),
               t11_at_recipe=prose.at_recipe(t["eps_stages"], t["train"]["max_epochs"],
                                             t["train"]["batch_size"], t["eps"]))
    for method in ("SGD", "AT"):
        # a stored table reads SGD's empty attack back as NaN
        sub = tm[(tm["method"] == method) & (tm["attack"].fillna("").isin(["", "code"]))]
        for metric, short in (("standard accuracy", "std"), ("robust accuracy", "rob"),
                              ("S-randomized accuracy", "srand")):
            out[f"t11_{method.lower()}_{short}"] = _mean(sub, metric=metric)
    runs = results["table11"].tables["runs"]
    out.update(t11_at_updates=float(runs.loc[runs["method"] == "AT", "updates"].mean()),
               ens_model=results["ensembles"].metrics["model"].iloc[0])
    out.update(findings.ensembles(**out), **_table11_flags(findings.table11(**out)))
    adv = findings.adversarial(_per_eps(out, a["eps"]))
    out.update(adv_model=model0, adv_per_eps=prose.per_eps(adv["rows"]),
               adv_robust_eps=prose.eps_list(adv["robust"]),
               adv_failed_eps=prose.eps_list(adv["failed"]),
               adv_s_alone=adv["s_alone"], adv_beyond_s=adv["beyond_s"])
    return out


def _table11_flags(t11: dict) -> dict:
    """Table 11's findings under their glued names."""
    return dict(t11_at_ok=t11["at_ok"], t11_reads_digit=t11["reads_digit"])


def _per_eps(n: dict, eps: list) -> dict:
    """ε -> the first model's standard, robust, S- and Sᶜ-randomised accuracy, read from the
    glued numbers (``numbers`` names them adv_<metric>_<ε without its point>)."""
    shorts = ("std", "rob", "srand", "scrand")
    return {e: {s: n[f"adv_{s}_{e:g}".replace(".", "")] for s in shorts} for e in eps}


