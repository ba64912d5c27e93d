"""The share of a perturbation's budget spent on a set of canonical features S (chapter "Small
perturbations, large failures"; the paper's Fig. 4: 99.6% on the linear coordinate of LMS-5,
99.3% on the MNIST pixels of MNIST-CIFAR).

The paper's wording leaves two readings open, and both are given here:

* ``share_l2_mass(P, S)`` = ||P_S||^2 / ||P||^2, the fraction of the squared l2 norm on S;
* ``share_norm_ratio(P, S)`` = ||P_S|| / ||P||; for a single feature s this is |P_s| / ||P||,
  the official code's reading (the mean over test points of |P_S| / ||P||_2).

For one perturbation (a 1-D P) each is a number; for a matrix P (n, features) it is the mean
over rows (``per_row=True``: one value per row). A row with ||P|| = 0 has no share: it is NaN
per row and left out of the mean.

Perturbations must first be taken to canonical coordinates (``canonical``): for synthetic
``SlabData`` the model sees X Q, so a perturbation P of the input is P Q^T in the blocks'
coordinates (Q is orthogonal: norms are kept); for image data the canonical features are the
flattened pixels. S is given as flat feature indices or as the name(s) of blocks of the
dataset's ``input_blocks`` (``sbcore.data.blocks``), e.g. "S" for slab data or "mnist" for
the image dominoes.
"""

from __future__ import annotations

import numpy as np

from sbcore.checks import ParameterTypeError, check_bool
from sbcore.data.blocks import input_blocks


def feature_indices(S, data=None) -> np.ndarray:
    """S as sorted unique flat feature indices: integers as given, or block name(s) of
    ``data``'s input blocks (then ``data`` is required)."""
    if isinstance(S, str) or (isinstance(S, (list, tuple)) and S
                              and all(isinstance(s, str) for s in S)):
        if data is None:
            raise ValueError(f"S given as block name(s) {S!r} needs the dataset: pass data=")
        return input_blocks(data).select(S)
    idx = np.asarray(S)
    if idx.size == 0:
        return np.zeros(0, dtype=np.int64)
    if idx.ndim > 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ParameterTypeError(f"S must be block name(s) or non-negative integer feature "
                                 f"indices, got {S!r}")
    if idx.min() < 0:
        raise ValueError(f"S must be block name(s) or non-negative integer feature indices, "
                         f"got {S!r}")
    return np.unique(idx.astype(np.int64))


def _rows(P) -> tuple[np.ndarray, bool]:
    P = np.asarray(P, dtype=np.float64)
    if P.ndim not in (1, 2) or P.shape[-1] < 1:
        raise ValueError(f"P must be one perturbation (features,) or a matrix (n, features) "
                         f"in canonical coordinates (see canonical), got shape {P.shape}")
    return np.atleast_2d(P), P.ndim == 1


def _share(P, S, data, per_row: bool, squared: bool):
    check_bool("per_row", per_row)
    rows, single = _rows(P)
    idx = feature_indices(S, data)
    if idx.size and idx.max() >= rows.shape[1]:
        raise ValueError(f"S indexes feature {idx.max()} of perturbations with only "
                         f"{rows.shape[1]} features")
    on_s = np.sum(rows[:, idx] ** 2, axis=1)
    total = np.sum(rows ** 2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, on_s / total, np.nan)
    if not squared:
        share = np.sqrt(share)
    if single:
        return float(share[0])
    if per_row:
        return share
    return float(np.nanmean(share)) if np.any(np.isfinite(share)) else float("nan")


def share_l2_mass(P, S, data=None, per_row: bool = False):
    """||P_S||^2 / ||P||^2: for one perturbation a float, for (n, features) the mean over rows
    (or each row's share with ``per_row``). S: indices or block name(s) of ``data``."""
    return _share(P, S, data, per_row, squared=True)


def share_norm_ratio(P, S, data=None, per_row: bool = False):
    """||P_S|| / ||P|| (|P_s| / ||P|| for one feature, the official code's reading): for one
    perturbation a float, for (n, features) the mean over rows (each row's with ``per_row``)."""
    return _share(P, S, data, per_row, squared=False)


def canonical(data, P) -> np.ndarray:
    """Perturbations of the model's input in the dataset's canonical coordinates, flattened:
    (n, features), or (features,) for one perturbation of the per-example input shape.

    Slab data: P Q^T (rotations keep norms); data with rotation functions: their
    ``to_canonical`` (assumed linear, as a rotation); otherwise the flattened features."""
    blocks = input_blocks(data)
    P = np.asarray(P, dtype=np.float64)
    single = P.shape == blocks.input_shape
    if not single and P.shape[1:] != blocks.input_shape:
        raise ValueError(f"P must be one perturbation of the input shape {blocks.input_shape} "
                         f"or a stack (n, {', '.join(map(str, blocks.input_shape))}); got "
                         f"shape {P.shape}")
    rows = P[None] if single else P
    Z = np.asarray(blocks.unrotate(rows), dtype=np.float64).reshape(len(rows), -1)
    return Z[0] if single else Z


def budget_shares(data, P, S) -> dict[str, float]:
    """Both readings of the budget share of input-space perturbation(s) P on S, in canonical
    coordinates: {"norm_ratio": ..., "l2_mass": ...} (means over rows for a stack)."""
    Z = canonical(data, P)
    return {"norm_ratio": share_norm_ratio(Z, S, data), "l2_mass": share_l2_mass(Z, S, data)}
