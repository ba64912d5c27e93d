"""What the perturbations study finds, as numbers and named answers: the universal
perturbations' accuracy and share on S, the averaging classifier against them, the shifts, the
cosines between the models' UAPs and the images part (pure functions of the study's merged
tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.studies.perturbations.study import AVERAGING

SYNTHETIC = ("lms-5", "ms-5-7")  # the synthetic datasets; the others are the images part

# The averaging classifier holds against an AS-UAP trained on it when it keeps at least this
# accuracy: the networks fall near or below chance, so 0.9 separates the two plainly.
AVERAGING_HOLDS = 0.9
SPANS = {"SVD-UAP accuracy": "uap_acc", "SVD-UAP share on S": "uap_share",
         "PGD share on S": "pgd_share", "standard accuracy": "acc"}


def synthetic(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the synthetic datasets (not the images part)."""
    return frame[frame["dataset"].isin(SYNTHETIC)]


def spans(metrics: pd.DataFrame) -> dict:
    """<name>_lo and <name>_hi over the networks (not the averaging classifier) of ``SPANS``,
    the unsigned SVD-UAP's mean per dataset, and the averaging classifier's lowest accuracy
    under each UAP (avg_svd_acc, avg_as_acc)."""
    m = synthetic(metrics)
    nets, avg = m[m["model"] != AVERAGING], m[m["model"] == AVERAGING]
    out = {}
    for metric, name in SPANS.items():
        v = nets[nets["metric"] == metric]["value"]
        out[f"{name}_lo"], out[f"{name}_hi"] = float(v.min()), float(v.max())
    for ds in SYNTHETIC:
        v = nets[(nets["dataset"] == ds) & (nets["metric"] == "unsigned SVD-UAP accuracy")]
        out[f"unsigned_{ds.replace('-', '_')}"] = float(v["value"].mean())
    for metric, name in (("SVD-UAP accuracy", "avg_svd_acc"), ("AS-UAP accuracy", "avg_as_acc")):
        out[name] = float(avg[avg["metric"] == metric]["value"].min())
    out["averaging_holds"] = out["avg_as_acc"] >= AVERAGING_HOLDS
    return out


def shifts(curves: pd.DataFrame) -> dict:
    """The networks' mean accuracy under a shift of norm 1 and of the largest norm, along S
    (shift_s, shift_s_big) and along S^c (shift_sc, shift_sc_big); shift_norm the largest."""
    c = synthetic(curves)
    shift = c[c["attack"].str.startswith("shift") & (c["model"] != AVERAGING)]
    big = shift["norm"].max()
    out = {"shift_norm": float(big)}
    for attack, name in (("shift along S", "shift_s"), ("shift along Sᶜ", "shift_sc")):
        at = shift[shift["attack"] == attack]
        out[name] = float(at[at["norm"] == 1.0]["accuracy"].mean())
        out[name + "_big"] = float(at[at["norm"] == big]["accuracy"].mean())
    return out


def stored_models(metrics: pd.DataFrame) -> list[tuple[str, str]]:
    """(model, dataset) of every network of a run, in the order met."""
    m = synthetic(metrics)
    nets = m[m["model"] != AVERAGING][["model", "dataset"]].drop_duplicates()
    return list(nets.itertuples(index=False, name=None))


def cosines(directions: pd.DataFrame) -> dict:
    """{(model, other model): |cosine|} between the SVD-UAP directions of the models trained
    on LMS-5 (seed-averaged sign-aligned directions; the sign of a UAP is free)."""
    d = directions[directions["dataset"] == "lms-5"]
    vecs = {}
    for model, g in d.groupby("model", sort=False):
        per_seed = [s.sort_values("coordinate")["value"].to_numpy()
                    for _, s in g.groupby("seed")]
        ref = per_seed[0]
        mean = np.mean([v * np.sign(v @ ref or 1.0) for v in per_seed], axis=0)
        vecs[model] = mean / np.linalg.norm(mean)
    models = list(vecs)
    return {(a, b): float(abs(vecs[a] @ vecs[b])) for i, a in enumerate(models)
            for b in models[i + 1:]}


def image(metrics: pd.DataFrame, paper_share: float) -> dict:
    """The images part: the UAP's share on the MNIST pixels (both readings), its norm and the
    accuracy under it, beside the paper's share; {} when the part did not run."""
    m = metrics[~metrics["dataset"].isin(SYNTHETIC)]
    if not len(m):
        return {}
    pick = m.set_index("metric")["value"]
    return dict(img_share=float(pick["UAP share on MNIST pixels"].min()),
                img_mass=float(pick["UAP l2 mass on MNIST pixels"].min()),
                img_norm=float(pick["image UAP norm"].max()),
                img_acc=float(pick["image UAP accuracy"].max()), img_paper=float(paper_share))
