"""How the pages name the datasets: one display name per dataset of the registries
(``synthetic.DATASETS``, whose descriptions start with it, and the dominoes of ``dominoes``)."""

from __future__ import annotations

from sbcore.data.synthetic import DATASETS

DATASET_LABELS = {name: text.split(": ", 1)[0] for name, (*_, text) in DATASETS.items()}
# MNIST-Fashion: MNIST on top of Fashion-MNIST (the "MF-Dominoes" of later work)
DATASET_LABELS.update({"mnist-cifar": "MNIST-CIFAR", "mnist-fashion": "MNIST-Fashion"})


def dataset_label(name: str) -> str:
    """A dataset's display name: 'ms-5-7' -> 'MS-(5,7)'; a domino with its variant,
    'mnist-fashion-A' -> 'MNIST-Fashion A'."""
    if name in DATASET_LABELS:
        return DATASET_LABELS[name]
    domino, sep, variant = name.rpartition("-")
    if not sep or domino not in DATASET_LABELS:
        raise KeyError(f"no display name for dataset {name!r}; known: "
                       f"{', '.join(DATASET_LABELS)}")
    return f"{DATASET_LABELS[domino]} {variant}"
