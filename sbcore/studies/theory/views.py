"""What the theory chapter (Theorem 1) shows, as functions of the study's stored tables: the
numbers it glues into its prose, its tables, and the paragraph on the pushed assumptions
written from the numbers. Nothing here computes a simulation (``study`` does); figures are in
``figures``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sbcore.book import compare_table, mean_std, summary_view
from sbcore.paper import paper_numbers
from sbcore.studies import runner
from sbcore.studies.theory import simulation, study
from sbcore.studies.theory.findings import (
    BAND_NAMES,
    CN_OVER_C0,
    KEPT,
    RULE_OF_THREE,
    WIDE_K,
    Z_WITHIN,
    band_check,
    gradient_summary,
    per_setting,
    variants,
)

# The live widget retrains on every slider move: it starts at most this large, whatever the
# profile's main run.
WIDGET_MAX_D, WIDGET_MAX_K, WIDGET_RUNS = 50, 20, 2


SUMMARY_COLUMNS = {"linear_to_slab": "RMS w1 / RMS w2", "slab_growth": "slab growth",
                   "slab_to_noise_coordinate": "slab / noise coordinate",
                   "noise_rms": "RMS ‖w̄‖", "standard accuracy": "test accuracy",
                   "S-randomized accuracy": "x1 randomised",
                   "Sc-randomized accuracy": "x2, noise randomised",
                   "last batch hinge loss": "last batch hinge loss"}
ACCURACY_METRICS = ["standard accuracy", "S-randomized accuracy", "Sc-randomized accuracy",
                    "standard AUC", "S-randomized AUC", "Sc-randomized AUC", "test errors"]
# The accuracy table's rows. Not the model: its label names the width k, which differs
# between profiles, so a stored paper-scale run would never match this run's rows.
ACCURACY_KEYS = ("dataset", "metric")


# --------------------------------------------------------------------------------------------
# Summaries of the stored tables
# --------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------
# The tables the chapter shows
# --------------------------------------------------------------------------------------------

def bands_table(units: pd.DataFrame, d: int, k: int, eta: float) -> pd.DataFrame:
    """Lemma 1's band check, one row per step (three decimals)."""
    return band_check(units, d, k, eta).set_index("step").round(3)


def gradient_table(units: pd.DataFrame) -> pd.DataFrame:
    """The closed-form gradient against the batch gradient, per part (three decimals)."""
    return gradient_summary(units).round(3)


def summary_table(metrics: pd.DataFrame, part: str,
                  by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per value of ``by`` (variant, d or k) of one part: 'mean ± std' of the chapter's
    metrics, and beside it the number of runs behind each cell."""
    m = metrics[(metrics.part == part) & metrics.metric.isin(SUMMARY_COLUMNS)]
    groups = m.groupby([by, "metric"], sort=False)["value"]
    cells = groups.apply(lambda v: mean_std(v, count=False)).unstack("metric")
    counts = groups.count().unstack("metric")
    order = [c for c in SUMMARY_COLUMNS if c in cells]
    return (cells[order].rename(columns=SUMMARY_COLUMNS),
            counts[order].rename(columns=SUMMARY_COLUMNS))


def sweep_d_table(metrics: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sweep over the dimension, one row per d (cells and counts)."""
    return summary_table(metrics, "sweep_d", "d")


def sweep_k_table(metrics: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sweep over the width, one row per k (cells and counts)."""
    return summary_table(metrics, "sweep_k", "k")


def variant_table(metrics: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pushed assumptions, one row per variant (cells and counts)."""
    return summary_table(metrics, "variant", "variant")


def summary_views(metrics: pd.DataFrame) -> dict:
    """The three summary tables as the page shows them (``book.summary_view``), by part."""
    def shown(table):
        cells, counts = table
        return summary_view(cells, counts=counts)

    return {"sweep_d": shown(sweep_d_table(metrics)), "sweep_k": shown(sweep_k_table(metrics)),
            "variant": shown(variant_table(metrics))}


def accuracy_table(metrics: pd.DataFrame, stored=None) -> pd.DataFrame:
    """Test accuracy, AUC (standard, S- and S^c-randomised) and test errors of the main run:
    the paper's Table 1 decision rule, the stored paper-scale main run (``stored``: its tidy
    metrics or its ``runner.merge``; None when there is none) and this run. Rows are matched
    on dataset and metric (see ``ACCURACY_KEYS``)."""
    keys = list(ACCURACY_KEYS)
    stored_metrics = getattr(stored, "metrics", stored)
    paper = paper_numbers("Table 1").assign(dataset="lsn")

    def main_rows(m):
        return m[(m.part == "main") & m.metric.isin(ACCURACY_METRICS)].assign(dataset="lsn")

    stored = None if stored_metrics is None or not len(stored_metrics) \
        else main_rows(stored_metrics)
    return compare_table(paper, main_rows(metrics), stored, keys)


# --------------------------------------------------------------------------------------------
# Numbers and text for the prose
# --------------------------------------------------------------------------------------------

def _num(x):
    """A plain python number (glue cannot format numpy scalars)."""
    return x.item() if isinstance(x, np.generic) else x


def numbers(results: dict, stored: dict | None, profile: str) -> dict:
    """Every number the chapter glues, by name: the setting (the profile's merged settings,
    ``study.config``), the main run's band check and end point, the gradient check, the sweeps,
    the test error and the pushed-assumption runs (from ``results``, this run's entries as
    ``runner.run`` returns them: tables ``metrics``, ``units``, ``steps``). ``stored`` is not
    needed here."""
    cfg, tables = study.config(profile), runner.merge(results).tables
    M, units, steps = tables["metrics"], tables["units"], tables["steps"]
    d, k = cfg["main"]["d"], cfg["main"]["k"]
    eta = simulation.step_size(d)
    t_hat = simulation.theorem_steps(eta)
    margins = simulation.support_margins()
    out = dict(
        profile_name=profile, d=d, k=k, runs=cfg["main"]["runs"], eta=eta, t_hat=t_hat,
        batch=simulation.theorem_batch(d, cfg["batch_factor"]),
        sigma=simulation.init_std(d, k, cfg["init_reading"]),
        sigma_statement=simulation.init_std(d, k, "statement"), logd=math.log(d),
        w1_theory=t_hat * eta / 2, cn_min=CN_OVER_C0 * simulation.C0,
        logd_needed=(CN_OVER_C0 * simulation.C0) ** 2, m_linear=margins["linear_only"],
        m_max=margins["max_margin"], m_bias_free=margins["bias_free_max"])

    bands = band_check(units, d, k, eta)
    out.update(band_kept=bands[KEPT].min(),
               band_all_min=bands[list(BAND_NAMES.values())].min().min(),
               live_min=steps.live_fraction.min(),
               slab_growth_main=per_setting(M, "main", "slab_growth", "d").iloc[0],
               w1_main=per_setting(M, "main", "linear_sqrtk", "d").iloc[0],
               noise_growth_main=per_setting(M, "main", "noise_growth", "d").iloc[0])

    z = gradient_summary(units)
    for part in z.index:
        out[f"z_rms_{part}"] = z.loc[part, "rms"]
        out[f"z3_{part}"] = z.loc[part, f"within_{Z_WITHIN}"]

    sweep = M[(M.part == "sweep_d") & (M.metric == "linear_to_slab")]
    fit = simulation.ratio_scaling(sweep.d, sweep.value, cfg["init_reading"])
    ratios = per_setting(M, "sweep_d", "linear_to_slab", "d")
    out.update(slope=fit["slope"], slope_corrected=fit["slope_corrected"],
               d_lo=sweep.d.min(), d_hi=sweep.d.max(), ratio_lo=ratios.iloc[0],
               ratio_hi=ratios.iloc[-1],
               growth_max=per_setting(M, "sweep_d", "slab_growth", "d").max())

    wk = per_setting(M, "sweep_k", "linear_sqrtk", "k")
    rk = per_setting(M, "sweep_k", "linear_to_slab", "k")
    wide = rk[rk.index >= WIDE_K] if (rk.index >= WIDE_K).any() else rk
    out.update(k_lo=wk.index.min(), k_hi=wk.index.max(), wk_lo=wk.min(), wk_hi=wk.max(),
               k_wide=WIDE_K, rk_mid_lo=wide.min(), rk_mid_hi=wide.max(), rk_small=rk.iloc[0],
               d_k=cfg["sweep_k"]["d"])

    main = M[M.part == "main"]
    errors = main[main.metric == "test errors"].value
    n_total = cfg["n_test"] * len(errors)
    out.update(errors=errors.sum(), n_test=cfg["n_test"], n_test_total=n_total,
               err_bound=RULE_OF_THREE / n_total,
               s_acc=main[main.metric == "S-randomized accuracy"].value.mean())
    out.update(variants(M).numbers())
    return {name: _num(value) for name, value in out.items()}


def widget_settings(cfg: dict) -> dict:
    """Where the live widget starts: the main run's d, k, capped so that a slider move
    retrains in moments."""
    return dict(d=min(cfg["main"]["d"], WIDGET_MAX_D), k=min(cfg["main"]["k"], WIDGET_MAX_K),
                runs=WIDGET_RUNS)
