"""One runner for every study: run, lookup, collect, and the ledger of stored entries.

A study is a module of ``sbcore.studies`` (registered in ``STUDIES``) with

* ``NAME`` (its store folder) and ``VERSION`` (bumped when its computation changes, so stored
  entries of the old version are reported stale and never served);
* ``configs(profile, seed=0) -> {entry name: config}``: one store entry per grid point or per
  group of seeds trained together. A config holds compute settings only (display settings
  live in the study's ``VIEWS``), is JSON-able, and is hashed into the entry's key together
  with the study's name, version and the chapter's seed;
* ``compute(config, device) -> {table name: DataFrame, "tensors": {...}}`` with a tidy
  ``metrics`` table;
* optionally ``cost(config) -> float``: relative work of an entry (the ledger runs the largest
  first).

The chapter ``seed`` shifts every seed of a study's configs (``seeds_from``), so
``--seed 7`` gives seed 7's numbers and its own store entries.
"""

from __future__ import annotations

import contextlib
import functools
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from sbcore import store
from sbcore.checks import check_bool, check_choice, check_seed
from sbcore.profiles import PROFILE_NAMES, check_device, check_profile
from sbcore.studies import STUDIES, estimate, load
from sbcore.usage import record_usage


def study(name: str):
    """The study module by name; ValueError listing the studies for anything else."""
    return load(name, "study")


def seeds_from(seeds, seed: int) -> list[int]:
    """A profile's seeds shifted by the chapter's seed (seed 0 keeps them)."""
    return [check_seed(int(s) + seed, "seed + chapter seed") for s in seeds]


def entry_key_config(mod, name: str, config: dict, seed: int) -> dict:
    """What is hashed: the study's name and version, the entry's name, the chapter seed and
    its compute config."""
    return dict(study=mod.NAME, version=mod.VERSION, entry=name, seed=seed, config=config)


@dataclass
class Entry:
    """One entry of a study under a profile and seed: where it is, or why it is not."""

    study: str
    name: str
    config: dict
    key_config: dict
    status: str  # stored | missing | stale | damaged
    detail: str = ""
    device: str = ""
    date: str = ""
    wall_time_s: float = float("nan")
    cost: float = 1.0
    result: store.Result | None = None  # the entry as loaded (and checked), when stored
    begun: bool = False  # not stored, but a paused or interrupted run left checkpoints


def entries(name: str, profile: str, seed: int = 0, root: Path | None = None) -> list[Entry]:
    """The ledger of one study: each config's entry with its status. Stale: no entry for this
    version, but one of another version (or other settings) of the same entry name is there.
    store.StoreUnreadable where the study's folder cannot be listed (a file, a link loop):
    then what is stored is unknown, and no entry is called missing."""
    mod = study(name)
    check_profile(profile)
    check_seed(seed)
    stored = store.entries(mod.NAME, profile, root)
    out = []
    for entry, cfg in mod.configs(profile, seed).items():
        key_cfg = entry_key_config(mod, entry, cfg, seed)
        key = store.config_key(key_cfg)
        cost = estimate.module_cost(mod, cfg)
        prov = stored.get(key)
        if prov is not None and "migrated" in prov:
            migrated = (f"moved from the v{prov['migrated'].get('from_version')} entry "
                        f"{prov['migrated'].get('from_key')}; its wall time is that entry's")
        else:
            migrated = ""
        if prov is not None and "damaged" not in prov:
            try:  # every checksum checked, tensors included; the loaded entry is kept
                loaded = store.load(mod.NAME, key_cfg, profile, root, with_tensors=True)
                e = Entry(mod.NAME, entry, cfg, key_cfg, "stored", device=prov.get(
                    "device_name", ""), date=prov.get("date", ""),
                    wall_time_s=prov.get("wall_time_s", float("nan")), cost=cost,
                    detail=migrated, result=loaded)
            except store.StaleResult as err:
                e = Entry(mod.NAME, entry, cfg, key_cfg, "stale", str(err), cost=cost,
                          device=prov.get("device_name", ""), date=prov.get("date", ""))
            except store.CorruptResult as err:
                e = Entry(mod.NAME, entry, cfg, key_cfg, "damaged", str(err), cost=cost)
        elif prov is not None:
            e = Entry(mod.NAME, entry, cfg, key_cfg, "damaged", prov["damaged"], cost=cost)
        else:
            others = [p for p in stored.values() if p.get("entry") == entry
                      and p.get("seed", 0) == seed]
            if others:
                o = max(others, key=lambda p: p.get("date", ""))
                e = Entry(mod.NAME, entry, cfg, key_cfg, "stale",
                          f"stored version {o.get('version')} (now {mod.VERSION})"
                          if o.get("version") != mod.VERSION else "stored with other settings",
                          device=o.get("device_name", ""), date=o.get("date", ""), cost=cost)
            else:
                e = Entry(mod.NAME, entry, cfg, key_cfg, "missing", cost=cost)
        if e.status != "stored":
            _note_checkpoints(e, store.partial_dir(mod.NAME, key_cfg, profile, root))
        out.append(e)
    return out


def _note_checkpoints(e: Entry, partial: Path) -> None:
    """Mark an entry that a paused or interrupted run began (its checkpoints resume it)."""
    from sbcore.training import resume  # torch: imported only once a run needs it

    when = resume.saved_at(partial)
    if when is None:
        return
    parts = resume.parts(partial)
    e.begun = True
    date = datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d %H:%M")
    running = [p for p in resume.progress(partial) if not p.get("done") and p.get("update")]
    where = "".join(f", {p['group']} at update {p['update']:,}"
                    + (f" of {p['cap']:,}" if p.get("cap") else "") for p in running)
    begun = (f"begun: a checkpoint of {date} UTC resumes it{where}" + (
        f" ({sum(p.get('seconds', 0.0) for p in parts):.0f} s run in {len(parts)} part(s))"
        if parts else ""))
    e.detail = f"{e.detail}; {begun}" if e.detail else begun


class StudyResults(dict):
    """{entry name: store.Result} of one study, with the problems met while reading them
    (damaged or stale stored entries, refused or unwritable checkpoints: every
    store.ResultsWarning), which chapters show as an admonition."""

    problems: list[str]

    def __init__(self, *args, problems=None, **kw):
        super().__init__(*args, **kw)
        self.problems = list(problems or [])

    def table(self, name: str = "metrics") -> pd.DataFrame:
        """One table of every entry, concatenated (entries that lack it are skipped)."""
        return collect(self, name)


class LongWork(ValueError):
    """A run would compute more than ``estimate.LONG_WORK_S`` of missing entries on its device
    without ``allow_long``: the message gives the estimates and the ways on."""


def pending(name: str, profile: str, seed: int = 0, recompute: bool = False, only=None,
            root: Path | None = None) -> list[Entry]:
    """The entries of a study (those in ``only``, if given) that ``run`` would compute: every
    one with ``recompute``, else those with no sound entry of this sbcore version in the store.
    Read from the provenance files alone (cheap: no table or tensor is loaded, so an entry
    whose files were damaged since counts as stored here and is found by ``run`` itself)."""
    mod = study(name)
    configs = mod.configs(profile, seed)
    chosen = list(configs) if only is None else [e for e in only if e in configs]
    try:
        stored = {} if recompute else store.entries(mod.NAME, profile, root)
    except store.StoreUnreadable:
        stored = {}  # what is stored is unknown: every entry counts (run says why it stops)
    out = []
    for entry in chosen:
        key_cfg = entry_key_config(mod, entry, configs[entry], seed)
        prov = stored.get(store.config_key(key_cfg))
        if prov is None or "damaged" in prov or store.stale_reason(prov):
            out.append(Entry(mod.NAME, entry, configs[entry], key_cfg, "missing",
                             cost=estimate.module_cost(mod, configs[entry])))
    return out


def check_long_work(todo: list[Entry], profile: str, device: str, where: str = "") -> None:
    """Raise LongWork when the entries ``todo`` would take more than ``estimate.LONG_WORK_S``
    on ``device`` by their estimates; ``where`` names the chapter for the message."""
    total, _ = estimate.long_work(todo, profile, device)
    if total > estimate.LONG_WORK_S:
        raise LongWork(estimate.long_work_message(todo, profile, device, where))


def run(name: str, profile: str, device: str = "cpu", seed: int = 0, recompute: bool = False,
        only=None, progress: bool = True, root: Path | None = None,
        deadline: float | None = None, provenance: dict | None = None,
        allow_long: bool = False) -> StudyResults:
    """Every entry of a study (or those named in ``only``) from the store, computing and
    storing what is missing. Checks every argument and the store before any work.

    Unless ``allow_long``, the entries to compute are estimated first (``estimate``) and the
    run stops with LongWork, before any training, when they would take more than
    ``estimate.LONG_WORK_S`` on this device: the message names them and the commands that make
    them elsewhere (a GPU, a cluster).

    Training inside a computed entry checkpoints into the store's ``.partial`` folder of that
    entry (``sbcore.training.resume``), so a run that was killed or paused resumes there; at
    ``deadline`` (a ``time.perf_counter`` time) it pauses, raising ``resume.Paused``.
    ``recompute`` starts afresh. ``provenance`` adds fields to each computed entry's
    provenance (a cluster's worker says which worker made it). Every warning about the results
    (``store.ResultsWarning``) goes to ``problems``; other warnings are shown as usual. A
    store that cannot take the entry raises store.StoreUnwritable, saying whether checkpoints
    keep its training."""
    mod = study(name)
    check_profile(profile)
    check_device(device)
    check_seed(seed)
    check_bool("recompute", recompute)
    check_bool("allow_long", allow_long)
    configs = mod.configs(profile, seed)
    chosen = list(configs) if only is None else list(only)
    unknown = [e for e in chosen if e not in configs]
    if unknown:
        raise ValueError(f"entries {unknown} are not entries of {name} at {profile}; "
                         f"known: {', '.join(configs)}")
    if not allow_long:
        check_long_work(pending(name, profile, seed, recompute, chosen, root), profile, device)
    from sbcore.training import resume  # torch, only once an entry is run

    problems = []
    out = StudyResults()
    for entry in chosen:
        key_cfg = entry_key_config(mod, entry, configs[entry], seed)
        partial = store.partial_dir(mod.NAME, key_cfg, profile, root)
        if recompute:
            resume.discard(partial)
        computed = []  # the compute ran to its end (so a failed store would lose it)
        compute = functools.partial(_compute, mod, device=device, folder=partial,
                                    deadline=deadline, computed=computed)
        t0 = time.perf_counter()
        with _results_warnings() as caught:
            earlier = resume.parts(partial)
            meta = dict(provenance or {}, study=mod.NAME, entry=entry, version=mod.VERSION,
                        seed=seed)
            if earlier:  # the provenance says the run came in parts, and from where
                meta["parts"] = earlier
            try:
                out[entry] = store.cached_run(
                    mod.NAME, key_cfg, compute, profile, device=device, recompute=recompute,
                    root=root, meta=meta, earlier_s=sum(p.get("seconds", 0.0) for p in earlier))
            except resume.Paused as err:
                resume.record_part(partial, time.perf_counter() - t0,
                                   store.device_name(device), str(err))
                raise
            except store.StoreUnwritable as err:
                kept = f"; {_kept_training(partial)}" if computed else ""
                raise type(err)(f"{name} {entry}: {err}{kept}") from None
            _discard_stored(partial)
        problems += [f"{name} {entry}: {w.message}" for w in caught]
        record_usage(name, profile, entry, "reused" if out[entry].cached else "computed",
                     out[entry])
    out.problems = problems
    return out


@contextlib.contextmanager
def _results_warnings():
    """Record the warnings of one entry's run and give back those about results
    (store.ResultsWarning), for ``problems``; every other warning is shown as usual. On an
    error every one is shown, since no ``problems`` will carry them."""
    kept, caught, failed = [], [], True
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield kept
        failed = False
    finally:
        for w in caught:
            if issubclass(w.category, store.ResultsWarning) and not failed:
                kept.append(w)
            else:  # shown where it was raised, once the recording has ended
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno,
                                       source=w.source)


def _discard_stored(partial: Path) -> None:
    """The entry is stored: its checkpoints are of no further use (warned if they stay)."""
    from sbcore.training import resume  # torch: imported only once a run needs it

    try:
        resume.discard(partial)
    except store.StoreUnwritable as err:
        warnings.warn(f"{err} (the entry itself is stored)", store.ResultsWarning,
                      stacklevel=2)


def _kept_training(partial: Path) -> str:
    """What of an entry's finished compute its checkpoints keep, for the message of a store
    that could not take the entry."""
    from sbcore.training import resume  # torch: imported only once a run needs it

    groups = resume.progress(partial)
    if resume.saved_at(partial) is None:
        return ("no checkpoint of its training could be kept either, so the next run "
                "computes it again from the start")
    done = sum(1 for g in groups if g.get("done"))
    return (f"its training is kept in the checkpoints {partial} ({done} of {len(groups)} "
            f"group(s) finished): once the store can be written, the same command resumes "
            f"from them instead of training again")


def _compute(mod, key_cfg: dict, device: str, folder: Path, deadline: float | None,
             computed: list) -> dict:
    """The entry's compute, its training resumable from (and checkpointed into) ``folder``."""
    from sbcore.training import resume  # torch: imported only once a run needs it

    with resume.resumable(folder, deadline):
        tables = mod.compute(key_cfg["config"], device)
    computed.append(True)
    return tables


def lookup(name: str, profile: str = "paper", seed: int = 0,
           root: Path | None = None) -> StudyResults:
    """The stored entries of a study (paper profile by default): {entry: Result or None}.
    Damaged and stale entries are None and named in ``problems`` ('not yet run' is only said
    of entries that were never stored)."""
    out = StudyResults()
    try:
        found = entries(name, profile, seed, root)
    except store.StoreUnreadable as err:  # said on the page, rather than 'not yet run'
        out.update(dict.fromkeys(study(name).configs(profile, seed)))
        out.problems.append(f"stored {profile} entries of {name} are not shown: {err}")
        return out
    for e in found:
        out[e.name] = e.result  # None unless stored (and sound)
        record_usage(name, profile, e.name, e.status, out[e.name])
        if e.status != "stored":
            if e.status in ("damaged", "stale"):
                out.problems.append(f"stored {profile} entry {name} {e.name} is {e.status}: "
                                    f"{e.detail}; it is not shown (rerun it: python -m "
                                    f"sbcore.run_experiments --missing --profile {profile} "
                                    f"{name})")
    return out


def collect(results: dict, table: str = "metrics") -> pd.DataFrame:
    """One table of several entries' results (None and entries without it are skipped)."""
    frames = [r.tables[table] for r in results.values()
              if r is not None and table in r.tables and len(r.tables[table])]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


class Merged:
    """Several entries' results as one: every table concatenated over the entries, the
    provenance of each entry (``provenances``: entries of one part may come from different
    machines and days) and the first one's as ``provenance``."""

    def __init__(self, results: dict):
        present = [r for r in results.values() if r is not None]
        names = dict.fromkeys(n for r in present for n in r.tables)
        self.tables = {n: collect(results, n) for n in names}
        self.provenances = [r.provenance for r in present if r.provenance]
        self.provenance = present[0].provenance if present else {}
        self.complete = bool(present) and len(present) == len(results)

    @property
    def metrics(self) -> pd.DataFrame:
        return self.tables["metrics"]


def merge(results: dict, prefix: str | None = None) -> Merged | None:
    """The entries (whose names start with ``prefix``, if given) merged; None if none of them
    is stored."""
    sub = {k: v for k, v in results.items() if prefix is None or k.startswith(prefix)}
    return Merged(sub) if any(v is not None for v in sub.values()) else None


def parts(name: str, results: dict) -> dict:
    """{part: Merged} for a study whose entries are named ``<part>/...`` (its ``PARTS``), from
    its {entry: Result}; None for a part with no stored entry."""
    return {part: merge(results, f"{part}/") for part in study(name).PARTS}


def ledger(profile: str, studies=STUDIES, seed: int = 0,
           root: Path | None = None) -> pd.DataFrame:
    """Per study and entry: stored, missing, stale or damaged, with the stored device and date."""
    rows = [dict(study=e.study, entry=e.name, status=e.status, device=e.device,
                 date=e.date, wall_time_s=e.wall_time_s, detail=e.detail)
            for name in studies for e in entries(name, profile, seed, root)]
    return pd.DataFrame(rows, columns=["study", "entry", "status", "device", "date",
                                       "wall_time_s", "detail"])


ORDERS = ("largest", "cheapest")


def missing_in_order(profile: str, studies=STUDIES, seed: int = 0, root: Path | None = None,
                     order: str = "largest") -> list[Entry]:
    """The entries not stored (missing, stale or damaged), those begun by an earlier run
    first (they resume), then largest ``cost`` first or cheapest first (a short GPU lease
    stores the most entries cheapest first, and the rate the small ones measure then says
    which large ones still fit)."""
    check_choice("order", order, ORDERS)
    todo = [e for name in studies for e in entries(name, profile, seed, root)
            if e.status != "stored"]
    return sorted(todo, key=lambda e: (not e.begun, -e.cost if order == "largest" else e.cost))


def run_missing(profile: str, device: str, studies=STUDIES, budget_s: float | None = None,
                seed: int = 0, root: Path | None = None, report=print,
                order: str = "largest") -> list[Entry]:
    """Compute the entries not stored (missing, stale or damaged): first those an earlier run
    began (they resume from their checkpoints), then in ``order`` (largest or cheapest first),
    each stored as soon as it finishes. With a budget, training pauses when it is spent (a
    checkpoint; the next call resumes there), and an entry is started only if the time it
    should take, by the rate of the entries run so far (seconds per unit of ``cost``), fits in
    what is left, or if it could never fit in a whole budget (it then runs in parts, one per
    call). Returns the entries stored."""
    from sbcore.training import resume  # torch: imported only once a run needs it

    check_profile(profile)
    check_device(device)
    todo = missing_in_order(profile, studies, seed, root, order)
    start, rate, done = time.perf_counter(), None, []
    deadline = None if budget_s is None else start + budget_s
    started = False  # the first entry of a call always starts: each call makes progress, even
    for e in todo:  # when the budget is spent before it (a budget shorter than the set-up)
        left = None if budget_s is None else budget_s - (time.perf_counter() - start)
        need = None if rate is None else rate * e.cost
        if started and left is not None and (left <= 0 or (need is not None and not e.begun
                                                           and left < need <= budget_s)):
            report(f"   skip {e.study} {e.name}: about {need or 0:.0f} s, "
                   f"{max(left, 0):.0f} s of the budget left")
            continue
        t0, started = time.perf_counter(), True
        report(f"== {e.study} {e.name} ({e.status}{', resumed' if e.begun else ''}) at "
               f"{profile} on {device}")
        try:  # a stale entry's new key is missing; a damaged one is recomputed by the store
            results = run(e.study, profile, device, seed, only=[e.name], root=root,
                          deadline=deadline, allow_long=True)  # asked for: no guard
        except resume.Paused as err:
            report(f"   {err} (after {time.perf_counter() - t0:.1f} s)")
            break  # the budget is spent
        res, took = results[e.name], time.perf_counter() - t0
        for problem in results.problems:  # damaged or refused on the way: said, not dropped
            report(f"   problem: {problem}")
        if not e.begun:  # a resumed entry's time is only its last part
            rate = max(rate or 0.0, took / max(e.cost, 1e-9))
        report(f"   stored {res.path} in {took:.1f} s")
        done.append(e)
    return done


__all__ = ["ORDERS", "PROFILE_NAMES", "STUDIES", "Entry", "LongWork", "StudyResults",
           "check_long_work", "collect", "entries", "ledger", "lookup", "missing_in_order",
           "pending", "run", "run_missing", "seeds_from", "study"]
