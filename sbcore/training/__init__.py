"""Training (core): one trainer for any model (fit), the FCN trainer (train) and the fast
paths for many models of one shape (train_many for FCNs, fit_many for any small model,
train_grid for a grid of SGD settings)."""

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
