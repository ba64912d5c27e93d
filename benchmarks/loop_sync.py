"""Benchmark: what the loop's one read from the device per update costs. After every update the
loop asks the group which rows are still finite (``group.finite_rows().tolist()``, so that a
model whose loss turned NaN or infinite is evaluated and ended at that update); on a GPU that
read waits for the update's kernels. This times ``train_many`` as it is, then with
``finite_rows`` answered from a host tensor (timing only: a divergence would go unseen), side
by side, best of ``--repeats``, and the read alone.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/loop_sync.py            # CPU, one thread
    .venv/bin/python benchmarks/loop_sync.py --device cuda                # on a GPU

Measured on the 2-core development CPU (10 (100,2)-FCNs, 3,000 updates): 2.90 ms of CPU per
update with the read, 2.92 ms without (no difference beyond noise); the read alone 8 us.
"""

from __future__ import annotations

import argparse
import time

import torch

from sbcore.data import make_dataset
from sbcore.training import TrainConfig, init_fcn, train_many
from sbcore.training.stacked import FCNStack, stack_fcns


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=10)
    ap.add_argument("--updates", type=int, default=3_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    dev, seeds = args.device, list(range(args.models))
    data = make_dataset("lms-5", n_train=10_000, n_val=2_000, n_test=2_000, d=50, rotate=True,
                        seed=0)
    config = TrainConfig(stop="none", max_updates=args.updates, eval_every=1_000)
    train_many(data, 100, 2, TrainConfig(max_updates=3, eval_every=1), seeds, dev,
               progress=False)  # warm-up
    real = FCNStack.finite_rows
    host = {}

    def unread(self):  # all rows finite, without reading the device
        n = len(self.params[0])
        return host.setdefault(n, torch.ones(n, dtype=torch.bool))

    times: dict[str, list[tuple[float, float]]] = {"with the read": [], "without": []}
    for _ in range(args.repeats):
        for name, fn in (("with the read", real), ("without", unread)):
            FCNStack.finite_rows = fn
            _sync(dev)
            wall, cpu = time.perf_counter(), time.process_time()
            train_many(data, 100, 2, config, seeds, dev, progress=False)
            _sync(dev)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    FCNStack.finite_rows = real
    print(f"{args.models} x (100,2)-FCN, {args.updates} updates, device={dev}, "
          f"threads={torch.get_num_threads()}")
    for name, ts in times.items():
        wall, cpu = min(t[0] for t in ts), min(t[1] for t in ts)
        per = 1e3 * wall / args.updates
        print(f"{name:14s} best of {args.repeats}: {wall:.2f} s wall ({per:.3f} ms per update), "
              f"{cpu:.2f} s CPU")
    group = FCNStack(stack_fcns([init_fcn(50, 100, 2, s) for s in seeds], dev), config,
                     (50, 100, 2), 4096)
    _sync(dev)
    start = time.perf_counter()
    for _ in range(10_000):
        group.finite_rows().tolist()
    print(f"the read alone: {1e6 * (time.perf_counter() - start) / 10_000:.1f} us per update")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
