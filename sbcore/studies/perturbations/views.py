"""What the perturbations chapter (08_perturbations) shows, from the study's results: the
summary beside the paper's Fig. 4 and the official notebook 06, the cosine between the UAPs of
different models, and the numbers the prose glues. No plotting here (``figures.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.book.chapter import compare_table, summary_view, wide_table
from sbcore.paper import paper_numbers
from sbcore.profiles import quick_reductions, section
from sbcore.studies.images.views import dataset_label
from sbcore.studies.perturbations import study as pt

NAMES = {"lms-5": "LMS-5", "ms-5-7": "MS-(5,7)"}


def paper_table(models) -> pd.DataFrame:
    """The notebook-06 outputs and Fig. 4's shares (for an FCN: the paper gives no width for
    this experiment), set beside each FCN of ``models``; Fig. 4's share is that of both UAPs."""
    nb = paper_numbers("Notebook 06")
    fig = paper_numbers("Fig. 4")
    fig = fig[fig["dataset"].isin(NAMES)]
    fig = pd.concat([fig.assign(metric=f"{a} share on S") for a in ("SVD-UAP", "AS-UAP")])
    fcns = [m for m in dict.fromkeys(models) if str(m).endswith("-FCN")]
    return pd.concat([pd.concat([nb, fig]).assign(model=m) for m in fcns] or
                     [pd.concat([nb, fig]).iloc[:0]])


def _synthetic(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the synthetic datasets (not the images part)."""
    return frame[frame["dataset"].isin(NAMES)]


# The comparison tables: at most two metrics with paper | stored | this run each, plus one
# without a paper number, so that each fits the text column.
SUMMARIES = {
    "accuracy": (["SVD-UAP accuracy", "AS-UAP accuracy"],
                 "Accuracy under the universal perturbations"),
    "share": (["SVD-UAP share on S", "AS-UAP share on S"],
              "Share of each UAP's l2 budget on S (mean ‖P_S‖ / ‖P‖ in the blocks' "
              "coordinates)"),
    "pgd": (["PGD accuracy", "PGD share on S"],
            "Per-example PGD: accuracy, and the share of its budget on S"),
    "unsigned": (["unsigned SVD-UAP accuracy"],
                 "Accuracy under the SVD-UAP added with one sign to every point, whatever its "
                 "label"),
}


def summary(results, stored, profile: str, what: str = "accuracy"):
    """Rows dataset and model, paper | stored | this run, for one of ``SUMMARIES``: the UAPs'
    accuracy at the notebook's norms (``"accuracy"``), the share of their l2 budget on S
    (``"share"``), per-example PGD (``"pgd"``), or the SVD-UAP added with one sign
    (``"unsigned"``)."""
    if what not in SUMMARIES:
        raise ValueError(f"what must be one of {', '.join(SUMMARIES)}, got {what!r}")
    metrics, title = SUMMARIES[what]
    this = _synthetic(results.metrics)
    st = _synthetic(stored.metrics) if stored is not None else None
    long = compare_table(paper_table(this["model"]), this, st,
                         keys=("dataset", "model", "metric"))
    long["dataset"] = long["dataset"].map(NAMES)
    title += "; UAPs of norm 1.0 on LMS-5 and 0.5 on MS-(5,7), as notebook 06"
    return wide_table(long, ["dataset", "model"], metrics, stored, title, profile)


def curves(results) -> pd.DataFrame:
    """Accuracy against the norm, every attack, mean over seeds."""
    c = _synthetic(results.tables["curves"])
    return c[c["attack"] != "none"].groupby(["dataset", "model", "attack", "norm"],
                                            sort=False)["accuracy"].mean().reset_index()


def _cosines(results) -> dict:
    """{(model, other model): |cosine|} between the SVD-UAP directions of the models trained
    on LMS-5 (seed-averaged sign-aligned directions; the sign of a UAP is free)."""
    if results is None:
        return {}
    d = results.tables["directions"]
    d = d[d["dataset"] == "lms-5"]
    vecs = {}
    for model, g in d.groupby("model", sort=False):
        per_seed = [s.sort_values("coordinate")["value"].to_numpy()
                    for _, s in g.groupby("seed")]
        ref = per_seed[0]
        aligned = [v * np.sign(v @ ref or 1.0) for v in per_seed]
        mean = np.mean(aligned, axis=0)
        vecs[model] = mean / np.linalg.norm(mean)
    models = list(vecs)
    return {(a, b): float(abs(vecs[a] @ vecs[b])) for i, a in enumerate(models)
            for b in models[i + 1:]}


def uap_cosines(results, stored=None):
    """|cosine| between the SVD-UAP directions of the models trained on LMS-5, one row per
    pair: this run's, and the stored paper-scale run's beside it once it holds two models."""
    this, st = _cosines(results), _cosines(stored)
    if not this and not st:
        return None
    pairs = list(dict.fromkeys([*this, *st]))
    table = pd.DataFrame({"|cosine|, this run": [this.get(k) for k in pairs]},
                         index=pd.MultiIndex.from_tuples(pairs, names=["model", "other model"]))
    if st:
        table["|cosine|, stored paper-scale run"] = [st.get(k) for k in pairs]
    table = table.map(lambda v: "–" if v is None or v != v else f"{v:.3f}")
    return summary_view(table, "The SVD-UAPs of the models trained on LMS-5: |cosine| between "
                               "their directions (1 is the same direction)")


def numbers(results, profile: str) -> dict:
    """Every number the prose glues, by name."""
    s = section(profile, pt.NAME)
    m = _synthetic(results.metrics)
    nets = m[m["model"] != pt.AVERAGING]
    avg = m[m["model"] == pt.AVERAGING]

    def span(frame, metric):
        v = frame[frame["metric"] == metric]["value"]
        return float(v.min()), float(v.max())

    out = dict(d=s["d"], n_train=s["n_train"], n_seeds=len(s["seeds"]),
               n_attack=s["n_attack"], pgd_eps=s["pgd"]["eps"])
    for metric, name in (("SVD-UAP accuracy", "uap_acc"), ("SVD-UAP share on S", "uap_share"),
                         ("PGD share on S", "pgd_share"), ("standard accuracy", "acc")):
        out[f"{name}_lo"], out[f"{name}_hi"] = span(nets, metric)
    for ds in NAMES:
        v = nets[(nets["dataset"] == ds) & (nets["metric"] == "unsigned SVD-UAP accuracy")]
        out[f"unsigned_{ds.replace('-', '_')}"] = float(v["value"].mean())
    out["avg_svd_acc"], _ = span(avg, "SVD-UAP accuracy")
    out["avg_as_acc"], _ = span(avg, "AS-UAP accuracy")
    c = _synthetic(results.tables["curves"])
    shift = c[c["attack"].str.startswith("shift") & (c["model"] != pt.AVERAGING)]
    big = shift["norm"].max()
    out["shift_norm"] = float(big)
    for attack, name in (("shift along S", "shift_s"), ("shift along Sᶜ", "shift_sc")):
        out[name] = float(shift[(shift["attack"] == attack) & (shift["norm"] == 1.0)]
                          ["accuracy"].mean())
        out[name + "_big"] = float(shift[(shift["attack"] == attack) & (shift["norm"] == big)]
                                   ["accuracy"].mean())
    return out


def image_table(results) -> pd.DataFrame | None:
    """The images part: per domino and model, clean accuracy, accuracy under the SVD-UAP at
    each norm, and the share of the UAP on the MNIST pixels (both readings). None if absent."""
    c = results.tables["curves"]
    c = c[~c["dataset"].isin(NAMES)]
    if not len(c):
        return None
    rows = []
    for (dataset, model), g in c.groupby(["dataset", "model"], sort=False):
        row = {"dataset": dataset_label(dataset), "model": model,
               "clean accuracy": f"{g[g['attack'] == 'none']['accuracy'].iloc[0]:.3f}"}
        uap = g[g["attack"] == "SVD-UAP"]
        for r in uap.itertuples():
            row[f"UAP norm {r.norm:g}"] = f"{r.accuracy:.3f}"
        row["share on MNIST (‖P_S‖/‖P‖)"] = f"{uap['share_norm_ratio'].iloc[-1]:.3f}"
        row["share on MNIST (l2 mass)"] = f"{uap['share_l2_mass'].iloc[-1]:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


def image_numbers(results) -> dict:
    """The images part's glued numbers: the UAP's share on the MNIST pixels (both readings)
    and the paper's 99.3% (DenseNet121, MNIST-CIFAR)."""
    m = results.metrics
    m = m[~m["dataset"].isin(NAMES)]
    paper = paper_numbers("Fig. 4")
    paper = paper[paper["dataset"] == "mnist-cifar"]["mean"]
    if not len(m):
        return {}
    pick = m.set_index("metric")["value"]
    return dict(img_share=float(pick["UAP share on MNIST pixels"].min()),
                img_mass=float(pick["UAP l2 mass on MNIST pixels"].min()),
                img_norm=float(pick["image UAP norm"].max()),
                img_acc=float(pick["image UAP accuracy"].max()),
                img_paper=float(paper.iloc[0]))


def profile_notes(profile: str) -> list[str]:
    if profile == "quick":
        return ["**Reductions of the quick profile.** " + quick_reductions()["perturbations"]]
    if profile == "smoke":
        return ["**The smoke profile** trains tiny networks briefly, only to exercise the code."]
    return []


def stored_recap(stored) -> str | None:
    """A recap bullet for the stored paper-scale run (whichever of its entries are stored):
    its models, the SVD-UAP's accuracy and share on S, and what the averaging classifier
    keeps. None when nothing synthetic is stored."""
    if stored is None or not len(_synthetic(stored.metrics)):
        return None
    n = numbers(stored, "paper")
    m = _synthetic(stored.metrics)
    nets = m[m["model"] != pt.AVERAGING][["dataset", "model"]].drop_duplicates()
    which = ", ".join(f"{r.model} on {NAMES[r.dataset]}" for r in nets.itertuples())
    return (f"* At the paper's scale (stored: {which}; d = {n['d']}): the SVD-UAPs of the "
            f"same norms take the networks to {n['uap_acc_lo']:.3f}–{n['uap_acc_hi']:.3f} "
            f"accuracy with {n['uap_share_lo']:.3f}–{n['uap_share_hi']:.3f} of their budget on "
            f"S; the "
            f"averaging classifier keeps {n['avg_svd_acc']:.3f} under them and "
            f"{n['avg_as_acc']:.3f} under an AS-UAP trained against it.")


def recap(results, profile: str, stored=None) -> str:
    n = numbers(results, profile)
    extra = stored_recap(stored)
    return "\n".join([
        f"* One perturbation for the whole test set, of l2 norm 1 on LMS-5 (0.5 on MS-(5,7)), "
        f"takes the networks to {n['uap_acc_lo']:.3f}–{n['uap_acc_hi']:.3f} accuracy, and "
        f"{n['uap_share_lo']:.3f}–{n['uap_share_hi']:.3f} of its budget lies on S.",
        f"* The averaging classifier, which reads every coordinate, keeps at least "
        f"{n['avg_svd_acc']:.3f} accuracy under the SVD-UAP of the same norm, and "
        f"{n['avg_as_acc']:.3f} under an AS-UAP trained against it"
        + (": the failure is the networks' reliance on S, not the data's." if
           n["avg_as_acc"] >= 0.9 else
           f". Its margin grows like the square root of d; at d = {n['d']} a budget of 1 "
           "already reaches it when the perturbation is trained against it directly."),
        f"* A shift of norm 1 along S leaves the networks {n['shift_s']:.3f} accuracy; along "
        f"Sᶜ {n['shift_sc']:.3f}, and even a shift of norm {n['shift_norm']:g} along Sᶜ leaves "
        f"{n['shift_sc_big']:.3f}.", *([extra] if extra else [])])
