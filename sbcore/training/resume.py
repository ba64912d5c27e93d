"""Long training runs in parts: the trainer's loop saves a checkpoint every few minutes and
pauses at a deadline or on Ctrl-C or SIGTERM (after the update in progress), so a run cut short
(a GPU lease's slice, a session's end, a kill) resumes where it stopped instead of starting
over. The runner turns this on for every store entry it computes (``runner.run``); the loop
itself (``loop.Loop``) saves and restores.

One folder per store entry. A compute that trains several groups one after another has one
file per group, in call order (``group-0.pt``, ``group-1.pt``, ...); the file of a group that
finished holds its results, so a resumed compute skips that group and retrains nothing.
``fit_each``, whose models may train in other processes, gives each model a folder of its
own (``each-<call>/model-<i>/``), the same whatever the number of processes. A file is
written to a temporary name and renamed into place, so a kill during a save leaves the
previous checkpoint; beside each file a small JSON record says how far the group got (the
ledger prints it). A resumed run continues bit for bit on the device and thread count it
started on (the same state, the same operations); on another device it continues from the
same state, up to that device's float rounding.

A checkpoint file holds data only and is read without running anything it names (its
format and checks: ``sbcore.training.checkpoint_file``). A file that fails a check is refused
with a warning naming it and why, kept aside as ``<name>.refused``, and its group starts
afresh. Every warning here is a ``store.ResultsWarning``, which the runner passes on to the
chapter's problems.

Written for the plateau reruns (chapter 06), whose 800,000-update cap outlasts one GPU
slice; every store entry's training goes through it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import shutil
import signal
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sbcore.store import ResultsWarning, StoreUnwritable, folder_problem
from sbcore.training.checkpoint_file import Refused, read_checkpoint, write_checkpoint

SAVE_EVERY_S = 300.0  # a kill loses at most this much training (a save takes well under 1 s)
FORMAT = 2  # bumped when what a checkpoint holds changes: an older one is not resumed
# (format 1 was a pickle of the loop's objects, which only an unsafe load could read)


class Paused(RuntimeError):
    """Training stopped at its deadline, or on Ctrl-C or SIGTERM, after saving a checkpoint;
    running the same entry again resumes it."""


class CheckpointUnwritable(StoreUnwritable):
    """Training had to pause but its checkpoint could not be written (a full disk, a file
    where the folder should be): the pause would lose the run, so it is an error."""


@dataclass
class Checkpoints:
    """Where the groups of one compute keep their checkpoints, and until when they may run
    (``deadline``: a time of ``clock``, None for no limit)."""

    folder: Path
    deadline: float | None = None
    save_every_s: float = SAVE_EVERY_S
    clock: Callable[[], float] = time.perf_counter
    calls: int = 0  # groups started so far in this compute
    stop_signal: str | None = None  # Ctrl-C or SIGTERM arrived: pause after this update
    failing: bool = False  # the last save failed (warned once until one succeeds)

    def next_slot(self, signature: dict) -> "Slot":
        slot = Slot(self, Path(self.folder) / f"group-{self.calls}.pt", signature)
        self.calls += 1
        return slot


class Slot:
    """The checkpoint file of one group: ``load`` what it holds (if it belongs to this group),
    ``tick`` after each update (save when due, pause at the deadline), ``finish`` with the
    group's results."""

    def __init__(self, owner: Checkpoints, path: Path, signature: dict):
        self.owner, self.path, self.signature = owner, path, signature
        self.last_save = owner.clock()

    def load(self, device) -> dict | None:
        """The saved state of this group, or None: no file; a file refused (damaged, or
        holding more than data: warned and set aside); or one written for another group or
        format (warned, then replaced by the next save)."""
        if not os.path.lexists(self.path):
            return None
        try:
            state = read_checkpoint(self.path, device)
        except Refused as why:
            warnings.warn(f"refused the checkpoint {self.path}: {why}; "
                          f"{_set_aside(self.path)}, and this group starts afresh",
                          ResultsWarning, stacklevel=3)
            return None
        if not isinstance(state, dict) or state.get("format") != FORMAT \
                or state.get("signature") != self.signature:
            warnings.warn(f"ignoring the checkpoint {self.path}: it was written for another "
                          f"group or version of the trainer; this group starts afresh (its "
                          f"next checkpoint replaces the file)", ResultsWarning, stacklevel=3)
            return None
        return state

    def save(self, state: dict) -> None:
        """Write the checkpoint (OSError or RuntimeError where it cannot be written)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_checkpoint(self.path, dict(state, format=FORMAT, signature=self.signature))
        # how far the group is, readable without torch (the ledger says it)
        progress = dict(done=state["done"], update=state.get("update"),
                        cap=self.signature.get("config", {}).get("max_updates"),
                        models=len(state["results"]),
                        running=None if state["done"] else len(state["active"]))
        record = self.path.with_suffix(".json")
        tmp = record.with_name(f".{record.name}.tmp")
        tmp.write_text(json.dumps(progress))
        os.replace(tmp, record)
        self.last_save = self.owner.clock()

    def try_save(self, state: dict) -> None:
        """Save, but let training go on if the checkpoint cannot be written (a full disk):
        a checkpoint is insurance, not the result. Warned when saves start failing."""
        try:
            self.save(state)
        except (OSError, RuntimeError) as err:  # torch.save's writer: RuntimeError
            if not self.owner.failing:
                warnings.warn(f"could not save the checkpoint {self.path} ({err}); training "
                              f"goes on, but until a checkpoint is saved a kill or pause "
                              f"loses what was trained since the last one", ResultsWarning,
                              stacklevel=3)
            self.owner.failing = True
            self.last_save = self.owner.clock()  # try again one interval later
        else:
            self.owner.failing = False

    def tick(self, update: int, state: Callable[[], dict]) -> None:
        """After an update: save ``state()`` when a save is due, and after saving raise
        Paused when the deadline has passed (CheckpointUnwritable if that save fails)."""
        now = self.owner.clock()
        late = self.owner.deadline is not None and now >= self.owner.deadline
        if late or self.owner.stop_signal is not None:
            why = "the time budget is used up" if late else f"{self.owner.stop_signal} arrived"
            self._save_for_pause(update, why, state())
            raise Paused(f"paused at update {update:,} ({why}); the checkpoint {self.path} "
                         f"resumes it when the entry is run again")
        if now - self.last_save >= self.owner.save_every_s:
            self.try_save(state())

    def _save_for_pause(self, update: int, why: str, state: dict) -> None:
        """A pause without its checkpoint would pass for saved when it is not: an error."""
        try:
            self.save(state)
        except (OSError, RuntimeError) as err:
            raise CheckpointUnwritable(
                f"could not save the checkpoint {self.path} to pause at update {update:,} "
                f"({why}): {err}; the training since the last checkpoint is lost. Free some "
                f"space or make the folder writable, then run the entry again") from None


def _set_aside(path: Path) -> str:
    """Move a refused checkpoint out of the way (kept for a look, never read again); says
    where it went."""
    aside = path.with_name(path.name + ".refused")
    try:
        os.replace(path, aside)
    except OSError as err:
        return f"it could not be moved aside ({err.strerror or err}), so it stays until the " \
               f"next checkpoint of this group replaces it"
    return f"it is kept as {aside.name} beside it"


_CURRENT: contextvars.ContextVar[Checkpoints | None] = contextvars.ContextVar(
    "sbcore_checkpoints", default=None)


@contextlib.contextmanager
def resumable(folder, deadline: float | None = None, save_every_s: float = SAVE_EVERY_S,
              clock: Callable[[], float] = time.perf_counter):
    """Within this block, every training group checkpoints into ``folder`` and resumes from
    it; ``deadline`` (a time of ``clock``) pauses training there with ``Paused``."""
    if save_every_s <= 0:
        raise ValueError(f"save_every_s must be a positive number of seconds, got "
                         f"{save_every_s!r}")
    owner = Checkpoints(Path(folder), deadline, save_every_s, clock)
    problem = folder_problem(folder)
    if problem:  # every save will fail: said once, here, rather than as a silent "off"
        warnings.warn(f"training checkpoints are off: {problem}, so {folder} cannot hold them; "
                      f"until it is moved away a kill or pause loses this training",
                      ResultsWarning, stacklevel=3)
        owner.failing = True
    token = _CURRENT.set(owner)
    try:
        with _pause_on_signals(owner):
            yield owner
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def _pause_on_signals(owner: Checkpoints):
    """Ctrl-C (SIGINT) or SIGTERM asks training to pause after the update in progress, so the
    checkpoint holds a consistent state; a second Ctrl-C interrupts at once. Only the main
    thread can take signals: elsewhere they keep their usual meaning."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ask(signum, frame):
        if owner.stop_signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: stop now
        owner.stop_signal = signal.Signals(signum).name

    previous = {sig: signal.signal(sig, ask) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def slot(signature: dict) -> Slot | None:
    """The next group's checkpoint slot inside ``resumable``; None outside it."""
    owner = _CURRENT.get()
    return None if owner is None else owner.next_slot(signature)


def plans(n: int) -> list[tuple | None]:
    """For ``n`` models trained alone, possibly in other processes (``fit_each``): each one's
    own ``resumable`` arguments (folder, deadline, save_every_s) under the next call's
    subfolder, or None each outside ``resumable``. The deadline is a ``time.perf_counter``
    time, which every process on the machine shares."""
    owner = _CURRENT.get()
    if owner is None:
        return [None] * n
    base = owner.folder / f"each-{owner.calls}"
    owner.calls += 1
    return [(base / f"model-{i}", owner.deadline, owner.save_every_s) for i in range(n)]


PARTS = "parts.json"  # the earlier parts of a run: seconds, device, date, where it paused


def record_part(folder, seconds: float, device: str, note: str) -> None:
    """Add one paused part of a run to ``folder``'s list (the stored entry's provenance gets
    the list, and its wall time their sum)."""
    path = Path(folder) / PARTS
    part = dict(seconds=round(seconds, 2), device=device, note=note,
                date=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    tmp = path.with_name(f".{PARTS}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(parts(folder) + [part], indent=1))
        os.replace(tmp, path)
    except OSError as err:  # the pause itself is saved; only its record is lost
        warnings.warn(f"could not record this part of the run in {path} ({err.strerror or err}"
                      f"); the stored entry's wall time will leave out its {seconds:.0f} s",
                      ResultsWarning, stacklevel=2)


def parts(folder) -> list[dict]:
    """The earlier parts of a run recorded in ``folder`` ([] if none; [] with a warning if
    the record cannot be read, since the stored entry's wall time then leaves them out)."""
    path = Path(folder) / PARTS
    if not os.path.lexists(path):
        return []
    try:
        out = json.loads(path.read_text())
        if isinstance(out, list) and all(isinstance(p, dict) for p in out):
            return out
        why = "not a list of parts"
    except (OSError, ValueError) as err:
        why = f"{type(err).__name__}: {err}"
    warnings.warn(f"ignoring the unreadable record of earlier parts {path} ({why}); the "
                  f"stored entry's wall time will leave them out", ResultsWarning, stacklevel=2)
    return []


def progress(folder) -> list[dict]:
    """How far each group with a checkpoint in ``folder`` (or its subfolders) got: done,
    update, cap, models and how many were still running; unreadable records are skipped."""
    out = []
    for path in sorted(Path(folder).rglob("group-*.json")) if Path(folder).is_dir() else []:
        try:
            out.append(dict(json.loads(path.read_text()),
                            group=path.relative_to(folder).with_suffix("").as_posix()))
        except (OSError, ValueError):
            continue
    return out


def saved_at(folder) -> float | None:
    """When the newest checkpoint in ``folder`` was written (a POSIX time), None if none."""
    files = list(Path(folder).rglob("group-*.pt")) if Path(folder).is_dir() else []
    return max((f.stat().st_mtime for f in files), default=None)


def discard(folder) -> None:
    """Remove an entry's checkpoints (once the entry is stored they are of no use, and a
    recompute must not resume them); CheckpointUnwritable, naming the folder, if any stay."""
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.lexists(folder):
        raise CheckpointUnwritable(f"could not remove the checkpoints {folder}: remove them by "
                                   f"hand (a later run of this entry would resume them)")
