"""The results store: hit, miss, recompute, corruption and failure, provenance."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

import sbcore
from sbcore import store

CONFIG = {"dataset": "lms-5", "n": 100, "seeds": [0, 1]}


class Counter:
    """A run function that counts its calls and returns a small tidy table."""

    def __init__(self, value=0.9):
        self.calls = 0
        self.value = value

    def __call__(self, config):
        self.calls += 1
        metrics = pd.DataFrame({"study": "toy", "dataset": config["dataset"],
                                "model": "m", "seed": config["seeds"], "metric": "accuracy",
                                "value": [self.value, self.value + 0.01]})
        return {"metrics": metrics, "extra": pd.DataFrame({"a": [1, 2, 3]})}


def run(root, fn, config=CONFIG, recompute=False):
    return store.cached_run("toy", config, fn, profile="smoke", device="cpu",
                            recompute=recompute, root=root)


def test_miss_runs_and_stores_then_hit_does_not_run(tmp_path):
    fn = Counter()
    first = run(tmp_path, fn)
    assert fn.calls == 1 and not first.cached
    assert (first.path / "metrics.csv").exists() and (first.path / "provenance.json").exists()
    assert first.path.is_relative_to(tmp_path / "smoke" / "toy")
    second = run(tmp_path, fn)
    assert fn.calls == 1 and second.cached
    pd.testing.assert_frame_equal(second.metrics, first.metrics, check_dtype=False)
    pd.testing.assert_frame_equal(second.tables["extra"], first.tables["extra"],
                                  check_dtype=False)


def test_another_config_is_another_entry(tmp_path):
    fn = Counter()
    run(tmp_path, fn)
    run(tmp_path, fn, config=dict(CONFIG, n=200))
    assert fn.calls == 2
    # key order does not matter
    run(tmp_path, fn, config=dict(reversed(list(CONFIG.items()))))
    assert fn.calls == 2


def test_recompute_reruns_and_replaces(tmp_path):
    run(tmp_path, Counter(0.9))
    fn = Counter(0.5)
    again = run(tmp_path, fn, recompute=True)
    assert fn.calls == 1 and not again.cached
    assert run(tmp_path, Counter()).metrics["value"].iloc[0] == pytest.approx(0.5)


def _corrupt_csv(path):
    text = (path / "metrics.csv").read_text().replace("0.9", "0.1")
    (path / "metrics.csv").write_text(text)


def _garbage_provenance(path):
    (path / "provenance.json").write_text("{not json")


def _missing_table(path):
    (path / "metrics.csv").unlink()


def _missing_provenance(path):
    (path / "provenance.json").unlink()


def _provenance_of_the_wrong_shape(path):
    (path / "provenance.json").write_text('{"tables": ["metrics"]}')


def _wrong_key(path):
    prov = json.loads((path / "provenance.json").read_text())
    prov["config_key"] = "0" * 16
    (path / "provenance.json").write_text(json.dumps(prov))


@pytest.mark.parametrize("damage", [_corrupt_csv, _garbage_provenance, _missing_table,
                                    _missing_provenance, _provenance_of_the_wrong_shape,
                                    _wrong_key])
def test_corrupt_entry_is_detected_warned_and_recomputed(tmp_path, damage):
    entry = run(tmp_path, Counter(0.9)).path
    damage(entry)
    fn = Counter(0.9)
    with pytest.warns(UserWarning, match="corrupt"):
        res = run(tmp_path, fn)
    assert fn.calls == 1 and not res.cached
    assert res.metrics["value"].tolist() == pytest.approx([0.9, 0.91])
    # the entry is sound again
    fn2 = Counter()
    assert run(tmp_path, fn2).cached and fn2.calls == 0


def test_lookup_ignores_a_corrupt_entry(tmp_path):
    entry = store.save("toy", CONFIG, "paper", Counter()(CONFIG), root=tmp_path).path
    assert store.lookup("toy", CONFIG, "paper", root=tmp_path) is not None
    _corrupt_csv(entry)
    with pytest.warns(UserWarning, match="corrupt"):
        assert store.lookup("toy", CONFIG, "paper", root=tmp_path) is None
    assert store.lookup("toy", dict(CONFIG, n=1), "paper", root=tmp_path) is None


def test_a_failing_run_leaves_the_existing_entry_intact(tmp_path):
    good = run(tmp_path, Counter(0.9))
    before = {p.name: p.read_bytes() for p in good.path.iterdir()}

    def boom(config):
        raise RuntimeError("the run failed")

    with pytest.raises(RuntimeError, match="failed"):
        run(tmp_path, boom, recompute=True)
    after = {p.name: p.read_bytes() for p in good.path.iterdir()}
    assert after == before
    assert run(tmp_path, Counter()).cached
    # and no temporary folders are left behind
    assert [p.name for p in good.path.parent.iterdir()] == [good.path.name]


def test_a_failing_run_on_a_miss_stores_nothing(tmp_path):
    def boom(config):
        raise RuntimeError("nope")

    with pytest.raises(RuntimeError):
        run(tmp_path, boom)
    entry = store.entry_dir("toy", CONFIG, "smoke", tmp_path)
    assert not entry.exists()
    if entry.parent.exists():  # no temporary folder left behind either
        assert not any(entry.parent.iterdir())


def test_a_table_that_is_not_tidy_is_refused(tmp_path):
    with pytest.raises(ValueError, match="tidy"):
        store.save("toy", CONFIG, "smoke", {"metrics": pd.DataFrame({"value": [1.0]})},
                   root=tmp_path)
    with pytest.raises(ValueError, match="metrics"):
        store.save("toy", CONFIG, "smoke", {"other": pd.DataFrame()}, root=tmp_path)


def test_provenance_records_what_made_the_result(tmp_path):
    res = run(tmp_path, Counter())
    prov = json.loads((res.path / "provenance.json").read_text())
    assert prov["config"] == CONFIG
    assert prov["study"] == "toy" and prov["profile"] == "smoke"
    assert prov["sbcore_version"] == sbcore.__version__
    assert isinstance(prov["git_commit"], str) and prov["git_commit"]
    assert prov["torch_version"] == torch.__version__
    assert prov["device"] == "cpu" and prov["device_name"].startswith("cpu")
    assert prov["wall_time_s"] >= 0
    assert prov["date"][:2] == "20"
    assert set(prov["tables"]) == {"metrics", "extra"}
    assert res.provenance == prov
    assert run(tmp_path, Counter()).provenance == prov


def test_unknown_profile_is_refused(tmp_path):
    with pytest.raises(ValueError, match="profile"):
        store.cached_run("toy", CONFIG, Counter(), profile="fast", root=tmp_path)


# --------------------------------------------------------------------------- tensors, safety

def _with_tensors(config):
    tables = Counter()(config)
    tables["tensors"] = {"seed 0": {"w": torch.arange(6.0).reshape(2, 3)}, "delta": torch.ones(4)}
    return tables


def test_tensors_round_trip_with_their_checksum(tmp_path):
    first = run(tmp_path, _with_tensors)
    assert (first.path / "tensors.pt").exists() and "tensors" not in first.tables
    again = run(tmp_path, Counter())
    assert again.cached
    assert torch.equal(again.tensors["seed 0"]["w"], torch.arange(6.0).reshape(2, 3))
    assert torch.equal(again.tensors["delta"], torch.ones(4))
    prov = json.loads((first.path / "provenance.json").read_text())
    assert len(prov["tensors"]) == 64  # a SHA-256
    raw = bytearray((first.path / "tensors.pt").read_bytes())
    raw[-20] ^= 0xFF
    (first.path / "tensors.pt").write_bytes(bytes(raw))
    with pytest.raises(store.CorruptResult, match="tensors.pt does not match its checksum"):
        store.load("toy", CONFIG, "smoke", tmp_path)


def test_a_stray_old_entry_does_not_block_saves(tmp_path):
    entry = run(tmp_path, Counter()).path
    for stray in (entry.with_name(entry.name + ".old"),
                  entry.with_name(f".{entry.name}.old.x")):
        stray.write_text("left by an interrupted run")  # a file where a folder would go
    res = run(tmp_path, Counter(0.5), recompute=True)
    assert res.metrics["value"].iloc[0] == pytest.approx(0.5)
    assert run(tmp_path, Counter()).cached
    assert set(store.entries("toy", "smoke", tmp_path)) == {entry.name}


def test_an_unwritable_store_fails_before_the_computation(tmp_path):
    import os

    if os.geteuid() == 0:  # root writes anywhere: make the store path a file instead
        root = tmp_path / "store-is-a-file"
        root.write_text("")
    else:
        root = tmp_path / "ro"
        root.mkdir()
        root.chmod(0o500)
    fn = Counter()
    with pytest.raises(store.StoreUnwritable, match="cannot be written.*SB_RESULTS"):
        run(root, fn)
    assert fn.calls == 0


def test_a_full_store_fails_before_the_computation(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "MIN_FREE_BYTES", 2**62)
    fn = Counter()
    with pytest.raises(store.StoreUnwritable, match="MB free"):
        run(tmp_path, fn)
    assert fn.calls == 0


def _save_in_process(root, value):
    from sbcore import store as s

    tables = Counter(value)(CONFIG)
    for _ in range(20):
        s.save("toy", CONFIG, "smoke", tables, root=root)


def test_concurrent_saves_of_one_key_are_safe(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_in_process, args=(tmp_path, v)) for v in (0.25, 0.75)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    res = store.load("toy", CONFIG, "smoke", tmp_path)  # sound, and one of the two
    assert res.metrics["value"].iloc[0] in (0.25, 0.75)
    assert [p.name for p in res.path.parent.iterdir()] == [res.path.name]


def test_damaged_and_stale_paper_entries_are_reported_not_dropped(tmp_path):
    from sbcore.studies import runner

    mod = runner.study("measuring")
    entry, cfg = next(iter(mod.configs("paper").items()))
    key_cfg = runner.entry_key_config(mod, entry, cfg, 0)
    saved = store.save(mod.NAME, key_cfg, "paper", Counter()(CONFIG), root=tmp_path,
                       meta=dict(study=mod.NAME, entry=entry, version=mod.VERSION, seed=0))
    assert runner.lookup("measuring", "paper", root=tmp_path)[entry] is not None
    text = (saved.path / "metrics.csv").read_text()
    (saved.path / "metrics.csv").write_text(text[: len(text) // 2])  # truncated
    looked = runner.lookup("measuring", "paper", root=tmp_path)
    assert looked[entry] is None
    assert "damaged" in looked.problems[0] and "checksum" in looked.problems[0]
    assert "run_experiments --missing" in looked.problems[0]
    ledger = runner.ledger("paper", ["measuring"], root=tmp_path)
    assert ledger["status"].tolist() == ["damaged"]


def test_entries_stored_before_the_tables_said_study_load_under_todays_names():
    """The committed paper-scale entries were written when the tidy tables' first column was
    called "experiment"; they load, checksums intact, with it named "study"."""
    from sbcore.studies import runner

    stored = runner.lookup("datasets", "paper")
    [result] = [r for r in stored.values() if r is not None]
    raw = (result.path / "metrics.csv").read_text().splitlines()[0]
    assert raw.startswith("experiment,")  # as written, and so as its checksum was taken
    assert result.metrics.columns[0] == "study" and "experiment" not in result.metrics.columns
