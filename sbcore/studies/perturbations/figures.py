"""The perturbations chapter's figures (08_perturbations): accuracy against the perturbation's
norm for every attack, the networks beside the averaging classifier."""

from __future__ import annotations

import matplotlib.pyplot as plt

from sbcore.book import viz
from sbcore.data.labels import DATASET_LABELS, dataset_label
from sbcore.studies.perturbations import study
from sbcore.studies.perturbations.findings import SYNTHETIC
from sbcore.studies.perturbations.views import curves

# drawn in this order: the shifts first, the UAPs on top (a UAP along S and the shift along S
# nearly coincide, so the UAPs are thick and dashed to stay visible)
STYLE = {"shift along S": dict(color="#d62728", ls=":", lw=1.6, marker="s"),
         "shift along Sᶜ": dict(color="#2ca02c", ls="-", lw=1.4, marker="s"),
         "SVD-UAP": dict(color="#1f77b4", ls="-", lw=3.0, marker="o", alpha=0.6),
         "AS-UAP": dict(color="#ff7f0e", ls="--", lw=1.6, marker="o"),
         "SVD-UAP, unsigned": dict(color="#9467bd", ls="-.", lw=1.2, marker="^")}


def accuracy_vs_norm(results):
    """One panel per dataset and model: accuracy against the l2 norm of each UAP and shift;
    the averaging classifier's SVD-UAP curve in grey on every panel of its dataset."""
    c = curves(results)
    c = c[c["attack"] != "PGD (per example)"]
    nets = c[c["model"] != study.AVERAGING]
    panels = list(dict.fromkeys(zip(nets["dataset"], nets["model"])))
    fig, axes = viz.panel_grid(len(panels), (3.4, 2.7))
    for ax, (ds, model) in zip(axes, panels):
        sub = nets[(nets["dataset"] == ds) & (nets["model"] == model)]
        for attack, style in STYLE.items():
            a = sub[sub["attack"] == attack]
            ax.plot(a["norm"], a["accuracy"], ms=3, label=attack, **style)
        avg = c[(c["dataset"] == ds) & (c["model"] == study.AVERAGING)
                & (c["attack"] == "SVD-UAP")]
        ax.plot(avg["norm"], avg["accuracy"], color="#777777", lw=2.2, alpha=0.7,
                label="averaging classifier, SVD-UAP")
        ax.set_xscale("log")
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(f"{DATASET_LABELS[ds]}, {model}", fontsize=10)
        ax.set_xlabel("l2 norm of the perturbation")
    axes[0].set_ylabel("test accuracy")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def image_uap(results):
    """The SVD-UAP of each image model drawn as an image (the mean over the three colour
    channels, signed; red and blue are the two signs), the MNIST half on top."""
    import numpy as np


    u = results.tables["uap"]
    panels = list(dict.fromkeys(zip(u["dataset"], u["model"])))
    fig, axes = viz.panel_grid(len(panels), (2.2, 3.6))
    for ax, (ds, model) in zip(axes, panels):
        v = u[(u["dataset"] == ds) & (u["model"] == model)].sort_values("pixel")["value"]
        img = v.to_numpy().reshape(3, 64, 32).mean(0)
        lim = float(np.abs(img).max()) or 1.0
        ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.grid(False)
        ax.axhline(31.5, color="#333333", lw=0.8, ls="--")
        ax.set_xticks([])
        ax.set_yticks([16, 48], ["MNIST", "complex"], fontsize=8)
        ax.set_title(f"{dataset_label(ds)}, {model}", fontsize=9)
    fig.tight_layout()
    return fig


def crossing_animation(results):
    """The slider over the UAP's norm (precomputed frames; render with
    ``viz.animation_html``), one panel per dataset: the FCN's decision regions over (S, its
    most influential S^c coordinate) and the test points pushed by its SVD-UAP; a hollow
    marker is a point the network now gets wrong."""
    from matplotlib import animation

    from sbcore.book.viz import CLASS_COLORS

    grid, pts = results.tables["crossing_grid"], results.tables["crossing_points"]
    datasets = [d for d in SYNTHETIC if d in set(pts["dataset"])]
    norms = sorted(pts["norm"].unique())
    fig, axes = plt.subplots(1, len(datasets), figsize=(viz.COLUMN_IN, 3.5), dpi=viz.DPI,
                             squeeze=False)
    axes = axes[0]

    def draw(i):
        for ax, ds in zip(axes, datasets):
            ax.clear()
            g, p = grid[grid["dataset"] == ds], pts[pts["dataset"] == ds]
            p = p[p["norm"] == norms[i]]
            s_coord, c_coord = int(g["s_coord"].iloc[0]), int(g["c_coord"].iloc[0])
            viz.plot_decision_boundary(g, p.iloc[:0], ax=ax,
                                       s_label=f"S: coordinate {s_coord + 1}",
                                       c_label=f"Sᶜ: coordinate {c_coord + 1}")
            for c in (0, 1):
                for ok, face in ((True, CLASS_COLORS[c]), (False, "none")):
                    q = p[(p["y"] == c) & (p["correct"] == ok)]
                    ax.scatter(q["s_value"], q["c_value"], s=8, facecolors=face,
                               edgecolors=CLASS_COLORS[c], lw=0.6)
            ax.set_title(f"{DATASET_LABELS[ds]}, {p['model'].iloc[0]}: accuracy "
                         f"{p['correct'].mean():.2f}", fontsize=9)
        fig.suptitle(f"SVD-UAP of norm {norms[i]:g}", fontsize=10)
        return list(axes)

    draw(len(norms) - 1)
    fig.tight_layout()
    anim = animation.FuncAnimation(fig, draw, frames=len(norms), interval=900, blit=False)
    plt.close(fig)
    return anim
