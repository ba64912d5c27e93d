"""The one randomisation of a named block of a model's input.

Reliance is measured by randomising a named set of input features (a *block*) with one row
permutation. Which features form which block is the dataset's ``InputBlocks``
(``sbcore.data.blocks``, re-exported here). ``permute_features`` is the one randomisation every
reliance metric uses (``sbcore.reliance.metrics``).
"""

from __future__ import annotations

import numpy as np

from sbcore.checks import ParameterTypeError, check_generator
from sbcore.data.blocks import InputBlocks, input_blocks  # noqa: F401


def permute_features(blocks: InputBlocks, X: np.ndarray, features,
                     rng: np.random.Generator) -> np.ndarray:
    """X with the canonical ``features`` (flat indices) moved jointly by ONE random row
    permutation, as float32 of X's shape.

    The rows of the block move together: the block keeps its joint structure and becomes
    independent of the label and of the other features. With a rotation the features are
    taken in float64 canonical space and rotated back, exactly as the synthetic metrics always
    did; without one X is permuted as float32 (lossless for float32 inputs). No permutation is
    drawn (``rng`` is not advanced) when ``features`` is empty.
    """
    if not isinstance(blocks, InputBlocks):
        raise ParameterTypeError(f"blocks must be an InputBlocks, got {type(blocks).__name__}")
    check_generator("rng", rng)
    X = blocks.check(X)
    idx = np.asarray(features)
    if idx.size and idx.dtype.kind not in "iu":  # a cast would truncate 2.5 and read True as 1
        raise ParameterTypeError(f"features must be integer feature indices, got dtype "
                                 f"{idx.dtype}: {idx.reshape(-1)[:5]!r}")
    idx = idx.astype(np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= blocks.n_features):
        raise ValueError(f"feature indices must lie in 0..{blocks.n_features - 1}, got "
                         f"{idx.min()}..{idx.max()}")
    n = len(X)
    if blocks.rotated:
        Z = np.array(blocks.unrotate(X.astype(np.float64)), dtype=np.float64, copy=True)
        if Z.shape[1:] != blocks.shape and Z.shape[1:] != (blocks.n_features,):
            raise ValueError(f"unrotate gave shape {Z.shape}; expected (n, "
                             f"{', '.join(map(str, blocks.shape))})")
        shape = Z.shape
    else:
        Z = np.array(X, dtype=np.float32, copy=True)
        shape = Z.shape
    flat = Z.reshape(n, -1)
    if idx.size:
        perm = rng.permutation(n)
        flat[:, idx] = flat[perm[:, None], idx]
    Z = flat.reshape(shape)
    return (blocks.rotate(Z) if blocks.rotated else Z).astype(np.float32, copy=False)
