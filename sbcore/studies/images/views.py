"""What the images chapter (07_images) shows, from the study's results: the tables beside the
paper's Tables 4 and 5, the probe, the momentum and complex-half-alone checks, and the numbers
the prose glues.

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
    """Per part, dataset and model: runs that met the stop rule, epochs, final training loss."""
    runs = pd.concat([r.tables["runs"] for r in results.values() if r is not None])
    out = runs.groupby(["part", "dataset", "model"], sort=False).agg(
        runs=("seed", "size"), converged=("converged", "sum"), epochs=("epochs", "mean"),
        train_loss=("train_loss", "mean"), wall_time_s=("wall_time_s", "mean")).reset_index()
    out["dataset"] = out["dataset"].map(dataset_label)
    out["epochs"] = out["epochs"].round(1)
    out["train_loss"] = out["train_loss"].round(3)
    out["wall_time_s"] = out["wall_time_s"].round(1)
    return out.rename(columns={"train_loss": "final train loss",
                               "wall_time_s": "seconds per run"})


def _span(lo: float, hi: float, places: int = 2) -> str:
    """'0.57–0.64', or one number when the two agree at that precision."""
    a, b = f"{lo:.{places}f}", f"{hi:.{places}f}"
    return a if a == b else f"{a}–{b}"


def numbers(results: dict, stored: dict | None, profile: str) -> dict:
    """Every number, finding and list the chapter's prose glues, by name, from this run's entries as
    ``runner.run`` returns them (``stored``, the paper-scale run's, is not needed here)."""
    parts = runner.parts("images", results)
    s = section(profile, study.NAME)
    t = s["train"]
    main = parts["main"].metrics
    runs = pd.concat([r.tables["runs"] for r in parts.values() if r is not None])
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
    return out
