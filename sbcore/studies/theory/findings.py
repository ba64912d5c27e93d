"""What the theory study finds, as numbers and named booleans: Lemma 1's band check, the
gradient check against the closed form, the sweeps' summaries and the pushed-assumption runs
(pure functions of the study's stored tables; ``views`` shows them, ``prose`` writes the
paragraphs whose shape depends on them)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sbcore.studies.theory import simulation

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
BAND_NAMES = {"linear": "w1 in t·η·v/2 ± band", "slab": "|w2| ≤ bound",
              "noise": "‖w̄‖ ≤ bound"}
KEPT = "started inside, still inside"
GRADIENT_PARTS = ("linear", "slab", "noise_along")


def per_setting(metrics: pd.DataFrame, part: str, metric: str, by: str) -> pd.Series:
    """Mean over seeds of one metric of one part, indexed by ``by``."""
    m = metrics[(metrics.part == part) & (metrics.metric == metric)]
    return m.groupby(by, sort=False)["value"].mean()


def band_check(units: pd.DataFrame, d: int, k: int, eta: float) -> pd.DataFrame:
    """Per step: the fraction of units inside each of Lemma 1's bands, and of those that
    started inside all three, the fraction still inside all three at every step so far."""
    b = simulation.lemma1_bands(units.step.to_numpy(), eta, d, k)
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


@dataclass
class Variants:
    """The pushed-assumption runs, each a mean over seeds by variant name."""

    s_acc: dict        # accuracy with x1 randomised
    off_chance: dict   # the variants whose s_acc leaves chance by more than CHANCE_TOL
    max_from_chance: float
    ratio: tuple       # (lowest RMS w1 / RMS w2, its variant)
    growth: tuple      # (largest slab growth, its variant)
    vs_noise: tuple    # (lowest, highest) slab weight over one noise coordinate's
    accuracy: tuple    # (lowest test accuracy, its variant)

    @property
    def all_at_chance(self) -> bool:
        return not self.off_chance

    def numbers(self) -> dict:
        """The glued numbers of the quantitative picture, each extreme with its variant's
        name: var_ratio_min/_at, var_growth_max/_at, var_vs_noise_lo/_hi, var_acc_min/_at."""
        return dict(var_ratio_min=self.ratio[0], var_ratio_at=self.ratio[1],
                    var_growth_max=self.growth[0], var_growth_at=self.growth[1],
                    var_vs_noise_lo=self.vs_noise[0], var_vs_noise_hi=self.vs_noise[1],
                    var_acc_min=self.accuracy[0], var_acc_at=self.accuracy[1])


def variants(metrics: pd.DataFrame, chance_tol: float = CHANCE_TOL) -> Variants:
    """The pushed-assumption runs: does the network still ignore the slab coordinate, and how
    far does the theorem's picture move."""
    def mean(metric):
        return per_setting(metrics, "variant", metric, "variant")

    s_acc, acc, ratio = mean("S-randomized accuracy"), mean("standard accuracy"), \
        mean("linear_to_slab")
    growth, vs_noise = mean("slab_growth"), mean("slab_to_noise_coordinate")
    off = s_acc[(s_acc - 0.5).abs() > chance_tol]
    return Variants(s_acc=s_acc.to_dict(), off_chance=off.to_dict(),
                    max_from_chance=float((s_acc - 0.5).abs().max()),
                    ratio=(float(ratio.min()), ratio.idxmin()),
                    growth=(float(growth.max()), growth.idxmax()),
                    vs_noise=(float(vs_noise.min()), float(vs_noise.max())),
                    accuracy=(float(acc.min()), acc.idxmin()))


def stored_sweep_device(stored) -> str | None:
    """The device of the stored paper-scale run when it holds a sweep over d, else None."""
    if stored is None or not len(stored.metrics) or not (stored.metrics.part == "sweep_d").any():
        return None
    return stored.provenance.get("device_name", "?")
