"""Run experiments straight into the results store, without executing chapters.

    python -m sbcore.run_experiments --profile paper --device cuda [extreme_sb theory ...]

This is how paper-scale results are made on a machine without papermill (a lent GPU): each
named module of ``sbcore.experiments`` has ``run(profile, device, recompute)``, which stores its
result under ``results/<profile>/``. Experiments run one after another; one that fails is
reported and the others still run, and the exit status says whether all succeeded. Later book
builds at any profile show the stored ``paper`` results beside their own.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from sbcore.profiles import PROFILE_NAMES, check_device, check_profile

EXPERIMENTS = ("extreme_sb", "theory")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiments", nargs="*", default=list(EXPERIMENTS),
                        help=f"modules of sbcore.experiments (default: {' '.join(EXPERIMENTS)})")
    parser.add_argument("--profile", default="paper", help=f"one of {', '.join(PROFILE_NAMES)}")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--recompute", action="store_true")
    args = parser.parse_args(argv)
    try:  # every argument checked before any work
        check_profile(args.profile)
        check_device(args.device)
        modules = {}
        for name in args.experiments:
            try:
                modules[name] = importlib.import_module(f"sbcore.experiments.{name}")
            except ModuleNotFoundError:
                raise ValueError(f"experiment {name!r} is unknown; "
                                 f"known: {', '.join(EXPERIMENTS)}") from None
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    failed = []
    for name, module in modules.items():
        start = time.perf_counter()
        print(f"== {name} at {args.profile} on {args.device}", flush=True)
        try:
            result = module.run(args.profile, args.device, recompute=args.recompute)
            results = result if isinstance(result, (list, tuple, dict)) else [result]
            if isinstance(results, dict):
                results = list(results.values())
            for r in results:
                print(f"   stored {r.path} (cached={r.cached})", flush=True)
        except Exception:  # keep going: one failure must not cost the other results
            traceback.print_exc()
            failed.append(name)
        print(f"== {name}: {time.perf_counter() - start:.1f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
