"""Benchmark: N of the paper's (32,7,1)-CNNs and N (100,10,1)-GRUs on LMS-5 (d = 50), each
family trained one after another with fit() and all together with fit_many() (torch.func
vmap), for a fixed number of updates.

Both families are timed in one run, because on a shared machine only ratios measured side by
side mean anything. For each family it prints both wall times, their ratio, and checks that
every model runs the same updates with the same accuracies either way.

    .venv/bin/python benchmarks/stacked_cnn_gru.py --threads 1      # defaults below, CPU
    .venv/bin/python benchmarks/stacked_cnn_gru.py --device cuda    # on a GPU

Measured on the 2-core development CPU with 1 thread (10 models, 200 updates): fit_many was no
faster than fit, 1.00x for the CNN and 0.83x for the GRU: at batch 256 each model's matmuls
already keep one core busy, and vmap's batched kernels are no more efficient. The stack should
pay off where one small model leaves the device idle, on a GPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform

import torch
from _compare import compare

from sbcore.data import make_dataset
from sbcore.models import ModelSpec
from sbcore.training import TrainConfig, fit, fit_many

LABELS = ("(32,7,1)-CNN", "(100,10,1)-GRU")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=10)
    ap.add_argument("--updates", type=int, default=200)
    ap.add_argument("--n-train", type=int, default=4_000)
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    data = make_dataset("lms-5", n_train=args.n_train, n_val=1_000, n_test=2_000, d=args.d,
                        seed=0)
    # the paper's recipe; a stop rule so strict (and patience so long) that every model runs
    # exactly --updates updates, so both ways do the same work
    config = TrainConfig(optimizer="sgd", lr=0.1, batch_size=256, momentum=0.0,
                         weight_decay=5e-5, stop="accuracy", eps=1e-6, patience=10**6,
                         max_updates=args.updates, eval_every=args.eval_every)
    seeds = list(range(args.models))
    print(f"LMS-5: d={args.d}, n_train={args.n_train}, n_val=1000, n_test=2000; {config}")
    print(f"device={args.device}, torch {torch.__version__}, threads={torch.get_num_threads()}, "
          f"cpu={platform.processor() or platform.machine()}")

    return max(time_family(ModelSpec.parse(label), data, config, seeds, args.d, args.device)
               for label in LABELS)


def time_family(spec: ModelSpec, data, config: TrainConfig, seeds: list[int], d: int,
                device: str) -> int:
    """Time one family both ways (see _compare.compare); 0 when they agree."""

    def models():
        return [spec.build(d, s) for s in seeds]

    n_params = sum(p.numel() for p in models()[0].parameters())
    print(f"\n{len(seeds)} x {spec.label} ({n_params} parameters)")
    # warm-up, untimed: torch.optim's first step imports torch._dynamo, vmap traces once
    warm = dataclasses.replace(config, max_updates=3, eval_every=1)
    fit(models()[0], data, warm, 0, device=device, progress=False)
    fit_many(models(), data, warm, seeds, device=device, progress=False)
    return compare(
        lambda: [fit(m, data, config, s, device, progress=False)
                 for m, s in zip(models(), seeds)],
        lambda: fit_many(models(), data, config, seeds, device, progress=False),
        ("fit", "fit_many"), len(seeds), data.test)

if __name__ == "__main__":
    raise SystemExit(main())
