"""The fault suite: every kind of bad input and fault the project handles, in one counted list.

Each case of ``FAULTS`` must raise the exact kind of error with the words a user needs (the
parameter and what is allowed, or the file and the way out), before any training starts (the
trainer's loop is replaced by one that fails the test), and must leave everything built or
stored as it was (a checksum of the store, of the committed paper results and of the built
notebooks before and after). The store and pipeline faults that need a prepared state are the
``test_store_*`` and ``test_pipeline_*`` cases below; ``tests/test_bad_input.py`` holds the
data-generator cases, and ``tests/test_faults_pipeline.py`` the ones that need real processes
(the pipeline and make stopped while chapters run, make's variables, make lab as root),
``tests/test_faults_store.py`` the stored files and checkpoints (crafted, damaged, a full disk),
``tests/test_bad_input_library.py`` the parameters a notebook user passes to the library, and
``tests/test_live_notebook.py`` the prose's inline values; all counted here too.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import sbcore
from sbcore import store
from sbcore.attacks import PGDAdversary, pgd
from sbcore.book import setup_chapter
from sbcore.build import pipeline
from sbcore.data import make_dataset
from sbcore.models import FCN, ModelSpec
from sbcore.studies import runner
from sbcore.training import TrainConfig, fit, train, train_grid, train_many
from sbcore.training import trainer as trainer_module

ROOT = Path(__file__).resolve().parents[1]
TINY = make_dataset("lms-5", n_train=64, n_val=16, n_test=16, d=4, seed=0)
NAN_DATA = make_dataset("lms-5", n_train=64, n_val=16, n_test=16, d=4, seed=0)
NAN_DATA.train.X[3, 1] = np.nan


def _bad_model(x):
    return x  # not an nn.Module


class ThreeLogits(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 3)

    def forward(self, x):
        return self.lin(x)


# name: (call, exception type, words the message must contain)
FAULTS = {
    # training
    "lr zero": (lambda: TrainConfig(lr=0.0), ValueError, ["lr"]),
    "lr NaN": (lambda: TrainConfig(lr=float("nan")), ValueError, ["lr"]),
    "momentum 1": (lambda: TrainConfig(momentum=1.0), ValueError, ["momentum"]),
    "unknown optimiser": (lambda: TrainConfig(optimizer="lbfgs"), ValueError,
                          ["optimizer", "sgd"]),
    "unknown config field": (lambda: TrainConfig(learning_rate=0.1), ValueError,
                             ["learning_rate", "allowed fields"]),
    "Adam with momentum": (lambda: TrainConfig(optimizer="adam", momentum=0.9), ValueError,
                           ["momentum", "adam"]),
    "NaN in the inputs": (lambda: train(NAN_DATA, 8, 1, TrainConfig(), 0, progress=False),
                          ValueError, ["data.train.X", "NaN"]),
    "seed 2**70": (lambda: train(TINY, 8, 1, TrainConfig(), 2**70, progress=False),
                   ValueError, ["seed", "2**32 - 1"]),
    "seed a bool": (lambda: train(TINY, 8, 1, TrainConfig(), True, progress=False),
                    ValueError, ["seed"]),
    "width zero": (lambda: train(TINY, 0, 1, TrainConfig(), 0, progress=False),
                   ValueError, ["width"]),
    "not a module": (lambda: fit(_bad_model, TINY, TrainConfig(), progress=False),
                     ValueError, ["model", "nn.Module"]),
    "three logits": (lambda: fit(ThreeLogits(), TINY, TrainConfig(), progress=False),
                     ValueError, ["(n, 2) logits"]),
    "perturb not callable": (lambda: fit(FCN(4, 8, 1), TINY, TrainConfig(), progress=False,
                                         perturb=0.3), ValueError, ["perturb"]),
    "one radius per model, too few": (
        lambda: train_many(TINY, 8, 1, TrainConfig(max_updates=5), [0, 1, 2], progress=False,
                           perturb=PGDAdversary([0.1, 0.2], norm="l2")),
        ValueError, ["eps gives 2 radii"]),
    "unknown device": (lambda: train(TINY, 8, 1, TrainConfig(), 0, device="tpu",
                                     progress=False), ValueError, ["device", "tpu", "cpu"]),
    "seeds not a list": (lambda: train_many(TINY, 8, 1, TrainConfig(), 3, progress=False),
                         ValueError, ["seeds"]),
    "grid varies eval_every": (lambda: train_grid(TINY, 8, 1, [TrainConfig(),
                                                               TrainConfig(eval_every=7)],
                                                  [0, 1], progress=False),
                               ValueError, ["eval_every", "may vary only"]),
    "grid with Adam": (lambda: train_grid(TINY, 8, 1, [TrainConfig(optimizer="adam",
                                                                   lr=1e-3)], [0],
                                          progress=False), ValueError, ["'sgd'"]),
    # models
    "unknown model label": (lambda: ModelSpec.parse("(100,2)-MLP"), ValueError,
                            ["label", "(100,2)-FCN"]),
    # attacks
    "attack budget negative": (lambda: PGDAdversary(-0.1), ValueError, ["eps"]),
    "attack norm l1": (lambda: PGDAdversary(0.1, norm="l1"), ValueError, ["norm", "l2"]),
    "attack bounds reversed": (lambda: PGDAdversary(0.1, bounds=(1.0, 0.0)), ValueError,
                               ["bounds", "low < high"]),
    "PGD on unlabelled rows": (lambda: pgd(FCN(4, 8, 1), TINY.test.X, TINY.test.y[:3], 0.1),
                               ValueError, ["y", "one label per row"]),
    # studies and the runner
    "unknown study": (lambda: runner.study("ensembels"), ValueError, ["study", "known"]),
    "unknown profile": (lambda: runner.run("generalisation", "fast"), ValueError,
                        ["profile", "quick"]),
    "run on a TPU": (lambda: runner.run("datasets", "smoke", "tpu"), ValueError,
                     ["device", "tpu"]),
    "recompute 'no'": (lambda: runner.run("datasets", "smoke", "cpu", 0, "no"), ValueError,
                       ["recompute", "True or False"]),
    "unknown entry": (lambda: runner.run("generalisation", "smoke", only=["grid/x"]),
                      ValueError, ["grid/x", "known"]),
    # chapters and the pipeline
    "chapter recompute 'no'": (lambda: setup_chapter("quick", "cpu", 0, "no"), ValueError,
                               ["recompute", "True or False"]),
    "chapter unknown profile": (lambda: setup_chapter("fast", "cpu", 0), ValueError,
                                ["profile"]),
    "chapter seed negative": (lambda: setup_chapter("quick", "cpu", -3), ValueError,
                              ["seed"]),
    "unknown chapter": (lambda: pipeline.execute(["09_generalization"], profile="smoke"),
                        ValueError, ["09_generalization"]),
    "jobs zero": (lambda: pipeline.execute(profile="smoke", jobs=0), ValueError, ["jobs"]),
    "negative cell timeout": (lambda: pipeline.execute(profile="smoke", cell_timeout=-5),
                              ValueError, ["cell_timeout"]),
    # data on disk
    "CIFAR-10 folder absent": (lambda: sbcore.data.load_cifar10("test", root="/nonexistent"),
                               Exception, ["/nonexistent"]),
    "unknown domino": (lambda: __import__("sbcore.data.dominoes", fromlist=["x"])
                       .make_dominoes("mnist-svhn"), ValueError, ["mnist-svhn"]),
}


def _tree_digest(*folders: Path) -> str:
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and not path.name.startswith(".lock"):
                h.update(str(path.relative_to(folder)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def watched(tmp_path, monkeypatch):
    """A store with one real entry, the committed paper results and the built notebooks:
    their digest before the case (returned as a function that recomputes it). Training is
    forbidden: the trainer's loop fails the test if it is reached."""
    root = tmp_path / "results"
    runner.run("datasets", "smoke", "cpu", 0, root=root, progress=False)
    monkeypatch.setattr(store, "RESULTS", root)

    def forbidden(*args, **kwargs):
        raise AssertionError("training started before the input was checked")

    monkeypatch.setattr(trainer_module, "_run_group", forbidden)
    watched_dirs = [root, ROOT / "results" / "paper"]
    if (ROOT / "book").is_dir():
        watched_dirs.append(ROOT / "book")
    return lambda: _tree_digest(*watched_dirs)


@pytest.mark.parametrize("case", list(FAULTS))
def test_fault_is_refused_before_work_and_changes_nothing(case, watched):
    call, kind, words = FAULTS[case]
    before = watched()
    with pytest.raises(kind) as err:
        call()
    assert not isinstance(err.value, AssertionError), err.value
    for word in words:
        assert word.lower() in str(err.value).lower(), (word, str(err.value))
    assert watched() == before


# --------------------------------------------------------------------------------------------
# Faults that need a prepared state
# --------------------------------------------------------------------------------------------

def _toy(config):
    return {"metrics": pd.DataFrame({"study": "toy", "dataset": "d", "model": "m",
                                     "seed": [0], "metric": "accuracy", "value": [0.9]})}


def _stored(tmp_path):
    return store.cached_run("toy", {"n": 1}, _toy, "smoke", root=tmp_path)


def test_store_edited_values_with_a_rebuilt_checksum_are_damaged(tmp_path):
    entry = _stored(tmp_path).path
    table = entry / "metrics.csv"
    table.write_text(table.read_text().replace("0.9", "0.1"))
    prov = json.loads((entry / "provenance.json").read_text())
    prov["tables"]["metrics"] = hashlib.sha256(table.read_bytes()).hexdigest()
    (entry / "provenance.json").write_text(json.dumps(prov, indent=2))
    with pytest.raises(store.CorruptResult, match="does not match its digest"):
        store.load("toy", {"n": 1}, "smoke", root=tmp_path)
    with pytest.warns(UserWarning, match="recomputing a corrupt stored result"):
        again = store.cached_run("toy", {"n": 1}, _toy, "smoke", root=tmp_path)
    assert again.metrics["value"].tolist() == [0.9] and not again.cached


def test_store_entry_of_another_sbcore_version_is_stale(tmp_path, monkeypatch):
    _stored(tmp_path)
    monkeypatch.setattr(sbcore, "__version__", "9.9.9")
    with pytest.raises(store.StaleResult, match="stored by sbcore 0.1.0, this is sbcore 9.9.9"):
        store.load("toy", {"n": 1}, "smoke", root=tmp_path)
    with pytest.warns(UserWarning, match="recomputing a stale stored result"):
        again = store.cached_run("toy", {"n": 1}, _toy, "smoke", root=tmp_path)
    assert not again.cached and again.provenance["sbcore_version"] == "9.9.9"


def test_store_ledger_reports_a_stale_entry(tmp_path, monkeypatch):
    runner.run("datasets", "smoke", "cpu", 0, root=tmp_path, progress=False)
    monkeypatch.setattr(sbcore, "__version__", "9.9.9")
    ledger = runner.ledger("smoke", ["datasets"], root=tmp_path)
    assert set(ledger["status"]) == {"stale"}
    assert ledger["detail"].str.contains("stored by sbcore 0.1.0").all()
    looked = runner.lookup("datasets", "smoke", root=tmp_path)
    assert all(v is None for v in looked.values()) and looked.problems


def test_store_unwritable_is_refused_before_the_computation(tmp_path):
    (tmp_path / "smoke").mkdir(parents=True)
    (tmp_path / "smoke" / "toy").write_text("a file where the study folder should be")
    calls = []
    with pytest.raises(store.StoreUnwritable):
        store.cached_run("toy", {"n": 1}, lambda c: calls.append(c) or _toy(c), "smoke",
                         root=tmp_path)
    assert calls == []


def test_training_that_diverges_stops_at_once_with_a_warning():
    with pytest.warns(RuntimeWarning, match="diverged for 1 of 1 model"):
        r = train(TINY, 8, 1, TrainConfig(lr=1e30, max_updates=1_000, eval_every=500), 0,
                  progress=False)
    assert r.diverged and not r.converged and r.updates <= 3


def test_pipeline_names_a_truncated_notebook_and_the_command(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "02_measuring.ipynb").write_text('{"cells": [{"cell_type": "mark')
    with pytest.raises(ValueError) as err:
        pipeline.check_notebooks(book, ["02_measuring"])
    text = str(err.value)
    assert "02_measuring.ipynb" in text and "make chapter NAME=02_measuring" in text


def test_the_suite_counts_every_handled_fault():
    """The count the closing note gives: tried and handled (every case above passes)."""
    import test_bad_input_library as library
    import test_faults_pipeline as processes
    import test_faults_store as store_faults
    from test_bad_input import CASES

    prepared = [name for name in globals() if name.startswith(("test_store_",
                                                                "test_pipeline_",
                                                                "test_training_", "test_make_"))]
    # the pipeline stopped each way and make stopped by SIGTERM; each bad make variable;
    # RECOMPUTE=0 (no, false) read as true; make lab as root
    by_processes = len(processes.STOP_WAYS) + 1 + len(processes.BAD_MAKE_VALUES) + 2
    # stored files and checkpoints (tests/test_faults_store.py): each test a kind, each crafted
    # checkpoint and each misplaced option its own
    stored = [name for name in vars(store_faults) if name.startswith("test_")]
    stored_kinds = len(stored) - 2 + len(store_faults.CRAFTED) + len(store_faults.MISPLACED)
    # library parameters a notebook user passes (tests/test_bad_input_library.py): one kind per
    # entry point and parameter
    library_kinds = sum(len(params) for _, _, _, params in library.ENTRIES)
    # the prose's inline values: an expression the site cannot read, a glued name that is not
    # an identifier (tests/test_live_notebook.py)
    live_kinds = 2
    classes = {"fault list": len(FAULTS), "data generators": len(CASES),
               "prepared store and pipeline states": len(prepared),
               "processes (stopping, make)": by_processes, "stored files and checkpoints":
               stored_kinds, "library parameters": library_kinds, "inline values": live_kinds}
    total = sum(classes.values())
    print(f"fault suite: {total} kinds of bad input and fault, each handled: "
          + ", ".join(f"{k} {v}" for k, v in classes.items()))
    assert total >= 300


def test_pipeline_ctrl_c_says_one_line_and_keeps_what_was_built(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    book = tmp_path / "book"
    env = dict(os.environ, SB_RESULTS=str(tmp_path / "results"), OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "sbcore.build.pipeline", "execute",
                             "03_extreme_sb", "02_measuring", "--profile", "smoke", "--jobs",
                             "2", "--no-status", "--out", str(book)],
                            cwd=ROOT, env=env, start_new_session=True, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            # as a terminal's foreground job: pytest itself may run in a
                            # background job, which starts with SIGINT ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list(book.glob(".03_extreme_sb.*.ipynb")):
        assert time.monotonic() < deadline and proc.poll() is None, "the chapter never started"
        time.sleep(0.2)
    time.sleep(2)
    import psutil

    def running(p):
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    def command(p):
        try:
            return " ".join(p.cmdline())
        except psutil.Error:
            return ""

    started = psutil.Process(proc.pid).children(recursive=True)  # chapters and kernels
    assert any("ipykernel" in command(p) for p in started), "no kernel started"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    # every chapter process and kernel was stopped before the pipeline said its last line
    assert not [p for p in started if running(p)], "a chapter process or kernel outlived it"
    lines = [line for line in out.splitlines() if line.strip()]
    assert "Traceback" not in out and len(lines) <= 4, out
    assert lines[-1].startswith("interrupted while executing chapters")
    assert not (book / "03_extreme_sb.ipynb").exists()  # no half-executed page


def test_make_recreates_a_venv_left_without_pip(tmp_path):
    import subprocess
    import sys

    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "requirements.txt").write_text("pip\n")  # satisfied offline
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / ".venv")],
                   check=True, timeout=120)
    done = subprocess.run(["make", "venv"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "has no working pip" in done.stdout
    check = subprocess.run([str(tmp_path / ".venv" / "bin" / "python"), "-m", "pip",
                            "--version"], capture_output=True, timeout=60)
    assert check.returncode == 0
