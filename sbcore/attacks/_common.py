"""What the attacks share: the checks of their inputs (ValueError naming the parameter, before
any work), the bounds of the inputs, and running a model in eval mode without touching it."""

from __future__ import annotations

import contextlib

import numpy as np

from sbcore.checks import (
    ParameterTypeError,
    check_input_size,
    check_int,
    check_module,
    check_number,
    input_size,
)
from sbcore.profiles import check_device


def check_eps(eps, name: str = "eps") -> float:
    """A perturbation budget: a finite number > 0."""
    return check_number(name, eps, low=0.0, low_open=True)


def check_xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X as a float array (n, ...) with n >= 1 and y as n labels in {0, 1}."""
    X = np.asarray(X)
    if X.ndim < 2 or len(X) < 1 or not np.issubdtype(X.dtype, np.floating):
        raise ValueError(f"X must be a float array of shape (n, ...) with n >= 1 rows, got "
                         f"dtype {X.dtype} and shape {X.shape}")
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"y must hold one label per row of X, shape ({len(X)},); got shape "
                         f"{y.shape} for X of shape {X.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must hold labels in {0, 1}")
    return X, y.astype(np.int64)


def check_model(model, X: np.ndarray, device) -> None:
    """A torch module on a device that exists, taking rows of X's shape (a model declaring
    its input size is refused with both sizes before the first forward pass)."""
    check_module("model", model)
    check_device(str(device))
    check_input_size("model", input_size(model), X.shape[1:])


def check_bounds(bounds, X: np.ndarray):
    """``bounds`` as two float arrays broadcast to X's shape (read-only views), or None.

    A bound is a scalar or an array that broadcasts to X (a per-feature array of X's per-row
    shape, or a full array of X's shape)."""
    if bounds is None:
        return None
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise ParameterTypeError(f"bounds must be None or a (low, high) pair, got {bounds!r}")
    try:
        low, high = (np.broadcast_to(np.asarray(b, dtype=np.float64), X.shape) for b in bounds)
    except ValueError:
        raise ValueError(f"bounds must be scalars or arrays broadcastable to X's shape "
                         f"{X.shape}") from None
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and np.all(low <= high)):
        raise ValueError("bounds must be finite with low <= high everywhere")
    return low, high


def check_batch_size(batch_size) -> int:
    return check_int("batch_size", batch_size, 1)


@contextlib.contextmanager
def eval_mode(model):
    """The model in eval mode for the block, then back in the mode it was in. With a torch
    recurrent layer (nn.RNNBase) cuDNN is switched off for the block: cuDNN's RNN cannot run
    backward in eval mode (the project's own GRU is built from nn.Linear and needs no such
    care)."""
    import torch
    from torch import nn

    was_training = model.training
    model.eval()
    rnn = any(isinstance(m, nn.RNNBase) for m in model.modules())
    try:
        with torch.backends.cudnn.flags(enabled=False) if rnn else contextlib.nullcontext():
            yield model
    finally:
        model.train(was_training)


def check_logits(logits, n: int) -> None:
    """The attacks need two-class logits (n, 2)."""
    if logits.ndim != 2 or logits.shape != (n, 2):
        raise ValueError(f"model must map a batch of n inputs to (n, 2) logits; got shape "
                         f"{tuple(logits.shape)} for n = {n}")
