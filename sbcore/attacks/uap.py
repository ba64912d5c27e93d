"""Universal adversarial perturbations (UAPs): one perturbation for a whole set (chapter "Small
perturbations, large failures"; the paper's §4.3 and Fig. 4, the official scripts/ptb_utils.py).

The paper's convention for two classes is *label-signed*: the perturbed input is
X + (2y - 1) * uap, i.e. +uap is added to class-1 inputs and -uap to class-0 inputs, so
"universal" means one direction whose sign depends on the label (``apply_uap`` with
``signed=True``; ``signed=False`` adds the same uap to every input). Perturbed inputs are then
clipped to ``bounds`` (the official code clips to the data's global min and max).

Two ways to find the direction:

* ``svd_uap`` (after arXiv 2005.08632): stack the per-example perturbations of an attack
  (``sbcore.attacks.pgd``) as the rows of an (n, features) matrix D, unnormalised as in the
  official code, and take its top right-singular vector, scaled to norm eps. Computed without a
  full SVD: the top eigenvector of the smaller Gram matrix (D^T D, features x features, or
  D D^T, n x n, then v = D^T u), through LAPACK's eigh restricted to the largest eigenvalue;
  when both sides exceed ``GRAM_MAX`` (the Gram matrix would take over 128 MiB), Lanczos
  (scipy's ``svds`` with k=1) instead. A singular vector's sign is arbitrary: it is fixed so
  that the component of largest magnitude is positive, and the caller tries both signs
  (``best_sign``, the official step 4).
* ``as_uap`` (Algorithm 2 of arXiv 1811.11304, as the official code, without clipping the UAP
  itself): one shared delta from zero; for each batch, ``iters`` steps along the normalised
  gradient of the batch's mean loss, each followed by projection onto the l2 ball of radius
  eps; ``epochs`` passes over the set, batches in order.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
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
from sbcore.checks import check_bool, check_int, check_number
from sbcore.reliance.metrics import Scorer, accuracy

GRAM_MAX = 4096  # largest side of a Gram matrix formed explicitly (4096^2 float64 = 128 MiB)


def data_bounds(data) -> tuple[float, float]:
    """The global min and max of a dataset's inputs (train and test): perturbed inputs are
    clipped to them, and attack budgets are set in units of their range, as notebook 06 does."""
    lo = min(float(data.train.X.min()), float(data.test.X.min()))
    hi = max(float(data.train.X.max()), float(data.test.X.max()))
    return lo, hi


def _top_right_vector(D: np.ndarray) -> np.ndarray:
    """Unit top right-singular vector of D (n, f), float64, without a full SVD."""
    n, f = D.shape
    if min(n, f) > GRAM_MAX:
        from scipy.sparse.linalg import svds

        _, _, vt = svds(D, k=1, random_state=0)
        v = vt[0]
    elif f <= n:
        G = D.T @ D
        _, vecs = scipy.linalg.eigh(G, subset_by_index=[f - 1, f - 1])
        v = vecs[:, 0]
    else:
        G = D @ D.T
        _, vecs = scipy.linalg.eigh(G, subset_by_index=[n - 1, n - 1])
        v = D.T @ vecs[:, 0]
    return v / np.linalg.norm(v)


def svd_uap(deltas, eps) -> np.ndarray:
    """The SVD-UAP of per-example perturbations ``deltas`` (n, ...): the top right-singular
    vector of the (n, features) matrix, unit l2 norm times ``eps``, in the per-example shape
    ``deltas.shape[1:]`` (float64). Sign: the component of largest |value| is positive; try
    both signs (``best_sign``)."""
    eps = check_eps(eps)
    D = np.asarray(deltas)
    if D.ndim < 2 or len(D) < 1 or not np.issubdtype(D.dtype, np.number):
        raise ValueError(f"deltas must be a numeric array of shape (n, ...) with n >= 1, got "
                         f"shape {D.shape}")
    D = D.reshape(len(D), -1).astype(np.float64, copy=False)
    if not np.all(np.isfinite(D)):
        raise ValueError("deltas must be finite")
    if not np.any(D):
        raise ValueError("deltas are all zero: they have no top singular direction")
    v = _top_right_vector(D)
    if v[np.argmax(np.abs(v))] < 0:
        v = -v
    return (eps * v).reshape(np.asarray(deltas).shape[1:])


def _check_uap(uap, X: np.ndarray) -> np.ndarray:
    uap = np.asarray(uap)
    if uap.shape != X.shape[1:] or not np.issubdtype(uap.dtype, np.number):
        raise ValueError(f"uap must be one perturbation of X's per-row shape {X.shape[1:]}, "
                         f"got shape {uap.shape}")
    return uap


def apply_uap(X, y, uap, signed: bool = True, bounds=None) -> np.ndarray:
    """X perturbed by one UAP, in X's dtype: X + (2y - 1) * uap when ``signed`` (+uap to class
    1, -uap to class 0, the paper's convention), X + uap otherwise; then clipped to ``bounds``
    ((low, high), scalars or arrays broadcastable to X; None: no clipping)."""
    X, y = check_xy(X, y)
    uap = _check_uap(uap, X)
    check_bool("signed", signed)
    lims = check_bounds(bounds, X)
    sign = (2.0 * y - 1.0).reshape(-1, *([1] * (X.ndim - 1))) if signed else 1.0
    out = X + sign * uap
    if lims is not None:
        out = np.clip(out, lims[0], lims[1])
    return out.astype(X.dtype, copy=False)


def uap_accuracy(model, X, y, uap, signed: bool = True, bounds=None, batch_size: int = 8192,
                 device: str = "cpu") -> float:
    """Accuracy of a model returning (n, 2) logits on X perturbed by ``uap`` (``apply_uap``)."""
    Xp = apply_uap(X, y, uap, signed, bounds)
    check_model(model, Xp, device)
    batch_size = check_batch_size(batch_size)
    return accuracy(Scorer(model, device=device, batch_size=batch_size)(Xp), y)


def best_sign(model, X, y, uap, signed: bool = True, bounds=None, batch_size: int = 8192,
              device: str = "cpu") -> np.ndarray:
    """Whichever of +uap and -uap gives the model the lower accuracy on the perturbed set (the
    official SVD-UAP step 4); +uap on a tie."""
    X, y = check_xy(X, y)
    uap = _check_uap(uap, X)  # both signs are tried: a bad uap fails before either
    acc = [uap_accuracy(model, X, y, s * uap, signed, bounds, batch_size, device)
           for s in (1.0, -1.0)]
    return uap if acc[0] <= acc[1] else -uap


def as_uap(model, X, y, eps, iters: int = 30, lr: float = 0.05, epochs: int = 2,
           batch_size: int = 1000, signed: bool = True, bounds=None,
           device: str = "cpu") -> np.ndarray:
    """AS-UAP: one shared perturbation (X's per-row shape, float32) of l2 norm <= ``eps``.

    From delta = 0, for each batch of ``batch_size`` rows (in order), ``iters`` times: take the
    gradient g of the batch's mean cross-entropy at the perturbed inputs (``apply_uap``'s
    convention: label-signed when ``signed``, clipped to ``bounds``), step
    delta <- delta + lr * g / ||g||, project onto the l2 ball of radius eps. ``epochs`` passes.
    The model runs in eval mode; its parameters are untouched.
    """
    X, y = check_xy(X, y)
    check_model(model, X, device)
    eps = check_eps(eps)
    iters = check_int("iters", iters, 1)
    lr = check_number("lr", lr, low=0.0, low_open=True)
    epochs = check_int("epochs", epochs, 1)
    batch_size = check_batch_size(batch_size)
    check_bool("signed", signed)
    lims = check_bounds(bounds, X)

    delta = torch.zeros(X.shape[1:], dtype=torch.float32, device=device)
    with eval_mode(model):
        for _ in range(epochs):
            for i in range(0, len(X), batch_size):
                sl = slice(i, i + batch_size)
                xb = torch.as_tensor(X[sl], dtype=torch.float32, device=device)
                yb = torch.as_tensor(y[sl], device=device)
                sign = ((2.0 * yb - 1.0).to(torch.float32).view(-1, *([1] * (X.ndim - 1)))
                        if signed else torch.ones((), device=device))
                if lims is not None:
                    lo = torch.as_tensor(np.array(lims[0][sl]), dtype=torch.float32, device=device)
                    hi = torch.as_tensor(np.array(lims[1][sl]), dtype=torch.float32, device=device)
                for it in range(iters):
                    delta.requires_grad_(True)
                    xp = xb + sign * delta
                    if lims is not None:
                        xp = torch.minimum(torch.maximum(xp, lo), hi)
                    logits = model(xp)
                    if i == 0 and it == 0:
                        check_logits(logits, len(xb))
                    (g,) = torch.autograd.grad(F.cross_entropy(logits, yb), delta)
                    with torch.no_grad():
                        delta = delta.detach() + lr * g / g.norm().clamp_min(1e-30)
                        delta = delta * (eps / delta.norm().clamp_min(1e-30)).clamp(max=1.0)
    return delta.detach().cpu().numpy()
