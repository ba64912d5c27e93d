"""D-BAT (Pagliardini, Jaggi, Fleuret, Karimireddy, "Agree to Disagree", ICLR 2023, arXiv
2202.04414): models trained one after another, each fitting the labels while disagreeing with
the earlier ones on unlabelled inputs where S and Sᶜ are independent; there, disagreeing with
a model that reads S while still fitting the labels leaves Sᶜ. The last model is the answer."""

import torch
from torch import nn

from sbcore.reliance import as_scorer
from sbcore.testbed.models import Ensemble
from sbcore.testbed.protocol import Method

EPS = 1e-7  # inside the log, as the method's own notebooks


def disagreement(p_earlier: torch.Tensor, p_now: torch.Tensor) -> torch.Tensor:
    """D-BAT's binary term: -log(p_e (1 - p_n) + (1 - p_e) p_n + EPS), averaged over points,
    with p the probability of class 1. Small when the two models disagree."""
    return -torch.log(p_earlier * (1 - p_now) + (1 - p_earlier) * p_now + EPS).mean()


class Objective:
    def __init__(self, pool: torch.Tensor, earlier: list[torch.Tensor], alpha: float,
                 batch: int):
        self.pool, self.earlier, self.alpha, self.batch = pool, earlier, alpha, batch
        self.name = f"d-bat alpha={alpha:g} after {len(earlier)}"

    def __call__(self, model, x, y):
        rows = torch.randint(len(self.pool), (self.batch,), device=self.pool.device)
        p_now = torch.softmax(model(self.pool[rows]), 1)[:, 1]
        term = torch.stack([disagreement(p[rows], p_now) for p in self.earlier]).mean()
        return nn.functional.cross_entropy(model(x), y) + self.alpha * term


def train(view, config, seed, device):
    pool = torch.as_tensor(view.pool, dtype=torch.float32, device=device)
    models, earlier = [], []
    for k in range(config["models"]):
        objective = None if k == 0 else Objective(pool, earlier, config["alpha"],
                                                  view.recipe.batch_size)
        model = view.fit(view.new_model(seed * 100 + k), seed, objective=objective,
                         device=device).model
        models.append(model)
        # p(class 1) = sigmoid(logit 1 - logit 0), the margin the book's scorer gives
        margin = as_scorer(model.to(device), device)(view.pool)
        earlier.append(torch.sigmoid(torch.as_tensor(margin, device=device)))
        model.cpu()
    return Ensemble(models, readout="last")


# alpha 0.5: the method's own MNIST-Fashion domino setting (D_ood = D_test); 2 models
DBAT = Method("D-BAT", "unlabelled", train, config=dict(models=2, alpha=0.5),
              citation="Pagliardini et al., ICLR 2023, arXiv 2202.04414")
