"""The defences chapter's figures (Fig. 6, the members' coordinates, Fig. 7), in the house
style of ``sbcore.book.viz``. Each function takes the study's parts and returns a Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sbcore.book import viz
from sbcore.data.labels import dataset_label
from sbcore.studies.defences import views

AGG_STYLE = {"mean member accuracy": ("members (mean)", "#888888", "o"),
             "averaged logits accuracy": ("averaged logits", "#00798c", "s"),
             "linear stacker accuracy": ("linear stacker", "#d1495b", "D")}
PAPER_STYLE = dict(color="black", marker="x", s=40, zorder=5, lw=1.5)


def fig6(results: dict):
    """Fig. 6: test accuracy against ensemble size, one panel per dataset (mean ± std over
    the disjoint ensembles of each size; crosses: the paper's numbers read off its figure)."""
    viz.set_style()
    curves = views.ensemble_curves(results)
    paper = views.fig6_paper_points()
    names = list(dict.fromkeys(curves["dataset"]))
    fig, axes = viz.panel_grid(len(names), (3.5, 2.9))
    for ax, name in zip(axes, names):
        sub = curves[curves["dataset"] == name]
        for metric, (label, color, marker) in AGG_STYLE.items():
            c = sub[sub["metric"] == metric].sort_values("size")
            ax.errorbar(c["size"], c["mean"], yerr=c["std"].fillna(0), color=color,
                        marker=marker, ms=4, lw=1.6, capsize=3, label=label)
        p = paper[paper["dataset"] == name]
        ax.scatter(p["size"], p["accuracy"], label="paper (≈)", **PAPER_STYLE)
        ax.set(xlabel="ensemble size", xticks=sorted(sub["size"].unique()),
               title=dataset_label(name), ylim=(0.45, 1.02))
        ax.axhline(0.5, color="0.6", ls=":", lw=1)
    axes[0].set_ylabel("test accuracy")
    axes[0].legend(fontsize=7.5, loc="lower right")
    fig.tight_layout()
    return fig


def coordinates(results: dict):
    """Which coordinates each member reads: the drop of its test accuracy when one canonical
    coordinate is randomised (rows: members; columns: coordinates), one panel per dataset."""
    viz.set_style()
    c = views.coordinates(results)
    names = list(dict.fromkeys(c["dataset"]))
    fig, axes = plt.subplots(len(names), 1, figsize=(viz.COLUMN_IN, 1.5 + 1.3 * len(names)),
                             squeeze=False, sharex=True, layout="constrained")
    vmax = max(0.05, float(c["drop"].max()))
    for ax, name in zip(axes[:, 0], names):
        grid = c[c["dataset"] == name].pivot(index="member", columns="coordinate",
                                             values="drop")
        im = ax.imshow(grid.to_numpy(), aspect="auto", cmap="magma_r", vmin=0, vmax=vmax,
                       interpolation="nearest")
        ax.set(ylabel="member", title=dataset_label(name))
        ax.set_yticks(np.arange(len(grid)), [str(i) for i in grid.index], fontsize=6)
        ax.grid(False)
    axes[-1, 0].set_xlabel("canonical coordinate randomised")
    fig.colorbar(im, ax=axes[:, 0].tolist(), label="accuracy drop", shrink=0.9, pad=0.01)
    return fig


def fig7(results: dict, gamma_s: float = 0.30, gamma_data: float = 0.62):
    """Fig. 7: against the training radius eps, standard and eps-robust accuracy (left) and
    the 5-slabs- and 7-slabs-randomised accuracy (right), per model (mean ± std over seeds;
    crosses: the paper's statements), with gamma_S and gamma_data marked."""
    viz.set_style()
    curves = views.advms_curves(results)
    paper = views.fig7_paper_points()
    models = list(dict.fromkeys(curves["model"]))
    fig, axes = viz.panel_grid(2, (3.5, 2.9))
    panels = [[("standard accuracy", "standard", "#2e4057"),
               ("robust accuracy", "ε-robust", "#edae49")],
              [("S-randomized accuracy", "5-slabs (S) randomised", "#d1495b"),
               ("Sc-randomized accuracy", "7-slabs (Sᶜ) randomised", "#00798c")]]
    styles = ["-", "--", ":"]
    for ax, panel in zip(axes, panels):
        for model, ls in zip(models, styles):
            for metric, label, color in panel:
                c = curves[(curves["model"] == model) & (curves["metric"] == metric)]
                c = c.sort_values("eps")
                ax.errorbar(c["eps"], c["mean"], yerr=c["std"].fillna(0), color=color, ls=ls,
                            marker="o", ms=3.5, lw=1.5, capsize=2,
                            label=f"{model}: {label}" if len(models) > 1 else label)
            p = paper[(paper["model"] == model) & paper["metric"].isin([m for m, _, _ in panel])]
            ax.scatter(p["eps"], p["value"], **PAPER_STYLE)
        for g, name in ((gamma_s, "γ_S"), (gamma_data, "γ_data")):
            ax.axvline(g, color="0.4", ls=":", lw=1)
            ax.text(g, 1.03, name, ha="center", fontsize=8, transform=ax.get_xaxis_transform())
        ax.set(xlabel="training radius ε (l2)", ylim=(0.35, 1.05),
               xlim=(-0.02, gamma_data + 0.05))
        ax.axhline(0.5, color="0.6", ls=":", lw=1)
        ax.legend(fontsize=7, loc="center right")
    axes[0].set_ylabel("test accuracy")
    axes[0].set_title("Accuracy", pad=14)
    axes[1].set_title("What the model reads", pad=14)
    fig.tight_layout()
    return fig


def sweep(results: dict, profile: str):
    """What makes the ensembles gain: per sweep setting (labelled by what it changes), the
    averaged-logit gain of the largest ensembles, coloured by whether its members memorise
    their training set (train accuracy at least ``findings.MEMORISED``); the dashed line is the
    paper's gain for that size."""
    from matplotlib.patches import Patch

    from sbcore.studies import section
    from sbcore.studies.defences import findings
    from sbcore.studies.defences import study as ds

    viz.set_style()
    w = section(profile, ds.NAME)["sweep"]
    start = views.sweep_start(w)
    table = views.sweep_table(results["sweep"], start)
    numbers = views.sweep_numbers(results["sweep"], start, w["sizes"])
    size = numbers["sweep_size"]
    memorised = table["members' train accuracy"] >= findings.MEMORISED
    colors = {True: "#00798c", False: "#d1495b"}
    fig, ax = plt.subplots(figsize=(5.8, 0.8 + 0.32 * len(table)))
    rows = np.arange(len(table))[::-1]
    ax.barh(rows, table[f"gain, ensemble of {size}"], color=[colors[m] for m in memorised],
            height=0.6)
    ax.set_yticks(rows, table["setting"], fontsize=8)
    ax.axvline(numbers["sweep_paper_gain"], color="black", ls="--", lw=1)
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_xlabel(f"averaged-logit gain, ensemble of {size}")
    handles = [Patch(color=colors[True], label="members memorise"),
               Patch(color=colors[False], label="members do not"),
               plt.Line2D([], [], color="black", ls="--", lw=1, label="paper (≈)")]
    ax.set_xlim(min(0.0, table[f"gain, ensemble of {size}"].min()) - 0.01,
                1.15 * max(numbers["sweep_paper_gain"], numbers["sweep_best_gain"]))
    ax.legend(handles=handles, fontsize=7.5, loc="center right")
    fig.tight_layout()
    return fig
