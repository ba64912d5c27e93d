"""Reliance (core): what a model relies on, by randomising named blocks of its input.

``blocks``: the one joint permutation of a block (and ``InputBlocks``, which features form which
named block, re-exported from ``sbcore.data.blocks``); ``metrics``: scorers, accuracy, AUC and
the randomised metrics.
"""

from sbcore.reliance.blocks import (  # noqa: F401
    InputBlocks,
    input_blocks,
    permute_features,
)
from sbcore.reliance.metrics import (  # noqa: F401
    VARIANTS,
    Scorer,
    accuracy,
    as_scorer,
    logit_table,
    per_block_metrics,
    per_coordinate_accuracy,
    randomize,
    randomize_blocks,
    randomized_inputs,
    randomized_metrics,
    relies_only_on_S,
    roc_auc,
)
