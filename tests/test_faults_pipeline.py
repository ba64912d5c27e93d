"""Faults of the pipeline and of `make` that need real processes.

Stopping means stopped: however the pipeline is ended while chapters run (Ctrl-C's SIGINT,
SIGTERM, kill -9, or SIGTERM to the `make` that runs it), every chapter process and kernel of
that run ends with it, no queued chapter starts, and nothing in the output folder changes
afterwards: no notebook is replaced, the timings are as they were.

The chapters here are tiny fakes in a temporary folder (the pipeline's ``--chapters`` and
``--out``), so the real book/ is never touched. Each waits in its cell until the test says
"go", which it says after the stop: a survivor would then finish and publish its notebook
while the test still watches. Every subprocess runs under a timeout, and whatever a test
started is killed at its end, passed or failed.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
WAIT_LIMIT_S = 120  # the most a fake chapter waits for "go" (never forever, even in a bug)
START_LIMIT_S = 180  # spawning, importing and a kernel start, on a busy 2-core machine
GONE_LIMIT_S = 5  # killing is prompt: every process of a stopped run is gone by then
WATCH_S = 8  # after "go", how long the output folder is watched for a late change

FAKE_CHAPTER = '''# %% tags=["parameters"]
profile = "smoke"
device = "cpu"
seed = 0
recompute = False

# %%
import os, pathlib, time
marks = pathlib.Path(os.environ["SB_TEST_MARKS"])
(marks / "{name}").write_text(str(os.getpid()))
deadline = time.monotonic() + {seconds}
while not (marks / "go").exists() and time.monotonic() < deadline:
    time.sleep(0.1)
'''
RUNNING = ("01_first", "02_second")  # both run at once (--jobs 2) ...
QUEUED = "03_queued"  # ... and this one waits for a free slot: it must never start


# --- a fake book -------------------------------------------------------------------------------

def _fake_book(tmp_path: Path) -> dict[str, Path]:
    """Chapters, an output folder holding a previous build of each, and a folder where each
    kernel marks that its cell is running (with its pid) and the test says "go"."""
    chapters, book, marks = tmp_path / "chapters", tmp_path / "book", tmp_path / "marks"
    for folder in (chapters, book, marks):
        folder.mkdir()
    for name in RUNNING:
        (chapters / f"{name}.py").write_text(FAKE_CHAPTER.format(name=name,
                                                                 seconds=WAIT_LIMIT_S))
    (chapters / f"{QUEUED}.py").write_text(FAKE_CHAPTER.format(name=QUEUED, seconds=0))
    for name in (*RUNNING, QUEUED):
        (book / f"{name}.ipynb").write_text(f'{{"a previous build of": "{name}"}}')
    # the last run's times put the queued chapter last (the pipeline runs the longest first)
    (book / "_timings.json").write_text(
        '{"01_first": {"seconds": 90.0}, "02_second": {"seconds": 80.0}, '
        '"03_queued": {"seconds": 1.0}}')
    return dict(chapters=chapters, book=book, marks=marks, root=tmp_path,
                log=tmp_path / "output.txt")


def _environment(book: dict) -> dict:
    return dict(os.environ, SB_TEST_MARKS=str(book["marks"]), OMP_NUM_THREADS="1",
                SB_RESULTS=str(book["root"] / "results"))


def _pipeline_args(book: dict) -> list[str]:
    return ["--no-status", "--chapters", str(book["chapters"]), "--out", str(book["book"])]


def _published(folder: Path) -> dict[str, str]:
    """The visible files of an output folder (the pages and the timings), by content."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


def _everything(folder: Path) -> dict[str, tuple]:
    """Every file under a folder, hidden ones too, by size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- processes ---------------------------------------------------------------------------------

def _start(cmd: list[str], cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    """A process in a session of its own (signals meant for it reach nothing else), with
    SIGINT at its default: pytest may run as a background job, which ignores it. Its output
    goes to a file, not a pipe, which a survivor would hold open."""
    with open(log, "w") as out:
        return subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True, stdout=out,
                                stderr=subprocess.STDOUT, preexec_fn=lambda: signal.signal(
                                    signal.SIGINT, signal.SIG_DFL))


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _describe(procs) -> str:
    out = []
    for p in procs:
        try:
            out.append(f"{p.pid}: {' '.join(p.cmdline())[:120]}")
        except psutil.Error:
            out.append(f"{p.pid}: (gone)")
    return "; ".join(out)


def _wait_until_running(proc: subprocess.Popen, marks: Path, log: Path) -> None:
    """Until the kernels of both running chapters are inside their waiting cell."""
    deadline = time.monotonic() + START_LIMIT_S
    while not all((marks / name).exists() for name in RUNNING):
        if proc.poll() is not None:
            pytest.fail(f"the run ended before its chapters started:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"the chapters did not start within {START_LIMIT_S} s")
        time.sleep(0.2)
    time.sleep(0.5)  # into the wait


def _wait_gone(procs, limit_s: float) -> list:
    deadline = time.monotonic() + limit_s
    while (alive := [p for p in procs if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def _descendants(proc: subprocess.Popen) -> list:
    try:
        return psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _end(proc: subprocess.Popen, started: list) -> None:
    """Whatever a test started goes, passed or failed (psutil checks that a pid is still the
    process it was, so nothing else is hit)."""
    for p in [*started, *_descendants(proc)]:
        try:
            p.kill()
        except psutil.Error:
            pass
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)


def _stop_and_watch(proc: subprocess.Popen, book: dict, how: signal.Signals) -> str:
    """Send ``how`` to the run while both chapters wait in their cell, then check that every
    process of the run ends, no queued chapter starts and nothing in the output folder
    changes, also after "go", which lets a survivor finish. Returns the run's output."""
    before = _published(book["book"])
    started = []
    try:
        _wait_until_running(proc, book["marks"], book["log"])
        started = _descendants(proc)  # chapters and kernels
        kernels = {int((book["marks"] / name).read_text()) for name in RUNNING}
        assert kernels <= {p.pid for p in started}, "the kernels are not in the run's tree"
        os.kill(proc.pid, how)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the run was still going 60 s after {how.name}")
        out = book["log"].read_text()
        survivors = _wait_gone(started, GONE_LIMIT_S)
        assert not survivors, f"outlived the run after {how.name}: {_describe(survivors)}"
        settled = _everything(book["book"])
        (book["marks"] / "go").touch()
        time.sleep(WATCH_S)  # time enough for a survivor to finish and publish
        assert _everything(book["book"]) == settled, "the output folder changed after the stop"
        assert _published(book["book"]) == before, "a notebook or the timings changed"
        assert not (book["marks"] / QUEUED).exists(), "a queued chapter started after the stop"
        return out
    finally:
        _end(proc, started)


# --- the pipeline, stopped each way ------------------------------------------------------------

STOP_WAYS = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]  # Ctrl-C, kill, kill -9
# kill -9 leaves the pipeline no say: only Linux's parent-death signal reaches its children
LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG is Linux's")


@pytest.mark.parametrize("how", [pytest.param(s, marks=LINUX_ONLY) if s == signal.SIGKILL
                                 else s for s in STOP_WAYS], ids=lambda s: s.name)
def test_pipeline_stopped_takes_its_chapters_and_kernels_along(tmp_path, how):
    book = _fake_book(tmp_path)
    proc = _start([sys.executable, "-m", "sbcore.build.pipeline", "execute", "--profile",
                   "smoke", "--jobs", "2", *_pipeline_args(book)], ROOT, _environment(book),
                  book["log"])
    out = _stop_and_watch(proc, book, how)
    if how == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        return
    assert proc.returncode == 128 + how, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert "Traceback" not in out, out
    said = "interrupted" if how == signal.SIGINT else f"stopped by {how.name}"
    assert lines[-1].startswith(f"{said} while executing chapters"), out
    assert "stopped with their kernels" in lines[-1]


def test_make_stopped_by_sigterm_takes_the_pipeline_along(tmp_path):
    """`make book` as the Makefile has it (the make variables, the recipe's shell), with the
    pipeline's output folders pointed at the fake book by a stand-in for .venv's python."""
    book = _fake_book(tmp_path)
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@" '
                      + " ".join(f'"{a}"' for a in _pipeline_args(book)) + "\n")
    python.chmod(0o755)
    proc = _start(["make", "-f", str(ROOT / "Makefile"), "-o", "venv", "-o", "data", "book",
                   "PROFILE=smoke", "JOBS=2", f"PY={python}"], tmp_path, _environment(book),
                  book["log"])
    out = _stop_and_watch(proc, book, signal.SIGTERM)
    assert proc.returncode != 0, out
    assert "stopped by SIGTERM while executing chapters" in out, out


# The pipeline made a child subreaper (PR_SET_CHILD_SUBREAPER, kept across exec), as under
# systemd or some container inits: an orphaned kernel is then adopted by the pipeline, not by
# init, and ipykernel's own parent poller, which waits for init to adopt it, never fires.
AS_SUBREAPER = ("import ctypes, os, sys; ctypes.CDLL(None, use_errno=True).prctl(36, 1); "
                "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")


@LINUX_ONLY
def test_a_kernel_dies_with_its_chapter_process(tmp_path):
    """A chapter's process killed outright (no handler runs) still takes its kernel along;
    the pipeline reports that chapter failed, keeps its previous notebook and goes on."""
    import json

    book = _fake_book(tmp_path)
    proc = _start([sys.executable, "-c", AS_SUBREAPER, "-m", "sbcore.build.pipeline", "execute",
                   "--profile", "smoke", "--jobs", "2", *_pipeline_args(book)], ROOT,
                  _environment(book), book["log"])
    started = []
    try:
        before = _published(book["book"])
        _wait_until_running(proc, book["marks"], book["log"])
        started = _descendants(proc)
        kernel = psutil.Process(int((book["marks"] / RUNNING[0]).read_text()))
        os.kill(kernel.ppid(), signal.SIGKILL)
        assert not _wait_gone([kernel], GONE_LIMIT_S), "the kernel outlived its chapter"
        (book["marks"] / "go").touch()
        proc.wait(timeout=120)
        out = book["log"].read_text()
        assert proc.returncode == 1, out
        assert f"FAILED {RUNNING[0]}: the chapter's process exited (code -9)" in out, out
        after = _published(book["book"])
        assert after[f"{RUNNING[0]}.ipynb"] == before[f"{RUNNING[0]}.ipynb"]
        assert after[f"{RUNNING[1]}.ipynb"] != before[f"{RUNNING[1]}.ipynb"]
        records = json.loads((book["book"] / "_timings.json").read_text())
        assert records[RUNNING[0]]["status"] == "failed"
        assert records[RUNNING[1]]["status"] == records[QUEUED]["status"] == "ok"
    finally:
        _end(proc, started)


# --- make's variables: a bad value stops make before any work ----------------------------------

RECOMPUTE_YES = ["1", "true", "True", "yes"]
RECOMPUTE_NO = ["0", "false", "False", "no", ""]
# variable, value, words the message must hold besides "VARIABLE='value' is not allowed"
BAD_MAKE_VALUES = [
    ("RECOMPUTE", "maybe", RECOMPUTE_YES[:-1] + RECOMPUTE_NO[:-1] + ["empty"]),
    ("RECOMPUTE", "TRUE", ["recompute", "use the stored results"]),
    ("RECOMPUTE", "yes no", ["recompute"]),
    ("PROFILE", "fast", ["smoke quick paper"]),
    ("PROFILE", "", ["smoke quick paper"]),
    ("DEVICE", "gpu", ["cpu, cuda, cuda:N", "mps"]),
    ("DEVICE", "cuda:", ["cuda:N"]),
    ("DEVICE", "cuda:one", ["cuda:N"]),
    ("SEED", "-3", ["integer from 0"]),
    ("SEED", "1e3", ["integer from 0"]),
    ("JOBS", "0", ["integer >= 1"]),
    ("JOBS", "two", ["integer >= 1"]),
]


def _make(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """make with the project's Makefile, .venv and data taken as they are (never remade)."""
    return subprocess.run(["make", "-f", str(ROOT / "Makefile"), "-o", "venv", "-o", "data",
                           *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def _recording_python(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in for .venv's python that only records that it was called."""
    calls = tmp_path / "calls.txt"
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n')
    python.chmod(0o755)
    return python, calls


def _execute_line(dry_run: str) -> str:
    [line] = [x for x in dry_run.splitlines() if "sbcore.build.pipeline execute" in x]
    return line


@pytest.mark.parametrize("target", ["book", "chapter"])
@pytest.mark.parametrize("variable, value, words", BAD_MAKE_VALUES,
                         ids=[f"{v}={x!r}" for v, x, _ in BAD_MAKE_VALUES])
def test_make_refuses_a_bad_variable_before_any_work(tmp_path, target, variable, value, words):
    python, calls = _recording_python(tmp_path)
    book = tmp_path / "book"
    book.mkdir()
    (book / "01_first.ipynb").write_text('{"a previous build": true}')
    before = _everything(tmp_path)
    done = _make([target, "NAME=01_first", f"PY={python}", f"{variable}={value}"], tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{variable}='{value}' is not allowed" in done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr)
    assert not calls.exists(), "the pipeline ran"
    assert _everything(tmp_path) == before


@pytest.mark.parametrize("value", RECOMPUTE_YES + RECOMPUTE_NO)
def test_make_reads_every_recompute_spelling(tmp_path, value):
    """RECOMPUTE=0 (or no, false) is false: make used to pass --recompute for any non-empty
    value, which at PROFILE=paper replaces the committed results."""
    line = _execute_line(_make(["-n", "book", f"RECOMPUTE={value}", "PY=py"], tmp_path).stdout)
    assert ("--recompute" in line) == (value in RECOMPUTE_YES), line
    # the same from the environment, where a shell's `RECOMPUTE=0 make book` puts it
    env = dict(os.environ, RECOMPUTE=value)
    line = _execute_line(_make(["-n", "book", "PY=py"], tmp_path, env).stdout)
    assert ("--recompute" in line) == (value in RECOMPUTE_YES), line


@pytest.mark.parametrize("setting, passed", [
    ("DEVICE=cuda", '--device "cuda"'), ("DEVICE=cuda:1", '--device "cuda:1"'),
    ("DEVICE=mps", '--device "mps"'), ("SEED=12", '--seed "12"'), ("JOBS=3", '--jobs "3"'),
    ("PROFILE=paper", '--profile "paper"'), ("PROFILE=smoke", '--profile "smoke"'),
])
def test_make_passes_good_values_through(tmp_path, setting, passed):
    done = _make(["-n", "book", setting, "PY=py"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert passed in _execute_line(done.stdout)


# --- make lab ----------------------------------------------------------------------------------

@pytest.mark.parametrize("uid", ["0", "1000"])
def test_make_lab_allows_root_and_passes_lab_args(tmp_path, uid):
    """As root JupyterLab stops at once unless given --allow-root; LAB_ARGS reach it as they
    are. The user is set by a stand-in for `id` (make asks `id -u`)."""
    (tmp_path / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (tmp_path / "id").chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["make", "-n", "lab", "LAB_ARGS=--no-browser --port 8899"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [lab] = [x for x in done.stdout.splitlines() if "jupyter lab" in x and "exec" in x]
    assert lab.endswith("--no-browser --port 8899 chapters"), lab
    as_root = uid == "0"
    assert ("--allow-root" in lab) == as_root, lab
    assert ("running as root, so jupyter lab gets --allow-root" in done.stdout) == as_root
