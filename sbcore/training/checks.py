"""The trainer's argument checks, all made before any work, each naming the parameter at fault
and what it allows."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sbcore.checks import (
    ParameterTypeError,
    check_bool,
    check_callable,
    check_input_size,
    check_int,
    check_module,
    check_seed,
    input_size,
)
from sbcore.data import SlabData
from sbcore.profiles import check_device
from sbcore.training.config import TrainConfig


def check_fcn_inputs(data, width, depth) -> None:
    """train and train_many build FCNs on data.d inputs: the data must be slab data whose rows
    have d features."""
    if not isinstance(data, SlabData):
        raise ParameterTypeError(f"data must be a SlabData (sbcore.data.make_dataset), got "
                                 f"{type(data).__name__}")
    check_int("width", width, 1)
    check_int("depth", depth, 1)
    X = getattr(data.train, "X", None)  # a missing or malformed X is check_data's to name
    if isinstance(X, np.ndarray) and X.ndim >= 2:  # a hand-made SlabData may not match d
        check_input_size(f"an FCN on data.d = {data.d} inputs", data.d, X.shape[1:])


def check_run(data, config, device) -> None:
    check_data(data)
    if not isinstance(config, TrainConfig):
        raise ParameterTypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    check_device(device)


def check_reporting(track, progress) -> None:
    """What a run reports besides its result: ``track`` (None or scorer -> dict of numbers,
    recorded at every evaluation) and ``progress`` (the progress bar, on or off)."""
    if track is not None:
        check_callable("track", track, "None or a function of the scorer returning a dict")
    check_bool("progress", progress)


def check_perturb(perturb, n_models: int) -> None:
    if perturb is not None and not callable(perturb):
        raise ParameterTypeError(f"perturb must be None or a callable (logits, xb, yb, models) "
                                 f"-> xb, such as sbcore.attacks.PGDAdversary; got "
                                 f"{type(perturb).__name__}")
    if hasattr(perturb, "check_models"):  # e.g. one radius per model: as many as models
        perturb.check_models(n_models)


def check_objective(objective) -> None:
    if objective is not None and not callable(objective):
        raise ParameterTypeError(f"objective must be None (the mean cross-entropy) or a callable "
                                 f"(model, xb, yb) -> scalar loss tensor; got "
                                 f"{type(objective).__name__}")


def check_data(data) -> None:
    """Any object with .train and .val splits of numpy X (n, ...) and labels y (n,) in {0, 1}."""
    for name in ("train", "val"):
        split = getattr(data, name, None)
        if split is None:
            raise ValueError(f"data must have .train and .val splits with X and y; "
                             f"{type(data).__name__} has no .{name}")
        _check_split(name, getattr(split, "X", None), getattr(split, "y", None))
    if len(data.train.y) == 0:
        raise ValueError("data.train is empty; training needs at least one row")
    if len(data.val.y) and data.val.X.shape[1:] != data.train.X.shape[1:]:
        raise ValueError(f"data.val.X rows have shape {data.val.X.shape[1:]} but data.train.X "
                         f"rows have shape {data.train.X.shape[1:]}")


def _check_split(name: str, X, y) -> None:
    if not isinstance(X, np.ndarray) or X.ndim < 2 or X.dtype.kind not in "biuf":
        raise ValueError(f"data.{name}.X must be a real numpy array of shape (n, ...), got "
                         f"{type(X).__name__} {getattr(X, 'shape', '')}")
    if not isinstance(y, np.ndarray) or y.shape != (len(X),):
        raise ValueError(f"data.{name}.y must be a numpy array of shape ({len(X)},) (one label "
                         f"per row of X), got {type(y).__name__} {getattr(y, 'shape', '')}")
    if len(y) and (y.dtype.kind not in "iu" or not np.isin(y, (0, 1)).all()):
        raise ValueError(f"data.{name}.y must hold integer labels 0 and 1 (the model has two "
                         f"logits), got dtype {y.dtype} with values {np.unique(y)[:5]}")
    # refused up front: a NaN input makes the loss NaN, which would read as divergence
    if not np.isfinite(X).all():
        raise ValueError(f"data.{name}.X has NaN or infinite values "
                         f"({int((~np.isfinite(X)).sum())} of {X.size})")


def check_seeds(seeds) -> list[int]:
    if isinstance(seeds, (int, np.integer, str)) or not hasattr(seeds, "__len__"):
        raise ParameterTypeError(f"seeds must be a non-empty list of non-negative integers, "
                                 f"got {seeds!r}")
    if len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, "
                         f"got {seeds!r}")
    return [check_seed(s, "every seed in seeds") for s in seeds]


def check_trainable(name: str, model) -> None:
    check_module(name, model)
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"{name} has no trainable parameters")


def check_group(models, data, config, seeds, device) -> list[int]:
    """The arguments of a group of models trained at once (``fit_many``) or one after another
    (``sbcore.training.fit_each``): a non-empty list of modules that take the data's rows, a
    TrainConfig, a device and one seed per model. Returns the seeds as ints."""
    if not isinstance(models, (list, tuple)):
        raise ParameterTypeError(f"models must be a non-empty list of nn.Modules, got "
                                 f"{type(models).__name__}")
    if len(models) == 0:
        raise ValueError("models must be a non-empty list of nn.Modules, got an empty one")
    for i, model in enumerate(models):
        check_trainable(f"models[{i}]", model)
    check_run(data, config, device)
    for i, model in enumerate(models):
        check_input_size(f"models[{i}]", input_size(model), data.train.X.shape[1:])
    seeds = check_seeds(seeds)
    if len(seeds) != len(models):
        raise ValueError(f"seeds must give one seed per model: {len(models)} models, "
                         f"{len(seeds)} seeds")
    return seeds


def check_output(name: str, model: nn.Module, X: torch.Tensor) -> None:
    """One forward pass on two training rows, so that a model that does not fit the data fails
    before any training, with the shapes in the message."""
    was_training = model.training
    model.eval()  # no batch-norm statistics are updated, no dropout draws
    try:
        with torch.no_grad():
            z = model(X[:2])
    except Exception as err:  # any failure of the forward pass: re-raised with the shapes
        raise ValueError(f"{name} fails on a batch of data.train.X of shape "
                         f"{tuple(X[:2].shape)}: {err}") from err
    finally:
        model.train(was_training)
    if not isinstance(z, torch.Tensor) or tuple(z.shape) != (len(X[:2]), 2):
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"{name} must map a batch of n inputs to (n, 2) logits; on "
                         f"data.train.X[:2] it returned {got}")
