"""The testbed chapter's figures: every method on the plane of the two randomised AUCs, one
panel per testbed, one point per seed."""

from __future__ import annotations

from sbcore.book import viz
from sbcore.studies.testbed import findings
from sbcore.studies.testbed.views import method_order

# one colour per built-in method, in the chapter's order; a method of one's own gets black
COLORS = {"ERM": "#333333", "Spectral Decoupling": "#8e6c8a", "Gradient diversity": "#edae49",
          "OrthoP": "#66a182", "JTT": "#999999", "D-BAT": "#d1495b", "DivDis": "#00798c",
          "Sc-only ceiling": "#bbbbbb"}
MARKERS = {"none": "o", "unlabelled": "s", "labels": "D"}


def plane(metrics, names: dict):
    """Per testbed: x the S-randomised AUC (reads Sᶜ), y the Sᶜ-randomised AUC (reads S);
    ERM's corner (0.5, 1) and the goal (both high) marked."""
    wide = findings.per_seed(metrics)
    testbeds = list(dict.fromkeys(wide["dataset"]))
    fig, axes = viz.panel_grid(len(testbeds), panel_size=(3.4, 3.2), max_cols=2)
    for ax, testbed in zip(axes, testbeds):
        t = wide[wide["dataset"] == testbed]
        ax.axhspan(findings.BOTH, 1.02, xmin=(findings.BOTH - 0.2) / 0.82, color="#00798c",
                   alpha=0.08, lw=0)
        ax.axvline(0.5, color="#bbbbbb", lw=0.8, ls=":")
        ax.axhline(0.5, color="#bbbbbb", lw=0.8, ls=":")
        for method in sorted(t["method"].unique(), key=method_order):
            rows = t[t["method"] == method]
            ceiling = method == findings.CEILING
            ax.scatter(rows[findings.X], rows[findings.Y], s=60 if ceiling else 30, alpha=0.85,
                       color=COLORS.get(method, "black"),
                       marker="*" if ceiling else MARKERS.get(rows["uses"].iloc[0], "o"),
                       label=method, edgecolor="white", lw=0.5)
        ax.annotate("ERM's corner", (0.5, 1.0), xytext=(0.55, 0.3), fontsize=8,
                    arrowprops=dict(arrowstyle="->", color="#777777"), color="#555555")
        ax.text(0.99, 1.0, "goal", ha="right", va="top", fontsize=8, color="#00798c")
        ax.set(xlim=(0.2, 1.02), ylim=(0.2, 1.02), title=names.get(testbed, testbed),
               xlabel="S-randomised AUC (reads Sᶜ →)", ylabel="Sᶜ-randomised AUC (reads S →)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.06))
    fig.tight_layout()
    return fig


def sweeps(table):
    """Each swept method's S-randomised AUC against its setting, mean ± std over seeds."""
    methods = list(dict.fromkeys(table["method"]))
    fig, axes = viz.panel_grid(len(methods), panel_size=(2.6, 2.3), max_cols=4)
    for ax, method in zip(axes, methods):
        t = table[table["method"] == method].sort_values("setting value")
        ax.errorbar(t["setting value"], t[findings.X], yerr=t[f"{findings.X} std"].fillna(0),
                    marker="o", color=COLORS.get(method, "black"), capsize=3)
        ax.set(xscale="log", ylim=(0.3, 1.02), title=method,
               xlabel=t["setting"].iloc[0], ylabel="S-randomised AUC")
        ax.axhline(0.5, color="#bbbbbb", lw=0.8, ls=":")
    fig.tight_layout()
    return fig
