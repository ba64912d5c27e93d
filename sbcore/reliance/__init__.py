"""Reliance (core): what a model relies on, by randomising named blocks of its input."""

from sbcore.reliance.metrics import (  # noqa: F401
    VARIANTS,
    accuracy,
    as_scorer,
    logit_table,
    per_coordinate_accuracy,
    randomize,
    randomized_inputs,
    randomized_metrics,
    relies_only_on_S,
    roc_auc,
)
