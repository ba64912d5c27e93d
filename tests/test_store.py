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
        metrics = pd.DataFrame({"experiment": "toy", "dataset": config["dataset"],
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
    assert prov["experiment"] == "toy" and prov["profile"] == "smoke"
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
