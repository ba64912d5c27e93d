"""Data (core): the paper's synthetic blocks and datasets (``synthetic``)."""

from sbcore.data.synthetic import (  # noqa: F401
    BLOCK_KINDS,
    DATASETS,
    GAMMA,
    PAPER_RING_PROBS,
    WIDTH,
    Block,
    SlabData,
    Split,
    check_block,
    dataset_blocks,
    make_dataset,
    random_rotation,
    ring_probs,
    sample_block,
    slab_classes,
    slab_gaps,
    slab_intervals,
    slab_width,
    without_coordinates,
)
