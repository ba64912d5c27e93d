"""Named blocks of a dataset's input: which features each block covers, and how to get to them.

A dataset says which features form which named block through an ``InputBlocks``:

* the per-sample shape of its *canonical* features, ``shape``: ``(d,)`` for the synthetic
  slab data (the blocks' own coordinates, before the rotation), ``(C, H, W)`` for images;
* a mapping from block name to the features it covers, given as a boolean mask of ``shape``,
  an index expression such as ``np.s_[:, :32, :]``, or flat indices into the flattened
  features; stored as sorted flat indices;
* an optional rotation between canonical features and what the model sees: the orthogonal
  matrix ``Q`` (model input = Z Q, as ``SlabData``) or a pair of functions; identity if none;
* which blocks play the roles of the simple set S and its complement S^c in the paper's
  S- and S^c-randomised metrics (``simple`` and ``complex``, by default "S" and "Sc").

Synthetic data (chapters "Datasets", "Measuring what a model relies on", "Extreme simplicity
bias", "Theory") gets its blocks from ``InputBlocks.from_slab_data`` (``SlabData.input_blocks``);
the image data of the MNIST-CIFAR study names pixel regions, e.g. ``{"mnist": np.s_[:, :32, :],
"cifar": np.s_[:, 32:, :]}`` with ``simple="mnist", complex="cifar"``. The reliance metrics
(``sbcore.reliance``) randomise these blocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from sbcore.checks import ParameterTypeError, is_int


def _sizes(name: str, shape) -> tuple[int, ...]:
    """A per-sample shape: a non-empty tuple of positive integers (a single integer for one
    axis). int() would truncate a size 2.5 to 2, so a non-integer is refused."""
    sizes = np.atleast_1d(np.asarray(shape, dtype=object)).reshape(-1).tolist()
    if not all(is_int(s) for s in sizes):
        raise ParameterTypeError(f"{name} must be a tuple of positive integers, got {shape!r}")
    if not sizes or any(s < 1 for s in sizes):
        raise ValueError(f"{name} must be non-empty with positive sizes, got {shape!r}")
    return tuple(int(s) for s in sizes)


def _flat_indices(name: str, spec, shape: tuple[int, ...]) -> np.ndarray:
    """Sorted, unique, read-only flat indices of one block given as mask, index expression or
    flat indices; ValueError naming the block when they do not fit ``shape``."""
    size = math.prod(shape)
    if isinstance(spec, (tuple, slice)) or spec is Ellipsis:
        mask = np.zeros(shape, dtype=bool)
        try:
            mask[spec] = True
        except IndexError as err:
            raise ValueError(f"block {name!r}: index {spec!r} does not fit the feature shape "
                             f"{shape}: {err}") from None
        idx = np.flatnonzero(mask)
    else:
        arr = np.asarray(spec)
        if arr.dtype == bool:
            if arr.shape != shape:
                raise ValueError(f"block {name!r}: boolean mask of shape {arr.shape} does not "
                                 f"match the feature shape {shape}")
            idx = np.flatnonzero(arr)
        elif arr.size == 0:
            idx = np.zeros(0, dtype=np.int64)
        elif arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer):
            if arr.min() < 0 or arr.max() >= size:
                raise ValueError(f"block {name!r}: flat indices must lie in 0..{size - 1} "
                                 f"(feature shape {shape}), got {arr.min()}..{arr.max()}")
            if len(np.unique(arr)) != len(arr):
                raise ValueError(f"block {name!r}: flat indices repeat a feature")
            idx = np.sort(arr)
        else:
            raise ValueError(f"block {name!r}: give a boolean mask of shape {shape}, an index "
                             f"expression (a tuple of slices) or 1-D integer flat indices; "
                             f"got an array of dtype {arr.dtype} and shape {arr.shape}")
    idx = np.asarray(idx, dtype=np.int64)
    idx.setflags(write=False)
    return idx


@dataclass(frozen=True, eq=False)
class InputBlocks:
    """The named blocks of a dataset's input features, and its optional rotation.

    ``blocks`` maps each name to a boolean mask of ``shape``, an index expression or flat
    indices (see the module docstring); after construction it is a read-only mapping to sorted
    flat indices. ``input_shape`` is the per-sample shape the model sees (default: ``shape``,
    or ``(prod(shape),)`` with a matrix ``Q``). Blocks may be empty (the dataset "ms-5" has no
    simple coordinate) and may overlap.
    """

    shape: tuple[int, ...]
    blocks: Mapping[str, object]
    feature_names: tuple[str, ...] | None = None
    Q: np.ndarray | None = None
    to_input: Callable[[np.ndarray], np.ndarray] | None = None
    to_canonical: Callable[[np.ndarray], np.ndarray] | None = None
    input_shape: tuple[int, ...] | None = None
    simple: str = "S"
    complex: str = "Sc"

    def __post_init__(self):
        shape = _sizes("feature shape", self.shape)
        set_ = object.__setattr__
        set_(self, "shape", shape)
        if not isinstance(self.blocks, Mapping) or not self.blocks:
            raise ValueError("blocks must be a non-empty mapping from block name to features")
        bad = [k for k in self.blocks if not (isinstance(k, str) and k)]
        if bad:
            raise ValueError(f"block names must be non-empty strings, got {bad!r}")
        index = {k: _flat_indices(k, v, shape) for k, v in self.blocks.items()}
        set_(self, "blocks", MappingProxyType(index))
        if self.feature_names is not None:
            names = tuple(str(s) for s in self.feature_names)
            if len(names) != self.n_features:
                raise ValueError(f"feature_names has {len(names)} names for "
                                 f"{self.n_features} features")
            set_(self, "feature_names", names)
        if (self.to_input is None) != (self.to_canonical is None):
            raise ValueError("a rotation given as functions needs both to_input and "
                             "to_canonical")
        if self.Q is not None:
            if self.to_input is not None:
                raise ValueError("give the rotation either as the matrix Q or as functions, "
                                 "not both")
            Q = np.asarray(self.Q, dtype=np.float64)
            if Q.shape != (self.n_features, self.n_features):
                raise ValueError(f"rotation Q must be {self.n_features} x {self.n_features} "
                                 f"(one row per feature), got shape {Q.shape}")
            set_(self, "Q", Q)
        if self.input_shape is None:
            set_(self, "input_shape", (self.n_features,) if self.Q is not None else shape)
        else:
            set_(self, "input_shape", _sizes("input_shape", self.input_shape))

    # ---- construction --------------------------------------------------------------------

    @classmethod
    def from_slab_data(cls, data) -> InputBlocks:
        """The blocks of a synthetic ``SlabData``: "S" and "Sc" over its canonical coordinates,
        one feature name per coordinate ("x1" ... "xd", as the paper counts), its rotation Q."""
        return cls(shape=(data.d,), blocks={"S": list(data.S), "Sc": list(data.Sc)},
                   feature_names=tuple(f"x{i + 1}" for i in range(data.d)), Q=data.Q)

    # ---- views ---------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """The block names, in the order given."""
        return tuple(self.blocks)

    @property
    def n_features(self) -> int:
        """Number of canonical features per sample (the product of ``shape``)."""
        return math.prod(self.shape)

    @property
    def rotated(self) -> bool:
        """Whether the model sees rotated features (a matrix Q or functions were given)."""
        return self.Q is not None or self.to_input is not None

    def indices(self, name: str) -> np.ndarray:
        """Sorted flat indices (into the flattened canonical features) of one block."""
        if not isinstance(name, str):
            raise TypeError(f"a block name is a string, got {name!r}")
        try:
            return self.blocks[name]
        except KeyError:
            raise ValueError(f"block {name!r} is unknown; known blocks: "
                             f"{', '.join(self.names)}") from None

    def select(self, names) -> np.ndarray:
        """Sorted flat indices of the union of one block name or several."""
        names = [names] if isinstance(names, str) else list(names)
        if not names:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate([self.indices(n) for n in names]))

    def mask(self, name: str) -> np.ndarray:
        """Boolean mask of ``shape`` that is True on the block's features."""
        m = np.zeros(self.n_features, dtype=bool)
        m[self.indices(name)] = True
        return m.reshape(self.shape)

    def feature_name(self, i: int) -> str:
        """Name of the flat feature i: the given name, or its position in ``shape``."""
        if self.feature_names is not None:
            return self.feature_names[i]
        return ",".join(str(int(j)) for j in np.unravel_index(i, self.shape))

    # ---- rotation ------------------------------------------------------------------------

    def rotate(self, Z: np.ndarray) -> np.ndarray:
        """Canonical features (n, *shape) to what the model sees (n, *input_shape): Z Q."""
        if self.Q is not None:
            return Z @ self.Q
        return Z if self.to_input is None else self.to_input(Z)

    def unrotate(self, X: np.ndarray) -> np.ndarray:
        """What the model sees back to canonical features: X Q^T (Q orthogonal)."""
        if self.Q is not None:
            return X @ self.Q.T
        return X if self.to_canonical is None else self.to_canonical(X)

    def check(self, X: np.ndarray) -> np.ndarray:
        """X as an array whose per-sample shape is ``input_shape``; ValueError otherwise."""
        X = np.asarray(X)
        if X.ndim < 1 or X.shape[1:] != self.input_shape:
            raise ValueError(f"inputs of shape {X.shape} do not match the blocks: expected "
                             f"(n, {', '.join(map(str, self.input_shape))}); blocks "
                             f"{', '.join(self.names)}")
        return X


def input_blocks(data) -> InputBlocks:
    """The ``InputBlocks`` of a dataset: ``data`` itself, its ``input_blocks`` or its
    ``blocks`` (whichever is an ``InputBlocks``; ``SlabData.blocks`` is the list of its
    one-dimensional distributions, so it offers ``input_blocks``)."""
    if isinstance(data, InputBlocks):
        return data
    for attr in ("input_blocks", "blocks"):
        found = getattr(data, attr, None)
        if isinstance(found, InputBlocks):
            return found
    raise TypeError(f"{type(data).__name__} carries no InputBlocks: give it an `input_blocks` "
                    f"or `blocks` attribute of type InputBlocks")
