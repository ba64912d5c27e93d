"""Benchmark: N of the paper's deeper CNNs and GRUs ((32,7,2)-CNN, (100,10,2)-GRU) on LMS-5
(d = 50), each trained alone on the CPU three ways, for a fixed number of updates: one after
another in one torch thread, one after another in all the machine's threads, and spread over
processes of one thread each (``fit_each(workers=...)``, the toolbox's CPU path).

The three are timed in one run, because on a shared machine only ratios measured side by side
mean anything. For each family it prints the wall times, the ratios against one thread, and
checks that the processes give every model the same updates and accuracies as one thread.

    .venv/bin/python benchmarks/fit_each.py                 # defaults below
    .venv/bin/python benchmarks/fit_each.py --workers 4     # on a machine with more cores

The "CPU time" printed for the processes is the parent's alone (the children's is not
counted): read the wall-time ratios. Measured on the 2-core development CPU (4 models, 1,000
updates, 2 processes): the (32,7,2)-CNN 1.84x faster than one thread (two threads in one
process: 1.70x), the (100,10,2)-GRU 1.76x (two threads: 1.21x), the same updates and
accuracies to the last digit. At 300 updates the processes' start (importing torch in each)
cuts the gain to 1.4x.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform

import torch
from _compare import compare, timed

from sbcore.data import make_dataset
from sbcore.models import ModelSpec
from sbcore.training import TrainConfig, fit, fit_each

LABELS = ("(32,7,2)-CNN", "(100,10,2)-GRU")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=4)
    ap.add_argument("--updates", type=int, default=300)
    ap.add_argument("--n-train", type=int, default=10_000)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    args = ap.parse_args(argv)

    data = make_dataset("lms-5", n_train=args.n_train, n_val=1_000, n_test=2_000, d=50, seed=0)
    # a stop rule so strict that every model runs exactly --updates updates
    config = TrainConfig(optimizer="sgd", lr=0.1, batch_size=256, momentum=0.0,
                         weight_decay=5e-5, stop="accuracy", eps=1e-6, patience=10**6,
                         max_updates=args.updates, eval_every=args.eval_every)
    seeds = list(range(args.models))
    threads = torch.get_num_threads()
    print(f"LMS-5: d=50, n_train={args.n_train}; {config}")
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, {threads} threads, "
          f"cpu={platform.processor() or platform.machine()}, workers={args.workers}")
    status = 0
    for label in LABELS:
        spec = ModelSpec.parse(label)

        def models(spec=spec):
            return [spec.build(50, s) for s in seeds]

        print(f"\n{len(seeds)} x {label}")
        fit(models()[0], data, dataclasses.replace(config, max_updates=3, eval_every=1), 0,
            progress=False)  # warm-up, untimed: torch.optim's first step imports torch._dynamo
        _, t_threads, _ = timed(lambda: fit_each(models(), data, config, seeds, workers=1))
        torch.set_num_threads(1)
        status |= compare(lambda: fit_each(models(), data, config, seeds, workers=1),
                          lambda: fit_each(models(), data, config, seeds, workers=args.workers),
                          ("one thread, one after another", f"{args.workers} processes"),
                          len(seeds), data.test)
        torch.set_num_threads(threads)
        print(f"one after another in {threads} threads: {t_threads:.1f} s wall")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
