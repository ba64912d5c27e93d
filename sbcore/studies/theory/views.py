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
from sbcore.studies.theory import simulation as theory

# Lemma 1 needs c_n >= 5 sqrt(2) c0 for its range of steps t <= 4/eta (1 - c_n / sqrt(log d))
# to be non-empty at all (the page quotes the smallest c_n and the log d it would need).
CN_OVER_C0 = 5 * math.sqrt(2)
# A closed-form gradient gap is "within sampling error" inside this many standard errors of
# the batch mean (about 99.7% of a standard normal).
Z_WITHIN = 3
# The ratio over widths is quoted from this width on: at k = 2 there is one unit per sign of
# v_j, so the RMS ratio is a single unit's (noisy) number.
WIDE_K = 8
# Rule of three: no errors in n predictions bound the error rate below 3/n at 95% confidence.
RULE_OF_THREE = 3
# The pushed-assumption verdict calls an x1-randomised accuracy "at chance" within this of 0.5
# (with the book's few thousand test points the standard error is about 0.01).
CHANCE_TOL = 0.05
# The live widget retrains on every slider move: it starts at most this large, whatever the
# profile's main run.
WIDGET_MAX_D, WIDGET_MAX_K, WIDGET_RUNS = 50, 20, 2

BAND_NAMES = {"linear": "w1 in t·η·v/2 ± band", "slab": "|w2| ≤ bound",
              "noise": "‖w̄‖ ≤ bound"}
KEPT = "started inside, still inside"
GRADIENT_PARTS = ("linear", "slab", "noise_along")

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

def per_setting(metrics: pd.DataFrame, part: str, metric: str, by: str) -> pd.Series:
    """Mean over seeds of one metric of one part, indexed by ``by``."""
    m = metrics[(metrics.part == part) & (metrics.metric == metric)]
    return m.groupby(by, sort=False)["value"].mean()


def band_check(units: pd.DataFrame, d: int, k: int, eta: float) -> pd.DataFrame:
    """Per step: the fraction of units inside each of Lemma 1's bands, and of those that
    started inside all three, the fraction still inside all three at every step so far."""
    b = theory.lemma1_bands(units.step.to_numpy(), eta, d, k)
    u = units.assign(
        linear=(np.abs(units.w1 - b["linear_center_per_v"] * units.v) <= b["width"]),
        slab=(units.w2.abs() <= b["slab"]), noise=(units.noise_norm <= b["noise"]))
    u["all"] = u.linear & u.slab & u.noise
    u = u.sort_values(["run", "unit", "step"])
    u["kept"] = u.groupby(["run", "unit"])["all"].cummin()
    start = u[u.step == 0].set_index(["run", "unit"])["all"]
    u["started_in"] = [start[(r, j)] for r, j in zip(u.run, u.unit)]
    out = u.groupby("step")[["linear", "slab", "noise"]].mean().rename(columns=BAND_NAMES)
    out[KEPT] = u[u.started_in].groupby("step")["kept"].mean()
    return out.reset_index()


def gradient_z(units: pd.DataFrame) -> pd.DataFrame:
    """(batch gradient - closed form) / standard error, per unit, step and part (tidy)."""
    g = units.dropna(subset=["grad_linear"])
    frames = []
    for part in GRADIENT_PARTS:
        z = (g[f"grad_{part}"] - g[f"closed_{part}"]) / g[f"se_{part}"]
        frames.append(pd.DataFrame(dict(run=g.run, unit=g.unit, step=g.step, part=part, z=z)))
    return pd.concat(frames, ignore_index=True)


def gradient_summary(units: pd.DataFrame) -> pd.DataFrame:
    """Per gradient part: the gaps' root mean square in standard errors, the share within
    ``Z_WITHIN`` standard errors, the largest gap and how many there are."""
    z = gradient_z(units)
    rows = {}
    for part, g in z.groupby("part", sort=False)["z"]:
        rows[part] = {"rms": float(np.sqrt((g ** 2).mean())),
                      f"within_{Z_WITHIN}": float((g.abs() < Z_WITHIN).mean()),
                      "largest": float(g.abs().max()), "count": int(g.count())}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "part"
    return out


# --------------------------------------------------------------------------------------------
# The tables the chapter shows
# --------------------------------------------------------------------------------------------

def bands_table(units: pd.DataFrame, d: int, k: int, eta: float) -> pd.DataFrame:
    """Lemma 1's band check, one row per step (three decimals)."""
    return band_check(units, d, k, eta).set_index("step").round(3)


def gradient_table(units: pd.DataFrame) -> pd.DataFrame:
    """The closed-form gradient against the batch gradient, per part (three decimals)."""
    return gradient_summary(units).round(3)


def summary_table(metrics: pd.DataFrame, part: str, by: str) -> pd.DataFrame:
    """One row per value of ``by`` (variant, d or k) of one part: 'mean ± std (n)' of the
    chapter's metrics."""
    m = metrics[(metrics.part == part) & metrics.metric.isin(SUMMARY_COLUMNS)]
    table = (m.groupby([by, "metric"], sort=False)["value"].apply(mean_std)
             .unstack("metric"))
    return table[[c for c in SUMMARY_COLUMNS if c in table]].rename(columns=SUMMARY_COLUMNS)


def sweep_d_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """The sweep over the dimension, one row per d."""
    return summary_table(metrics, "sweep_d", "d")


def sweep_k_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """The sweep over the width, one row per k."""
    return summary_table(metrics, "sweep_k", "k")


def variant_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """The pushed assumptions, one row per variant."""
    return summary_table(metrics, "variant", "variant")


def summary_views(metrics: pd.DataFrame) -> dict:
    """The three summary tables as the page shows them (``book.summary_view``), by part."""
    return {"sweep_d": summary_view(sweep_d_table(metrics), "The sweep over d"),
            "sweep_k": summary_view(sweep_k_table(metrics), "The sweep over k"),
            "variant": summary_view(variant_table(metrics), "Pushing the assumptions")}


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


def numbers(result, cfg: dict, profile: str) -> dict:
    """Every number the chapter glues, by name: the setting (from ``cfg``, the chapter's merged
    settings), the main run's band check and end point, the gradient check, the sweeps and the
    test error (from ``result``, this run's ``runner.merge``: tables ``metrics``, ``units``,
    ``steps``)."""
    tables = result.tables
    M, units, steps = tables["metrics"], tables["units"], tables["steps"]
    d, k = cfg["main"]["d"], cfg["main"]["k"]
    eta = theory.step_size(d)
    t_hat = theory.theorem_steps(eta)
    margins = theory.support_margins()
    out = dict(
        profile_name=profile, d=d, k=k, runs=cfg["main"]["runs"], eta=eta, t_hat=t_hat,
        batch=theory.theorem_batch(d, cfg["batch_factor"]),
        sigma=theory.init_std(d, k, cfg["init_reading"]),
        sigma_statement=theory.init_std(d, k, "statement"), logd=math.log(d),
        w1_theory=t_hat * eta / 2, cn_min=CN_OVER_C0 * theory.C0,
        logd_needed=(CN_OVER_C0 * theory.C0) ** 2, m_linear=margins["linear_only"],
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
    fit = theory.ratio_scaling(sweep.d, sweep.value, cfg["init_reading"])
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
    return {name: _num(value) for name, value in out.items()}


def variant_verdict(metrics: pd.DataFrame, chance_tol: float = CHANCE_TOL) -> str:
    """The pushed-assumption runs in two sentences (markdown), written from the numbers: does
    the network still ignore the slab coordinate, and how far does the theorem's picture move."""
    s_acc = per_setting(metrics, "variant", "S-randomized accuracy", "variant")
    acc = per_setting(metrics, "variant", "standard accuracy", "variant")
    ratio = per_setting(metrics, "variant", "linear_to_slab", "variant")
    growth = per_setting(metrics, "variant", "slab_growth", "variant")
    vs_noise = per_setting(metrics, "variant", "slab_to_noise_coordinate", "variant")
    off = s_acc[(s_acc - 0.5).abs() > chance_tol]
    if off.empty:
        first = (f"In every variant, accuracy with the linear coordinate randomised stays within "
                 f"{(s_acc - 0.5).abs().max():.3f} of chance: the network still ignores the slab "
                 "coordinate, so the theorem's conclusion survives every relaxation tried here.")
    else:
        names = ", ".join(f'"{n}" ({v:.3f})' for n, v in off.items())
        first = (f"Accuracy with the linear coordinate randomised leaves chance (by more than "
                 f"{chance_tol}) in: {names}; there the network uses more than the linear "
                 "coordinate and the theorem's conclusion does not carry over.")
    second = (f"The quantitative picture moves more: the ratio of linear to slab weight falls to "
              f"{ratio.min():.1f} (\"{ratio.idxmin()}\"), the slab weight grows up to "
              f"{growth.max():.2f}-fold (\"{growth.idxmax()}\"), yet it ends between "
              f"{vs_noise.min():.2f} and {vs_noise.max():.2f} times the weight of a single pure "
              f"noise coordinate; the lowest test accuracy is {acc.min():.3f} "
              f"(\"{acc.idxmin()}\").")
    return first + " " + second


def stored_sweep_note(stored) -> str:
    """The line introducing the d sweep of the stored paper-scale run (a ``runner.merge`` of
    ``runner.lookup``), or "" when no stored sweep over d exists."""
    if stored is None or not len(stored.metrics) or not (stored.metrics.part == "sweep_d").any():
        return ""
    return ("The same sweep from the stored paper-scale run (profile paper, "
            f"device {stored.provenance.get('device_name', '?')}):")


def widget_settings(cfg: dict) -> dict:
    """Where the live widget starts: the main run's d, k, capped so that a slider move
    retrains in moments."""
    return dict(d=min(cfg["main"]["d"], WIDGET_MAX_D), k=min(cfg["main"]["k"], WIDGET_MAX_K),
                runs=WIDGET_RUNS)
