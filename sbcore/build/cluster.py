"""The ledger on Dask distributed: the missing entries of a profile, one task per store entry,
spread over a cluster's workers.

    python -m sbcore.run_experiments --missing --profile paper --cluster local:14 --gpu-workers 1
    python -m sbcore.run_experiments --missing --profile paper --scheduler tcp://HOST:8786

Each entry is computed by a worker into a store of its own (a temporary folder: no shared
filesystem is assumed) and comes back as its files; the client checks them and saves them into
its store atomically (``store.save_files``), with the provenance the worker wrote (the worker's
name and host, its device, its code's commit). Results are collected as each task finishes, so
a worker that dies costs only the entry it was computing: Dask reruns that task elsewhere (up
to ``distributed.scheduler.allowed-failures`` deaths), and nothing half-written reaches the
store.

Workers say what they are by Dask resources: ``GPU=1`` (one GPU each, chosen by its
``CUDA_VISIBLE_DEVICES``) or ``CPU=1``. An entry that is a GPU's work by its estimate
(``estimate.gpu_work``) goes only to GPU workers; the others go to CPU workers in the ledger's
order (or anywhere, on a cluster whose workers declare no resources). A budget is a deadline
(wall-clock time, which the machines are assumed to share, as NTP gives): a worker starts no
entry it cannot finish in the time left (unless the entry was begun, or fits no budget), and a
running entry pauses at the deadline with its checkpoint, which comes back to the client's
``.partial`` folder; the next call sends it with the entry to any worker, which resumes there.

Without ``--cluster`` or ``--scheduler`` the ledger never imports this module, so it runs
where Dask is not installed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import socket
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import distributed
from tqdm.auto import tqdm

from sbcore import store
from sbcore.checks import check_int
from sbcore.profiles import check_profile
from sbcore.studies import STUDIES, estimate, runner

WORKER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # one core per worker
POLL_S = 1.0  # how often the progress view asks the scheduler what is running


def local_cluster(cpu_workers: int, gpu_workers: int = 0) -> distributed.SpecCluster:
    """A cluster on this machine, listening on 127.0.0.1 only, no dashboard: ``cpu_workers``
    single-threaded processes that see no GPU, and ``gpu_workers`` that see one GPU each
    (``CUDA_VISIBLE_DEVICES`` 0, 1, ...). Each worker runs under a nanny, which restarts it if
    it dies."""
    check_int("cpu_workers", cpu_workers, minimum=0)
    check_int("gpu_workers", gpu_workers, minimum=0)
    if cpu_workers + gpu_workers < 1:
        raise ValueError("a cluster needs at least one worker: give cpu_workers or gpu_workers")

    def worker(resources: dict, visible: str) -> dict:
        return {"cls": distributed.Nanny, "options": dict(
            nthreads=1, resources=resources, host="127.0.0.1", silence_logs=logging.ERROR,
            env=dict(WORKER_ENV, CUDA_VISIBLE_DEVICES=visible))}

    workers = {f"cpu-{i}": worker({"CPU": 1}, "") for i in range(cpu_workers)}
    workers.update({f"gpu-{i}": worker({"GPU": 1}, str(i)) for i in range(gpu_workers)})
    scheduler = {"cls": distributed.Scheduler, "options": dict(  # its HTTP routes (health,
        host="127.0.0.1", dashboard=False,  # metrics) on a free loopback port, not on 8787,
        dashboard_address="127.0.0.1:0")}  # where a reader's own Dask may listen
    return distributed.SpecCluster(workers=workers, scheduler=scheduler,
                                   silence_logs=logging.ERROR, name="sbcore ledger")


# --------------------------------------------------------------------------------------------
# On a worker
# --------------------------------------------------------------------------------------------

@dataclass
class Job:
    """One store entry for a worker: what to compute, the checkpoints an earlier part left
    (relative path -> bytes), and the time it may take."""

    study: str
    entry: str
    profile: str
    seed: int
    checkpoint: dict = field(default_factory=dict)
    deadline: float | None = None  # wall-clock (time.time()) time to pause at
    budget_s: float | None = None
    estimate_s: float = 0.0
    begun: bool = False
    always_start: bool = False  # the first entry of a call starts whatever the time left


def worker_device() -> tuple[str, str]:
    """(device, worker name) of the worker running this task: cuda on a worker that declares a
    GPU resource, else cpu; ("cpu", host) outside a worker."""
    try:
        w = distributed.get_worker()
    except ValueError:
        return "cpu", socket.gethostname()
    gpu = w.state.total_resources.get("GPU", 0) > 0
    return ("cuda" if gpu else "cpu"), f"{w.name} on {socket.gethostname()} ({w.address})"


def _scratch() -> str:
    """A folder for one entry's private store: inside the worker's own space, which Dask
    clears when the worker goes (so a killed worker leaves nothing behind for long)."""
    try:
        base = distributed.get_worker().local_directory
    except ValueError:
        base = None
    return tempfile.mkdtemp(prefix="sbcore-entry-", dir=base)


def read_folder(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path (a paused entry's checkpoints)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def write_folder(files: dict[str, bytes], folder: Path) -> None:
    """Replace ``folder`` by these files: written beside it, then renamed into its place, so
    an interrupted write leaves the previous checkpoints."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.incoming.", dir=folder.parent))
    try:
        for rel, data in files.items():
            path = (tmp / rel).resolve()
            if tmp.resolve() not in path.parents:  # a name that climbs out: refused
                raise ValueError(f"refused the checkpoint file name {rel!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        store.swap_into_place(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def compute_entry(job: Job) -> dict:
    """Run on a worker: compute one entry into a private store and give back its files
    (``status`` "stored"), or its checkpoints when it paused at the deadline ("paused"), or
    why it did not start ("not started"). Exceptions propagate: Dask reports them."""
    from sbcore.training import resume  # torch: workers import it, the client need not

    device, name = worker_device()
    left = None if job.deadline is None else job.deadline - time.time()
    if not job.always_start and left is not None:
        if left <= 0:
            return dict(status="not started", why="the budget was spent before it started")
        if not job.begun and left < job.estimate_s <= (job.budget_s or float("inf")):
            return dict(status="not started", why=f"about {job.estimate_s:.0f} s, "
                                                  f"{left:.0f} s of the budget left")
    if device == "cpu":
        import torch

        torch.set_num_threads(1)  # one worker, one core: what the cluster's shape promises
    mod = runner.study(job.study)
    cfg = mod.configs(job.profile, job.seed)[job.entry]
    key_cfg = runner.entry_key_config(mod, job.entry, cfg, job.seed)
    root = Path(_scratch())
    try:
        partial = store.partial_dir(mod.NAME, key_cfg, job.profile, root)
        if job.checkpoint:
            write_folder(job.checkpoint, partial)
        deadline = None if left is None else time.perf_counter() + left
        t0, said = time.perf_counter(), io.StringIO()
        try:  # the client shows one view of the run: the training's bars stay here
            with contextlib.redirect_stderr(said):
                results = runner.run(job.study, job.profile, device, job.seed,
                                     only=[job.entry], root=root, deadline=deadline,
                                     allow_long=True, provenance=dict(worker=name))
        except resume.Paused as err:
            return dict(status="paused", why=str(err), checkpoint=read_folder(partial),
                        worker=name, seconds=time.perf_counter() - t0)
        result = results[job.entry]
        warned = [line for line in said.getvalue().splitlines() if "Warning" in line]
        return dict(status="stored", files=store.entry_files(result), worker=name,
                    problems=list(results.problems) + warned,
                    seconds=time.perf_counter() - t0)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# On the client
# --------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What a cluster run of the ledger did, entry by entry ("study entry" names)."""

    stored: list = field(default_factory=list)
    paused: list = field(default_factory=list)
    not_started: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    no_worker: list = field(default_factory=list)  # a GPU's work on a cluster without a GPU


def worker_kinds(client: distributed.Client) -> dict[str, int]:
    """How many of the cluster's workers declare a GPU, a CPU, or neither."""
    out = dict(gpu=0, cpu=0, plain=0)
    for w in client.scheduler_info()["workers"].values():
        res = w.get("resources") or {}
        out["gpu" if res.get("GPU") else "cpu" if res.get("CPU") else "plain"] += 1
    return out


def run_missing(client: distributed.Client, profile: str, studies=STUDIES,
                budget_s: float | None = None, seed: int = 0, root: Path | None = None,
                order: str = "largest", report=print, task=compute_entry,
                progress: bool = True, timeout_s: float | None = None) -> Outcome:
    """Compute the entries of ``studies`` not stored under ``profile`` on the cluster of
    ``client``, in the ledger's order (begun entries first), each stored by this process as
    soon as its worker gives it back. ``task`` is what a worker runs (a test swaps in one that
    kills its worker); past ``timeout_s`` the waiting stops with TimeoutError."""
    check_profile(profile)
    todo = runner.missing_in_order(profile, studies, seed, root, order)
    kinds = worker_kinds(client)
    if not sum(kinds.values()):
        raise RuntimeError("the cluster has no workers: start some (dask worker ADDRESS "
                           "--nthreads 1 --resources CPU=1) or use --cluster local:N")
    cal = estimate.calibration()  # the wall times this code recorded, wherever this run stores
    deadline = None if budget_s is None else time.time() + budget_s
    outcome, futures = Outcome(), {}
    for i, e in enumerate(todo):
        gpu = estimate.gpu_work(e.study, e.config, profile, cal)
        if gpu and not kinds["gpu"]:
            outcome.no_worker.append(f"{e.study} {e.name}")
            continue
        resources = {"GPU": 1} if gpu else {"CPU": 1} if kinds["cpu"] else None
        kind = "gpu" if gpu or (kinds["gpu"] and not kinds["cpu"] and not kinds["plain"]) \
            else "cpu"
        job = Job(e.study, e.name, profile, seed, begun=e.begun, deadline=deadline,
                  budget_s=budget_s, always_start=not futures,
                  estimate_s=estimate.seconds(e.study, e.config, kind, profile, cal).seconds,
                  checkpoint=read_folder(_partial(e, profile, root)) if e.begun else {})
        fut = client.submit(task, job, key=f"{e.study}/{e.name}-{uuid.uuid4().hex[:8]}",
                            resources=resources, priority=len(todo) - i, pure=False)
        futures[fut] = (e, job)
    if outcome.no_worker:
        report(f"   {len(outcome.no_worker)} entr{'y' if len(outcome.no_worker) == 1 else 'ies'}"
               f" are a GPU's work and this cluster has no GPU worker (--gpu-workers N, or a "
               f"worker started with --resources GPU=1): " + ", ".join(outcome.no_worker))
    _collect(client, futures, outcome, profile, root, report, progress, timeout_s,
             workers=sum(kinds.values()))
    return outcome


def _partial(e: runner.Entry, profile: str, root: Path | None) -> Path:
    return store.partial_dir(runner.study(e.study).NAME, e.key_config, profile, root)


def _collect(client, futures: dict, outcome: Outcome, profile: str, root, report,
             progress: bool, timeout_s: float | None, workers: int = 1) -> None:
    """Save each entry as its task finishes; one progress view over the whole run, with the
    time left by the estimates of the entries not finished, spread over the ``workers``."""
    bar = tqdm(total=len(futures), desc="entries", unit="entry", disable=not progress,
               dynamic_ncols=True)
    say = bar.write if progress else report
    pending, start = set(futures), time.perf_counter()
    try:
        while pending:
            if timeout_s is not None and time.perf_counter() - start > timeout_s:
                raise TimeoutError(f"{len(pending)} entries still running or waiting after "
                                   f"{timeout_s:.0f} s")
            try:
                done, pending = distributed.wait(pending, timeout=POLL_S,
                                                 return_when="FIRST_COMPLETED")
            except TimeoutError:  # none finished within POLL_S: refresh the view
                done = set()
            for fut in done:
                e, job = futures[fut]
                _one(fut, e, job, outcome, profile, root, say)
                bar.update(1)
            running = sum(len(v) for v in client.processing().values()) if pending else 0
            left = sum(futures[f][1].estimate_s for f in pending) / max(workers, 1)
            bar.set_postfix_str(
                f"{len(outcome.stored)} stored, {running} running, "
                f"{len(pending) - running} waiting, {len(outcome.paused)} paused, "
                f"{len(outcome.failed)} failed; {time.perf_counter() - start:.0f} s so far, "
                f"about {estimate.duration(left)} left", refresh=True)
    finally:
        bar.close()
        for fut in pending:  # interrupted: what is queued is dropped (running tasks finish)
            fut.cancel()


def _one(fut, e, job: Job, outcome: Outcome, profile: str, root, say) -> None:
    """Store one finished task's entry, or keep its checkpoints, or say why it failed."""
    label = f"{e.study} {e.name}"
    if fut.status != "finished":
        err = fut.exception()
        tb = "".join(traceback.format_exception(type(err), err, fut.traceback()))
        outcome.failed.append(label)
        say(f"   failed {label}: {type(err).__name__}: {err}")
        if not isinstance(err, distributed.KilledWorker):
            say(tb.rstrip())
        return
    got = fut.result()
    if got["status"] == "stored":
        try:
            res = store.save_files(runner.study(e.study).NAME, e.key_config, profile,
                                   got["files"], root)
        except store.CorruptResult as err:
            outcome.failed.append(label)
            say(f"   failed {label}: {err}")
            return
        shutil.rmtree(_partial(e, profile, root), ignore_errors=True)
        outcome.stored.append(label)
        say(f"   stored {label} in {got['seconds']:.1f} s by {got['worker']}: {res.path}")
        for problem in got.get("problems", []):
            say(f"   problem: {problem}")
    elif got["status"] == "paused":
        write_folder(got["checkpoint"], _partial(e, profile, root))
        outcome.paused.append(label)
        say(f"   paused {label} after {got['seconds']:.1f} s on {got['worker']}: {got['why']}")
    else:
        outcome.not_started.append(label)
        say(f"   skip {label}: {got['why']}")


@contextlib.contextmanager
def connect(cpu_workers: int = 1, scheduler: str | None = None, gpu_workers: int = 0,
            timeout_s: float = 30.0):
    """A client of the scheduler at ``scheduler`` (tcp://HOST:PORT), or else of a new local
    cluster of ``cpu_workers`` and ``gpu_workers``, stopped on the way out whatever happens."""
    if scheduler is not None:
        with distributed.Client(scheduler, timeout=timeout_s) as client:
            yield client
        return
    with local_cluster(cpu_workers, gpu_workers) as spec, \
            distributed.Client(spec, timeout=timeout_s) as client:
        yield client


__all__ = ["Job", "Outcome", "compute_entry", "connect", "local_cluster",
           "read_folder", "run_missing", "worker_kinds", "write_folder"]
