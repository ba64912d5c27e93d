"""Initialisation schemes and scale, for the paper's Table 9 (Kaiming and Xavier initialisation
scaled by 0.1, 0.5, 2 and 10) and for building any model of ``sbcore.models`` from a spec.

What the paper leaves open, and what ``initialise`` does:

* Distribution. The paper names the schemes but not whether weights are normal or uniform.
  We draw them from a normal distribution: He et al. (2015) define Kaiming initialisation as
  Gaussian, and using the same distribution for Xavier makes the two schemes differ only in
  their variance, which is what the scale multiplies. (The official code's only option is a
  Kaiming-uniform init of FCN weights and biases, used by no notebook, with neither Xavier
  nor a scale, so it cannot be what Table 9 ran.)
* Variance. Kaiming: std = sqrt(2 / fan_in) (fan-in mode with the ReLU gain, He et al.'s
  forward-pass derivation). Xavier: std = sqrt(2 / (fan_in + fan_out)) (gain 1, Glorot and
  Bengio's average of the two fans). For a Linear weight (out, in) fan_in = in and
  fan_out = out; for a Conv1d weight (out, in, k) both are multiplied by k; for a GRU layer
  the fans are those of its stacked three-gate matrices (fan_out = 3 * hidden), as
  torch.nn.init computes them for nn.GRU's own weights. The ReLU gain is used whatever the
  activation (the paper gives no gain either).
* Biases: zero under both schemes, as in both original papers.
* Scale: every weight (of every Linear and Conv1d layer, the GRU's gate maps included) is
  multiplied by ``scale`` after it is drawn, so the scale multiplies the standard deviation.
  Biases and PReLU slopes are not scaled: they are not weights of a linear map.
* "default" keeps the weights PyTorch gave the model when it was built (nn.Linear's and
  nn.Conv1d's uniform +-1/sqrt(fan_in), nn.GRU's +-1/sqrt(hidden)); the scale still applies.

Draws come from a generator seeded by ``seed``, never from the global random state.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from sbcore.checks import check_choice, check_module, check_number, check_seed

INIT_SCHEMES = ("default", "kaiming", "xavier")
_RELU_GAIN = math.sqrt(2.0)


def check_init(scheme) -> str:
    """``scheme`` if it is one of INIT_SCHEMES (ValueError naming them otherwise)."""
    return check_choice("init", scheme, INIT_SCHEMES)


def check_init_scale(scale) -> float:
    return check_number("init_scale", scale, low=0.0, low_open=True)


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """The layers whose weights the schemes draw and the scale multiplies, in module order."""
    return [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d))]


def fans(weight: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a Linear (out, in) or Conv1d (out, in, k) weight."""
    receptive = math.prod(weight.shape[2:])
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def scheme_std(scheme: str, weight: torch.Tensor) -> float:
    """The standard deviation a scheme draws this weight with (before the scale)."""
    fan_in, fan_out = fans(weight)
    if scheme == "kaiming":
        return _RELU_GAIN / math.sqrt(fan_in)
    return math.sqrt(2.0 / (fan_in + fan_out))


def initialise(model: nn.Module, scheme: str, scale: float, seed: int) -> nn.Module:
    """Initialise ``model`` in place by ``scheme`` and ``scale`` (see the module docstring) and
    return it. ``seed`` seeds the draws of "kaiming" and "xavier"; "default" draws nothing."""
    check_module("model", model)
    check_init(scheme)
    scale = check_init_scale(scale)
    seed = check_seed(seed)
    layers = weight_layers(model)
    if not layers:
        raise ValueError(f"model has no Linear or Conv1d layer to initialise "
                         f"({type(model).__name__})")
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in layers:
            w = layer.weight
            if scheme != "default":
                # drawn on the CPU, so a seed gives the same weights on every device
                draw = torch.empty(w.shape).normal_(0.0, scheme_std(scheme, w),
                                                    generator=generator)
                w.copy_(draw)
                if layer.bias is not None:
                    layer.bias.zero_()
            w.mul_(scale)
    return model
