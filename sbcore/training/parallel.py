"""Calls spread over CPU processes of one torch thread each (``fit_each`` trains its models so).

On a CPU, stacking small CNNs or GRUs into one batched model (``fit_many``) does not pay
(benchmarks/stacked_cnn_gru.py), and one torch process uses a second core poorly for a GRU.
Separate processes, one torch thread each, use every core: on the 2-core development machine
(benchmarks/fit_each.py, 4 models, 1,000 updates each) two processes ran 1.76x faster than
one thread for the (100,10,2)-GRU, where two threads in one process gave 1.21x (the
(32,7,2)-CNN: 1.84x and 1.70x). That is what lets a paper-scale toolbox entry (5 seeds, up
to 100,000 updates each) fit a working session on a CPU. The number of processes comes from
``$SB_CPU_WORKERS`` (default 1: the book already executes two chapters at a time, one
thread each), which ``python -m sbcore.run_experiments --cpu-workers N`` sets.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import torch

from sbcore.checks import check_int

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


def in_processes(fn, calls: list[tuple], workers: int) -> list:
    """``[fn(*args) for args in calls]``, in up to ``workers`` processes of one torch thread
    each (``fn`` a module-level function, so that a process can import it). The first call
    that raises (a pause, a failure) cancels those not yet started."""
    # spawn, not fork: a forked child of a process that has run torch can deadlock in its
    # thread pool, and a Jupyter kernel is such a process
    with ProcessPoolExecutor(min(workers, len(calls)),
                             mp_context=multiprocessing.get_context("spawn"),
                             initializer=_one_thread) as pool:
        futures = [pool.submit(fn, *args) for args in calls]
        try:
            return [f.result() for f in futures]
        except BaseException:  # a model paused or failed: start no other
            pool.shutdown(cancel_futures=True)
            raise


def _one_thread() -> None:
    torch.set_num_threads(1)
