"""The paper's fully connected networks: the (w, d)-FCN of width w with d hidden layers.

As in the official code (digest section 3.1): Linear(d_in, w), ReLU, then (d - 1) x
[Linear(w, w), ReLU], then Linear(w, 2), with PyTorch's default nn.Linear initialisation.
The two outputs are the logits of classes 0 and 1.
"""

from __future__ import annotations

import torch
from torch import nn

from sbcore.checks import check_int


class FCN(nn.Module):
    """(width, depth)-FCN on d_in inputs; forward(x) returns (n, 2) logits."""

    def __init__(self, d_in: int, width: int, depth: int):
        super().__init__()
        check_int("d_in", d_in)
        check_int("width", width)
        check_int("depth", depth)
        self.d_in, self.width, self.depth = d_in, width, depth
        layers: list[nn.Module] = [nn.Linear(d_in, width), nn.ReLU()]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width), nn.ReLU()]
        layers.append(nn.Linear(width, 2))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def linears(self) -> list[nn.Linear]:
        """The linear layers, input to output."""
        return [m for m in self.net if isinstance(m, nn.Linear)]

    @property
    def label(self) -> str:
        return model_label(self.width, self.depth)


def model_label(width: int, depth: int) -> str:
    """The paper's name of a network: model_label(100, 2) == "(100,2)-FCN"."""
    return f"({width},{depth})-FCN"
