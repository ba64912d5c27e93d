"""Training (core): one trainer for any model (fit), the FCN trainer (train) and the fast
paths for many models of one shape (train_many for FCNs, fit_many for any small model,
train_grid for a grid of SGD settings), and fit_each: a group trained alone, over CPU
processes."""

from sbcore.training.parallel import cpu_workers, fit_each  # noqa: F401
from sbcore.training.trainer import (  # noqa: F401
    OPTIMIZERS,
    STOP_RULES,
    TrainConfig,
    TrainResult,
    fit,
    fit_many,
    init_fcn,
    order_generator,
    train,
    train_grid,
    train_many,
)
