"""What the images study finds, as numbers and named answers: the ranges of the main metrics,
the residual use of the complex half that the digit-randomised AUC shows, and what the linear
probe finds in the features (pure functions of the study's parts, ``{part: Merged or None}``)."""

from __future__ import annotations

from dataclasses import dataclass

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
