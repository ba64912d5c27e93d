"""What the perturbations chapter (08_perturbations) shows, from the study's results: the
summary beside the paper's Fig. 4 and the official notebook 06, the cosine between the UAPs of
different models, and the numbers the prose glues. No plotting here (``figures.py``)."""

from __future__ import annotations

import pandas as pd

from sbcore.book.chapter import compare_table, summary_view, wide_table
from sbcore.data.labels import DATASET_LABELS, dataset_label
from sbcore.paper import paper_numbers
from sbcore.studies import runner, section
from sbcore.studies.perturbations import findings, study


def paper_table(models) -> pd.DataFrame:
    """The notebook-06 outputs and Fig. 4's shares (for an FCN: the paper gives no width for
    this study), set beside each FCN of ``models``; Fig. 4's share is that of both UAPs."""
    nb = paper_numbers("Notebook 06")
    fig = paper_numbers("Fig. 4")
    fig = fig[fig["dataset"].isin(findings.SYNTHETIC)]
    fig = pd.concat([fig.assign(metric=f"{a} share on S") for a in ("SVD-UAP", "AS-UAP")])
    fcns = [m for m in dict.fromkeys(models) if str(m).endswith("-FCN")]
    return pd.concat([pd.concat([nb, fig]).assign(model=m) for m in fcns] or
                     [pd.concat([nb, fig]).iloc[:0]])


# The comparison tables: at most two metrics with paper | stored | this run each, plus one
# without a paper number, so that each fits the text column (their captions are the chapter's).
SUMMARIES = {
    "accuracy": ["SVD-UAP accuracy", "AS-UAP accuracy"],
    "share": ["SVD-UAP share on S", "AS-UAP share on S"],
    "pgd": ["PGD accuracy", "PGD share on S"],
    "unsigned": ["unsigned SVD-UAP accuracy"],
}


def summary(results, stored, profile: str, what: str = "accuracy"):
    """Rows dataset and model, paper | stored | this run, for one of ``SUMMARIES``: the UAPs'
    accuracy at the notebook's norms (``"accuracy"``), the share of their l2 budget on S
    (``"share"``), per-example PGD (``"pgd"``), or the SVD-UAP added with one sign
    (``"unsigned"``)."""
    if what not in SUMMARIES:
        raise ValueError(f"what must be one of {', '.join(SUMMARIES)}, got {what!r}")
    metrics = SUMMARIES[what]
    this = findings.synthetic(results.metrics)
    st = findings.synthetic(stored.metrics) if stored is not None else None
    long = compare_table(paper_table(this["model"]), this, st,
                         keys=("dataset", "model", "metric"))
    long["dataset"] = long["dataset"].map(DATASET_LABELS)
    return wide_table(long, ["dataset", "model"], metrics, stored, profile=profile)


def curves(results) -> pd.DataFrame:
    """Accuracy against the norm, every attack, mean over seeds."""
    c = findings.synthetic(results.tables["curves"])
    return c[c["attack"] != "none"].groupby(["dataset", "model", "attack", "norm"],
                                            sort=False)["accuracy"].mean().reset_index()


def uap_cosines(results, stored=None):
    """|cosine| between the SVD-UAP directions of the models trained on LMS-5, one row per
    pair: this run's, and the stored paper-scale run's beside it once it holds two models."""
    this, st = (findings.cosines(r.tables["directions"]) if r is not None else {}
                for r in (results, stored))
    if not this and not st:
        return None
    pairs = list(dict.fromkeys([*this, *st]))
    table = pd.DataFrame({"|cosine|, this run": [this.get(k) for k in pairs]},
                         index=pd.MultiIndex.from_tuples(pairs, names=["model", "other model"]))
    if st:
        table["|cosine|, stored paper-scale run"] = [st.get(k) for k in pairs]
    return summary_view(table)


def image_table(results) -> pd.DataFrame | None:
    """The images part: per domino and model, clean accuracy, accuracy under the SVD-UAP at
    each norm, and the share of the UAP on the MNIST pixels (both readings), as numbers (the
    page formats them). None if absent."""
    c = results.tables["curves"]
    c = c[~c["dataset"].isin(findings.SYNTHETIC)]
    if not len(c):
        return None
    rows = []
    for (dataset, model), g in c.groupby(["dataset", "model"], sort=False):
        row = {"dataset": dataset_label(dataset), "model": model,
               "clean accuracy": float(g[g["attack"] == "none"]["accuracy"].iloc[0])}
        uap = g[g["attack"] == "SVD-UAP"]
        for r in uap.itertuples():
            row[f"UAP norm {r.norm:g}"] = float(r.accuracy)
        row["share on MNIST (‖P_S‖/‖P‖)"] = float(uap["share_norm_ratio"].iloc[-1])
        row["share on MNIST (l2 mass)"] = float(uap["share_l2_mass"].iloc[-1])
        rows.append(row)
    return pd.DataFrame(rows)


def numbers(results: dict, stored: dict | None, profile: str) -> dict:
    """Every number and finding the prose glues, by name, from this run's entries as ``runner.run``
    returns them (``stored``, the paper-scale run's, has its own bullet: ``stored_findings``)."""
    s = section(profile, study.NAME)
    result = runner.merge(results)
    out = dict(d=s["d"], n_train=s["n_train"], n_seeds=len(s["seeds"]),
               n_attack=s["n_attack"], pgd_eps=s["pgd"]["eps"])
    out.update(findings.spans(result.metrics))
    out.update(findings.shifts(result.tables["curves"]))
    paper = paper_numbers("Fig. 4")
    out.update(findings.image(result.metrics,
                              paper[paper["dataset"] == "mnist-cifar"]["mean"].iloc[0]))
    return out


def stored_findings(stored) -> dict | None:
    """The stored paper-scale run's spans, d and models for its recap bullet (``stored`` as
    ``runner.lookup`` returns it), or None when nothing synthetic is stored."""
    merged = runner.merge(stored) if stored else None
    if merged is None or not len(findings.synthetic(merged.metrics)):
        return None
    return dict(findings.spans(merged.metrics), d=section("paper", study.NAME)["d"],
                models=findings.stored_models(merged.metrics))
