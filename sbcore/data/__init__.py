"""Data (core): the paper's synthetic blocks and datasets (``synthetic``), and the real images
(``images``: MNIST, Fashion-MNIST and a user's CIFAR-10; fetched by ``python -m
sbcore.data.fetch``). Importing touches neither the disk's data nor the network."""

from sbcore.data.blocks import InputBlocks, input_blocks  # noqa: F401
from sbcore.data.images import (  # noqa: F401
    CIFAR10_CLASSES,
    cifar10_root,
    data_dir,
    download_cifar10,
    fetch_all,
    fetch_fashion_mnist,
    fetch_mnist,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
    read_idx,
)
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
