"""Run studies straight into the results store, and list what is stored (the ledger).

    python -m sbcore.run_experiments --list [--profile paper] [STUDY ...]
    python -m sbcore.run_experiments --missing --profile paper --device cuda --budget-min 9
    python -m sbcore.run_experiments --profile paper --device cuda [STUDY ...]
    python -m sbcore.run_experiments --profile paper --cpu-workers 2 toolbox

``--list`` prints, per study and entry, whether it is stored (with the device and date that
made it), missing, stale (stored for another version or other settings) or damaged: the ledger
of paper-scale work still owed. ``--missing`` computes what is not stored, largest first
(``--cheapest-first``: cheapest first, which stores the most entries in a short GPU lease),
storing each entry as soon as it finishes. Training checkpoints itself (every 5 minutes, and
when ``--budget-min`` is spent, where it pauses), so a killed or paused entry resumes, before
any other, on the next call; an entry that fits in no budget runs in parts, one per call, and
no other entry is started unless the time left can hold it. Without either, every entry of
the named studies is run through the store (stored ones are reused, unless ``--recompute``).
An option that does nothing in the chosen mode (``--budget-min`` without ``--missing``,
``--device`` with ``--list``, ...) is refused before any work, never silently ignored.

This is how paper-scale results are made on a machine without papermill (a lent GPU); later
book builds at any profile show the stored ``paper`` results beside their own. On a CPU,
``--cpu-workers N`` trains the toolbox's seeds alone in N processes at once (one torch thread
each; ``sbcore.training.fit_each``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback

from sbcore import store
from sbcore.checks import check_number, check_seed
from sbcore.profiles import PROFILE_NAMES, check_device, check_profile
from sbcore.studies import runner
from sbcore.training import resume
from sbcore.training.parallel import CPU_WORKERS_ENV, cpu_workers


def print_ledger(profile: str, studies, seed: int = 0) -> None:
    table = runner.ledger(profile, studies, seed)
    counts = table["status"].value_counts().to_dict()
    print(f"profile {profile}, seed {seed}: " + ", ".join(
        f"{counts.get(s, 0)} {s}" for s in ("stored", "missing", "stale", "damaged")))
    for study, rows in table.groupby("study", sort=False):
        print(f"{study}:")
        for r in rows.itertuples():
            where = f"{r.device}, {r.date[:16].replace('T', ' ')}" if r.device else ""
            took = f", {r.wall_time_s:.0f} s" if r.status == "stored" and r.wall_time_s == \
                r.wall_time_s else ""
            detail = f" ({r.detail})" if r.detail else ""
            print(f"  {r.status:8s} {r.entry:32s} {where}{took}{detail}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sbcore.run_experiments", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("studies", nargs="*", default=list(runner.STUDIES),
                        help=f"studies (default: all: {' '.join(runner.STUDIES)})")
    parser.add_argument("--profile", default="paper", help=f"one of {', '.join(PROFILE_NAMES)}")
    parser.add_argument("--device", default=None, help="cpu (default), cuda, cuda:N or mps")
    parser.add_argument("--seed", default="0", help="chapter seed (default 0)")
    parser.add_argument("--list", action="store_true", help="print the ledger and stop")
    parser.add_argument("--missing", action="store_true", help="run only what is not stored")
    parser.add_argument("--budget-min", default=None,
                        help="with --missing: pause training after this many minutes (a "
                             "checkpoint that the next call resumes) and start no entry that "
                             "the time left cannot hold")
    parser.add_argument("--cheapest-first", action="store_true",
                        help="with --missing: run the cheapest entries first (a short GPU "
                             "lease then stores the most entries)")
    parser.add_argument("--recompute", action="store_true")
    parser.add_argument("--cpu-workers", default=None,
                        help="on a CPU: train a group's models alone in this many processes "
                             "at once (default 1, or $SB_CPU_WORKERS)")
    args = parser.parse_args(argv)
    try:  # every argument checked before any work
        check_modes(args)
        args.device = args.device or "cpu"
        check_profile(args.profile)
        check_device(args.device)
        try:
            seed = check_seed(int(args.seed))
        except ValueError:
            raise ValueError(f"--seed must be an integer in [0, 2**32 - 1], got "
                             f"{args.seed!r}") from None
        for name in args.studies:
            runner.study(name)
        budget = None
        if args.budget_min is not None:
            try:
                budget = check_number("--budget-min", float(args.budget_min), low=0,
                                      low_open=True) * 60
            except ValueError:
                raise ValueError(f"--budget-min must be a positive number of minutes, got "
                                 f"{args.budget_min!r}") from None
        if args.cpu_workers is not None:
            os.environ[CPU_WORKERS_ENV] = str(cpu_workers(args.cpu_workers, "--cpu-workers"))
        else:
            cpu_workers()  # a bad $SB_CPU_WORKERS is refused here, before any work
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:  # a store that cannot be read or written: said in one message, not a traceback
        if args.list:
            print_ledger(args.profile, args.studies, seed)
            return 0
        if args.missing:
            start = time.perf_counter()
            runner.run_missing(args.profile, args.device, args.studies, budget, seed,
                               order="cheapest" if args.cheapest_first else "largest")
            print(f"== done in {time.perf_counter() - start:.1f} s; the ledger now:")
            print_ledger(args.profile, args.studies, seed)
            return 0
        return run_studies(args, seed)
    except (store.StoreUnwritable, store.StoreUnreadable) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


# Options that act only in some modes: (option, its attribute, the modes it acts in, those
# modes in words). A mode is "list" (--list), "missing" (--missing) or "run" (the named studies
# through the store).
MODE_OPTIONS = (("--budget-min", "budget_min", ("missing",), "with --missing"),
                ("--cheapest-first", "cheapest_first", ("missing",), "with --missing"),
                ("--recompute", "recompute", ("run",),
                 "when the named studies are run (without --list or --missing)"),
                ("--device", "device", ("missing", "run"), "when studies are run"),
                ("--cpu-workers", "cpu_workers", ("missing", "run"), "when studies are run"))


def check_modes(args) -> None:
    """ValueError, naming the option, for one that would do nothing in the chosen mode."""
    if args.list and args.missing:
        raise ValueError("--list and --missing are two actions (print the ledger, or run what "
                         "is not stored): give one of them")
    mode = "list" if args.list else "missing" if args.missing else "run"
    for option, attr, modes, where in MODE_OPTIONS:
        if getattr(args, attr) in (None, False) or mode in modes:
            continue
        here = "without --missing" if mode == "run" else f"with --{mode}"
        fix = f"drop {option}" + (" or add --missing" if mode == "run" else "")
        raise ValueError(f"{option} does nothing {here}: it applies only {where} ({fix})")
    if args.cpu_workers is not None and args.device not in (None, "cpu"):
        raise ValueError(f"--cpu-workers does nothing with --device {args.device}: it applies "
                         f"only with --device cpu (drop it)")


def run_studies(args, seed: int) -> int:
    """Every entry of the named studies through the store; problems met are printed."""
    failed = []
    for name in args.studies:
        t0 = time.perf_counter()
        print(f"== {name} at {args.profile} on {args.device}", flush=True)
        try:
            results = runner.run(name, args.profile, args.device, seed, args.recompute)
            for entry, r in results.items():
                print(f"   {entry}: {r.path} (cached={r.cached})", flush=True)
            for problem in results.problems:
                print(f"   problem: {problem}", flush=True)
        except resume.Paused as err:  # Ctrl-C or SIGTERM: the checkpoint is saved
            print(f"   {err}", file=sys.stderr)
            return 1
        except (store.StoreUnwritable, store.StoreUnreadable):
            raise  # no other study can be stored either
        except Exception:  # keep going: one failure must not cost the other results
            traceback.print_exc()
            failed.append(name)
        print(f"== {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the ledger piped into head: not an error
        sys.stderr.close()
        sys.exit(0)
