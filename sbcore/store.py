"""The results store: each result is keyed by a hash of its config, with provenance.

Layout: ``results/<profile>/<experiment>/<key>/`` holds one CSV per named table and
``provenance.json`` (the config, sbcore version and git commit, torch version, device name,
wall time, date, and a SHA-256 of every table). ``paper`` results are committed to git; ``quick``
and ``smoke`` results are build output.

A result is written into a temporary folder and renamed into place, so a failed or interrupted
run never leaves a half-written entry and never replaces a good one. An entry whose provenance
cannot be read or whose tables do not match their checksums is reported and recomputed, never
silently used.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
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
TIDY_COLUMNS = ("experiment", "dataset", "model", "seed", "metric", "value")
MAIN = "metrics"  # the tidy table every result has


class CorruptResult(RuntimeError):
    """A stored entry that fails its checks."""


@dataclass
class Result:
    """Tables of one experiment run (``tables["metrics"]`` is tidy) and their provenance."""

    tables: dict[str, pd.DataFrame]
    provenance: dict
    path: Path | None = None
    cached: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def metrics(self) -> pd.DataFrame:
        return self.tables[MAIN]


def config_key(config: dict) -> str:
    """A stable 16-hex-digit hash of a JSON-able config."""
    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


def entry_dir(experiment: str, config: dict, profile: str, root: Path | None = None) -> Path:
    check_profile(profile)
    return Path(root or RESULTS) / profile / experiment / config_key(config)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(experiment: str, config: dict, profile: str, root: Path | None = None) -> Result | None:
    """The stored result for exactly this config, None if absent; CorruptResult if damaged."""
    path = entry_dir(experiment, config, profile, root)
    if not path.exists():
        return None
    try:
        prov = json.loads((path / "provenance.json").read_text())
        tables = {}
        for name, digest in prov["tables"].items():
            raw = (path / f"{name}.csv").read_bytes()
            if _sha(raw) != digest:
                raise CorruptResult(f"table {name}.csv does not match its checksum")
            tables[name] = pd.read_csv(io.BytesIO(raw))
        if MAIN not in tables:
            raise CorruptResult(f"no {MAIN} table")
        if prov.get("config_key") != config_key(config):
            raise CorruptResult("stored config key differs from the folder's")
    except CorruptResult as err:
        raise CorruptResult(f"{path}: {err}") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise CorruptResult(f"{path}: unreadable ({type(err).__name__}: {err})") from None
    return Result(tables=tables, provenance=prov, path=path, cached=True)


def save(experiment: str, config: dict, profile: str, tables: dict[str, pd.DataFrame],
         device: str = "cpu", wall_time_s: float = float("nan"),
         root: Path | None = None) -> Result:
    """Write tables and provenance atomically (temporary folder, then rename)."""
    if MAIN not in tables:
        raise ValueError(f"tables must include a tidy {MAIN!r} table")
    missing = [c for c in TIDY_COLUMNS if c not in tables[MAIN].columns]
    if missing:
        raise ValueError(f"the {MAIN} table lacks the tidy columns {missing}")
    path = entry_dir(experiment, config, profile, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    import torch

    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        digests = {}
        for name, df in tables.items():
            raw = df.to_csv(index=False).encode()
            (tmp / f"{name}.csv").write_bytes(raw)
            digests[name] = _sha(raw)
        prov = dict(experiment=experiment, profile=profile, config=config,
                    config_key=config_key(config), tables=digests,
                    sbcore_version=sbcore.__version__, git_commit=git_commit(),
                    torch_version=torch.__version__, device=str(device),
                    device_name=device_name(device), wall_time_s=round(wall_time_s, 2),
                    date=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        (tmp / "provenance.json").write_text(json.dumps(prov, indent=2, default=str))
        if path.exists():  # replace a stale or corrupt entry only once the new one is complete
            old = path.with_name(path.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Result(tables=tables, provenance=prov, path=path, cached=False)


def cached_run(experiment: str, config: dict, run: Callable[[dict], dict[str, pd.DataFrame]],
               profile: str, device: str = "cpu", recompute: bool = False,
               root: Path | None = None) -> Result:
    """Return the stored result for this config, or run ``run(config)`` and store it.

    ``recompute=True`` forces a run. A corrupt entry is reported with a warning and recomputed;
    it is replaced only once the new result is complete.
    """
    if not recompute:
        try:
            hit = load(experiment, config, profile, root)
        except CorruptResult as err:
            warnings.warn(f"recomputing a corrupt stored result: {err}", stacklevel=2)
            hit = None
        if hit is not None:
            return hit
    start = time.perf_counter()
    tables = run(config)
    return save(experiment, config, profile, tables, device=device,
                wall_time_s=time.perf_counter() - start, root=root)


def lookup(experiment: str, config: dict, profile: str = "paper",
           root: Path | None = None) -> Result | None:
    """A stored result if present and sound, else None (for 'stored paper-scale run' columns)."""
    try:
        return load(experiment, config, profile, root)
    except CorruptResult as err:
        warnings.warn(f"ignoring a corrupt stored result: {err}", stacklevel=2)
        return None
