"""Many (w, d)-FCNs of one shape as stacked tensors: forward, backward, evaluation.

Model m's layer l is W[l][m] of shape (in, out) (nn.Linear's weight transposed) and b[l][m] of
shape (out,). A training step runs every model on its own minibatch with batched matmuls
(torch.baddbmm / torch.bmm) and a hand-written backward pass (a ReLU network's gradient is
short, and skipping autograd removes most of the per-step overhead). The optimiser is
``optim.StackedOptimizer``, torch.optim's rules elementwise, so model m evolves as if trained
alone by torch.optim.
"""

from __future__ import annotations

import numpy as np
import torch

from sbcore.models import FCN
from sbcore.training.backend import chunked_evaluate, save_best
from sbcore.training.optim import StackedOptimizer


def stack_fcns(models: list[FCN], device) -> list[torch.Tensor]:
    """Parameters of several FCNs as [W1, b1, W2, b2, ...], each stacked over models."""
    params = []
    for layer in range(len(models[0].linears())):
        lins = [m.linears()[layer] for m in models]
        params.append(torch.stack([lin.weight.detach().T for lin in lins]).to(device).contiguous())
        params.append(torch.stack([lin.bias.detach() for lin in lins]).to(device).contiguous())
    return params


def to_fcn(params: list[torch.Tensor], d_in: int, width: int, depth: int) -> FCN:
    """One model's parameters (unstacked: [W1, b1, ...]) as an FCN on the CPU in eval mode."""
    model = FCN(d_in, width, depth)
    with torch.no_grad():
        for lin, W, b in zip(model.linears(), params[0::2], params[1::2]):
            lin.weight.copy_(W.T.cpu())
            lin.bias.copy_(b.cpu())
    return model.eval()


def forward_backward(params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor):
    """Cross-entropy gradients of every model on its own minibatch.

    x: (N, b, d) inputs, y: (N, b) labels. Returns the gradients of the per-model mean loss,
    in the order of params. The output layer is computed transposed, as (N, 2, b): a matmul
    with only 2 output columns is several times slower than the same work laid out this way.
    """
    n_layers = len(params) // 2
    acts = [x]  # input of each layer
    h = x
    for layer in range(n_layers - 1):
        # in-place ReLU (and ReLU backward below): the fresh matmul output is still in cache,
        # and skipping a new buffer per op saves about a third of the step on the CPU
        h = torch.baddbmm(params[2 * layer + 1].unsqueeze(1), h, params[2 * layer]).relu_()
        acts.append(h)
    w_out = params[-2].transpose(1, 2)  # (N, 2, width)
    z = torch.baddbmm(params[-1].unsqueeze(-1), w_out, h.transpose(1, 2))  # (N, 2, b) logits
    # d(mean CE)/d logits = (softmax - onehot) / batch
    g = torch.softmax(z, dim=1)
    g.scatter_add_(1, y.unsqueeze(1), torch.full_like(g[:, :1], -1.0))
    g.div_(x.shape[1])
    grads: list[torch.Tensor] = [None] * len(params)  # type: ignore[list-item]
    grads[-2] = torch.bmm(g, h).transpose(1, 2).contiguous()
    grads[-1] = g.sum(dim=2)
    if n_layers > 1:
        g = torch.bmm(g.transpose(1, 2), w_out)  # (N, b, width)
    for layer in reversed(range(n_layers - 1)):
        # ReLU passes the gradient where it was active (autograd's own relu backward, in place)
        torch.ops.aten.threshold_backward.grad_input(g, acts[layer + 1], 0, grad_input=g)
        grads[2 * layer] = torch.bmm(acts[layer].transpose(1, 2), g)
        grads[2 * layer + 1] = g.sum(dim=1)
        if layer > 0:
            g = torch.bmm(g, params[2 * layer].transpose(1, 2))
    return grads


def batch_logits(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """(N, b, 2) logits of every stacked model on its own inputs x (N, b, d), through autograd
    (adversarial training differentiates them with respect to x)."""
    n_layers = len(params) // 2
    h = x
    for layer in range(n_layers):
        h = torch.baddbmm(params[2 * layer + 1].unsqueeze(1), h, params[2 * layer])
        if layer < n_layers - 1:
            h = h.relu()
    return h


def logits(params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """(N, n, 2) logits of every stacked model on the same inputs X (n, d).

    The first layer of all models is one wide matmul X @ [W1 of every model]."""
    n_models, d, w = params[0].shape
    # the bias added inside the matmul (addmm): a separate add over the strided view costs
    # about as much as a third of the matmul on the CPU
    z = torch.addmm(params[1].reshape(1, n_models * w), X,
                    params[0].permute(1, 0, 2).reshape(d, n_models * w))
    z = z.view(len(X), n_models, w).transpose(0, 1)
    n_layers = len(params) // 2
    if n_layers == 1:
        return z
    for layer in range(1, n_layers - 1):
        z = torch.baddbmm(params[2 * layer + 1].unsqueeze(1), z.relu_(), params[2 * layer])
    # output layer transposed, (N, 2, n), then back: see forward_backward
    z = torch.baddbmm(params[-1].unsqueeze(-1), params[-2].transpose(1, 2),
                      z.relu_().transpose(1, 2))
    return z.transpose(1, 2)


def _summed_loss(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each model's summed cross-entropy on a chunk: logits z (N, c, 2), labels y (N, c)."""
    picked = z.gather(-1, y.unsqueeze(-1)).squeeze(-1)
    return (torch.logsumexp(z, -1) - picked).sum(1)


def evaluate(params: list[torch.Tensor], X: torch.Tensor, y: torch.Tensor, chunk: int):
    """Summed cross-entropy and number of correct predictions of every model on (X, y).

    Returns two float64 numpy arrays of length N (0 and 0 for an empty split)."""
    return chunked_evaluate(lambda x: logits(params, x), _summed_loss, params[0].shape[0], X, y,
                            chunk)


def scorer_of(params: list[torch.Tensor], row: int, chunk: int = 8192):
    """A numpy scorer (X -> logit1 - logit0) of one stacked model, for ``track``."""
    one = [p[row:row + 1] for p in params]
    device = one[0].device

    def scorer(X: np.ndarray) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(X), chunk):
                z = logits(one, torch.as_tensor(X[i:i + chunk], dtype=torch.float32,
                                                device=device))[0]
                out.append((z[:, 1] - z[:, 0]).cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    return scorer


class FCNStack:
    """train_many's group of FCNs as stacked tensors (a ``backend.Backend``)."""

    objective = None  # the mean cross-entropy of each row; fit alone takes another

    def __init__(self, params: list[torch.Tensor], config, shape: tuple[int, int, int],
                 chunk: int, per_model: dict | None = None):
        self.params, self.shape, self.chunk = params, shape, chunk  # shape: d_in, width, depth
        self.device = params[0].device
        self.best = [p.clone() for p in params]  # selected checkpoint, indexed by model id
        # keeps self.params in step on keep
        self.optimizer = StackedOptimizer(params, config, per_model)

    def shapes(self) -> list[tuple[int, ...]]:
        return [tuple(p.shape) for p in self.params]

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> None:
        self.optimizer.step(forward_backward(self.params, xb, yb))

    def evaluate(self, rows: list[int], X: torch.Tensor, y: torch.Tensor):
        sub = self.params if len(rows) == len(self.params[0]) else [p[rows] for p in self.params]
        return evaluate(sub, X, y, self.chunk)

    def save_best(self, model_ids: list[int], rows: list[int]) -> None:
        save_best(self.best, self.params, model_ids, rows)

    def keep(self, rows: torch.Tensor) -> None:
        self.optimizer.keep(rows)

    def decay_lr(self, factor: float) -> None:
        self.optimizer.decay(factor)

    def attack_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(rows, b, 2) logits of the active models on their own inputs, differentiable in x
        (the parameters are plain tensors: nothing accumulates in them)."""
        return batch_logits(self.params, x)

    def finite_rows(self) -> torch.Tensor:
        """Per row: are its parameters still finite? A NaN or infinite loss makes the output
        bias's gradient NaN, so one small tensor tells after the step."""
        return torch.isfinite(self.params[-1]).all(dim=1)

    def scorer(self, row: int):
        return scorer_of(self.params, row)

    def result_model(self, model_id: int) -> FCN:
        return to_fcn([b[model_id] for b in self.best], *self.shape)
