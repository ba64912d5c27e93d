"""The book pipeline: papermill executes the chapters into book/, jupyter-book renders the site.

    python -m sbcore.build.pipeline list
    python -m sbcore.build.pipeline execute [NAME ...] [--profile quick] [--device cpu] [--seed 0]
                                      [--recompute] [--allow-long] [--jobs 1] [--out book]
                                      [--no-status]
    python -m sbcore.build.pipeline build   [--root .]
    python -m sbcore.build.pipeline toc

A chapter is a jupytext py:percent file ``chapters/NN_name.py``. ``execute`` validates every
parameter before any work, runs each chapter in a fresh ``python3`` kernel with the repository
root as working directory, and writes ``<out>/NN_name.ipynb`` only when the whole chapter ran:
papermill writes into a temporary file that is renamed over the old notebook on success, so a
failed chapter leaves the previous notebook untouched (its partial notebook goes to
``_build/failed/``). Each chapter's time and outcome are recorded in ``<out>/_timings.json``,
which the status chapter (``99_status``) shows; it runs last, after the others.

Stopping means stopped. Only the pipeline's own process puts a notebook in place and records
its time, each chapter as it ends; once the pipeline is stopped (Ctrl-C, SIGTERM or SIGHUP) it
starts no queued chapter, kills the running ones with their kernels and publishes nothing
more. Killed outright (SIGKILL), it takes them along too: on Linux each chapter's process and
each kernel is bound to its parent with PR_SET_PDEATHSIG, so none of them outlives it.

Before any chapter starts, the entries each chosen chapter would compute are estimated
(``sbcore.studies.estimate``); where a chapter's would take more than ten minutes on the device,
``execute`` stops with the message the chapter itself would give (the estimates, the commands
that make them on a GPU or a cluster), unless ``--allow-long`` (passed on to the chapters as
their ``allow_long`` parameter).

``build`` renders the executed notebooks with ``jupyter-book build -W -n --keep-going`` (execution
off), after regenerating ``_toc.yml`` from ``chapters/*.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sbcore.checks import check_bool, check_int, check_seed
from sbcore.profiles import check_device, check_profile
from sbcore.usage import PROBLEM_MARK, USAGE_FILE, summarize_usage

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "chapters"
BOOK = ROOT / "book"
TIMINGS = "_timings.json"
STATUS_CHAPTER = "99_status"  # reads the timings, so it runs after every other chapter
# Chapters that read the results other chapters store (the reproduction overview) run after
# them, so that a build computes each result once.
READS_OTHERS = ("00_overview",)
# A cell running this long (seconds) fails its chapter (no retry): a wedged cell must fail the
# run, not hang it, nor pass as "ok". No limit at paper scale.
CELL_TIMEOUT = {"smoke": 600, "quick": 1800, "paper": None}
# A chapter still running after this long (seconds, wall clock) is killed with its kernel and
# reported as failed: the guard for waits that no cell timeout covers. No limit at paper scale.
CHAPTER_TIMEOUT = {"smoke": 1200, "quick": 5400, "paper": None}
TOC_HEADER = ("# Generated from chapters/*.py by `python -m sbcore.build.pipeline toc` "
              "(also run by `make book`);\n# edit the chapters, not this file.\n")


@dataclass
class Outcome:
    """How one chapter's execution went."""

    name: str
    ok: bool
    seconds: float
    error: str = ""
    warnings: list = field(default_factory=list)  # the chapter's "sbcore warning:" lines
    used: str = ""  # the store entries the chapter read or made, summarised
    notebook: str = ""  # the executed notebook: hidden beside its place until published


STOPPED = ("stopped with the pipeline before it finished; its previous notebook (if any) is "
           "kept")


# --- chapters ---------------------------------------------------------------------------------

def chapter_sources(chapters_dir: Path = CHAPTERS) -> dict[str, Path]:
    """The chapters, by name, in book order (their file names sort in reading order)."""
    return {p.stem: p for p in sorted(Path(chapters_dir).glob("*.py")) if p.stem[:1].isdigit()}


def resolve_chapters(names, sources: dict[str, Path]) -> list[str]:
    """Chapter names as given (a name, a unique prefix such as ``03``, or a path); ValueError
    listing the known chapters for anything else."""
    out = []
    for given in names:
        stem = Path(given).stem if given.endswith(".py") or given.endswith(".ipynb") else given
        matches = [stem] if stem in sources else [n for n in sources if n.startswith(stem)]
        if len(matches) != 1:
            known = ", ".join(sources) or "(none: chapters/ is empty)"
            what = "is ambiguous" if matches else "is unknown"
            raise ValueError(f"chapter {given!r} {what}; known chapters: {known}")
        if matches[0] not in out:
            out.append(matches[0])
    return out


STUDY_CALL = re.compile(r'runner\.run\(\s*"(\w+)"')


def chapter_study(source: Path) -> str | None:
    """The study a chapter runs (the first ``runner.run("<study>", ...)`` of its source), or
    None for a chapter that runs none (the introduction, the overview, the status page)."""
    found = STUDY_CALL.search(Path(source).read_text())
    return found.group(1) if found else None


def takes_allow_long(source: Path) -> bool:
    """Whether a chapter's parameters cell has ``allow_long`` (papermill would warn of an
    unknown parameter in the others)."""
    return re.search(r"^allow_long = ", Path(source).read_text(), re.MULTILINE) is not None


def check_long_work(names, sources: dict[str, Path], profile: str, device: str, seed: int,
                    recompute: bool) -> None:
    """Stop (runner.LongWork, naming every chapter concerned) before any chapter starts when
    one of them would compute more than the long-work limit on ``device``: the entries its
    ``runner.run`` would compute (the study's ``runnable`` ones where it has that filter, as
    the chapters pass it), estimated as the chapter's own guard estimates them."""
    from sbcore.studies import runner  # the studies' configs: loaded only for this check

    stops = []
    for name in names:
        study_name = chapter_study(sources[name])
        if study_name is None:
            continue
        mod = runner.study(study_name)
        only = mod.runnable(profile, seed) if hasattr(mod, "runnable") else None
        try:
            runner.check_long_work(runner.pending(study_name, profile, seed, recompute, only),
                                   profile, device, where=name)
        except runner.LongWork as err:
            stops.append(f"[{name}] {err}")
    if stops:
        raise runner.LongWork(f"{len(stops)} chapter(s) would stop before long work; nothing "
                              "was started:\n\n" + "\n\n".join(stops))


# --- stopping ---------------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>: the signal a process gets when its parent dies
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# The kernel's command line: ipykernel_launcher's own two lines, after binding the kernel to
# its parent, the chapter's process (which jupyter_client names in JPY_PARENT_PID), so that a
# kernel dies with it even when it is killed outright. ipykernel's parent poller would not do:
# it notices a dead parent only when init adopts the orphan, not a subreaper. SIGKILL, since
# a kernel training inside the store's resumable block takes SIGTERM as "pause, then go on".
BOUND_KERNEL = f"""\
import ctypes, os, signal, sys
if sys.platform.startswith("linux"):
    ctypes.CDLL(None, use_errno=True).prctl({PR_SET_PDEATHSIG}, signal.SIGKILL)
if str(os.getppid()) != os.environ.get("JPY_PARENT_PID", str(os.getppid())):
    os._exit(1)  # the parent died before the binding
if sys.path and sys.path[0] == "":
    del sys.path[0]
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""


@functools.cache
def _prctl():
    """libc's prctl on Linux, else None; looked up once, before any fork (a child forked from
    a process with threads should not load libraries)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


def die_with_parent(parent_pid: int, signum: int) -> None:
    """Ask Linux to send ``signum`` to this process when its parent dies (PR_SET_PDEATHSIG),
    which holds even when the parent is killed outright and can stop nothing; exit at once if
    the parent died before the request (it is no longer ``parent_pid``). Elsewhere only the
    second half applies. Also a ``preexec_fn``."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signum)
    if os.getppid() != parent_pid:
        os._exit(128 + signum)


def bound_kernel_cmd(cmd: list[str]) -> list[str]:
    """The kernel's command with ``BOUND_KERNEL`` in place of ``-m ipykernel_launcher``;
    another kernel's command is left as it is."""
    if cmd[1:3] == ["-m", "ipykernel_launcher"]:
        return [cmd[0], "-c", BOUND_KERNEL, *cmd[3:]]
    return cmd


def _bound_kernel_manager():
    """jupyter_client's kernel manager (nbclient's default), starting the kernel bound to this
    process; made on demand, since jupyter_client is needed only in a chapter's process."""
    from jupyter_client.manager import AsyncKernelManager

    class BoundKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            return bound_kernel_cmd(super().format_kernel_cmd(extra_arguments))

    return BoundKernelManager


class ChapterProcesses:
    """The chapter processes of one ``execute`` call. ``stop`` is final: afterwards no chapter
    starts and no outcome is published, so a chapter that ends while the pipeline stops (or a
    worker thread that takes a queued chapter) changes nothing. One lock orders the three."""

    def __init__(self):
        self._lock = threading.Lock()
        self._running: dict[int, object] = {}
        self.stopped = False

    def start(self, process) -> bool:
        """Start ``process`` (a multiprocessing.Process) unless stopped; whether it started."""
        with self._lock:
            if self.stopped:
                return False
            try:
                process.start()
            finally:  # registered even if a signal interrupts the start after the spawn
                if process.pid is not None:
                    self._running[process.pid] = process
            return True

    def finished(self, process) -> None:
        with self._lock:
            self._running.pop(process.pid, None)

    def publish(self, action) -> bool:
        """Run ``action`` (put a notebook in place, record its time) unless stopped."""
        with self._lock:
            if self.stopped:
                return False
            action()
            return True

    def stop(self) -> int:
        """Kill every running chapter process with its kernel; start and publish nothing more.
        Returns how many were running."""
        with self._lock:
            self.stopped = True
            pids = list(self._running)
        for pid in pids:
            _kill_tree(pid)
        return len(pids)


class Stopped(KeyboardInterrupt):
    """A signal (SIGTERM, SIGHUP, or Ctrl-C's SIGINT) asked the pipeline to stop: it stops the
    way Ctrl-C stops it."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _ignore_stop_signals() -> None:
    if threading.current_thread() is threading.main_thread():  # only it may set handlers
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


def _raise_stopped(signum, frame):
    _ignore_stop_signals()  # the stop under way must finish: a second signal would cut it short
    raise Stopped(signum)


@contextlib.contextmanager
def _signals_stop_the_pipeline():
    """Inside, SIGINT, SIGTERM and SIGHUP raise ``Stopped`` in the main thread (by default
    SIGTERM and SIGHUP would end this process on the spot and leave its chapters running). A
    signal ignored on entry (a background job's SIGINT, nohup's SIGHUP) stays ignored; the
    previous handlers come back on exit (``main`` also runs inside the test process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, _raise_stopped)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- execution --------------------------------------------------------------------------------

@contextlib.contextmanager
def _kernel_env(**values: str):
    """Environment for the kernels started inside (they inherit ours), restored afterwards."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def tag_injected_parameters(nb) -> int:
    """Hide papermill's injected-parameters cell in the book (papermill does not copy the
    parameters cell's tags onto it). Returns how many cells were tagged."""
    count = 0
    for cell in nb.cells:
        tags = list(cell.get("metadata", {}).get("tags", []))
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
            count += 1
    return count


def _describe_failure(err: BaseException) -> str:
    """One paragraph naming the failed cell: its execution count, first lines and the error."""
    ename = getattr(err, "ename", None)
    if ename is None:  # not a cell error: kernel death, bad notebook, ...
        return f"{type(err).__name__}: {err}"
    lines = [ln for ln in (getattr(err, "source", "") or "").splitlines() if ln.strip()]
    head = "\n".join("    " + ln for ln in lines[:4]) + ("\n    ..." if len(lines) > 4 else "")
    return (f"cell In [{err.exec_count}] (notebook cell {err.cell_index}) raised "
            f"{ename}: {err.evalue}\n{head}")


def failed_dir_for(out_dir: Path) -> Path:
    """Where partial notebooks of failed chapters go: ``_build/failed`` beside ``book/``."""
    return Path(out_dir).resolve().parent / "_build" / "failed"


def execute_chapter(source: Path, out_dir: Path, parameters: dict,
                    failed_dir: Path | None = None, cell_timeout: float | None = None,
                    chapter_timeout: float | None = None,
                    chapters: ChapterProcesses | None = None, record=None) -> Outcome:
    """Execute one chapter into ``out_dir/<name>.ipynb``; replace it only on success.

    The chapter runs in a child process (spawned, not forked: this process may hold zmq
    sockets of an earlier kernel), which leaves the executed notebook hidden beside its place;
    this process then puts it in place and passes the outcome to ``record`` (its time), unless
    ``chapters`` was stopped meanwhile. A chapter's process never publishes, so even one that
    outlived its pipeline could change no page. A cell that runs ``cell_timeout`` seconds
    fails the chapter; after ``chapter_timeout`` seconds of wall-clock time the child and its
    kernel are killed and the chapter fails. Neither is retried: a timeout is a failure, never
    an "ok"."""
    import multiprocessing

    chapters = chapters if chapters is not None else ChapterProcesses()
    name, out_dir = source.stem, Path(out_dir)
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_execute_in_child, name=f"chapter {name}",
                        args=(send, str(source), str(out_dir), parameters,
                              failed_dir and str(failed_dir), cell_timeout, os.getpid()))
    start = time.perf_counter()
    started = chapters.start(child)
    send.close()  # the child holds the only writer: its exit ends receive.poll
    if not started:
        receive.close()
        return Outcome(name, False, 0.0, STOPPED)
    try:
        outcome, timed_out = _await_outcome(receive, chapter_timeout)
        if timed_out:
            _kill_tree(child.pid)
        child.join()
    except BaseException:  # this process is stopping: the chapter and its kernel go first
        _kill_tree(child.pid)
        child.join()
        _keep_partial(name, out_dir, failed_dir)
        raise
    finally:
        chapters.finished(child)
        receive.close()
    seconds = time.perf_counter() - start
    if outcome is None:
        _keep_partial(name, out_dir, failed_dir)
        outcome = Outcome(name, False, seconds, _no_outcome_error(timed_out, chapter_timeout,
                                                                   child.exitcode))
    if chapters.publish(lambda: _publish(outcome, out_dir, record)):
        return outcome
    _keep_partial(name, out_dir, failed_dir)  # finished as the pipeline stopped: not a page
    return Outcome(name, False, seconds, STOPPED)


def _await_outcome(receive, chapter_timeout: float | None):
    """(the Outcome the chapter's process sent, or None if it ended without one; whether it
    ran past ``chapter_timeout`` seconds, None for no limit)."""
    if not receive.poll(chapter_timeout):
        return None, True
    with contextlib.suppress(EOFError):
        return receive.recv(), False
    return None, False


def _no_outcome_error(timed_out: bool, chapter_timeout, exitcode) -> str:
    if timed_out:
        return (f"ChapterTimeout: still running after the wall-clock limit of {chapter_timeout} "
                "s; the chapter and its kernel were killed")
    return f"the chapter's process exited (code {exitcode}) without an outcome"


def _publish(outcome: Outcome, out_dir: Path, record) -> None:
    """Put an executed notebook in place (a rename: never seen half-written) and record the
    chapter's outcome, ok or failed."""
    if outcome.ok:
        place = Path(out_dir) / f"{outcome.name}.ipynb"
        os.replace(outcome.notebook, place)
        outcome.notebook = str(place)
    if record is not None:
        record(outcome)


def stop_descendants(grace: float = 5.0) -> int:
    """Stop every process this one started, at any depth (the chapters' processes and their
    kernels): SIGTERM, up to ``grace`` seconds, then SIGKILL. After Ctrl-C a kernel outlives
    its chapter's process for a moment and would print its own shutdown warning after the
    pipeline's last line; stopped first, it says nothing and is not left running. Returns
    how many processes there were."""
    import psutil

    procs = psutil.Process().children(recursive=True)
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    for proc in psutil.wait_procs(procs, timeout=grace)[1]:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    return len(procs)


def _quiet_interrupt(signum, frame):
    """Ctrl-C in a chapter's process: silence its stderr (papermill, nbclient and asyncio would
    each print a traceback of the interrupted cell) and stop; the parent says it in one line."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    raise KeyboardInterrupt


def _stop_chapter_process(signum, frame):
    """SIGTERM in a chapter's process (from its pipeline, or from the kernel when the pipeline
    died): its kernel and whatever the kernel started go first, then this process, silently."""
    _kill_tree(os.getpid(), itself=False)
    os._exit(128 + signum)


def _bind_to_pipeline(parent_pid: int) -> None:
    """A chapter's process lives no longer than its pipeline and takes its kernel along. It
    gets a process group of its own, so a terminal's Ctrl-C reaches only the pipeline, which
    then stops its chapters in order instead of racing them."""
    import psutil  # noqa: F401  (imported now: _stop_chapter_process may not import)

    os.setpgid(0, 0)
    signal.signal(signal.SIGTERM, _stop_chapter_process)
    die_with_parent(parent_pid, signal.SIGTERM)


def _execute_in_child(conn, source: str, out_dir: str, parameters: dict, failed_dir,
                      cell_timeout, parent_pid: int) -> None:
    _bind_to_pipeline(parent_pid)
    # the kernel (our child) lists the store entries it uses here; this process is the
    # chapter's own, so setting its environment touches no other chapter
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # a background job ignores it
        signal.signal(signal.SIGINT, _quiet_interrupt)
    fd, usage = tempfile.mkstemp(prefix=".usage.", suffix=".jsonl")
    os.close(fd)
    os.environ[USAGE_FILE] = usage
    try:
        outcome = _execute_once(Path(source), Path(out_dir), parameters, failed_dir,
                                cell_timeout)
        outcome.used = summarize_usage(Path(usage))
    except KeyboardInterrupt:  # Ctrl-C reaches every process: the parent says it once
        sys.exit(130)
    finally:
        Path(usage).unlink(missing_ok=True)
    conn.send(outcome)
    conn.close()


def _kill_tree(pid: int, itself: bool = True) -> None:
    """Kill a process's descendants (the chapter's kernel among them), and the process itself
    unless ``itself`` is False. The whole tree is listed first: a kernel whose parent died
    first would no longer be found under it."""
    import psutil

    with contextlib.suppress(psutil.NoSuchProcess):
        parent = psutil.Process(pid)
        for proc in [*parent.children(recursive=True), *([parent] if itself else [])]:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()


def move_file(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, also across filesystems (copy beside ``dst``, then rename
    there, then remove ``src``), so ``dst`` is never seen half-written."""
    import errno

    try:
        os.replace(src, dst)
    except OSError as err:
        if err.errno != errno.EXDEV:
            raise
        fd, tmp = tempfile.mkstemp(prefix=f".{Path(dst).name}.", dir=Path(dst).parent)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
        finally:
            Path(tmp).unlink(missing_ok=True)
        Path(src).unlink()


def _keep_partial(name: str, out_dir: Path, failed_dir: Path | None) -> list[Path]:
    """The temporary notebooks of a chapter that did not finish (killed with its pipeline, or
    past its wall-clock limit) go to failed_dir: they are hidden files, never pages, and are
    kept for a look. Returns where they went."""
    kept = []
    for tmp in Path(out_dir).glob(f".{name}.*.ipynb"):
        if tmp.stat().st_size:
            failed = Path(failed_dir or failed_dir_for(out_dir))
            failed.mkdir(parents=True, exist_ok=True)
            move_file(tmp, failed / f"{name}.ipynb")
            kept.append(failed / f"{name}.ipynb")
        else:
            tmp.unlink()
    return kept


def cells_past_timeout(nb, cell_timeout: float | None) -> list[tuple[int, float]]:
    """(index, seconds) of the cells that ran ``cell_timeout`` seconds or more (papermill's
    record). nbclient can return such a cell as if it succeeded: when the execute_reply's
    wakeup is lost, the reply is read only when the wait for it expires."""
    if not cell_timeout:
        return []
    return [(i, d) for i, c in enumerate(nb.cells)
            if (d := c.get("metadata", {}).get("papermill", {}).get("duration") or 0)
            >= cell_timeout]


def chapter_warnings(nb) -> list[str]:
    """The lines a chapter printed on stderr that start with the book's warning mark (damaged
    or stale stored results, see ``sbcore.book.chapter.show_problems``)."""
    return [line.strip() for cell in nb.cells for out in cell.get("outputs", [])
            if out.get("output_type") == "stream" and out.get("name") == "stderr"
            for line in "".join(out.get("text", "")).splitlines()
            if line.startswith(PROBLEM_MARK)]


def _execute_once(source: Path, out_dir: Path, parameters: dict, failed_dir: Path | None,
                  cell_timeout: float | None) -> Outcome:
    import jupytext
    import nbformat
    import papermill
    from nbclient.exceptions import CellTimeoutError

    name = source.stem
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".ipynb", dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    start = time.perf_counter()
    try:
        nb = jupytext.read(source)
        nb = papermill.execute_notebook(
            nb, str(tmp), parameters=parameters, kernel_name="python3", language="python",
            cwd=str(ROOT), progress_bar=False, log_output=False,
            execution_timeout=cell_timeout or None,
            kernel_manager_class=_bound_kernel_manager())
        late = cells_past_timeout(nb, cell_timeout)
        if late:
            raise CellTimeoutError(
                "; ".join(f"notebook cell {i} ran {d:.1f} s" for i, d in late)
                + f", not less than the cell timeout of {cell_timeout} s")
        tag_injected_parameters(nb)
        nbformat.write(nb, str(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the notebook is an ordinary file
        # left hidden for the pipeline to put in place (execute_chapter), never by this process
        return Outcome(name, True, time.perf_counter() - start, warnings=chapter_warnings(nb),
                       notebook=str(tmp))
    except Exception as err:  # report every failure as the chapter's, keep going
        seconds = time.perf_counter() - start
        failed_dir = Path(failed_dir or failed_dir_for(out_dir))
        if tmp.exists() and tmp.stat().st_size:
            failed_dir.mkdir(parents=True, exist_ok=True)
            move_file(tmp, failed_dir / f"{name}.ipynb")
        tmp.unlink(missing_ok=True)
        return Outcome(name, False, seconds, _describe_failure(err))


def _run_all(names, run_one, jobs: int, out_dir: Path, chapters: ChapterProcesses,
             report) -> list[Outcome]:
    """Run ``run_one(name)`` for every chapter, ``jobs`` at a time; their outcomes in the
    order of ``names``."""
    if jobs == 1 or len(names) < 2:
        outcomes = []
        for name in names:
            report(f"[{name}] executing ...")
            outcomes.append(run_one(name))
            report(_summary(outcomes[-1]))
        return outcomes
    from concurrent.futures import ThreadPoolExecutor, as_completed

    # longest first (by the last recorded times; unknown ones first), so that the longest
    # chapter does not start last and leave a core idle at the end
    last = _read_timings(out_dir)
    order = list(names)
    names = sorted(names, key=lambda n: -last.get(n, {}).get("seconds", float("inf")))

    # threads suffice: each chapter runs in a child process of its own (execute_chapter)
    pool = ThreadPoolExecutor(jobs)
    try:
        report(f"executing {len(names)} chapters, {jobs} at a time ...")
        futures = {pool.submit(run_one, n): n for n in names}
        done = {}
        for fut in as_completed(futures):
            done[futures[fut]] = fut.result()
            report(_summary(done[futures[fut]]))
    except BaseException:
        # stopping: the pool would wait for the running chapters to finish and then start the
        # queued ones before letting the stop through; no chapter may start or finish now
        chapters.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [done[n] for n in sorted(names, key=order.index)]


def _summary(o: Outcome) -> str:
    if o.ok:
        return "\n".join([f"[{o.name}] ok in {o.seconds:.1f} s"]
                         + [f"[{o.name}] {w}" for w in o.warnings])
    return f"[{o.name}] FAILED after {o.seconds:.1f} s: {o.error}"


def _read_timings(out_dir: Path, warn: bool = False) -> dict:
    path = Path(out_dir) / TIMINGS
    try:
        records = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(records, dict) or not all(isinstance(r, dict)
                                                    for r in records.values()):
            raise ValueError("not a JSON object of records")
    except ValueError as err:  # a damaged file only loses the old records, never the run
        if warn:
            print(f"warning: {path} is unreadable ({err}); starting it afresh", file=sys.stderr)
        records = {}
    return records


def _torch_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return "not installed"


def write_timings(out_dir: Path, outcomes: list[Outcome], parameters: dict) -> Path:
    """Merge these outcomes into ``<out>/_timings.json`` (one record per chapter), atomically."""
    path = Path(out_dir) / TIMINGS
    records = _read_timings(out_dir, warn=True)
    date = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for o in outcomes:
        records[o.name] = dict(profile=parameters["profile"], device=parameters["device"],
                               seed=parameters["seed"], recompute=parameters["recompute"],
                               seconds=round(o.seconds, 1), status="ok" if o.ok else "failed",
                               date=date, torch=_torch_version(), used=o.used,
                               error=o.error)
    fd, tmp = tempfile.mkstemp(prefix=".timings.", suffix=".json", dir=out_dir)
    with os.fdopen(fd, "w") as f:
        json.dump(dict(sorted(records.items())), f, indent=2)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def execute(names=None, profile: str = "quick", device: str = "cpu", seed: int = 0,
            recompute: bool = False, out_dir: Path = BOOK, chapters_dir: Path = CHAPTERS,
            jobs: int = 1, refresh_status: bool = True, failed_dir: Path | None = None,
            cell_timeout: float | None = -1, chapter_timeout: float | None = -1,
            report=print, allow_long: bool = False) -> list[Outcome]:
    """Execute chapters (all when ``names`` is empty) and record their timings.

    Unless ``allow_long``, nothing starts when a chosen chapter would compute more than the
    long-work limit on ``device`` (``check_long_work``); with it, the chapters get
    ``allow_long=True``.
    Every parameter is checked before any chapter runs (ValueError naming the problem). The
    status chapter runs last, and is re-run after a partial execution unless ``refresh_status``
    is False, so that it shows the new timings. Partial notebooks of failed chapters go to
    ``failed_dir`` (default ``_build/failed`` beside ``out_dir``). ``cell_timeout`` and
    ``chapter_timeout`` in seconds (None: no limit) default to the profile's ``CELL_TIMEOUT``
    and ``CHAPTER_TIMEOUT``.
    """
    check_profile(profile)
    check_device(device)
    check_seed(seed)
    check_int("jobs", jobs)
    check_bool("allow_long", allow_long)
    if cell_timeout == -1:
        cell_timeout = CELL_TIMEOUT[profile]
    if chapter_timeout == -1:
        chapter_timeout = CHAPTER_TIMEOUT[profile]
    for what, value in (("cell_timeout", cell_timeout), ("chapter_timeout", chapter_timeout)):
        if value is not None and not value > 0:
            raise ValueError(f"{what} must be a positive number of seconds or None, got "
                             f"{value!r}")
    sources = chapter_sources(chapters_dir)
    if not sources:
        raise ValueError(f"no chapters (NN_name.py) found in {chapters_dir}")
    chosen = resolve_chapters(names, sources) if names else list(sources)
    if refresh_status and STATUS_CHAPTER in sources and STATUS_CHAPTER not in chosen:
        chosen.append(STATUS_CHAPTER)
    first = [n for n in chosen if n != STATUS_CHAPTER and n not in READS_OTHERS]
    then = [n for n in chosen if n in READS_OTHERS]
    parameters = dict(profile=profile, device=device, seed=seed, recompute=bool(recompute))
    if not allow_long:
        check_long_work(first + then, sources, profile, device, seed, bool(recompute))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in chosen:  # what a killed earlier run left behind (hidden: never a page)
        for kept in _keep_partial(name, out_dir, failed_dir):
            report(f"[{name}] an interrupted earlier execution left a partial notebook; "
                   f"moved to {kept}")
    chapters = ChapterProcesses()

    def record(outcome: Outcome) -> None:  # as each chapter ends: a stop loses no record
        write_timings(out_dir, [outcome], parameters)

    def run_one(name: str) -> Outcome:
        given = dict(parameters, allow_long=True) if allow_long and takes_allow_long(
            sources[name]) else parameters
        return execute_chapter(sources[name], out_dir, given, failed_dir, cell_timeout,
                               chapter_timeout, chapters=chapters, record=record)

    # one thread per kernel: small models run faster so, and two kernels share 2 cores well;
    # SB_BOOK_DIR tells the status chapter where this run's timings are
    with _kernel_env(OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
                     SB_BOOK_DIR=str(out_dir.resolve())):
        try:
            outcomes = _run_all(first, run_one, jobs, out_dir, chapters, report)
            if then:  # after the chapters whose stored results they read: none computed twice
                outcomes += _run_all(then, run_one, jobs, out_dir, chapters, report)
            if STATUS_CHAPTER in chosen:  # reads the timings the others recorded
                outcomes += _run_all([STATUS_CHAPTER], run_one, 1, out_dir, chapters, report)
        except BaseException:  # however this call ends, no chapter outlives it
            chapters.stop()
            raise
    return outcomes


# --- table of contents and site ---------------------------------------------------------------

def toc_yaml(names: list[str], book_dir: str = "book") -> str:
    """A jupyter-book 1.x table of contents: the first chapter is the root page."""
    if not names:
        raise ValueError("a table of contents needs at least one chapter")
    lines = [TOC_HEADER + "format: jb-book", f"root: {book_dir}/{names[0]}"]
    if len(names) > 1:
        lines.append("chapters:")
        lines += [f"  - file: {book_dir}/{n}" for n in names[1:]]
    return "\n".join(lines) + "\n"


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


def write_toc(root: Path = ROOT, chapters_dir: Path = CHAPTERS) -> Path:
    """Rewrite ``<root>/_toc.yml`` from the chapters that exist (only when it changes)."""
    path = Path(root) / "_toc.yml"
    _write_if_changed(path, toc_yaml(list(chapter_sources(chapters_dir))))
    return path


def _jupyter_book() -> str:
    beside = Path(sys.executable).with_name("jupyter-book")
    found = str(beside) if beside.exists() else shutil.which("jupyter-book")
    if not found:
        raise RuntimeError("jupyter-book is not installed here; run `make venv` first")
    return found


def build(root: Path = ROOT, chapters_dir: Path = CHAPTERS, report=print) -> int:
    """Render the executed notebooks in ``<root>/book`` with jupyter-book; return its exit code.

    ``_toc.yml`` follows ``chapters/*.py``. Chapters not executed yet are left out of this
    build (named in a warning) rather than failing it, so one chapter can be built alone.
    """
    root = Path(root)
    names = list(chapter_sources(chapters_dir))
    toc = write_toc(root, chapters_dir)
    present = [n for n in names if (root / "book" / f"{n}.ipynb").exists()]
    if not present:
        raise ValueError(f"no executed chapters in {root / 'book'}; run `make book` "
                         "(or python -m sbcore.build.pipeline execute) first")
    missing = [n for n in names if n not in present]
    check_notebooks(root / "book", present)
    cmd = [_jupyter_book(), "build", "-W", "-n", "--keep-going"]
    if missing:
        report("warning: not executed yet, left out of this build: " + ", ".join(missing)
               + "  (make chapter NAME=<name>, or make book)")
        toc = _build_dir(root) / "_toc.partial.yml"
        _write_if_changed(toc, toc_yaml(present))
        cmd += ["--toc", str(toc)]
    cmd.append(str(root))
    start = time.perf_counter()
    # bound to this process: a pipeline killed outright leaves no renderer writing the site
    _prctl()
    rc = subprocess.run(cmd, cwd=root, preexec_fn=functools.partial(
        die_with_parent, os.getpid(), signal.SIGTERM)).returncode
    report(f"jupyter-book build: exit {rc} in {time.perf_counter() - start:.1f} s")
    if rc == 0:
        report(f"open {(_build_dir(root) / 'html' / 'index.html').resolve()}")
    return rc


def check_notebooks(book_dir: Path, names: list[str]) -> None:
    """ValueError naming every executed notebook that cannot be read (truncated, edited by
    hand) and the command that re-executes it; Sphinx would fail on it naming no file."""
    import nbformat

    bad = []
    for name in names:
        path = Path(book_dir) / f"{name}.ipynb"
        try:
            nbformat.validate(nbformat.read(str(path), as_version=4))
        except Exception as err:  # unreadable JSON, or not a notebook: any reason
            bad.append(f"{path} ({type(err).__name__}: {str(err).splitlines()[0][:120]})")
    if bad:
        names_bad = [Path(b.split(" (")[0]).stem for b in bad]
        raise ValueError("these executed notebooks cannot be read: " + "; ".join(bad)
                         + ". Re-execute them: " + "; ".join(
                             f"make chapter NAME={n}" for n in names_bad))


def _build_dir(root: Path) -> Path:
    return Path(root) / "_build"


# --- command line -----------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sbcore.build.pipeline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the chapters")
    ex = sub.add_parser("execute", help="execute chapters into book/ with papermill")
    ex.add_argument("names", nargs="*", help="chapters (default: all), e.g. 03_extreme_sb or 03")
    ex.add_argument("--profile", default="quick", help="smoke | quick | paper (default quick)")
    ex.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps (default cpu)")
    ex.add_argument("--seed", default="0", help="base seed (default 0)")
    ex.add_argument("--recompute", action="store_true", help="ignore stored results")
    ex.add_argument("--allow-long", action="store_true",
                    help="go ahead even where a chapter would compute more than 10 minutes "
                         "of missing entries on this device (without it, execute stops first)")
    ex.add_argument("--jobs", default="1", help="chapters executed at a time (default 1)")
    ex.add_argument("--cell-timeout", default=None,
                    help="seconds one cell may run, 0 for no limit (default by profile: "
                         + ", ".join(f"{k} {v or 'none'}" for k, v in CELL_TIMEOUT.items()) + ")")
    ex.add_argument("--chapter-timeout", default=None,
                    help="seconds (wall clock) one chapter may run, 0 for no limit (default by "
                         "profile: " + ", ".join(f"{k} {v or 'none'}"
                                                 for k, v in CHAPTER_TIMEOUT.items()) + ")")
    ex.add_argument("--out", default=str(BOOK), help="folder for the executed notebooks")
    ex.add_argument("--chapters", default=str(CHAPTERS), help=argparse.SUPPRESS)
    ex.add_argument("--no-status", action="store_true",
                    help=f"do not re-run {STATUS_CHAPTER} after a partial execution")
    bd = sub.add_parser("build", help="render book/ into _build/html with jupyter-book")
    bd.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    sub.add_parser("toc", help="rewrite _toc.yml from chapters/*.py")
    return p


def _int_arg(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {text!r}") from None


def _timeout_arg(text: str | None, name: str = "cell-timeout"):
    if text is None:
        return -1  # the profile's default
    seconds = _int_arg(name, text)
    if seconds < 0:
        raise ValueError(f"{name} must be >= 0 seconds (0: no limit), got {text!r}")
    return seconds or None


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    with _signals_stop_the_pipeline():
        return _main(args)


def _main(args) -> int:
    try:
        if args.command == "list":
            print("\n".join(chapter_sources()))
            return 0
        if args.command == "toc":
            print(f"wrote {write_toc()}")
            return 0
        if args.command == "build":
            return build(Path(args.root))
        start = time.perf_counter()
        outcomes = execute(args.names, profile=args.profile, device=args.device,
                           seed=_int_arg("seed", args.seed), recompute=args.recompute,
                           out_dir=Path(args.out), chapters_dir=Path(args.chapters),
                           jobs=_int_arg("jobs", args.jobs), refresh_status=not args.no_status,
                           cell_timeout=_timeout_arg(args.cell_timeout),
                           chapter_timeout=_timeout_arg(args.chapter_timeout, "chapter-timeout"),
                           allow_long=args.allow_long)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        _ignore_stop_signals()  # the stop under way must finish
        stop_descendants()
        signum = err.signum if isinstance(err, Stopped) else signal.SIGINT
        how = ("interrupted" if signum == signal.SIGINT
               else f"stopped by {signal.Signals(signum).name}")
        if args.command == "build":
            print(f"\n{how} while building the site: the executed notebooks in book/ are "
                  "kept; run `make site` again", file=sys.stderr)
        else:
            print(f"\n{how} while executing chapters: the notebooks already in "
                  f"{args.out} and the results already stored are kept; the chapters that were "
                  f"running were stopped with their kernels and kept their previous notebooks",
                  file=sys.stderr)
        return 128 + signum
    failed = [o for o in outcomes if not o.ok]
    print(f"executed {len(outcomes)} chapter(s) in {time.perf_counter() - start:.1f} s "
          f"(profile {args.profile}, device {args.device}, seed {args.seed})")
    for o in failed:
        partial = failed_dir_for(Path(args.out)) / f"{o.name}.ipynb"
        print(f"FAILED {o.name}: {o.error}\n  the previous {o.name}.ipynb (if any) is kept; "
              f"the partial notebook is {partial}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

