"""Training: one trainer for any model (``fit``), the paper's (w, d)-FCNs (``train``), and many
models of one shape trained together (``train_many`` for FCNs, ``fit_many`` for any small model).

Semantics (App. B of the paper and the official notebooks' loop, with the paper profile's
choices, ``sbcore.profiles.PAPER_CHOICES``):

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

All of them run the same loop (``loop.Loop``) over a group of models, each with its own data
order, schedule and checkpoint; only the way a group steps and evaluates differs (its
backend, ``backend.Backend``): ``fit`` (and ``train``, which is ``fit`` of a fresh FCN) a group
of one nn.Module with torch.optim (``one_module``); ``train_many`` and ``train_grid`` stacked
FCN tensors with a hand-written backward pass (``stacked``); ``fit_many`` the stacked
parameters of any module through torch.func.vmap (``vmapped``), or each model alone over CPU
processes (``fit_each``). The stacked optimisers (``optim``) follow torch.optim's update rules
elementwise, so model i of a group matches the model trained alone with seeds[i] up to float
rounding.
"""

from __future__ import annotations

import copy
import math
import time

import torch
from torch import nn

from sbcore.checks import (
    ParameterTypeError,
    check_choice,
    check_input_size,
    check_int,
    check_seed,
    input_size,
)
from sbcore.data import SlabData
from sbcore.models import FCN
from sbcore.training import resume
from sbcore.training.checks import (
    check_fcn_inputs,
    check_group,
    check_objective,
    check_output,
    check_perturb,
    check_reporting,
    check_run,
    check_seeds,
    check_trainable,
)
from sbcore.training.config import TrainConfig
from sbcore.training.loop import Loop
from sbcore.training.one_module import _OneModule
from sbcore.training.parallel import cpu_workers, in_processes
from sbcore.training.result import TrainResult
from sbcore.training.schedule import Schedule
from sbcore.training.seeding import init_fcn, model_rng
from sbcore.training.stacked import FCNStack, stack_fcns
from sbcore.training.vmapped import ModuleStack

# A checkpoint names each object's class by its module: those written before the trainer was
# split into modules name TrainConfig, TrainResult, _OneModule and _Schedule as classes of this one.
_Schedule = Schedule

# Activation floats per input float, guessed for models other than the FCN (whose widest
# activation is its width): conv and sequence layers widen their input by a few channels.
_ACTIVATIONS_PER_INPUT = 16
# How fit_many trains its group: stacked through torch.func ("stack"), each model alone by fit
# ("each": over CPU processes, $SB_CPU_WORKERS), or "auto": alone on a CPU, where stacking
# CNNs and GRUs does not pay (``sbcore.training.parallel``), stacked elsewhere.
BACKENDS = ("stack", "each", "auto")
# The settings a grid of train_grid may vary per model; all others must agree.
GRID_SETTINGS = ("lr", "momentum", "weight_decay")


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


def _run_group(group, tensors, config: TrainConfig, seeds: list[int], track, progress: bool,
               desc: str, start_time: float, model_configs: list[TrainConfig] | None = None,
               perturb=None) -> list[TrainResult]:
    """The one loop (``loop.Loop``) over a group; every entry point below ends here."""
    return Loop(group, tensors, config, seeds, track, progress, desc, start_time,
                model_configs, perturb).run()


# --------------------------------------------------------------------------------------------
# One model: fit (any nn.Module) and train (fit of a fresh FCN)
# --------------------------------------------------------------------------------------------

def fit(model: nn.Module, data, config: TrainConfig, seed: int = 0, device: str = "cpu",
        track=None, progress: bool = True, perturb=None, objective=None) -> TrainResult:
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

    ``objective``: what each step minimises instead of the minibatch's mean cross-entropy, a
    callable (model, xb, yb) -> scalar loss tensor (the model in training mode); a method that
    avoids simplicity bias adds its penalty here (``sbcore.testbed``). Evaluation, the stop rule
    and model selection still read the cross-entropy and accuracy. Its ``name`` (else its
    class's) is part of what a checkpoint must match to resume.
    """
    start_time = time.perf_counter()
    check_trainable("model", model)
    check_objective(objective)
    check_run(data, config, device)
    check_input_size("model", input_size(model), data.train.X.shape[1:])
    seed = check_seed(seed)
    check_reporting(track, progress)
    check_perturb(perturb, 1)
    tensors = _tensors(data, device)
    model = copy.deepcopy(model).to(device)
    check_output("model", model, tensors[0])
    chunk = _eval_chunk(device, 1, _row_floats(model, tensors[0]))
    with model_rng(seed, device):
        group = _OneModule(model, config, device, chunk, objective)
        return _run_group(group, tensors, config, [seed], track, progress,
                          f"train seed {seed}", start_time, perturb=perturb)[0]


def train(data: SlabData, width: int, depth: int, config: TrainConfig, seed: int,
          device: str = "cpu", track=None, progress: bool = True) -> TrainResult:
    """Train one (width, depth)-FCN on data.train with a plain nn.Module and torch.optim: fit of
    the FCN that ``init_fcn`` gives for this seed. The reference that ``train_many`` matches."""
    check_fcn_inputs(data, width, depth)
    check_run(data, config, device)
    seed = check_seed(seed)
    check_reporting(track, progress)
    return fit(init_fcn(data.d, width, depth, seed), data, config, seed, device, track,
               progress)


# --------------------------------------------------------------------------------------------
# Many models of one shape: stacked (train_many, fit_many, train_grid) or each alone (fit_each)
# --------------------------------------------------------------------------------------------

def train_many(data: SlabData, width: int, depth: int, config: TrainConfig, seeds: list[int],
               device: str = "cpu", track=None, progress: bool = True,
               perturb=None) -> list[TrainResult]:
    """Train one (width, depth)-FCN per seed, all together as stacked tensors (the extreme-SB
    study's seeds of one model). Each model has its own init, data order, stop rule and
    patience, as ``train`` with its seed; see ``loop.Loop`` for how the group runs.
    """
    check_fcn_inputs(data, width, depth)
    check_run(data, config, device)
    seeds = check_seeds(seeds)
    check_reporting(track, progress)
    check_perturb(perturb, len(seeds))
    start_time = time.perf_counter()
    tensors = _tensors(data, device)
    params = stack_fcns([init_fcn(data.d, width, depth, s) for s in seeds], device)
    group = FCNStack(params, config, (data.d, width, depth),
                     _eval_chunk(device, len(seeds), width))
    return _run_group(group, tensors, config, seeds, track, progress,
                      f"train {len(seeds)} models", start_time, perturb=perturb)


def fit_many(models: list[nn.Module], data, config: TrainConfig, seeds: list[int],
             device: str = "cpu", track=None, progress: bool = True, perturb=None,
             backend: str = "stack") -> list[TrainResult]:
    """Train several small models of one architecture, models[i] with seeds[i]'s data order:
    model i matches ``fit(models[i], data, config, seeds[i])`` up to float rounding. For seeds
    of the CNNs, GRUs and FCNs with options of ``sbcore.models`` (plain ReLU FCNs have the
    faster ``train_many``).

    ``backend`` (``BACKENDS``): ``"stack"`` trains them together through torch.func
    (stack_module_state, functional_call, vmap); ``"each"`` each alone (``fit_each``, over
    ``$SB_CPU_WORKERS`` processes on a CPU; no progress bar, no ``track`` or ``perturb``);
    ``"auto"`` each alone on a CPU, where that is as fast or faster (2.8x for three
    (100,2)-FCNs, 1.0x for CNNs, 1.2x for GRUs: benchmarks/stacked_cnn_gru.py), stacked
    elsewhere.

    Stacked, dropout (any random op in training mode) is drawn per model under vmap's
    ``randomness="different"``, from a stream seeded by seeds[0]: a group of one draws fit's
    masks, but in a larger group the masks of model i depend on the group (its init and data
    order do not), so such a model matches fit in distribution, not bitwise; see
    ``sbcore.training.vmapped``. The forward pass must not update buffers in training mode:
    vmap refuses batch norm's running statistics (use ``fit`` for such models). Every optimiser
    of TrainConfig is supported (``optim.StackedOptimizer``).
    """
    check_choice("backend", backend, BACKENDS)
    if backend == "each" or (backend == "auto" and str(device) == "cpu"):
        for name, value in (("track", track), ("perturb", perturb)):
            if value is not None:
                raise ValueError(f"{name} needs fit_many's backend 'stack' (backend "
                                 f"{backend!r} on {device} trains each model alone in a "
                                 f"process of its own)")
        return fit_each(models, data, config, seeds, device)
    start_time = time.perf_counter()
    seeds = check_group(models, data, config, seeds, device)
    check_reporting(track, progress)
    check_perturb(perturb, len(seeds))
    tensors = _tensors(data, device)
    row_floats = _row_floats(models[0], tensors[0])
    group = ModuleStack(models, config, device, _eval_chunk(device, len(models), row_floats))
    check_output("models[0]", group.template, tensors[0])
    with model_rng(seeds[0], device):
        return _run_group(group, tensors, config, seeds, track, progress,
                          f"train {len(seeds)} models", start_time, perturb=perturb)


def train_grid(data: SlabData, width: int, depth: int, configs: list[TrainConfig],
               seeds: list[int], device: str = "cpu", progress: bool = True) -> list[TrainResult]:
    """Train one (width, depth)-FCN per (config, seed) pair, configs[i] with seeds[i]: a grid of
    SGD settings vectorised over models (chapter "Simplicity bias can hurt generalisation").

    Models with the same batch size train together as one stack in which each has its own
    learning rate, momentum and weight decay (``GRID_SETTINGS``); every other setting must agree
    across the grid. Model i matches ``train(data, width, depth, configs[i], seeds[i])`` up to
    float rounding: same init, data order, stop rule, divergence rule and checkpoint selection.
    """
    check_fcn_inputs(data, width, depth)
    _check_grid(data, configs, device)
    seeds = check_seeds(seeds)
    check_reporting(None, progress)
    if len(seeds) != len(configs):
        raise ValueError(f"seeds must give one seed per config: {len(configs)} configs, "
                         f"{len(seeds)} seeds")
    start_time = time.perf_counter()
    tensors = _tensors(data, device)
    results: list[TrainResult | None] = [None] * len(configs)
    for batch in sorted({c.batch_size for c in configs}):
        ids = [i for i, c in enumerate(configs) if c.batch_size == batch]
        group_configs = [configs[i] for i in ids]
        params = stack_fcns([init_fcn(data.d, width, depth, seeds[i]) for i in ids], device)
        per_model = {k: [getattr(c, k) for c in group_configs] for k in GRID_SETTINGS}
        group = FCNStack(params, group_configs[0], (data.d, width, depth),
                         _eval_chunk(device, len(ids), width), per_model)
        out = _run_group(group, tensors, group_configs[0], [seeds[i] for i in ids], None,
                         progress, f"grid batch {batch}: {len(ids)} models", start_time,
                         group_configs)
        for i, r in zip(ids, out):
            results[i] = r
    return results  # type: ignore[return-value]


def _check_grid(data, configs, device) -> None:
    """A grid: a non-empty list of valid SGD TrainConfigs that differ only in GRID_SETTINGS
    and the batch size."""
    if not isinstance(configs, (list, tuple)):
        raise ParameterTypeError(f"configs must be a non-empty list of TrainConfigs, got "
                                 f"{type(configs).__name__}")
    if len(configs) == 0:
        raise ValueError("configs must be a non-empty list of TrainConfigs, got an empty one")
    for config in configs:
        check_run(data, config, device)
    shared = [k for k in configs[0].as_dict() if k not in GRID_SETTINGS + ("batch_size",)]
    for i, config in enumerate(configs):
        if config.optimizer != "sgd":
            raise ValueError(f"configs[{i}].optimizer must be 'sgd' for train_grid, got "
                             f"{config.optimizer!r}")
        differ = [k for k in shared if getattr(config, k) != getattr(configs[0], k)]
        if differ:
            raise ValueError(f"configs[{i}] differs from configs[0] in {', '.join(differ)}; a "
                             f"grid may vary only {', '.join(GRID_SETTINGS)} and batch_size")


def fit_each(models: list[nn.Module], data, config, seeds: list[int], device: str = "cpu",
             workers: int | None = None) -> list:
    """Train models[i] alone with seeds[i] (``fit``, no progress bar) and return their
    TrainResults in that order. On the CPU with ``workers`` > 1 (default: ``cpu_workers()``)
    the models train in up to that many processes of one torch thread each
    (``parallel.in_processes``); each result then equals its ``fit`` in one thread, up to
    float rounding. Elsewhere, one after another."""
    workers = cpu_workers() if workers is None else check_int("workers", workers)
    seeds = check_group(models, data, config, seeds, device)  # here, not in each process
    # each model's own checkpoints, whichever process trains it
    calls = [(m, data, config, s, device, p)
             for m, s, p in zip(models, seeds, resume.plans(len(models)))]
    if workers == 1 or device != "cpu" or len(models) < 2:
        return [_fit_alone(*call) for call in calls]
    return in_processes(_fit_alone, calls, workers)


def _fit_alone(model, data, config, seed, device="cpu", plan=None):
    """fit, resumable from its own folder when ``plan`` (``resume.plans``) gives one."""
    if plan is None:
        return fit(model, data, config, seed, device=device, progress=False)
    with resume.resumable(*plan):
        return fit(model, data, config, seed, device=device, progress=False)
