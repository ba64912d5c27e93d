"""Training: one trainer for any model (``fit``), the paper's (w, d)-FCNs (``train``), and many
models of one shape trained together (``train_many`` for FCNs, ``fit_many`` for any small model).

Semantics (digest section 3.4, with the paper profile's choices):

* Minibatches: each epoch a fresh permutation of the training rows, drawn from a
  ``torch.Generator`` seeded by the model's seed, cut into consecutive batches of
  ``batch_size`` (the last one may be smaller, as a shuffled DataLoader gives).
* Initialisation: ``fit`` trains the module it is given (the caller initialises it); ``train``
  and ``train_many`` build the FCN of a seed with PyTorch's default nn.Linear init under
  ``torch.manual_seed(seed)`` inside a forked RNG, so the global random state is neither used
  nor changed.
* Evaluation at update 0, every ``eval_every`` updates and at the last update: loss and
  accuracy on the full training split, accuracy on the validation split, and ``track``.
* Stop rule, checked after each evaluation: ``"accuracy"``: train accuracy >= 1 - eps;
  ``"loss"``: train loss < eps; ``"none"``: never (a fixed schedule of max_updates).
  Once met, ``patience`` more updates run; ``max_updates`` caps everything.
* Divergence: an evaluation whose training loss is NaN or infinite ends that model's run there
  (``diverged=True``, ``converged=False``); its scores are NaN, so ``track`` is not called for
  it and it is never the selected checkpoint.
* Model selection: the evaluated checkpoint with the best validation accuracy (ties go to the
  later one); with an empty validation split the last model. The test split is never read.

All four run the same loop (``_run_group``) over a group of models, each with its own data
order, schedule and checkpoint; only the way a group steps and evaluates differs (its
"backend"): ``fit`` (and ``train``, which is ``fit`` of a fresh FCN) a group of one nn.Module
with torch.optim; ``train_many`` stacked FCN tensors with a hand-written backward pass
(``sbcore.training.stacked``); ``fit_many`` the stacked parameters of any module through
torch.func.vmap (``sbcore.training.vmapped``). The stacked optimisers follow torch.optim's update
rules elementwise, so model i of a group matches the model trained alone with seeds[i] up to
float rounding.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import time
import warnings
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from sbcore.checks import (
    ParameterTypeError,
    check_bool,
    check_callable,
    check_choice,
    check_input_size,
    check_int,
    check_module,
    check_number,
    check_seed,
    input_size,
)
from sbcore.data import SlabData
from sbcore.models import FCN
from sbcore.profiles import check_device
from sbcore.reliance import as_scorer
from sbcore.training import resume
from sbcore.training import stacked as batched

OPTIMIZERS = ("sgd", "adam", "rmsprop")
STOP_RULES = ("accuracy", "loss", "none")
_ORDER_STREAM = 7_777_777  # offsets the data-order generator's seed from the init seed
_MODEL_STREAM = 3_333_333  # offsets the seed of randomness inside models (dropout)
# Activation floats per input float, guessed for models other than the FCN (whose widest
# activation is its width): conv and sequence layers widen their input by a few channels.
_ACTIVATIONS_PER_INPUT = 16


# --------------------------------------------------------------------------------------------
# Configuration and result
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, init=False)
class TrainConfig:
    """How to train: optimiser, step size, batch, regularisation, stop rule, evaluation.

    ``momentum`` is SGD's or RMSprop's momentum (Adam uses torch's betas (0.9, 0.999) and must
    have momentum 0). ``weight_decay`` is torch.optim's L2 term added to the gradient.
    ``lr_decay_every`` > 0 multiplies the step size by ``lr_decay`` after every that many
    updates (a step schedule: the image recipe's x0.2 every 30 epochs).
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
    lr_decay: float = 1.0
    lr_decay_every: int = 0

    def __init__(self, optimizer: str = "sgd", lr: float = 0.1, batch_size: int = 256,
                 momentum: float = 0.0, weight_decay: float = 5e-5, stop: str = "accuracy",
                 eps: float = 1e-4, patience: int = 1000, max_updates: int = 100_000,
                 eval_every: int = 500, lr_decay: float = 1.0, lr_decay_every: int = 0,
                 **extra):
        if extra:
            allowed = ", ".join(f.name for f in fields(TrainConfig))
            raise ValueError(f"TrainConfig got unknown field(s) {', '.join(sorted(extra))}; "
                             f"allowed fields: {allowed}")
        values = dict(optimizer=optimizer, lr=lr, batch_size=batch_size, momentum=momentum,
                      weight_decay=weight_decay, stop=stop, eps=eps, patience=patience,
                      max_updates=max_updates, eval_every=eval_every, lr_decay=lr_decay,
                      lr_decay_every=lr_decay_every)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        self._validate()

    def _validate(self) -> None:
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


# --------------------------------------------------------------------------------------------
# Checks of the arguments, all before any work
# --------------------------------------------------------------------------------------------

def _check_fcn_inputs(data, width, depth) -> None:
    """train and train_many build FCNs on data.d inputs: the data must be slab data whose rows
    have d features."""
    if not isinstance(data, SlabData):
        raise ParameterTypeError(f"data must be a SlabData (sbcore.data.make_dataset), got "
                                 f"{type(data).__name__}")
    check_int("width", width, 1)
    check_int("depth", depth, 1)
    X = getattr(data.train, "X", None)  # a missing or malformed X is _check_data's to name
    if isinstance(X, np.ndarray) and X.ndim >= 2:  # a hand-made SlabData may not match d
        check_input_size(f"an FCN on data.d = {data.d} inputs", data.d, X.shape[1:])


def _check_run(data, config, device) -> None:
    _check_data(data)
    if not isinstance(config, TrainConfig):
        raise ParameterTypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    check_device(device)


def _check_reporting(track, progress) -> None:
    """What a run reports besides its result: ``track`` (None or scorer -> dict of numbers,
    recorded at every evaluation) and ``progress`` (the progress bar, on or off)."""
    if track is not None:
        check_callable("track", track, "None or a function of the scorer returning a dict")
    check_bool("progress", progress)


def _check_perturb(perturb, n_models: int) -> None:
    if perturb is not None and not callable(perturb):
        raise ParameterTypeError(f"perturb must be None or a callable (logits, xb, yb, models) "
                                 f"-> xb, such as sbcore.attacks.PGDAdversary; got "
                                 f"{type(perturb).__name__}")
    if hasattr(perturb, "check_models"):  # e.g. one radius per model: as many as models
        perturb.check_models(n_models)


def _check_data(data) -> None:
    """Any object with .train and .val splits of numpy X (n, ...) and labels y (n,) in {0, 1}."""
    for name in ("train", "val"):
        split = getattr(data, name, None)
        if split is None:
            raise ValueError(f"data must have .train and .val splits with X and y; "
                             f"{type(data).__name__} has no .{name}")
        _check_split(name, getattr(split, "X", None), getattr(split, "y", None))
    if len(data.train.y) == 0:
        raise ValueError("data.train is empty; training needs at least one row")
    if len(data.val.y) and data.val.X.shape[1:] != data.train.X.shape[1:]:
        raise ValueError(f"data.val.X rows have shape {data.val.X.shape[1:]} but data.train.X "
                         f"rows have shape {data.train.X.shape[1:]}")


def _check_split(name: str, X, y) -> None:
    if not isinstance(X, np.ndarray) or X.ndim < 2 or X.dtype.kind not in "biuf":
        raise ValueError(f"data.{name}.X must be a real numpy array of shape (n, ...), got "
                         f"{type(X).__name__} {getattr(X, 'shape', '')}")
    if not isinstance(y, np.ndarray) or y.shape != (len(X),):
        raise ValueError(f"data.{name}.y must be a numpy array of shape ({len(X)},) (one label "
                         f"per row of X), got {type(y).__name__} {getattr(y, 'shape', '')}")
    if len(y) and (y.dtype.kind not in "iu" or not np.isin(y, (0, 1)).all()):
        raise ValueError(f"data.{name}.y must hold integer labels 0 and 1 (the model has two "
                         f"logits), got dtype {y.dtype} with values {np.unique(y)[:5]}")
    # refused up front: a NaN input makes the loss NaN, which would read as divergence
    if not np.isfinite(X).all():
        raise ValueError(f"data.{name}.X has NaN or infinite values "
                         f"({int((~np.isfinite(X)).sum())} of {X.size})")


def _check_seeds(seeds) -> list[int]:
    if isinstance(seeds, (int, np.integer, str)) or not hasattr(seeds, "__len__"):
        raise ParameterTypeError(f"seeds must be a non-empty list of non-negative integers, "
                                 f"got {seeds!r}")
    if len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, "
                         f"got {seeds!r}")
    return [check_seed(s, "every seed in seeds") for s in seeds]


def _check_module(name: str, model) -> None:
    check_module(name, model)
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"{name} has no trainable parameters")


def check_group(models, data, config, seeds, device) -> list[int]:
    """The arguments of a group of models trained at once (``fit_many``) or one after another
    (``sbcore.training.fit_each``): a non-empty list of modules that take the data's rows, a
    TrainConfig, a device and one seed per model. Returns the seeds as ints."""
    if not isinstance(models, (list, tuple)):
        raise ParameterTypeError(f"models must be a non-empty list of nn.Modules, got "
                                 f"{type(models).__name__}")
    if len(models) == 0:
        raise ValueError("models must be a non-empty list of nn.Modules, got an empty one")
    for i, model in enumerate(models):
        _check_module(f"models[{i}]", model)
    _check_run(data, config, device)
    for i, model in enumerate(models):
        check_input_size(f"models[{i}]", input_size(model), data.train.X.shape[1:])
    seeds = _check_seeds(seeds)
    if len(seeds) != len(models):
        raise ValueError(f"seeds must give one seed per model: {len(models)} models, "
                         f"{len(seeds)} seeds")
    return seeds


def _check_output(name: str, model: nn.Module, X: torch.Tensor) -> None:
    """One forward pass on two training rows, so that a model that does not fit the data fails
    before any training, with the shapes in the message."""
    was_training = model.training
    model.eval()  # no batch-norm statistics are updated, no dropout draws
    try:
        with torch.no_grad():
            z = model(X[:2])
    except Exception as err:  # any failure of the forward pass: re-raised with the shapes
        raise ValueError(f"{name} fails on a batch of data.train.X of shape "
                         f"{tuple(X[:2].shape)}: {err}") from err
    finally:
        model.train(was_training)
    if not isinstance(z, torch.Tensor) or tuple(z.shape) != (len(X[:2]), 2):
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"{name} must map a batch of n inputs to (n, 2) logits; on "
                         f"data.train.X[:2] it returned {got}")


# --------------------------------------------------------------------------------------------
# Pieces shared by every trainer (so all follow the same rules)
# --------------------------------------------------------------------------------------------

class _Schedule:
    """When one model evaluates, when its stop rule fires and when it ends."""

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


def init_fcn(d_in: int, width: int, depth: int, seed: int) -> FCN:
    """The FCN a seed starts from: default init under torch.manual_seed(seed), on the CPU,
    without touching the global random state."""
    seed = check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return FCN(d_in, width, depth)


def order_generator(seed: int) -> torch.Generator:
    """The CPU generator of a seed's minibatch order (one permutation per epoch)."""
    seed = check_seed(seed)
    return torch.Generator().manual_seed(seed + _ORDER_STREAM)


def _tensors(data, device) -> tuple[torch.Tensor, ...]:
    """Xtr, ytr, Xva, yva on the device."""
    return tuple(torch.as_tensor(a, dtype=dt, device=device)
                 for split in (data.train, data.val)
                 for a, dt in ((split.X, torch.float32), (split.y, torch.int64)))


def _eval_chunk(device, n_models: int, row_floats: int) -> int:
    """Rows per evaluation batch: the activations of all models stay near 32 MB on the CPU and
    1 GB on a GPU, whatever the width and number of models."""
    budget = 2**23 if str(device) == "cpu" else 2**28  # floats
    return int(min(65536, max(256, budget // (n_models * row_floats))))


def _row_floats(model: nn.Module, X: torch.Tensor) -> int:
    """Activation floats per input row, for _eval_chunk: an FCN's widest layer is its width;
    for any other model a guess from the size of one input row."""
    if isinstance(model, FCN):
        return model.width
    return _ACTIVATIONS_PER_INPUT * max(1, math.prod(X.shape[1:]))


def _progress(config: TrainConfig, progress: bool, desc: str):
    return tqdm(total=config.max_updates, desc=desc, disable=not progress, unit="upd",
                leave=False)


@contextlib.contextmanager
def _model_rng(seed: int, device):
    """Randomness inside a model (dropout) drawn from a stream of this seed, in a forked RNG:
    fit is reproducible and leaves the global random state as it was."""
    dev = torch.device(device)
    cuda = [dev.index if dev.index is not None else torch.cuda.current_device()] \
        if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(seed + _MODEL_STREAM)
        for index in cuda:
            torch.cuda.default_generators[index].manual_seed(seed + _MODEL_STREAM)
        yield


def _signature(group, tensors, config, seeds, model_configs, track, perturb) -> dict:
    """What a checkpoint must match to resume this group: its kind, parameter shapes, data
    sizes, seeds and settings."""
    tensors_of = getattr(group, "params", None) or list(group.model.state_dict().values())
    return dict(kind=type(group).__name__, shapes=[tuple(t.shape) for t in tensors_of],
                data=[tuple(t.shape) for t in tensors], seeds=list(seeds),
                config=config.as_dict(), track=track is not None, perturb=perturb is not None,
                model_configs=None if model_configs is None else
                [c.as_dict() for c in model_configs])


def _generators(obj) -> dict:
    """The torch.Generators an object keeps (an adversary's random starts)."""
    return {k: v for k, v in vars(obj).items() if isinstance(v, torch.Generator)} \
        if obj is not None and hasattr(obj, "__dict__") else {}


def _rng_states(device, perturb) -> dict:
    """The random states the loop draws from besides the data orders: the global CPU (and
    CUDA) generator (dropout) and the adversary's own."""
    dev = torch.device(device)
    return dict(cpu=torch.get_rng_state(),
                cuda=torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None,
                perturb={k: g.get_state() for k, g in _generators(perturb).items()})


def _set_rng_states(states: dict, device, perturb) -> None:
    dev = torch.device(device)
    torch.set_rng_state(states["cpu"].cpu())
    if dev.type == "cuda" and states["cuda"] is not None:
        torch.cuda.set_rng_state(states["cuda"].cpu(), dev)
    for k, g in _generators(perturb).items():
        if k in states["perturb"]:
            g.set_state(states["perturb"][k].cpu())


def _restored(result: TrainResult) -> TrainResult:
    """A result read back from a checkpoint, its scorer rebuilt."""
    return dataclasses.replace(result, scorer=as_scorer(result.model))


# --------------------------------------------------------------------------------------------
# The loop every trainer runs
# --------------------------------------------------------------------------------------------

def _run_group(group, tensors, config: TrainConfig, seeds: list[int], track, progress: bool,
               desc: str, start_time: float, model_configs: list[TrainConfig] | None = None,
               perturb=None) -> list[TrainResult]:
    """Train a group of models, model i with seeds[i]'s data order, to their own stop rules
    (model_configs[i]'s when given: a grid whose points share the batch and evaluation steps).

    ``group`` holds the models as rows of a stack and knows how to ``step`` every active row on
    its own minibatch (xb of shape (rows, batch, ...)), ``evaluate`` some rows on (X, y) (summed
    loss and number correct), ``save_best`` rows as models' checkpoints, ``keep`` only some
    rows, give a ``scorer`` of a row and the ``result_model`` of a model. A model that has
    finished is dropped, so it stops changing while the others continue; ``wall_time_s`` of a
    model is the group's elapsed time when it finished.
    """
    Xtr, ytr, Xva, yva = tensors
    n, n_models = len(ytr), len(seeds)
    # inside resume.resumable (the runner's store entries) the loop checkpoints and resumes
    slot = resume.slot(_signature(group, tensors, config, seeds, model_configs, track, perturb))
    saved = slot.load(Xtr.device) if slot is not None else None
    if saved is not None and saved["done"]:  # this group finished before the pause
        return [_restored(r) for r in saved["results"]]
    orders = [order_generator(s) for s in seeds]
    schedules = [_Schedule(c) for c in (model_configs or [config] * n_models)]
    best_val = np.full(n_models, -math.inf)
    selected = np.zeros(n_models, dtype=np.int64)
    rows: list[list[dict]] = [[] for _ in seeds]
    results: list[TrainResult | None] = [None] * n_models
    active = list(range(n_models))  # model id of each row of the stack
    perms, pos, update = None, n, 0
    bar = _progress(config, progress, desc)

    def evaluate(stack_rows: list[int]) -> None:
        loss, correct = group.evaluate(stack_rows, Xtr, ytr)
        if len(yva):
            val = group.evaluate(stack_rows, Xva, yva)[1] / len(yva)
        else:
            val = np.full(len(stack_rows), math.nan)
        improved = []
        for j, r in enumerate(stack_rows):
            m = active[r]
            row = dict(update=update, train_loss=loss[j] / n, train_accuracy=correct[j] / n,
                       val_accuracy=val[j])
            finite = math.isfinite(row["train_loss"])
            if track is not None and finite:  # a diverged model's scores are NaN
                row.update(track(group.scorer(r)))
            rows[m].append(row)
            score = -math.inf if math.isnan(val[j]) else val[j]  # empty val: all tie
            if finite and score >= best_val[m]:
                best_val[m], selected[m] = score, update
                improved.append((m, r))
            schedules[m].observe(update, row["train_loss"], row["train_accuracy"])
        if improved:
            group.save_best([m for m, _ in improved], [r for _, r in improved])
        acc = np.mean([rows[active[r]][-1]["train_accuracy"] for r in stack_rows])
        bar.set_postfix(active=len(active), mean_train_acc=f"{acc:.4f}")

    def finish(done_rows: list[int]) -> None:
        nonlocal active, perms
        elapsed = time.perf_counter() - start_time
        for r in done_rows:
            m = active[r]
            model, sched = group.result_model(m), schedules[m]
            results[m] = TrainResult(
                model=model, scorer=as_scorer(model), seed=seeds[m], updates=update,
                stop_update=sched.stop_update,
                converged=sched.stop_update is not None and not sched.diverged,
                history=pd.DataFrame(rows[m]), wall_time_s=elapsed,
                selected_update=int(selected[m]), diverged=sched.diverged)
        keep = [r for r in range(len(active)) if r not in set(done_rows)]
        if keep and len(keep) < len(active):
            keep_t = torch.tensor(keep, device=Xtr.device)
            group.keep(keep_t)
            perms = perms[keep_t] if perms is not None else None
        active = [active[r] for r in keep]

    def state(done: bool = False) -> dict:
        """Everything the loop needs to go on (a model's result without its scorer, a
        closure that ``_restored`` rebuilds)."""
        kept = [None if r is None else dataclasses.replace(r, scorer=None) for r in results]
        if done:
            return dict(done=True, results=kept)
        return dict(done=False, results=kept, group=group, schedules=schedules,
                    orders=[g.get_state() for g in orders], best_val=best_val,
                    selected=selected, rows=rows, active=active, perms=perms, pos=pos,
                    update=update, elapsed=time.perf_counter() - start_time,
                    rng=_rng_states(Xtr.device, perturb))

    if saved is None:
        evaluate(list(range(n_models)))
        finish([r for r, m in enumerate(active) if schedules[m].finished(update)])
    else:  # resume: the loop's state as saved, then on as if never stopped
        for attr in ("device", "chunk"):  # this run's machine, not the checkpoint's
            if hasattr(group, attr):
                setattr(saved["group"], attr, getattr(group, attr))
        group, schedules, best_val, selected, rows, active, perms, pos, update = (
            saved[k] for k in ("group", "schedules", "best_val", "selected", "rows", "active",
                               "perms", "pos", "update"))
        results = [None if r is None else _restored(r) for r in saved["results"]]
        for g, s in zip(orders, saved["orders"]):
            g.set_state(s.cpu())
        _set_rng_states(saved["rng"], Xtr.device, perturb)
        start_time = time.perf_counter() - saved["elapsed"]
        bar.update(update)
    while active:
        if pos >= n:  # a new epoch for every active model, each from its own stream
            perms = torch.stack([torch.randperm(n, generator=orders[m]) for m in active])
            perms, pos = perms.to(Xtr.device), 0
        idx = perms[:, pos:pos + config.batch_size].reshape(-1)
        pos += config.batch_size
        # index_select: a row gather several times faster than Xtr[idx] on the CPU
        xb = Xtr.index_select(0, idx).view(len(active), -1, *Xtr.shape[1:])
        yb = ytr.index_select(0, idx).view(len(active), -1)
        if perturb is not None:  # adversarial training: each batch replaced by its attack
            xb = perturb(group.attack_logits, xb, yb, list(active)).detach()
        group.step(xb, yb)
        update += 1
        if config.lr_decay_every and update % config.lr_decay_every == 0:
            group.decay_lr(config.lr_decay)
        # a model whose step loss became NaN or infinite is evaluated (and ended) at once
        finite = group.finite_rows().tolist()
        due = [r for r, m in enumerate(active) if schedules[m].due(update) or not finite[r]]
        if due:
            bar.update(update - bar.n)
            evaluate(due)
            finish([r for r in due if schedules[active[r]].finished(update)])
        if slot is not None and active:
            try:
                slot.tick(update, state)
            except resume.Paused:
                bar.close()
                raise
    bar.close()
    if slot is not None:
        slot.try_save(state(done=True))
    diverged = [r for r in results if r is not None and r.diverged]
    if diverged:
        warnings.warn(
            f"training diverged for {len(diverged)} of {n_models} model(s) (seed "
            f"{', '.join(str(r.seed) for r in diverged[:5])}{', ...' if len(diverged) > 5 else ''}"
            f", first at update {min(r.updates for r in diverged)}): the loss became NaN or "
            f"infinite, so each stopped there, marked diverged (a smaller lr may help)",
            RuntimeWarning, stacklevel=3)
    return results  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# One model of any kind: fit (and train, fit of a fresh FCN)
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


class _OneModule:
    """A group of one: an nn.Module trained by torch.optim (see _run_group)."""

    def __init__(self, model: nn.Module, config: TrainConfig, device, chunk: int):
        self.model, self.device, self.chunk = model, device, chunk
        self.optimizer = _make_optimizer([p for p in model.parameters() if p.requires_grad],
                                         config)
        self.best = self._state()

    def _state(self) -> dict:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def step(self, xb, yb) -> None:
        if not self.model.training:  # evaluation, attacks and scorers switch to eval mode
            self.model.train()
        loss = nn.functional.cross_entropy(self.model(xb[0]), yb[0])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.last_loss = loss.detach()

    def finite_rows(self) -> torch.Tensor:
        return torch.isfinite(self.last_loss).view(1)

    def attack_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(1, b, 2) logits of the model in eval mode on x (1, b, ...), differentiable in x."""
        self.model.eval()
        return self.model(x[0]).unsqueeze(0)

    def evaluate(self, stack_rows, X, y):
        self.model.eval()
        loss, correct = _evaluate_module(self.model, X, y, self.chunk)
        return np.array([loss]), np.array([correct])

    def save_best(self, model_ids, stack_rows) -> None:
        self.best = self._state()

    def decay_lr(self, factor: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] *= factor

    def keep(self, stack_rows) -> None:  # never called: a group of one ends with its model
        raise AssertionError("a group of one has nothing to keep")

    def scorer(self, stack_row):
        return as_scorer(self.model, self.device)

    def result_model(self, model_id) -> nn.Module:
        self.model.load_state_dict(self.best)
        return self.model.cpu().eval()


def fit(model: nn.Module, data, config: TrainConfig, seed: int = 0, device: str = "cpu",
        track=None, progress: bool = True, perturb=None) -> TrainResult:
    """Train any nn.Module that maps a batch of inputs to (n, 2) logits on data.train.

    ``data`` is any object with ``.train`` and ``.val`` splits of numpy ``X`` (n, ...): vectors,
    images (n, C, H, W) or sequences (n, T, F), as the model takes them, and labels ``y`` (n,)
    in {0, 1}. ``seed`` sets the data order (and any randomness inside the model, such as
    dropout); the caller builds and initialises the model. The model is copied, so the caller's
    module is left as it was; the result holds the selected checkpoint on the CPU. Semantics
    as in the module docstring. ``train`` (every chapter's FCNs) is fit of a fresh FCN; use fit
    directly for other architectures.

    ``perturb``: adversarial training. A callable (logits, xb, yb, models) -> xb' (such as
    ``sbcore.attacks.PGDAdversary``) that replaces every minibatch before its step: ``logits``
    maps inputs (rows, b, ...) to (rows, b, 2) in eval mode, differentiable in the inputs, and
    ``models`` are the model ids of the rows (a group of one: [0]). Evaluation, the stop rule
    and model selection stay on clean data. ``train_many`` and ``fit_many`` take it too.
    """
    start_time = time.perf_counter()
    _check_module("model", model)
    _check_run(data, config, device)
    check_input_size("model", input_size(model), data.train.X.shape[1:])
    seed = check_seed(seed)
    _check_reporting(track, progress)
    _check_perturb(perturb, 1)
    tensors = _tensors(data, device)
    model = copy.deepcopy(model).to(device)
    _check_output("model", model, tensors[0])
    chunk = _eval_chunk(device, 1, _row_floats(model, tensors[0]))
    with _model_rng(seed, device):
        group = _OneModule(model, config, device, chunk)
        return _run_group(group, tensors, config, [seed], track, progress,
                          f"train seed {seed}", start_time, perturb=perturb)[0]


def train(data: SlabData, width: int, depth: int, config: TrainConfig, seed: int,
          device: str = "cpu", track=None, progress: bool = True) -> TrainResult:
    """Train one (width, depth)-FCN on data.train with a plain nn.Module and torch.optim: fit of
    the FCN that ``init_fcn`` gives for this seed. The reference that ``train_many`` matches."""
    _check_fcn_inputs(data, width, depth)
    _check_run(data, config, device)
    seed = check_seed(seed)
    _check_reporting(track, progress)
    return fit(init_fcn(data.d, width, depth, seed), data, config, seed, device, track,
               progress)


# --------------------------------------------------------------------------------------------
# Many models of one shape, vectorised
# --------------------------------------------------------------------------------------------

def train_many(data: SlabData, width: int, depth: int, config: TrainConfig, seeds: list[int],
               device: str = "cpu", track=None, progress: bool = True,
               perturb=None) -> list[TrainResult]:
    """Train one (width, depth)-FCN per seed, all together as stacked tensors (the extreme-SB
    study's seeds of one model). Each model has its own init, data order, stop rule and
    patience, as ``train`` with its seed; see _run_group for how the group runs.
    """
    _check_fcn_inputs(data, width, depth)
    _check_run(data, config, device)
    seeds = _check_seeds(seeds)
    _check_reporting(track, progress)
    _check_perturb(perturb, len(seeds))
    start_time = time.perf_counter()
    tensors = _tensors(data, device)
    params = batched.stack_fcns([init_fcn(data.d, width, depth, s) for s in seeds], device)
    group = batched.FCNStack(params, config, (data.d, width, depth),
                             _eval_chunk(device, len(seeds), width))
    return _run_group(group, tensors, config, seeds, track, progress,
                      f"train {len(seeds)} models", start_time, perturb=perturb)


def fit_many(models: list[nn.Module], data, config: TrainConfig, seeds: list[int],
             device: str = "cpu", track=None, progress: bool = True,
             perturb=None) -> list[TrainResult]:
    """Train several small models of one architecture together, models[i] with seeds[i]'s data
    order, through torch.func (stack_module_state, functional_call, vmap): model i matches
    ``fit(models[i], data, config, seeds[i])`` up to float rounding. For seeds of the CNNs, GRUs
    and FCNs with options of ``sbcore.models`` (plain ReLU FCNs have the faster
    ``train_many``).

    Dropout (any random op in training mode) is drawn per model under vmap's
    ``randomness="different"``, from a stream seeded by seeds[0]: a group of one draws fit's
    masks, but in a larger group the masks of model i depend on the group (its init and data
    order do not), so such a model matches fit in distribution, not bitwise; see
    ``sbcore.training.vmapped``. The forward pass must not update buffers in training mode:
    vmap refuses batch norm's running statistics (use ``fit`` for such models). Every optimiser
    of TrainConfig is supported (``stacked.StackedOptimizer``).
    """
    from sbcore.training.vmapped import ModuleStack  # torch.func is only needed here

    start_time = time.perf_counter()
    seeds = check_group(models, data, config, seeds, device)
    _check_reporting(track, progress)
    _check_perturb(perturb, len(seeds))
    tensors = _tensors(data, device)
    row_floats = _row_floats(models[0], tensors[0])
    group = ModuleStack(models, config, device, _eval_chunk(device, len(models), row_floats))
    _check_output("models[0]", group.template, tensors[0])
    with _model_rng(seeds[0], device):
        return _run_group(group, tensors, config, seeds, track, progress,
                          f"train {len(seeds)} models", start_time, perturb=perturb)


# The settings a grid of train_grid may vary per model; all others must agree.
GRID_SETTINGS = ("lr", "momentum", "weight_decay")


def train_grid(data: SlabData, width: int, depth: int, configs: list[TrainConfig],
               seeds: list[int], device: str = "cpu", progress: bool = True) -> list[TrainResult]:
    """Train one (width, depth)-FCN per (config, seed) pair, configs[i] with seeds[i]: a grid of
    SGD settings vectorised over models (chapter "Simplicity bias can hurt generalisation").

    Models with the same batch size train together as one stack in which each has its own
    learning rate, momentum and weight decay (``GRID_SETTINGS``); every other setting must agree
    across the grid. Model i matches ``train(data, width, depth, configs[i], seeds[i])`` up to
    float rounding: same init, data order, stop rule, divergence rule and checkpoint selection.
    """
    _check_fcn_inputs(data, width, depth)
    if not isinstance(configs, (list, tuple)):
        raise ParameterTypeError(f"configs must be a non-empty list of TrainConfigs, got "
                                 f"{type(configs).__name__}")
    if len(configs) == 0:
        raise ValueError("configs must be a non-empty list of TrainConfigs, got an empty one")
    for config in configs:
        _check_run(data, config, device)
    seeds = _check_seeds(seeds)
    _check_reporting(None, progress)
    if len(seeds) != len(configs):
        raise ValueError(f"seeds must give one seed per config: {len(configs)} configs, "
                         f"{len(seeds)} seeds")
    shared = [k for k in configs[0].as_dict() if k not in GRID_SETTINGS + ("batch_size",)]
    for i, config in enumerate(configs):
        if config.optimizer != "sgd":
            raise ValueError(f"configs[{i}].optimizer must be 'sgd' for train_grid, got "
                             f"{config.optimizer!r}")
        differ = [k for k in shared if getattr(config, k) != getattr(configs[0], k)]
        if differ:
            raise ValueError(f"configs[{i}] differs from configs[0] in {', '.join(differ)}; a "
                             f"grid may vary only {', '.join(GRID_SETTINGS)} and batch_size")
    start_time = time.perf_counter()
    tensors = _tensors(data, device)
    results: list[TrainResult | None] = [None] * len(configs)
    for batch in sorted({c.batch_size for c in configs}):
        ids = [i for i, c in enumerate(configs) if c.batch_size == batch]
        group_configs = [configs[i] for i in ids]
        params = batched.stack_fcns([init_fcn(data.d, width, depth, seeds[i]) for i in ids],
                                    device)
        per_model = {k: [getattr(c, k) for c in group_configs] for k in GRID_SETTINGS}
        group = batched.FCNStack(params, group_configs[0], (data.d, width, depth),
                                 _eval_chunk(device, len(ids), width), per_model)
        out = _run_group(group, tensors, group_configs[0], [seeds[i] for i in ids], None,
                         progress, f"grid batch {batch}: {len(ids)} models", start_time,
                         group_configs)
        for i, r in zip(ids, out):
            results[i] = r
    return results  # type: ignore[return-value]
