"""The ledger in one process against the ledger on a local Dask cluster of two workers: the
same missing entries of two studies, each way into a store of its own; every entry's tables
must be identical (wall-time columns aside), then the ratio of wall times is printed. A third
run on the cluster kills the worker computing one entry (``os._exit`` after its compute, as
``tests/test_cluster.py`` does) and prints what the retry cost.

    .venv/bin/python benchmarks/ledger_cluster.py [--profile quick] [--workers 2] [STUDY ...]

One process trains with one torch thread, as each worker does: the ratio is what spreading the
entries over processes buys, not what threads inside one process would.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import cluster_faults  # noqa: E402  (the killing task lives with the tests that use it)

from sbcore.build import cluster  # noqa: E402
from sbcore.studies import runner  # noqa: E402


def _tables(study: str, profile: str, root: Path) -> dict:
    out = {}
    for entry, res in runner.lookup(study, profile, root=root).items():
        for name, table in (res.tables.items() if res is not None else []):
            out[(entry, name)] = table.drop(columns=[c for c in table.columns
                                                     if "wall_time" in c])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("studies", nargs="*", default=["plateau", "generalisation"])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    quiet = lambda _: None  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        one, many, killed = Path(tmp, "one"), Path(tmp, "many"), Path(tmp, "killed")
        t0 = time.perf_counter()
        done = runner.run_missing(args.profile, "cpu", args.studies, root=one, report=quiet)
        t_one = time.perf_counter() - t0
        print(f"one process: {len(done)} entries in {t_one:.1f} s")
        t0 = time.perf_counter()
        with cluster.connect(args.workers) as client:
            t_up = time.perf_counter() - t0
            out = cluster.run_missing(client, args.profile, args.studies, root=many,
                                      report=quiet, progress=False)
            t_many = time.perf_counter() - t0
            print(f"local:{args.workers}: {len(out.stored)} entries in {t_many:.1f} s "
                  f"(starting the cluster: {t_up:.1f} s)")
            victim = runner.missing_in_order(args.profile, args.studies[:1], root=killed)[0]
            task = functools.partial(cluster_faults.dies_once, log=str(Path(tmp, "log")),
                                     marker=str(Path(tmp, "died")), victim=victim.name)
            t0 = time.perf_counter()
            out_k = cluster.run_missing(client, args.profile, args.studies, root=killed,
                                        report=quiet, progress=False, task=task)
            t_killed = time.perf_counter() - t0
        differ = []
        for study in args.studies:
            a, b, c = (_tables(study, args.profile, r) for r in (one, many, killed))
            if set(a) != set(b) or set(a) != set(c):
                differ.append(f"{study}: entries differ")
                continue
            for key in a:
                for other in (b, c):
                    try:
                        pd.testing.assert_frame_equal(a[key], other[key])
                    except AssertionError:
                        differ.append(f"{study} {key}")
        print(f"with one worker killed mid-entry ({victim.study} {victim.name}): "
              f"{len(out_k.stored)} entries in {t_killed:.1f} s, failed {len(out_k.failed)}; "
              f"the retry cost {t_killed - (t_many - t_up):+.1f} s against the run without")
        print(f"tables identical in all three stores: {not differ}" +
              (f" (differ: {differ[:5]})" if differ else ""))
        print(f"ratio one process / local:{args.workers}: {t_one / t_many:.2f} "
              f"(cluster start included); {t_one / (t_many - t_up):.2f} without the start")
        return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
