"""Run studies straight into the results store, and list what is stored (the ledger).

    python -m sbcore.run_experiments --list [--profile paper] [STUDY ...]
    python -m sbcore.run_experiments --missing --profile paper --device cuda --budget-min 9
    python -m sbcore.run_experiments --profile paper --device cuda [STUDY ...]
    python -m sbcore.run_experiments --profile paper --cpu-workers 2 toolbox
    python -m sbcore.run_experiments --missing --profile paper --cluster local:14 --gpu-workers 1
    python -m sbcore.run_experiments --missing --profile paper --scheduler tcp://HOST:8786
    python -m sbcore.run_experiments --plan --minutes 12 --gpu-workers 1 --cpu-workers 14

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

On several machines or cores, ``--missing`` runs on Dask distributed (``sbcore.build.cluster``):
``--cluster local:N`` starts N single-threaded CPU workers here (``--gpu-workers G`` adds G
workers with one GPU each), ``--scheduler tcp://HOST:PORT`` uses a running cluster. Each entry is
one task; its files come back to this process, which stores them. ``--plan`` prints which
missing entries a lease of ``--minutes`` with ``--gpu-workers`` and ``--cpu-workers`` would
make, by the estimates (``sbcore.studies.estimate``), which ``--list`` prints per entry.
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
from sbcore.studies import estimate, runner
from sbcore.training import resume
from sbcore.training.parallel import CPU_WORKERS_ENV, cpu_workers


def print_ledger(profile: str, studies, seed: int = 0) -> None:
    """The ledger: per study and entry its status, where and when a stored one was made, and
    what a missing one should take on one CPU and on one GPU (``sbcore.studies.estimate``),
    with the totals."""
    found = [e for name in studies for e in runner.entries(name, profile, seed)]
    todo = [e for e in found if e.status != "stored"]
    cost = estimate.missing_summary(todo, profile).set_index(["study", "entry"])
    counts = {s: sum(e.status == s for e in found) for s in ("stored", "missing", "stale",
                                                            "damaged")}
    print(f"profile {profile}, seed {seed}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    study = None
    for e in found:
        if e.study != study:
            study = e.study
            print(f"{study}:")
        where = f"{e.device}, {e.date[:16].replace('T', ' ')}" if e.device else ""
        took = f", {e.wall_time_s:.0f} s" if e.status == "stored" and e.wall_time_s == \
            e.wall_time_s else ""
        if e.status != "stored":
            c = cost.loc[(e.study, e.name)]
            where = (f"about {estimate.duration(c.cpu_s)} on a CPU, "
                     f"{estimate.duration(c.gpu_s)} on a GPU")
        detail = f" ({e.detail})" if e.detail else ""
        print(f"  {e.status:8s} {e.name:32s} {where}{took}{detail}")
    if todo:
        print(estimate.describe_missing(cost.reset_index()))


def print_plan(table, minutes: float) -> None:
    """A lease's plan: per worker, the entries that fit, when each should start and end; then
    the totals per device kind, and the largest entries that do not fit."""
    fits = table[table["fits"]].copy()
    fits["order"] = fits["worker"].str.extract(r"(\d+)$", expand=False).astype(float)
    fits = fits.sort_values(["kind", "order", "start_s"])
    print(f"a lease of {minutes:g} minutes would store {len(fits)} of {len(table)} missing "
          f"entries, by their estimates:")
    for r in fits.itertuples():
        print(f"  {r.worker:8s} {r.start_s / 60:5.1f}-{r.end_s / 60:5.1f} min  {r.study} "
              f"{r.entry} ({r.source})")
    print(estimate.describe_plan(table))


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
                             "at once (default 1, or $SB_CPU_WORKERS); with --plan: the "
                             "lease's CPU workers (default 0)")
    parser.add_argument("--allow-long", action="store_true",
                        help="run the named studies even where their missing entries are "
                             f"estimated to take over {estimate.LONG_WORK_S / 60:.0f} minutes "
                             "on this device")
    parser.add_argument("--cluster", default=None,
                        help="with --missing: local:N runs the entries on a Dask cluster of N "
                             "single-threaded CPU worker processes on this machine")
    parser.add_argument("--scheduler", default=None,
                        help="with --missing: run the entries on the Dask cluster whose "
                             "scheduler is at tcp://HOST:PORT")
    parser.add_argument("--gpu-workers", default=None,
                        help="with --cluster: add this many workers with one GPU each "
                             "(CUDA_VISIBLE_DEVICES 0, 1, ...); with --plan: the lease's GPUs")
    parser.add_argument("--plan", action="store_true",
                        help="print which missing entries a lease of --minutes with "
                             "--gpu-workers and --cpu-workers would make, and stop")
    parser.add_argument("--minutes", default=None, help="with --plan: the lease's length")
    args = parser.parse_args(argv)
    try:  # every argument checked before any work
        check_modes(args)
        check_cluster_options(args)
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
            budget = _positive("--budget-min", args.budget_min, "minutes") * 60
        if args.plan:
            args.minutes = _positive("--minutes", args.minutes, "minutes")
            args.gpu_workers = _count("--gpu-workers", args.gpu_workers or 0)
            args.cpu_workers = _count("--cpu-workers", args.cpu_workers or 0)
            if not args.gpu_workers + args.cpu_workers:
                raise ValueError("--plan needs workers: give --gpu-workers and/or --cpu-workers")
        elif args.cluster is not None or args.scheduler is not None:
            args.gpu_workers = _count("--gpu-workers", args.gpu_workers or 0)
        elif args.cpu_workers is not None:
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
        if args.plan:
            todo = [e for name in args.studies for e in runner.entries(name, args.profile, seed)
                    if e.status != "stored"]
            print_plan(estimate.plan(todo, args.profile, args.minutes, args.gpu_workers,
                                     args.cpu_workers), args.minutes)
            return 0
        if args.missing and (args.cluster or args.scheduler):
            return run_on_cluster(args, budget, seed)
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
# modes in words). A mode is "list" (--list), "missing" (--missing), "plan" (--plan) or "run"
# (the named studies through the store).
ACTIONS = (("list", "--list", "print the ledger"), ("missing", "--missing", "run what is not "
           "stored"), ("plan", "--plan", "plan a lease"))
MODE_OPTIONS = (("--budget-min", "budget_min", ("missing",), "with --missing"),
                ("--cheapest-first", "cheapest_first", ("missing",), "with --missing"),
                ("--recompute", "recompute", ("run",),
                 "when the named studies are run (without --list, --missing or --plan)"),
                ("--allow-long", "allow_long", ("run",),
                 "when the named studies are run (--missing always runs what it is asked)"),
                ("--device", "device", ("missing", "run"), "when studies are run"),
                ("--cpu-workers", "cpu_workers", ("missing", "run", "plan"),
                 "when studies are run, or with --plan"),
                ("--cluster", "cluster", ("missing",), "with --missing"),
                ("--scheduler", "scheduler", ("missing",), "with --missing"),
                ("--gpu-workers", "gpu_workers", ("missing", "plan"),
                 "with --missing --cluster, or with --plan"),
                ("--minutes", "minutes", ("plan",), "with --plan"))


def check_modes(args) -> None:
    """ValueError, naming the option, for one that would do nothing in the chosen mode."""
    given = [(flag, what) for mode, flag, what in ACTIONS if getattr(args, mode)]
    if len(given) > 1:
        count = "two" if len(given) == 2 else "three"
        raise ValueError(f"{' and '.join(f for f, _ in given)} are {count} actions ("
                         f"{', or '.join(w for _, w in given)}): give one of them")
    mode = next((m for m, _, _ in ACTIONS if getattr(args, m)), "run")
    for option, attr, modes, where in MODE_OPTIONS:
        if getattr(args, attr) in (None, False) or mode in modes:
            continue
        here = "without --missing" if mode == "run" else f"with --{mode}"
        fix = f"drop {option}" + (" or add --missing" if mode == "run" else "")
        raise ValueError(f"{option} does nothing {here}: it applies only {where} ({fix})")
    if args.plan and args.minutes is None:
        raise ValueError("--plan needs --minutes: the length of the lease to plan")
    if args.cpu_workers is not None and args.device not in (None, "cpu") and not args.plan:
        raise ValueError(f"--cpu-workers does nothing with --device {args.device}: it applies "
                         f"only with --device cpu (drop it)")


def check_cluster_options(args) -> None:
    """The cluster's options agree: one way to reach a cluster, and none of the in-process
    options that a cluster's workers decide for themselves."""
    if args.cluster is not None and args.scheduler is not None:
        raise ValueError("--cluster starts a cluster here, --scheduler uses a running one: "
                         "give one of them")
    if args.gpu_workers is not None and args.missing and args.cluster is None:
        raise ValueError("--gpu-workers applies only with --cluster local:N (a running "
                         "cluster's GPU workers are started with --resources GPU=1)")
    if args.cluster is None and args.scheduler is None:
        return
    if args.cpu_workers is not None:
        raise ValueError("--cpu-workers does nothing with a cluster: each of its workers is "
                         "one process (local:N starts N of them); drop it")
    if args.device is not None:
        raise ValueError("--device does nothing with a cluster: a worker with a GPU resource "
                         "computes on cuda, the others on cpu; drop it")
    if args.cluster is not None:
        args.cluster = parse_cluster(args.cluster)
    if args.scheduler is not None:
        check_scheduler(args.scheduler)


def parse_cluster(text: str) -> int:
    """The number of CPU workers in ``--cluster local:N``."""
    kind, _, count = str(text).partition(":")
    if kind != "local" or not count.isdigit() or int(count) < 1:
        raise ValueError(f"--cluster must be local:N with N >= 1 CPU worker processes on this "
                         f"machine (a running cluster: --scheduler tcp://HOST:PORT), got "
                         f"{text!r}")
    return int(count)


def check_scheduler(text: str) -> str:
    """``--scheduler``'s address, checked for its shape (tcp://HOST:PORT)."""
    host, _, port = str(text).removeprefix("tcp://").rpartition(":")
    if not str(text).startswith("tcp://") or not host or not port.isdigit():
        raise ValueError(f"--scheduler must be a Dask scheduler's address tcp://HOST:PORT (what "
                         f"`dask scheduler` prints), got {text!r}")
    return str(text)


def _positive(option: str, text, unit: str) -> float:
    try:
        return check_number(option, float(text), low=0, low_open=True)
    except (TypeError, ValueError):
        raise ValueError(f"{option} must be a positive number of {unit}, got {text!r}") from None


def _count(option: str, text) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = -1
    if value < 0 or str(value) != str(text).strip():
        raise ValueError(f"{option} must be a whole number >= 0, got {text!r}")
    return value


def run_on_cluster(args, budget: float | None, seed: int) -> int:
    """``--missing`` on Dask: a local cluster (stopped at the end) or a running one."""
    try:
        from sbcore.build import cluster
    except ImportError as err:
        print(f"error: --cluster and --scheduler need Dask distributed ({err}); install it: "
              f"pip install 'dask[distributed]' (the pinned versions: requirements.txt)",
              file=sys.stderr)
        return 2
    start = time.perf_counter()
    with cluster.connect(args.cluster or 0, args.scheduler, args.gpu_workers) as client:
        print(f"== the ledger on {client.scheduler.address}: "
              + ", ".join(f"{n} {k} worker(s)" for k, n in cluster.worker_kinds(client).items()
                          if n), flush=True)
        out = cluster.run_missing(client, args.profile, args.studies, budget, seed,
                                  order="cheapest" if args.cheapest_first else "largest")
    print(f"== done in {time.perf_counter() - start:.1f} s: {len(out.stored)} stored, "
          f"{len(out.paused)} paused, {len(out.not_started)} not started, {len(out.failed)} "
          f"failed, {len(out.no_worker)} waiting for a GPU worker; the ledger now:")
    print_ledger(args.profile, args.studies, seed)
    return 1 if out.failed else 0


def run_studies(args, seed: int) -> int:
    """Every entry of the named studies through the store; problems met are printed."""
    failed = []
    for name in args.studies:
        t0 = time.perf_counter()
        print(f"== {name} at {args.profile} on {args.device}", flush=True)
        try:
            results = runner.run(name, args.profile, args.device, seed, args.recompute,
                                 allow_long=args.allow_long)
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
