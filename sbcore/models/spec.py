"""One way to name and build any model of the book: a ``ModelSpec``.

A spec holds a family ("fcn", "cnn", "gru"), the paper's numbers for it in the paper's order
(``sizes``: (width, depth), (filters, kernel, depth) or (hidden, step, depth)) and the options
the appendix varies: activation (Table 6), dropout (Table 7), initialisation scheme and scale
(Table 9). Its ``label`` is the paper's name ("(32,7,1)-CNN"), ``full_label`` adds the options
that differ from the defaults, and ``build(d_in, seed)`` returns the model a seed starts from:
built under torch.manual_seed(seed) inside a forked RNG (the global random state is neither
used nor changed), then initialised by ``sbcore.models.init.initialise``. The default FCN spec
builds exactly the network ``sbcore.training.init_fcn`` builds for that seed.

    ModelSpec.parse("(100,10,1)-GRU").build(d_in=50, seed=0)
    ModelSpec("fcn", (100, 2), activation="tanh", init="xavier", init_scale=2.0)
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sbcore.checks import ParameterTypeError, check_choice, check_int, check_seed
from sbcore.models.activations import check_activation
from sbcore.models.cnn import CNN
from sbcore.models.fcn import FCN, check_dropout
from sbcore.models.gru import GRU
from sbcore.models.init import check_init, check_init_scale, initialise

# family -> (the paper's suffix, the names of its sizes in the paper's order, model class)
FAMILIES = {"fcn": ("FCN", ("width", "depth"), FCN),
            "cnn": ("CNN", ("filters", "kernel", "depth"), CNN),
            "gru": ("GRU", ("hidden", "step", "depth"), GRU)}
DEFAULT_ACTIVATION = "relu"  # of the families that have one (the GRU's gates fix its own)
_LABEL = re.compile(r"\(\s*(\d+(?:\s*,\s*\d+)*)\s*\)-(\w+)")


@dataclass(frozen=True)
class ModelSpec:
    """A model by its family, its sizes in the paper's order, and its options.

    ``activation`` None means the family's default (ReLU for the FCN and the CNN); the GRU
    takes none. ``dropout`` applies to the FCN only. ``init`` is "default", "kaiming" or
    "xavier" and ``init_scale`` > 0 multiplies every weight (see ``sbcore.models.init``).
    Every field is checked when the spec is made.
    """

    family: str
    sizes: tuple[int, ...]
    activation: str | None = None
    dropout: float = 0.0
    init: str = "default"
    init_scale: float = 1.0

    def __post_init__(self):
        check_choice("family", self.family, FAMILIES)
        names = FAMILIES[self.family][1]
        if isinstance(self.sizes, (str, bytes)) or not hasattr(self.sizes, "__len__") \
                or len(self.sizes) != len(names):
            raise ParameterTypeError(f"sizes of a {self.family} must be "
                                     f"({', '.join(names)}), got {self.sizes!r}")
        sizes = tuple(check_int(name, v) for name, v in zip(names, self.sizes))
        activation = self.activation
        if self.family == "gru":
            if activation is not None:
                raise ValueError(f"activation does not apply to the GRU (its gates use sigmoid "
                                 f"and tanh); leave it None, got {activation!r}")
        else:
            activation = check_activation(DEFAULT_ACTIVATION if activation is None
                                          else activation)
        dropout = check_dropout(self.dropout)
        if dropout and self.family != "fcn":
            raise ValueError(f"dropout applies to the FCN only (the paper's Table 7); got "
                             f"dropout={self.dropout!r} for a {self.family}")
        check_init(self.init)
        scale = check_init_scale(self.init_scale)
        for name, value in dict(sizes=sizes, activation=activation, dropout=dropout,
                                init_scale=scale).items():
            object.__setattr__(self, name, value)  # normalised (frozen dataclass)

    @classmethod
    def parse(cls, label: str, **options) -> ModelSpec:
        """The spec of a paper's name, "(100,2)-FCN", "(32,7,1)-CNN" or "(100,10,1)-GRU",
        with any options as keyword arguments."""
        if not isinstance(label, str):
            raise ParameterTypeError(f"label must be a paper's model name (a str) such as "
                                     f"'(100,2)-FCN', got {label!r}")
        match = _LABEL.fullmatch(label.strip())
        suffixes = {suffix: family for family, (suffix, _, _) in FAMILIES.items()}
        if match is None or match.group(2) not in suffixes:
            raise ValueError(f"label must be a paper's model name such as '(100,2)-FCN', "
                             f"'(32,7,1)-CNN' or '(100,10,1)-GRU', got {label!r}")
        sizes = tuple(int(v) for v in match.group(1).split(","))
        return cls(suffixes[match.group(2)], sizes, **options)

    @property
    def size_names(self) -> tuple[str, ...]:
        return FAMILIES[self.family][1]

    @property
    def label(self) -> str:
        """The paper's name: "(width,depth)-FCN", "(f,k,d)-CNN", "(h,l,d)-GRU"."""
        return f"({','.join(map(str, self.sizes))})-{FAMILIES[self.family][0]}"

    @property
    def full_label(self) -> str:
        """The label with every option that differs from the defaults, e.g.
        "(100,1)-FCN, tanh, dropout 0.1, kaiming init x2"."""
        parts = [self.label]
        if self.activation not in (None, DEFAULT_ACTIVATION):
            parts.append(self.activation)
        if self.dropout:
            parts.append(f"dropout {self.dropout:g}")
        if self.init != "default" or self.init_scale != 1.0:
            parts.append(f"{self.init} init" + (f" x{self.init_scale:g}"
                                                if self.init_scale != 1.0 else ""))
        return ", ".join(parts)

    def as_dict(self) -> dict:
        """The fields as plain values (sizes as a list), for settings and stored results."""
        out = dataclasses.asdict(self)
        out["sizes"] = list(self.sizes)
        return out

    def build(self, d_in: int, seed: int) -> nn.Module:
        """The model of this spec on d_in inputs as seed ``seed`` starts it, on the CPU."""
        d_in = check_int("d_in", d_in)
        seed = check_seed(seed)
        kwargs = dict(zip(self.size_names, self.sizes))
        if self.family != "gru":
            kwargs["activation"] = self.activation
        if self.family == "fcn":
            kwargs["dropout"] = self.dropout
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = FAMILIES[self.family][2](d_in, **kwargs)
        return initialise(model, self.init, self.init_scale, seed)


def as_spec(model) -> ModelSpec:
    """A ModelSpec as given, or the spec of a paper's name (a str such as "(100,2)-FCN")."""
    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, (str, np.str_)):
        return ModelSpec.parse(str(model))
    raise ParameterTypeError(f"model must be a ModelSpec or a paper's model name such as "
                     f"'(100,2)-FCN', got {type(model).__name__}")
