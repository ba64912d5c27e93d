"""A group of one: any nn.Module trained by torch.optim (``fit`` and ``train``)."""

from __future__ import annotations

import torch
from torch import nn

from sbcore.reliance import as_scorer
from sbcore.training.backend import chunked_evaluate
from sbcore.training.config import TrainConfig
from sbcore.training.optim import make_optimizer


def _summed_loss(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The one model's summed cross-entropy on a chunk, as (1,)."""
    return nn.functional.cross_entropy(z[0], y[0], reduction="sum").view(1)


class _OneModule:
    """A group of one (``backend.Backend``): the module itself, its own optimiser and a copy of
    its best state."""

    def __init__(self, model: nn.Module, config: TrainConfig, device, chunk: int,
                 objective=None):
        self.model, self.device, self.chunk = model, device, chunk
        self.objective = objective
        self.optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad],
                                        config)
        self.best = self._state()

    def _state(self) -> dict:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def shapes(self) -> list[tuple[int, ...]]:
        return [tuple(t.shape) for t in self.model.state_dict().values()]

    def step(self, xb, yb) -> None:
        if not self.model.training:  # evaluation, attacks and scorers switch to eval mode
            self.model.train()
        if self.objective is None:
            loss = nn.functional.cross_entropy(self.model(xb[0]), yb[0])
        else:
            loss = self.objective(self.model, xb[0], yb[0])
            if not isinstance(loss, torch.Tensor) or loss.numel() != 1 or not loss.requires_grad:
                raise ValueError(f"objective must return a scalar loss tensor that depends on "
                                 f"the model's parameters; got {loss!r:.80}")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.last_loss = loss.detach()

    def __getstate__(self) -> dict:  # a checkpoint holds data: the objective is this run's
        return {k: v for k, v in vars(self).items() if k != "objective"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, objective=None)

    def finite_rows(self) -> torch.Tensor:
        return torch.isfinite(self.last_loss).view(1)

    def attack_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(1, b, 2) logits of the model in eval mode on x (1, b, ...), differentiable in x."""
        self.model.eval()
        return self.model(x[0]).unsqueeze(0)

    def evaluate(self, stack_rows, X, y):
        self.model.eval()
        return chunked_evaluate(lambda x: self.model(x).unsqueeze(0), _summed_loss, 1, X, y,
                                self.chunk)

    def save_best(self, model_ids, stack_rows) -> None:
        self.best = self._state()

    def decay_lr(self, factor: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] *= factor

    def keep(self, stack_rows) -> None:  # never called: a group of one ends with its model
        raise AssertionError("a group of one has nothing to keep")

    def scorer(self, stack_row):
        return as_scorer(self.model, self.device)

    def result_model(self, model_id) -> nn.Module:
        self.model.load_state_dict(self.best)
        return self.model.cpu().eval()
