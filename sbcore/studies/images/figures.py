"""The images chapter's figures (07_images): example dominoes, the logit histograms (Fig. 3a
for images) and the probe against its baseline."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from sbcore.book import viz
from sbcore.data.dominoes import class_names
from sbcore.data.labels import dataset_label

SETS = {"standard": "original", "mnist": "MNIST half randomised",
        "complex": "complex half randomised"}


def examples(data, per_class: int = 4):
    """A grid of test dominoes: for each test set (original, MNIST-randomised,
    complex-randomised) ``per_class`` images of each label, labelled with the dataset."""
    names = class_names(data.name, data.variant)
    splits = {"standard": data.test, **data.randomized}
    # three groups of per_class columns, a narrow blank column between groups
    ratios = ([1.0] * per_class + [0.35]) * 2 + [1.0] * per_class
    fig, axes = plt.subplots(2, len(ratios), figsize=(viz.COLUMN_IN, 3.3),
                             gridspec_kw=dict(width_ratios=ratios, wspace=0.06, hspace=0.08))
    fig.subplots_adjust(left=0.1, right=0.995, top=0.8, bottom=0.02)
    for ax in axes.ravel():
        ax.axis("off")
    for j, (key, split) in enumerate(splits.items()):
        first = j * (per_class + 1)
        for label in (0, 1):
            rows = np.flatnonzero(split.y == label)[:per_class]
            for i, r in enumerate(rows):
                ax = axes[label, first + i]
                ax.imshow(np.clip(split.X[r].transpose(1, 2, 0), 0, 1), interpolation="nearest")
                if i == 0 and j == 0:
                    ax.axis("on")
                    ax.set_xticks([])
                    ax.set_yticks([])
                    for side in ax.spines.values():
                        side.set_visible(False)
                    ax.set_ylabel(f"label {label}\n{names[label]}", fontsize=8)
        axes[0, first].set_title(SETS[key], fontsize=9, loc="left")
    fig.suptitle(f"{dataset_label(f'{data.name}-{data.variant}')}: test dominoes", fontsize=10)
    return fig


def logit_histograms(main, variant: str = "A"):
    """Fig. 3a for images: scores of the label-1 test dominoes, original versus each half
    randomised, one panel per dataset and model (variant ``variant``)."""
    lg = main.tables["logits"]
    lg = lg[(lg["y"] == 1) & (lg["variant"] == variant)].copy()
    lg["panel"] = lg["dataset"].map(dataset_label) + ", " + lg["model"]
    lg = lg.rename(columns={"variant": "domino_variant", "test_set": "variant"})
    return viz.plot_logit_histograms(lg, "panel", panel_size=(4.2, 2.8))


def probe(main):
    """The probe's accuracy for the complex half's class, trained versus untrained features,
    per dataset and model (one dot per seed, chance at 0.5)."""
    m = main.metrics[main.metrics["metric"].str.startswith("probe accuracy, complex")].copy()
    m["features"] = np.where(m["metric"].str.endswith("untrained"), "untrained", "trained")
    m["row"] = m["dataset"].map(dataset_label) + ", " + m["model"]
    rows = list(dict.fromkeys(m["row"]))
    fig, ax = plt.subplots(figsize=(viz.COLUMN_IN, 1.4 + 0.45 * len(rows)))
    for k, (feats, color) in enumerate((("trained", "#1f77b4"), ("untrained", "#999999"))):
        sub = m[m["features"] == feats]
        y = np.array([rows.index(r) for r in sub["row"]]) + (k - 0.5) * 0.25
        ax.scatter(sub["value"], y, color=color, s=22, label=f"{feats} network's features")
    ax.axvline(0.5, color="#777777", ls="--", lw=1)
    ax.set_xlim(0.45, 1.0)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("probe accuracy: the complex half's class (chance 0.5)")
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def sweep_dots(long, paper_range):
    """The sweep (Fig. for the domino's digit-randomised AUC): one row per setting, one dot per
    seed for the pooled MNIST-randomised AUC (filled) and the AUC with the digit fixed
    (hollow), the quick setting's mean as a line and the paper's MNIST-CIFAR range as a band.
    ``long``: per-seed rows with ``row`` (the setting's label, in order), ``metric``, ``value``."""
    rows = list(dict.fromkeys(long["row"]))
    fig, ax = plt.subplots(figsize=(viz.COLUMN_IN, 1.2 + 0.32 * len(rows)))
    ax.axvspan(*paper_range, color="#dddddd", label="paper, MNIST-CIFAR CNNs")
    styles = {"S-randomized AUC": dict(color="#1f77b4", label="MNIST-randomised AUC"),
              "S-randomized AUC, digit fixed": dict(facecolors="none", edgecolors="#d62728",
                                                    label="the same, digit fixed")}
    for metric, style in styles.items():
        sub = long[long["metric"] == metric]
        ax.scatter(sub["value"], [rows.index(r) for r in sub["row"]], s=18, **style)
    base = long[(long["metric"] == "S-randomized AUC") & (long["row"] == rows[0])]["value"]
    ax.axvline(base.mean(), color="#1f77b4", lw=0.8, ls=":")
    ax.axvline(0.5, color="#777777", ls="--", lw=1)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_xlabel("AUC on the MNIST-randomised test dominoes (chance 0.5)")
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    return fig
