"""Per-example projected gradient descent (PGD, Madry et al. 2018): the worst perturbation of
each input within an l2 or l-infinity ball (chapter "Small perturbations, large failures";
the official scripts/ptb_utils.py).

For each example, starting from delta_0 (zero, or a random point of the ball), repeat ``iters``
times:

* ``l2``: delta <- delta + step * g / ||g||_2, with g the gradient of the cross-entropy of the
  true label with respect to the input and the norm taken per example over all its features;
  then project onto the ball: delta <- delta * min(1, eps / ||delta||_2);
* ``linf``: delta <- delta + step * sign(g); then clip every feature to [-eps, eps];

and, with ``bounds`` = (low, high), clip X + delta into [low, high]. When X itself lies within
the bounds (checked), this clipping only moves X + delta towards X, so delta stays in the ball.
The last iterate is returned (no restarts, no early stop).

Random start: ``l2`` draws a direction u = n / ||n|| from a standard Gaussian n over all the
example's features and a radius r = eps * U^(1/D) with U ~ Uniform[0, 1) and D the number of
features: uniform in the ball (for large D most of the ball's volume, hence the start, lies
near its surface). ``linf`` draws each feature uniform on [-eps, eps]. Both come from a
``torch.Generator`` seeded with ``seed`` (on the CPU), batch after batch: the global RNG is
untouched and the result is deterministic for a seed and a batch size.

The model is run in eval mode (and put back in the mode it was in); gradients are taken with
``torch.autograd.grad`` with respect to delta only, so nothing accumulates in the parameters'
``.grad`` and the parameters are not changed.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from sbcore.attacks._common import (
    check_batch_size,
    check_bounds,
    check_eps,
    check_logits,
    check_model,
    check_xy,
    eval_mode,
)
from sbcore.checks import check_bool, check_choice, check_int, check_number, check_seed

NORMS = ("l2", "linf")


def _per_example_norm(t: torch.Tensor) -> torch.Tensor:
    """l2 norm of each example over all its features, shaped to broadcast against t."""
    return t.flatten(1).norm(dim=1).view(-1, *([1] * (t.ndim - 1)))


def _project(delta: torch.Tensor, eps, norm: str) -> torch.Tensor:
    """Onto the ball of radius eps (a number, or a tensor of one radius per example shaped to
    broadcast against delta)."""
    if norm == "l2":
        scale = (eps / _per_example_norm(delta).clamp_min(1e-30)).clamp(max=1.0)
        return delta * scale
    if isinstance(eps, torch.Tensor):
        return torch.maximum(torch.minimum(delta, eps), -eps)
    return delta.clamp(-eps, eps)


def _random_start(shape, eps: float, norm: str, gen: torch.Generator) -> torch.Tensor:
    if norm == "l2":
        n = torch.randn(shape, generator=gen, dtype=torch.float64)
        u = n / _per_example_norm(n).clamp_min(1e-30)
        features = int(np.prod(shape[1:]))
        r = eps * torch.rand((shape[0],), generator=gen, dtype=torch.float64) ** (1.0 / features)
        return u * r.view(-1, *([1] * (len(shape) - 1)))
    return (2.0 * torch.rand(shape, generator=gen, dtype=torch.float64) - 1.0) * eps


def pgd(model, X, y, eps, norm: str = "l2", step=None, iters: int = 20,
        random_start: bool = True, bounds=None, seed: int = 0, batch_size: int = 1024,
        device: str = "cpu") -> np.ndarray:
    """Per-example PGD perturbations delta (X's shape, float32) maximising the cross-entropy of
    the true labels y in {0, 1} for a torch module mapping (n, ...) inputs to (n, 2) logits.

    ``eps``: radius of the ball (l2 over all of an example's features, or l-infinity);
    ``step``: step size, default 2.5 * eps / iters; ``bounds``: None or (low, high), scalars or
    arrays broadcastable to X, into which X + delta is clipped (X must lie within them);
    ``seed``: the random start's generator; ``batch_size`` examples at a time on ``device``
    (where the model already lives). See the module docstring for the exact steps.
    """
    X, y = check_xy(X, y)
    check_model(model, X, device)
    eps = check_eps(eps)
    check_choice("norm", norm, NORMS)
    iters = check_int("iters", iters, 1)
    step = 2.5 * eps / iters if step is None else check_number("step", step, low=0.0,
                                                                  low_open=True)
    check_bool("random_start", random_start)
    seed = check_seed(seed)
    batch_size = check_batch_size(batch_size)
    lims = check_bounds(bounds, X)
    if lims is not None and (np.any(X < lims[0]) or np.any(X > lims[1])):
        raise ValueError("X must lie within bounds (low <= X <= high) for PGD to keep both the "
                         "ball and the bounds")

    gen = torch.Generator().manual_seed(seed)
    out = np.empty(X.shape, dtype=np.float32)
    with eval_mode(model):
        for i in range(0, len(X), batch_size):
            sl = slice(i, i + batch_size)
            xb = torch.as_tensor(X[sl], dtype=torch.float32, device=device)
            yb = torch.as_tensor(y[sl], device=device)
            if lims is not None:
                lo = torch.as_tensor(np.array(lims[0][sl]), dtype=torch.float32, device=device)
                hi = torch.as_tensor(np.array(lims[1][sl]), dtype=torch.float32, device=device)
            if random_start:
                delta = _random_start(xb.shape, eps, norm, gen).to(device, torch.float32)
            else:
                delta = torch.zeros_like(xb)
            delta = pgd_steps(model, xb, yb, delta, eps, norm, step, iters,
                              (lo, hi) if lims is not None else None)
            out[sl] = delta.detach().cpu().numpy()
    return out


def pgd_steps(model, xb: torch.Tensor, yb: torch.Tensor, delta: torch.Tensor, eps, norm: str,
              step, iters: int, bounds=None) -> torch.Tensor:
    """The PGD iterations on one batch of tensors from the start ``delta``: ``iters`` ascent
    steps on the summed cross-entropy, each projected onto the ball and, with ``bounds`` =
    (low, high) tensors, X + delta clipped into them. ``eps`` and ``step`` are numbers, or
    tensors of shape (n, 1, ..., 1) giving each example its own (adversarial training of
    several models at once). Returns the detached delta. The model's mode is the caller's
    (``pgd`` and adversarial training run it in eval mode)."""
    for it in range(iters + 1):
        if bounds is not None:  # X + delta back into the bounds (stays in the ball)
            delta = torch.minimum(torch.maximum(xb + delta, bounds[0]), bounds[1]) - xb
        if it == iters:
            break
        delta.requires_grad_(True)
        logits = model(xb + delta)
        if it == 0:
            check_logits(logits, len(xb))
        loss = F.cross_entropy(logits, yb, reduction="sum")
        (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            if norm == "l2":
                move = grad / _per_example_norm(grad).clamp_min(1e-30)
            else:
                move = grad.sign()
            delta = _project(delta.detach() + step * move, eps, norm)
    return delta.detach()
