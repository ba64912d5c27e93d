"""The paper's recurrent network: the (h, l, d)-GRU with d layers of hidden size h, reading the
input vector as d_in / l steps of l features.

As the official code's classifier (`GRUClassifier`, scripts/synth_models.py): the d_in-vector is cut
into consecutive chunks of l coordinates, a d-layer GRU reads them in order, and Linear(h -> 2) maps
the last step's output (the top layer's final hidden state) to the two logits.

The recurrence is written out here with nn.Linear layers instead of calling nn.GRU, for two
reasons: torch.func.vmap (``fit_many``) then sees only ordinary matmuls and elementwise ops on
every device (a fused GRU kernel, such as cuDNN's, has no batching rule), and the
initialisation schemes of ``sbcore.models.init`` reach the gate weights like any other linear
layer. The maths is torch's GRU (gates in torch's order r, z, n; hidden state starting at 0):

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h

and so is the default initialisation, drawn in nn.GRU's order: under the same seed a GRU here
holds exactly the weights of nn.GRU(l, h, num_layers=d, batch_first=True) followed by
nn.Linear(h, 2) (tests/test_models.py checks both).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils import skip_init

from sbcore.checks import check_int


class GRULayer(nn.Module):
    """One GRU layer over a whole sequence: (n, steps, input_size) -> (n, steps, hidden_size).

    ``input_map`` holds torch's weight_ih / bias_ih (the three gates stacked as rows r, z, n)
    and ``hidden_map`` weight_hh / bias_hh.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        # built without drawing random numbers, then filled as nn.GRU fills its own
        self.input_map = skip_init(nn.Linear, input_size, 3 * hidden_size)
        self.hidden_map = skip_init(nn.Linear, hidden_size, 3 * hidden_size)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """nn.GRU's default: every weight and bias uniform on +-1/sqrt(hidden_size), drawn in
        its parameter order (weight_ih, weight_hh, bias_ih, bias_hh)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in (self.input_map.weight, self.hidden_map.weight, self.input_map.bias,
                      self.hidden_map.bias):
                p.uniform_(-bound, bound)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        from_input = self.input_map(seq)  # the input side of every step in one matmul
        h = seq.new_zeros(*seq.shape[:-2], self.hidden_size)
        outputs = []
        for step in range(seq.shape[-2]):
            in_r, in_z, in_n = from_input[..., step, :].chunk(3, dim=-1)
            hid_r, hid_z, hid_n = self.hidden_map(h).chunk(3, dim=-1)
            r = torch.sigmoid(in_r + hid_r)
            z = torch.sigmoid(in_z + hid_z)
            n = torch.tanh(in_n + r * hid_n)
            h = n + z * (h - n)  # (1 - z) n + z h
            outputs.append(h)
        return torch.stack(outputs, dim=-2)


class GRU(nn.Module):
    """(hidden, step, depth)-GRU on inputs of shape (n, d_in), read as d_in / step steps of
    ``step`` features; forward returns (n, 2) logits."""

    def __init__(self, d_in: int, hidden: int, step: int, depth: int):
        super().__init__()
        d_in, hidden, step, depth = (
            check_int(name, v) for name, v in (("d_in", d_in), ("hidden", hidden),
                                               ("step", step), ("depth", depth)))
        if d_in % step:
            raise ValueError(f"step must divide d_in (the input is read as d_in / step steps "
                             f"of step features); got step={step} for d_in={d_in}")
        self.d_in, self.hidden, self.step, self.depth = d_in, hidden, step, depth
        self.layers = nn.ModuleList(
            GRULayer(size, hidden) for size in [step] + [hidden] * (depth - 1))
        self.out = nn.Linear(hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq = x.unflatten(-1, (self.d_in // self.step, self.step))  # (n, steps, step)
        for layer in self.layers:
            seq = layer(seq)
        return self.out(seq[..., -1, :])

    @property
    def label(self) -> str:
        return gru_label(self.hidden, self.step, self.depth)


def gru_label(hidden: int, step: int, depth: int) -> str:
    """The paper's name of a GRU: gru_label(100, 10, 1) == "(100,10,1)-GRU"."""
    hidden, step, depth = (check_int(name, v) for name, v in
                           (("hidden", hidden), ("step", step), ("depth", depth)))
    return f"({hidden},{step},{depth})-GRU"
