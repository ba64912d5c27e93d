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

import torch
from _compare import compare

from sbcore.data import make_dataset
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

    # warm-up, untimed: one-off costs (torch.optim's first step imports torch._dynamo, CUDA
    # context and kernels) would otherwise be charged to whichever runs first
    warm = dataclasses.replace(config, max_updates=3, eval_every=1)
    train(data, args.width, args.depth, warm, 0, device=args.device, progress=False)
    train_many(data, args.width, args.depth, warm, seeds, device=args.device, progress=False)

    dev = args.device
    return compare(
        lambda: [train(data, args.width, args.depth, config, s, dev, progress=False)
                 for s in seeds],
        lambda: train_many(data, args.width, args.depth, config, seeds, dev, progress=False),
        ("train", "train_many"), args.models, data.test, args.skip_sequential)


if __name__ == "__main__":
    raise SystemExit(main())
