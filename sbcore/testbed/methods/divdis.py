"""DivDis (Lee, Yao, Finn, "Diversify and Disambiguate", ICLR 2023, arXiv 2202.03418): one
network with several heads, each fitting the labels, pushed apart on unlabelled inputs by the
mutual information between their predictions, each head's average prediction there held near
the label balance; a few labelled inputs then choose the head."""

import itertools
import math

import torch
from torch import nn

from sbcore.testbed.models import Heads
from sbcore.testbed.protocol import Method


def mutual_information(p_a: torch.Tensor, p_b: torch.Tensor) -> torch.Tensor:
    """Mutual information (nats) between two heads' predicted classes over a batch, from their
    class probabilities (n, classes): the joint is the batch mean of the outer products."""
    joint = torch.einsum("na,nb->ab", p_a, p_b) / len(p_a)
    marginal = joint.sum(1, keepdim=True) * joint.sum(0, keepdim=True)
    return (joint * (torch.log(joint + 1e-12) - torch.log(marginal + 1e-12))).sum()


def balance(p: torch.Tensor) -> torch.Tensor:
    """KL(uniform || the head's mean prediction over the batch): 0 when it predicts both
    classes equally often (the labels' balance on every testbed)."""
    mean = p.mean(0)
    return (torch.full_like(mean, 1 / len(mean)) *
            (math.log(1 / len(mean)) - torch.log(mean + 1e-12))).sum()


class Objective:
    def __init__(self, pool: torch.Tensor, mi: float, reg: float, batch: int):
        self.pool, self.mi, self.reg, self.batch = pool, mi, reg, batch
        self.name = f"divdis mi={mi:g} reg={reg:g}"

    def __call__(self, model, x, y):
        ce = torch.stack([nn.functional.cross_entropy(z, y) for z in model.all_heads(x)]).sum()
        rows = torch.randint(len(self.pool), (self.batch,), device=self.pool.device)
        p = torch.softmax(model.all_heads(self.pool[rows]), 2)
        repel = torch.stack([mutual_information(a, b)
                             for a, b in itertools.combinations(p, 2)]).sum()
        return ce + self.mi * repel + self.reg * torch.stack([balance(h) for h in p]).sum()


@torch.no_grad()
def choose_head(model: Heads, X, y) -> int:
    """The head with the best accuracy on a few labelled inputs (the first on a tie)."""
    model.eval()
    z = model.all_heads(torch.as_tensor(X, dtype=torch.float32))
    correct = (z.argmax(2) == torch.as_tensor(y)).float().mean(1)
    return int(torch.argmax(correct))


def train(view, config, seed, device):
    pool = torch.as_tensor(view.pool, dtype=torch.float32, device=device)
    objective = Objective(pool, config["mi"], config["reg"], view.recipe.batch_size)
    model = view.fit(Heads(view.new_model(seed), config["heads"], seed), seed,
                     objective=objective, device=device).model
    model.chosen = choose_head(model, view.labelled.X, view.labelled.y)
    view.notes["head chosen"] = model.chosen
    return model


# 2 heads, both weights 10: the method's repository defaults (subpopulation/parser.py)
DIVDIS = Method("DivDis", "labels", train, config=dict(heads=2, mi=10.0, reg=10.0),
                citation="Lee et al., ICLR 2023, arXiv 2202.03418")
