"""The generalisation chapter's figures, in the house style of ``sbcore.book.viz``: the price
of simplicity bias (every grid run's test accuracy against the MS-7 control) and the grid's
validation accuracy as heatmaps. Each function takes the study's parts and returns a
matplotlib Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from sbcore.book import viz
from sbcore.studies.generalisation import study as gs
from sbcore.studies.generalisation import views

GRID_COLOR, CHOSEN_COLOR, CONTROL_COLOR = "#8d99ae", "#d1495b", "#00798c"


def price(results: dict, p: float):
    """Left: the test accuracy of every grid run on noisy LMS-7 (grey), the chosen setting's
    runs (red) and the same network on MS-7 (teal), per network, with the best that S alone
    allows marked. Right: the grid runs' S-randomised accuracy (chance: 0.5)."""
    viz.set_style()
    m = results["grid"].metrics
    chosen = gs.chosen_runs(m)
    ctrl = results["control"].metrics
    models = list(dict.fromkeys(m["model"]))
    fig, (left, right) = plt.subplots(1, 2, figsize=(viz.COLUMN_IN, 3.3), dpi=viz.DPI,
                                      gridspec_kw=dict(width_ratios=[1.6, 1]), sharey=False)
    rng = np.random.default_rng(0)
    for i, model in enumerate(models):
        for ax, metric in ((left, "standard accuracy"), (right, "S-randomized accuracy")):
            v = m[(m["model"] == model) & (m["metric"] == metric)]["value"]
            ax.scatter(i + rng.uniform(-0.25, 0.25, len(v)), v, s=9, color=GRID_COLOR,
                       alpha=0.6, lw=0, label="every grid run" if i == 0 else None)
            c = chosen[(chosen["model"] == model) & (chosen["metric"] == metric)]["value"]
            ax.scatter(np.full(len(c), i), c, s=28, marker="D", color=CHOSEN_COLOR,
                       label="chosen setting" if i == 0 else None, zorder=3)
        v = ctrl[(ctrl["model"] == model) & (ctrl["metric"] == "standard accuracy")]["value"]
        left.scatter(np.full(len(v), i), v, s=34, marker="^", color=CONTROL_COLOR,
                     label="same network on MS-7" if i == 0 else None, zorder=3)
    left.axhline(views.best_linear_accuracy(p), color="0.3", ls="--", lw=1)
    left.text(-0.45, views.best_linear_accuracy(p) + 0.003, "the best S alone allows",
              ha="left", va="bottom", fontsize=8, color="0.3")
    left.axhline(1.0, color=CONTROL_COLOR, ls=":", lw=1)
    left.set(ylabel="test accuracy", title="What the network settles for")
    right.axhline(0.5, color="0.3", ls="--", lw=1)
    right.set(ylabel="S-randomised accuracy", title="It reads S alone", ylim=(0.4, 0.6))
    for ax in (left, right):
        ax.set_xticks(range(len(models)), [s.replace("-FCN", "") for s in models],
                      rotation=45, fontsize=8)
        ax.set_xlabel("(width, depth)-FCN")
    low = min(0.85, float(m[m["metric"] == "standard accuracy"]["value"].min()) - 0.01)
    left.set_ylim(low, 1.01)
    left.legend(fontsize=7.5, loc="lower left", frameon=True)
    fig.tight_layout()
    return fig


def grid_heatmaps(results: dict, p: float):
    """Validation accuracy over the grid, one panel per network: learning rate x batch, each
    cell the best over weight decay and momentum (mean over seeds); the colour scale is
    white at what S alone allows and dark blue at 1, so a setting that escaped would stand
    out."""
    viz.set_style()
    points = gs.point_table(results["grid"].metrics)
    models = list(dict.fromkeys(results["grid"].metrics["model"]))
    best = (points.groupby(["model", "lr", "batch_size"], sort=False)["validation accuracy"]
            .max().reset_index())
    lrs = sorted(best["lr"].unique(), reverse=True)
    batches = sorted(best["batch_size"].unique())
    fig, axes = viz.panel_grid(len(models), (2.3, 0.42 * len(lrs) + 1.0))
    ceiling = views.best_linear_accuracy(p)
    norm = TwoSlopeNorm(vcenter=ceiling, vmin=ceiling - 0.1, vmax=1.0)
    for ax, model in zip(axes, models):
        sub = best[best["model"] == model].pivot(index="lr", columns="batch_size",
                                                 values="validation accuracy")
        sub = sub.reindex(index=lrs, columns=batches)
        ax.imshow(sub.to_numpy(), cmap="RdBu", norm=norm, aspect="auto")
        for (r, c), v in np.ndenumerate(sub.to_numpy()):
            if np.isfinite(v):
                ax.text(c, r, f"{v:.3f}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(batches)), batches, fontsize=8)
        ax.set_yticks(range(len(lrs)), [f"{v:g}" for v in lrs], fontsize=8)
        ax.set_title(model, fontsize=9)
        ax.grid(False)
    for ax in axes:
        ax.set_xlabel("batch", fontsize=8)
    axes[0].set_ylabel("learning rate", fontsize=8)
    # two short lines: a suptitle wider than the panels would widen the saved figure
    fig.suptitle(f"Validation accuracy over the grid\nwhite: {ceiling:.2f} (S alone); "
                 f"dark blue: 1.00 (the slabs)", fontsize=9)
    fig.tight_layout()
    return fig
