"""What a model relies on: accuracy, ROC-AUC and their S- and S^c-randomised versions.

A *scorer* maps inputs as the model sees them, (n, *input_shape), to one score per row,
logit1 - logit0; a positive score predicts class 1. Torch models become scorers through
``Scorer`` (or ``as_scorer``); oracle classifiers in the tests and chapters are plain functions.

Randomising a block (paper §3, Definitions 1-2): undo the rotation if there is one, draw ONE
permutation of the rows and move the whole block with it (so its joint structure is kept and
it becomes independent of y and of the other features), then rotate back. The permutation
runs across all samples, not within a class: within-class shuffling would keep the block
predictive.

Every function takes a *dataset*: anything with named input blocks (an ``InputBlocks`` as its
``input_blocks`` or ``blocks``, see ``sbcore.data.blocks``) and splits (``split(name)`` or
attributes ``train``/``val``/``test`` holding ``X`` and ``y``). For the synthetic ``SlabData``
the blocks are "S" and "Sc" over the canonical coordinates with the rotation Q, and the
numbers are those this module always gave (same seeds, same values). For image data the blocks
are pixel regions and the roles of S and S^c are taken by the blocks the dataset names as
``simple`` and ``complex`` (or ``s_block``/``sc_block`` here); the variant keys stay
"S-randomized" and "Sc-randomized".

Users: ``randomize`` - the oracles of chapter "Measuring what a model relies on"
(``sbcore.studies.measuring.oracles``); ``randomized_inputs``, ``randomized_metrics``,
``per_coordinate_accuracy``, ``logit_table`` - chapter "Extreme simplicity bias"
(``sbcore.studies.extreme_sb``); ``randomized_metrics`` - chapter "Theory"
(``sbcore.studies.theory``); ``as_scorer`` - training (``sbcore.training``) and the studies;
``randomize_blocks``, ``per_block_metrics`` and ``Scorer`` - datasets with named pixel regions
(the MNIST-CIFAR study) and any block-level view.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from sbcore.checks import (
    check_callable,
    check_generator,
    check_indices,
    check_input_size,
    check_int,
    check_module,
    check_number,
    check_seed,
    input_size,
)
from sbcore.data import SlabData
from sbcore.data.blocks import InputBlocks, input_blocks
from sbcore.profiles import check_device
from sbcore.reliance.blocks import permute_features

VARIANTS = ("standard", "S-randomized", "Sc-randomized")


class Scorer:
    """A torch module as a numpy scorer: X (n, *input_shape) -> logit1 - logit0, in batches.

    The module may return (n, 2) two-class logits (score logit1 - logit0) or one logit per
    row, (n,) or (n, 1) (the score itself). Batches go to ``device`` (default: where the
    module's parameters live, else CPU) as ``dtype`` (float32); the module is scored in eval
    mode without gradients and left in the mode it was in. Used by training
    (``sbcore.training``), the extreme-SB study and image-data studies alike.
    """

    def __init__(self, model, device=None, batch_size: int = 8192, dtype=None):
        import torch

        check_module("model", model)
        batch_size = check_int("batch_size", batch_size)
        if device is not None:
            check_device(str(device))  # a torch.device as well as its name
        if device is None:
            param = next(iter(model.parameters()), None)
            device = param.device if param is not None else "cpu"
        self.model, self.device, self.batch_size = model, device, int(batch_size)
        self.dtype = torch.float32 if dtype is None else dtype

    def __call__(self, X: np.ndarray) -> np.ndarray:
        import torch

        model, bs = self.model, self.batch_size
        check_input_size("model", input_size(model), np.shape(X)[1:])
        was_training = model.training
        model.eval()
        out = []
        try:
            with torch.no_grad():
                for i in range(0, len(X), bs):
                    xb = torch.as_tensor(X[i:i + bs], dtype=self.dtype, device=self.device)
                    out.append(self._score(model(xb)).float().cpu().numpy())
        finally:
            model.train(was_training)
        return np.concatenate(out) if out else np.zeros(0)

    @staticmethod
    def _score(logits):
        if logits.ndim == 2 and logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        if logits.ndim == 1 or (logits.ndim == 2 and logits.shape[1] == 1):
            return logits.reshape(-1)
        raise ValueError(f"a scorer needs (n, 2) logits or one logit per row; the model "
                         f"returned shape {tuple(logits.shape)}")

    def __repr__(self) -> str:
        return (f"Scorer({type(self.model).__name__}, device={self.device!r}, "
                f"batch_size={self.batch_size})")


def as_scorer(model, device: str = "cpu", batch_size: int = 8192) -> Scorer:
    """Wrap a torch module returning (n, 2) logits as a numpy scorer of logit1 - logit0
    (a ``Scorer``; any input shape). The module must already live on ``device``."""
    return Scorer(model, device=device, batch_size=batch_size)


def _check_scores(score, y) -> tuple[np.ndarray, np.ndarray]:
    """One real score per label, labels 0 and 1: numpy would otherwise broadcast a score of
    another length against y, or read a label 2 as class 0, and return a number anyway."""
    score, y = np.asarray(score), np.asarray(y)
    if score.ndim != 1 or y.shape != score.shape:
        raise ValueError(f"score and y must be 1-D with one score per label, got shapes "
                         f"{score.shape} and {y.shape}")
    if score.dtype.kind not in "biuf":
        raise ValueError(f"score must hold real numbers, got dtype {score.dtype}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold labels 0 and 1, got values {np.unique(y)[:5]}")
    return score, y


def accuracy(score: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose sign of score matches the label (score > 0 predicts 1)."""
    score, y = _check_scores(score, y)
    return float(np.mean((score > 0) == (y == 1)))


def roc_auc(score: np.ndarray, y: np.ndarray) -> float:
    """ROC-AUC of the score (Mann-Whitney U with ties counted half), as the official code."""
    score, y = _check_scores(score, y)
    score = score.astype(np.float64)
    n1, n0 = int((y == 1).sum()), int((y == 0).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError("roc_auc needs both classes in y")
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _check_scorer(scorer) -> None:
    check_callable("scorer", scorer, "a function of inputs X returning one score per row "
                   "(as_scorer(model) for a torch model)")


def _split(data, name: str):
    """A split (with ``X`` and ``y``) of any dataset: ``data.split(name)`` or ``data.<name>``."""
    if callable(getattr(data, "split", None)):
        return data.split(name)
    if name not in ("train", "val", "test"):
        raise ValueError(f"split must be one of train, val, test; got {name!r}")
    part = getattr(data, name, None)
    if part is None:
        raise ValueError(f"{type(data).__name__} has no {name!r} split")
    return part


def _roles(blocks: InputBlocks, s_block: str | None, sc_block: str | None) -> tuple[str, str]:
    """The block names that play S and S^c: given ones, else the dataset's simple/complex."""
    s = blocks.simple if s_block is None else s_block
    sc = blocks.complex if sc_block is None else sc_block
    for role, name in (("S", s), ("S^c", sc)):
        if name not in blocks.blocks:
            raise ValueError(f"the {role} block {name!r} is unknown; known blocks: "
                             f"{', '.join(blocks.names)} (choose with s_block= / sc_block=)")
    return s, sc


def _head(part, fraction: float):
    """The first share ``fraction`` (at least 2 rows) of a split: X and y."""
    fraction = check_number("fraction", fraction, low=0.0, high=1.0, low_open=True)
    n = max(2, int(round(len(part.y) * fraction)))
    return part.X[:n], part.y[:n]


def randomize(data: SlabData, X: np.ndarray, coords, rng: np.random.Generator) -> np.ndarray:
    """X with the canonical features ``coords`` moved jointly by one random row permutation.

    ``coords`` are flat indices into the canonical features: coordinate numbers for
    ``SlabData``, positions in the flattened (C, H, W) tensor for images. ``data`` is any
    dataset with input blocks, or an ``InputBlocks``. Used by the oracles of chapter
    "Measuring what a model relies on"; ``randomize_blocks`` names blocks instead.
    """
    check_generator("rng", rng)
    blocks = input_blocks(data)
    coords = check_indices("coords", coords, blocks.n_features, "canonical features")
    return permute_features(blocks, X, coords, rng)


def randomize_blocks(data, X: np.ndarray, names, rng: np.random.Generator) -> np.ndarray:
    """X with the named block(s) moved jointly by ONE random row permutation (several names:
    their union, with the same permutation). ValueError naming the known blocks for an unknown
    name; the inputs must have the blocks' per-sample shape."""
    check_generator("rng", rng)
    blocks = input_blocks(data)
    return permute_features(blocks, X, blocks.select(names), rng)


def randomized_inputs(data: SlabData, split: str = "test", seed: int = 0, *,
                      s_block: str | None = None, sc_block: str | None = None) -> dict:
    """The standard, S-randomised and S^c-randomised inputs of a split, reproducible by seed.

    S and S^c are the blocks "S"/"Sc" (synthetic data) or those named by ``s_block`` /
    ``sc_block`` or the dataset's ``simple``/``complex`` (e.g. "mnist"/"cifar"). Used by
    chapter "Extreme simplicity bias" (logit histograms) and ``randomized_metrics``.
    """
    seed = check_seed(seed)
    blocks = input_blocks(data)
    s, sc = _roles(blocks, s_block, sc_block)
    X = _split(data, split).X
    return {"standard": X,
            "S-randomized": randomize_blocks(blocks, X, s, np.random.default_rng([seed, 1])),
            "Sc-randomized": randomize_blocks(blocks, X, sc, np.random.default_rng([seed, 2]))}


def randomized_metrics(scorer, data: SlabData, split: str = "test", seed: int = 0, *,
                       s_block: str | None = None, sc_block: str | None = None) -> dict:
    """Accuracy and AUC on the standard, S-randomised and S^c-randomised versions of a split.

    Keys are ``"<variant> accuracy"`` and ``"<variant> AUC"`` for the three ``VARIANTS``.
    Table 1 and the reliance curves of chapters "Extreme simplicity bias" and "Theory".
    """
    _check_scorer(scorer)
    y = _split(data, split).y
    out = {}
    for variant, X in randomized_inputs(data, split, seed, s_block=s_block,
                                        sc_block=sc_block).items():
        s = scorer(X)
        out[f"{variant} accuracy"] = accuracy(s, y)
        out[f"{variant} AUC"] = roc_auc(s, y)
    return out


def per_coordinate_accuracy(scorer, data: SlabData, split: str = "test", seed: int = 0,
                            fraction: float = 1.0) -> np.ndarray:
    """Accuracy with each canonical feature randomised alone, against the true labels.

    One value per canonical feature (coordinate of ``SlabData``; for images that is one call
    of the scorer per pixel value, so prefer ``per_block_metrics``). ``fraction`` < 1 uses that
    share of the split (the official summary tables used 0.5). Chapter "Extreme simplicity
    bias" (which coordinates a trained network reads).
    """
    _check_scorer(scorer)
    seed = check_seed(seed)
    blocks = input_blocks(data)
    X, y = _head(_split(data, split), fraction)
    rng = np.random.default_rng([seed, 3])
    return np.array([accuracy(scorer(permute_features(blocks, X, [c], rng)), y)
                     for c in range(blocks.n_features)])


def per_block_metrics(scorer, data, split: str = "test", seed: int = 0, fraction: float = 1.0,
                      names=None) -> pd.DataFrame:
    """Accuracy and AUC with each named block randomised alone (all blocks, or ``names``).

    Columns: block, features (how many it covers), accuracy, AUC; one row per block, in order.
    The block-level view for image data (e.g. "mnist" vs "cifar"), and for synthetic data the
    same as S-/S^c-randomisation with another seed stream ([seed, 4]).
    """
    _check_scorer(scorer)
    seed = check_seed(seed)
    blocks = input_blocks(data)
    names = list(blocks.names if names is None else ([names] if isinstance(names, str)
                                                      else names))
    for name in names:
        blocks.indices(name)  # unknown names fail before any scoring
    X, y = _head(_split(data, split), fraction)
    rng = np.random.default_rng([seed, 4])
    rows = []
    for name in names:
        s = scorer(randomize_blocks(blocks, X, name, rng))
        rows.append(dict(block=name, features=len(blocks.indices(name)),
                         accuracy=accuracy(s, y), AUC=roc_auc(s, y)))
    return pd.DataFrame(rows, columns=["block", "features", "accuracy", "AUC"])


def logit_table(scorer, data: SlabData, split: str = "test", seed: int = 0, *,
                s_block: str | None = None, sc_block: str | None = None) -> pd.DataFrame:
    """Scores of the true positives (label 1, predicted 1 on the standard split) under each
    variant: the data of the paper's logit histograms (Fig. 3a), chapter "Extreme simplicity
    bias". Columns: variant, score."""
    _check_scorer(scorer)
    y = _split(data, split).y
    inputs = randomized_inputs(data, split, seed, s_block=s_block, sc_block=sc_block)
    base = scorer(inputs["standard"])
    tp = (y == 1) & (base > 0)
    frames = [pd.DataFrame({"variant": v, "score": (base if v == "standard" else scorer(X))[tp]})
              for v, X in inputs.items()]
    return pd.concat(frames, ignore_index=True)


def relies_only_on_S(metrics: dict, tol: float = 0.05) -> bool:
    """Table 1's decision rule with an explicit tolerance (the paper states none): S-randomised
    AUC within 0.5 +- tol, and S^c-randomised AUC within tol of the standard AUC."""
    check_number("tol", tol, low=0.0)
    missing = [k for k in ("standard AUC", "S-randomized AUC", "Sc-randomized AUC")
               if k not in metrics]
    if missing:
        raise ValueError(f"metrics must be randomized_metrics' dict; it lacks "
                         f"{', '.join(missing)}")
    return (abs(metrics["S-randomized AUC"] - 0.5) <= tol
            and abs(metrics["Sc-randomized AUC"] - metrics["standard AUC"]) <= tol)
