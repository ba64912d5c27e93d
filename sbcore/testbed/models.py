"""What some methods return instead of one network: several networks read as one
(``Ensemble``), a network that reads its input with a subspace removed (``Projected``), and one
trunk with several heads (``Heads``). Each maps inputs to (n, 2) logits and gives the features
its readout receives (``features``), for last-layer retraining."""

from __future__ import annotations

import copy

import torch
from torch import nn

from sbcore.checks import check_choice, check_int
from sbcore.reliance.probe import last_linear

READOUTS = ("average", "last")


class Ensemble(nn.Module):
    """Members read as one: their logits averaged ("average") or the last member alone
    ("last": a sequence whose last model is the method's answer, as D-BAT's)."""

    def __init__(self, members: list[nn.Module], readout: str = "average"):
        super().__init__()
        if not members:
            raise ValueError("an Ensemble needs at least one member")
        self.members = nn.ModuleList(members)
        self.readout = check_choice("readout", readout, READOUTS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.readout == "last":
            return self.members[-1](x)
        return torch.stack([m(x) for m in self.members]).mean(0)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        chosen = self.members[-1:] if self.readout == "last" else self.members
        return torch.cat([features(m, x) for m in chosen], dim=1)


class Projected(nn.Module):
    """A network that reads x with its component in a subspace removed: model(x (I - P)),
    P the orthogonal projection onto the span of ``basis``'s orthonormal columns."""

    def __init__(self, model: nn.Module, basis: torch.Tensor):
        super().__init__()
        self.model = model
        self.register_buffer("basis", basis.detach().float())

    def project(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        return (flat - (flat @ self.basis) @ self.basis.T).view_as(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(self.project(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return features(self.model, self.project(x))


class Heads(nn.Module):
    """One trunk, several linear heads (DivDis): ``all_heads`` gives every head's logits;
    ``forward`` the ``chosen`` head's."""

    def __init__(self, model: nn.Module, n_heads: int, seed: int = 0):
        super().__init__()
        n_heads = check_int("n_heads", n_heads, 1)
        self.trunk = copy.deepcopy(model)
        head = last_linear(self.trunk)
        self.heads = nn.ModuleList([copy.deepcopy(head) for _ in range(n_heads)])
        for i, h in enumerate(self.heads[1:], 1):  # each head its own start
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed * 1_000 + i)
                h.reset_parameters()
        _replace(self.trunk, head, nn.Identity())
        self.chosen = 0

    def all_heads(self, x: torch.Tensor) -> torch.Tensor:
        z = self.trunk(x)
        return torch.stack([h(z) for h in self.heads])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.heads[self.chosen](self.trunk(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x)


def _replace(root: nn.Module, old: nn.Module, new: nn.Module) -> None:
    for name, child in root.named_children():
        if child is old:
            setattr(root, name, new)
            return
        _replace(child, old, new)


def margin_gradient(model: nn.Module, x: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    """The gradient of the model's margin (logit 1 - logit 0) in x, one flattened row per
    input; ``create_graph`` keeps it differentiable (a penalty on it)."""
    x = x.detach().requires_grad_(True)
    z = model(x)
    g, = torch.autograd.grad((z[:, 1] - z[:, 0]).sum(), x, create_graph=create_graph)
    return g.flatten(1)


def features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What the model's readout receives: its own ``features`` where it has them, else the
    input of its last nn.Linear."""
    if isinstance(model, (Ensemble, Projected, Heads)):
        return model.features(x)
    captured = []
    hook = last_linear(model).register_forward_pre_hook(
        lambda _m, args: captured.append(args[0].flatten(1)))
    try:
        model(x)
    finally:
        hook.remove()
    return captured[0]
