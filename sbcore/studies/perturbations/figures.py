"""The perturbations chapter's figures (08_perturbations): accuracy against the perturbation's
norm for every attack, the networks beside the averaging classifier."""

from __future__ import annotations

from sbcore.book import viz
from sbcore.studies.perturbations import study as pt
from sbcore.studies.perturbations.views import NAMES, curves

STYLE = {"SVD-UAP": ("#1f77b4", "-"), "AS-UAP": ("#ff7f0e", "--"),
         "shift along S": ("#d62728", "-"), "shift along Sᶜ": ("#2ca02c", "-")}


def accuracy_vs_norm(results):
    """One panel per dataset and model: accuracy against the l2 norm of each UAP and shift;
    the averaging classifier's SVD-UAP curve in grey on every panel of its dataset."""
    c = curves(results)
    c = c[c["attack"] != "PGD (per example)"]
    nets = c[c["model"] != pt.AVERAGING]
    panels = list(dict.fromkeys(zip(nets["dataset"], nets["model"])))
    fig, axes = viz.panel_grid(len(panels), (3.4, 2.7))
    for ax, (ds, model) in zip(axes, panels):
        sub = nets[(nets["dataset"] == ds) & (nets["model"] == model)]
        for attack, (color, ls) in STYLE.items():
            a = sub[sub["attack"] == attack]
            ax.plot(a["norm"], a["accuracy"], color=color, ls=ls, marker="o", ms=3,
                    label=attack)
        avg = c[(c["dataset"] == ds) & (c["model"] == pt.AVERAGING)
                & (c["attack"] == "SVD-UAP")]
        ax.plot(avg["norm"], avg["accuracy"], color="#777777", lw=2.2, alpha=0.7,
                label="averaging classifier, SVD-UAP")
        ax.set_xscale("log")
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(f"{NAMES[ds]}, {model}", fontsize=10)
        ax.set_xlabel("l2 norm of the perturbation")
    axes[0].set_ylabel("test accuracy")
    axes[-1].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig
