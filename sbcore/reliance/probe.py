"""Do a network's features still carry a block its output ignores? A linear probe on frozen
penultimate features (chapter "Simplicity bias on real images").

The paper measures reliance at the output: randomise a block, watch the logits. Later work
(Kirichenko et al. 2023) asked whether the representation below the head still encodes the
ignored block. ``penultimate_features`` reads what a network's last linear layer receives;
``probe_accuracy`` fits a logistic regression on half of those features and reports its
accuracy on the other half.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sbcore.checks import check_int, check_module, check_number, check_seed
from sbcore.profiles import check_device


def last_linear(model: nn.Module) -> nn.Linear:
    """The model's head: its last ``nn.Linear`` in registration order."""
    check_module("model", model)
    found = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not found:
        raise ValueError(f"{type(model).__name__} has no nn.Linear head to read features from")
    return found[-1]


@torch.no_grad()
def penultimate_features(model: nn.Module, X: np.ndarray, device: str = "cpu",
                         batch_size: int = 500) -> np.ndarray:
    """What the head (the last nn.Linear) receives for each row of X: (n, features)."""
    check_device(str(device))
    batch_size = check_int("batch_size", batch_size)
    head, captured = last_linear(model), []
    hook = head.register_forward_pre_hook(lambda _m, args: captured.append(
        args[0].flatten(1).float().cpu()))
    was_training = model.training
    model.eval()
    try:
        for i in range(0, len(X), batch_size):
            model(torch.as_tensor(X[i:i + batch_size], dtype=torch.float32, device=device))
    finally:
        hook.remove()
        model.train(was_training)
    return torch.cat(captured).numpy() if captured else np.zeros((0, head.in_features))


def fit_logistic(X, y, l2: float = 1e-3, w0=None, max_iter: int = 200,
                 tolerance_grad: float = 1e-7) -> tuple[np.ndarray, float]:
    """Logistic regression of 0/1 ``y`` on the rows of ``X`` (float64): a bias and weights
    with an L2 penalty ``l2`` on the weights, fit by L-BFGS (strong Wolfe line search) from
    ``w0`` (default zeros) and bias 0. Returns (weights, bias). The probe below and the
    ensembles' linear stacker (chapter "Ensembles and adversarial training do not help")."""
    check_number("l2", l2, low=0.0)
    max_iter = check_int("max_iter", max_iter)
    check_number("tolerance_grad", tolerance_grad, low=0.0, low_open=True)
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or y.shape != (len(X),) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"X must be (n, k) with one 0/1 label y per row, got shapes {X.shape} "
                         f"and {y.shape}")
    start = np.zeros(X.shape[1]) if w0 is None else np.asarray(w0, dtype=np.float64)
    if start.shape != (X.shape[1],):
        raise ValueError(f"w0 must hold one weight per column of X ({X.shape[1]}), got shape "
                         f"{start.shape}")
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y, dtype=torch.float64)
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=max_iter, tolerance_grad=tolerance_grad,
                            line_search_fn="strong_wolfe")

    def loss():
        opt.zero_grad()
        value = nn.functional.binary_cross_entropy_with_logits(Xt @ w + b, yt) + l2 * (w @ w)
        value.backward()
        return value

    opt.step(loss)
    return w.detach().numpy(), float(b.detach())


def probe_accuracy(features: np.ndarray, target: np.ndarray, l2: float = 1e-3,
                   seed: int = 0, steps: int = 200) -> float:
    """Held-out accuracy of a logistic regression predicting the 0/1 ``target`` from
    ``features``: fit (``fit_logistic``: L-BFGS, L2 penalty ``l2`` on the weights,
    standardised features) on a random half of the rows, scored on the other half."""
    check_number("l2", l2, low=0.0)
    seed = check_seed(seed)
    steps = check_int("steps", steps)
    F = np.asarray(features, dtype=np.float64)
    t = np.asarray(target)
    if F.ndim != 2 or len(F) != len(t) or len(t) < 4:
        raise ValueError(f"features must be (n, k) with one 0/1 target per row (n >= 4), got "
                         f"{F.shape} and {t.shape}")
    order = np.random.default_rng(seed).permutation(len(t))
    fit_rows, test_rows = order[: len(t) // 2], order[len(t) // 2:]
    mean, std = F[fit_rows].mean(0), F[fit_rows].std(0) + 1e-8
    Z = (F - mean) / std
    w, b = fit_logistic(Z[fit_rows], t[fit_rows], l2, max_iter=steps)
    guess = Z[test_rows] @ w + b > 0
    return float(np.mean(guess == (t[test_rows] == 1)))
