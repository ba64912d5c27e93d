"""What the images study finds, as numbers and named answers: the ranges of the main metrics,
the residual use of the complex half that the digit-randomised AUC shows, and what the linear
probe finds in the features, and what the sweep finds sets the digit-randomised AUC (pure
functions of the study's parts, ``{part: Merged or None}``, or of their metrics)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# The digit-randomised AUC shows a residual use of the complex half when some model's mean is
# above the paper's highest MNIST-CIFAR value by more than this (about two standard errors of
# an AUC over seeds at these test sizes).
RESIDUAL_MARGIN = 0.02
# A probe on the trained features is better (worse) than on untrained ones when its accuracy
# differs by more than this (about two standard errors of a probe scored on a thousand images).
PROBE_MARGIN = 0.02
SPANS = {"standard accuracy": "acc", "S-randomized AUC": "s_auc", "Sc-randomized AUC": "sc_auc",
         "S-randomized accuracy": "s_acc"}


def mean(parts: dict, part: str, metric: str, **where) -> float:
    """The mean of one metric of one part over every row matching ``where`` (NaN when the part
    did not run)."""
    r = parts.get(part)
    if r is None:
        return float("nan")
    m = r.metrics[r.metrics["metric"] == metric]
    for k, v in where.items():
        m = m[m[k] == v]
    return float(m["value"].mean())


def spans(metrics: pd.DataFrame) -> dict:
    """<name>_lo and <name>_hi over every run of the main metrics (``SPANS``)."""
    out = {}
    for metric, name in SPANS.items():
        vals = metrics[metrics["metric"] == metric]["value"]
        out[f"{name}_lo"], out[f"{name}_hi"] = float(vals.min()), float(vals.max())
    return out


@dataclass
class Residual:
    """The digit-randomised AUC per model (mean over seeds, lowest first) against the paper's."""

    auc_by_model: dict
    paper: tuple  # (lowest, highest) of the paper's MNIST-CIFAR CNNs

    @property
    def residual(self) -> bool:
        return max(self.auc_by_model.values()) > self.paper[1] + RESIDUAL_MARGIN

    @property
    def lowest_and_highest(self) -> tuple:
        names = list(self.auc_by_model)
        return names[0], names[-1]

    def flags(self) -> dict:
        """The glued answers: ``residual``, and ``residual_spread`` when there is a residual
        and more than one model, so that it is smaller for the first listed than the last."""
        return dict(residual=self.residual,
                    residual_spread=self.residual and len(self.auc_by_model) > 1)


def residual(metrics: pd.DataFrame, paper_aucs) -> Residual:
    """``metrics``: the main part's; ``paper_aucs``: the paper's digit-randomised AUCs."""
    auc = metrics[metrics["metric"] == "S-randomized AUC"].groupby("model", sort=False)[
        "value"].mean().sort_values()
    return Residual({m: float(v) for m, v in auc.items()},
                    (float(min(paper_aucs)), float(max(paper_aucs))))


def probe_effect(trained: float, untrained: float) -> str:
    """"better", "same" or "worse": the trained features against untrained ones."""
    gap = trained - untrained
    return "better" if gap > PROBE_MARGIN else "same" if gap > -PROBE_MARGIN else "worse"


def cifar_absence(ran: bool, in_profile: bool) -> dict:
    """Why MNIST-CIFAR has no table, as two exclusive answers: ``cifar_not_in_profile`` (the
    profile does not run it), ``cifar_not_found`` (it does, but CIFAR-10 was not found);
    both False when it ran."""
    return dict(cifar_not_in_profile=not in_profile,
                cifar_not_found=in_profile and not ran)


# --- the sweep: what sets the digit-randomised AUC of the domino -----------------------------

# A sweep level moves a metric when its mean differs from the base setting's by more than this
# many standard errors of the difference (each mean's std over seeds / sqrt(seeds)).
EFFECT_Z = 2.0
# The pooled digit-randomised AUC is explained by the garment's ordering within each digit when
# it is within this of (AUC with the digit fixed) / 2 + 1/4 (``study.digit_and_garment``): the
# other half of the pairs, of two digits, are ordered by the digit one way as often as the
# other, which leaves a few hundredths at these test sizes.
GAP_TOLERANCE = 0.03
BASE = ("base", "base")  # (factor, level) of the setting every level changes one thing of
# A setting decides by the digit when its mean MNIST-randomised accuracy is within this of
# chance (0.5): about two standard errors of an accuracy on a thousand test dominoes, doubled.
CHANCE_MARGIN = 0.05


def levels_as_text(table: pd.DataFrame) -> pd.DataFrame:
    """The sweep's table with its ``level`` column as text: a stored entry whose levels all
    read as numbers ("size/1000") comes back from its CSV as integers."""
    return table.assign(level=table["level"].astype(str))


def sweep_effects(metrics: pd.DataFrame, metric: str = "S-randomized AUC") -> pd.DataFrame:
    """One row per sweep (factor, level), in the order met, the base first: mean, std and
    seeds of ``metric``, its difference from the base, that difference's standard error and
    whether the level ``moves`` it (``EFFECT_Z``; never with a single seed on either side,
    which has no spread to judge by). ValueError when the base did not run."""
    m = levels_as_text(metrics[metrics["metric"] == metric])
    g = m.groupby(["factor", "level"], sort=False)["value"]
    out = pd.DataFrame(dict(mean=g.mean(), std=g.std(ddof=1), n=g.count()))  # NaN for 1 seed
    if BASE not in out.index:
        raise ValueError(f"the sweep's base setting {BASE} has no {metric!r}; levels: "
                         f"{list(out.index)}")
    out = pd.concat([out.loc[[BASE]], out.drop(index=[BASE])])
    se = out["std"] / np.sqrt(out["n"])
    base = out.loc[BASE]
    out["difference"] = out["mean"] - base["mean"]
    out["se"] = np.sqrt(se ** 2 + se.loc[BASE] ** 2)
    out["moves"] = (out["difference"].abs() > EFFECT_Z * out["se"]) & (out["difference"] != 0)
    out.loc[[BASE], "moves"] = False
    return out.reset_index()


@dataclass
class SweepFinding:
    """What the sweep finds: per factor the level that moves the digit-randomised AUC most
    among those that move it, else the largest change (``by_factor``: factor -> (level,
    difference, moves)), the factor that moves it most and
    the levels whose AUC falls within the paper's MNIST-CIFAR range (up to ``RESIDUAL_MARGIN``)."""

    base_auc: float
    by_factor: dict
    paper_like: list

    @property
    def strongest(self) -> tuple:
        """(factor, level, difference) of the largest change among levels that move it."""
        moving = {f: v for f, v in self.by_factor.items() if v[2]}
        if not moving:
            return ("", "", 0.0)
        factor = max(moving, key=lambda f: abs(moving[f][1]))
        return factor, moving[factor][0], moving[factor][1]

    @property
    def factors_that_move(self) -> list:
        return [f for f, v in self.by_factor.items() if v[2]]


def sweep_finding(effects: pd.DataFrame, paper_aucs) -> SweepFinding:
    """``effects``: ``sweep_effects`` of the digit-randomised AUC; ``paper_aucs``: the paper's."""
    base = float(effects.loc[(effects["factor"] == BASE[0]), "mean"].iloc[0])
    by_factor = {}
    for factor, g in effects[effects["factor"] != BASE[0]].groupby("factor", sort=False):
        moving = g[g["moves"]]
        g = moving if len(moving) else g  # the largest change among those that move it
        row = g.loc[g["difference"].abs().idxmax()]
        by_factor[factor] = (row["level"], float(row["difference"]), bool(row["moves"]))
    top = float(max(paper_aucs)) + RESIDUAL_MARGIN
    like = effects[effects["mean"] <= top]
    return SweepFinding(base, by_factor, list(zip(like["factor"], like["level"])))


@dataclass
class ScoreGap:
    """Why the digit-randomised accuracy is at chance while its AUC is not: means over the
    runs of the pooled AUC, the AUC with the digit fixed, the digit's own AUC and the garment's
    score shift over the digit's."""

    pooled: float
    digit_fixed: float
    digit: float
    shift_ratio: float

    @property
    def predicted(self) -> float:
        """The pooled AUC if the digit fixes the order of every pair of two digits."""
        return self.digit_fixed / 2 + 0.25

    @property
    def explained(self) -> bool:
        return abs(self.pooled - self.predicted) <= GAP_TOLERANCE

    @property
    def by_garment(self) -> bool:
        """The garment orders the scores within a digit (AUC above the pooled one)."""
        return self.digit_fixed > self.pooled


def score_gap(metrics: pd.DataFrame) -> ScoreGap:
    """From runs with the ``study.digit_and_garment`` metrics (the sweep's)."""
    def avg(name):
        return float(metrics[metrics["metric"] == name]["value"].mean())

    return ScoreGap(avg("S-randomized AUC"), avg("S-randomized AUC, digit fixed"),
                    avg("S-randomized digit AUC"), avg("S-randomized garment / digit shift"))


def off_chance(metrics: pd.DataFrame) -> list:
    """The sweep's (factor, level) settings whose mean MNIST-randomised accuracy is further
    than ``CHANCE_MARGIN`` from chance: there the garment moves the scores across the digit's
    decision often enough to count (an empty list: every setting decides by the digit)."""
    acc = levels_as_text(metrics[metrics["metric"] == "S-randomized accuracy"]).groupby(
        ["factor", "level"], sort=False)["value"].mean()
    return [key for key, v in acc.items() if abs(v - 0.5) > CHANCE_MARGIN]
