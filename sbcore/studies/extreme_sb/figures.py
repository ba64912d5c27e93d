"""The extreme simplicity bias chapter's figures (Fig. 3a-c, per-coordinate view, training
dynamics), assembled from the study's tables in the house style of ``sbcore.book.viz``.

Every function takes the study's parts (``{part: runner.Merged}``, ``runner.parts``) or the
main part, and returns a matplotlib Figure (the animation: self-contained HTML)."""

from __future__ import annotations

import pandas as pd

from sbcore.book import viz
from sbcore.data.labels import dataset_label

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
                              title=f"{dataset_label(name)}: FCN (width, depth)")
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
    lg["panel"] = lg["dataset"].map(dataset_label) + ", " + lg["model"]
    return viz.plot_logit_histograms(lg, "panel", panel_size=(4.2, 2.8))


def decision_boundaries(main, model: str):
    """Fig. 3c: the decision boundary of ``model`` over (S, the most influential S^c
    coordinate), one panel per dataset."""
    grid, pts = main.tables["boundary"], main.tables["boundary_points"]
    panels = list(dict.fromkeys(grid["dataset"]))
    fig, axes = viz.panel_grid(len(panels), (3.5, 3.4))
    for ax, name in zip(axes, panels):
        g, p = grid[grid["dataset"] == name], pts[pts["dataset"] == name]
        viz.plot_decision_boundary(g, p, ax=ax, title=f"{dataset_label(name)}, {model}",
                                   s_label=f"S: coordinate {int(g['s_coord'].iloc[0])}",
                                   c_label=f"Sᶜ: coordinate {int(g['c_coord'].iloc[0])}")
    axes[-1].legend(fontsize=7, loc="upper right", markerscale=3)
    fig.tight_layout()
    return fig


def per_coordinate(main):
    """Accuracy with each canonical coordinate randomised alone, one panel per dataset and
    model (mean over seeds)."""
    pc = main.tables["per_coordinate"].copy()
    pc["panel"] = pc["dataset"].map(dataset_label) + ", " + pc["model"]
    return viz.plot_per_coordinate(pc, "panel", panel_size=(3.1, 2.6))


def _history(main, model: str) -> pd.DataFrame:
    hist = main.tables["history"]
    hist = hist[hist["model"] == model].copy()
    hist["panel"] = hist["dataset"].map(dataset_label)
    return hist


def dynamics(main, model: str):
    """Standard, S- and S^c-randomised test accuracy of ``model`` during training."""
    return viz.plot_dynamics(_history(main, model), "panel")[0].figure


def dynamics_animation(main, model: str, frames: int) -> str:
    """The training dynamics of ``model`` as ``frames`` precomputed frames (HTML)."""
    return viz.animation_html(viz.dynamics_animation(_history(main, model), "panel",
                                                     frames=frames))


def toy(part):
    """Fig. 1 in two dimensions: (left) LMS-5 at d = 2 with the boundary that reads S alone
    (one threshold) and the one that reads the 5-slab alone (four thresholds); (right) the
    trained networks' decision regions (the first seed filled, every other seed's boundary
    dotted) over the same plane."""
    from sbcore.data import GAMMA, WIDTH, slab_intervals

    grid, pts = part.tables["boundary"].copy(), part.tables["boundary_points"]
    seeds = list(dict.fromkeys(grid["seed"]))
    grid["base"] = grid["seed"].map({s: i for i, s in enumerate(seeds)})
    name, model = grid["dataset"].iloc[0], grid["model"].iloc[0]
    s_label = f"S: coordinate {int(grid['s_coord'].iloc[0])} (linear)"
    c_label = f"Sᶜ: coordinate {int(grid['c_coord'].iloc[0])} (5-slab)"
    fig, (left, right) = viz.panel_grid(2, (3.5, 3.4))
    for c in (0, 1):
        sub = pts[pts["y"] == c]
        left.scatter(sub["s_value"], sub["c_value"], s=3, color=viz.CLASS_COLORS[c],
                     alpha=0.6, lw=0, label=viz.CLASS_LABELS[c])
    left.axvline(0.0, color="k", lw=1.4, ls="--", label="reads S: 1 threshold")
    iv = slab_intervals(5, GAMMA, WIDTH)
    for i, ((_, hi), (lo, _)) in enumerate(zip(iv[:-1], iv[1:])):
        left.axhline((hi + lo) / 2, color="0.35", lw=1.2, ls=":",
                     label="reads Sᶜ: 4 thresholds" if i == 0 else None)
    left.set(xlabel=s_label, ylabel=c_label, title=f"{dataset_label(name)} at d = 2")
    left.title.set_fontsize(10)
    left.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
                markerscale=3, frameon=False)
    viz.plot_decision_boundary(grid, pts, ax=right, s_label=s_label, c_label=c_label,
                               title=f"{model}: {len(seeds)} seeds")
    fig.tight_layout()
    return fig
