"""The hidden-layer activations a model may use (the paper's Table 6 compares these four).

Each name gives a fresh module per layer, so a PReLU layer learns its own slope. Slopes are
torch's defaults, which the paper does not change: leaky ReLU 0.01, PReLU starting at 0.25
with one learned slope per layer (not per unit).
"""

from __future__ import annotations

from torch import nn

from sbcore.checks import check_choice

ACTIVATIONS = ("relu", "leaky_relu", "prelu", "tanh")
_MODULES = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "prelu": nn.PReLU, "tanh": nn.Tanh}


def check_activation(activation) -> str:
    """``activation`` if it is one of ACTIVATIONS (ValueError naming them otherwise)."""
    return check_choice("activation", activation, ACTIVATIONS)


def make_activation(activation: str) -> nn.Module:
    """A new activation module of this name."""
    return _MODULES[check_activation(activation)]()
