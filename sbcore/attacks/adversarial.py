"""Adversarial training's inner attack (Madry et al. 2018; chapter "Ensembles and adversarial
training do not help"; as the official utils.pgd_adv_fit_model): every training batch is
replaced by its PGD version before the step, and no clean loss is mixed in.

``PGDAdversary`` is the ``perturb`` that the trainers (``sbcore.training.fit``, ``train_many``,
``fit_many``) call on each step's minibatches, with a function giving the models' logits in eval
mode (no dropout draws, no batch-norm statistics from adversarial inputs): ``iters`` PGD steps
of size ``step`` in the ``norm`` ball of radius ``eps`` from a random start (``pgd``'s rules),
with X + delta clipped into ``bounds``. ``eps`` (and ``step``) may give each model of a stack its
own radius: a sweep over radii trains as one stack. The random starts come from the
adversary's own generator, seeded by ``seed``, so a run is reproducible and the global random
state untouched.
"""

from __future__ import annotations

import numpy as np
import torch

from sbcore.attacks.pgd import NORMS, _random_start, pgd_steps
from sbcore.checks import (
    ParameterTypeError,
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_seed,
)


class PGDAdversary:
    """Callable (logits, xb, yb, models) -> adversarial xb: PGD on the minibatches xb
    (rows, b, ...) of the models ``models`` (their ids, one per row), each in its own ball."""

    def __init__(self, eps, norm: str = "linf", step=None, iters: int = 7,
                 bounds: tuple[float, float] | None = None, seed: int = 0,
                 random_start: bool = True):
        # radius 0 is allowed: a clean model in a sweep over radii trained as one stack
        self.eps = [check_number("eps", e, low=0.0) for e in np.atleast_1d(eps).tolist()]
        if not self.eps:
            raise ValueError("eps must be one radius or one per model, got none")
        self.norm = check_choice("norm", norm, NORMS)
        self.iters = check_int("iters", iters, 1)
        if step is None:
            self.step = [2.5 * e / self.iters for e in self.eps]
        else:
            steps = [check_number("step", s, low=0.0, low_open=True)
                     for s in np.atleast_1d(step).tolist()]
            if len(steps) not in (1, len(self.eps)):
                raise ValueError(f"step must be one number or one per radius of eps "
                                 f"({len(self.eps)}), got {len(steps)}")
            self.step = steps * len(self.eps) if len(steps) == 1 else steps
        if bounds is not None:
            if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
                raise ParameterTypeError(f"bounds must be None or a (low, high) pair of "
                                         f"numbers, got {bounds!r}")
            low, high = (check_number(f"bounds[{i}]", b) for i, b in enumerate(bounds))
            if not low < high:
                raise ValueError(f"bounds must have low < high, got {bounds!r}")
            bounds = (low, high)
        self.bounds = bounds
        self.random_start = check_bool("random_start", random_start)
        self.generator = torch.Generator().manual_seed(check_seed(seed))

    def __repr__(self) -> str:
        eps = self.eps[0] if len(set(self.eps)) == 1 else self.eps
        return (f"PGDAdversary(eps={eps}, norm={self.norm!r}, iters={self.iters}, "
                f"bounds={self.bounds})")

    def check_models(self, n_models: int) -> None:
        """Before training: one radius for all, or exactly one per model."""
        if len(self.eps) not in (1, n_models):
            raise ValueError(f"eps gives {len(self.eps)} radii, but {n_models} models are "
                             f"trained: give one radius, or one per model")

    def radii(self, models: list[int]) -> list[float]:
        """The radius of each model id: one eps for all, or eps[model]."""
        if len(self.eps) == 1:
            return self.eps * len(models)
        if max(models) >= len(self.eps):
            raise ValueError(f"eps gives {len(self.eps)} radii, one per model, but model "
                             f"{max(models)} is being trained")
        return [self.eps[m] for m in models]

    def __call__(self, logits, xb: torch.Tensor, yb: torch.Tensor,
                 models: list[int]) -> torch.Tensor:
        rows, batch = xb.shape[:2]
        flat = xb.reshape(rows * batch, *xb.shape[2:])
        ones = (1,) * (flat.ndim - 1)
        per_row = dict(eps=self.radii(models),
                       step=[self.step[m if len(self.step) > 1 else 0] for m in models])
        eps, step = (torch.tensor(v, dtype=xb.dtype, device=xb.device)
                     .repeat_interleave(batch).view(-1, *ones) for v in per_row.values())
        if self.random_start:  # a start in the unit ball, scaled to each model's radius
            delta = _random_start(flat.shape, 1.0, self.norm, self.generator)
            delta = delta.to(xb.device, xb.dtype) * eps
        else:
            delta = torch.zeros_like(flat)
        lims = None
        if self.bounds is not None:
            lims = tuple(torch.full((), b, dtype=xb.dtype, device=xb.device)
                         for b in self.bounds)

        def model(x):  # the stack's logits on flattened rows
            return logits(x.view(rows, batch, *xb.shape[2:])).reshape(rows * batch, -1)

        delta = pgd_steps(model, flat, yb.reshape(-1), delta, eps, self.norm, step, self.iters,
                          lims)
        return (flat + delta).view_as(xb)
