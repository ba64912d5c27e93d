"""The paper's fully connected networks: the (w, d)-FCN of width w with d hidden layers.

As in the official code (`get_fcn`, scripts/synth_models.py): Linear(d_in, w), ReLU, then (d - 1) x
[Linear(w, w), ReLU], then Linear(w, 2), with PyTorch's default nn.Linear initialisation.
The two outputs are the logits of classes 0 and 1.

Options for the paper's appendix (Table 6: the activation; Table 7: dropout): another hidden
activation, and dropout with probability p after each hidden activation. With the defaults
(ReLU, p = 0) the network, its parameter names and its initialisation under a seed are exactly
those of the plain (w, d)-FCN, so stored results stay valid. The label is the paper's name,
"(w,d)-FCN", whatever the options (the paper's tables name the options in their own columns).
"""

from __future__ import annotations

import torch
from torch import nn

from sbcore.checks import check_int, check_number
from sbcore.models.activations import check_activation, make_activation


class FCN(nn.Module):
    """(width, depth)-FCN on d_in inputs; forward(x) returns (n, 2) logits."""

    def __init__(self, d_in: int, width: int, depth: int, activation: str = "relu",
                 dropout: float = 0.0):
        super().__init__()
        d_in, width, depth = (check_int(name, v) for name, v in
                              (("d_in", d_in), ("width", width), ("depth", depth)))
        check_activation(activation)
        dropout = check_dropout(dropout)
        self.d_in, self.width, self.depth = d_in, width, depth
        self.activation, self.dropout = activation, dropout
        layers: list[nn.Module] = []
        for fan_in in [d_in] + [width] * (depth - 1):
            layers += [nn.Linear(fan_in, width), make_activation(activation)]
            if dropout:  # none at p = 0, so the default network keeps its layer indices
                layers.append(nn.Dropout(dropout))
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


def check_dropout(p) -> float:
    """A dropout probability: a number in [0, 1) (p = 1 would zero every hidden unit)."""
    return check_number("dropout", p, low=0.0, high=1.0, high_open=True)


def model_label(width: int, depth: int) -> str:
    """The paper's name of a network: model_label(100, 2) == "(100,2)-FCN"."""
    width, depth = check_int("width", width), check_int("depth", depth)
    return f"({width},{depth})-FCN"
