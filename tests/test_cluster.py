"""The ledger on Dask distributed (``sbcore.build.cluster``): a real scheduler and two worker
processes on 127.0.0.1, started and stopped by the tests under timeouts.

Through the cluster, a study's smoke ledger stores the same entries as in one process; a
worker that dies mid-entry costs that entry a retry and nothing else; an entry paused at the
deadline on one worker resumes on another and ends where a straight run ends."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import cluster_faults
import distributed
import pandas as pd
import pytest
import torch

from sbcore import run_experiments, store
from sbcore.build import cluster
from sbcore.studies import runner

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 240  # any one cluster run; a wedge fails the test instead of hanging the suite
STUDIES = ["extreme_sb", "plateau"]


@pytest.fixture(scope="module")
def client():
    spec = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                    dashboard_address=None, processes=True,
                                    env=dict(cluster.WORKER_ENV))
    c = distributed.Client(spec, timeout=60)
    try:
        yield c
    finally:
        c.close(timeout=30)
        spec.close(timeout=30)


def _drop_times(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in table.columns if "wall_time" in c])


def _stored(study: str, root) -> dict:
    return {k: v for k, v in runner.lookup(study, "smoke", root=root).items()}


def _hidden(root) -> list[str]:
    """Files anywhere but in finished entries: in temporary, old or partial folders."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                  and any(part.startswith(".") for part in p.relative_to(root).parts))


def test_the_smoke_ledger_through_dask_equals_the_one_in_process(client, tmp_path):
    torch.set_num_threads(1)  # as each worker trains: the same operations, the same numbers
    runner.run_missing("smoke", "cpu", STUDIES, root=tmp_path / "here", report=lambda _: None)
    log = []
    out = cluster.run_missing(client, "smoke", STUDIES, root=tmp_path / "dask",
                              report=log.append, progress=False, timeout_s=TIMEOUT_S)
    assert not out.failed and not out.paused and not out.no_worker
    for study in STUDIES:
        here, there = _stored(study, tmp_path / "here"), _stored(study, tmp_path / "dask")
        assert set(here) == set(there) and all(v is not None for v in there.values())
        assert len(out.stored) == sum(len(_stored(s, tmp_path / "here")) for s in STUDIES)
        for entry in here:
            assert set(here[entry].tables) == set(there[entry].tables)
            for name, table in here[entry].tables.items():
                pd.testing.assert_frame_equal(_drop_times(table),
                                              _drop_times(there[entry].tables[name]))
            prov = there[entry].provenance
            assert "tcp://127.0.0.1:" in prov["worker"]  # which worker made it
            assert prov["device"] == "cpu" and prov["config"] == here[entry].provenance["config"]
    assert _hidden(tmp_path / "dask") == []
    # a second call finds nothing missing and submits nothing
    again = cluster.run_missing(client, "smoke", STUDIES, root=tmp_path / "dask",
                                report=log.append, progress=False, timeout_s=TIMEOUT_S)
    assert again.stored == [] and again.failed == []


def test_a_worker_that_dies_mid_entry_costs_that_entry_one_retry(client, tmp_path):
    root, log, marker = tmp_path / "store", tmp_path / "computed.log", tmp_path / "died"
    victim = "rerun/wide"
    task = functools.partial(cluster_faults.dies_once, log=str(log), marker=str(marker),
                             victim=victim)
    out = cluster.run_missing(client, "smoke", ["plateau"], root=root, report=lambda _: None,
                              progress=False, task=task, timeout_s=TIMEOUT_S)
    assert marker.exists(), "the worker was never killed: the test tested nothing"
    assert not out.failed and len(out.stored) == len(runner.study("plateau").configs("smoke"))
    computed = log.read_text().splitlines()
    assert computed.count(f"plateau {victim}") == 2  # the killed try and its retry
    assert all(computed.count(line) == 1 for line in computed if line != f"plateau {victim}")
    stored = [p for p in store.study_dir("plateau", "smoke", root).iterdir()
              if not p.name.startswith(".")]
    assert len(stored) == len(out.stored)  # each entry once, nothing else beside them
    assert _hidden(root) == []
    assert all(r is not None for r in _stored("plateau", root).values())


def test_an_entry_paused_on_one_worker_resumes_on_another_bit_for_bit(client, tmp_path):
    torch.set_num_threads(1)
    entry = "rerun/wide"
    runner.run("plateau", "smoke", only=[entry], root=tmp_path / "straight")
    straight = _stored("plateau", tmp_path / "straight")[entry]
    root, log = tmp_path / "store", []
    # a budget spent at once: the first entry (begun or largest) starts and pauses at its
    # first update; nothing else starts
    out = cluster.run_missing(client, "smoke", ["plateau"], budget_s=1e-6, root=root,
                              report=log.append, progress=False, timeout_s=TIMEOUT_S)
    assert out.paused == [f"plateau {entry}"] and out.stored == [] and not out.failed
    assert len(out.not_started) == len(runner.study("plateau").configs("smoke")) - 1
    begun = {e.name: e for e in runner.entries("plateau", "smoke", root=root)}[entry]
    assert begun.begun and "group-0 at update 1 of 400" in begun.detail
    client.restart()  # new worker processes: the resumed part runs on another worker
    out = cluster.run_missing(client, "smoke", ["plateau"], root=root, report=log.append,
                              progress=False, timeout_s=TIMEOUT_S)
    assert f"plateau {entry}" in out.stored and not out.failed
    resumed = _stored("plateau", root)[entry]
    for name, table in straight.tables.items():
        pd.testing.assert_frame_equal(_drop_times(table), _drop_times(resumed.tables[name]))
    parts = resumed.provenance["parts"]
    assert len(parts) == 1 and "paused at update 1" in parts[0]["note"]
    assert _hidden(root) == []  # the checkpoints went once the entry was stored


def test_entries_made_elsewhere_are_checked_before_they_replace_anything(tmp_path):
    """store.save_files: a tampered file is refused, the stored entry stays, nothing is left
    behind; the same files untouched are stored."""
    key_cfg = dict(study="t", version=1, entry="e", seed=0, config={"a": 1})
    tables = {"metrics": pd.DataFrame(dict(study=["t"], dataset=["d"], model=["m"], seed=[0],
                                           metric=["acc"], value=[0.5]))}
    made = store.save("t", key_cfg, "smoke", tables, root=tmp_path / "worker")
    files = store.entry_files(made)
    tampered = dict(files, **{"metrics.csv": files["metrics.csv"].replace(b"0.5", b"0.9")})
    with pytest.raises(store.CorruptResult, match="metrics.csv does not match its checksum"):
        store.save_files("t", key_cfg, "smoke", tampered, root=tmp_path / "client")
    with pytest.raises(store.CorruptResult, match="one .csv per table"):
        store.save_files("t", key_cfg, "smoke", dict(files, **{"../x.csv": b""}),
                         root=tmp_path / "client")
    assert store.load("t", key_cfg, "smoke", root=tmp_path / "client") is None
    kept = store.save_files("t", key_cfg, "smoke", files, root=tmp_path / "client")
    assert kept.provenance == made.provenance and not kept.cached
    with pytest.raises(store.CorruptResult):
        store.save_files("t", key_cfg, "smoke", tampered, root=tmp_path / "client")
    assert store.load("t", key_cfg, "smoke", root=tmp_path / "client").metrics["value"][0] == 0.5
    assert _hidden(tmp_path / "client") == []


def test_checkpoint_files_cannot_climb_out_of_their_folder(tmp_path):
    with pytest.raises(ValueError, match="refused the checkpoint file name"):
        cluster.write_folder({"../../evil": b"x"}, tmp_path / "partial" / "key")
    assert not (tmp_path / "evil").exists() and _hidden(tmp_path) == []
    cluster.write_folder({"group-0.pt": b"1", "each-0/model-0/group-0.pt": b"2"},
                         tmp_path / "partial" / "key")
    assert cluster.read_folder(tmp_path / "partial" / "key") == {
        "each-0/model-0/group-0.pt": b"2", "group-0.pt": b"1"}


@pytest.mark.parametrize("argv, says", [
    (["--missing", "--cluster", "local"], "--cluster must be local:N"),
    (["--missing", "--cluster", "local:0"], "--cluster must be local:N"),
    (["--missing", "--cluster", "slurm:4"], "--cluster must be local:N"),
    (["--missing", "--scheduler", "8786"], "--scheduler must be a Dask scheduler's address"),
    (["--missing", "--cluster", "local:2", "--scheduler", "tcp://h:1"], "give one of them"),
    (["--missing", "--cluster", "local:2", "--device", "cuda"], "--device does nothing with"),
    (["--missing", "--cluster", "local:2", "--cpu-workers", "2"], "--cpu-workers does nothing"),
    (["--missing", "--cluster", "local:2", "--gpu-workers", "-1"], "--gpu-workers must be"),
    (["--missing", "--gpu-workers", "1"], "--gpu-workers applies only with --cluster"),
    (["--list", "--cluster", "local:2"], "--cluster does nothing with --list"),
    (["--cluster", "local:2"], "--cluster does nothing without --missing"),
    (["--plan", "--gpu-workers", "1"], "--plan needs --minutes"),
    (["--plan", "--minutes", "0", "--gpu-workers", "1"], "--minutes must be a positive"),
    (["--plan", "--minutes", "12"], "--plan needs workers"),
    (["--plan", "--missing", "--minutes", "12"], "are two actions"),
    (["--minutes", "12"], "--minutes does nothing"),
    (["--missing", "--allow-long"], "--allow-long does nothing with --missing"),
])
def test_the_cluster_options_are_checked_before_any_work(argv, says, capsys, tmp_path,
                                                         monkeypatch):
    monkeypatch.setattr(store, "RESULTS", tmp_path)
    assert run_experiments.main(argv + ["--profile", "smoke", "plateau"]) == 2
    assert says in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was computed or written


def test_the_ledger_on_a_local_cluster_from_the_command_line(tmp_path):
    """The whole path a reader takes: a local cluster started and stopped by the command, one
    progress view, every entry stored, the ledger printed with nothing missing."""
    env = dict(os.environ, SB_RESULTS=str(tmp_path), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "sbcore.run_experiments", "--missing",
                          "--profile", "smoke", "--cluster", "local:2", "plateau"],
                         capture_output=True, text=True, timeout=TIMEOUT_S, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    n = len(runner.study("plateau").configs("smoke"))
    assert f"{n} stored, 0 paused, 0 not started, 0 failed" in out.stdout
    assert f"profile smoke, seed 0: {n} stored, 0 missing" in out.stdout
    assert out.stdout.count("   stored plateau ") == n and "train 2 models" not in out.stderr
    assert re.search(r"entries: .*\d+ stored, \d+ running, .* left", out.stderr)  # one view
    assert _hidden(tmp_path) == []


def test_a_plan_for_a_lease_from_the_command_line(capsys):
    assert run_experiments.main(["--plan", "--minutes", "12", "--gpu-workers", "1",
                                 "--cpu-workers", "14", "--profile", "paper", "testbed"]) == 0
    text = capsys.readouterr().out
    assert "CPU workers:" in text and "entries fit" in text


def test_a_gpus_work_goes_only_to_gpu_workers(tmp_path, monkeypatch):
    """On a local cluster of one CPU and one GPU worker (declared: no GPU is needed to route),
    the entries estimated as a GPU's work reach the GPU worker only, the rest the CPU worker;
    on a cluster without a GPU worker they wait, said, and are not run."""
    heavy = {"rerun/wide", "rerun/control-long"}
    configs = runner.study("plateau").configs("smoke")
    monkeypatch.setattr(cluster.estimate, "gpu_work", lambda study, config, profile, cal=None:
                        any(config == configs[name] for name in heavy))
    said = []
    with cluster.connect(1, gpu_workers=1) as client:
        assert cluster.worker_kinds(client) == dict(gpu=1, cpu=1, plain=0)
        info = client.scheduler_info()  # everything listens on the loopback interface only
        addresses = [client.scheduler.address, *info["workers"]] + [
            w["nanny"] for w in info["workers"].values()]
        assert all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
        out = cluster.run_missing(client, "smoke", ["plateau"], root=tmp_path,
                                  report=said.append, progress=False,
                                  task=cluster_faults.says_where, timeout_s=TIMEOUT_S)
    where = dict(line.split(": ", 1) for line in said if line.startswith("   skip "))
    assert len(where) == len(runner.study("plateau").configs("smoke"))
    for label, why in where.items():
        entry = label.removeprefix("   skip plateau ")
        assert why.startswith("cuda gpu-0" if entry in heavy else "cpu cpu-0"), (label, why)
    with cluster.connect(2) as client:
        out = cluster.run_missing(client, "smoke", ["plateau"], root=tmp_path,
                                  report=said.append, progress=False,
                                  task=cluster_faults.says_where, timeout_s=TIMEOUT_S)
    assert sorted(out.no_worker) == sorted(f"plateau {e}" for e in heavy)
    assert any("a GPU's work and this cluster has no GPU worker" in line for line in said)
    assert not any(tmp_path.rglob("*.csv"))  # nothing was computed


def test_the_ledger_runs_without_dask_and_a_cluster_asks_for_it(tmp_path):
    """Where Dask is not installed (a lent GPU machine), everything but --cluster and
    --scheduler works; those say what to install, before any work."""
    hide = ("import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None; "
            "from sbcore import run_experiments; sys.exit(run_experiments.main(sys.argv[1:]))")
    env = dict(os.environ, SB_RESULTS=str(tmp_path), PYTHONPATH=str(ROOT))

    def run(*argv):
        return subprocess.run([sys.executable, "-c", hide, *argv], capture_output=True,
                              text=True, timeout=TIMEOUT_S, env=env, cwd=ROOT)

    done = run("--missing", "--profile", "smoke", "datasets")
    assert done.returncode == 0, done.stderr[-2000:]
    n = len(runner.study("datasets").configs("smoke"))
    assert f"profile smoke, seed 0: {n} stored, 0 missing" in done.stdout
    asked = run("--missing", "--profile", "smoke", "--cluster", "local:2", "extreme_sb")
    assert asked.returncode == 2 and "need Dask distributed" in asked.stderr
    assert "pip install 'dask[distributed]'" in asked.stderr
    assert not (tmp_path / "smoke" / "extreme_sb").exists()
