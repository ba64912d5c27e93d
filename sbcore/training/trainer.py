"""Training (w, d)-FCNs on slab data: one model (``train``) or many at once (``train_many``).

Semantics (digest section 3.4, with the paper profile's choices):

* Minibatches: each epoch a fresh permutation of the training rows, drawn from a
  ``torch.Generator`` seeded by the model's seed, cut into consecutive batches of
  ``batch_size`` (the last one may be smaller, as a shuffled DataLoader gives).
* Initialisation: PyTorch's default nn.Linear init under ``torch.manual_seed(seed)`` inside a
  forked RNG, so the global random state is neither used nor changed.
* Evaluation at update 0, every ``eval_every`` updates and at the last update: loss and
  accuracy on the full training split, accuracy on the validation split, and ``track``.
* Stop rule, checked after each evaluation: ``"accuracy"``: train accuracy >= 1 - eps;
  ``"loss"``: train loss < eps. Once met, ``patience`` more updates run; ``max_updates`` caps
  everything.
* Model selection: the evaluated checkpoint with the best validation accuracy (ties go to the
  later one); with an empty validation split the last model. The test split is never read.

``train`` uses a plain nn.Module and torch.optim; ``train_many`` trains many models of one
shape as stacked tensors (``sbcore.training.stacked``) with the same update rules, so model i of
``train_many(..., seeds)`` matches ``train(..., seeds[i])`` up to float rounding.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from sbcore.checks import check_int, check_number, check_seed
from sbcore.data import SlabData
from sbcore.models import FCN
from sbcore.profiles import check_device
from sbcore.reliance import as_scorer
from sbcore.training import stacked as batched

OPTIMIZERS = ("sgd", "adam", "rmsprop")
STOP_RULES = ("accuracy", "loss")
_ORDER_STREAM = 7_777_777  # offsets the data-order generator's seed from the init seed


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, init=False)
class TrainConfig:
    """How to train: optimiser, step size, batch, regularisation, stop rule, evaluation.

    ``momentum`` is SGD's or RMSprop's momentum (Adam uses torch's betas (0.9, 0.999) and must
    have momentum 0). ``weight_decay`` is torch.optim's L2 term added to the gradient.
    """

    optimizer: str = "sgd"
    lr: float = 0.1
    batch_size: int = 256
    momentum: float = 0.0
    weight_decay: float = 5e-5
    stop: str = "accuracy"
    eps: float = 1e-4
    patience: int = 1000
    max_updates: int = 100_000
    eval_every: int = 500

    def __init__(self, optimizer: str = "sgd", lr: float = 0.1, batch_size: int = 256,
                 momentum: float = 0.0, weight_decay: float = 5e-5, stop: str = "accuracy",
                 eps: float = 1e-4, patience: int = 1000, max_updates: int = 100_000,
                 eval_every: int = 500, **extra):
        if extra:
            allowed = ", ".join(f.name for f in fields(TrainConfig))
            raise ValueError(f"TrainConfig got unknown field(s) {', '.join(sorted(extra))}; "
                             f"allowed fields: {allowed}")
        values = dict(optimizer=optimizer, lr=lr, batch_size=batch_size, momentum=momentum,
                      weight_decay=weight_decay, stop=stop, eps=eps, patience=patience,
                      max_updates=max_updates, eval_every=eval_every)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        self._validate()

    def _validate(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r} is unknown; allowed: "
                             f"{', '.join(OPTIMIZERS)}")
        if self.stop not in STOP_RULES:
            raise ValueError(f"stop {self.stop!r} is unknown; allowed: {', '.join(STOP_RULES)}")
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

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _check_inputs(data, width, depth, config, device) -> None:
    if not isinstance(data, SlabData):
        raise ValueError(f"data must be a SlabData (sbcore.data.make_dataset), got "
                         f"{type(data).__name__}")
    check_int("width", width, 1)
    check_int("depth", depth, 1)
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    check_device(device)
    if len(data.train) == 0:
        raise ValueError("data.train is empty; training needs at least one row")


# --------------------------------------------------------------------------------------------
# Pieces shared by train and train_many (so both follow the same rules)
# --------------------------------------------------------------------------------------------

@dataclass
class TrainResult:
    """One trained model: the selected checkpoint and how training went."""

    model: nn.Module  # FCN on the CPU in eval mode (the selected checkpoint)
    scorer: object  # numpy X -> logit1 - logit0
    seed: int
    updates: int  # updates run in total
    stop_update: int | None  # update at which the stop rule was first met
    converged: bool
    history: pd.DataFrame  # update, train_loss, train_accuracy, val_accuracy, track keys
    wall_time_s: float
    selected_update: int = 0  # update of the kept (best-validation) checkpoint


class _Schedule:
    """When one model evaluates, when its stop rule fires and when it ends."""

    def __init__(self, config: TrainConfig):
        self.cfg = config
        self.end = config.max_updates
        self.stop_update: int | None = None

    def due(self, update: int) -> bool:
        return update % self.cfg.eval_every == 0 or update == self.end

    def observe(self, update: int, train_loss: float, train_accuracy: float) -> None:
        if self.stop_update is not None:
            return
        if self.cfg.stop == "accuracy":
            met = train_accuracy >= 1.0 - self.cfg.eps
        else:
            met = train_loss < self.cfg.eps
        if met:
            self.stop_update = update
            self.end = min(update + self.cfg.patience, self.cfg.max_updates)

    def finished(self, update: int) -> bool:
        return update >= self.end


def init_fcn(d_in: int, width: int, depth: int, seed: int) -> FCN:
    """The FCN a seed starts from: default init under torch.manual_seed(seed), on the CPU,
    without touching the global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return FCN(d_in, width, depth)


def order_generator(seed: int) -> torch.Generator:
    """The CPU generator of a seed's minibatch order (one permutation per epoch)."""
    return torch.Generator().manual_seed(seed + _ORDER_STREAM)


def _tensors(split, device):
    return (torch.as_tensor(split.X, dtype=torch.float32, device=device),
            torch.as_tensor(split.y, dtype=torch.int64, device=device))


def _eval_chunk(device, n_models: int, width: int) -> int:
    """Rows per evaluation batch: the hidden activations of all models stay near 32 MB on the
    CPU and 1 GB on a GPU, whatever the width and number of models."""
    budget = 2**23 if str(device) == "cpu" else 2**28  # floats
    return int(min(65536, max(256, budget // (n_models * width))))


def _progress(config: TrainConfig, progress: bool, desc: str):
    return tqdm(total=config.max_updates, desc=desc, disable=not progress, unit="upd",
                leave=False)


# --------------------------------------------------------------------------------------------
# One model
# --------------------------------------------------------------------------------------------

@torch.no_grad()
def _evaluate_module(model, X, y, chunk) -> tuple[float, float]:
    loss, correct = 0.0, 0
    for start in range(0, len(X), chunk):
        z = model(X[start:start + chunk])
        yb = y[start:start + chunk]
        loss += float(nn.functional.cross_entropy(z, yb, reduction="sum"))
        correct += int(((z[:, 1] - z[:, 0] > 0) == (yb == 1)).sum())
    return loss, float(correct)


def _make_optimizer(params, config: TrainConfig):
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, betas=batched.ADAM_BETAS,
                                eps=batched.ADAM_EPS, weight_decay=config.weight_decay)
    return torch.optim.RMSprop(params, lr=config.lr, alpha=batched.RMSPROP_ALPHA,
                               eps=batched.RMSPROP_EPS, momentum=config.momentum,
                               weight_decay=config.weight_decay)


def train(data: SlabData, width: int, depth: int, config: TrainConfig, seed: int,
          device: str = "cpu", track=None, progress: bool = True) -> TrainResult:
    """Train one (width, depth)-FCN on data.train with a plain nn.Module and torch.optim."""
    _check_inputs(data, width, depth, config, device)
    seed = check_seed(seed)
    start_time = time.perf_counter()
    Xtr, ytr = _tensors(data.train, device)
    Xva, yva = _tensors(data.val, device)
    n, chunk = len(ytr), _eval_chunk(device, 1, width)
    model = init_fcn(data.d, width, depth, seed).to(device)
    optimizer = _make_optimizer(model.parameters(), config)
    order = order_generator(seed)
    schedule = _Schedule(config)
    best_val, best_state, selected = -math.inf, None, 0
    rows, perm, pos, update = [], None, n, 0
    bar = _progress(config, progress, f"train seed {seed}")

    def evaluate():
        nonlocal best_val, best_state, selected
        model.eval()
        loss, correct = _evaluate_module(model, Xtr, ytr, chunk)
        row = dict(update=update, train_loss=loss / n, train_accuracy=correct / n)
        val = _evaluate_module(model, Xva, yva, chunk)[1] / len(yva) if len(yva) else math.nan
        row["val_accuracy"] = val
        if track is not None:
            row.update(track(as_scorer(model, device)))
        rows.append(row)
        score = -math.inf if math.isnan(val) else val  # empty val: every checkpoint ties
        if score >= best_val:
            best_val, selected = score, update
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        schedule.observe(update, row["train_loss"], row["train_accuracy"])
        bar.set_postfix(train_acc=f"{row['train_accuracy']:.4f}")
        model.train()

    evaluate()
    while not schedule.finished(update):
        if pos >= n:  # a new epoch: a fresh permutation from this seed's stream
            perm, pos = torch.randperm(n, generator=order).to(device), 0
        idx = perm[pos:pos + config.batch_size]
        pos += config.batch_size
        # index_select: a row gather several times faster than Xtr[idx] on the CPU
        loss = nn.functional.cross_entropy(model(Xtr.index_select(0, idx)),
                                           ytr.index_select(0, idx))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        update += 1
        if schedule.due(update):
            bar.update(update - bar.n)
            evaluate()
    bar.close()
    model.load_state_dict(best_state)
    model = model.cpu().eval()
    return TrainResult(model=model, scorer=as_scorer(model), seed=seed, updates=update,
                       stop_update=schedule.stop_update,
                       converged=schedule.stop_update is not None,
                       history=pd.DataFrame(rows), wall_time_s=time.perf_counter() - start_time,
                       selected_update=selected)


# --------------------------------------------------------------------------------------------
# Many models of one shape, vectorised
# --------------------------------------------------------------------------------------------

def train_many(data: SlabData, width: int, depth: int, config: TrainConfig, seeds: list[int],
               device: str = "cpu", track=None, progress: bool = True) -> list[TrainResult]:
    """Train one (width, depth)-FCN per seed, all together as stacked tensors.

    Each model has its own init, data order, stop rule and patience (as ``train`` with its
    seed). A model that has finished is dropped from the stack, so it stops changing while
    the others continue; the group ends when all have finished. ``wall_time_s`` of a model is
    the group's elapsed time when that model finished.
    """
    _check_inputs(data, width, depth, config, device)
    if isinstance(seeds, (int, np.integer)) or not hasattr(seeds, "__len__") or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, "
                         f"got {seeds!r}")
    seeds = [check_seed(s, "every seed in seeds") for s in seeds]
    start_time = time.perf_counter()
    Xtr, ytr = _tensors(data.train, device)
    Xva, yva = _tensors(data.val, device)
    n, chunk, n_models = len(ytr), _eval_chunk(device, len(seeds), width), len(seeds)

    params = batched.stack_fcns([init_fcn(data.d, width, depth, s) for s in seeds], device)
    best = [p.clone() for p in params]  # selected checkpoint per model (indexed by model)
    optimizer = batched.StackedOptimizer(params, config)
    orders = [order_generator(s) for s in seeds]
    schedules = [_Schedule(config) for _ in seeds]
    best_val = np.full(n_models, -math.inf)
    selected = np.zeros(n_models, dtype=np.int64)
    rows: list[list[dict]] = [[] for _ in seeds]
    results: list[TrainResult | None] = [None] * n_models
    active = list(range(n_models))  # model id of each row of the stack
    perms, pos, update = None, n, 0
    bar = _progress(config, progress, f"train {n_models} models")

    def evaluate(stack_rows: list[int]) -> None:
        sub = [p[stack_rows] for p in params] if len(stack_rows) < len(active) else params
        loss, correct = batched.evaluate(sub, Xtr, ytr, chunk)
        if len(yva):
            val = batched.evaluate(sub, Xva, yva, chunk)[1] / len(yva)
        else:
            val = np.full(len(stack_rows), math.nan)
        improved = []
        for j, r in enumerate(stack_rows):
            m = active[r]
            row = dict(update=update, train_loss=loss[j] / n, train_accuracy=correct[j] / n,
                       val_accuracy=val[j])
            if track is not None:
                row.update(track(batched.scorer_of(sub, j)))
            rows[m].append(row)
            score = -math.inf if math.isnan(val[j]) else val[j]
            if score >= best_val[m]:
                best_val[m], selected[m] = score, update
                improved.append((m, r))
            schedules[m].observe(update, row["train_loss"], row["train_accuracy"])
        if improved:
            ms = torch.tensor([m for m, _ in improved], device=params[0].device)
            rs = torch.tensor([r for _, r in improved], device=params[0].device)
            for b, p in zip(best, params):
                b[ms] = p[rs]
        acc = np.mean([rows[active[r]][-1]["train_accuracy"] for r in stack_rows])
        bar.set_postfix(active=len(active), mean_train_acc=f"{acc:.4f}")

    def finish(done_rows: list[int]) -> None:
        nonlocal active, perms
        elapsed = time.perf_counter() - start_time
        for r in done_rows:
            m = active[r]
            model = batched.to_fcn([b[m] for b in best], data.d, width, depth)
            sched = schedules[m]
            results[m] = TrainResult(
                model=model, scorer=as_scorer(model), seed=seeds[m], updates=update,
                stop_update=sched.stop_update, converged=sched.stop_update is not None,
                history=pd.DataFrame(rows[m]), wall_time_s=elapsed,
                selected_update=int(selected[m]))
        keep = [r for r in range(len(active)) if r not in set(done_rows)]
        if keep:
            keep_t = torch.tensor(keep, device=params[0].device)
            optimizer.keep(keep_t)
            perms = perms[keep_t] if perms is not None else None
        active = [active[r] for r in keep]

    evaluate(list(range(len(active))))
    finish([r for r, m in enumerate(active) if schedules[m].finished(update)])
    while active:
        if pos >= n:  # a new epoch for every active model, each from its own stream
            perms = torch.stack([torch.randperm(n, generator=orders[m]) for m in active])
            perms, pos = perms.to(device), 0
        idx = perms[:, pos:pos + config.batch_size].reshape(-1)
        pos += config.batch_size
        xb = Xtr.index_select(0, idx).view(len(active), -1, Xtr.shape[1])
        yb = ytr.index_select(0, idx).view(len(active), -1)
        grads = batched.forward_backward(params, xb, yb)
        optimizer.step(grads)
        update += 1
        due = [r for r, m in enumerate(active) if schedules[m].due(update)]
        if due:
            bar.update(update - bar.n)
            evaluate(due)
            finish([r for r in due if schedules[active[r]].finished(update)])
    bar.close()
    return results  # type: ignore[return-value]
