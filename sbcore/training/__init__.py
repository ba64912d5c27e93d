"""Training (core): one trainer for any model (fit), the FCN trainer (train) and the fast
paths for many models of one shape (train_many for FCNs, fit_many for any small model,
train_grid for a grid of SGD settings), and fit_each: a group trained alone, over CPU
processes.

The modules, one concept each: ``config`` (TrainConfig and RECIPES, without torch),
``checks``, ``seeding``, ``schedule``, ``result``, ``backend`` (the Backend protocol, shared
evaluation), ``optim``, the backends ``one_module``, ``stacked`` and ``vmapped``, ``loop``
(the one loop), ``parallel`` (CPU processes), ``resume`` and ``checkpoint_file`` (training in
parts), and ``trainer`` (the entry points). The names below are loaded on first use, so that
``sbcore.training.config`` (the studies' settings read its RECIPES) does not load torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# public name -> the module of sbcore.training that defines it
_PUBLIC = {
    "OPTIMIZERS": "config", "STOP_RULES": "config", "RECIPES": "config",
    "TrainConfig": "config", "TrainResult": "result", "init_fcn": "seeding",
    "order_generator": "seeding", "cpu_workers": "parallel", "fit": "trainer",
    "train": "trainer", "train_many": "trainer", "fit_many": "trainer",
    "train_grid": "trainer", "fit_each": "trainer",
}
__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:
    from sbcore.training.config import OPTIMIZERS, RECIPES, STOP_RULES, TrainConfig  # noqa: F401
    from sbcore.training.parallel import cpu_workers  # noqa: F401
    from sbcore.training.result import TrainResult  # noqa: F401
    from sbcore.training.seeding import init_fcn, order_generator  # noqa: F401
    from sbcore.training.trainer import (  # noqa: F401
        fit,
        fit_each,
        fit_many,
        train,
        train_grid,
        train_many,
    )


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'sbcore.training' has no attribute {name!r}")
    return getattr(importlib.import_module(f"sbcore.training.{_PUBLIC[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
