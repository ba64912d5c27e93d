"""Bad input stops early: a ValueError that names the parameter and what is allowed, raised
before any data is drawn or any experiment runs."""

from __future__ import annotations

import pytest

import sbcore.data.synthetic as data_module  # where make_dataset looks its helpers up
from sbcore import store
from sbcore.book import set_seed, setup_chapter
from sbcore.data import Block, dataset_blocks, make_dataset, without_coordinates
from sbcore.profiles import check_device, check_profile
from sbcore.studies import section


@pytest.fixture
def no_work(monkeypatch):
    """Make any sampling or rotation fail loudly: the error must come before them."""
    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the input was checked")

    monkeypatch.setattr(data_module, "sample_block", forbidden)
    monkeypatch.setattr(data_module, "random_rotation", forbidden)


# (call, words the message must contain: the parameter, then what is allowed)
CASES = {
    "unknown dataset": (lambda: make_dataset("lms-9", 10, 10), ["dataset", "lms-9", "lms-5"]),
    "unknown dataset (blocks)": (lambda: dataset_blocks("cifar"), ["dataset", "allowed"]),
    "even k": (lambda: Block("slab", k=4), ["k", "odd integer >= 3"]),
    "k too small": (lambda: Block("slab", k=1), ["k", "odd integer >= 3"]),
    "k not an integer": (lambda: Block("slab", k=5.0), ["k", "odd integer"]),
    "slabs overlap": (lambda: Block("slab", k=7, gamma=0.2), ["gamma", "overlap", "1/(k-1)"]),
    "slabs overlap in a dataset": (lambda: make_dataset("ms-5", 10, 10, gamma=0.3),
                                   ["gamma", "overlap", "gamma <"]),
    "negative linear margin": (lambda: Block("linear", gamma=-0.1), ["gamma", "[0, 1)"]),
    "zero width": (lambda: Block("slab", k=5, B=0.0), ["B", "positive"]),
    "p above 1": (lambda: Block("noisy_linear", p=1.5), ["p", "[0, 1]"]),
    "p below 0 in a dataset": (lambda: make_dataset("noisy-lms-5", 10, 10, p=-0.1),
                               ["p", "[0, 1]"]),
    "p outside [0,1] where unused": (lambda: make_dataset("lms-5", 10, 10, p=2.0),
                                     ["p", "[0, 1]"]),
    "n_train zero": (lambda: make_dataset("lms-5", 0, 10), ["n_train", "positive integer"]),
    "n_test negative": (lambda: make_dataset("lms-5", 10, -5), ["n_test", "positive integer"]),
    "n_train not an integer": (lambda: make_dataset("lms-5", 10.5, 10),
                               ["n_train", "positive integer"]),
    "n_val negative": (lambda: make_dataset("lms-5", 10, 10, n_val=-1),
                       ["n_val", "integer >= 0"]),
    "d too small for lms": (lambda: make_dataset("lms-5", 10, 10, d=1), ["d", ">= 2"]),
    "d too small for lsn": (lambda: make_dataset("lsn", 10, 10, d=2), ["d", ">= 3"]),
    "d smaller than the blocks": (
        lambda: make_dataset("custom", 10, 10, d=2, S=[0],
                             blocks=[Block("linear"), Block("slab", k=5), Block("slab", k=7)]),
        ["d", ">= 3"]),
    "S outside the blocks": (
        lambda: make_dataset("custom", 10, 10, S=[5], blocks=[Block("linear")]),
        ["S", "0..0"]),
    "negative seed": (lambda: make_dataset("lms-5", 10, 10, seed=-1),
                      ["seed", "integer in [0, 2**32 - 1]"]),
    "unknown block kind": (lambda: Block("wavy"), ["kind", "allowed", "slab"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_data_input_raises_a_clear_error_before_work(case, no_work):
    call, words = CASES[case]
    with pytest.raises(ValueError) as err:
        call()
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_dropping_a_coordinate_that_does_not_exist():
    data = make_dataset("lms-5", 20, 10, d=4)
    with pytest.raises(ValueError, match=r"drop=\[7\] must index coordinates 0..3"):
        without_coordinates(data, [0, 7])


def test_unknown_profile():
    for call in (lambda: check_profile("fast"), lambda: section("fast", "datasets"),
                 lambda: store.entry_dir("toy", {}, "fast")):
        with pytest.raises(ValueError, match=r"profile 'fast' is unknown; allowed: smoke, quick"):
            call()


def test_unknown_profile_section():
    with pytest.raises(ValueError, match="study settings .nope.*datasets"):
        section("quick", "nope")


@pytest.mark.parametrize("device", ["tpu", "cuda:7", "gpu", ""])
def test_device_that_does_not_exist(device):
    with pytest.raises(ValueError, match=r"device .* does not exist.*allowed here: cpu"):
        check_device(device)


def test_setup_chapter_checks_before_any_work(capsys):
    with pytest.raises(ValueError, match="profile"):
        setup_chapter("fast", "cpu", 0)
    with pytest.raises(ValueError, match="device"):
        setup_chapter("quick", "tpu", 0)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*32 - 1\]"):
        set_seed(-3)
    assert capsys.readouterr().out == ""  # nothing was shown before the error


def test_store_run_is_not_started_on_an_unknown_profile(tmp_path):
    calls = []
    with pytest.raises(ValueError, match="profile"):
        store.cached_run("toy", {}, lambda c: calls.append(c), profile="big", root=tmp_path)
    assert calls == [] and not any(tmp_path.iterdir())
