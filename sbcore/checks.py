"""The checks of public parameters, once: each raises an error naming the parameter, the value
given and what is allowed, before any work. Used by data, models, training, reliance, attacks,
the studies and the pipeline, so that a notebook's call and the command line are held to the
same rules.

A value of the wrong kind (a str or a float where an integer belongs, a str where a bool does)
raises ``ParameterTypeError``; a value of the right kind outside what is allowed raises
ValueError."""

from __future__ import annotations

import math

import numpy as np

MAX_SEED = 2**32 - 1  # numpy's and torch's seeding both accept this range


class ParameterTypeError(TypeError, ValueError):
    """A parameter of the wrong kind. A TypeError, as Python's own; also a ValueError, since
    that is what these checks raised before and what the widgets, the pipeline and the command
    line catch to show the message instead of a traceback."""


def is_int(value) -> bool:
    """A Python or numpy integer; a bool is not one here (True would pass as 1 silently)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value) -> bool:
    """A Python or numpy real number, bools excluded."""
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def check_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int if it is an integer >= minimum (bools, floats and strs refused)."""
    allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if not is_int(value):
        raise ParameterTypeError(f"{name} must be {allowed}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def check_seed(seed, name: str = "seed") -> int:
    """A seed: an integer in [0, 2**32 - 1] (larger ones overflow the generators later)."""
    message = f"{name} must be an integer in [0, 2**32 - 1], got {seed!r}"
    if not is_int(seed):
        raise ParameterTypeError(message)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(message)
    return int(seed)


def check_number(name: str, value, low=None, high=None, low_open: bool = False,
                 high_open: bool = False) -> float:
    """A finite real number within the given bounds (bools and strs refused)."""
    lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
    hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
    rule = " and ".join(s for s in (lo, hi) if s)
    message = f"{name} must be a finite number {rule}".rstrip() + f", got {value!r}"
    if not is_number(value):
        raise ParameterTypeError(message)
    ok = math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ValueError(message)
    return float(value)


def check_choice(name: str, value, allowed) -> str:
    """One of a fixed set of names."""
    allowed = list(allowed)
    try:
        known = value in allowed
    except (TypeError, ValueError):  # an array or another value that has no single ==
        known = False
    if not known:
        raise ValueError(f"{name} {value!r} is unknown; allowed: {', '.join(map(str, allowed))}")
    return value


def check_bool(name: str, value) -> bool:
    """A real bool (a papermill ``-p flag no`` or a notebook's ``rotate="False"`` arrives as a
    truthy string; 0 and 1 are refused too, so no flag is ever read from a number)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterTypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_callable(name: str, value, what: str) -> None:
    """A function (``what`` says which one), e.g. a scorer or a training run's ``track``."""
    if not callable(value):
        raise ParameterTypeError(f"{name} must be {what}, got {type(value).__name__} "
                                 f"{value!r}")


def check_generator(name: str, rng) -> np.random.Generator:
    """A numpy Generator: the draws of data and randomisations are reproducible only from
    one (a seed or the legacy np.random module would silently draw something else)."""
    if not isinstance(rng, np.random.Generator):
        raise ParameterTypeError(f"{name} must be a numpy Generator such as "
                                 f"np.random.default_rng(0), got {type(rng).__name__}")
    return rng


def check_indices(name: str, values, size: int, what: str = "coordinates") -> list[int]:
    """A list of integer indices into ``size`` things (floats would be truncated and bools
    read as 0 and 1 by numpy indexing, so both are refused)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ParameterTypeError(f"{name} must be a list of integer indices of {what}, got "
                                 f"{values!r}")
    values = values.reshape(-1).tolist() if isinstance(values, np.ndarray) else list(values)
    wrong = [v for v in values if not is_int(v)]
    if wrong:
        raise ParameterTypeError(f"{name} must be a list of integer indices of {what}, got "
                                 f"{wrong[:5]!r} in it")
    outside = [int(v) for v in values if not 0 <= v < size]
    if outside:
        raise ValueError(f"{name}={outside} must index {what} 0..{size - 1}")
    return [int(v) for v in values]


def check_module(name: str, model) -> None:
    """A torch nn.Module mapping a batch of inputs to logits."""
    from torch import nn  # here: the data and the pipeline check without importing torch

    if not isinstance(model, nn.Module):
        raise ParameterTypeError(f"{name} must be a torch nn.Module mapping a batch of inputs "
                                 f"to (n, 2) logits, got {type(model).__name__}")


def input_size(model) -> int | None:
    """The input size a model declares (``d_in``: the book's FCN, CNN and GRU), else None."""
    d_in = getattr(model, "d_in", None)
    return int(d_in) if is_int(d_in) else None


def check_input_size(name: str, d_in: int | None, row_shape: tuple) -> None:
    """Rows of exactly ``d_in`` features for a model that declares its input size (None: it
    does not, and its first forward pass is the check). Refused with both sizes before any
    training or attack, where torch would fail deep inside with its own shapes."""
    if d_in is None or tuple(row_shape) == (d_in,):
        return
    have = (f"{row_shape[0]} features" if len(row_shape) == 1
            else f"rows of shape {tuple(row_shape)}")
    raise ValueError(f"{name} expects inputs of size {d_in} but the data have {have}")
