"""Benchmark: N (100,2)-FCNs on LMS-5 one after another with train() versus together with
train_many(), to the paper's stop rule (train accuracy >= 1 - eps, then patience updates).

Prints both wall times, their ratio, and checks that every model stops at the same update
with the same accuracies either way.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_many.py            # defaults below
    .venv/bin/python benchmarks/train_many.py --threads 2 --device cuda   # on a GPU
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time

import numpy as np
import pandas as pd
import torch

from sbcore.data import make_dataset
from sbcore.reliance import accuracy
from sbcore.training import TrainConfig, train, train_many


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=10)
    ap.add_argument("--n-train", type=int, default=10_000)
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--width", type=int, default=100)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--eps", type=float, default=1e-4, help="stop at train accuracy >= 1 - eps")
    ap.add_argument("--patience", type=int, default=1_000)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--max-updates", type=int, default=20_000)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--skip-sequential", action="store_true",
                    help="only time train_many (e.g. for a quick GPU timing)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    data = make_dataset("lms-5", n_train=args.n_train, n_val=2_000, n_test=2_000, d=args.d,
                        rotate=True, seed=0)
    config = TrainConfig(optimizer="sgd", lr=0.1, batch_size=256, momentum=0.0,
                         weight_decay=5e-5, stop="accuracy", eps=args.eps,
                         patience=args.patience, max_updates=args.max_updates,
                         eval_every=args.eval_every)
    seeds = list(range(args.models))
    print(f"LMS-5, d={args.d}, rotated: n_train={args.n_train}, n_val=2000, n_test=2000")
    print(f"{args.models} x ({args.width},{args.depth})-FCN, {config}")
    print(f"device={args.device}, torch {torch.__version__}, threads={torch.get_num_threads()}, "
          f"cpu={platform.processor() or platform.machine()}")

    def summary(results, how):
        Xte, yte = data.test.X, data.test.y
        return pd.DataFrame([dict(how=how, seed=r.seed, stop_update=r.stop_update,
                                  updates=r.updates, selected=r.selected_update,
                                  train_acc=r.history.train_accuracy.iloc[-1],
                                  val_acc=r.history.val_accuracy.iloc[-1],
                                  test_acc=accuracy(r.scorer(Xte), yte)) for r in results])

    # warm-up, untimed: one-off costs (torch.optim's first step imports torch._dynamo, CUDA
    # context and kernels) would otherwise be charged to whichever runs first
    warm = dataclasses.replace(config, max_updates=3, eval_every=1)
    train(data, args.width, args.depth, warm, 0, device=args.device, progress=False)
    train_many(data, args.width, args.depth, warm, seeds, device=args.device, progress=False)

    t0, c0 = time.perf_counter(), time.process_time()
    many = train_many(data, args.width, args.depth, config, seeds, device=args.device,
                      progress=False)
    t_many, c_many = time.perf_counter() - t0, time.process_time() - c0
    print(f"train_many: {t_many:.1f} s wall, {c_many:.1f} s CPU for {args.models} models "
          f"({max(r.updates for r in many)} updates of the group)")
    if args.skip_sequential:
        return 0
    t0, c0 = time.perf_counter(), time.process_time()
    single = [train(data, args.width, args.depth, config, s, device=args.device, progress=False)
              for s in seeds]
    t_single, c_single = time.perf_counter() - t0, time.process_time() - c0
    print(f"train x {args.models}: {t_single:.1f} s wall, {c_single:.1f} s CPU "
          f"({sum(r.updates for r in single)} updates)")

    a, b = summary(single, "train"), summary(many, "train_many")
    cols = ["seed", "stop_update", "updates", "selected", "train_acc", "val_acc", "test_acc"]
    table = a[cols].merge(b[cols], on="seed", suffixes=("", "_many"))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    same_steps = (a.stop_update.equals(b.stop_update) and a.updates.equals(b.updates))
    max_diff = max(np.abs(a[c] - b[c]).max() for c in ("train_acc", "val_acc", "test_acc"))
    print(f"same stop steps and update counts: {same_steps}; "
          f"largest accuracy difference: {max_diff:.2e}")
    print(f"wall time: train x {args.models} = {t_single:.1f} s, train_many = {t_many:.1f} s, "
          f"ratio = {t_single / t_many:.2f}x (CPU time ratio {c_single / c_many:.2f}x; on a "
          f"busy machine the wall ratio suffers)")
    return 0 if same_steps and max_diff <= 1e-3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
