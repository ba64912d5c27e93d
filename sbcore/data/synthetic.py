"""Synthetic data of the paper: one-dimensional blocks and the datasets built from them.

Every coordinate of a dataset is one independent block drawn given the label y in {-1, +1} (stored
as {0, 1}, 1 = positive). The blocks follow App. B of the paper (and the official
scripts/gendata.py):

* ``linear``: x = y (B gamma + (B - B gamma) U); positives on [B gamma, B], negatives mirrored.
* ``noisy_linear``: as linear, but exactly round(n p) rows are redrawn uniform on [-B gamma,
  B gamma], inside the margin, whatever their label (best accuracy 1 - p/2).
* ``slab`` (odd k >= 3): k slabs of width w_k = 2B(1 - (k-1) gamma)/k separated by gaps of
  2 B gamma, spanning [-B, B]; classes alternate, negatives in the centre slab.
* ``noisy_slab``: as slab, but a fraction p of rows is redrawn uniformly inside the gaps
  between slabs, whatever their label (best accuracy 1 - p/2, the paper's 3-slab example).
* ``lsn_linear`` / ``lsn_slab`` / ``gaussian``: the theory's LSN coordinates.

Datasets (``DATASETS``) list which block sits on which coordinate and which coordinates form
the simple set S. An optional random orthogonal rotation Q is kept with the data: the model
sees X_rot = X Q, and ``unrotate`` gives back the canonical coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sbcore.checks import (
    ParameterTypeError,
    check_bool,
    check_choice,
    check_generator,
    check_indices,
    check_int,
    check_number,
    check_seed,
    is_int,
)
from sbcore.data.blocks import InputBlocks

GAMMA = 0.1  # paper default margin
WIDTH = 1.0  # paper default B

# Probability of each ring of slabs, counted from the centre slab outwards, per class.
# Ring j holds slab (k-1)/2 +- j; ring 0 is the centre slab. Negatives own the even rings,
# positives the odd ones. The paper fixes these for k = 3, 5, 7 (the outer slabs are rarer so
# that both classes have about the same spread); other k spread each class evenly over its rings.
PAPER_RING_PROBS = {
    3: {0: (1.0,), 1: (1.0,)},
    5: {0: (0.75, 0.25), 1: (1.0,)},
    7: {0: (0.5, 0.5), 1: (0.875, 0.125)},
}

BLOCK_KINDS = ("linear", "noisy_linear", "slab", "noisy_slab", "lsn_linear", "lsn_slab",
               "gaussian", "uniform")


# --------------------------------------------------------------------------------------------
# One-dimensional blocks
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    """One coordinate's distribution given the label: a kind and its parameters. Every field
    is checked when the block is made (``check_block``) and kept as a plain Python value."""

    kind: str
    k: int = 0
    gamma: float = GAMMA
    B: float = WIDTH
    p: float = 0.0

    def __post_init__(self):
        check_block(self)
        for name in ("gamma", "B", "p"):  # numpy scalars in, plain floats kept (frozen)
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "k", int(self.k))

    @property
    def label(self) -> str:
        name = {"linear": "linear", "noisy_linear": f"noisy linear (p={self.p:g})",
                "slab": f"{self.k}-slab", "noisy_slab": f"noisy {self.k}-slab (p={self.p:g})",
                "lsn_linear": "LSN linear", "lsn_slab": "LSN 3-slab",
                "gaussian": "Gaussian noise", "uniform": "uniform noise"}
        return name[self.kind]


SLAB_KINDS = ("slab", "noisy_slab")
NOISY_KINDS = ("noisy_linear", "noisy_slab")


def check_block(b: Block) -> None:
    """Raise an error naming the parameter when a block cannot exist, or when it is given a
    parameter its kind would ignore (k of a non-slab, p of a block without noise)."""
    check_choice("block kind", b.kind, BLOCK_KINDS)
    for name in ("gamma", "B", "p"):
        check_number(name, getattr(b, name))  # the kind first; the ranges below
    if not b.B > 0:
        raise ValueError(f"width B must be a positive number, got {b.B!r}")
    if not 0.0 <= b.p <= 1.0:
        raise ValueError(f"noise fraction p must lie in [0, 1], got {b.p!r}")
    if b.p and b.kind not in NOISY_KINDS:
        raise ValueError(f"noise fraction p applies to the noisy blocks only "
                         f"({', '.join(NOISY_KINDS)}); got p={b.p!r} for a {b.kind!r} block")
    if b.kind in ("linear", "noisy_linear") and not (0.0 <= b.gamma < 1.0):
        raise ValueError(f"margin gamma of a linear block must lie in [0, 1), got {b.gamma!r}")
    if b.kind in SLAB_KINDS:
        check_slab_geometry(b.k, b.gamma)
    elif not is_int(b.k) or b.k != 0:
        raise ValueError(f"number of slabs k applies to the slab blocks only "
                         f"({', '.join(SLAB_KINDS)}); got k={b.k!r} for a {b.kind!r} block")


def check_slab_count(k) -> int:
    """The number of slabs: an odd integer >= 3 (one centre slab, classes alternating)."""
    message = f"number of slabs k must be an odd integer >= 3, got {k!r}"
    if not is_int(k):
        raise ParameterTypeError(message)
    if k < 3 or k % 2 == 0:
        raise ValueError(message)
    return int(k)


def check_slab_geometry(k, gamma, B=WIDTH) -> None:
    """k slabs of margin gamma on [-B, B] that exist: the slab width
    w_k = 2B(1 - (k-1) gamma)/k must be positive, else the slabs overlap."""
    k = check_slab_count(k)
    check_number("gamma", gamma)
    check_number("B", B, low=0.0, low_open=True)
    limit = 1.0 / (k - 1)
    if not (0.0 <= gamma < limit):
        raise ValueError(
            f"margin gamma={gamma!r} makes the {k} slabs overlap or vanish; "
            f"a {k}-slab needs 0 <= gamma < 1/(k-1) = {limit:.4f}")


def slab_width(k: int, gamma: float = GAMMA, B: float = WIDTH) -> float:
    """Width of one slab: w_k = 2B(1 - (k-1) gamma)/k."""
    check_slab_geometry(k, gamma, B)
    return 2.0 * B * (1.0 - (k - 1) * gamma) / k


def slab_intervals(k: int, gamma: float = GAMMA, B: float = WIDTH) -> list[tuple[float, float]]:
    """The k slabs as (low, high) intervals, left to right, spanning [-B, B]."""
    check_slab_geometry(k, gamma, B)
    w, gap = slab_width(k, gamma, B), 2.0 * B * gamma
    return [(-B + i * (w + gap), -B + i * (w + gap) + w) for i in range(k)]


def slab_classes(k: int) -> list[int]:
    """Label (0 negative, 1 positive) of each slab, left to right: negatives in the centre."""
    k = check_slab_count(k)
    m = (k - 1) // 2
    return [abs(i - m) % 2 for i in range(k)]


def ring_probs(k: int) -> dict[int, tuple[float, ...]]:
    """For each class (0, 1), the probability of each of its rings, from the centre out."""
    k = check_slab_count(k)
    if k in PAPER_RING_PROBS:
        return PAPER_RING_PROBS[k]
    m = (k - 1) // 2
    rings = {c: [j for j in range(m + 1) if j % 2 == c] for c in (0, 1)}
    return {c: tuple(1.0 / len(r) for _ in r) for c, r in rings.items()}


def slab_gaps(k: int, gamma: float = GAMMA, B: float = WIDTH) -> list[tuple[float, float]]:
    """The k-1 empty gaps between adjacent slabs."""
    check_slab_geometry(k, gamma, B)
    iv = slab_intervals(k, gamma, B)
    return [(iv[i][1], iv[i + 1][0]) for i in range(k - 1)]


def _uniform_on(intervals: list[tuple[float, float]], n: int, rng) -> np.ndarray:
    """n draws uniform on a union of disjoint intervals (weighted by length)."""
    lengths = np.array([b - a for a, b in intervals])
    which = rng.choice(len(intervals), size=n, p=lengths / lengths.sum())
    lo = np.array([a for a, _ in intervals])[which]
    return lo + lengths[which] * rng.random(n)


def _check_labels(y) -> np.ndarray:
    """Labels as a 1-D integer array of 0s and 1s (a float or bool label would be drawn as
    some other class without a word)."""
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and (y.dtype.kind not in "iu" or not np.isin(y, (0, 1)).all())):
        raise ValueError(f"y must be a 1-D integer array of labels 0 and 1, got dtype {y.dtype} "
                         f"and shape {y.shape}")
    return y


def sample_block(block: Block, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One coordinate for labels y in {0, 1}: the block's draw given each label."""
    if not isinstance(block, Block):
        raise ParameterTypeError(f"block must be a Block (sbcore.data.Block), got {block!r}")
    y = _check_labels(y)
    check_generator("rng", rng)
    n = len(y)
    s = 2.0 * y - 1.0  # labels as +-1
    g, B = block.gamma, block.B
    if block.kind in ("linear", "noisy_linear"):
        x = s * (B * g + (B - B * g) * rng.random(n))
        if block.kind == "noisy_linear":
            idx = rng.choice(n, size=int(round(n * block.p)), replace=False)
            x[idx] = rng.uniform(-g * B, g * B, size=len(idx))
        return x
    if block.kind in ("slab", "noisy_slab"):
        k = block.k
        m = (k - 1) // 2
        iv = np.array(slab_intervals(k, g, B))
        probs = ring_probs(k)
        x = np.empty(n)
        for c in (0, 1):
            rows = np.flatnonzero(y == c)
            rings = [j for j in range(m + 1) if j % 2 == c]
            ring = np.array(rings)[rng.choice(len(rings), size=len(rows), p=probs[c])]
            side = np.where(rng.random(len(rows)) < 0.5, -1, 1)
            slab = m + side * ring  # ring 0 maps to the centre slab whatever the side
            lo, hi = iv[slab, 0], iv[slab, 1]
            x[rows] = lo + (hi - lo) * rng.random(len(rows))
        if block.kind == "noisy_slab":
            idx = rng.choice(n, size=int(round(n * block.p)), replace=False)
            x[idx] = _uniform_on(slab_gaps(k, g, B), len(idx), rng)
        return x
    if block.kind == "lsn_linear":
        return s.copy()
    if block.kind == "lsn_slab":
        return np.where(y == 1, rng.choice([-1.0, 1.0], size=n), 0.0)
    if block.kind == "gaussian":
        return rng.standard_normal(n)
    if block.kind == "uniform":  # the official code's filler for unused coordinates
        return rng.uniform(0.0, B, size=n)
    raise AssertionError(block.kind)


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------

def _lms(k: int, noisy: bool):
    def blocks(d, gamma, B, p):
        first = Block("noisy_linear", gamma=gamma, B=B, p=p) if noisy else Block("linear",
                                                                                gamma=gamma, B=B)
        return [first] + [Block("slab", k=k, gamma=gamma, B=B) for _ in range(d - 1)], [0]
    return blocks


def _ms(k: int):
    def blocks(d, gamma, B, p):
        return [Block("slab", k=k, gamma=gamma, B=B) for _ in range(d)], []
    return blocks


def _ms57(d, gamma, B, p):
    return ([Block("slab", k=5, gamma=gamma, B=B)]
            + [Block("slab", k=7, gamma=gamma, B=B) for _ in range(d - 1)], [0])


def _noisy_ms57(d, gamma, B, p):
    return ([Block("noisy_slab", k=5, gamma=gamma, B=B, p=p)]
            + [Block("slab", k=7, gamma=gamma, B=B) for _ in range(d - 1)], [0])


def _advms57(d, gamma, B, p):
    # App. E.2.1: half the coordinates 5-slabs with margin 0.05 (S), half 7-slabs with 0.15
    half = d // 2
    return ([Block("slab", k=5, gamma=0.05, B=B) for _ in range(half)]
            + [Block("slab", k=7, gamma=0.15, B=B) for _ in range(d - half)], list(range(half)))


def _lsn(d, gamma, B, p):
    return ([Block("lsn_linear"), Block("lsn_slab")]
            + [Block("gaussian") for _ in range(d - 2)], [0])


# name -> (builder(d, gamma, B, p) -> (blocks, S), minimum d, default d, description)
DATASETS = {
    "lms-5": (_lms(5, False), 2, 50, "LMS-5: 1 linear + (d-1) 5-slabs"),
    "lms-7": (_lms(7, False), 2, 50, "LMS-7: 1 linear + (d-1) 7-slabs"),
    "noisy-lms-5": (_lms(5, True), 2, 50, "noisy LMS-5: 1 noisy linear + (d-1) 5-slabs"),
    "noisy-lms-7": (_lms(7, True), 2, 50, "noisy LMS-7: 1 noisy linear + (d-1) 7-slabs"),
    "ms-5": (_ms(5), 1, 50, "MS-5: d 5-slabs"),
    "ms-7": (_ms(7), 1, 50, "MS-7: d 7-slabs"),
    "ms-5-7": (_ms57, 2, 50, "MS-(5,7): 1 5-slab + (d-1) 7-slabs"),
    "noisy-ms-5-7": (_noisy_ms57, 2, 50, "noisy MS-(5,7): 1 noisy 5-slab + (d-1) 7-slabs"),
    "advms-5-7": (_advms57, 2, 20,
                  "AdvMS-(5,7): d/2 5-slabs (gamma 0.05) + d/2 7-slabs (gamma 0.15)"),
    "lsn": (_lsn, 3, 50, "LSN: x1 = y, x2 a 3-slab in {-1,0,1}, (d-2) Gaussians"),
}


@dataclass
class Split:
    """One split: inputs as the model sees them (rotated) and labels in {0, 1}."""

    X: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class SlabData:
    """A dataset with its splits, its coordinate structure and its rotation."""

    name: str
    blocks: list[Block]
    S: list[int]
    Sc: list[int]
    Q: np.ndarray | None
    train: Split
    val: Split
    test: Split
    seed: int
    info: dict = field(default_factory=dict)

    @property
    def d(self) -> int:
        return len(self.blocks)

    def split(self, name: str) -> Split:
        if name not in ("train", "val", "test"):
            raise ValueError(f"split must be one of train, val, test; got {name!r}")
        return getattr(self, name)

    def unrotate(self, X: np.ndarray) -> np.ndarray:
        """Back to canonical coordinates (the blocks): X Q^T."""
        return X if self.Q is None else X @ self.Q.T

    def rotate(self, Z: np.ndarray) -> np.ndarray:
        """From canonical coordinates to what the model sees: Z Q."""
        return Z if self.Q is None else Z @ self.Q

    @property
    def input_blocks(self):
        """The named input blocks for the reliance metrics (``sbcore.data.blocks.InputBlocks``):
        "S" and "Sc" over the canonical coordinates, names "x1" ... "xd", and the rotation Q.
        (``blocks`` stays the list of the coordinates' one-dimensional distributions.)"""
        return InputBlocks.from_slab_data(self)


def random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal d x d matrix: Q of the QR decomposition of a Gaussian matrix,
    with column signs fixed so that Q is Haar distributed."""
    d = check_int("d", d)
    check_generator("rng", rng)
    while True:
        A = rng.standard_normal((d, d))
        Q, R = np.linalg.qr(A)
        diag = np.diag(R)
        if np.all(np.abs(diag) > 1e-10):  # redraw a (measure-zero) singular matrix
            return Q * np.sign(diag)


def _check_p(p) -> float:
    check_number("p", p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"noise fraction p must lie in [0, 1], got {p!r}")
    return float(p)


def _check_scale(gamma, B) -> None:
    """The margin and width a named dataset passes to its blocks, checked even where its
    blocks fix their own (advms-5-7's margins, lsn), so that a wrong value never passes."""
    check_number("gamma", gamma)
    check_number("B", B, low=0.0, low_open=True)


def dataset_blocks(name: str, d: int | None = None, gamma: float = GAMMA, B: float = WIDTH,
                   p: float = 0.1) -> tuple[list[Block], list[int]]:
    """The blocks of each coordinate and the simple set S of a named dataset."""
    check_choice("dataset name", name, DATASETS)
    _check_p(p)
    _check_scale(gamma, B)
    build, d_min, d_default, _ = DATASETS[name]
    d = d_default if d is None else check_int(f"dimension d of {name}", d, d_min)
    return build(d, gamma, B, p)


def _custom_blocks(blocks, S, d, B) -> tuple[list[Block], list[int]]:
    """The blocks and S of a dataset given block by block; coordinates beyond the blocks up to
    ``d`` are uniform[0, B) noise, the official code's filler."""
    if isinstance(blocks, (str, bytes, Block)) or not hasattr(blocks, "__iter__"):
        raise ParameterTypeError(f"blocks must be a list of Block, got {blocks!r}")
    blocks = list(blocks)
    if not blocks:
        raise ValueError("blocks must hold at least one Block, got an empty list")
    wrong = [b for b in blocks if not isinstance(b, Block)]
    if wrong:
        raise ParameterTypeError(f"blocks must be a list of Block (sbcore.data.Block), got "
                                 f"{wrong[:3]!r} in it")
    if d is not None:
        d = check_int(f"dimension d of a dataset of {len(blocks)} blocks", d, len(blocks))
        check_number("B", B, low=0.0, low_open=True)
        blocks += [Block("uniform", B=B) for _ in range(d - len(blocks))]
    return blocks, check_indices("simple set S", [] if S is None else S, len(blocks))


def make_dataset(name: str, n_train: int, n_test: int, n_val: int = 0, d: int | None = None,
                 rotate: bool = True, seed: int = 0, gamma: float = GAMMA, B: float = WIDTH,
                 p: float = 0.1, blocks: list[Block] | None = None,
                 S: list[int] | None = None) -> SlabData:
    """Draw a named dataset (see ``DATASETS``) with train, validation and test splits.

    All rows are drawn together, then split, as in the official code: the noisy-linear
    corruption therefore touches train, validation and test alike. ``blocks`` (with ``S``)
    builds a custom dataset instead of a named one (``name`` is then only its label); if ``d``
    exceeds ``len(blocks)`` the rest are uniform[0, B) noise, the official code's filler.
    """
    n_train = check_int("n_train", n_train)
    n_test = check_int("n_test", n_test)
    n_val = check_int("n_val", n_val, 0)
    seed = check_seed(seed)
    rotate = check_bool("rotate", rotate)
    p = _check_p(p)
    if blocks is None:
        if S is not None:
            raise ValueError(f"S applies to a dataset given by blocks= only; {name!r} fixes "
                             f"its own simple set, got S={S!r}")
        blocks, S = dataset_blocks(name, d, gamma, B, p)
    else:
        if not isinstance(name, str):
            raise ParameterTypeError(f"name must be a str (the custom dataset's label), got "
                                     f"{name!r}")
        blocks, S = _custom_blocks(blocks, S, d, B)
    dim = len(blocks)
    rng = np.random.default_rng(seed)
    n = n_train + n_val + n_test
    y = rng.integers(0, 2, size=n)
    Z = np.stack([sample_block(b, y, rng) for b in blocks], axis=1)
    Q = random_rotation(dim, rng) if rotate else None
    X = Z if Q is None else Z @ Q
    X, y = X.astype(np.float32), y.astype(np.int64)
    # test first, as in the official code, then validation, then train
    cut1, cut2 = n_test, n_test + n_val
    Sc = [i for i in range(dim) if i not in set(S)]
    return SlabData(name=name, blocks=blocks, S=list(S), Sc=Sc,
                    Q=None if Q is None else Q.astype(np.float64),
                    test=Split(X[:cut1], y[:cut1]), val=Split(X[cut1:cut2], y[cut1:cut2]),
                    train=Split(X[cut2:], y[cut2:]), seed=seed,
                    info=dict(gamma=gamma, B=B, p=p, rotate=rotate))


def without_coordinates(data: SlabData, drop: list[int]) -> SlabData:
    """The same samples with some canonical coordinates removed (e.g. S, for the control
    that trains on S^c alone). The result is unrotated by a fresh rotation of the rest."""
    if not isinstance(data, SlabData):
        raise ParameterTypeError(f"data must be a SlabData (sbcore.data.make_dataset), got "
                                 f"{type(data).__name__}")
    drop = check_indices("drop", drop, data.d)
    keep = [i for i in range(data.d) if i not in set(drop)]
    if not keep:
        raise ValueError("drop removes every coordinate; keep at least one")
    rng = np.random.default_rng(data.seed + 7919)
    Q = random_rotation(len(keep), rng) if data.Q is not None else None

    def cut(split: Split) -> Split:
        Z = data.unrotate(split.X.astype(np.float64))[:, keep]
        return Split((Z if Q is None else Z @ Q).astype(np.float32), split.y)

    remap = {old: new for new, old in enumerate(keep)}
    return replace(data, name=f"{data.name} without {drop}", blocks=[data.blocks[i] for i in keep],
                   S=[remap[i] for i in data.S if i in remap],
                   Sc=[remap[i] for i in data.Sc if i in remap], Q=Q,
                   train=cut(data.train), val=cut(data.val), test=cut(data.test))
