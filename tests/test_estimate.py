"""Estimated cost before long work: the fit of seconds to each study's cost from the wall times a
store records (known rates recovered from constructed stores), borrowing and defaults, the
leave-one-out quality, a lease's plan, the runner's guard (a chapter stops before any training
when its missing entries would take too long, and goes ahead with allow_long) and the
pipeline's check before any chapter starts."""

from __future__ import annotations

import math
import subprocess
from types import SimpleNamespace

import pandas as pd
import pytest

from sbcore import store
from sbcore.build import pipeline
from sbcore.studies import STUDIES, estimate, runner
from sbcore.studies.runner import entry_key_config, study

# plateau's smoke entries: FCN entries of four different costs (1,000 to 40,000)
PLATEAU = ["d5/n500", "d10/n1000", "rerun/control", "rerun/wide"]
TOOLBOX_FCN = ["table6/lms-5/SGD", "table8/lms-7/(16,1)-FCN", "fig5/ms-7"]


def stored(root, name: str, entries, seconds_of, device: str = "cpu", profile: str = "smoke"):
    """Save the named entries of a study into ``root`` with the wall time
    ``seconds_of(cost)``; return {entry: cost}."""
    mod = study(name)
    configs = mod.configs(profile)
    costs = {}
    for entry in entries:
        key_cfg = entry_key_config(mod, entry, configs[entry], 0)
        costs[entry] = estimate.relative_cost(name, configs[entry])
        table = pd.DataFrame(dict(study=[name], dataset=["x"], model=["m"], seed=[0],
                                  metric=["m"], value=[1.0]))
        store.save(mod.NAME, key_cfg, profile, {"metrics": table}, device=device,
                   wall_time_s=seconds_of(costs[entry]), root=root,
                   meta=dict(entry=entry, version=mod.VERSION, seed=0))
    return costs


def config_of(name: str, entry: str, profile: str = "smoke") -> dict:
    return study(name).configs(profile)[entry]


def test_device_kind():
    assert [estimate.device_kind(d) for d in ("cpu", "cuda", "cuda:1", "mps")] == \
        ["cpu", "gpu", "gpu", "gpu"]
    with pytest.raises(ValueError, match="device 'tpu'.*allowed: cpu, cuda, cuda:N, mps"):
        estimate.device_kind("tpu")


@pytest.mark.parametrize("a, b", [(0.01, 1.0), (0.2, 0.8)])
def test_the_fit_recovers_a_known_power_law(tmp_path, a, b):
    costs = stored(tmp_path, "plateau", PLATEAU, lambda c: a * c ** b)
    cal = estimate.calibration(tmp_path)
    f = cal.fits[("plateau", "FCN", "cpu", "smoke")]
    assert (f.n, f.b) == (len(PLATEAU), pytest.approx(b, abs=1e-3))  # store rounds to 0.01 s
    for entry, cost in costs.items():
        e = estimate.seconds("plateau", config_of("plateau", entry), "cpu", "smoke", cal)
        assert e.source == "fitted"
        assert e.seconds == pytest.approx(a * cost ** b, rel=1e-3)


def test_a_slope_needs_enough_points_over_a_wide_span(tmp_path):
    # two points: b is not fitted but taken as 1, a the geometric mean of their rates
    costs = stored(tmp_path, "plateau", PLATEAU[:2], lambda c: 0.2 * c ** 0.8)
    f = estimate.calibration(tmp_path).fits[("plateau", "FCN", "cpu", "smoke")]
    rates = [0.2 * c ** 0.8 / c for c in costs.values()]
    assert f.b == 1.0
    assert math.exp(f.log_a) == pytest.approx(math.sqrt(rates[0] * rates[1]), rel=1e-3)


def test_short_entries_are_left_out_of_the_fit(tmp_path):
    stored(tmp_path, "plateau", PLATEAU, lambda c: estimate.MIN_FIT_S / 2)
    assert estimate.calibration(tmp_path).points.empty


def test_borrowing_from_the_other_kind_with_the_measured_speed_up(tmp_path):
    cpu_rate, gpu_rate = 0.03, 0.003
    # the toolbox's FCN entries on both kinds measure the speed-up (10x) ...
    stored(tmp_path, "toolbox", TOOLBOX_FCN, lambda c: cpu_rate * c)
    stored(tmp_path / "gpu", "toolbox", TOOLBOX_FCN, lambda c: gpu_rate * c, device="cuda")
    # ... plateau has a CPU rate only
    stored(tmp_path, "plateau", PLATEAU, lambda c: 0.01 * c)
    points = pd.concat([estimate.stored_points([tmp_path]),
                        estimate.stored_points([tmp_path / "gpu"])], ignore_index=True)
    cal = estimate.calibrate(points)
    assert cal.speedup_measured and cal.gpu_speedup == pytest.approx(cpu_rate / gpu_rate, 1e-3)
    cfg = config_of("plateau", "rerun/wide")
    cpu = estimate.seconds("plateau", cfg, "cpu", "smoke", cal)
    gpu = estimate.seconds("plateau", cfg, "gpu", "smoke", cal)
    assert gpu.source == "borrowed" and "plateau FCN on cpu" in gpu.basis
    assert gpu.seconds == pytest.approx(cpu.seconds / cal.gpu_speedup)
    # the toolbox's CNN entry has no point of its family: the study's other models lend theirs
    cnn = estimate.seconds("toolbox", config_of("toolbox", "table4/lms-5/(4,3,1)-CNN"), "cpu",
                           "smoke", cal)
    assert cnn.source == "borrowed" and "toolbox's other models on cpu" in cnn.basis
    assert cnn.seconds == pytest.approx(cpu_rate * estimate.relative_cost(
        "toolbox", config_of("toolbox", "table4/lms-5/(4,3,1)-CNN")), rel=1e-3)


def test_without_a_study_on_both_kinds_the_speed_up_is_the_assumed_one(tmp_path):
    stored(tmp_path, "plateau", PLATEAU, lambda c: 0.01 * c)
    cal = estimate.calibration(tmp_path)
    assert not cal.speedup_measured and cal.gpu_speedup == estimate.ASSUMED_GPU_SPEEDUP
    cfg = config_of("plateau", "rerun/wide")
    assert estimate.seconds("plateau", cfg, "gpu", "smoke", cal).seconds == pytest.approx(
        estimate.seconds("plateau", cfg, "cpu", "smoke", cal).seconds
        / estimate.ASSUMED_GPU_SPEEDUP)


def test_a_study_with_nothing_stored_at_the_profile_gets_the_default(tmp_path):
    stored(tmp_path, "plateau", PLATEAU, lambda c: 0.01 * c)  # smoke only
    cal = estimate.calibration(tmp_path)
    for profile in ("quick", "paper"):  # rates measured at smoke say nothing of them
        cfg = next(iter(study("plateau").configs(profile).values()))
        e = estimate.seconds("plateau", cfg, "cpu", profile, cal)
        assert (e.seconds, e.source) == (estimate.DEFAULT_ENTRY_S[profile], "default")
    # a paper entry never measured is taken for a GPU's work
    assert estimate.gpu_work("plateau", cfg, "paper", cal)


def test_bad_kind_and_profile_are_refused():
    cfg = config_of("plateau", "d5/n500")
    with pytest.raises(ValueError, match="kind must be one of cpu, gpu, got 'cuda'"):
        estimate.seconds("plateau", cfg, "cuda", "smoke")
    with pytest.raises(ValueError, match="profile"):
        estimate.seconds("plateau", cfg, "cpu", "huge")


def test_quality_on_known_data(tmp_path):
    # an exact power law: every left-out point is estimated exactly
    stored(tmp_path, "plateau", PLATEAU, lambda c: 0.2 * c ** 0.8)
    q = estimate.quality(estimate.calibration(tmp_path)).iloc[0]
    assert (q.study, q.kind, q.profile, q.n, q.fitted) == ("plateau", "cpu", "smoke", 4, 4)
    assert q.median_abs_log10 < 1e-3 and q.within_2x == 1.0
    # two entries whose rates differ by 4x (b = 1 with two points): each, left out, is
    # estimated by the other's rate, 4x off
    other = tmp_path / "two"
    costs = stored(other, "toolbox", TOOLBOX_FCN[:2], lambda c: 20.0)
    q = estimate.quality(estimate.calibration(other)).iloc[0]
    ratio = max(costs.values()) / min(costs.values())
    assert q.n == 2 and q.median_abs_log10 == pytest.approx(math.log10(ratio), abs=1e-3)
    assert q.within_2x == (1.0 if ratio <= 2 else 0.0)


def test_the_committed_store_calibrates_every_quick_chapter_under_the_limit():
    """The quick book never stops for long work on a CPU: neither with this machine's store
    nor with the committed paper-scale entries alone (a fresh clone); nor the smoke book, far
    under it (its few entries that took over MIN_FIT_S are start-up as much as work, so a smoke
    study may be estimated a few minutes, never near the limit)."""
    cal = estimate.calibration()
    fresh = estimate.calibrate(cal.points[cal.points["profile"] == "paper"])
    for c in (cal, fresh):
        for name in STUDIES:
            mod = study(name)
            for profile, limit in (("smoke", estimate.LONG_WORK_S / 2),
                                   ("quick", estimate.LONG_WORK_S)):
                only = mod.runnable(profile, 0) if hasattr(mod, "runnable") else None
                todo = runner.pending(name, profile, recompute=True, only=only)
                total, _ = estimate.long_work(todo, profile, "cpu", c)
                assert total < limit, (name, profile, total)


def entry(name, begun=False):
    return SimpleNamespace(study="s", name=name, config={"name": name}, begun=begun)


# known estimates of four constructed entries: (cpu seconds, gpu seconds)
KNOWN = {"A": (100.0, 10.0), "B": (2 * estimate.CPU_FEASIBLE_S, 2000.0), "C": (50.0, 5.0),
         "D": (300.0, 30.0)}


@pytest.fixture
def known(monkeypatch):
    def seconds(study_name, config, kind, profile, cal=None):
        return estimate.Estimate(KNOWN[config["name"]][estimate.KINDS.index(kind)], "fitted", "")

    monkeypatch.setattr(estimate, "seconds", seconds)
    return [entry("A"), entry("B"), entry("C"), entry("D", begun=True)]


def test_plan_places_entries_by_kind_and_time(known):
    table = estimate.plan(known, "paper", minutes=10, gpu_workers=1, cpu_workers=1, cal=...)
    rows = table.set_index("entry")
    # begun first, then cheapest first: D, C, A on the CPU worker one after another; B is a
    # GPU's work (its CPU estimate is past CPU_FEASIBLE_S) and does not fit 10 minutes
    assert list(table["entry"]) == ["D", "C", "A", "B"]
    assert list(rows.loc[["D", "C", "A"], "worker"]) == ["cpu0"] * 3
    ends = pd.Series([KNOWN[e][0] for e in "DCA"]).cumsum().tolist()
    assert rows.loc[["D", "C", "A"], "end_s"].tolist() == ends
    assert rows.loc["B", "worker"] == "gpu0" and rows.loc["B", "end_s"] == KNOWN["B"][1]
    assert rows["fits"].tolist() == [True, True, True, False]  # D, C, A, B
    text = estimate.describe_plan(table)
    assert "CPU workers: 3 entries fit (about 8 worker-minutes); 0 do not" in text
    assert "GPU workers: 0 entries fit (about 0 worker-minutes); 1 do not (about 33" in text


def test_plan_without_cpu_workers_runs_everything_on_the_gpu(known):
    table = estimate.plan(known, "paper", minutes=10, gpu_workers=1, cpu_workers=0, cal=...)
    assert set(table["worker"]) == {"gpu0"}
    ends = pd.Series([KNOWN[e][1] for e in "DCAB"]).cumsum().tolist()
    assert table["end_s"].tolist() == ends
    assert table["fits"].tolist() == [True, True, True, False]


def test_plan_without_gpu_workers_cannot_place_a_gpus_work(known):
    table = estimate.plan(known, "paper", minutes=10, gpu_workers=0, cpu_workers=2, cal=...)
    b = table.set_index("entry").loc["B"]
    assert (b.worker, b.fits) == ("", False)
    with pytest.raises(ValueError, match="at least one worker"):
        estimate.plan(known, "paper", minutes=10, gpu_workers=0, cpu_workers=0, cal=...)
    with pytest.raises(ValueError, match="minutes"):
        estimate.plan(known, "paper", minutes=0, gpu_workers=1, cpu_workers=0, cal=...)


def test_missing_summary_gives_both_kinds_and_totals(known):
    table = estimate.missing_summary(known, "paper", cal=...)
    assert table["cpu_s"].tolist() == [KNOWN[e][0] for e in "ABCD"]
    assert table["gpu_s"].tolist() == [KNOWN[e][1] for e in "ABCD"]
    text = estimate.describe_missing(table)
    total_cpu = sum(v[0] for v in KNOWN.values())
    assert f"about {estimate.duration(total_cpu)} on one CPU" in text


# --- the guard --------------------------------------------------------------------------------

@pytest.fixture
def huge(monkeypatch):
    """Every entry estimated at a day, and plateau's compute failing if it is ever called."""
    def seconds(study_name, config, kind, profile, cal=None, cost=None):
        return estimate.Estimate(86400.0, "fitted", "constructed for the test")

    monkeypatch.setattr(estimate, "seconds", seconds)


def test_the_guard_stops_before_any_training(tmp_path, huge, monkeypatch):
    def no_training(cfg, device="cpu"):
        raise AssertionError("compute ran")

    monkeypatch.setattr(study("plateau"), "compute", no_training)
    with pytest.raises(runner.LongWork) as err:
        runner.run("plateau", "smoke", "cpu", root=tmp_path, progress=False)
    text = str(err.value)
    n = len(study("plateau").configs("smoke"))
    assert f"{n} smoke entries would be computed on cpu, about {n}.0 days" in text
    for name in study("plateau").configs("smoke"):
        assert f"plateau {name}: about 24.0 h (fitted: constructed for the test)" in text
    for way in ("python -m sbcore.run_experiments --missing --profile smoke --device cuda "
                "plateau", "--cluster local:N plateau", "allow_long = True",
                "PROFILE=smoke ALLOW_LONG=1", "--allow-long"):
        assert way in text
    assert store.entries("plateau", "smoke", tmp_path) == {}
    with pytest.raises(ValueError, match="allow_long must be True or False, got 'yes'"):
        runner.run("plateau", "smoke", "cpu", root=tmp_path, allow_long="yes")


def test_the_guard_lists_ten_entries_and_counts_the_rest(tmp_path, huge):
    with pytest.raises(runner.LongWork) as err:
        runner.run("testbed", "smoke", "cpu", root=tmp_path)
    n = len(study("testbed").configs("smoke"))
    assert f"and {n - estimate.MAX_LISTED} more" in str(err.value)


def test_allow_long_and_run_missing_go_ahead(tmp_path, huge):
    done = runner.run("plateau", "smoke", "cpu", root=tmp_path, progress=False,
                      allow_long=True)
    assert set(done) == set(study("plateau").configs("smoke"))
    other = tmp_path / "missing"
    stored_ = runner.run_missing("smoke", "cpu", studies=["plateau"], root=other,
                                 report=lambda *_: None)
    assert len(stored_) == len(done)


def test_stored_entries_are_not_estimated_again(tmp_path, huge):
    runner.run("plateau", "smoke", "cpu", root=tmp_path, progress=False, allow_long=True)
    assert runner.pending("plateau", "smoke", root=tmp_path) == []
    runner.run("plateau", "smoke", "cpu", root=tmp_path, progress=False)  # nothing to compute
    assert len(runner.pending("plateau", "smoke", recompute=True, root=tmp_path)) == \
        len(study("plateau").configs("smoke"))


# --- the pipeline -----------------------------------------------------------------------------

def test_pipeline_refuses_a_bad_allow_long(tmp_path, capsys):
    with pytest.raises(SystemExit):
        pipeline.main(["execute", "06", "--allow-long=yes", "--out", str(tmp_path / "b")])
    assert "--allow-long: ignored explicit argument 'yes'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="allow_long must be True or False, got 1"):
        pipeline.execute(["06"], profile="smoke", out_dir=tmp_path / "b", allow_long=1)


def test_pipeline_checks_long_work_before_any_chapter_starts(tmp_path, huge, monkeypatch,
                                                             capsys):
    monkeypatch.setenv("SB_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr(store, "RESULTS", tmp_path / "results")
    out = tmp_path / "book"
    assert pipeline.main(["execute", "06", "02", "--profile", "smoke", "--out", str(out),
                          "--no-status"]) == 2
    err = capsys.readouterr().err
    assert "2 chapter(s) would stop before long work; nothing was started" in err
    assert "[06_plateau]" in err and "[02_measuring]" in err
    assert "make chapter NAME=06_plateau PROFILE=smoke ALLOW_LONG=1" in err
    assert not out.exists()


def test_the_chapters_study_and_allow_long_parameter():
    sources = pipeline.chapter_sources()
    runs = {n: pipeline.chapter_study(p) for n, p in sources.items()}
    assert runs["06_plateau"] == "plateau" and runs["99_status"] is None
    for name, source in sources.items():  # every chapter that runs a study can allow long work
        assert pipeline.takes_allow_long(source) == (runs[name] is not None), name


def _make_dry_run(args: list[str], cwd) -> subprocess.CompletedProcess:
    """``make -n`` with the project's Makefile (.venv and data taken as they are)."""
    return subprocess.run(["make", "-n", "-f", str(pipeline.ROOT / "Makefile"), "-o", "venv",
                           "-o", "data", "PY=py", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("target", ["book", "chapter NAME=06"])
@pytest.mark.parametrize("value", ["1", "true", "True", "yes", "0", "false", "False", "no", ""])
def test_make_passes_allow_long_as_recompute_is_passed(tmp_path, target, value):
    run = _make_dry_run([*target.split(), f"ALLOW_LONG={value}"], tmp_path)
    [line] = [x for x in run.stdout.splitlines() if "sbcore.build.pipeline execute" in x]
    assert ("--allow-long" in line) == (value in ("1", "true", "True", "yes")), line


def test_make_refuses_a_bad_allow_long(tmp_path):
    run = _make_dry_run(["book", "ALLOW_LONG=maybe"], tmp_path)
    assert run.returncode != 0 and "sbcore.build.pipeline" not in run.stdout
    assert "ALLOW_LONG='maybe' is not allowed; ALLOW_LONG is one of: 1 true True yes" in \
        run.stderr
