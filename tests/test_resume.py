"""Training in parts (``sbcore.training.resume``): a run paused at its deadline, or killed
after a checkpoint, and resumed ends bit for bit where a run straight through ends, for every
backend; the runner stores such an entry with the same numbers and says it came in parts."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import torch

from sbcore import store
from sbcore.attacks import PGDAdversary
from sbcore.data import make_dataset
from sbcore.models import ModelSpec
from sbcore.studies import runner
from sbcore.training import (
    TrainConfig,
    checkpoint_file,
    fit,
    fit_many,
    init_fcn,
    resume,
    train_grid,
    train_many,
)

CONFIG = TrainConfig(lr=0.1, momentum=0.9, eps=0.02, patience=30, max_updates=300,
                     eval_every=20)


@pytest.fixture(scope="module")
def data():
    return make_dataset("ms-5-7", n_train=600, n_test=200, n_val=200, d=6, seed=0)


class TickClock:
    """A clock that moves one tick per reading: the loop reads it once per update, so a
    deadline ``ticks`` ahead pauses after about that many updates, whatever the machine."""

    def __init__(self):
        self.now = 0

    def __call__(self) -> int:
        self.now += 1
        return self.now


def in_parts(train, folder, ticks: int):
    """Run ``train`` with a deadline ``ticks`` ahead, again and again, until it finishes."""
    clock, parts = TickClock(), 0
    while True:
        with resume.resumable(folder, deadline=clock.now + ticks, clock=clock):
            try:
                return train(), parts
            except resume.Paused:
                parts += 1


def assert_same_runs(a, b, X):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x.seed, x.updates, x.stop_update, x.selected_update, x.converged) == \
            (y.seed, y.updates, y.stop_update, y.selected_update, y.converged)
        pd.testing.assert_frame_equal(x.history, y.history)
        for p, q in zip(x.model.state_dict().values(), y.model.state_dict().values()):
            assert torch.equal(p, q)
        assert np.array_equal(x.scorer(X), y.scorer(X))  # the rebuilt scorer is the model's


def backends(data):
    """One training call per backend (and a dropout model, whose masks come from the global
    random state, and adversarial training, whose starts come from the adversary's own)."""
    dropout = ModelSpec("fcn", (20, 2), dropout=0.1)
    return {
        "train_many": lambda: train_many(data, 20, 1, CONFIG, [0, 1, 2], progress=False),
        "fit": lambda: [fit(init_fcn(data.d, 20, 1, 5), data, CONFIG, 5, progress=False)],
        "fit_many with dropout": lambda: fit_many([dropout.build(data.d, s) for s in (0, 1)],
                                                  data, CONFIG, [0, 1], progress=False),
        "fit with dropout": lambda: [fit(dropout.build(data.d, 2), data, CONFIG, 2,
                                         progress=False)],
        "train_grid": lambda: train_grid(data, 20, 1, [CONFIG, TrainConfig(
            lr=0.05, eps=0.02, patience=30, max_updates=300, eval_every=20)], [3, 4],
            progress=False),
        "adversarial": lambda: train_many(
            data, 20, 1, CONFIG, [0, 1], progress=False,
            perturb=PGDAdversary(eps=0.05, norm="linf", step=0.02, iters=2, seed=1)),
    }


@pytest.mark.parametrize("name", ["train_many", "fit", "fit_many with dropout",
                                  "fit with dropout", "train_grid", "adversarial"])
def test_a_run_paused_again_and_again_ends_where_a_straight_run_ends(data, name, tmp_path):
    torch.set_num_threads(1)
    train = backends(data)[name]
    straight = train()
    resumed, parts = in_parts(train, tmp_path, ticks=37)
    assert parts >= 5  # 300 updates a model, paused every 37 ticks
    assert_same_runs(straight, resumed, data.test.X)


def test_a_compute_of_several_groups_retrains_none_that_finished(data, tmp_path):
    """The first group's file holds its results once it ends: a pause in the second group
    does not make the resumed compute train the first again."""
    def two_groups():
        a = train_many(data, 20, 1, CONFIG, [0], progress=False)
        b = train_many(data, 20, 1, CONFIG, [1], progress=False)
        return a + b

    straight = two_groups()
    assert straight[0].updates > 100 and straight[1].updates > 100
    clock = TickClock()
    # a deadline a little past the first group's end: the pause falls in the second group
    with resume.resumable(tmp_path, deadline=straight[0].updates + 30, clock=clock):
        with pytest.raises(resume.Paused, match="paused at update"):
            two_groups()
    assert sorted(p.name for p in tmp_path.glob("group-*.pt")) == ["group-0.pt", "group-1.pt"]
    ticks_before = clock.now
    with resume.resumable(tmp_path, clock=clock):
        resumed = two_groups()
    assert_same_runs(straight, resumed, data.test.X)
    # the first group was read back, not retrained: only the second group's updates ticked
    assert clock.now - ticks_before < straight[1].updates


def test_a_checkpoint_of_another_group_is_ignored_with_a_warning(data, tmp_path):
    with resume.resumable(tmp_path, deadline=50, clock=TickClock()):
        with pytest.raises(resume.Paused):
            train_many(data, 20, 1, CONFIG, [0], progress=False)
    straight = train_many(data, 30, 1, CONFIG, [0], progress=False)
    with resume.resumable(tmp_path):  # another width: the saved state does not belong here
        with pytest.warns(store.ResultsWarning, match="written for another group"):
            other = train_many(data, 30, 1, CONFIG, [0], progress=False)
    assert_same_runs(straight, other, data.test.X)
    (tmp_path / "group-0.pt").write_bytes(b"not a checkpoint")
    with resume.resumable(tmp_path):
        with pytest.warns(store.ResultsWarning, match="refused the checkpoint .*group-0.pt: it "
                          "has no checksum line.*kept as group-0.pt.refused"):
            again = train_many(data, 30, 1, CONFIG, [0], progress=False)
    assert_same_runs(straight, again, data.test.X)
    assert (tmp_path / "group-0.pt.refused").read_bytes() == b"not a checkpoint"


def test_checkpoints_are_saved_on_schedule_and_a_bad_interval_is_refused(data, tmp_path):
    with resume.resumable(tmp_path, save_every_s=100, clock=TickClock()) as owner:
        train_many(data, 20, 1, CONFIG.__class__(**dict(CONFIG.as_dict(), stop="none")), [0],
                   progress=False)
    assert owner.calls == 1 and (tmp_path / "group-0.pt").exists()
    saved = checkpoint_file.read_checkpoint(tmp_path / "group-0.pt")  # data only: weights_only=True
    assert saved["done"] and saved["results"][0].updates == 300
    with pytest.raises(ValueError, match="save_every_s must be a positive number"):
        with resume.resumable(tmp_path, save_every_s=0):
            pass


def _drop_times(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in table.columns if "wall_time" in c])


def test_an_entry_paused_at_its_deadline_is_stored_with_a_straight_runs_numbers(tmp_path):
    """The runner pauses at the deadline, the ledger marks the entry begun, a second call
    resumes it first and stores the same tables as an entry computed in one go; the
    provenance lists the paused part and the checkpoints are removed."""
    torch.set_num_threads(1)
    entry = "rerun/wide"
    runner.run("plateau", "smoke", only=[entry], root=tmp_path / "a")
    straight = runner.lookup("plateau", "smoke", root=tmp_path / "a")[entry]  # as read back
    root = tmp_path / "b"
    with pytest.raises(resume.Paused):
        runner.run("plateau", "smoke", only=[entry], root=root, deadline=time.perf_counter())
    ledger = {e.name: e for e in runner.entries("plateau", "smoke", root=root)}
    assert ledger[entry].status == "missing" and ledger[entry].begun
    assert "begun: a checkpoint of" in ledger[entry].detail and "in 1 part(s)" in \
        ledger[entry].detail and "group-0 at update 1 of 400" in ledger[entry].detail
    for order in runner.ORDERS:  # begun first, even where it would otherwise come last
        assert runner.missing_in_order("smoke", ["plateau"], root=root, order=order)[0].name \
            == entry
    assert runner.missing_in_order("smoke", ["plateau"], root=tmp_path / "empty",
                                   order="cheapest")[0].name != entry
    log = []
    done = runner.run_missing("smoke", "cpu", ["plateau"], root=root, report=log.append,
                              budget_s=600)
    assert done[0].name == entry and "resumed" in log[0]
    stored = runner.lookup("plateau", "smoke", root=root)[entry]
    for name, table in straight.tables.items():
        pd.testing.assert_frame_equal(_drop_times(table), _drop_times(stored.tables[name]))
    parts = stored.provenance["parts"]
    assert len(parts) == 1 and "paused at update 1" in parts[0]["note"]
    assert stored.provenance["wall_time_s"] >= parts[0]["seconds"]
    assert not store.partial_dir("plateau", ledger[entry].key_config, "smoke", root).exists()


def test_run_missing_pauses_an_entry_longer_than_any_budget_and_resumes_it(tmp_path):
    """An entry that a whole budget cannot hold still starts (it runs in parts); the call
    stops at the budget with its checkpoint saved and says so."""
    log = []
    done = runner.run_missing("smoke", "cpu", ["plateau"], budget_s=1e-6, root=tmp_path,
                              report=log.append)
    assert done == [] and any("paused at update" in line for line in log)
    begun = [e for e in runner.entries("plateau", "smoke", root=tmp_path) if e.begun]
    assert len(begun) == 1 and begun[0].status == "missing"


@pytest.mark.parametrize("workers", [1, 2])
def test_fit_each_resumes_each_model_from_its_own_folder(data, tmp_path, workers):
    """fit_each's models (in CPU processes or one after another) pause at the deadline,
    each into its own folder, and resume to fit_each's straight results, whatever the
    number of processes that resumes them."""
    from sbcore.training import fit_each

    torch.set_num_threads(1)
    models = [init_fcn(data.d, 20, 1, s) for s in (0, 1, 2)]
    straight = fit_each(models, data, CONFIG, [0, 1, 2], workers=1)
    with resume.resumable(tmp_path, deadline=time.perf_counter()):
        with pytest.raises(resume.Paused):
            fit_each(models, data, CONFIG, [0, 1, 2], workers=workers)
    saved = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pt"))
    assert saved[0] == "each-0/model-0/group-0.pt"
    assert set(saved) <= {f"each-0/model-{i}/group-0.pt" for i in range(3)}
    with resume.resumable(tmp_path):
        resumed = fit_each(models, data, CONFIG, [0, 1, 2], workers=3 - workers)
    assert_same_runs(straight, resumed, data.test.X)


def test_ctrl_c_pauses_after_the_update_in_progress_and_the_run_resumes(data, tmp_path):
    """SIGINT (Ctrl-C) or SIGTERM during training asks for a pause: the loop saves a
    consistent checkpoint after the update in progress and raises Paused; the handlers are
    the caller's again afterwards."""
    import os
    import signal

    armed = {"at": None, "evaluations": 0}

    def track(scorer):  # sends the signal from inside the loop, at one evaluation
        armed["evaluations"] += 1
        if armed["evaluations"] == armed["at"]:
            os.kill(os.getpid(), armed["signal"])
        return {}

    def train():
        return train_many(data, 20, 1, CONFIG, [0, 1], track=track, progress=False)

    straight = train()
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    for sig in (signal.SIGINT, signal.SIGTERM):
        armed.update(at=armed["evaluations"] + 5, signal=sig)
        with resume.resumable(tmp_path):
            with pytest.raises(resume.Paused, match=f"{sig.name} arrived"):
                train()
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    with resume.resumable(tmp_path):
        resumed = train()
    assert_same_runs(straight, resumed, data.test.X)


def test_a_checkpoint_that_cannot_be_written_does_not_stop_training(data, tmp_path):
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("")
    straight = train_many(data, 20, 1, CONFIG, [0], progress=False)
    with pytest.warns(store.ResultsWarning, match="training checkpoints are off: .*is a "
                      "file, not a folder"):
        with resume.resumable(blocker / "checkpoints", save_every_s=50, clock=TickClock()):
            got = train_many(data, 20, 1, CONFIG, [0], progress=False)
    assert_same_runs(straight, got, data.test.X)
    # a pause must not pass for saved when it is not
    with pytest.raises(resume.CheckpointUnwritable, match="could not save the checkpoint"):
        with pytest.warns(store.ResultsWarning, match="training checkpoints are off"):
            with resume.resumable(blocker / "checkpoints", deadline=20, clock=TickClock()):
                train_many(data, 20, 1, CONFIG, [0], progress=False)
