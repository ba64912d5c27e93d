"""Train each model of a group alone (``fit``), spread over CPU processes.

On a CPU, stacking small CNNs or GRUs into one batched model (``fit_many``) does not pay
(benchmarks/stacked_cnn_gru.py), and one torch process uses a second core poorly for a GRU.
Separate processes, one torch thread each, use every core: on the 2-core development machine
(benchmarks/fit_each.py, 4 models, 1,000 updates each) two processes ran 1.76x faster than
one thread for the (100,10,2)-GRU, where two threads in one process gave 1.21x (the
(32,7,2)-CNN: 1.84x and 1.70x). That is what lets a paper-scale toolbox entry (5 seeds, up
to 100,000 updates each) fit a working session on a CPU. The number of processes comes from
``$SB_CPU_WORKERS`` (default 1: the book already executes two chapters at a time, one
thread each), which ``python -m sbcore.run_experiments --cpu-workers N`` sets.

Used by the toolbox chapter (05_toolbox) through ``sbcore.studies.toolbox.study``.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from torch import nn

from sbcore.checks import check_int
from sbcore.training import resume

CPU_WORKERS_ENV = "SB_CPU_WORKERS"


def cpu_workers(value: str | None = None, name: str = CPU_WORKERS_ENV) -> int:
    """The processes ``fit_each`` may use on a CPU: ``value`` (a command-line string, refused
    under ``name``) or else ``$SB_CPU_WORKERS``, default 1."""
    raw = os.environ.get(CPU_WORKERS_ENV, "1") if value is None else value
    if not isinstance(raw, str):  # a number from Python: int() would truncate 2.5 to 2
        return check_int(name, raw)
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return n


def fit_each(models: list[nn.Module], data, config, seeds: list[int], device: str = "cpu",
             workers: int | None = None) -> list:
    """Train models[i] alone with seeds[i] (``fit``, no progress bar) and return their
    TrainResults in that order. On the CPU with ``workers`` > 1 (default: ``cpu_workers()``)
    the models train in up to that many processes of one torch thread each; each result then
    equals its ``fit`` in one thread, up to float rounding. Elsewhere, one after another."""
    from sbcore.training.trainer import check_group

    workers = cpu_workers() if workers is None else check_int("workers", workers)
    seeds = check_group(models, data, config, seeds, device)  # here, not in each process
    n = len(models)
    plans = resume.plans(n)  # each model's own checkpoints, whichever process trains it
    if workers == 1 or device != "cpu" or n < 2:
        return [_fit_alone(m, data, config, s, device, p)
                for m, s, p in zip(models, seeds, plans)]
    # spawn, not fork: a forked child of a process that has run torch can deadlock in its
    # thread pool, and a Jupyter kernel is such a process
    with ProcessPoolExecutor(min(workers, n), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_one_thread) as pool:
        futures = [pool.submit(_fit_alone, m, data, config, s, device, p)
                   for m, s, p in zip(models, seeds, plans)]
        try:
            return [f.result() for f in futures]
        except BaseException:  # a model paused or failed: start no other
            pool.shutdown(cancel_futures=True)
            raise


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _fit_alone(model, data, config, seed, device="cpu", plan=None):
    """fit, resumable from its own folder when ``plan`` (``resume.plans``) gives one."""
    from sbcore.training.trainer import fit

    if plan is None:
        return fit(model, data, config, seed, device=device, progress=False)
    with resume.resumable(*plan):
        return fit(model, data, config, seed, device=device, progress=False)
