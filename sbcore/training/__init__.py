"""Training (core): one trainer for any model and the stacked fast path for FCNs."""

from sbcore.training.trainer import (  # noqa: F401
    OPTIMIZERS,
    STOP_RULES,
    TrainConfig,
    TrainResult,
    init_fcn,
    order_generator,
    train,
    train_many,
)
