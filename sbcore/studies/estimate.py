"""How long an entry should take on a CPU or a GPU, from the wall times the store records.

Each study's ``cost(config)`` is relative work in its own units. The store already says how
long every stored entry took, and on which device, so those wall times turn cost into seconds:
``seconds = a * cost ** b``, fitted by least squares on log seconds against log cost, one fit
per study, model family, device kind and profile. The fits serve three uses:

* a chapter stops before more than ``LONG_WORK_S`` of missing work on its device (the runner's
  guard), unless the reader allows long work;
* the ledger prints the estimate of each missing entry, in total per device kind;
* ``plan`` says which missing entries fit a lease of so many minutes, GPU and CPU workers.

Rules (so that a reader can check an estimate by hand):

* A stored entry is one point: (study, family, device kind, profile, cost, wall time), if it
  took at least ``MIN_FIT_S`` (shorter ones measure start-up, not work). Entries moved out of
  one older entry (``migrated``: one run split into several entries) share that run's wall
  time, so they count once, as the sum of their costs, when every part is present.
* Profiles are fitted apart: the studies' costs rank the entries of one profile, but most leave
  out the update caps that profiles scale (the generalisation grid's cost is the same for 1,500
  updates at quick and 1,000,000 at paper), so a rate measured at one profile says nothing of
  another.
* Family: entries of one study that train different kinds of model, or belong to different
  parts of it, are fitted apart
  (``family``): a toolbox entry by its heaviest cell (GRU, CNN, FCN), an entry with a model
  name by it ("(100,10,1)-GRU" gives GRU, "DenseNet121" itself), the perturbation study's
  image entry as "images", anything else as one family.
* The slope ``b`` is fitted where a group has at least ``MIN_POINTS_FOR_SLOPE`` points whose
  costs span at least ``MIN_COST_SPAN`` (a narrower span cannot tell a slope from noise), and
  kept within ``SLOPE_RANGE``; otherwise ``b = 1`` (time proportional to work) and ``a`` is the
  geometric mean of seconds per unit of cost.
* A group with no point borrows, at the same profile and in this order: the same study and
  family on the other device kind, scaled by the GPU speed-up; then, at smoke and quick only
  (``POOLED_PROFILES``), the study's other families on this kind and on the other kind,
  scaled. Past the largest cost a fit has seen, time grows in proportion to cost. The GPU
  speed-up is measured where a study and family is stored on both kinds at one profile: the
  median, over those groups, of the ratio of their geometric-mean seconds per unit of cost;
  else it is ``ASSUMED_GPU_SPEEDUP``. A study with nothing stored at the profile gets the
  profile's ``DEFAULT_ENTRY_S`` per entry on a CPU.

Every estimate says where it came from (``fitted``, ``borrowed`` or ``default``) and on which
points it rests, so the ledger and the guard can say how much to trust it; ``quality``
measures the fits by leaving each stored entry out in turn.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sbcore import store
from sbcore.checks import check_int, check_number
from sbcore.profiles import PROFILE_NAMES, check_profile
from sbcore.studies import STUDIES, load

KINDS = ("cpu", "gpu")
# A chapter stops before more missing work than this (seconds, on its device) unless the reader
# allows it: ten minutes, about what the whole quick book takes on a 2-core CPU.
LONG_WORK_S = 600.0
# Above this estimate on a CPU an entry is a GPU's work: three hours is about twice the longest
# entry any CPU has stored (the toolbox's GRU on MS-(5,7), 1.6 h on 2 cores), so an entry past
# it is one the CPU estimates have never been checked against, and a worker busy that long
# outlasts a lease or a cluster job slot of a few hours even when the estimate is 2x too low.
CPU_FEASIBLE_S = 3 * 3600.0
# Entries that took less than this measure start-up (imports, data) rather than training, and
# a power law through them extrapolates nonsense (a smoke entry of cost 0.2 taking 0.03 s would
# give a quick entry of cost 20,000 half an hour): they are left out of the fits.
MIN_FIT_S = 5.0
MIN_POINTS_FOR_SLOPE = 3
MIN_COST_SPAN = 4.0  # max cost / min cost of a group before its slope is fitted
SLOPE_RANGE = (0.25, 1.5)  # a fitted slope outside it is clipped (extrapolation guard)
# Assumption, used only where no study has entries stored on both kinds: a GPU does an entry's
# work ten times faster than a CPU (the stored toolbox entries measure 6x to 30x).
ASSUMED_GPU_SPEEDUP = 10.0
# Assumption for a study with nothing stored at a profile: seconds per entry on a CPU. Costs
# are in each study's own units, so no other study's rate carries over; the profiles' design
# does. The whole quick book took 348 s over its 100 entries on 2 cores (3.5 s an entry): 15 s
# is four times that (and the largest quick study, 30 entries, stays under LONG_WORK_S); smoke
# entries take about a second. A paper entry never measured is taken for a GPU's work (beyond
# CPU_FEASIBLE_S), as the DenseNet121 runs that called for this guard are (days on a CPU).
DEFAULT_ENTRY_S = {"smoke": 2.0, "quick": 15.0, "paper": 4 * 3600.0}
# Where a family borrows the rate of its study's other families. At smoke and quick it guards a
# chapter's minutes and every model is small. At paper it would mislead: a study's cost unit
# need not weigh its models (the perturbations study's image entries count images only, and a
# DenseNet121 takes days on a CPU where its stored FCNs took minutes), so a family never stored
# at paper takes the default, a GPU's work, until one of its entries is stored.
POOLED_PROFILES = ("smoke", "quick")


@dataclass(frozen=True)
class Estimate:
    """Seconds an entry should take, where the figure came from (fitted, borrowed or
    default) and what it rests on, in words."""

    seconds: float
    source: str
    basis: str


@dataclass(frozen=True)
class Fit:
    """``seconds = exp(log_a) * cost ** b`` from ``n`` stored points whose largest cost is
    ``top``; past ``top`` the time grows in proportion to the cost (a slope below 1, fitted
    where start-up weighs on the small entries, would promise large entries far too soon)."""

    log_a: float
    b: float
    n: int
    top: float = math.inf

    def seconds(self, cost: float) -> float:
        at = min(max(cost, 1e-12), self.top)
        return float(math.exp(self.log_a + self.b * math.log(at))) * max(cost, 1e-12) / at


@dataclass
class Calibration:
    """The stored points and the fits made from them (``calibrate``)."""

    points: pd.DataFrame  # study, family, kind, profile, cost, seconds, entry
    fits: dict  # (study, family, kind, profile) -> Fit
    pooled: dict  # (study, kind, profile) -> Fit over the study's families
    gpu_speedup: float
    speedup_measured: bool


def device_kind(device: str) -> str:
    """"gpu" for cuda, cuda:N and mps, "cpu" for cpu; ValueError for anything else."""
    text = str(device)
    if text == "cpu":
        return "cpu"
    if text in ("cuda", "mps") or (text.startswith("cuda:") and text[5:].isdigit()):
        return "gpu"
    raise ValueError(f"device {device!r} is not a device; allowed: cpu, cuda, cuda:N, mps")


def relative_cost(study: str, config: dict) -> float:
    """The study's ``cost(config)``, 1 for a study that defines none (as the runner counts)."""
    return module_cost(load(study, "study"), config)


def module_cost(mod, config: dict) -> float:
    """An entry's relative work by its study module's ``cost`` (1 where it defines none)."""
    return float(mod.cost(config)) if hasattr(mod, "cost") else 1.0


HEAVIEST_CELL = ("gru", "cnn", "fcn")


def family(config: dict) -> str:
    """The kind of model an entry trains, for fitting apart what trains at different rates
    (see the module docstring for the rule), prefixed by the entry's part where its study
    has parts: a study's parts are different experiments whose costs need not share a unit
    (the generalisation grid's 180 points a network against its controls' one)."""
    model = _model_family(config)
    part = config.get("part")
    return f"{part} {model}".strip() if isinstance(part, str) else model


def _model_family(config: dict) -> str:
    if config.get("images"):
        return "images"
    cells = config.get("cells")
    if cells:
        present = {c["spec"]["family"] for c in cells}
        return next((f.upper() for f in HEAVIEST_CELL if f in present), "FCN")
    model = config.get("model")
    if isinstance(model, str):
        return model.rsplit("-", 1)[1] if model.startswith("(") and "-" in model else model
    return "FCN" if isinstance(model, list) else ""


# --- the stored points ------------------------------------------------------------------------

POINT_COLUMNS = ["study", "family", "kind", "profile", "cost", "seconds", "entry"]


def stored_points(roots) -> pd.DataFrame:
    """One row per stored entry worth fitting (every study and profile under each root, each
    entry key once): study, family, kind, profile, cost, seconds, entry. Entries split from one
    older run count once (see the module docstring); entries whose config today's ``cost``
    cannot read (an old version's) are left out."""
    rows, migrated, seen = [], {}, set()
    for root in roots:
        for profile in PROFILE_NAMES:
            for name in STUDIES:
                folder = store.study_dir(name, profile, root)
                for path in sorted(folder.glob("*/provenance.json")):
                    if (name, profile, path.parent.name) in seen:  # a copy of a store
                        continue
                    seen.add((name, profile, path.parent.name))
                    row = _point(name, profile, path)
                    if row is None:
                        continue
                    split = row.pop("split")
                    if split:
                        migrated.setdefault(split, []).append(row)
                    else:
                        rows.append(row)
    for (_, parts), group in migrated.items():
        if len(group) == parts:  # the whole older run: its cost against its wall time
            rows.append(dict(group[0], cost=sum(r["cost"] for r in group),
                             entry=" + ".join(r["entry"] for r in group)))
    points = pd.DataFrame(rows, columns=POINT_COLUMNS)
    return points[points["seconds"] >= MIN_FIT_S].reset_index(drop=True)


def _point(study: str, profile: str, path: Path) -> dict | None:
    """The point of one stored entry, None where it has none (damaged, no wall time, a config
    today's cost cannot read)."""
    try:
        prov = json.loads(path.read_text())
        config = prov["config"]["config"]
        seconds = float(prov["wall_time_s"])
        kind = device_kind(prov["device"])
        cost = relative_cost(study, config)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not (math.isfinite(seconds) and seconds > 0 and cost > 0):
        return None
    moved = prov.get("migrated") or {}
    parts = int(moved.get("split_into", 1))
    return dict(study=study, family=family(config), kind=kind, profile=profile, cost=cost,
                seconds=seconds, entry=prov.get("entry", path.parent.name),
                split=((study, profile, moved.get("from_key")), parts) if parts > 1 else None)


# --- the fits ---------------------------------------------------------------------------------

def fit(costs, seconds) -> Fit:
    """``seconds = a * cost ** b`` in log space (the slope rule of the module docstring)."""
    x, y = np.log(np.asarray(costs, float)), np.log(np.asarray(seconds, float))
    if len(x) >= MIN_POINTS_FOR_SLOPE and x.max() - x.min() >= math.log(MIN_COST_SPAN):
        b = float(np.clip(np.polyfit(x, y, 1)[0], *SLOPE_RANGE))
    else:
        b = 1.0
    return Fit(log_a=float(np.mean(y - b * x)), b=b, n=len(x), top=float(np.exp(x.max())))


def calibrate(points: pd.DataFrame) -> Calibration:
    """The fits of every group of ``points`` (see ``stored_points``) and the GPU speed-up."""
    fits = {key: fit(g["cost"], g["seconds"])
            for key, g in points.groupby(["study", "family", "kind", "profile"])}
    pooled = {key: fit(g["cost"], g["seconds"])
              for key, g in points.groupby(["study", "kind", "profile"])}
    ratios = []  # cpu / gpu rate of each study, family and profile stored on both kinds
    for _, g in points.groupby(["study", "family", "profile"]):
        if set(g["kind"]) == set(KINDS):
            rate = {k: np.mean(np.log(one["seconds"] / one["cost"]))
                    for k, one in g.groupby("kind")}
            ratios.append(math.exp(rate["cpu"] - rate["gpu"]))
    if ratios:
        return Calibration(points, fits, pooled, float(np.median(ratios)), True)
    return Calibration(points, fits, pooled, ASSUMED_GPU_SPEEDUP, False)


@functools.lru_cache(maxsize=8)
def _calibration_of(roots: tuple) -> Calibration:
    return calibrate(stored_points(roots))


def calibration(root: Path | None = None) -> Calibration:
    """The calibration of a store (cached): by default the store's results folder and the
    repository's committed ``results/`` (always there in a checkout, so a run into an empty
    store still gets the measured paper-scale rates)."""
    roots = (Path(root).resolve(),) if root is not None else tuple(dict.fromkeys(
        [Path(store.RESULTS).resolve(), (store.ROOT / "results").resolve()]))
    return _calibration_of(roots)


def _other(kind: str) -> str:
    return "gpu" if kind == "cpu" else "cpu"


def seconds(study: str, config: dict, kind: str, profile: str,
            cal: Calibration | None = None, cost: float | None = None) -> Estimate:
    """The estimate of one entry (``study``, ``config``, of ``profile``) on a device ``kind``
    (cpu or gpu), by the rules of the module docstring. ``cost``: the entry's relative cost
    where the caller has it (the runner's entries carry it), else the study's ``cost``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    check_profile(profile)
    cal = calibration() if cal is None else cal
    cost = relative_cost(study, config) if cost is None else cost
    return _estimate(study, family(config), cost, kind, profile, cal)


def _estimate(study: str, fam: str, cost: float, kind: str, profile: str,
              cal: Calibration) -> Estimate:
    """``seconds`` once the entry's family and cost are known."""
    other, speed = _other(kind), cal.gpu_speedup if kind == "gpu" else 1 / cal.gpu_speedup
    scaled = f"x{1 / speed:.3g}, the {'measured' if cal.speedup_measured else 'assumed'} " \
             f"GPU speed-up"
    label = f"{study} {fam}".strip()
    chain = [(cal.fits.get((study, fam, kind, profile)), 1.0, "fitted", f"{label} on {kind}"),
             (cal.fits.get((study, fam, other, profile)), 1 / speed, "borrowed",
              f"{label} on {other}, {scaled}"),
             (cal.pooled.get((study, kind, profile)), 1.0, "borrowed",
              f"{study}'s other models on {kind}"),
             (cal.pooled.get((study, other, profile)), 1 / speed, "borrowed",
              f"{study}'s other models on {other}, {scaled}")]
    if profile not in POOLED_PROFILES:
        chain = chain[:2]
    for f, scale, source, basis in chain:
        if f is not None:
            return Estimate(f.seconds(cost) * scale, source,
                            f"{basis}: {f.n} stored {profile} entr{'y' if f.n == 1 else 'ies'}"
                            f", b={f.b:.2f}")
    per_entry = DEFAULT_ENTRY_S[profile] * (1 / cal.gpu_speedup if kind == "gpu" else 1.0)
    return Estimate(per_entry, "default", f"nothing of {label} stored at {profile}: "
                                          f"{duration(per_entry)} an entry on {kind} (assumed)")


def gpu_work(study: str, config: dict, profile: str, cal: Calibration | None = None) -> bool:
    """Whether an entry is a GPU's work: its CPU estimate exceeds ``CPU_FEASIBLE_S``."""
    return seconds(study, config, "cpu", profile, cal).seconds > CPU_FEASIBLE_S


def quality(cal: Calibration) -> pd.DataFrame:
    """How good the estimates are on the stored entries: each point estimated from a
    calibration of all the others (leave one out, so a point alone in its group borrows as a
    new entry would), per study, kind and profile: n, the median |log10(estimate / actual)|,
    the share within 2x, and how many of the n estimates were fitted (not borrowed or
    default)."""
    pts = cal.points.reset_index(drop=True)
    rows = []
    for i, p in pts.iterrows():
        e = _estimate(p.study, p.family, p.cost, p.kind, p.profile, calibrate(pts.drop(index=i)))
        rows.append(dict(study=p.study, kind=p.kind, profile=p.profile,
                         error=abs(math.log10(e.seconds / p.seconds)),
                         fitted=e.source == "fitted"))
    errors = pd.DataFrame(rows, columns=["study", "kind", "profile", "error", "fitted"])
    return errors.groupby(["study", "kind", "profile"]).agg(
        n=("error", "size"), median_abs_log10=("error", "median"),
        within_2x=("error", lambda e: float(np.mean(e <= math.log10(2)))),
        fitted=("fitted", "sum")).reset_index()


# --- missing work: the ledger, the guard, a lease's plan --------------------------------------

def missing_summary(entries, profile: str, cal: Calibration | None = None) -> pd.DataFrame:
    """Per missing entry (objects with ``.study``, ``.name``, ``.config``): its estimate on a
    CPU and on a GPU in seconds, with where each came from."""
    cal = calibration() if cal is None else cal
    rows = []
    for e in entries:
        cpu, gpu = (seconds(e.study, e.config, k, profile, cal) for k in KINDS)
        rows.append(dict(study=e.study, entry=e.name, cpu_s=cpu.seconds, cpu_source=cpu.source,
                         gpu_s=gpu.seconds, gpu_source=gpu.source))
    return pd.DataFrame(rows, columns=["study", "entry", "cpu_s", "cpu_source", "gpu_s",
                                       "gpu_source"])


def describe_missing(table: pd.DataFrame) -> str:
    """The totals of a ``missing_summary``: hours on one CPU or one GPU, and how many of the
    estimates were fitted."""
    if table.empty:
        return "nothing missing"
    parts = [f"{len(table)} missing entr{'y' if len(table) == 1 else 'ies'}"]
    for kind in KINDS:
        fitted = int((table[f"{kind}_source"] == "fitted").sum())
        parts.append(f"about {duration(table[f'{kind}_s'].sum())} on one {kind.upper()} "
                     f"({fitted} of the estimates fitted, the rest borrowed or assumed)")
    return "; ".join(parts)


def duration(s: float) -> str:
    """Seconds in words a reader takes in at a glance: 45 s, 12 min, 3.5 h, 4.2 days."""
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


MAX_LISTED = 10


def long_work(todo, profile: str, device: str, cal: Calibration | None = None):
    """The estimates of the entries ``todo`` (objects with ``.study``, ``.name``, ``.config``)
    on ``device``: (total seconds, [(estimate, entry)] largest first)."""
    cal = calibration() if cal is None else cal
    kind = device_kind(device)
    est = sorted(((seconds(e.study, e.config, kind, profile, cal, getattr(e, "cost", None)), e)
                  for e in todo),
                 key=lambda pair: -pair[0].seconds)
    return sum(s.seconds for s, _ in est), est


def long_work_message(todo, profile: str, device: str, where: str,
                      cal: Calibration | None = None) -> str:
    """What a chapter says when it stops before long work: the total estimate, the entries
    (largest first, ``MAX_LISTED`` of them), the commands that make them elsewhere and how to
    go ahead anyway. ``where`` names the chapter (``make chapter NAME=...``) or '' ."""
    total, est = long_work(todo, profile, device, cal)
    studies = " ".join(dict.fromkeys(e.study for e in todo))
    lines = [f"{len(est)} {profile} entr{'y' if len(est) == 1 else 'ies'} would be computed "
             f"on {device}, about {duration(total)} in all (more than "
             f"{duration(LONG_WORK_S)}, the limit for work started without asking):"]
    lines += [f"  {e.study} {e.name}: about {duration(s.seconds)} ({s.source}: {s.basis})"
              for s, e in est[:MAX_LISTED]]
    if len(est) > MAX_LISTED:
        lines.append(f"  and {len(est) - MAX_LISTED} more")
    ledger = f"python -m sbcore.run_experiments --missing --profile {profile}"
    lines += ["Make them elsewhere, then rerun (stored entries are reused):",
              f"  on a GPU:          {ledger} --device cuda {studies}",
              f"  on N local cores:  {ledger} --cluster local:N {studies}",
              "Or go ahead here anyway: allow_long = True in the chapter's parameters, "
              f"make chapter NAME={where or '<chapter>'} PROFILE={profile} ALLOW_LONG=1, or "
              "--allow-long (python -m sbcore.build.pipeline execute)."]
    return "\n".join(lines)


def plan(entries, profile: str, minutes: float, gpu_workers: int, cpu_workers: int,
         cal: Calibration | None = None) -> pd.DataFrame:
    """Which entries (objects with ``.study``, ``.name``, ``.config``, ``.begun``) a lease of
    ``minutes`` with so many GPU and CPU workers would store, by greedy list scheduling:
    begun entries first (they resume), then cheapest first by their GPU estimate; each goes
    to the worker of its kind that is free first (a GPU's work, see ``gpu_work``, only to GPU
    workers; the rest to CPU workers, or to GPU workers where there are none). An entry that
    would end past the lease is not started (its worker stays free for the next); one that
    no worker can take has no worker. One row per entry: study, entry, kind, worker,
    start_s, end_s, fits, source."""
    check_number("minutes", minutes, low=0, low_open=True)
    check_int("gpu_workers", gpu_workers, minimum=0)
    check_int("cpu_workers", cpu_workers, minimum=0)
    if gpu_workers + cpu_workers == 0:
        raise ValueError("a plan needs at least one worker (gpu_workers or cpu_workers)")
    cal = calibration() if cal is None else cal
    free = {f"gpu{i}": 0.0 for i in range(gpu_workers)}
    free.update({f"cpu{i}": 0.0 for i in range(cpu_workers)})
    gpus = [w for w in free if w.startswith("gpu")]
    cpus = [w for w in free if w.startswith("cpu")] or gpus
    order = sorted(entries, key=lambda e: (not e.begun,
                                           seconds(e.study, e.config, "gpu", profile, cal).seconds))
    rows = []
    for e in order:
        workers = gpus if gpu_work(e.study, e.config, profile, cal) else cpus
        if not workers:
            rows.append(dict(study=e.study, entry=e.name, kind="gpu", worker="",
                             start_s=np.nan, end_s=np.nan, fits=False, source=""))
            continue
        worker = min(workers, key=lambda w: free[w])
        kind = worker[:3]
        est = seconds(e.study, e.config, kind, profile, cal)
        start, end = free[worker], free[worker] + est.seconds
        fits = end <= minutes * 60
        if fits:
            free[worker] = end
        rows.append(dict(study=e.study, entry=e.name, kind=kind, worker=worker, start_s=start,
                         end_s=end, fits=fits, source=est.source))
    return pd.DataFrame(rows, columns=["study", "entry", "kind", "worker", "start_s", "end_s",
                                       "fits", "source"])


def describe_plan(table: pd.DataFrame) -> str:
    """A plan's totals per device kind: the entries that fit and their estimated minutes, and
    the rest (how many, and the minutes they would take)."""
    lines = []
    for kind in KINDS:
        mine = table[table["kind"] == kind]
        if mine.empty:
            continue
        fit_, rest = mine[mine["fits"]], mine[~mine["fits"]]
        took = (fit_["end_s"] - fit_["start_s"]).sum() / 60
        left = (rest["end_s"] - rest["start_s"]).sum() / 60
        lines.append(f"{kind.upper()} workers: {len(fit_)} entr{'y' if len(fit_) == 1 else 'ies'}"
                     f" fit (about {took:.0f} worker-minutes); {len(rest)} do not (about "
                     f"{left:.0f} more worker-minutes)")
    return "\n".join(lines) or "nothing to plan"
