"""How a method meets the testbeds: it declares what it reads (``USES``) and trains through the
``TestbedView`` it is given, which holds the training data, builds the testbed's network, and
trains with the book's one trainer (``sbcore.training.fit``) and the testbed's recipe.

A method is a ``Method``: a name, what it uses, and ``train(view, config, seed, device)``
returning a module that maps inputs to (n, 2) logits (an ``Ensemble``, ``Heads`` or any
nn.Module). Ten lines make one::

    def train(view, config, seed, device):
        model = view.new_model(seed)
        def objective(model, x, y):
            return cross_entropy(model(x), y) + config["lam"] * model(x).pow(2).mean()
        return view.fit(model, seed, objective=objective).model

    mine = Method("my penalty", "none", train, config=dict(lam=0.1))
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

from sbcore.checks import ParameterTypeError, check_choice, check_int
from sbcore.data.blocks import input_blocks
from sbcore.data.synthetic import Split
from sbcore.models import IMAGE_MODELS, ModelSpec, build_image_model
from sbcore.reliance.metrics import randomize_blocks
from sbcore.testbed.models import Ensemble
from sbcore.testbed.testbeds import Testbed
from sbcore.training import TrainConfig, fit
from sbcore.training.checks import check_output

# What a method may read besides the training set, from least to most
USES = {"none": "the training set only",
        "unlabelled": "an unlabelled pool in which S and Sᶜ are independent",
        "labels": "that pool and a few labelled points of it"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _().,=+-]{0,47}$")


@dataclass(frozen=True)
class Method:
    """A method on the testbeds. ``version`` changes when its training changes (its stored
    results are then stale); ``config`` is part of its store key."""

    name: str
    uses: str
    train: Callable
    config: dict = field(default_factory=dict)
    version: int = 1
    citation: str = ""
    diagnostic: bool = False  # shown in every table, never ranked (the Sᶜ-only ceiling)

    def __post_init__(self):
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(f"method name must be 1 to 48 letters, digits, spaces or "
                             f"_().,=+- starting with a letter or digit; got {self.name!r}")
        check_choice("uses", self.uses, tuple(USES))
        if not callable(self.train):
            raise ParameterTypeError(f"method {self.name!r}: train must be a callable "
                                     f"(view, config, seed, device) -> model, got "
                                     f"{type(self.train).__name__}")
        if not isinstance(self.config, dict):
            raise ParameterTypeError(f"method {self.name!r}: config must be a dict, got "
                                     f"{type(self.config).__name__}")
        check_int("version", self.version, 1)

    def with_config(self, **changes) -> Method:
        """The same method with some settings changed (a sweep's point)."""
        unknown = sorted(set(changes) - set(self.config))
        if unknown:
            raise ValueError(f"method {self.name!r} has no setting {', '.join(unknown)}; its "
                             f"settings: {', '.join(sorted(self.config)) or 'none'}")
        return dataclasses.replace(self, config={**self.config, **changes})


class DataNotDeclared(PermissionError):
    """A method read data that it did not declare in ``uses``."""


class TestbedView:
    """What a method sees of a testbed: the training and validation splits, the pool and the
    labelled set if it declared them, the testbed's network and recipe. Never the test split."""

    def __init__(self, testbed: Testbed, method: Method, model: str, train: dict):
        self.name, self.kind = testbed.name, testbed.kind
        self.input_shape = testbed.input_shape
        self._testbed, self._method, self._model = testbed, method, model
        self.recipe = TrainConfig(**train)
        self.models_trained = 0  # networks trained (an ensemble's members each): its cost
        self.notes: dict = {}  # what a method reports besides its model (JTT: errors found)

    @property
    def train(self) -> Split:
        return self._testbed.data.train

    @property
    def val(self) -> Split:
        return self._testbed.data.val

    @property
    def pool(self) -> np.ndarray:
        """Unlabelled inputs in which S and Sᶜ are independent (declared: "unlabelled")."""
        self._need("unlabelled", "pool")
        return self._testbed.pool

    @property
    def labelled(self) -> Split:
        """A few labelled decorrelated inputs, labelled by Sᶜ (declared: "labels")."""
        self._need("labels", "labelled")
        return self._testbed.labelled

    def without_s(self, split: Split) -> Split:
        """A split with its S block shuffled across rows: only a diagnostic may ask (the
        Sᶜ-only ceiling knows which block is S; a method must not)."""
        if not self._method.diagnostic:
            raise DataNotDeclared(f"method {self._method.name!r} asked which block is S; only "
                                  f"a diagnostic may")
        X = randomize_blocks(self._testbed.data, split.X, input_blocks(self._testbed.data).simple,
                             np.random.default_rng([len(split), 5]))
        return Split(X.astype(np.float32), split.y)

    def _need(self, level: str, what: str) -> None:
        order = list(USES)
        if order.index(self._method.uses) < order.index(level):
            raise DataNotDeclared(
                f"method {self._method.name!r} declares uses={self._method.uses!r} "
                f"({USES[self._method.uses]}) but read the testbed's {what}; declare "
                f"uses={level!r} to read it")

    def new_model(self, seed: int) -> nn.Module:
        """The testbed's network, as ``seed`` initialises it: an image network by name, or a
        paper's network by its label (an FCN reads an image's pixels flattened)."""
        return testbed_model(self._model, self.input_shape, seed)

    def fit(self, model: nn.Module, seed: int, objective=None, train: Split | None = None,
            device: str = "cpu", **recipe):
        """Train ``model`` with the book's trainer and the testbed's recipe (``recipe``
        overrides a setting): on the training split, or on ``train`` (reweighted or
        resampled rows), model selection on the validation split."""
        config = dataclasses.replace(self.recipe, **recipe) if recipe else self.recipe
        data = _Splits(train if train is not None else self.train, self.val)
        self.models_trained += len(model.members) if isinstance(model, Ensemble) else 1
        return fit(model, data, config, seed=seed, device=device, progress=False,
                   objective=objective)


def testbed_model(model: str, input_shape: tuple[int, ...], seed: int) -> nn.Module:
    """A network by name for inputs of this shape, as ``seed`` initialises it."""
    if model in IMAGE_MODELS:
        return build_image_model(model, seed=seed)
    net = ModelSpec.parse(model).build(int(np.prod(input_shape)), seed)
    return net if len(input_shape) == 1 else nn.Sequential(nn.Flatten(), net)


@dataclass
class _Splits:
    train: Split
    val: Split


def check_model_output(method: Method, model, example: np.ndarray) -> None:
    """A method's model must be a module mapping a batch of inputs to (n, 2) logits (the
    trainer's own check, ``training.checks.check_output``, on a few test rows)."""
    if not isinstance(model, nn.Module):
        raise ParameterTypeError(f"method {method.name!r}: train must return an nn.Module "
                                 f"giving (n, 2) logits, got {type(model).__name__}")
    check_output(f"method {method.name!r}'s model", model,
                 torch.as_tensor(example[:4], dtype=torch.float32))
