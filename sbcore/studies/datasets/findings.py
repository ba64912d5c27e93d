"""What the datasets study finds, as numbers and named booleans: the quoted rings' design and
measured probabilities, and whether the measured samples agree with the design (pure functions
of the stored ``blocks`` tables; the chapter glues them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Rings the prose quotes: (k, class, ring) by glue tag.
QUOTED_RINGS = {"5_neg_outer": (5, "negative", 2), "7_neg_centre": (7, "negative", 0),
                "7_neg_ring": (7, "negative", 2), "7_pos_inner": (7, "positive", 1),
                "7_pos_outer": (7, "positive", 3)}
# A measured ring frequency agrees with its design within this many binomial standard errors
# (a few dozen rings are checked, so 4 keeps a false alarm rarer than one page in a thousand).
RING_Z = 4
# The rotation is exact when QQ^T = I to this (float64 arithmetic on a d x d matrix).
ORTHOGONAL_TOL = 1e-10
# Undoing the rotation returns the blocks to this: the inputs are stored in single precision.
UNROTATE_TOL = 1e-5


def ring_value(rings: pd.DataFrame, k: int, cls: str, ring: int, column: str) -> float:
    """One ring's design or measured probability from the ``rings`` table."""
    row = rings[(rings["block"] == f"{k}-slab") & (rings["cls"] == cls) & (rings["ring"] == ring)]
    if len(row) != 1:
        raise KeyError(f"no ring {ring} of class {cls} for the {k}-slab")
    return float(row[column].iloc[0])


def quoted_rings(rings: pd.DataFrame) -> dict:
    """design_<tag> and meas_<tag> of every ring of ``QUOTED_RINGS``."""
    out = {}
    for tag, (k, cls, j) in QUOTED_RINGS.items():
        out[f"design_{tag}"] = ring_value(rings, k, cls, j, "design")
        out[f"meas_{tag}"] = ring_value(rings, k, cls, j, "measured")
    return out


def rings_match(rings: pd.DataFrame) -> bool:
    """Every ring's measured frequency within ``RING_Z`` binomial standard errors of design."""
    p, n = rings["design"].to_numpy(float), rings["n"].to_numpy(float)
    return bool(np.all(np.abs(rings["measured"] - p) <= RING_Z * np.sqrt(p * (1 - p) / n)
                       + 1e-12))


def rotation_exact(orthogonal_error: float, unrotate_error: float) -> bool:
    """The rotation loses nothing: QQ^T = I and unrotate(XQ) = X within their tolerances."""
    return orthogonal_error < ORTHOGONAL_TOL and unrotate_error < UNROTATE_TOL
