"""Fixtures shared by the test files: one smoke-profile results store for the whole session,
so each study's smoke entries are computed once however many test files read them; and one
smoke book (every chapter executed at profile smoke) with its rendered site, which
test_book.py and test_site_browser.py both check."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("agg")  # no screen: every figure test draws off-screen


@pytest.fixture(scope="session")
def smoke_store(tmp_path_factory):
    """An empty results store for the session (never the repository's results/)."""
    return tmp_path_factory.mktemp("smoke_results")


@pytest.fixture(scope="session")
def smoke_run(smoke_store):
    """``smoke_run(study)``: the study's smoke entries ({entry: store.Result}) as first
    computed into the session store (so ``cached`` is False on every entry)."""
    from sbcore.studies import runner

    done = {}

    def get(name: str):
        if name not in done:
            done[name] = runner.run(name, "smoke", "cpu", root=smoke_store, progress=False)
        return done[name]

    return get


# --- the smoke book and its site ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# Two chapters at a time: at smoke a chapter is mostly kernel start and imports, so two overlap
# well even on 2 cores (measured: 57 s instead of 93 s for the whole book).
JOBS = int(os.environ.get("SB_TEST_JOBS", "2"))


@pytest.fixture(scope="session")
def smoke_book(tmp_path_factory):
    """A book root in a temporary folder, with every chapter executed at smoke."""
    from sbcore.build import pipeline

    root = tmp_path_factory.mktemp("book_root")
    store = root / "results"
    if (ROOT / "results" / "paper").exists():  # chapters show stored paper-scale runs
        shutil.copytree(ROOT / "results" / "paper", store / "paper")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SB_RESULTS", str(store))  # the kernels inherit it
        outcomes = pipeline.execute(profile="smoke", device="cpu", seed=0,
                                    out_dir=root / "book", jobs=JOBS)
    return root, {o.name: o for o in outcomes}


@pytest.fixture(scope="session")
def killed_midway(smoke_book):
    """``kill -9`` of the pipeline (its whole process group) while it executes a chapter into
    the smoke book: what it leaves must not break the next build or show as a page."""
    root, _ = smoke_book
    env = dict(os.environ, SB_RESULTS=str(root / "results"), OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "sbcore.build.pipeline", "execute",
                             "03_extreme_sb", "--profile", "smoke", "--recompute",
                             "--no-status", "--out", str(root / "book")],
                            cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((root / "book").glob(".03_extreme_sb.*.ipynb")):
        assert time.monotonic() < deadline and proc.poll() is None, "the chapter never started"
        time.sleep(0.2)
    time.sleep(3)  # a few cells in
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return list((root / "book").glob(".*.ipynb"))


@pytest.fixture(scope="session")
def built_site(smoke_book, killed_midway):
    """The smoke book rendered by ``pipeline.build``: (root, jupyter-book's exit code)."""
    from sbcore.build import pipeline

    root, _ = smoke_book
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    shutil.copytree(ROOT / "_vendor", root / "_vendor")
    rc = pipeline.build(root)
    return root, rc
