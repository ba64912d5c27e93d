"""Adversarial training's inner attack (Madry et al. 2018; chapter "Ensembles and adversarial
training do not help"; digest section 3.6): every training batch is replaced by its PGD
version before the step, and no clean loss is mixed in.

``PGDAdversary`` is the ``perturb`` that ``sbcore.training.fit`` calls on each minibatch with the
model in eval mode (no dropout draws, no batch-norm statistics from adversarial inputs):
``iters`` PGD steps of size ``step`` in the ``norm`` ball of radius ``eps`` from a random start
(``pgd``'s rules), with X + delta clipped into ``bounds``. Its random starts come from its own
generator, seeded by ``seed``, so a run is reproducible and the global random state untouched.
"""

from __future__ import annotations

import torch

from sbcore.attacks._common import check_eps
from sbcore.attacks.pgd import NORMS, _random_start, pgd_steps
from sbcore.checks import check_bool, check_choice, check_int, check_number, check_seed


class PGDAdversary:
    """Callable (model, xb, yb) -> adversarial xb: PGD on a batch of tensors (see module)."""

    def __init__(self, eps: float, norm: str = "linf", step: float | None = None,
                 iters: int = 7, bounds: tuple[float, float] | None = None, seed: int = 0,
                 random_start: bool = True):
        self.eps = check_eps(eps)
        self.norm = check_choice("norm", norm, NORMS)
        self.iters = check_int("iters", iters, 1)
        self.step = 2.5 * self.eps / self.iters if step is None else check_number(
            "step", step, low=0.0, low_open=True)
        if bounds is not None:
            if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
                raise ValueError(f"bounds must be None or a (low, high) pair of numbers, got "
                                 f"{bounds!r}")
            low, high = (check_number(f"bounds[{i}]", b) for i, b in enumerate(bounds))
            if not low < high:
                raise ValueError(f"bounds must have low < high, got {bounds!r}")
            bounds = (low, high)
        self.bounds = bounds
        self.random_start = check_bool("random_start", random_start)
        self.generator = torch.Generator().manual_seed(check_seed(seed))

    def __repr__(self) -> str:
        return (f"PGDAdversary(eps={self.eps:g}, norm={self.norm!r}, step={self.step:g}, "
                f"iters={self.iters}, bounds={self.bounds})")

    def __call__(self, model, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        if self.random_start:
            delta = _random_start(xb.shape, self.eps, self.norm, self.generator)
            delta = delta.to(xb.device, xb.dtype)
        else:
            delta = torch.zeros_like(xb)
        lims = None
        if self.bounds is not None:
            lims = tuple(torch.full((), b, dtype=xb.dtype, device=xb.device)
                         for b in self.bounds)
        return xb + pgd_steps(model, xb, yb, delta, self.eps, self.norm, self.step,
                              self.iters, lims)
