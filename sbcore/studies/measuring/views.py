"""What the measuring chapter (02_measuring) shows: glued numbers and tables, from the
stored ``oracles`` entry (no plotting here)."""

from __future__ import annotations

import pandas as pd

from sbcore.book.chapter import prose_spelling
from sbcore.paper import paper_numbers
from sbcore.reliance import relies_only_on_S
from sbcore.studies.measuring.oracles import KNOWN_ACCURACY, KNOWN_AUC, ORACLE_LABELS, ORACLES

DATASET_LABELS = {"lms-5": "LMS-5", "ms-5-7": "MS-(5,7)"}
VARIANT_TAGS = {"S-randomized": "S", "Sc-randomized": "Sc"}


def value(metrics: pd.DataFrame, oracle: str, variant: str, metric: str = "accuracy",
          how: str = "joint", dataset: str = "lms-5") -> float:
    """One measured number of the oracle table."""
    sel = metrics[(metrics["model"] == oracle) & (metrics["metric"] == f"{variant} {metric}")
                  & (metrics["randomization"] == how) & (metrics["dataset"] == dataset)]
    if len(sel) != 1:
        raise KeyError(f"no {variant} {metric} of {oracle} ({how}) on {dataset}")
    return float(sel["value"].iloc[0])


def numbers(result) -> dict:
    """The prose's numbers: sizes, the decision rule's chance level (Table 1), and for every
    oracle and randomised half the measured and known accuracy and AUC, plus the two
    alternative randomisations; the per-coordinate extremes of the LMS-5 oracles."""
    cfg, m = result.provenance["config"]["config"], result.metrics
    rule = paper_numbers("Table 1")
    out = dict(n_test=cfg["n_test"], d=cfg["d"], n_sc=cfg["d"] - 1,
               rule_auc=float(rule[rule["metric"] == "S-randomized AUC"]["mean"].iloc[0]))
    for kind in ORACLES:
        for variant, tag in VARIANT_TAGS.items():
            out[f"{kind}_{tag}_acc"] = value(m, kind, variant)
            out[f"{kind}_{tag}_auc"] = value(m, kind, variant, "AUC")
            out[f"{kind}_{tag}_known"] = KNOWN_ACCURACY[kind][variant]
            out[f"{kind}_{tag}_known_auc"] = KNOWN_AUC[kind][variant]
            for how in ("independent", "within-class"):
                out[f"{kind}_{tag}_{how}"] = value(m, kind, variant, how=how)
    per = result.tables["per_coordinate"]
    out["s_only_coord0"] = float(per[(per["model"] == "s_only") & per["in_S"]]["accuracy"].iloc[0])
    out["sc_only_min_coord"] = float(per[per["model"] == "sc_only"]["accuracy"].min())
    return out


def oracle_table(result) -> pd.DataFrame:
    """Per dataset and oracle: measured against known randomised metrics, and the verdict of
    the decision rule (joint permutation)."""
    m = result.metrics[result.metrics["randomization"] == "joint"]
    rows = []
    for (name, kind), sub in m.groupby(["dataset", "model"], sort=False):
        v = dict(zip(sub["metric"], sub["value"]))
        rows.append({"dataset": DATASET_LABELS[name], "oracle": ORACLE_LABELS[kind],
                     "standard acc": v["standard accuracy"],
                     "S-rand acc": v["S-randomized accuracy"],
                     "S-rand acc (known)": KNOWN_ACCURACY[kind]["S-randomized"],
                     "Sᶜ-rand acc": v["Sc-randomized accuracy"],
                     "Sᶜ-rand acc (known)": KNOWN_ACCURACY[kind]["Sc-randomized"],
                     "S-rand AUC": v["S-randomized AUC"], "Sᶜ-rand AUC": v["Sc-randomized AUC"],
                     "relies only on S (rule)": relies_only_on_S(v)})
    return pd.DataFrame(rows)


def randomization_table(result, dataset: str = "lms-5") -> pd.DataFrame:
    """Randomised accuracy of each oracle under the joint, independent and within-class
    schemes, on one dataset."""
    m = result.metrics
    m = m[(m["dataset"] == dataset) & m["metric"].str.endswith("randomized accuracy")]
    view = m.pivot_table(index="model", columns=["metric", "randomization"], values="value",
                         sort=False)
    view.index = pd.Index([ORACLE_LABELS[k] for k in view.index], name="oracle")
    view.columns = [f"{prose_spelling(v.replace(' accuracy', ''))} acc, {h}"
                    for v, h in view.columns]
    return view.reset_index()


def bar_data(result) -> pd.DataFrame:
    """Accuracy of every oracle per variant (joint permutation), labelled for the bar plot."""
    m = result.metrics
    m = m[(m["randomization"] == "joint") & m["metric"].str.endswith("accuracy")].copy()
    m["oracle"] = m["model"].map(ORACLE_LABELS)
    m["variant"] = m["metric"].str.replace(" accuracy", "")
    m["panel"] = m["dataset"].map(DATASET_LABELS)
    return m
