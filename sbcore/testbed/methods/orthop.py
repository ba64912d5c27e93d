"""OrthoP (Morwani, Batra, Jain, Netrapalli, "Simplicity Bias in 1-Hidden Layer Neural
Networks", NeurIPS 2023, arXiv 2302.00457): a network depends on a low-dimensional projection
of its input; train a second network on inputs with that projection removed, so that it must
use other features, and combine the two. The subspace: the top right-singular vectors of the
first network's first-layer weights (the paper's one-hidden-layer setting); for a network
whose first layer is not a linear map of the whole input (the image CNNs) the top
right-singular vectors of its input gradients at the training points instead."""

import numpy as np
import torch
from torch import nn

from sbcore.testbed.models import Ensemble, Projected, margin_gradient
from sbcore.testbed.protocol import Method


def top_subspace(matrix: torch.Tensor, rank: int) -> torch.Tensor:
    """Orthonormal columns spanning the top ``rank`` right-singular vectors of a matrix."""
    _, _, vh = torch.linalg.svd(matrix.detach().double(), full_matrices=False)
    return vh[:rank].T.float()


def dependence_subspace(model: nn.Module, X: np.ndarray, rank: int) -> torch.Tensor:
    """The subspace the model reads: its first layer's row space where that layer is a
    linear map of the flattened input, else that of its input gradients on X."""
    first = next(m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.Conv1d)))
    if isinstance(first, nn.Linear) and first.in_features == int(np.prod(X.shape[1:])):
        return top_subspace(first.weight, rank)
    return top_subspace(margin_gradient(model, torch.as_tensor(X[:512], dtype=torch.float32)),
                        rank)


def train(view, config, seed, device):
    first = view.fit(view.new_model(seed), seed, device=device).model
    basis = dependence_subspace(first, view.train.X, config["rank"])
    second = view.fit(Projected(view.new_model(seed + 10_000), basis), seed,
                      device=device).model
    return Ensemble([first, second])


ORTHOP = Method("OrthoP", "none", train, config=dict(rank=1),
                citation="Morwani et al., NeurIPS 2023, arXiv 2302.00457")
