"""Many small models of one architecture trained together through torch.func (``fit_many``).

The parameters and buffers of N models are stacked along a new first dimension
(``stack_module_state``); one copy of the module, called with a row of them through
``functional_call``, is the model. ``vmap(grad(loss))`` gives every model's gradient on its own
minibatch in one call, and ``optim.StackedOptimizer`` applies torch.optim's update rules to the
stacks elementwise, so each model evolves as if trained alone by ``fit``.

Randomness inside the models (dropout) runs under vmap's ``randomness="different"``: each model
draws its own masks, all from one batched draw per layer and step from the global generator,
which ``fit_many`` seeds (in a forked RNG) from the group's first seed. So a group of one draws
the masks ``fit`` draws, but in a larger group model i's masks depend on the whole group: its
init and data order are still those of its seed, its masks are independent of the others'
and equally distributed, yet not the ones ``fit`` alone would draw.
"""

from __future__ import annotations

import copy
from itertools import chain

import torch
from torch import nn
from torch.func import functional_call, grad, stack_module_state, vmap

from sbcore.reliance import as_scorer
from sbcore.training.backend import chunked_evaluate, save_best
from sbcore.training.optim import StackedOptimizer


def _signature(model: nn.Module) -> tuple:
    named = chain(model.named_parameters(), model.named_buffers())
    return type(model), [(k, tuple(v.shape), v.dtype) for k, v in named]


def check_same_architecture(models: list[nn.Module]) -> None:
    """Stacking needs one class with the same parameter and buffer names, shapes and dtypes,
    and every parameter trainable (the stacked gradient covers them all)."""
    first = _signature(models[0])
    for i, model in enumerate(models[1:], start=1):
        if _signature(model) != first:
            raise ValueError(f"models[{i}] differs from models[0] in class or in parameter "
                             f"names, shapes or dtypes; fit_many needs models of one "
                             f"architecture")
    frozen = [k for k, p in models[0].named_parameters() if not p.requires_grad]
    if frozen:
        raise ValueError(f"fit_many trains every parameter, but models have frozen ones "
                         f"({', '.join(frozen[:3])}); use fit for them")


def _summed_loss(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each model's summed cross-entropy on a chunk: logits z (rows, c, 2), labels y (rows, c)."""
    return nn.functional.cross_entropy(z.transpose(1, 2), y, reduction="none").sum(1)


def _assign(module: nn.Module, names: list[str], tensors: list[torch.Tensor]) -> nn.Module:
    """Copy tensors into the module's parameters and buffers of these names."""
    named = dict(chain(module.named_parameters(), module.named_buffers()))
    with torch.no_grad():
        for name, tensor in zip(names, tensors):
            named[name].copy_(tensor)
    return module


class ModuleStack:
    """fit_many's group of modules as stacked tensors (a ``backend.Backend``)."""

    objective = None  # the mean cross-entropy of each row; fit alone takes another

    def __init__(self, models: list[nn.Module], config, device, chunk: int):
        check_same_architecture(models)
        self.models, self.device, self.chunk = models, device, chunk
        # the module whose forward functional_call runs; its own tensors are never used
        self.template = copy.deepcopy(models[0]).to(device)
        params, buffers = stack_module_state(models)
        self.names = list(params) + list(buffers)
        self.n_params = len(params)
        self.params = [p.detach().to(device).contiguous() for p in params.values()]
        self.buffers = [b.detach().to(device).contiguous() for b in buffers.values()]
        self.best = [t.clone() for t in self.params + self.buffers]  # indexed by model id
        self.optimizer = StackedOptimizer(self.params, config)  # keeps self.params on keep
        self._transform()

    def shapes(self) -> list[tuple[int, ...]]:
        return [tuple(p.shape) for p in self.params]

    def _transform(self) -> None:
        """The vmapped gradient and logits (rebuilt, not pickled, by a checkpoint)."""
        self._grads = vmap(grad(self._loss), randomness="different")
        self._logits = vmap(self._forward, in_dims=(0, 0, None))
        self._own_logits = vmap(self._forward, in_dims=(0, 0, 0), randomness="different")

    def __getstate__(self) -> dict:  # sbcore.training.resume saves the group whole
        return {k: v for k, v in vars(self).items()
                if k not in ("_grads", "_logits", "_own_logits")}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self._transform()

    def _dicts(self, params, buffers):
        return (dict(zip(self.names[:self.n_params], params)),
                dict(zip(self.names[self.n_params:], buffers)))

    def _forward(self, params: dict, buffers: dict, x: torch.Tensor) -> torch.Tensor:
        return functional_call(self.template, (params, buffers), (x,))

    def _loss(self, params, buffers, x, y) -> torch.Tensor:
        return nn.functional.cross_entropy(self._forward(params, buffers, x), y)

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> None:
        if not self.template.training:  # evaluation switches it to eval mode, as fit does
            self.template.train()
        grads = self._grads(*self._dicts(self.params, self.buffers), xb, yb)
        self.optimizer.step([grads[k] for k in self.names[:self.n_params]])

    def decay_lr(self, factor: float) -> None:
        self.optimizer.decay(factor)

    def attack_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(rows, b, 2) logits of the active models on their own inputs x (rows, b, ...), in
        eval mode, differentiable in x (adversarial training)."""
        self.template.eval()
        return self._own_logits(*self._dicts(self.params, self.buffers), x)

    def finite_rows(self) -> torch.Tensor:
        """Per row: is its last parameter tensor still finite (a NaN loss poisons every
        gradient, so one tensor tells after the step)?"""
        return torch.isfinite(self.params[-1].flatten(1)).all(dim=1)

    def evaluate(self, rows: list[int], X: torch.Tensor, y: torch.Tensor):
        """Summed cross-entropy and number correct of these stack rows on (X, y), as float64
        numpy arrays (fit sums the same per-chunk float32 losses)."""
        self.template.eval()
        tensors = self.params + self.buffers
        if len(rows) < len(self.params[0]):
            tensors = [t[rows] for t in tensors]
        params, buffers = self._dicts(tensors[:self.n_params], tensors[self.n_params:])
        return chunked_evaluate(lambda x: self._logits(params, buffers, x), _summed_loss,
                                len(rows), X, y, self.chunk)

    def save_best(self, model_ids: list[int], rows: list[int]) -> None:
        save_best(self.best, self.params + self.buffers, model_ids, rows)

    def keep(self, rows: torch.Tensor) -> None:
        self.optimizer.keep(rows)
        self.buffers = [b[rows].contiguous() for b in self.buffers]

    def scorer(self, row: int):
        """A numpy scorer of one stack row (for track): a copy of the module with its tensors."""
        tensors = [t[row] for t in self.params + self.buffers]
        return as_scorer(_assign(copy.deepcopy(self.template), self.names, tensors),
                         self.device)

    def result_model(self, model_id: int) -> nn.Module:
        """A copy of the caller's models[model_id] holding its selected checkpoint."""
        model = _assign(copy.deepcopy(self.models[model_id]), self.names,
                        [b[model_id] for b in self.best])
        return model.cpu().eval()
