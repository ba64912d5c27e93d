"""What the images chapter (07_images) shows, from the study's results: the tables beside the
paper's Tables 4 and 5, the probe, the momentum and complex-half-alone checks, and the numbers
the prose glues.

Every function takes the study's parts, ``{part: runner.Merged or None}`` as ``study.parts``
gives them, for this run (``results``) and the stored paper-scale run (``stored``). No
plotting here (that is ``figures.py``).
"""

from __future__ import annotations

import pandas as pd

from sbcore.book.chapter import compare_table, mean_std, summary_view, wide_table
from sbcore.data.dominoes import class_names
from sbcore.paper import paper_numbers
from sbcore.profiles import quick_reductions, section
from sbcore.studies.images import study as im

# MNIST-Fashion: MNIST on top of Fashion-MNIST (the "MF-Dominoes" of later work)
DOMINOES = {"mnist-cifar": "MNIST-CIFAR", "mnist-fashion": "MNIST-Fashion"}
AUCS = ["standard AUC", "S-randomized AUC", "Sc-randomized AUC"]
ACCURACIES = ["standard accuracy", "S-randomized accuracy", "Sc-randomized accuracy"]
KEYS = ("dataset", "model", "metric")


def dataset_label(dataset: str) -> str:
    """'mnist-fashion-A' -> 'MNIST-Fashion A'."""
    domino, variant = dataset.rsplit("-", 1)
    return f"{DOMINOES[domino]} {variant}"


def example_data(profile: str):
    """A few test dominoes of the profile's first domino, variant A, for the example grid."""
    from sbcore.data.dominoes import make_dominoes

    s = section(profile, im.NAME)
    return make_dominoes(s["dominoes"][0], "A", seed=s["data_seed"], n_train=2, n_test=40)


def absent_text(domino: str, profile: str) -> str:
    """Why a domino has no table on this page."""
    s = section(profile, im.NAME)
    if domino not in s["dominoes"]:
        return (f"*{DOMINOES[domino]} is not part of the {profile} profile; the paper profile "
                f"runs it where a copy of CIFAR-10 is present.*")
    return (f"*{DOMINOES[domino]} did not run here: CIFAR-10 was not found. Point "
            f"`SB_CIFAR10` at a `cifar-10-batches-py` folder (the python version of "
            f"CIFAR-10) and re-execute this chapter.*")


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
    complex_half = "CIFAR" if domino == "mnist-cifar" else "Fashion-MNIST"
    title = f"{DOMINOES[domino]}, {what}: S is the MNIST half, Sᶜ the {complex_half} half"
    if what == "AUC":
        title += " (Tables 4 and 5)"
        if domino != "mnist-cifar":
            title += "; the paper column holds the paper's MNIST-CIFAR numbers"
        if not set(long["model"]) <= set(paper_table(domino)["model"]):
            title += ("; for a model the paper did not train, the range over its four CNNs "
                      "on the same variant")
    return wide_table(long, ["variant", "model"], AUCS if what == "AUC" else ACCURACIES,
                      stored.get("main"), title, profile, paper_label=label)


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
    table = m.groupby(["dataset", "model", "probe predicts", "features"], sort=False)[
        "value"].agg(mean_std).unstack("features")
    return summary_view(table, "Linear probe on the features the head receives, on the "
                               "complex-randomised test dominoes (chance 0.5)")


def side_table(results: dict, part: str):
    """The momentum or complex-half-alone runs beside the main run of the same model: test
    accuracy, MNIST-randomised AUC (not for the complex half alone) and epochs run."""
    r, main = results.get(part), results.get("main")
    if r is None or main is None:
        return None
    metrics = ["standard accuracy", "S-randomized AUC", "epochs"]
    rows = {}
    for (dataset, model), g in r.metrics.groupby(["dataset", "model"], sort=False):
        base = main.metrics[(main.metrics["dataset"] == dataset) & (main.metrics["model"] == model)]
        for src in (g, base):
            label = _side_label(part if src is g else "main", src)
            row = {}
            for metric in metrics:
                v = src[src["metric"] == metric]["value"]
                blanked = part == "alone" and src is g and metric == "S-randomized AUC"
                if len(v) and not blanked:  # with MNIST blanked there is nothing to randomise
                    row[_metric_label(metric)] = mean_std(v, places=1 if metric == "epochs"
                                                          else 3)
            rows[(dataset_label(dataset), model, label)] = row
    table = pd.DataFrame.from_dict(rows, orient="index").fillna("–")
    table.index.names = ["dataset", "model", "run"]
    title = ("Trained on the complex half alone" if part == "alone" else
             "The paper's momentum and the code's")
    return summary_view(table, title)


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


def _mean(results: dict, part: str, metric: str, **where) -> float:
    r = results.get(part)
    if r is None:
        return float("nan")
    m = r.metrics[r.metrics["metric"] == metric]
    for k, v in where.items():
        m = m[m[k] == v]
    return float(m["value"].mean())


def _span(lo: float, hi: float, places: int = 2) -> str:
    """'0.57–0.64', or one number when the two agree at that precision."""
    a, b = f"{lo:.{places}f}", f"{hi:.{places}f}"
    return a if a == b else f"{a}–{b}"


def numbers(results: dict, profile: str) -> dict:
    """Every number and text the chapter's prose glues, by name."""
    s = section(profile, im.NAME)
    t = s["train"]
    main = results["main"].metrics
    runs = pd.concat([r.tables["runs"] for r in results.values() if r is not None])
    domino = s["dominoes"][0]
    names = class_names(domino, "A")
    out = dict(n_seeds=len(s["seeds"]), models=", ".join(s["models"]), lr=t["lr"],
               momentum=t["momentum"], batch=t["batch_size"], eps=t["eps"],
               max_epochs=t["max_epochs"], weight_decay=t["weight_decay"],
               n_train=int(runs[runs["part"] == "main"]["n_train"].iloc[0]),
               label0=names[0], label1=names[1], n_runs=len(runs),
               n_converged=int(runs["converged"].sum()),
               epochs_mean=float(runs[runs["part"] == "main"]["epochs"].mean()))
    for metric, name in (("standard accuracy", "acc"), ("S-randomized AUC", "s_auc"),
                         ("Sc-randomized AUC", "sc_auc"), ("S-randomized accuracy", "s_acc")):
        vals = main[main["metric"] == metric]["value"]
        out[f"{name}_lo"], out[f"{name}_hi"] = float(vals.min()), float(vals.max())
    out["alone_acc"] = _mean(results, "alone", "standard accuracy")
    for feats in ("trained", "untrained"):
        out[f"probe_{feats}"] = _mean(results, "main", f"probe accuracy, complex block, {feats}")
    return out


def residual_text(results: dict) -> str:
    """What the MNIST-randomised AUC says beyond the accuracy, per model, from the numbers:
    how far above 0.5 it stays, against the paper's MNIST-CIFAR range."""
    m = results["main"].metrics
    auc = m[m["metric"] == "S-randomized AUC"].groupby("model", sort=False)["value"].mean()
    acc = m[m["metric"] == "S-randomized accuracy"]["value"]
    paper = paper_numbers("Table 5")
    paper = paper[paper["metric"] == "S-randomized AUC"]["mean"]
    per_model = ", ".join(f"{model} {v:.2f}" for model, v in auc.sort_values().items())
    text = (f"With the digit randomised the accuracy is {acc.min():.2f}–{acc.max():.2f}: the "
            f"decision follows the digit. The AUC, which also counts how the scores are "
            f"ordered within each side of the boundary, is {per_model} (mean over seeds); "
            f"the paper's MNIST-CIFAR CNNs give {paper.min():.2f}–{paper.max():.2f}.")
    if auc.max() > paper.max() + 0.02:
        text += (" So here the scores still move a little with the complex half: a residual "
                 "use of it that barely changes a decision")
        if len(auc) > 1:
            lo, hi = auc.idxmin(), auc.idxmax()
            text += f", smaller for {lo} than for {hi}"
        text += "."
    return text


def profile_notes(profile: str) -> list[str]:
    """Markdown: what the quick or smoke profile reduces."""
    if profile == "quick":
        return ["**Reductions of the quick profile.** " + quick_reductions()["images"]]
    if profile == "smoke":
        return ["**The smoke profile** trains the small CNN for a few epochs on a few hundred "
                "dominoes only to exercise the code."]
    return []


def recap(results: dict, profile: str) -> str:
    """The chapter's recap (markdown bullets), written from this run's numbers."""
    n = numbers(results, profile)
    lines = [f"* Trained on dominoes whose two halves both give the label, the networks reach "
             f"{_span(n['acc_lo'], n['acc_hi'], 3)} test accuracy. Randomising the digit takes "
             f"their accuracy to {_span(n['s_acc_lo'], n['s_acc_hi'])} (chance is 0.5); "
             f"randomising the complex half leaves their AUC at "
             f"{_span(n['sc_auc_lo'], n['sc_auc_hi'])}: their decisions follow the digit. "
             f"Their digit-randomised AUC, {_span(n['s_auc_lo'], n['s_auc_hi'])}, shows how "
             "much the complex half still moves the scores."]
    if n["alone_acc"] == n["alone_acc"]:
        lines.append(f"* The complex half alone is learnable: {n['alone_acc']:.3f} test "
                     "accuracy with MNIST blanked. The networks ignore a feature they could "
                     "have used.")
    if n["probe_trained"] == n["probe_trained"]:
        gap = n["probe_trained"] - n["probe_untrained"]
        verdict = ("better than an untrained network's features do" if gap > 0.02 else
                   "no better than an untrained network's features do" if gap > -0.02 else
                   "worse than an untrained network's features do")
        lines.append(f"* On test dominoes where the complex half says nothing about the label, "
                     f"a linear probe on the trained features tells that half's class "
                     f"{n['probe_trained']:.3f} of the time, {verdict} "
                     f"({n['probe_untrained']:.3f}): the output ignores the complex half"
                     + (", while the features below it keep somewhat more of it than an "
                        "untrained network's." if gap > 0.02 else
                        ", and training added nothing about it to the representation."))
    return "\n".join(lines)
