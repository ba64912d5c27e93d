"""What training gives for each model."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from torch import nn


@dataclass
class TrainResult:
    """One trained model: the selected checkpoint and how training went."""

    model: nn.Module  # the selected checkpoint, on the CPU in eval mode
    scorer: object  # numpy X -> logit1 - logit0
    seed: int
    updates: int  # updates run in total
    stop_update: int | None  # update at which the stop rule was first met
    converged: bool  # the stop rule was met and the run did not diverge
    history: pd.DataFrame  # update, train_loss, train_accuracy, val_accuracy, track keys
    wall_time_s: float
    selected_update: int = 0  # update of the kept (best-validation) checkpoint
    diverged: bool = False  # the training loss became NaN or infinite (the run ended there)
