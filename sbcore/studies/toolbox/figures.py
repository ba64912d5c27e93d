"""The toolbox chapter's figures: every configuration's S-randomised AUC on one axis, and
Fig. 5 (reliance against the interpolation weight alpha), in the house style of
``sbcore.book.viz``. Each function takes the study's parts and returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sbcore.book import viz
from sbcore.studies.toolbox import views

TABLE_COLORS = {"Table 4": "#00798c", "Table 6": "#d1495b", "Table 7": "#edae49",
                "Table 8": "#66a182", "Table 9": "#2e4057"}


def all_reliance(results: dict):
    """Every configuration of Tables 4 and 6-9: its S-randomised AUC (dots: seeds; bars:
    mean), one row per table, around the chance line 0.5 that exclusive reliance on S gives."""
    viz.set_style()
    rel = views.all_reliance(results)
    tables = [t for t in TABLE_COLORS if t in set(rel["table"])]
    fig, ax = plt.subplots(figsize=(viz.COLUMN_IN, 0.55 * len(tables) + 1.3), dpi=viz.DPI)
    rng = np.random.default_rng(0)
    for i, table in enumerate(tables):
        sub = rel[rel["table"] == table]
        y = i + rng.uniform(-0.22, 0.22, len(sub))
        ax.scatter(sub["value"], y, s=10, alpha=0.6, color=TABLE_COLORS[table], lw=0)
        means = sub.groupby(["dataset", "d", "cell"])["value"].mean()
        ax.vlines(means, i - 0.3, i + 0.3, color=TABLE_COLORS[table], lw=0.8, alpha=0.8)
        ax.text(1.002, i, f"{len(means)} cells", transform=ax.get_yaxis_transform(),
                va="center", fontsize=8)
    ax.axvline(0.5, color="0.3", ls="--", lw=1)
    ax.set_yticks(range(len(tables)), tables)
    ax.invert_yaxis()
    lo, hi = rel["value"].min(), rel["value"].max()
    ax.set_xlim(min(0.45, lo - 0.01), max(0.55, hi + 0.01))
    ax.set_xlabel("S-randomised AUC (0.5: the network reads S alone; 1: it ignores S)")
    ax.set_title("S-randomised AUC of every configuration (dots: seeds; ticks: cell means)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def fig5(results: dict):
    """Fig. 5: against alpha, the LMS-7 reliance of M_alpha after training (S-randomised AUC:
    randomising the linear coordinate; S^c-randomised AUC: the 7-slabs) and its MS-7 test
    accuracy before training (thin lines: seeds; thick: mean)."""
    viz.set_style()
    m = results["fig5"].metrics
    m = m[m["alpha"].notna()]
    fig, axes = viz.panel_grid(2, (3.4, 2.8))
    panels = [("S-randomized AUC", "linear randomised", "#d1495b"),
              ("Sc-randomized AUC", "7-slabs randomised", "#00798c")]
    for metric, label, color in panels:
        _curves(axes[0], m[m["metric"] == metric], label, color)
    axes[0].set(xlabel="α", ylabel="AUC on LMS-7 after training", ylim=(0.4, 1.02),
                title=r"Reliance of $M_\alpha$ after training")
    axes[0].axhline(0.5, color="0.5", ls=":", lw=1)
    axes[0].legend(fontsize=8, loc="center left")  # between the two curves
    _curves(axes[1], m[m["metric"] == "MS-7 accuracy before training"], "MS-7 accuracy",
            "#2e4057")
    axes[1].set(xlabel="α", ylabel="MS-7 test accuracy", ylim=(0.4, 1.02),
                title=r"$M_\alpha$ before training")
    fig.tight_layout()
    return fig


def _curves(ax, df, label: str, color: str) -> None:
    for _, s in df.groupby("seed"):
        s = s.sort_values("alpha")
        ax.plot(s["alpha"], s["value"], color=color, lw=0.7, alpha=0.4)
    mean = df.groupby("alpha")["value"].mean()
    ax.plot(mean.index, mean.values, color=color, lw=2, marker="o", ms=4, label=label)
