"""Benchmark: the stacked FCNs' evaluation (``stacked.evaluate``, every 250 updates of the
plateau reruns) with the first layer's bias added inside the matmul (``torch.addmm``, what
``stacked.logits`` does) against added after it over the strided view (what it did before).

Both ways are timed in one run, alternating, on the shape of the plateau's ``control`` rerun
(5 (2000,1)-FCNs, d = 50, 200,000 training points, the trainer's CPU chunk), and the two
must give the same number correct and a loss within float rounding.

    .venv/bin/python benchmarks/stacked_eval.py              # defaults below
    .venv/bin/python benchmarks/stacked_eval.py --d 250      # the wide rerun's shape
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from sbcore.training import stacked


def logits_add_after(params, X):
    """The former first layer: the matmul, then the bias added over the strided view."""
    n_models, d, w = params[0].shape
    z = X @ params[0].permute(1, 0, 2).reshape(d, n_models * w)
    z = z.view(len(X), n_models, w).transpose(0, 1) + params[1].unsqueeze(1)
    return torch.baddbmm(params[-1].unsqueeze(-1), params[-2].transpose(1, 2),
                         z.relu_().transpose(1, 2)).transpose(1, 2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=5)
    ap.add_argument("--width", type=int, default=2000)
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    params = [torch.randn(args.models, args.d, args.width, generator=gen) / args.d ** 0.5,
              torch.randn(args.models, args.width, generator=gen) * 0.1,
              torch.randn(args.models, args.width, 2, generator=gen) / args.width ** 0.5,
              torch.randn(args.models, 2, generator=gen) * 0.1]
    X = torch.rand(args.n, args.d, generator=gen) * 2 - 1
    y = torch.randint(0, 2, (args.n,), generator=gen)
    chunk = int(min(65536, max(256, 2**23 // (args.models * args.width))))  # the CPU chunk
    print(f"{platform.processor() or platform.machine()}, {args.threads} threads: "
          f"{args.models} ({args.width},1)-FCNs, d = {args.d}, {args.n:,} rows, chunk {chunk}")
    new = stacked.logits
    times = {"addmm": [], "add after": []}
    out = {}
    for _ in range(args.repeats):  # alternate, so a noisy neighbour hits both
        for name, fn in (("add after", logits_add_after), ("addmm", new)):
            stacked.logits = fn
            t0 = time.perf_counter()
            out[name] = stacked.evaluate(params, X, y, chunk)
            times[name].append(time.perf_counter() - t0)
    stacked.logits = new
    best = {k: min(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:9s}: best {best[k]:.2f} s of {', '.join(f'{t:.2f}' for t in v)}")
    same = (out["addmm"][1] == out["add after"][1]).all()
    rel = abs(out["addmm"][0] - out["add after"][0]).max() / out["add after"][0].max()
    print(f"same number correct: {same}; largest relative loss difference {rel:.1e}")
    print(f"ratio (add after / addmm): {best['add after'] / best['addmm']:.2f}x")
    return 0 if same and rel < 1e-5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
