"""How to train: ``TrainConfig`` and ``RECIPES``, the one place the paper's recipes are written.

Plain Python and ``sbcore.checks`` only (no torch), so that the studies' settings can build
their store keys from ``RECIPES`` without loading the trainer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sbcore.checks import check_choice, check_int, check_number

OPTIMIZERS = ("sgd", "adam", "rmsprop")
STOP_RULES = ("accuracy", "loss", "none")

# The paper's training recipes, as the studies' settings write them into their store keys
# (so a key names each value: a recipe may gain a setting only with a new store version).
RECIPES = {
    # the synthetic datasets (App. B; the official notebooks 01 and 04): SGD at 0.1, batch
    # 256, l2 5e-5 (the notebooks' value; PAPER_CHOICES in sbcore.profiles), until train
    # accuracy >= 1 - 1e-4, then 1,000 more updates, evaluated every 500, capped at 100,000
    "synthetic": dict(optimizer="sgd", lr=0.1, batch_size=256, momentum=0.0,
                      weight_decay=5e-5, eps=1e-4, patience=1_000, max_updates=100_000,
                      eval_every=500),
}
_DEFAULT = RECIPES["synthetic"]


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, step size, batch, regularisation, stop rule, evaluation. The
    defaults are the paper's synthetic recipe (``RECIPES["synthetic"]``).

    ``momentum`` is SGD's or RMSprop's momentum (Adam uses torch's betas (0.9, 0.999) and must
    have momentum 0). ``weight_decay`` is torch.optim's L2 term added to the gradient.
    ``lr_decay_every`` > 0 multiplies the step size by ``lr_decay`` after every that many
    updates (a step schedule: the image recipe's x0.2 every 30 epochs).
    """

    optimizer: str = _DEFAULT["optimizer"]
    lr: float = _DEFAULT["lr"]
    batch_size: int = _DEFAULT["batch_size"]
    momentum: float = _DEFAULT["momentum"]
    weight_decay: float = _DEFAULT["weight_decay"]
    stop: str = "accuracy"
    eps: float = _DEFAULT["eps"]
    patience: int = _DEFAULT["patience"]
    max_updates: int = _DEFAULT["max_updates"]
    eval_every: int = _DEFAULT["eval_every"]
    lr_decay: float = 1.0
    lr_decay_every: int = 0

    def __new__(cls, *args, **kwargs):
        # before the generated __init__, which would refuse an unknown field without
        # naming the allowed ones
        allowed = [f.name for f in fields(cls)]
        extra = sorted(set(kwargs) - set(allowed))
        if extra:
            raise ValueError(f"TrainConfig got unknown field(s) {', '.join(extra)}; "
                             f"allowed fields: {', '.join(allowed)}")
        return super().__new__(cls)

    def __post_init__(self) -> None:
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("stop", self.stop, STOP_RULES)
        check_number("lr", self.lr, low=0.0, low_open=True)
        check_number("momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        check_number("weight_decay", self.weight_decay, low=0.0)
        check_number("eps", self.eps, low=0.0, low_open=True)
        if self.optimizer == "adam" and self.momentum != 0:
            raise ValueError(f"momentum must be 0 with optimizer 'adam' (Adam uses torch's "
                             f"betas (0.9, 0.999)), got {self.momentum!r}")
        check_int("batch_size", self.batch_size, 1)
        check_int("patience", self.patience, 0)
        check_int("max_updates", self.max_updates, 1)
        check_int("eval_every", self.eval_every, 1)
        check_number("lr_decay", self.lr_decay, low=0.0, high=1.0, low_open=True)
        check_int("lr_decay_every", self.lr_decay_every, 0)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
