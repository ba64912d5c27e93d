"""The plateau chapter's figures: when SGD leaves the plateau, against d and against the
sample size, and the validation accuracy curves it comes from."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

from sbcore.book import viz
from sbcore.studies.plateau import views


def escape_trend(result):
    """Escape update against d (left, log-log, with the median run per d and the power law
    fitted to those medians) and against the number of training points (right). Dots: seeds
    that escaped; at the cap, seeds that never did: triangles ran into the cap, crosses
    memorised their training set and stopped."""
    viz.set_style()
    runs = result.tables["runs"]
    runs = runs[runs["rerun"].fillna("") == ""]
    t = views.trend(result)
    fig, axes = viz.panel_grid(2, (3.4, 2.9))
    _points(axes[0], views.d_sweep(runs), "d")
    medians = {d: m for d, m in t["medians"].items() if np.isfinite(m)}
    axes[0].plot(list(medians), list(medians.values()), "_", ms=14, mew=2, color="k",
                 label="median run")
    if not np.isnan(t["exponent"]):
        d = np.linspace(min(t["ds"]), 250, 50)
        scale = t["at_250"] / 250 ** t["exponent"]
        axes[0].plot(d, scale * d ** t["exponent"], color="0.4", ls="--", lw=1,
                     label=f"fit: $d^{{{t['exponent']:.2f}}}$")
        axes[0].legend(fontsize=8)
    axes[0].set(xscale="log", yscale="log", xlabel="d", ylabel="updates to escape",
                title="Against d")
    for d, r in runs.groupby("d"):
        if r["n_train"].nunique() > 1:
            _points(axes[1], r, "n_train", label=f"d = {d}")
    axes[1].set(xscale="log", xlabel="training points", ylabel="updates to escape",
                title="Against the sample size")
    if axes[1].get_legend_handles_labels()[0]:
        axes[1].legend(fontsize=8)
    _plain_ticks(axes[0].xaxis, sorted(set(t["ds"]) | {250}))
    _plain_ticks(axes[1].xaxis, sorted(runs["n_train"].unique()))
    axes[0].yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))  # 1, 2, 5 x 10^k
    for ax in axes:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    return fig


def _plain_ticks(axis, values) -> None:
    """Ticks of a log axis at the measured values, written as plain numbers."""
    axis.set_major_locator(FixedLocator(values))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axis.set_minor_formatter(NullFormatter())


def _points(ax, runs, x: str, label: str | None = None) -> None:
    """Seeds that escaped at their escape update; those that never did at the cap, as
    triangles (ran into it) or crosses (memorised the training set and stopped)."""
    done = runs.dropna(subset=["escape_update"])
    lines = ax.plot(done[x], done["escape_update"], "o", ms=5, alpha=0.7, label=label)
    stuck = runs[runs["escape_update"].isna()]
    for memorised, marker, words in ((False, "^", "capped"), (True, "x", "memorised")):
        r = stuck[stuck["memorised"] == memorised]
        if len(r):
            ax.plot(r[x], r["cap"], marker, ms=7, color=lines[0].get_color(), mfc="none",
                    label=None if label else f"never escaped ({words})")


def curves(result):
    """Validation accuracy during training, one line per seed, one colour per d (the sweep
    over d): the plateau at chance, then the jump."""
    viz.set_style()
    h = views.d_sweep(result.tables["history"])
    fig, ax = plt.subplots(figsize=(viz.COLUMN_IN, 2.8), dpi=viz.DPI)
    colors = plt.cm.viridis(np.linspace(0, 0.85, h["d"].nunique()))
    for color, (d, g) in zip(colors, h.groupby("d")):
        for i, (_, s) in enumerate(g.groupby("seed")):
            ax.plot(s["update"], s["val_accuracy"], color=color, lw=1,
                    label=f"d = {d}" if i == 0 else None)
    ax.axhline(0.5, color="0.5", ls=":", lw=1)
    ax.set(xlabel="update", ylabel="validation accuracy", ylim=(0.4, 1.02),
           title="MS-(5,7): the plateau at chance, then the 5-slab")
    ax.legend(fontsize=8, loc="upper right")  # the curves end below it
    fig.tight_layout()
    return fig
