"""What the testbed finds, as numbers and named booleans (tables in, dicts out).

The plane: x = S-randomised AUC (above 0.5: the model reads Sᶜ), y = Sᶜ-randomised AUC
(above 0.5: it reads S). ERM sits at (0.5, 1.0); the goal is the corner where both are high.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CHANCE_TOL = 0.05  # an AUC within 0.5 +- this reads a block not at all (the paper's Table 1)
MOVED = 0.10  # a method moves off ERM when its S-randomised AUC is this much above ERM's
BOTH = 0.80  # both randomised AUCs at least this: the model reads S and Sᶜ
INVERTED = 0.40  # an S-randomised AUC below this: Sᶜ read the wrong way round
GAIN = 0.02  # a test accuracy this much above ERM's on noisy LMS-7 beats the linear cap

X, Y = "S-randomized AUC", "Sc-randomized AUC"
BASELINE, CEILING = "ERM", "Sc-only ceiling"


def per_seed(metrics: pd.DataFrame, read: str = "method") -> pd.DataFrame:
    """One row per testbed, method and seed (the method's answer, or ``read``), one column
    per metric."""
    m = metrics[metrics["read"] == read]
    index = [c for c in ("dataset", "method", "uses", "setting", "setting value", "seed")
             if c in m.columns]
    return (m.pivot_table(index=index, columns="metric", values="value",
                          aggfunc="first").reset_index())


def summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per testbed and method: mean and std over seeds of every metric (columns
    "<metric>" and "<metric> std") and the number of seeds ("seeds")."""
    wide = per_seed(metrics)
    values = [c for c in wide.columns if c not in ("dataset", "method", "uses", "seed")]
    g = wide.groupby(["dataset", "method", "uses"], sort=False)
    out = g[values].mean()
    out = out.join(g[values].std(ddof=1).add_suffix(" std")).join(g.size().rename("seeds"))
    return out.reset_index()


def relative_cost(summary_table: pd.DataFrame) -> pd.DataFrame:
    """The summary with "time vs ERM" and "networks vs ERM": each method's wall time and
    networks trained over ERM's on the same testbed."""
    out = summary_table.copy()
    erm = out[out["method"] == BASELINE].set_index("dataset")
    for col, new in (("wall time (s)", "time vs ERM"), ("networks trained", "networks vs ERM")):
        out[new] = out[col] / out["dataset"].map(erm[col])
    return out


def verdicts(summary_table: pd.DataFrame) -> pd.DataFrame:
    """Per testbed and method: moved off ERM, reads both blocks, reads Sᶜ inverted."""
    erm = summary_table[summary_table["method"] == BASELINE].set_index("dataset")[X]
    out = summary_table[["dataset", "method", "uses", X, Y]].copy()
    out["moved"] = out[X] >= out["dataset"].map(erm) + MOVED
    out["both"] = (out[X] >= BOTH) & (out[Y] >= BOTH)
    out["inverted"] = out[X] < INVERTED
    return out


def testbed_findings(summary_table: pd.DataFrame, testbed: str) -> dict:
    """On one testbed: ERM's S-randomised AUC and whether it is at chance, the ranked method
    with the highest S-randomised AUC, the ceiling's, how much of the way from ERM to the
    ceiling the best method goes, which methods moved off ERM."""
    t = verdicts(summary_table[summary_table["dataset"] == testbed])
    ranked = t[~t["method"].isin([BASELINE, CEILING])]
    erm = float(t.loc[t["method"] == BASELINE, X].iloc[0])
    best = ranked.loc[ranked[X].idxmax()] if len(ranked) else None
    ceiling = t.loc[t["method"] == CEILING, X]
    ceiling = float(ceiling.iloc[0]) if len(ceiling) else float("nan")
    best_x = float(best[X]) if best is not None else float("nan")
    room = bool(ceiling - erm >= MOVED)  # the ceiling is clear of ERM: a share means something
    return dict(erm_s_auc=erm, erm_at_chance=abs(erm - 0.5) <= CHANCE_TOL,
                best=str(best["method"]) if best is not None else "",
                best_reads_pool=best is not None and best["uses"] != "none",
                best_s_auc=best_x, ceiling_s_auc=ceiling, room=room,
                share_of_ceiling=(best_x - erm) / (ceiling - erm) if room else 0.0,
                moved=list(ranked.loc[ranked["moved"], "method"]),
                both=list(ranked.loc[ranked["both"], "method"]),
                inverted=list(ranked.loc[ranked["inverted"], "method"]))


def generalisation(summary_table: pd.DataFrame, testbed: str = "noisy-lms-7") -> dict:
    """Test accuracy on noisy LMS-7: ERM's, the best ranked method's, and whether any
    method beats ERM by GAIN (the 7-slabs allow 1.0 where S caps ERM)."""
    t = summary_table[summary_table["dataset"] == testbed]
    if t.empty:
        return dict(erm_accuracy=np.nan, best="", best_accuracy=np.nan, beats_cap=False)
    ranked = t[~t["method"].isin([BASELINE, CEILING])]
    erm = float(t.loc[t["method"] == BASELINE, "standard accuracy"].iloc[0])
    best = ranked.loc[ranked["standard accuracy"].idxmax()]
    return dict(erm_accuracy=erm, best=str(best["method"]),
                best_accuracy=float(best["standard accuracy"]),
                beats_cap=bool(best["standard accuracy"] >= erm + GAIN))


def representation(summary_table: pd.DataFrame, testbed: str) -> dict:
    """Is Sᶜ in ERM's features although its readout ignores it? The retrained readout's
    S-randomised AUC against ERM's own."""
    t = summary_table[(summary_table["dataset"] == testbed)
                      & (summary_table["method"] == BASELINE)].iloc[0]
    retrained = float(t["retrained S-randomized AUC"])
    return dict(erm_retrained=retrained, sc_in_features=retrained >= float(t[X]) + MOVED)


def note_mean(notes: pd.DataFrame, testbed: str, method: str, note: str) -> float:
    """The mean over seeds of what a method reported on a testbed (0 where it reported none:
    JTT with no training errors to repeat)."""
    if notes.empty:
        return 0.0
    rows = notes[(notes["dataset"] == testbed) & (notes["method"] == method)
                 & (notes["note"] == note)]
    return float(rows["value"].mean()) if len(rows) else 0.0


def sweep_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """The sweeps' S- and Sᶜ-randomised AUC per method and setting value: columns method,
    setting, value, and the mean and std over seeds of X and Y."""
    wide = per_seed(metrics)
    g = wide.groupby(["method", "setting", "setting value"], sort=True)
    return g[[X, Y]].mean().join(g[[X, Y]].std(ddof=1).add_suffix(" std")).reset_index()
