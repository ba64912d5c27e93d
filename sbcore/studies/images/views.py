"""What the images chapter (07_images) shows, from the study's results: the tables beside the
paper's Tables 4 and 5, the probe, the momentum and complex-half-alone checks, the sweep of what
sets the digit-randomised AUC, and the numbers the prose glues.

Every function takes the study's parts, ``{part: runner.Merged or None}`` as ``runner.parts``
gives them, for this run (``results``) and the stored paper-scale run (``stored``). No
plotting here (that is ``figures.py``).
"""

from __future__ import annotations

import pandas as pd

from sbcore.book.chapter import compare_table, mean_std, summary_view, wide_table
from sbcore.data.dominoes import class_names
from sbcore.data.labels import dataset_label
from sbcore.paper import paper_numbers
from sbcore.studies import runner, section
from sbcore.studies.images import findings, prose, study

DOMINOES = ("mnist-cifar", "mnist-fashion")  # the order of the chapter's tables
AUCS = ["standard AUC", "S-randomized AUC", "Sc-randomized AUC"]
ACCURACIES = ["standard accuracy", "S-randomized accuracy", "Sc-randomized accuracy"]
KEYS = ("dataset", "model", "metric")


def example_data(profile: str):
    """A few test dominoes of the profile's first domino, variant A, for the example grid."""
    from sbcore.data.dominoes import make_dominoes

    s = section(profile, study.NAME)
    return make_dominoes(s["dominoes"][0], "A", seed=s["data_seed"], n_train=2, n_test=40)


def paper_table(domino: str) -> pd.DataFrame:
    """The paper's Table 4 and 5 numbers (MNIST-CIFAR) keyed by this study's datasets: for the
    domino, the MNIST-CIFAR number of the same variant and model (marked as such on the page).
    Table 5's numbers (with their std) win over Table 4's single values."""
    p = pd.concat([paper_numbers("Table 5"), paper_numbers("Table 4")])
    p = p[p["dataset"].str.startswith("mnist-cifar-")].drop_duplicates(["dataset", "model",
                                                                          "metric"])
    return p.assign(dataset=p["dataset"].str.replace("mnist-cifar", domino, regex=False))


def _long(results: dict, stored: dict, part: str, domino: str) -> pd.DataFrame | None:
    this = results.get(part)
    if this is None:
        return None
    m = this.metrics[this.metrics["domino"] == domino]
    if not len(m):
        return None
    st = stored.get(part)
    st = None if st is None else st.metrics[st.metrics["domino"] == domino]
    paper = paper_table(domino)
    out = compare_table(paper, m, st if st is not None and len(st) else None, keys=KEYS)
    # a model the paper did not train (the quick profile's small CNNs): the range of the
    # paper's four CNNs on the same variant and metric
    ranges = paper.groupby(["dataset", "metric"])["mean"].agg(["min", "max"])
    for i, row in out[out["paper"] == ""].iterrows():
        if (row["dataset"], row["metric"]) in ranges.index:
            lo, hi = ranges.loc[(row["dataset"], row["metric"])]
            out.loc[i, "paper"] = f"{lo:.2f}" if lo == hi else f"{lo:.2f}–{hi:.2f}"
    out["variant"] = out["dataset"].str[-1]
    return out


def main_view(results: dict, stored: dict, profile: str, domino: str, what: str = "AUC"):
    """Tables 4 and 5 for one domino: rows variant and model; the standard, MNIST- (S) and
    complex- (S^c) randomised AUC (``what="AUC"``, beside the paper) or accuracy
    (``what="accuracy"``; the paper gives none). For the domino the paper column holds the
    paper's MNIST-CIFAR numbers, headed so. None when the domino did not run."""
    long = _long(results, stored, "main", domino)
    if long is None:
        return None
    label = "paper" if domino == "mnist-cifar" else "paper, MNIST-CIFAR"
    return wide_table(long, ["variant", "model"], AUCS if what == "AUC" else ACCURACIES,
                      stored.get("main"), profile=profile, paper_label=label)


def probe_table(results: dict):
    """The linear probe on the complex-randomised test set: accuracy of predicting each
    block's class from the trained and the untrained network's features (mean ± std)."""
    m = results["main"].metrics
    m = m[m["metric"].str.startswith("probe accuracy")].copy()
    parts = m["metric"].str.extract(r"probe accuracy, (\w+) block, (\w+)")
    m["probe predicts"] = parts[0].map({"complex": "complex half's class",
                                        "mnist": "MNIST half's class"})
    m["features"] = parts[1].map({"trained": "trained network",
                                  "untrained": "untrained network (baseline)"})
    m["dataset"] = m["dataset"].map(dataset_label)
    groups = m.groupby(["dataset", "model", "probe predicts", "features"], sort=False)["value"]
    table = groups.agg(lambda v: mean_std(v, count=False)).unstack("features")
    return summary_view(table, counts=groups.count().unstack("features"))


def side_table(results: dict, part: str):
    """The momentum or complex-half-alone runs beside the main run of the same model: test
    accuracy, MNIST-randomised AUC (not for the complex half alone) and epochs run."""
    r, main = results.get(part), results.get("main")
    if r is None or main is None:
        return None
    metrics = ["standard accuracy", "S-randomized AUC", "epochs"]
    rows, counts = {}, {}
    for (dataset, model), g in r.metrics.groupby(["dataset", "model"], sort=False):
        base = main.metrics[(main.metrics["dataset"] == dataset) & (main.metrics["model"] == model)]
        for src in (g, base):
            key = (dataset_label(dataset), model, _side_label(part if src is g else "main", src))
            rows[key], counts[key] = {}, {}
            for metric in metrics:
                v = src[src["metric"] == metric]["value"]
                blanked = part == "alone" and src is g and metric == "S-randomized AUC"
                if len(v) and not blanked:  # with MNIST blanked there is nothing to randomise
                    places = 1 if metric == "epochs" else 3
                    rows[key][_metric_label(metric)] = mean_std(v, count=False, places=places)
                    counts[key][_metric_label(metric)] = int(v.count())
    table = pd.DataFrame.from_dict(rows, orient="index").fillna("–")
    table.index.names = ["dataset", "model", "run"]
    return summary_view(table, counts=pd.DataFrame.from_dict(counts, orient="index").set_axis(
        table.index))


def _side_label(part: str, metrics: pd.DataFrame) -> str:
    if part == "alone":
        return "complex half alone (MNIST blanked)"
    momentum = metrics["momentum"].iloc[0] if len(metrics) else float("nan")
    return f"both halves, momentum {momentum:g}"


def _metric_label(metric: str) -> str:
    return {"standard accuracy": "test accuracy", "standard AUC": "test AUC",
            "S-randomized AUC": "MNIST-randomised AUC", "epochs": "epochs"}[metric]


def training(results: dict) -> pd.DataFrame:
    """Per part, dataset and model: runs that met the stop rule, epochs, final training loss
    (the sweep's runs are in its own table)."""
    runs = pd.concat([r.tables["runs"] for p, r in results.items()
                      if r is not None and p != "sweep"])
    out = runs.groupby(["part", "dataset", "model"], sort=False).agg(
        runs=("seed", "size"), converged=("converged", "sum"), epochs=("epochs", "mean"),
        train_loss=("train_loss", "mean"), wall_time_s=("wall_time_s", "mean")).reset_index()
    out["dataset"] = out["dataset"].map(dataset_label)
    out["epochs"] = out["epochs"].round(1)
    out["train_loss"] = out["train_loss"].round(3)
    out["wall_time_s"] = out["wall_time_s"].round(1)
    return out.rename(columns={"train_loss": "final train loss",
                               "wall_time_s": "seconds per run"})


SWEEP_FACTORS = {"base": "quick setting", "pair": "garment pair", "network": "network",
                 "length": "training length", "inputs": "input scale", "size": "training set"}
# The sweep table's headers: nine columns fit the text column only with short words (a header
# wraps only between words); the chapter's text names each in full.
SWEEP_METRICS = {"S-randomized AUC": "MNIST-rand. AUC",
                 "S-randomized AUC, digit fixed": "AUC, digit fixed",
                 "S-randomized garment / digit shift": "garment / digit shift",
                 "S-randomized accuracy": "MNIST-rand. acc.",
                 "standard accuracy": "test acc.", "epochs": "epochs"}
INPUT_LABELS = {"pixels": "pixels in [0, 1]", "standardised": "standardised (mean 0, std 1)",
                "bytes": "pixels in [0, 255]"}


def sweep_part(results: dict, stored: dict):
    """The sweep to show: this run's, else the stored paper-scale one (the quick profile runs
    none: it is stored, made on a CPU around the quick setting); None when neither has it."""
    return results.get("sweep") if results.get("sweep") is not None else stored.get("sweep")


def level_label(factor: str, level: str, runs: pd.DataFrame) -> str:
    """What a sweep level is, in words, from its runs (``runs``: the sweep's runs table)."""
    runs = findings.levels_as_text(runs)
    r = runs[(runs["factor"] == factor) & (runs["level"] == str(level))].iloc[0]
    pair = " / ".join(class_names("mnist-fashion", r["variant"]))
    if factor == "base":
        stop = f"to loss {section('paper', study.NAME)['sweep']['around']['eps']:g}"
        return (f"{r['model']}, {pair}, {stop}, {INPUT_LABELS[r['inputs']]}, "
                f"{int(r['n_train']):,} training dominoes")
    return {"pair": pair, "network": r["model"], "inputs": INPUT_LABELS[r["inputs"]],
            "size": f"{int(r['n_train']):,} training dominoes"}.get(
        factor, level.replace("-", " "))


def sweep_long(sweep) -> pd.DataFrame:
    """The sweep's per-seed metrics with ``row``: '<factor>: <setting>', the quick setting
    ("quick setting") first (for ``figures.sweep_dots``)."""
    m, runs = sweep.metrics, sweep.tables["runs"]
    order = findings.sweep_effects(m)
    labels = {(e.factor, e.level): SWEEP_FACTORS["base"] if e.factor == "base" else
              f"{SWEEP_FACTORS.get(e.factor, e.factor)}: {level_label(e.factor, e.level, runs)}"
              for e in order.itertuples()}
    out = m.assign(row=[labels[k] for k in zip(m["factor"], m["level"].astype(str))])
    rank = {label: i for i, label in enumerate(labels.values())}
    return out.sort_values("row", key=lambda r: r.map(rank), kind="stable")


def paper_s_auc_range() -> tuple:
    """The lowest and highest of the paper's MNIST-CIFAR digit-randomised AUCs (Table 5)."""
    p = paper_numbers("Table 5")
    v = p[p["metric"] == "S-randomized AUC"]["mean"]
    return float(v.min()), float(v.max())


def sweep_table(sweep):
    """The sweep, one row per level (the quick setting first): each of ``SWEEP_METRICS``
    (mean ± std over seeds) and the MNIST-randomised AUC's change from the quick setting,
    starred where it moves it (``findings.EFFECT_Z`` standard errors)."""
    m, runs = sweep.metrics, sweep.tables["runs"]
    effects = findings.sweep_effects(m)
    rows, counts = {}, {}
    for e in effects.itertuples():
        key = (SWEEP_FACTORS.get(e.factor, e.factor), level_label(e.factor, e.level, runs))
        here = m[(m["factor"] == e.factor) & (m["level"].astype(str) == e.level)]
        rows[key], counts[key] = {}, {}
        for metric, label in SWEEP_METRICS.items():
            v = here[here["metric"] == metric]["value"]
            rows[key][label] = mean_std(v, count=False, places=1 if metric == "epochs" else 3)
            counts[key][label] = int(v.count())
            if metric == "S-randomized AUC":
                rows[key]["change"] = "" if e.factor == "base" else \
                    f"{e.difference:+.3f}{' *' if e.moves else ''}"
                counts[key]["change"] = float("nan")
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.names = ["factor", "setting"]
    title = f"* beyond {findings.EFFECT_Z:g} standard errors"
    return summary_view(table, title=title, counts=pd.DataFrame.from_dict(
        counts, orient="index").set_axis(table.index))


def _sweep_numbers(sweep, paper_aucs) -> dict:
    """The sweep's glued numbers and answers (NaN and False where it did not run)."""
    out = dict(sweep_ran=sweep is not None)
    if sweep is None:
        out.update(dict.fromkeys(("sweep_base", "sweep_top", "gap_pooled", "gap_fixed",
                                  "gap_predicted", "gap_digit", "gap_shift", "sweep_minutes"),
                                 float("nan")),
                   sweep_top_factor="", sweep_top_level="", sweep_moving="",
                   sweep_paper_like="", sweep_ranges="", sweep_base_label="",
                   effect_z=findings.EFFECT_Z, sweep_seeds=0, sweep_by_digit=False,
                   sweep_off_chance="",
                   gap_explained=False, gap_by_garment=False, sweep_any_paper_like=False)
        return out
    runs = sweep.tables["runs"]
    effects = findings.sweep_effects(sweep.metrics)
    f = findings.sweep_finding(effects, paper_aucs)
    base = effects[effects["factor"] == "base"]
    ranges = []  # each factor's lowest and highest mean AUC, the quick setting included
    for factor, g in effects[effects["factor"] != "base"].groupby("factor", sort=False):
        means = pd.concat([g["mean"], base["mean"]])
        ranges.append(f"{SWEEP_FACTORS.get(factor, factor)} {_span(means.min(), means.max())}")
    factor, level, change = f.strongest
    gap = findings.score_gap(sweep.metrics[sweep.metrics["factor"] == "base"])
    like = [f"{level_label(a, b, runs)} ({SWEEP_FACTORS.get(a, a)})" for a, b in f.paper_like]
    off = [f"{level_label(a, b, runs)} ({SWEEP_FACTORS.get(a, a)})"
           for a, b in findings.off_chance(sweep.metrics)]
    out.update(sweep_base=f.base_auc, sweep_top=f.base_auc + change,
               sweep_top_factor=SWEEP_FACTORS.get(factor, factor),
               sweep_top_level=level_label(factor, level, runs) if factor else "",
               sweep_moving=", ".join(SWEEP_FACTORS[x] for x in f.factors_that_move),
               sweep_paper_like="; ".join(like), sweep_any_paper_like=bool(like),
               sweep_ranges=", ".join(ranges), effect_z=findings.EFFECT_Z,
               sweep_by_digit=not off, sweep_off_chance="; ".join(off),
               sweep_base_label=level_label("base", "base", runs),
               sweep_seeds=int(base["n"].iloc[0]),
               sweep_minutes=sum(p.get("wall_time_s", 0.0) for p in sweep.provenances) / 60,
               gap_pooled=gap.pooled, gap_fixed=gap.digit_fixed, gap_predicted=gap.predicted,
               gap_digit=gap.digit, gap_shift=gap.shift_ratio, gap_explained=gap.explained,
               gap_by_garment=gap.by_garment)
    return out


def _span(lo: float, hi: float, places: int = 2) -> str:
    """'0.57–0.64', or one number when the two agree at that precision."""
    a, b = f"{lo:.{places}f}", f"{hi:.{places}f}"
    return a if a == b else f"{a}–{b}"


def numbers(results: dict, stored: dict | None, profile: str) -> dict:
    """Every number, finding and list the chapter's prose glues, by name, from this run's
    entries as ``runner.run`` returns them; ``stored`` (the paper-scale run's, or None) gives
    the sweep where this run has none."""
    parts = runner.parts("images", results)
    s = section(profile, study.NAME)
    t = s["train"]
    main = parts["main"].metrics
    runs = pd.concat([r.tables["runs"] for p, r in parts.items()
                      if r is not None and p != "sweep"])
    names = class_names(s["dominoes"][0], "A")
    out = dict(n_seeds=len(s["seeds"]), models=", ".join(s["models"]), lr=t["lr"],
               momentum=t["momentum"], batch=t["batch_size"], eps=t["eps"],
               max_epochs=t["max_epochs"], weight_decay=t["weight_decay"],
               n_train=int(runs[runs["part"] == "main"]["n_train"].iloc[0]),
               label0=names[0], label1=names[1], n_runs=len(runs),
               n_converged=int(runs["converged"].sum()),
               epochs_mean=float(runs[runs["part"] == "main"]["epochs"].mean()))
    out.update(findings.spans(main))
    out.update(findings.cifar_absence("mnist-cifar" in set(main["domino"]),
                                      "mnist-cifar" in s["dominoes"]))
    out["alone_acc"] = findings.mean(parts, "alone", "standard accuracy")
    for feats in ("trained", "untrained"):
        out[f"probe_{feats}"] = findings.mean(parts, "main",
                                              f"probe accuracy, complex block, {feats}")
    for name, places in (("acc", 3), ("s_acc", 2), ("sc_auc", 2), ("s_auc", 2)):
        out[f"{name}_span"] = _span(out[f"{name}_lo"], out[f"{name}_hi"], places)
    paper = paper_numbers("Table 5")
    res = findings.residual(main, paper[paper["metric"] == "S-randomized AUC"]["mean"])
    out.update(s_acc_range=f"{out['s_acc_lo']:.2f}–{out['s_acc_hi']:.2f}",
               paper_s_auc_range=f"{res.paper[0]:.2f}–{res.paper[1]:.2f}",
               residual_models=prose.residual_models(res), **res.flags(),
               probe_better=findings.probe_effect(out["probe_trained"],
                                                  out["probe_untrained"]) == "better")
    stored_parts = runner.parts("images", stored) if stored else {}
    out.update(_sweep_numbers(sweep_part(parts, stored_parts),
                              paper[paper["metric"] == "S-randomized AUC"]["mean"]))
    return out
