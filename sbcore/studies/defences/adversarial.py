"""l2 adversarial training of many (w, d)-FCNs at once (the AdvMS-(5,7) part of chapter
"Ensembles and adversarial training do not help"; the paper's App. E.2.1, Fig. 7).

Every model m has its own radius eps[m], initialisation seed and data order (as
``sbcore.training.fit`` with ``sbcore.attacks.PGDAdversary`` gives them one model at a time):

* initialisation: ``sbcore.training.init_fcn(d, width, depth, seed)``;
* data order: a fresh permutation per epoch from ``order_generator(seed)``, cut into batches;
* each minibatch is replaced by its PGD version (no clean loss mixed in): a random start
  uniform in the l2 ball of radius eps[m], then ``iters`` steps of size step[m] along the
  per-example normalised gradient of the cross-entropy, each projected back onto the ball
  (``sbcore.attacks.pgd``'s rules, with the model's parameters fixed);
* SGD (torch.optim.SGD's update rule: L2 weight decay added to the gradient, then momentum)
  with the step size multiplied by ``lr_decay`` every ``lr_decay_every`` updates, for a fixed
  number of updates (the paper trains a fixed 4,000 epochs; no stop rule).

The models are stacked ([W1, b1, W2, b2, ...], each (M, in, out) / (M, out)) and run with
batched matmuls; autograd gives both the input gradient of the attack and the parameter
gradient of the step. A model with eps 0 trains on clean batches. The last iterate of each
model is returned (the paper's fixed schedule; the clean validation accuracy is recorded
along the way).
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from sbcore.checks import check_int, check_number, check_seed
from sbcore.models import FCN
from sbcore.training import init_fcn, order_generator
from sbcore.training.stacked import stack_fcns, to_fcn


def stacked_logits(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Logits (M, b, 2) of every stacked model on its own inputs x (M, b, d)."""
    h = x
    n_layers = len(params) // 2
    for layer in range(n_layers):
        h = torch.baddbmm(params[2 * layer + 1].unsqueeze(1), h, params[2 * layer])
        if layer < n_layers - 1:
            h = h.relu()
    return h


def _loss(params, x, y) -> torch.Tensor:
    """The sum over models of each model's mean cross-entropy (models are independent, so each
    model's gradient is that of its own mean loss)."""
    logits = stacked_logits(params, x)
    return F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum") / x.shape[1]


def l2_ball_start(shape, eps: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Uniform points of the l2 balls of radii eps (M,) for inputs of shape (M, b, d)."""
    n = torch.randn(shape, generator=gen, dtype=torch.float64)
    u = n / n.norm(dim=-1, keepdim=True).clamp_min(1e-30)
    r = torch.rand(shape[:2], generator=gen, dtype=torch.float64) ** (1.0 / shape[-1])
    return (u * (r * eps.double().view(-1, 1)).unsqueeze(-1)).float()


def project_l2(delta: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """Each example's delta (M, b, d) back onto the l2 ball of its model's radius eps (M,)."""
    norm = delta.norm(dim=-1, keepdim=True).clamp_min(1e-30)
    return delta * (eps.view(-1, 1, 1) / norm).clamp(max=1.0)


def stacked_pgd(params, x, y, eps: torch.Tensor, step: torch.Tensor, iters: int,
                gen: torch.Generator) -> torch.Tensor:
    """l2 PGD perturbations (M, b, d) of each model's batch against that model."""
    params = [p.detach() for p in params]
    delta = l2_ball_start(x.shape, eps, gen).to(x.device)
    for _ in range(iters):
        delta.requires_grad_(True)
        (g,) = torch.autograd.grad(_loss(params, x + delta, y), delta)
        with torch.no_grad():
            g = g / g.norm(dim=-1, keepdim=True).clamp_min(1e-30)
            delta = project_l2(delta + step.view(-1, 1, 1) * g, eps)
    return delta.detach()


def train_adversarial(data, width: int, depth: int, eps, seeds, updates: int, lr: float = 0.1,
                      momentum: float = 0.0, weight_decay: float = 5e-5, batch_size: int = 256,
                      lr_decay: float = 1.0, lr_decay_every: int = 0, iters: int = 7,
                      step=None, eval_every: int = 0, attack_seed: int = 0,
                      device: str = "cpu") -> tuple[list[FCN], list[dict]]:
    """Train one FCN per (eps[m], seeds[m]) adversarially (see the module docstring).

    ``step``: the PGD step per model (a number or one per model); default 2.5 eps / iters.
    ``eval_every`` > 0 records each model's clean train and validation accuracy every that
    many updates. Returns the models (CPU, eval mode) and their histories (update, train and
    validation accuracy lists, wall time).
    """
    eps = [check_number("eps", e, low=0.0) for e in np.atleast_1d(eps).tolist()]
    seeds = [check_seed(s) for s in seeds]
    if len(eps) != len(seeds):
        raise ValueError(f"eps and seeds must have one value per model: {len(eps)} radii, "
                         f"{len(seeds)} seeds")
    check_int("updates", updates, 1)
    check_int("iters", iters, 1)
    check_int("batch_size", batch_size, 1)
    check_number("lr", lr, low=0.0, low_open=True)
    steps = [2.5 * e / iters for e in eps] if step is None else \
        [check_number("step", s, low=0.0, low_open=True)
         for s in np.broadcast_to(np.atleast_1d(step), (len(eps),)).tolist()]
    start = time.perf_counter()
    M, d = len(seeds), data.d
    params = [p.requires_grad_(True) for p in
              stack_fcns([init_fcn(d, width, depth, s) for s in seeds], device)]
    bufs = [torch.zeros_like(p) for p in params]
    eps_t = torch.tensor(eps, dtype=torch.float32, device=device)
    step_t = torch.tensor(steps, dtype=torch.float32, device=device)
    X = torch.as_tensor(data.train.X, device=device)
    Y = torch.as_tensor(data.train.y, device=device)
    n = len(Y)
    gens = [order_generator(s) for s in seeds]
    orders = [torch.empty(0, dtype=torch.long)] * M
    pos = 0
    gen = torch.Generator().manual_seed(attack_seed)
    adversarial = bool(max(eps) > 0)
    history = [dict(update=[], train_accuracy=[], val_accuracy=[]) for _ in range(M)]
    rate = lr
    for update in range(1, updates + 1):
        if pos + 1 > len(orders[0]) - 0 or pos >= n:
            orders = [torch.randperm(n, generator=g) for g in gens]
            pos = 0
        idx = torch.stack([o[pos:pos + batch_size] for o in orders]).to(device)
        pos += batch_size
        xb, yb = X[idx], Y[idx]
        if adversarial:
            xb = xb + stacked_pgd(params, xb, yb, eps_t, step_t, iters, gen)
        grads = torch.autograd.grad(_loss(params, xb, yb), params)
        with torch.no_grad():
            for p, g, b in zip(params, grads, bufs):
                g = g + weight_decay * p
                if momentum:
                    b.mul_(momentum).add_(g)
                    g = b
                p.sub_(rate * g)
        if lr_decay_every and update % lr_decay_every == 0:
            rate *= lr_decay
        if eval_every and (update % eval_every == 0 or update == updates):
            tr = _accuracies(params, data.train.X, data.train.y, device)
            va = _accuracies(params, data.val.X, data.val.y, device)
            for m in range(M):
                history[m]["update"].append(update)
                history[m]["train_accuracy"].append(float(tr[m]))
                history[m]["val_accuracy"].append(float(va[m]) if len(data.val.y) else np.nan)
    wall = time.perf_counter() - start
    models = [to_fcn([p[m].detach() for p in params], d, width, depth) for m in range(M)]
    for h in history:
        h["wall_time_s"] = wall / M
    return models, history


def _accuracies(params, X: np.ndarray, y: np.ndarray, device) -> np.ndarray:
    if not len(y):
        return np.full(len(params[0]), np.nan)
    with torch.no_grad():
        x = torch.as_tensor(X, device=device).unsqueeze(0).expand(len(params[0]), -1, -1)
        pred = stacked_logits(params, x).argmax(-1).cpu().numpy()
    return (pred == y[None]).mean(axis=1)
