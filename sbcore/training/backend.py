"""What the training loop asks of a group of models (``Backend``), and the two pieces every
backend shares: chunked evaluation and keeping the best checkpoints.

A group holds its models as rows of a stack (a group of one: one row). Rows are the models
still training, in model-id order; a model that finishes is dropped (``keep``), so stack row r
is not model r once any has finished. The backends: ``one_module._OneModule`` (one nn.Module,
torch.optim), ``stacked.FCNStack`` (FCNs as stacked tensors, a hand-written backward pass) and
``vmapped.ModuleStack`` (any small module through torch.func).
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn


@runtime_checkable
class Backend(Protocol):
    """Everything ``loop.Loop`` uses of a group."""

    device: torch.device | str  # where it trains (a resumed group takes this run's)
    chunk: int  # rows per evaluation batch (likewise)
    # what a step minimises, (model, xb, yb) -> loss, or None for the mean cross-entropy; only
    # a group of one takes another (``fit(objective=...)``); never checkpointed: a resumed group
    # takes this run's, and the checkpoint's signature names it
    objective: Callable | None

    def shapes(self) -> list[tuple[int, ...]]:
        """Shapes of its tensors, for the signature a checkpoint must match."""

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> None:
        """One update of every row on its own minibatch: xb (rows, b, ...), yb (rows, b)."""

    def finite_rows(self) -> torch.Tensor:
        """(rows,) bool after a step: is each row still finite (else it diverged)?"""

    def decay_lr(self, factor: float) -> None:
        """Multiply every row's step size by ``factor`` (TrainConfig's step schedule)."""

    def attack_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(rows, b, 2) logits of each row on its own inputs x (rows, b, ...), in eval mode,
        differentiable in x (adversarial training's ``perturb``)."""

    def evaluate(self, rows: list[int], X: torch.Tensor,
                 y: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Summed cross-entropy and number correct of these stack rows on (X, y), as float64
        arrays (``chunked_evaluate``)."""

    def save_best(self, model_ids: list[int], rows: list[int]) -> None:
        """Keep stack rows ``rows`` as the selected checkpoints of models ``model_ids``."""

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only these stack rows (the others' models have finished)."""

    def scorer(self, row: int) -> Callable[[np.ndarray], np.ndarray]:
        """A numpy scorer (X -> logit1 - logit0) of a stack row, for ``track``."""

    def result_model(self, model_id: int) -> nn.Module:
        """Model ``model_id``'s selected checkpoint as a module on the CPU in eval mode."""


def correct(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per row, how many of logits z (rows, n, 2) predict labels y (rows, n): a positive
    logit1 - logit0 is class 1 (as every scorer reads a model)."""
    return ((z[..., 1] - z[..., 0] > 0) == (y == 1)).sum(-1)


@torch.no_grad()
def chunked_evaluate(logits, loss_sum, n_rows: int, X: torch.Tensor, y: torch.Tensor,
                     chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Summed cross-entropy and number correct of ``n_rows`` models on (X, y), ``chunk`` rows
    of X at a time: ``logits`` maps inputs (c, ...) to (n_rows, c, 2) and ``loss_sum`` maps
    (logits, labels (n_rows, c)) to each model's summed float32 loss on the chunk, which adds
    up in float64. Two float64 numpy arrays of length n_rows (zeros for an empty split)."""
    loss = torch.zeros(n_rows, dtype=torch.float64, device=X.device)
    right = torch.zeros(n_rows, dtype=torch.int64, device=X.device)
    for start in range(0, len(X), chunk):
        z = logits(X[start:start + chunk])
        yb = y[start:start + chunk].expand(n_rows, -1)
        loss += loss_sum(z, yb).double()
        right += correct(z, yb)
    return loss.cpu().numpy(), right.cpu().numpy().astype(np.float64)


@torch.no_grad()
def save_best(best: list[torch.Tensor], now: list[torch.Tensor], model_ids: list[int],
              rows: list[int]) -> None:
    """Copy stack rows ``rows`` of the tensors ``now`` into rows ``model_ids`` of ``best``
    (the selected checkpoints, indexed by model id)."""
    ms = torch.tensor(model_ids, device=now[0].device)
    rs = torch.tensor(rows, device=now[0].device)
    for b, t in zip(best, now):
        b[ms] = t[rs]
