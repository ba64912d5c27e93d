"""Faults of the results store and of training checkpoints (issue 26): nothing a store or a
checkpoint holds is ever run, a full disk loses no finished training, and nothing goes
wrong without a word. Each test asserts the message and that nothing stored changed."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import pickle
import re
import subprocess
import sys
import time
import types
import warnings
from pathlib import Path

import pandas as pd
import pytest
import torch

from sbcore import run_experiments, store
from sbcore.data import load_cifar10, make_dataset
from sbcore.studies import runner
from sbcore.training import TrainConfig, checkpoint_file, resume, train_many

ROOT = Path(__file__).resolve().parent.parent
# what torch.save's own writer raises when the disk fills (a RuntimeError, not an OSError)
NO_SPACE = ("[enforce fail at inline_container.cc:664] . PytorchStreamWriter failed writing "
            "file data/0: file write failed: No space left on device")
CONFIG = TrainConfig(lr=0.1, momentum=0.9, eps=0.02, patience=30, max_updates=200,
                     eval_every=20)
CLI_TIMEOUT_S = 300  # a subprocess that hangs fails the test instead of the suite


@pytest.fixture(scope="module")
def data():
    return make_dataset("ms-5-7", n_train=300, n_test=100, n_val=100, d=6, seed=0)


def train(data):
    return train_many(data, 10, 1, CONFIG, [0], progress=False)


def same_run(a, b) -> bool:
    return a.updates == b.updates and all(
        torch.equal(p, q) for p, q in zip(a.model.state_dict().values(),
                                          b.model.state_dict().values()))


class TickClock:
    """One tick per reading: the loop reads it once per update, so deadlines and save
    intervals count updates, whatever the machine."""

    def __init__(self):
        self.now = 0

    def __call__(self) -> int:
        self.now += 1
        return self.now


class Payload:
    """Unpickled, it creates the file ``marker``: what a crafted file would do in place of
    running a shell command."""

    def __init__(self, marker: Path):
        self.marker = Path(marker)

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def signed(payload: bytes) -> bytes:
    """A checkpoint file whose checksum line matches: only its content can refuse it."""
    return checkpoint_file.MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def snapshot(root: Path) -> dict:
    """Every file under ``root`` but the checkpoints, with its bytes (hidden temporary files
    included): what 'nothing stored changed' compares."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".partial" not in p.relative_to(root).parts}


def toy(config) -> dict:
    metrics = pd.DataFrame({"study": "toy", "dataset": "d", "model": "m", "seed": [0],
                            "metric": "accuracy", "value": [0.9]})
    return {"metrics": metrics, "tensors": {"w": torch.ones(2)}}


def no_space(*args, **kwargs):
    raise RuntimeError(NO_SPACE)


def fake_study(monkeypatch, data, warn=None):
    """A study 'fake' with one entry 'e' that trains one tiny FCN (through the runner, so
    with checkpoints in the store's .partial folder); ``warn`` is called in its compute."""
    def compute(config, device):
        mod.calls += 1
        if warn is not None:
            warn()
        result = train(data)[0]
        return {"metrics": pd.DataFrame({"study": "fake", "dataset": "ms-5-7",
                                         "model": "fcn", "seed": [0], "metric": "updates",
                                         "value": [result.updates]})}

    mod = types.SimpleNamespace(NAME="fake", VERSION=1, calls=0, compute=compute,
                                configs=lambda profile, seed=0: {"e": {"n": 1}})
    real = runner.study
    monkeypatch.setattr(runner, "study", lambda name: mod if name == "fake" else real(name))
    return mod


def partial_of(mod, root: Path) -> Path:
    return store.partial_dir("fake", runner.entry_key_config(mod, "e", {"n": 1}, 0), "smoke",
                             root)


# --------------------------------------------------------------------------------------------
# Nothing stored or checkpointed is ever run
# --------------------------------------------------------------------------------------------

def test_the_payload_would_run_under_an_unsafe_load(tmp_path):
    """The tests below are meaningful: a plain unpickling of the payload creates the file."""
    marker = tmp_path / "marker"
    pickle.loads(pickle.dumps(Payload(marker), protocol=2))
    assert marker.exists()


CRAFTED = {
    "a pickle without the checksum line": (
        lambda m: torch_bytes({"format": resume.FORMAT, "state": Payload(m)}),
        "it has no checksum line"),
    "a signed pickle of an object": (
        lambda m: signed(torch_bytes({"format": resume.FORMAT, "state": Payload(m)})),
        r"it holds more than tensors and plain data, and loading it could run code "
        r"\(Unsupported global: GLOBAL getattr"),
    "signed data naming a class outside sbcore and torch": (
        lambda m: signed(torch_bytes({checkpoint_file.TAG: "object", "class": "pathlib:Path",
                                      "state": {"marker": str(m)}})),
        "it names 'pathlib:Path', which a checkpoint may not rebuild"),
    "signed data naming a function of sbcore": (
        lambda m: signed(torch_bytes({checkpoint_file.TAG: "object", "class": "sbcore.store:_sha",
                                      "state": None})),
        "it names 'sbcore.store:_sha', which a checkpoint may not rebuild"),
    "signed data that does not fit its class": (
        lambda m: signed(torch_bytes({checkpoint_file.TAG: "object", "state": 5,
                                      "class": "sbcore.training.trainer:TrainConfig"})),
        r"its 'object' record is malformed \(TypeError"),
}


@pytest.mark.parametrize("kind", CRAFTED)
def test_a_crafted_checkpoint_is_refused_never_run(data, tmp_path, kind):
    make, words = CRAFTED[kind]
    marker, folder = tmp_path / "marker", tmp_path / "checkpoints"
    folder.mkdir()
    crafted = make(marker)
    (folder / "group-0.pt").write_bytes(crafted)
    straight = train(data)
    with pytest.warns(store.ResultsWarning, match=f"refused the checkpoint "
                      f"{re.escape(str(folder / 'group-0.pt'))}: {words}.*; it is kept as "
                      f"group-0.pt.refused beside it, and this group starts afresh"):
        with resume.resumable(folder):
            got = train(data)
    assert not marker.exists()
    assert (folder / "group-0.pt.refused").read_bytes() == crafted  # kept aside, as it was
    assert same_run(straight[0], got[0])
    assert checkpoint_file.read_checkpoint(folder / "group-0.pt")["done"]  # replaced by a good save


def test_a_crafted_checkpoint_under_run_experiments_missing_is_refused(tmp_path):
    """The reported attack, end to end: a crafted checkpoint of a begun entry under
    ``python -m sbcore.run_experiments --missing``."""
    marker = tmp_path / "marker"
    root = tmp_path / "results"
    entry = next(e for e in runner.entries("plateau", "smoke", root=root)
                 if e.name == "d5/n500")
    partial = store.partial_dir("plateau", entry.key_config, "smoke", root)
    partial.mkdir(parents=True)
    (partial / "group-0.pt").write_bytes(signed(torch_bytes({"x": Payload(marker)})))
    out = subprocess.run([sys.executable, "-m", "sbcore.run_experiments", "--missing",
                          "--profile", "smoke", "plateau"], cwd=ROOT, capture_output=True,
                         text=True, timeout=CLI_TIMEOUT_S,
                         env=dict(os.environ, SB_RESULTS=str(root), OMP_NUM_THREADS="1"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert not marker.exists()
    assert re.search(r"problem: plateau d5/n500: refused the checkpoint .*group-0.pt: it holds "
                     r"more than tensors and plain data", out.stdout), out.stdout[-3000:]
    assert "6 stored, 0 missing" in out.stdout


def test_a_crafted_store_tensor_file_is_refused_never_run(tmp_path):
    marker = tmp_path / "marker"
    entry = store.cached_run("toy", {"n": 1}, toy, "smoke", root=tmp_path).path
    crafted = torch_bytes({"w": Payload(marker)})
    (entry / "tensors.pt").write_bytes(crafted)
    prov = json.loads((entry / "provenance.json").read_text())  # checksums that match it
    prov["tensors"] = hashlib.sha256(crafted).hexdigest()
    prov["digest"] = store.provenance_digest(prov)
    (entry / "provenance.json").write_text(json.dumps(prov, indent=2))
    refused = (r"tensors.pt was refused: it holds more than tensors and plain data, and "
               r"loading it could run code \(Unsupported global: GLOBAL getattr")
    with pytest.raises(store.CorruptResult, match=refused):
        store.load("toy", {"n": 1}, "smoke", root=tmp_path)
    with pytest.warns(store.ResultsWarning, match="recomputing a corrupt stored result: .*"
                      + refused):
        again = store.cached_run("toy", {"n": 1}, toy, "smoke", root=tmp_path)
    assert not marker.exists()
    assert not again.cached
    assert torch.equal(store.load("toy", {"n": 1}, "smoke", tmp_path).tensors["w"], torch.ones(2))


def test_a_crafted_cifar_batch_is_refused_never_run(tmp_path):
    marker, folder = tmp_path / "marker", tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    crafted = pickle.dumps({b"data": Payload(marker), b"labels": [0]}, protocol=2)
    (folder / "test_batch").write_bytes(crafted)
    with pytest.raises(ValueError, match="is not the canonical CIFAR-10 file: its MD5"):
        load_cifar10("test", root=folder)  # the MD5 is checked before any unpickling
    with pytest.raises(ValueError, match=r"is not a CIFAR-10 python batch .*UnpicklingError: it "
                       r"names __builtin__.getattr, which a CIFAR-10 batch never holds"):
        load_cifar10("test", root=folder, check_md5=False)
    assert not marker.exists()
    assert (folder / "test_batch").read_bytes() == crafted


# --------------------------------------------------------------------------------------------
# A full disk loses no finished training
# --------------------------------------------------------------------------------------------

def test_a_full_disk_at_a_periodic_save_warns_once_and_training_goes_on(data, tmp_path,
                                                                        monkeypatch):
    straight = train(data)
    with resume.resumable(tmp_path, deadline=30, clock=TickClock()):
        with pytest.raises(resume.Paused):
            train(data)
    before = snapshot(tmp_path)
    monkeypatch.setattr(torch, "save", no_space)
    with pytest.warns(store.ResultsWarning) as caught:
        with resume.resumable(tmp_path, save_every_s=10, clock=TickClock()):
            got = train(data)
    failed = [str(w.message) for w in caught if "could not save" in str(w.message)]
    assert len(failed) == 1, failed  # said once, not at every interval
    assert re.search(r"could not save the checkpoint .*group-0.pt \(.*No space left on "
                     r"device\); training goes on, but until a checkpoint is saved a kill or "
                     r"pause loses what was trained since the last one", failed[0])
    assert snapshot(tmp_path) == before  # the last good checkpoint as it was, no temporary file
    assert same_run(straight[0], got[0])


def test_a_full_disk_at_a_pause_is_an_error_naming_the_checkpoint(data, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr(torch, "save", no_space)
    with pytest.raises(resume.CheckpointUnwritable, match=r"could not save the checkpoint "
                       r".*group-0.pt to pause at update [\d,]+ \(the time budget is used up\): "
                       r".*No space left on device; the training since the last checkpoint is "
                       r"lost"):
        with resume.resumable(tmp_path, deadline=30, clock=TickClock()):
            train(data)
    assert snapshot(tmp_path) == {}  # no checkpoint passes for saved, no temporary file


def test_a_full_disk_when_writing_an_entry_changes_nothing_stored(tmp_path, monkeypatch):
    store.cached_run("toy", {"n": 1}, toy, "smoke", root=tmp_path)
    before = snapshot(tmp_path)
    monkeypatch.setattr(torch, "save", no_space)
    with pytest.raises(store.StoreUnwritable, match=r"could not write the entry .* \(.*No space "
                       r"left on device\); nothing stored was changed"):
        store.save("toy", {"n": 1}, "smoke", toy({}), root=tmp_path)  # over the stored one
    assert snapshot(tmp_path) == before


def test_a_failed_swap_puts_the_earlier_entry_back(tmp_path, monkeypatch):
    entry = store.cached_run("toy", {"n": 1}, toy, "smoke", root=tmp_path).path
    before = snapshot(tmp_path)
    real_rename = os.rename

    def refuse_the_new_entry(src, dst):
        if Path(dst) == entry and Path(src).name.startswith(f".{entry.name}."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(store.os, "rename", refuse_the_new_entry)
    with pytest.raises(store.StoreUnwritable, match="nothing stored was changed"):
        store.save("toy", {"n": 1}, "smoke", toy({}), root=tmp_path)
    assert snapshot(tmp_path) == before


def test_a_full_disk_when_storing_a_finished_entry_keeps_its_training(data, tmp_path,
                                                                      monkeypatch, capsys):
    mod = fake_study(monkeypatch, data)
    store.cached_run("toy", {"n": 1}, toy, "smoke", root=tmp_path)  # stored before
    before = snapshot(tmp_path)
    real_write = store._write_entry

    def fills_the_disk(tmp, tables, tensors, prov):  # writes, then the disk is full
        real_write(tmp, tables, tensors, prov)
        raise RuntimeError(NO_SPACE)

    monkeypatch.setattr(store, "_write_entry", fills_the_disk)
    kept = (r"fake e: could not write the entry .* \(.*No space left on device\); nothing "
            r"stored was changed; its training is kept in the checkpoints .* \(1 of 1 group\(s\) "
            r"finished\): once the store can be written, the same command resumes from them "
            r"instead of training again")
    with pytest.raises(store.StoreUnwritable, match=kept):
        runner.run("fake", "smoke", root=tmp_path)
    assert snapshot(tmp_path) == before
    monkeypatch.setattr(store, "RESULTS", tmp_path)  # the command line says the same, no traceback
    assert run_experiments.main(["--profile", "smoke", "fake"]) == 1
    err = capsys.readouterr().err
    assert re.search("error: " + kept, err) and "Traceback" not in err, err
    assert snapshot(tmp_path) == before
    monkeypatch.setattr(store, "_write_entry", real_write)
    # the finished group is read back: with its deadline passed, any training would pause
    calls = mod.calls
    stored = runner.run("fake", "smoke", root=tmp_path, deadline=time.perf_counter())
    assert stored["e"].metrics["value"].iloc[0] == train(data)[0].updates
    assert mod.calls == calls + 1 and not partial_of(mod, tmp_path).exists()


# --------------------------------------------------------------------------------------------
# Nothing silently ignored
# --------------------------------------------------------------------------------------------

MISPLACED = {
    ("--budget-min", "5"): "--budget-min does nothing without --missing: it applies only with "
                           "--missing (drop --budget-min or add --missing)",
    ("--cheapest-first",): "--cheapest-first does nothing without --missing: it applies only "
                           "with --missing (drop --cheapest-first or add --missing)",
    ("--list", "--budget-min", "5"): "--budget-min does nothing with --list",
    ("--list", "--missing"): "--list and --missing are two actions",
    ("--missing", "--recompute"): "--recompute does nothing with --missing: it applies only "
                                  "when the named studies are run",
    ("--list", "--recompute"): "--recompute does nothing with --list",
    ("--list", "--device", "cuda"): "--device does nothing with --list: it applies only when "
                                    "studies are run (drop --device)",
    ("--list", "--cpu-workers", "2"): "--cpu-workers does nothing with --list",
    ("--missing", "--device", "cuda", "--cpu-workers", "2"):
        "--cpu-workers does nothing with --device cuda: it applies only with --device cpu",
}


@pytest.mark.parametrize("args", MISPLACED)
def test_an_option_that_would_do_nothing_is_refused_before_any_work(args, tmp_path,
                                                                    monkeypatch, capsys):
    monkeypatch.setattr(store, "RESULTS", tmp_path)
    assert run_experiments.main([*args, "--profile", "smoke", "measuring"]) == 2
    assert f"error: {MISPLACED[args]}" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing run, nothing written


def test_budget_min_without_missing_is_refused_on_the_command_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sbcore.run_experiments", "--budget-min", "5",
                          "--profile", "smoke", "measuring"], cwd=ROOT, capture_output=True,
                         text=True, timeout=CLI_TIMEOUT_S,
                         env=dict(os.environ, SB_RESULTS=str(tmp_path)))
    assert out.returncode == 2 and MISPLACED[("--budget-min", "5")] in out.stderr, out.stderr
    assert not any(tmp_path.iterdir())


def test_a_damaged_checkpoint_is_refused_and_said_in_problems(data, tmp_path, monkeypatch):
    mod = fake_study(monkeypatch, data)
    with pytest.raises(resume.Paused):
        runner.run("fake", "smoke", root=tmp_path, deadline=time.perf_counter())
    checkpoint = partial_of(mod, tmp_path) / "group-0.pt"
    damaged = bytearray(checkpoint.read_bytes())
    damaged[-20] ^= 0xFF
    checkpoint.write_bytes(bytes(damaged))
    out = runner.run("fake", "smoke", root=tmp_path)
    assert [p for p in out.problems if "refused the checkpoint" in p] == [
        f"fake e: refused the checkpoint {checkpoint}: its SHA-256 does not match the one "
        f"written in it (damaged or edited); it is kept as group-0.pt.refused beside it, and "
        f"this group starts afresh"]
    assert out["e"].metrics["value"].iloc[0] == train(data)[0].updates


def test_a_partial_folder_that_is_a_file_is_said_in_problems(data, tmp_path, monkeypatch):
    mod = fake_study(monkeypatch, data)
    blocker = partial_of(mod, tmp_path).parent
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    out = runner.run("fake", "smoke", root=tmp_path)
    assert any(p.startswith(f"fake e: training checkpoints are off: {blocker} is a file, not a "
                            f"folder, so ") for p in out.problems), out.problems
    assert not out["e"].cached and blocker.read_text() == "not a folder"


def test_every_results_warning_reaches_problems_and_others_are_shown(data, tmp_path,
                                                                     monkeypatch):
    def warn():
        warnings.warn("a results problem", store.ResultsWarning, stacklevel=2)
        warnings.warn("a warning about something else", RuntimeWarning, stacklevel=2)

    fake_study(monkeypatch, data, warn)
    with pytest.warns(RuntimeWarning, match="a warning about something else"):
        out = runner.run("fake", "smoke", root=tmp_path)
    assert out.problems == ["fake e: a results problem"]


def test_a_pause_whose_part_cannot_be_recorded_says_so(data, tmp_path, monkeypatch):
    def pause():  # as training does once its checkpoint is saved elsewhere
        raise resume.Paused("paused at update 7 (the time budget is used up)")

    mod = fake_study(monkeypatch, data, pause)
    blocker = partial_of(mod, tmp_path).parent
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    with pytest.warns(store.ResultsWarning) as caught:  # shown: no problems carry them
        with pytest.raises(resume.Paused, match="paused at update 7"):
            runner.run("fake", "smoke", root=tmp_path)
    said = [str(w.message) for w in caught]
    assert any(re.match(r"could not record this part of the run in .*parts.json \(Not a "
                        r"directory\); the stored entry's wall time will leave out its \d+ s",
                        m) for m in said), said
    assert any(m.startswith("training checkpoints are off") for m in said), said
    assert blocker.read_text() == "not a folder"


def test_checkpoints_that_cannot_be_removed_are_said(data, tmp_path, monkeypatch):
    mod = fake_study(monkeypatch, data)
    with pytest.raises(resume.Paused):
        runner.run("fake", "smoke", root=tmp_path, deadline=time.perf_counter())
    monkeypatch.setattr(resume.shutil, "rmtree", lambda *args, **kwargs: None)
    calls = mod.calls
    with pytest.raises(resume.CheckpointUnwritable, match="could not remove the checkpoints "
                       ".*: remove them by hand"):
        runner.run("fake", "smoke", root=tmp_path, recompute=True)  # must not resume them
    assert mod.calls == calls
    out = runner.run("fake", "smoke", root=tmp_path)
    assert any("could not remove the checkpoints" in p and "(the entry itself is stored)" in p
               for p in out.problems), out.problems


def _make_unlistable(root: Path, where: str) -> tuple[Path, str]:
    """Break the store at ``where``; returns the broken path and what the message says."""
    if where == "the results root is a file":
        root.write_text("not a folder")
        return root, "is a file, not a folder"
    (root / "smoke").mkdir(parents=True)
    study = root / "smoke" / "fake"
    if where == "the study folder is a file":
        study.write_text("not a folder")
        return study, "is a file, not a folder"
    os.symlink(study.name, study)  # a link to itself
    return study, "is a symbolic link loop"


def _state(path: Path):
    return os.readlink(path) if path.is_symlink() else path.read_bytes()


@pytest.mark.parametrize("where", ["the results root is a file", "the study folder is a file",
                                   "the study folder is a link loop"])
def test_a_store_folder_that_cannot_be_listed_is_named_not_missing(data, tmp_path, where,
                                                                   monkeypatch, capsys):
    mod = fake_study(monkeypatch, data)
    root = tmp_path / "results"
    bad, why = _make_unlistable(root, where)
    before = _state(bad)
    said = f"{re.escape(str(bad))} {why}"
    with pytest.raises(store.StoreUnreadable, match=f"the results store .* cannot be read: "
                       f"{said}; move it away or point SB_RESULTS at the results folder"):
        runner.ledger("smoke", ["fake"], root=root)
    monkeypatch.setattr(store, "RESULTS", root)
    assert run_experiments.main(["--list", "--profile", "smoke", "fake"]) == 1
    out, err = capsys.readouterr()
    assert re.search(f"error: the results store .* cannot be read: {said}", err) and \
        "missing" not in out, out + err
    with pytest.raises(store.StoreUnwritable, match=f"fake e: the results store .* cannot be "
                       f"written: {said}; move it away or point SB_RESULTS"):
        runner.run("fake", "smoke", root=root)
    assert mod.calls == 0  # refused before any work
    looked = runner.lookup("fake", "smoke", root=root)
    assert looked == {"e": None} and re.search(f"stored smoke entries of fake are not shown: "
                                               f"the results store .* {said}", looked.problems[0])
    assert _state(bad) == before


def test_the_ledger_command_names_a_results_root_that_is_a_file(tmp_path):
    root = tmp_path / "results"
    root.write_text("not a folder")
    out = subprocess.run([sys.executable, "-m", "sbcore.run_experiments", "--list", "--profile",
                          "smoke", "measuring"], cwd=ROOT, capture_output=True, text=True,
                         timeout=CLI_TIMEOUT_S, env=dict(os.environ, SB_RESULTS=str(root)))
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"error: the results store {root}/smoke/measuring cannot be read: {root} is a file, " \
           f"not a folder" in out.stderr and "missing" not in out.stdout
    assert root.read_text() == "not a folder"


@pytest.mark.parametrize("kind", ["a file", "a link loop"])
def test_an_entry_that_is_a_file_or_a_link_loop_is_damaged_then_replaced(tmp_path, kind):
    key = store.entry_dir("toy", {"n": 1}, "smoke", tmp_path)
    key.parent.mkdir(parents=True)
    if kind == "a file":
        key.write_text("not an entry")
        why = f"{key} is a file, not a folder"
    else:
        os.symlink(key.name, key)
        why = f"{key} is a symbolic link loop"
    assert store.entries("toy", "smoke", tmp_path) == {key.name: {"damaged": why}}
    with pytest.warns(store.ResultsWarning, match=f"recomputing a corrupt stored result: "
                      f"{re.escape(str(key))}: unreadable"):
        again = store.cached_run("toy", {"n": 1}, toy, "smoke", root=tmp_path)
    assert not again.cached and key.is_dir() and not key.is_symlink()
    assert store.load("toy", {"n": 1}, "smoke", tmp_path).metrics["value"].tolist() == [0.9]


def test_an_unreadable_record_of_earlier_parts_is_said_in_problems(data, tmp_path, monkeypatch):
    mod = fake_study(monkeypatch, data)
    with pytest.raises(resume.Paused):
        runner.run("fake", "smoke", root=tmp_path, deadline=time.perf_counter())
    record = partial_of(mod, tmp_path) / resume.PARTS
    record.write_text("{not json")
    out = runner.run("fake", "smoke", root=tmp_path)
    assert any(re.match(f"fake e: ignoring the unreadable record of earlier parts "
                        f"{re.escape(str(record))} \\(JSONDecodeError: .*\\); the stored entry's "
                        f"wall time will leave them out", p) for p in out.problems), out.problems
    assert "parts" not in out["e"].provenance
