"""Long training runs in parts: the trainer's loop saves a checkpoint every few minutes and
pauses at a deadline or on Ctrl-C or SIGTERM (after the update in progress), so a run cut short
(a GPU lease's slice, a session's end, a kill) resumes where it stopped instead of starting
over. The runner turns this on for every store entry it computes (``runner.run``); the loop
itself (``trainer._run_group``) saves and restores.

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
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import torch

SAVE_EVERY_S = 300.0  # a kill loses at most this much training (a save takes well under 1 s)
FORMAT = 1  # bumped when what a checkpoint holds changes: an older one is not resumed


class Paused(RuntimeError):
    """Training stopped at its deadline, or on Ctrl-C or SIGTERM, after saving a checkpoint;
    running the same entry again resumes it."""


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
        """The saved state of this group, or None: no file, or one written for another group
        or format (warned, then overwritten by the next save)."""
        if not self.path.exists():
            return None
        try:
            # our own file, written by save below: it holds the group object itself
            state = torch.load(self.path, map_location=torch.device(device), weights_only=False)
        except Exception as err:  # a damaged file: start afresh rather than fail
            warnings.warn(f"ignoring the unreadable checkpoint {self.path} ({err}); this "
                          f"group starts afresh", RuntimeWarning, stacklevel=3)
            return None
        if state.get("format") != FORMAT or state.get("signature") != self.signature:
            warnings.warn(f"ignoring the checkpoint {self.path}: it was written for another "
                          f"group or version of the trainer; this group starts afresh",
                          RuntimeWarning, stacklevel=3)
            return None
        return state

    def save(self, state: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        os.close(fd)
        try:
            torch.save(dict(state, format=FORMAT, signature=self.signature), tmp)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        # how far the group is, readable without torch (the ledger says it)
        progress = dict(done=state["done"], update=state.get("update"),
                        cap=self.signature.get("config", {}).get("max_updates"),
                        models=len(state["results"]),
                        running=None if state["done"] else len(state["active"]))
        self.path.with_suffix(".json").write_text(json.dumps(progress))
        self.last_save = self.owner.clock()

    def try_save(self, state: dict) -> None:
        """Save, but let training go on if the checkpoint cannot be written (a full disk):
        a checkpoint is insurance, not the result."""
        try:
            self.save(state)
        except OSError as err:
            warnings.warn(f"could not save the checkpoint {self.path} ({err}); training goes "
                          f"on without it", RuntimeWarning, stacklevel=3)
            self.last_save = self.owner.clock()  # try again one interval later

    def tick(self, update: int, state: Callable[[], dict]) -> None:
        """After an update: save ``state()`` when a save is due, and after saving raise
        Paused when the deadline has passed."""
        now = self.owner.clock()
        late = self.owner.deadline is not None and now >= self.owner.deadline
        if late or self.owner.stop_signal is not None:
            self.save(state())  # a pause without its checkpoint would lose the run: raise
            why = "the time budget is used up" if late else f"{self.owner.stop_signal} arrived"
            raise Paused(f"paused at update {update:,} ({why}); the checkpoint {self.path} "
                         f"resumes it when the entry is run again")
        if now - self.last_save >= self.owner.save_every_s:
            self.try_save(state())


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
    path.parent.mkdir(parents=True, exist_ok=True)
    part = dict(seconds=round(seconds, 2), device=device, note=note,
                date=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    tmp = path.with_name(f".{PARTS}.tmp")
    tmp.write_text(json.dumps(parts(folder) + [part], indent=1))
    os.replace(tmp, path)


def parts(folder) -> list[dict]:
    """The earlier parts of a run recorded in ``folder`` ([] if none, or unreadable)."""
    try:
        out = json.loads((Path(folder) / PARTS).read_text())
        return out if isinstance(out, list) else []
    except (OSError, ValueError):
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
    """Remove an entry's checkpoints (once the entry is stored they are of no use)."""
    shutil.rmtree(folder, ignore_errors=True)
