"""What the measuring chapter (02_measuring) shows: glued numbers and tables, from the
stored ``oracles`` entry (no plotting here)."""

from __future__ import annotations

import pandas as pd

from sbcore.book.chapter import prose_spelling
from sbcore.data.labels import DATASET_LABELS
from sbcore.paper import paper_numbers
from sbcore.studies.measuring import findings
from sbcore.studies.measuring.findings import standard_accuracies, value
from sbcore.studies.measuring.oracles import (
    KNOWN_ACCURACY,
    KNOWN_AUC,
    ORACLE_LABELS,
    ORACLES,
    RANDOMIZATIONS,
)

VARIANT_TAGS = {"S-randomized": "S", "Sc-randomized": "Sc"}


def numbers(results: dict, stored: dict | None, profile: str) -> dict:
    """The prose's numbers, from this run's ``oracles`` entry (``stored`` and ``profile``, the
    same arguments as every study's, are not needed): sizes, the decision rule's chance level
    (Table 1), and for every oracle and randomised half the measured and known accuracy and
    AUC, plus the two alternative randomisations; the per-coordinate extremes of the LMS-5
    oracles; whether the rule picks out the S-only oracle and the measured match the known."""
    result = results["oracles"]
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
                out[f"{kind}_{tag}_{how.replace('-', '_')}"] = value(m, kind, variant, how=how)
    lo, hi = standard_accuracies(m)
    out["standard_acc"] = f"{lo:.3f}" if lo == hi else f"between {lo:.3f} and {hi:.3f}"
    per = result.tables["per_coordinate"]
    out["s_only_coord0"] = float(per[(per["model"] == "s_only") & per["in_S"]]["accuracy"].iloc[0])
    out["sc_only_min_coord"] = float(per[per["model"] == "sc_only"]["accuracy"].min())
    tags = [f"{kind}_{tag}" for kind in ORACLES for tag in VARIANT_TAGS.values()]
    out["rule_picks_s_only"] = findings.rule_picks_only(m)
    out["oracles_match_known"] = findings.matches_known(
        {t: out[f"{t}_acc"] for t in tags}, {t: out[f"{t}_known"] for t in tags}, cfg["n_test"])
    return out


def oracle_table(result) -> pd.DataFrame:
    """Per dataset and oracle: measured against known randomised metrics, and the verdict of
    the decision rule (joint permutation). Columns in groups (S-randomised, Sᶜ-randomised),
    each with measured and known accuracy and the AUC; the standard accuracy, the same for
    every oracle on clean data, is ``standard_accuracies``."""
    m = result.metrics[result.metrics["randomization"] == "joint"]
    picks, rows = findings.rule_picks(result.metrics), []
    for (name, kind), sub in m.groupby(["dataset", "model"], sort=False):
        v = dict(zip(sub["metric"], sub["value"]))
        row = {("dataset", ""): DATASET_LABELS[name], ("oracle", ""): ORACLE_LABELS[kind]}
        for variant in VARIANT_TAGS:
            group = prose_spelling(variant)
            row[(group, "accuracy")] = v[f"{variant} accuracy"]
            row[(group, "known")] = KNOWN_ACCURACY[kind][variant]
            row[(group, "AUC")] = v[f"{variant} AUC"]
        row[("relies on S only", "(rule)")] = picks[(name, kind)]
        rows.append(row)
    out = pd.DataFrame(rows)
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out


def randomization_table(result, dataset: str = "lms-5") -> pd.DataFrame:
    """Randomised accuracy of each oracle under the joint, independent and within-class
    schemes, on one dataset: a row per oracle and randomised half, a column per scheme."""
    m = result.metrics
    m = m[(m["dataset"] == dataset) & m["metric"].str.endswith("randomized accuracy")]
    view = m.pivot_table(index=["model", "metric"], columns="randomization", values="value",
                         sort=False)[list(RANDOMIZATIONS)]
    out = view.reset_index()
    out["model"] = out["model"].map(ORACLE_LABELS)
    out["metric"] = out["metric"].map(prose_spelling)
    return out.rename(columns={"model": "oracle", "metric": "randomised half"})


def bar_data(result) -> pd.DataFrame:
    """Accuracy of every oracle per variant (joint permutation), labelled for the bar plot."""
    m = result.metrics
    m = m[(m["randomization"] == "joint") & m["metric"].str.endswith("accuracy")].copy()
    m["oracle"] = m["model"].map(ORACLE_LABELS)
    m["variant"] = m["metric"].str.replace(" accuracy", "")
    m["panel"] = m["dataset"].map(DATASET_LABELS)
    return m
