"""Benchmark: a grid of SGD settings (learning rate x momentum x weight decay, one batch size)
for one FCN on noisy LMS-7, trained one point after another with train() versus together with
train_grid() (chapter 09_generalisation).

Prints both wall times, their ratio, and checks that every point ends at the same update with
the same accuracies either way.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_grid.py          # defaults below
    .venv/bin/python benchmarks/train_grid.py --device cuda --batch 4     # on a GPU
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import platform

import numpy as np
import torch
from _compare import summary, timed

from sbcore.data import make_dataset
from sbcore.training import TrainConfig, train, train_grid


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=8_000)
    ap.add_argument("--d", type=int, default=20)
    ap.add_argument("--width", type=int, default=100)
    ap.add_argument("--depth", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--max-updates", type=int, default=1_000)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)

    data = make_dataset("noisy-lms-7", n_train=args.n_train, n_val=1_000, n_test=2_000,
                        d=args.d, p=0.1, seed=0)
    # the paper's grid at one batch size: 5 learning rates x 3 weight decays x 3 momenta
    grid = list(itertools.product([0.001, 0.01, 0.05, 0.1, 0.3], [0.0, 5e-5, 5e-4],
                                  [0.0, 0.9, 0.95]))
    configs = [TrainConfig(lr=lr, batch_size=args.batch, weight_decay=wd, momentum=m,
                           stop="loss", eps=0.01, patience=0, max_updates=args.max_updates,
                           eval_every=args.eval_every) for lr, wd, m in grid]
    seeds = [0] * len(configs)
    print(f"noisy LMS-7 (p = 0.1), d={args.d}: n_train={args.n_train}; "
          f"{len(configs)} grid points x ({args.width},{args.depth})-FCN at batch {args.batch}, "
          f"at most {args.max_updates} updates")
    print(f"device={args.device}, torch {torch.__version__}, threads={torch.get_num_threads()}, "
          f"cpu={platform.processor() or platform.machine()}")
    warm = [dataclasses.replace(c, max_updates=3, eval_every=1) for c in configs[:2]]
    train(data, args.width, args.depth, warm[0], 0, args.device, progress=False)
    train_grid(data, args.width, args.depth, warm, [0, 0], args.device, progress=False)

    many, t_many, c_many = timed(lambda: train_grid(data, args.width, args.depth, configs, seeds,
                                                    args.device, progress=False))
    single, t_single, c_single = timed(lambda: [
        train(data, args.width, args.depth, c, s, args.device, progress=False)
        for c, s in zip(configs, seeds)])
    a, b = summary(single, data.test), summary(many, data.test)
    same_steps = a.updates.equals(b.updates) and a.stop_update.equals(b.stop_update)
    diff = max(np.abs(a[c] - b[c]).max() for c in ("train_acc", "test_acc"))
    ended = dict(zip(*np.unique(["diverged" if r.diverged else "converged" if r.converged
                                 else "capped" for r in many], return_counts=True)))
    print(f"runs: {ended}")
    print(f"same update counts: {same_steps}; largest accuracy difference: {diff:.2e}")
    print(f"wall time: train x {len(configs)} = {t_single:.1f} s, train_grid = {t_many:.1f} s, "
          f"ratio = {t_single / t_many:.2f}x (CPU time ratio {c_single / c_many:.2f}x)")
    return 0 if same_steps and diff <= 2e-3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
