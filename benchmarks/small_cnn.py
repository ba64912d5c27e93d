"""Benchmark: one SGD step of the images chapter's SmallCNN as built (three stride-2 conv
stages) against the same stages with stride-1 convolutions and 2x2 max-pools between them (the
usual small CNN), and MediumCNN beside them, on a batch of 3 x 64 x 32 dominoes.

All three are timed in one run (only ratios measured side by side mean anything on a shared
machine): the median over ``--steps`` steps of forward, backward and the optimiser step, in ms
per image, and each one's cost relative to SmallCNN.

    .venv/bin/python benchmarks/small_cnn.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from sbcore.models.images import SmallCNN, medium_cnn


class PooledCNN(nn.Module):
    """SmallCNN's stages with stride-1 convolutions and a 2x2 max-pool between stages."""

    def __init__(self, channels=(16, 32, 64)):
        super().__init__()
        layers, previous = [], 3
        for i, c in enumerate(channels):
            if i:
                layers.append(nn.MaxPool2d(2))
            layers += [nn.Conv2d(previous, c, 3, padding=1, bias=False), nn.BatchNorm2d(c),
                       nn.ReLU(inplace=True)]
            previous = c
        self.features, self.head = nn.Sequential(*layers), nn.Linear(previous, 2)

    def forward(self, x):
        x = x.contiguous(memory_format=torch.channels_last)
        return self.head(self.features(x).mean((2, 3)))


def step_ms_per_image(model: nn.Module, batch: int, steps: int) -> float:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(batch, 3, 64, 32, generator=gen)
    y = torch.randint(0, 2, (batch,), generator=gen)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    times = []
    for i in range(steps + 2):  # two warm-up steps
        start = time.perf_counter()
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i >= 2:
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times) / batch


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models = {"SmallCNN (stride-2 stages)": SmallCNN(), "stride 1 + max-pool": PooledCNN(),
              "MediumCNN (five stages)": medium_cnn()}
    ms = {name: step_ms_per_image(m, args.batch, args.steps) for name, m in models.items()}
    base = ms["SmallCNN (stride-2 stages)"]
    print(f"threads {args.threads}, batch {args.batch}, median of {args.steps} steps")
    for name, v in ms.items():
        print(f"  {name:28s} {v:6.3f} ms per image   {v / base:5.2f}x SmallCNN")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
