"""The testbed chapter's tables and numbers: the leaderboard per testbed (grouped by what each
method uses), the sweeps, and ``numbers`` for the prose."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from sbcore.book.chapter import stored_label, summary_view
from sbcore.data.labels import dataset_label
from sbcore.studies import view
from sbcore.studies.runner import collect
from sbcore.studies.testbed import findings
from sbcore.studies.testbed.settings import SWEEPS
from sbcore.testbed.methods import BUILT_IN

# The leaderboard's columns: (metric, header), by pitfall
COLUMNS = [(findings.X, "S-rand. AUC"), (findings.Y, "Sᶜ-rand. AUC"),
           ("standard accuracy", "test accuracy"),
           ("retrained S-randomized AUC", "retrained readout S-rand. AUC")]
SHOWN = ("lms-5", "noisy-lms-7", "mnist-fashion")  # the testbeds the prose reads
DIAGNOSTIC = "diagnostic (not ranked)"
USE_LABELS = {"none": "training set only", "unlabelled": "+ unlabelled pool",
              "labels": "+ a few labels"}


def main_grid(results) -> dict:
    """The entries of the main grid ("<testbed>/<method>"), not the sweeps'."""
    return {k: v for k, v in results.items() if not k.startswith("sweep/")}


def main_metrics(results) -> pd.DataFrame:
    """The tidy metrics of the main grid (None: not stored)."""
    return collect(main_grid(results))


def stored_view(stored):
    """The stored paper-scale run's leaderboards, one per testbed that has entries, with where
    and when they were made; a note while none is stored."""
    done = {k: v for k, v in main_grid(stored).items() if v is not None}
    if not done:
        return [Markdown("*No paper-scale entry of the testbed is stored yet.*")]
    summary = findings.summary(main_metrics(done))
    out = [Markdown(f"Stored paper-scale run ({stored_label(done)}), {len(done)} of "
                    f"{len(main_grid(stored))} entries:")]
    for testbed in dict.fromkeys(summary["dataset"]):
        out += [Markdown(f"**{dataset_label(testbed)}**"), leaderboard(summary, testbed, 1.0)]
    return out


def sweep_metrics(results) -> pd.DataFrame:
    """The sweeps' tidy metrics, each row with its "setting" and "setting value"; the main
    grid's entry of the swept testbed gives each swept method's default value."""
    swept = _swept_testbed(results)
    frames = []
    for entry, result in results.items():
        parts = entry.split("/")
        if result is None:
            continue
        if parts[0] == "sweep":
            setting, value = parts[3].split("=")
        elif parts[0] == swept and parts[1] in SWEEPS:
            setting = SWEEPS[parts[1]]
            value = BUILT_IN[parts[1]].config[setting]
        else:
            continue
        frames.append(result.metrics.assign(setting=setting,
                                                     **{"setting value": float(value)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _swept_testbed(results) -> str:
    return next((k.split("/")[1] for k in results if k.startswith("sweep/")), "")


def method_order(name: str) -> int:
    """The chapter's order: the built-in methods as listed, one's own after them, the
    Sᶜ-only ceiling (a diagnostic) last."""
    order = [m for m in BUILT_IN if m != findings.CEILING]
    return order.index(name) if name in order else 100 if name != findings.CEILING else 1_000


def uap_norm(profile: str) -> float:
    """The UAP norm the leaderboards show."""
    return view(profile, "testbed")["norm"]


def leaderboard(summary: pd.DataFrame, testbed: str, norm: float | None):
    """One testbed's leaderboard: methods grouped by what they use, mean ± std over seeds
    (a note where this profile has no such testbed)."""
    t = findings.relative_cost(summary)
    t = t[t["dataset"] == testbed].copy()
    if t.empty:
        return Markdown(f"*No results for {dataset_label(testbed)} here: this profile does not "
                        f"run it, or its data are not on this machine.*")
    columns = list(COLUMNS)
    robust = f"UAP accuracy at {norm:g}" if norm is not None else None
    if robust in t.columns and t[robust].notna().any():
        columns.append((robust, f"accuracy under UAP (l2 {norm:g})"))
    t["uses"] = t["uses"].map(USE_LABELS).where(t["method"] != findings.CEILING, DIAGNOSTIC)
    t["uses"] = pd.Categorical(t["uses"], [*USE_LABELS.values(), DIAGNOSTIC])
    t["order"] = t["method"].map(method_order)
    t = t.sort_values(["uses", "order"], kind="stable").set_index(["uses", "method"])
    cells = pd.DataFrame({header: [_mean_std(a, b) for a, b in zip(t[m], t[f"{m} std"])]
                          for m, header in columns}, index=t.index)
    cells["time vs ERM"] = t["time vs ERM"].map("{:.1f}×".format)
    cells["networks"] = t["networks trained"].map("{:.0f}".format)
    counts = pd.DataFrame({h: t["seeds"] for _, h in columns}, index=t.index)
    return summary_view(cells.rename_axis(["uses", "method"]), counts=counts)


def sweep_view(table: pd.DataFrame):
    """The sweeps as mean ± std cells: rows method, setting and value."""
    cells = pd.DataFrame({header: [_mean_std(a, b) for a, b in zip(table[m], table[f"{m} std"])]
                          for m, header in COLUMNS[:2]},
                         index=pd.MultiIndex.from_arrays(
                             [table["method"], table["setting"],
                              table["setting value"].map("{:g}".format)],
                             names=["method", "setting", "value"]))
    return summary_view(cells)


def _mean_std(mean: float, std: float) -> str:
    """'mean ± std' (the mean alone for one seed)."""
    return f"{mean:.3f}" if std != std else f"{mean:.3f} ± {std:.3f}"


def testbed_names(testbeds) -> dict:
    """{testbed: its display name}."""
    return {t: dataset_label(t) for t in testbeds}


def numbers(results, stored, profile: str) -> dict:
    """The chapter's glued numbers and named booleans (one signature for every study); a
    testbed the profile does not run gives NaN, "" and False."""
    summary = findings.summary(main_metrics(results))
    out = {}
    for testbed in SHOWN:
        key = testbed.replace("-", "_")
        if testbed not in set(summary["dataset"]):
            out.update(_absent(key))
            continue
        f = findings.testbed_findings(summary, testbed)
        out.update({f"{key}_erm_s_auc": f["erm_s_auc"], f"{key}_erm_at_chance": f["erm_at_chance"],
                    f"{key}_best": f["best"], f"{key}_best_s_auc": f["best_s_auc"],
                    f"{key}_ceiling": f["ceiling_s_auc"],
                    f"{key}_share": f["share_of_ceiling"], f"{key}_room": f["room"],
                    f"{key}_n_moved": len(f["moved"]), f"{key}_n_both": len(f["both"]),
                    f"{key}_any_both": bool(f["both"]),
                    f"{key}_best_reads_pool": bool(f["best_reads_pool"]),
                    f"{key}_moved": ", ".join(f["moved"]) or "none",
                    f"{key}_any_moved": bool(f["moved"])})
        r = findings.representation(summary, testbed)
        out.update({f"{key}_erm_retrained": r["erm_retrained"],
                    f"{key}_sc_in_features": r["sc_in_features"]})
    g = findings.generalisation(summary)
    out.update(gen_erm=g["erm_accuracy"], gen_best=g["best"], gen_best_accuracy=g["best_accuracy"],
               gen_beats_cap=g["beats_cap"])
    out["n_seeds"] = int(summary["seeds"].min()) if len(summary) else 0
    for testbed in SHOWN:  # JTT's repeated points per seed (its identifier's training errors)
        out[f"jtt_errors_{testbed.replace('-', '_')}"] = findings.note_mean(
            notes_table(results), testbed, "JTT", "errors upweighted")
    return out


def notes_table(results) -> pd.DataFrame:
    """What the methods reported besides their models, every entry of the main grid."""
    return collect(main_grid(results), "notes")


def _absent(key: str) -> dict:
    nan = float("nan")
    return {f"{key}_erm_s_auc": nan, f"{key}_erm_at_chance": False, f"{key}_best": "",
            f"{key}_best_s_auc": nan, f"{key}_ceiling": nan, f"{key}_share": 0.0,
            f"{key}_room": False,
            f"{key}_n_moved": 0, f"{key}_n_both": 0, f"{key}_any_both": False,
            f"{key}_best_reads_pool": False,
            f"{key}_moved": "none",
            f"{key}_any_moved": False, f"{key}_erm_retrained": nan,
            f"{key}_sc_in_features": False}


def own_numbers(summary: pd.DataFrame, name: str, testbed: str = "lms-5") -> dict:
    """The numbers of a method of one's own on a testbed."""
    row = summary[(summary["dataset"] == testbed) & (summary["method"] == name)]
    return dict(own_s_auc=float(row[findings.X].iloc[0]) if len(row) else float("nan"))
