"""The results store: each entry is keyed by a hash of its compute config, with provenance.

Layout: ``results/<profile>/<study>/<key>/`` holds one CSV per named table, optionally
``tensors.pt`` (trained models' state dicts, perturbations: anything a later study reuses), and
``provenance.json``: the study, entry name, version, seed, config, sbcore version and git
commit, torch version, device name, wall time, date, and a SHA-256 of every file. ``paper``
entries are committed to git; ``quick`` and ``smoke`` entries are build output. An entry
being computed keeps its training checkpoints in ``results/<profile>/<study>/.partial/<key>/``
(git-ignored) until it is stored, so an interrupted or paused run resumes.

Only compute settings are hashed (the key): how a chapter draws a result never changes it.

Writes are atomic and safe under concurrency: an entry is written into a temporary folder,
then swapped into place under a lock on the key, so a failed or interrupted run never leaves a
half-written entry, never replaces a good one, and two processes saving one key both succeed.
An entry whose files do not match their checksums, or whose provenance does not match its
digest, is *damaged*; one stored by another sbcore version is *stale*. Both are reported (a
``ResultsWarning``, and ``problems`` for the page and the pipeline) and recomputed, never
silently used. A store that cannot be read or written (a file where a folder should be, a
symbolic-link loop, a full disk) is said so, naming the path, never taken for "nothing stored".
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

import sbcore
from sbcore.profiles import check_profile

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("SB_RESULTS", ROOT / "results"))
TIDY_COLUMNS = ("study", "dataset", "model", "seed", "metric", "value")
MAIN = "metrics"  # the tidy table every result has
TENSORS = "tensors"  # the key of a compute output's tensors (a dict saved with torch.save)
MIN_FREE_BYTES = 50 * 2**20  # a store with less free space is refused before the computation


class CorruptResult(RuntimeError):
    """A stored entry that fails its checks (damaged)."""


class StaleResult(CorruptResult):
    """A sound entry stored by another version of sbcore: reported and recomputed, never
    silently reused (a change of the library may change what a config computes)."""


class StoreUnwritable(RuntimeError):
    """The store cannot take a new entry (read-only, not a folder, or full)."""


class StoreUnreadable(RuntimeError):
    """A study's folder of the store cannot be listed (a file, a symbolic-link loop,
    unreadable): what it holds is unknown, which is not the same as 'nothing stored'."""


class ResultsWarning(UserWarning):
    """A problem with the results a reader gets: a damaged or stale entry, a checkpoint that
    was refused or could not be written. The studies' runner passes every warning of this
    category on to the chapter's ``problems`` (the page shows them, the pipeline repeats
    them), so none is lost in a notebook's output."""


@dataclass
class Result:
    """Tables of one entry (``tables["metrics"]`` is tidy), its tensors and provenance."""

    tables: dict[str, pd.DataFrame]
    provenance: dict
    path: Path | None = None
    cached: bool = False
    tensors: dict | None = None
    extra: dict = field(default_factory=dict)

    @property
    def metrics(self) -> pd.DataFrame:
        return self.tables[MAIN]


def config_key(config: dict) -> str:
    """A stable 16-hex-digit hash of a JSON-able config."""
    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _looks_like_key(name: str) -> bool:
    return len(name) == 16 and all(c in "0123456789abcdef" for c in name)


def git_commit() -> str:
    """The repository's commit (+dirty if sbcore has local changes). On a machine that got the
    working tree without .git (a lent GPU), the caller passes it in SB_GIT_COMMIT."""
    if os.environ.get("SB_GIT_COMMIT"):
        return os.environ["SB_GIT_COMMIT"]
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        commit = out.stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "sbcore"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def device_name(device: str) -> str:
    import torch

    if str(device).startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    import platform

    return f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def study_dir(study: str, profile: str, root: Path | None = None) -> Path:
    check_profile(profile)
    return Path(root or RESULTS) / profile / study


def entry_dir(study: str, config: dict, profile: str, root: Path | None = None) -> Path:
    return study_dir(study, profile, root) / config_key(config)


def partial_dir(study: str, config: dict, profile: str, root: Path | None = None) -> Path:
    """Where an entry being computed keeps its training checkpoints until it is stored
    (``sbcore.training.resume``): a hidden folder beside the entries, never an entry itself."""
    return study_dir(study, profile, root) / ".partial" / config_key(config)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder_problem(path) -> str:
    """Why ``path`` cannot serve as a folder, or '' when it is one or can be made: the first
    of its ancestors (or itself) that is a file, a symbolic-link loop, a broken link, or that
    cannot be read. (``Path.is_dir`` answers False for all of these alike, which would let a
    damaged store pass for an empty one.)"""
    path = Path(path)
    for p in [*reversed(path.parents), path]:
        try:
            mode = os.stat(p).st_mode
        except FileNotFoundError:
            if os.path.islink(p):
                return f"{p} is a symbolic link to {os.readlink(p)}, which does not exist"
            return ""  # it and what lies below it are yet to be made
        except OSError as err:
            if err.errno == errno.ELOOP:
                return f"{p} is a symbolic link loop"
            return f"{p} cannot be read ({err.strerror or err})"
        if not stat.S_ISDIR(mode):
            return f"{p} is a file, not a folder" if stat.S_ISREG(mode) else \
                f"{p} is not a folder"
    return ""


def provenance_digest(prov: dict) -> str:
    """SHA-256 of everything the provenance claims (config, versions, device, the checksums
    of the tables and tensors), but the digest itself: an entry whose values were edited and
    whose table checksum was updated to match still fails this one."""
    claims = {k: v for k, v in prov.items() if k != "digest"}
    return _sha(json.dumps(claims, sort_keys=True, default=str).encode())


def _read_provenance(path: Path) -> dict:
    prov = json.loads((path / "provenance.json").read_text())
    if not isinstance(prov, dict) or not isinstance(prov.get("tables"), dict):
        raise CorruptResult("provenance.json has no table checksums")
    if prov.get("digest") != provenance_digest(prov):
        raise CorruptResult("provenance.json does not match its digest (edited by hand, or "
                            "written by an older sbcore)")
    return prov


def stale_reason(prov: dict) -> str:
    """Why a sound entry may not be reused as it is ('' when it may)."""
    stored = prov.get("sbcore_version")
    if stored != sbcore.__version__:
        return f"stored by sbcore {stored}, this is sbcore {sbcore.__version__}"
    return ""


def load(study: str, config: dict, profile: str, root: Path | None = None,
         with_tensors: bool = True) -> Result | None:
    """The stored result for exactly this config, None if absent; CorruptResult if damaged
    (a link loop or a file at the entry's place included: ``exists`` would call it absent)."""
    path = entry_dir(study, config, profile, root)
    if not os.path.lexists(path):
        return None
    return _read_entry(path, config, with_tensors)


def _read_entry(path: Path, config: dict, with_tensors: bool = True) -> Result:
    """The entry in the folder ``path``, every checksum checked against its provenance;
    CorruptResult (or StaleResult) naming the folder otherwise."""
    try:
        prov = _read_provenance(path)
        tables = {}
        for name, digest in prov["tables"].items():
            raw = (path / f"{name}.csv").read_bytes()
            if _sha(raw) != digest:
                raise CorruptResult(f"table {name}.csv does not match its checksum")
            tables[name] = _current_names(pd.read_csv(io.BytesIO(raw)))
        if MAIN not in tables:
            raise CorruptResult(f"no {MAIN} table")
        if prov.get("config_key") != config_key(config):
            raise CorruptResult("stored config key differs from the folder's")
        tensors = _load_tensors(path, prov) if with_tensors else None
        stale = stale_reason(prov)
        if stale:
            raise StaleResult(f"stale: {stale}")
    except StaleResult as err:
        raise StaleResult(f"{path}: {err}") from None
    except CorruptResult as err:
        raise CorruptResult(f"{path}: {err}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError) as err:
        raise CorruptResult(f"{path}: unreadable ({type(err).__name__}: {err})") from None
    return Result(tables=tables, provenance=prov, path=path, cached=True, tensors=tensors)


def _current_names(table: pd.DataFrame) -> pd.DataFrame:
    """A stored table under today's column names: entries written before the tidy tables named
    their first column "study" call it "experiment" (the bytes, and so the checksums, stay as
    stored)."""
    if "experiment" in table.columns and "study" not in table.columns:
        return table.rename(columns={"experiment": "study"})
    return table


def _load_tensors(path: Path, prov: dict):
    digest = prov.get("tensors")
    if digest is None:
        return None
    import torch

    raw = (path / "tensors.pt").read_bytes()
    if _sha(raw) != digest:
        raise CorruptResult("tensors.pt does not match its checksum")
    try:  # weights_only: tensors and plain containers, never an object that runs code
        return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as err:
        raise CorruptResult(f"tensors.pt was refused: it holds more than tensors and plain "
                            f"data, and loading it could run code ({load_refusal(err)})") from None


def load_refusal(err: Exception) -> str:
    """The one line of torch.load(weights_only=True)'s refusal that says what the file held
    (its message is mostly advice to load the file unsafely, which sbcore never does)."""
    text = str(err)
    marker = "WeightsUnpickler error: "
    if marker in text:
        return text.split(marker, 1)[1].split(". Please", 1)[0].splitlines()[0].strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


def check_writable(study: str, profile: str, root: Path | None = None) -> Path:
    """Raise StoreUnwritable, naming the folder and the way out, unless a new entry of this
    study can be written: called before a computation, so no work is lost at the end."""
    folder = study_dir(study, profile, root)
    problem = folder_problem(folder)
    if problem:
        raise StoreUnwritable(f"the results store {folder} cannot be written: {problem}; move "
                              "it away or point SB_RESULTS at a writable folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
        free = shutil.disk_usage(folder).free
    except OSError as err:
        raise StoreUnwritable(
            f"the results store {folder} cannot be written ({err.strerror or err}); make it "
            "writable or point SB_RESULTS at a writable folder") from None
    if free < MIN_FREE_BYTES:
        raise StoreUnwritable(
            f"the results store {folder} has only {free / 2**20:.0f} MB free (needs "
            f"{MIN_FREE_BYTES / 2**20:.0f} MB); free some space or set SB_RESULTS")
    return folder


@contextlib.contextmanager
def _key_lock(path: Path):
    """An exclusive lock for the final swap of an entry: a flock on its study folder (a
    folder can be locked on Linux, so no lock file is left behind)."""
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def save(study: str, config: dict, profile: str, tables: dict, device: str = "cpu",
         wall_time_s: float = float("nan"), root: Path | None = None,
         meta: dict | None = None) -> Result:
    """Write tables (and ``tables["tensors"]``, if any) with provenance, atomically.

    ``meta`` adds fields to the provenance (the study's entry name, version and seed)."""
    tensors = tables.get(TENSORS)
    # a table without columns (a picture this entry does not make) is not written: CSV
    # cannot hold it
    tables = {k: v for k, v in tables.items() if k != TENSORS and len(v.columns)}
    if MAIN not in tables:
        raise ValueError(f"tables must include a tidy {MAIN!r} table")
    missing = [c for c in TIDY_COLUMNS if c not in tables[MAIN].columns]
    if missing:
        raise ValueError(f"the {MAIN} table lacks the tidy columns {missing}")
    path = entry_dir(study, config, profile, root)
    check_writable(study, profile, root)
    import torch

    prov = dict({"study": study, "profile": profile, **(meta or {})}, config=config,
                config_key=config_key(config), tables={}, sbcore_version=sbcore.__version__,
                git_commit=git_commit(), torch_version=torch.__version__, device=str(device),
                device_name=device_name(device), wall_time_s=round(wall_time_s, 2),
                date=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    with _staged(path) as tmp:
        prov = _write_entry(tmp, tables, tensors, prov)
    return Result(tables=tables, provenance=prov, path=path, cached=False, tensors=tensors)


@contextlib.contextmanager
def _staged(path: Path):
    """A temporary folder beside the entry ``path`` to write it into; swapped into place when
    the block ends, removed on any error, so nothing stored changes unless the whole entry is
    written. A write that fails (OSError; RuntimeError from torch's writer on a full disk)
    is StoreUnwritable; a CorruptResult passes as it is."""
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        yield tmp
        swap_into_place(tmp, path)
    except CorruptResult:
        _remove(tmp)
        raise
    except (OSError, RuntimeError) as err:
        _remove(tmp)
        raise StoreUnwritable(f"could not write the entry {path} ({err}); nothing stored was "
                              f"changed") from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: Path | None) -> None:
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_entry(tmp: Path, tables: dict, tensors, prov: dict) -> dict:
    """Write an entry's files into the folder ``tmp``; returns its provenance with the
    checksum of every file and the digest over all of it."""
    import torch

    digests = {}
    for name, df in tables.items():
        raw = df.to_csv(index=False).encode()
        (tmp / f"{name}.csv").write_bytes(raw)
        digests[name] = _sha(raw)
    prov = dict(prov, tables=digests)  # in its place among the claims
    if tensors is not None:
        buf = io.BytesIO()
        torch.save(tensors, buf)
        (tmp / "tensors.pt").write_bytes(buf.getvalue())
        prov["tensors"] = _sha(buf.getvalue())
    prov = json.loads(json.dumps(prov, default=str))  # as it will be read back
    prov["digest"] = provenance_digest(prov)
    (tmp / "provenance.json").write_text(json.dumps(prov, indent=2, default=str))
    return prov


def swap_into_place(tmp: Path, path: Path) -> None:
    """Move a complete entry (or any folder: a paused entry's checkpoints) from ``tmp`` to
    ``path``, under a lock on its parent; an older one there is removed only afterwards.
    The old one moves to a fresh hidden name, so a stray ``<key>.old`` left by an earlier
    interrupted run never blocks a save."""
    with _key_lock(path):
        old = None
        if os.path.lexists(path):  # a link loop there too: moved aside, not renamed onto
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            os.rename(path, old / "entry")
        try:
            os.rename(tmp, path)
        except OSError:
            if old is not None:  # the earlier entry back in its place: nothing changed
                os.rename(old / "entry", path)
                shutil.rmtree(old, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


ENTRY_FILES = ("provenance.json", "tensors.pt")  # beside one <table>.csv per table


def save_files(study: str, config: dict, profile: str, files: dict[str, bytes],
               root: Path | None = None) -> Result:
    """Store an entry made on another machine (a cluster's worker) from its files, as that
    machine's store wrote them: provenance, tables and tensors are kept byte for byte, so the
    provenance says which machine, device and code made it. The files are checked as a load
    checks them (every checksum, the config's key, this sbcore's version) in a temporary
    folder, then swapped into place as ``save`` does: a damaged or partial transfer is refused
    (CorruptResult) and never replaces a stored entry."""
    bad = [n for n in files if n not in ENTRY_FILES and not (
        n.endswith(".csv") and "/" not in n and not n.startswith("."))]
    if bad or "provenance.json" not in files:
        raise CorruptResult(f"an entry's files are provenance.json, tensors.pt and one .csv per "
                            f"table; got {sorted(files)}")
    path = entry_dir(study, config, profile, root)
    check_writable(study, profile, root)
    with _staged(path) as tmp:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        try:
            result = _read_entry(tmp, config)
        except CorruptResult as err:
            raise CorruptResult(f"refused the entry made elsewhere for {path}: "
                                f"{str(err).replace(str(tmp), 'its files')}") from None
    return Result(tables=result.tables, provenance=result.provenance, path=path, cached=False,
                  tensors=result.tensors)


def entry_files(result: Result) -> dict[str, bytes]:
    """A stored entry's files by name (what ``save_files`` takes on another machine)."""
    return {p.name: p.read_bytes() for p in sorted(Path(result.path).iterdir()) if p.is_file()}


def cached_run(study: str, config: dict, run: Callable[[dict], dict], profile: str,
               device: str = "cpu", recompute: bool = False, root: Path | None = None,
               meta: dict | None = None, earlier_s: float = 0.0) -> Result:
    """Return the stored result for this config, or run ``run(config)`` and store it.

    ``recompute=True`` forces a run. A damaged entry is reported with a warning and
    recomputed; it is replaced only once the new result is complete. The store is checked
    for writing before the run starts. ``earlier_s``: seconds that earlier, paused parts of
    this run took, added to its wall time."""
    if not recompute:
        try:
            hit = load(study, config, profile, root)
        except StaleResult as err:
            warnings.warn(f"recomputing a stale stored result: {err}", ResultsWarning,
                          stacklevel=2)
            hit = None
        except CorruptResult as err:
            warnings.warn(f"recomputing a corrupt stored result: {err}", ResultsWarning,
                          stacklevel=2)
            hit = None
        if hit is not None:
            return hit
    check_writable(study, profile, root)
    start = time.perf_counter()
    tables = run(config)
    return save(study, config, profile, tables, device=device,
                wall_time_s=earlier_s + time.perf_counter() - start, root=root, meta=meta)


def lookup(study: str, config: dict, profile: str = "paper",
           root: Path | None = None) -> Result | None:
    """A stored result if present and sound, else None (for 'stored paper-scale run' columns).
    A damaged entry gives a warning naming it (the studies' runner also reports it on the
    page); it is never used."""
    try:
        return load(study, config, profile, root)
    except CorruptResult as err:
        warnings.warn(f"ignoring a corrupt stored result: {err}", ResultsWarning, stacklevel=2)
        return None


def entries(study: str, profile: str, root: Path | None = None) -> dict[str, dict]:
    """Every stored entry of a study under a profile: key -> provenance (``{"damaged": why}``
    where it cannot be read, a file or a link loop in an entry's place included). Hidden
    folders (temporary or old entries) are skipped. StoreUnreadable, naming the path, where
    the study's folder itself cannot be listed (a file, a link loop, unreadable)."""
    folder = study_dir(study, profile, root)
    problem = folder_problem(folder)
    if problem:
        raise StoreUnreadable(f"the results store {folder} cannot be read: {problem}; move it "
                              f"away or point SB_RESULTS at the results folder")
    out = {}
    if not folder.exists():
        return out  # nothing stored yet
    try:
        paths = sorted(folder.iterdir())
    except OSError as err:
        raise StoreUnreadable(f"the results store {folder} cannot be read "
                              f"({err.strerror or err})") from None
    for path in paths:
        if path.name.startswith("."):
            continue
        if not path.is_dir():
            if _looks_like_key(path.name):  # in an entry's place: not to be taken as absent
                out[path.name] = {"damaged": folder_problem(path) or f"{path} is not a folder"}
            continue
        try:
            out[path.name] = _read_provenance(path)
        except (OSError, ValueError, CorruptResult) as err:
            out[path.name] = {"damaged": f"{type(err).__name__}: {err}"}
    return out
