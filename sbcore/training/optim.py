"""The optimisers: torch.optim's SGD / Adam / RMSprop for one module (``make_optimizer``) and the
same update rules applied elementwise to stacked parameters (``StackedOptimizer``, shared by
the FCN stack and the module stack), so that model m of a stack evolves as if trained alone.
"""

from __future__ import annotations

import torch

# torch.optim defaults for the settings TrainConfig does not expose
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
RMSPROP_ALPHA = 0.99
RMSPROP_EPS = 1e-8


def make_optimizer(params, config):
    """torch.optim's optimiser of ``config`` (a TrainConfig) over ``params``."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, betas=ADAM_BETAS, eps=ADAM_EPS,
                                weight_decay=config.weight_decay)
    return torch.optim.RMSprop(params, lr=config.lr, alpha=RMSPROP_ALPHA, eps=RMSPROP_EPS,
                               momentum=config.momentum, weight_decay=config.weight_decay)


class StackedOptimizer:
    """torch.optim's SGD / Adam / RMSprop update, applied to stacked parameters.

    All updates are elementwise, so a stack behaves like independent optimisers. Rows (models)
    can be dropped with ``keep`` when they finish; the rest continue untouched.
    """

    def __init__(self, params: list[torch.Tensor], config, per_model: dict | None = None):
        self.params, self.cfg, self.step_count = params, config, 0
        self.lr = config.lr  # the step size now (a schedule multiplies it: decay)
        self.state: dict[str, list[torch.Tensor]] = {}
        kind = config.optimizer
        # per_model: {"lr", "momentum", "weight_decay": one value per model} overriding the
        # config's, for a grid of SGD settings trained together (``train_grid``)
        self.per_model = None
        if per_model is not None:
            if kind != "sgd":
                raise ValueError(f"per-model hyperparameters need optimizer 'sgd', got {kind!r}")
            self.per_model = {k: torch.as_tensor(v, dtype=params[0].dtype,
                                                 device=params[0].device)
                              for k, v in per_model.items()}
            self.state["buf"] = [torch.zeros_like(p) for p in params]
        if kind == "sgd" and config.momentum:
            self.state["buf"] = [torch.zeros_like(p) for p in params]
        elif kind == "adam":
            self.state["m"] = [torch.zeros_like(p) for p in params]
            self.state["v"] = [torch.zeros_like(p) for p in params]
        elif kind == "rmsprop":
            self.state["sq"] = [torch.zeros_like(p) for p in params]
            if config.momentum:
                self.state["buf"] = [torch.zeros_like(p) for p in params]

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only the models at these rows (in params and in every state tensor)."""
        self.params[:] = [p[rows].contiguous() for p in self.params]
        for key, tensors in self.state.items():
            self.state[key] = [t[rows].contiguous() for t in tensors]
        if self.per_model is not None:
            self.per_model = {k: v[rows] for k, v in self.per_model.items()}

    def decay(self, factor: float) -> None:
        """Multiply every model's step size by ``factor`` (TrainConfig's step schedule)."""
        self.lr *= factor
        if self.per_model is not None:
            self.per_model["lr"] = self.per_model["lr"] * factor

    def _per_model_sgd_step(self, grads: list[torch.Tensor]) -> None:
        """torch.optim.SGD's rule with each model's own lr, momentum and weight decay: the
        buffer starts at the first gradient (momentum 0 keeps it equal to the gradient)."""
        hp = self.per_model
        for p, g, buf in zip(self.params, grads, self.state["buf"]):
            shape = (-1,) + (1,) * (p.ndim - 1)  # one value per model, broadcast over its rows
            g.addcmul_(hp["weight_decay"].view(shape), p)
            if self.step_count == 1:
                buf.copy_(g)
            else:
                buf.mul_(hp["momentum"].view(shape)).add_(g)
            p.addcmul_(hp["lr"].view(shape), buf, value=-1.0)

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor]) -> None:
        cfg, params = self.cfg, self.params
        self.step_count += 1
        if self.per_model is not None:
            return self._per_model_sgd_step(grads)
        if cfg.weight_decay:
            torch._foreach_add_(grads, params, alpha=cfg.weight_decay)
        if cfg.optimizer == "sgd":
            if cfg.momentum:
                bufs = self.state["buf"]
                if self.step_count == 1:  # torch starts the buffer at the first gradient
                    for b, g in zip(bufs, grads):
                        b.copy_(g)
                else:
                    torch._foreach_mul_(bufs, cfg.momentum)
                    torch._foreach_add_(bufs, grads)
                grads = bufs
            torch._foreach_add_(params, grads, alpha=-self.lr)
        elif cfg.optimizer == "adam":
            beta1, beta2 = ADAM_BETAS
            m, v = self.state["m"], self.state["v"]
            torch._foreach_lerp_(m, grads, 1 - beta1)
            torch._foreach_mul_(v, beta2)
            torch._foreach_addcmul_(v, grads, grads, value=1 - beta2)
            step_size = self.lr / (1 - beta1 ** self.step_count)
            bc2_sqrt = (1 - beta2 ** self.step_count) ** 0.5
            denom = torch._foreach_sqrt(v)
            torch._foreach_div_(denom, bc2_sqrt)
            torch._foreach_add_(denom, ADAM_EPS)
            torch._foreach_addcdiv_(params, m, denom, value=-step_size)
        elif cfg.optimizer == "rmsprop":
            sq = self.state["sq"]
            torch._foreach_mul_(sq, RMSPROP_ALPHA)
            torch._foreach_addcmul_(sq, grads, grads, value=1 - RMSPROP_ALPHA)
            avg = torch._foreach_sqrt(sq)
            torch._foreach_add_(avg, RMSPROP_EPS)
            if cfg.momentum:
                bufs = self.state["buf"]
                torch._foreach_mul_(bufs, cfg.momentum)
                torch._foreach_addcdiv_(bufs, grads, avg)
                torch._foreach_add_(params, bufs, alpha=-self.lr)
            else:
                torch._foreach_addcdiv_(params, grads, avg, value=-self.lr)
        else:  # TrainConfig validates this; guard against a hand-made config
            raise ValueError(f"optimizer {cfg.optimizer!r} is unknown")
