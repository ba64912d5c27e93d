"""The paper's one-dimensional CNN: the (f, k, d)-CNN with d convolution layers of f filters of
size k, reading the input vector as a sequence of d_in values with one channel.

As the official code's classifier (`CNNClassifier`, scripts/synth_models.py): Conv1d(1 -> f, kernel
k, 'same' padding), activation, then (d - 1) x [Conv1d(f -> f, k, 'same'), activation], flatten,
Linear(f * d_in -> 50), activation, Linear(50 -> 2), with PyTorch's default initialisation. No
pooling (the official code's max-pool is off by default). The paper writes the filter size as "k x
k"; the code's filters are one-dimensional, and so are these.
"""

from __future__ import annotations

import torch
from torch import nn

from sbcore.checks import check_int
from sbcore.models.activations import check_activation, make_activation

HIDDEN_UNITS = 50  # the fully connected layer after the convolutions, as in the official code


class CNN(nn.Module):
    """(filters, kernel, depth)-CNN on inputs of shape (n, d_in); forward returns (n, 2)
    logits."""

    def __init__(self, d_in: int, filters: int, kernel: int, depth: int,
                 activation: str = "relu"):
        super().__init__()
        d_in, filters, kernel, depth = (
            check_int(name, v) for name, v in (("d_in", d_in), ("filters", filters),
                                               ("kernel", kernel), ("depth", depth)))
        check_activation(activation)
        self.d_in, self.filters, self.kernel, self.depth = d_in, filters, kernel, depth
        self.activation = activation
        layers: list[nn.Module] = []
        for channels_in in [1] + [filters] * (depth - 1):
            layers += [nn.Conv1d(channels_in, filters, kernel, padding="same"),
                       make_activation(activation)]
        self.convs = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(filters * d_in, HIDDEN_UNITS),
                                  make_activation(activation), nn.Linear(HIDDEN_UNITS, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (n, d_in) -> one channel (n, 1, d_in); 'same' padding keeps the length d_in
        return self.head(self.convs(x.unsqueeze(-2)).flatten(-2))

    @property
    def label(self) -> str:
        return cnn_label(self.filters, self.kernel, self.depth)


def cnn_label(filters: int, kernel: int, depth: int) -> str:
    """The paper's name of a CNN: cnn_label(32, 7, 1) == "(32,7,1)-CNN"."""
    filters, kernel, depth = (check_int(name, v) for name, v in
                              (("filters", filters), ("kernel", kernel), ("depth", depth)))
    return f"({filters},{kernel},{depth})-CNN"
