"""The averaging classifier the paper argues in words (section 4.3): the contrast to SGD-trained
networks in chapter "Small perturbations, large failures".

The paper's argument: a classifier f* that averages the linear classifier on S with one
classifier per slab coordinate has a margin that grows like sqrt(d), so an l2 attack on it
must move Omega(d) coordinates; networks trained with SGD rely on S alone and fall to l2
perturbations of norm O(1). This module builds such an f* by hand for synthetic slab data.

Construction, per canonical coordinate z_j (the model takes rotated inputs x and computes
z = x Q^T itself):

* a linear block (``linear``, ``noisy_linear``): f_j(z) = tanh(2 z / (B gamma)); at the
  edge of the margin |z| = B gamma it is +-tanh(2) = +-0.96, positive for class 1;
* a k-slab block (``slab``, ``noisy_slab``): slabs have width w and sit one period
  P = w + 2 B gamma apart, symmetric about 0 (``slab_intervals``), classes alternating
  (``slab_classes``: class 0 in the centre). f_j(z) = c cos(pi (z - m) / P), with m the
  centre slab's midpoint and c = +1 if the centre slab is class 1, else -1, is positive on
  every class-1 slab, negative on every class-0 slab (checked against ``slab_classes`` when the
  module is built), crosses zero in the middle of each gap, and on the slabs
  |f_j| >= cos(pi w / (2P)) (0.65 for the 5-slab at the defaults, 0.84 for the 7-slab).

The score is the plain average s = (1/d) sum_j f_j(z_j) and the logits are [-s/2, s/2], so
logit1 - logit0 = s. On clean data every term has the right sign, so accuracy is 1. A
perturbation delta changes s by at most (1/d) sum_j L_j |delta_j| <= L ||delta||_2 / sqrt(d)
(L the largest slope, pi / P for a slab), while s stays about as large as each term: flipping
the average needs an l2 norm growing like sqrt(d). A perturbation along S alone (what a UAP of
an SGD network is) changes s by at most 2/d.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from sbcore.checks import ParameterTypeError
from sbcore.data.synthetic import SlabData, slab_classes, slab_intervals

LINEAR_KINDS = ("linear", "noisy_linear")
SLAB_KINDS = ("slab", "noisy_slab")


class AveragingClassifier(nn.Module):
    """The averaged per-coordinate classifier f* of a ``SlabData`` (see the module docstring):
    rotated inputs (n, d) -> logits (n, 2) = [-s/2, s/2], s the average per-coordinate score.
    Has no trainable parameters (its constants are buffers)."""

    def __init__(self, data: SlabData):
        super().__init__()
        if not isinstance(data, SlabData):
            raise ParameterTypeError(f"data must be a SlabData (sbcore.data.make_dataset), got "
                             f"{type(data).__name__}")
        d = data.d
        is_linear = np.zeros(d, dtype=bool)
        scale = np.ones(d)  # linear: 2 / (B gamma); slab: pi / P
        centre = np.zeros(d)
        sign = np.ones(d)
        for j, b in enumerate(data.blocks):
            if b.kind in LINEAR_KINDS:
                if b.gamma <= 0:
                    raise ValueError(f"data: coordinate {j} is a linear block with margin "
                                     f"gamma = 0; the averaging classifier needs gamma > 0")
                is_linear[j], scale[j] = True, 2.0 / (b.B * b.gamma)
            elif b.kind in SLAB_KINDS:
                scale[j], centre[j], sign[j] = _slab_score(b.k, b.gamma, b.B)
            else:
                raise ValueError(f"data: coordinate {j} is a {b.kind!r} block; the averaging "
                                 f"classifier handles {', '.join(LINEAR_KINDS + SLAB_KINDS)}")
        Q = np.eye(d) if data.Q is None else np.asarray(data.Q)
        as_t = lambda a, dt=torch.float32: torch.as_tensor(a, dtype=dt)  # noqa: E731
        self.register_buffer("Q", as_t(Q))
        self.register_buffer("is_linear", as_t(is_linear, torch.bool))
        self.register_buffer("scale", as_t(scale))
        self.register_buffer("centre", as_t(centre))
        self.register_buffer("sign", as_t(sign))

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """Per-coordinate scores f_j (n, d) of rotated inputs x (n, d)."""
        z = x @ self.Q.T
        u = self.scale * (z - self.centre)
        return torch.where(self.is_linear, torch.tanh(u), self.sign * torch.cos(u))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.scores(x).mean(dim=1)
        return torch.stack([-s / 2, s / 2], dim=1)


def _slab_score(k: int, gamma: float, B: float) -> tuple[float, float, float]:
    """(pi / P, centre slab's midpoint, sign) of the cosine score of a k-slab, checked to be
    positive on the class-1 slabs and negative on the class-0 ones."""
    iv = slab_intervals(k, gamma, B)
    classes = slab_classes(k)
    period = iv[1][0] - iv[0][0]
    m = (k - 1) // 2
    centre = 0.5 * (iv[m][0] + iv[m][1])
    sign = 1.0 if classes[m] == 1 else -1.0
    for (lo, hi), c in zip(iv, classes):
        for z in (lo, 0.5 * (lo + hi), hi):
            f = sign * math.cos(math.pi * (z - centre) / period)
            if (f > 0) != (c == 1):
                raise ValueError(f"data: the {k}-slab score is not positive on exactly the "
                                 f"class-1 slabs at z = {z:g} (a slab margin gamma = "
                                 f"{gamma:g} leaves no gap)")
    return math.pi / period, centre, sign
