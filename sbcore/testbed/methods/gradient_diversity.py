"""Gradient-diversity ensembles (Teney et al., "Evading the Simplicity Bias", CVPR 2022, arXiv
2105.05612): several networks trained together, each on the labels, with a penalty on how
alike their input gradients are, so that they cannot all lean on the same feature. No method
code was published; this follows the paper's description: the squared cosine similarity of
the members' input gradients (of the logit difference) at the training points, averaged over
pairs and points."""

import itertools

import torch
from torch import nn

from sbcore.testbed.models import Ensemble, margin_gradient
from sbcore.testbed.protocol import Method


def similarity(grads: list[torch.Tensor]) -> torch.Tensor:
    """Mean over pairs of members and over points of the squared cosine similarity of their
    input gradients: 1 for parallel gradients, 0 for orthogonal ones."""
    pairs = [nn.functional.cosine_similarity(a, b, dim=1, eps=1e-8).pow(2).mean()
             for a, b in itertools.combinations(grads, 2)]
    return torch.stack(pairs).mean()


class Objective:
    def __init__(self, lam: float, rows: int):
        self.lam, self.rows = lam, rows
        self.name = f"gradient diversity lam={lam:g} rows={rows}"

    def __call__(self, ensemble, x, y):
        ce = torch.stack([nn.functional.cross_entropy(m(x), y) for m in ensemble.members])
        # the penalty on the batch's first rows only: the double backward pass costs several
        # forward passes, and the batch is already a random draw
        grads = [margin_gradient(m, x[:self.rows], create_graph=True) for m in ensemble.members]
        return ce.sum() + self.lam * similarity(grads)


def train(view, config, seed, device):
    members = [view.new_model(seed * 100 + i) for i in range(config["members"])]
    return view.fit(Ensemble(members), seed,
                    objective=Objective(config["lam"], config["penalty_rows"]),
                    device=device).model


GRADIENT_DIVERSITY = Method("Gradient diversity", "none", train,
                            config=dict(members=2, lam=1.0, penalty_rows=64),
                            citation="Teney et al., CVPR 2022, arXiv 2105.05612")
