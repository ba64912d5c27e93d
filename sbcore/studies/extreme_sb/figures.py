"""The extreme simplicity bias chapter's figures (Fig. 3a-c, per-coordinate view, training
dynamics), assembled from the study's tables in the house style of ``sbcore.book.viz``.

Every function takes the study's parts (``{part: runner.Merged}``, ``study.parts``) or the
main part, and returns a matplotlib Figure (the animation: self-contained HTML)."""

from __future__ import annotations

import pandas as pd

from sbcore.book import viz
from sbcore.studies.extreme_sb.views import NAMES

AUC_METRICS = ("standard AUC", "S-randomized AUC", "Sc-randomized AUC")


def randomized_aucs(results: dict):
    """Fig. 3b: standard, S- and S^c-randomised AUC per dataset, model and d, over the main
    and the wide part (bars: mean; dots: seeds)."""
    both = pd.concat([results["main"].metrics, results["wide"].metrics], ignore_index=True)
    df = both[both["metric"].isin(AUC_METRICS)].copy()
    df["variant"] = df["metric"].str.replace(" AUC", "")
    df["group"] = df["model"].str.replace("-FCN", "") + "\nd = " + df["d"].astype(str)
    datasets = list(dict.fromkeys(df["dataset"]))
    fig, axes = viz.panel_grid(len(datasets), (3.5, 3.2))  # one panel per dataset
    for ax, name in zip(axes, datasets):
        viz.plot_variant_bars(df[df["dataset"] == name], "group", ax=ax, ylabel="AUC",
                              title=f"{NAMES[name]}: FCN (width, depth)")
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes[:-1]:
        ax.get_legend().remove()
    fig.suptitle("Randomised AUCs (bars: mean; dots: seeds)", fontsize=10)
    fig.tight_layout()
    return fig


def logit_histograms(main, model: str):
    """Fig. 3a: scores of the true positives of ``model``, one panel per dataset."""
    lg = main.tables["logits"]
    lg = lg[lg["model"] == model].copy()
    lg["panel"] = lg["dataset"].map(NAMES) + ", " + lg["model"]
    return viz.plot_logit_histograms(lg, "panel", panel_size=(4.2, 2.8))


def decision_boundaries(main, model: str):
    """Fig. 3c: the decision boundary of ``model`` over (S, the most influential S^c
    coordinate), one panel per dataset."""
    grid, pts = main.tables["boundary"], main.tables["boundary_points"]
    panels = list(dict.fromkeys(grid["dataset"]))
    fig, axes = viz.panel_grid(len(panels), (3.5, 3.4))
    for ax, name in zip(axes, panels):
        g, p = grid[grid["dataset"] == name], pts[pts["dataset"] == name]
        viz.plot_decision_boundary(g, p, ax=ax, title=f"{NAMES[name]}, {model}",
                                   s_label=f"S: coordinate {int(g['s_coord'].iloc[0])}",
                                   c_label=f"Sᶜ: coordinate {int(g['c_coord'].iloc[0])}")
    axes[-1].legend(fontsize=7, loc="upper right", markerscale=3)
    fig.tight_layout()
    return fig


def per_coordinate(main):
    """Accuracy with each canonical coordinate randomised alone, one panel per dataset and
    model (mean over seeds)."""
    pc = main.tables["per_coordinate"].copy()
    pc["panel"] = pc["dataset"].map(NAMES) + ", " + pc["model"]
    return viz.plot_per_coordinate(pc, "panel", panel_size=(3.1, 2.6))


def _history(main, model: str) -> pd.DataFrame:
    hist = main.tables["history"]
    hist = hist[hist["model"] == model].copy()
    hist["panel"] = hist["dataset"].map(NAMES)
    return hist


def dynamics(main, model: str):
    """Standard, S- and S^c-randomised test accuracy of ``model`` during training."""
    return viz.plot_dynamics(_history(main, model), "panel")[0].figure


def dynamics_animation(main, model: str, frames: int) -> str:
    """The training dynamics of ``model`` as ``frames`` precomputed frames (HTML)."""
    return viz.animation_html(viz.dynamics_animation(_history(main, model), "panel",
                                                     frames=frames))
