"""The checks of public parameters, once: each raises ValueError naming the parameter and what
is allowed, before any work. Used by data, models, training, the studies and the pipeline."""

from __future__ import annotations

import math

import numpy as np

MAX_SEED = 2**32 - 1  # numpy's and torch's seeding both accept this range


def check_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int if it is an integer >= minimum (bools refused)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def check_seed(seed, name: str = "seed") -> int:
    """A seed: an integer in [0, 2**32 - 1] (larger ones overflow the generators later)."""
    if (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)
            or not 0 <= seed <= MAX_SEED):
        raise ValueError(f"{name} must be an integer in [0, 2**32 - 1], got {seed!r}")
    return int(seed)


def check_number(name: str, value, low=None, high=None, low_open: bool = False,
                 high_open: bool = False) -> float:
    """A finite real number within the given bounds (bools refused)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        rule = " and ".join(s for s in (lo, hi) if s)
        raise ValueError(f"{name} must be a finite number {rule}".rstrip() + f", got {value!r}")
    return float(value)


def check_choice(name: str, value, allowed) -> str:
    """One of a fixed set of names."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{name} {value!r} is unknown; allowed: {', '.join(map(str, allowed))}")
    return value


def check_bool(name: str, value) -> bool:
    """A real bool (a papermill ``-p flag no`` arrives as the truthy string 'no')."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)
