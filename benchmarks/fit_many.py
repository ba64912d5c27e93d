"""Benchmark: N small Conv1d models on LMS-5 (rows as length-d sequences, (n, 1, d)) one after
another with fit() versus together with fit_many() (torch.func vmap), to the stop rule
(train accuracy >= 1 - eps, then patience updates).

Prints both wall times, their ratio, and checks that every model stops at the same update with
the same accuracies either way.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/fit_many.py --threads 1   # defaults below
    .venv/bin/python benchmarks/fit_many.py --device cuda                   # on a GPU
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from sbcore.data import Split, make_dataset
from sbcore.reliance import accuracy
from sbcore.training import TrainConfig, fit, fit_many


class SmallConv(nn.Module):
    """Conv1d(1 -> channels, kernel 5, same length), ReLU, Linear(channels * d -> 2)."""

    def __init__(self, d: int, channels: int):
        super().__init__()
        self.conv = nn.Conv1d(1, channels, 5, padding=2)
        self.out = nn.Linear(channels * d, 2)

    def forward(self, x):
        return self.out(self.conv(x).relu().flatten(1))


def small_conv(d: int, channels: int, seed: int) -> SmallConv:
    """The model of a seed: default init under this seed, global RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return SmallConv(d, channels)


@dataclasses.dataclass
class Sequences:
    train: Split
    val: Split
    test: Split


def as_sequences(data) -> Sequences:
    return Sequences(*(Split(s.X[:, None, :].copy(), s.y)
                       for s in (data.train, data.val, data.test)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=8)
    ap.add_argument("--n-train", type=int, default=4_000)
    ap.add_argument("--d", type=int, default=20)
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--eps", type=float, default=1e-3, help="stop at train accuracy >= 1 - eps")
    ap.add_argument("--patience", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--max-updates", type=int, default=3_000)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--skip-sequential", action="store_true",
                    help="only time fit_many (e.g. for a quick GPU timing)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    data = as_sequences(make_dataset("lms-5", n_train=args.n_train, n_val=2_000, n_test=2_000,
                                     d=args.d, seed=0))
    config = TrainConfig(optimizer="sgd", lr=0.1, batch_size=256, momentum=0.0,
                         weight_decay=5e-5, stop="accuracy", eps=args.eps,
                         patience=args.patience, max_updates=args.max_updates,
                         eval_every=args.eval_every)
    seeds = list(range(args.models))

    def models():
        return [small_conv(args.d, args.channels, s) for s in seeds]

    n_params = sum(p.numel() for p in models()[0].parameters())
    print(f"LMS-5 as sequences (n, 1, {args.d}): n_train={args.n_train}, n_val=2000, "
          f"n_test=2000")
    print(f"{args.models} x SmallConv({args.channels} channels, {n_params} parameters), {config}")
    print(f"device={args.device}, torch {torch.__version__}, threads={torch.get_num_threads()}, "
          f"cpu={platform.processor() or platform.machine()}")

    def summary(results, how):
        Xte, yte = data.test.X, data.test.y
        return pd.DataFrame([dict(how=how, seed=r.seed, stop_update=r.stop_update,
                                  updates=r.updates, selected=r.selected_update,
                                  train_acc=r.history.train_accuracy.iloc[-1],
                                  val_acc=r.history.val_accuracy.iloc[-1],
                                  test_acc=accuracy(r.scorer(Xte), yte)) for r in results])

    # warm-up, untimed: one-off costs (torch.optim's first step imports torch._dynamo, vmap's
    # first trace, CUDA context and kernels) would otherwise go to whichever runs first
    warm = dataclasses.replace(config, max_updates=3, eval_every=1)
    fit(models()[0], data, warm, 0, device=args.device, progress=False)
    fit_many(models(), data, warm, seeds, device=args.device, progress=False)

    t0, c0 = time.perf_counter(), time.process_time()
    many = fit_many(models(), data, config, seeds, device=args.device, progress=False)
    t_many, c_many = time.perf_counter() - t0, time.process_time() - c0
    print(f"fit_many: {t_many:.1f} s wall, {c_many:.1f} s CPU for {args.models} models "
          f"({max(r.updates for r in many)} updates of the group)")
    if args.skip_sequential:
        return 0
    t0, c0 = time.perf_counter(), time.process_time()
    single = [fit(m, data, config, s, device=args.device, progress=False)
              for m, s in zip(models(), seeds)]
    t_single, c_single = time.perf_counter() - t0, time.process_time() - c0
    print(f"fit x {args.models}: {t_single:.1f} s wall, {c_single:.1f} s CPU "
          f"({sum(r.updates for r in single)} updates)")

    a, b = summary(single, "fit"), summary(many, "fit_many")
    cols = ["seed", "stop_update", "updates", "selected", "train_acc", "val_acc", "test_acc"]
    table = a[cols].merge(b[cols], on="seed", suffixes=("", "_many"))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    same_steps = (a.stop_update.equals(b.stop_update) and a.updates.equals(b.updates))
    max_diff = max(np.abs(a[c] - b[c]).max() for c in ("train_acc", "val_acc", "test_acc"))
    print(f"same stop steps and update counts: {same_steps}; "
          f"largest accuracy difference: {max_diff:.2e}")
    print(f"wall time: fit x {args.models} = {t_single:.1f} s, fit_many = {t_many:.1f} s, "
          f"ratio = {t_single / t_many:.2f}x (CPU time ratio {c_single / c_many:.2f}x; on a "
          f"busy machine the wall ratio suffers)")
    return 0 if same_steps and max_diff <= 1e-3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
