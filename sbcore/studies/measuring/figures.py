"""The measuring chapter's figures (02_measuring), in the house style of ``sbcore.book.viz``."""

from __future__ import annotations

from sbcore.book import viz
from sbcore.studies.measuring.oracles import ORACLE_LABELS
from sbcore.studies.measuring.views import DATASET_LABELS, bar_data


def oracle_bars(result):
    """Accuracy of each oracle on the standard and randomised test sets, one panel per
    dataset."""
    bars = bar_data(result)
    fig, axes = viz.panel_grid(len(DATASET_LABELS), (3.5, 3.0))
    for ax, label in zip(axes, DATASET_LABELS.values()):
        viz.plot_variant_bars(bars[bars["panel"] == label], "oracle", title=label, ax=ax)
    fig.tight_layout()
    return fig


def per_coordinate(result):
    """Accuracy with each canonical coordinate of LMS-5 randomised alone, per oracle."""
    per = result.tables["per_coordinate"].assign(
        oracle=lambda t: t["model"].map(ORACLE_LABELS))
    return viz.plot_per_coordinate(per, "oracle", panel_size=(3.4, 2.6))


def logits(result):
    """Scores of the true positives of each LMS-5 oracle, standard and randomised."""
    lg = result.tables["logits"].assign(oracle=lambda t: t["model"].map(ORACLE_LABELS))
    return viz.plot_logit_histograms(lg, "oracle", bins=40)
