"""When one model of a group evaluates, when its stop rule fires and when its run ends."""

from __future__ import annotations

import math

from sbcore.training.config import TrainConfig


class Schedule:
    """One model's stop rule, patience, cap and divergence (the module docstring of
    ``sbcore.training.trainer`` states the rules)."""

    def __init__(self, config: TrainConfig):
        self.cfg = config
        self.end = config.max_updates
        self.stop_update: int | None = None
        self.diverged = False

    def due(self, update: int) -> bool:
        return update % self.cfg.eval_every == 0 or update == self.end

    def observe(self, update: int, train_loss: float, train_accuracy: float) -> None:
        if not math.isfinite(train_loss):  # diverged: further updates cannot recover
            self.diverged, self.end = True, update
            return
        if self.stop_update is not None:
            return
        if self.cfg.stop == "accuracy":
            met = train_accuracy >= 1.0 - self.cfg.eps
        elif self.cfg.stop == "loss":
            met = train_loss < self.cfg.eps
        else:  # "none": a fixed schedule, max_updates updates (adversarial training)
            met = False
        if met:
            self.stop_update = update
            self.end = min(update + self.cfg.patience, self.cfg.max_updates)

    def finished(self, update: int) -> bool:
        return update >= self.end
