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

import torch
from _compare import compare
from torch import nn

from sbcore.data import Split, make_dataset
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

    # warm-up, untimed: one-off costs (torch.optim's first step imports torch._dynamo, vmap's
    # first trace, CUDA context and kernels) would otherwise go to whichever runs first
    warm = dataclasses.replace(config, max_updates=3, eval_every=1)
    fit(models()[0], data, warm, 0, device=args.device, progress=False)
    fit_many(models(), data, warm, seeds, device=args.device, progress=False)

    dev = args.device
    return compare(
        lambda: [fit(m, data, config, s, dev, progress=False) for m, s in zip(models(), seeds)],
        lambda: fit_many(models(), data, config, seeds, dev, progress=False),
        ("fit", "fit_many"), args.models, data.test, args.skip_sequential)


if __name__ == "__main__":
    raise SystemExit(main())
