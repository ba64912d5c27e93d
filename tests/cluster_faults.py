"""Tasks for a Dask worker that misbehave on purpose (``tests/test_cluster.py``): imported by
the workers, which share the test process's ``sys.path``."""

from __future__ import annotations

import os
from pathlib import Path

from sbcore.build import cluster
from sbcore.studies import runner


def logged(job: cluster.Job, log: str) -> dict:
    """The real task, with a line per computed entry in ``log`` (who computed what)."""
    with open(log, "a") as f:
        f.write(f"{job.study} {job.entry}\n")
    return cluster.compute_entry(job)


def dies_once(job: cluster.Job, log: str, marker: str, victim: str) -> dict:
    """The real task, except that the first time it computes ``victim`` its worker process
    dies (``os._exit``) after the compute and before the entry is given back: half of its
    work is done, its checkpoints and private store are written, nothing has come back."""
    if job.entry == victim and not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()))
        mod = runner.study(job.study)
        real = mod.compute

        def compute_then_die(cfg, device="cpu"):
            real(cfg, device)
            os._exit(1)

        mod.compute = compute_then_die
    return logged(job, log)


def says_where(job: cluster.Job) -> dict:
    """Computes nothing: says which device its worker would compute on (routing tests)."""
    device, name = cluster.worker_device()
    return dict(status="not started", why=f"{device} {name}")
