"""The layout's rules: the import boundary, and the study protocol on every study."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sbcore import store
from sbcore.profiles import PROFILE_NAMES
from sbcore.studies import runner, view

ROOT = Path(__file__).resolve().parent.parent
# The core and the studies' compute: none of them may pull in plotting or notebook code.
CORE = ["sbcore.checks", "sbcore.profiles", "sbcore.store", "sbcore.paper", "sbcore.data",
        "sbcore.data.synthetic", "sbcore.models", "sbcore.training", "sbcore.reliance",
        "sbcore.studies.runner", "sbcore.run_experiments"]
CORE += [f"sbcore.studies.{s}.{m}" for s in runner.STUDIES for m in ("study", "settings")]
FORBIDDEN = ("matplotlib", "seaborn", "IPython", "ipywidgets", "myst_nb", "sbcore.book")


def test_the_core_imports_no_plotting_notebook_or_book_code():
    code = f"""
import importlib, json, sys
bad = {{}}
for name in {CORE!r}:
    before = set(sys.modules)
    importlib.import_module(name)
    new = [m for m in set(sys.modules) - before
           if any(m == f or m.startswith(f + ".") for f in {FORBIDDEN!r})]
    if new:
        bad[name] = sorted(new)[:5]
print(json.dumps(bad))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout) == {}, f"core modules importing view code: {out.stdout}"


@pytest.mark.parametrize("name", runner.STUDIES)
def test_every_study_follows_the_protocol(name, tmp_path, monkeypatch):
    mod = runner.study(name)
    assert isinstance(mod.NAME, str) and isinstance(mod.VERSION, int)
    for profile in PROFILE_NAMES:
        configs = mod.configs(profile)
        assert configs and configs == mod.configs(profile)  # deterministic
        json.dumps(configs)  # JSON-able
        text = json.dumps(configs)
        for setting in view(profile, name):  # display settings are never hashed
            assert f'"{setting}"' not in text, (profile, setting)
        # the chapter seed is part of every key
        keys0 = {store.config_key(runner.entry_key_config(mod, e, c, 0))
                 for e, c in configs.items()}
        keys7 = {store.config_key(runner.entry_key_config(mod, e, c, 7))
                 for e, c in mod.configs(profile, 7).items()}
        assert not keys0 & keys7
    # a new version gives new keys, and what was stored becomes stale
    entry, cfg = next(iter(mod.configs("smoke").items()))
    key_cfg = runner.entry_key_config(mod, entry, cfg, 0)
    store.save(mod.NAME, key_cfg, "smoke", {"metrics": _tidy()}, root=tmp_path,
               meta=dict(study=mod.NAME, entry=entry, version=mod.VERSION, seed=0))
    assert runner.entries(name, "smoke", root=tmp_path)[0].status == "stored"
    monkeypatch.setattr(mod, "VERSION", mod.VERSION + 1)
    bumped = runner.entry_key_config(mod, entry, cfg, 0)
    assert store.config_key(bumped) != store.config_key(key_cfg)
    first = runner.entries(name, "smoke", root=tmp_path)[0]
    assert first.status == "stale" and f"now {mod.VERSION}" in first.detail
    looked = runner.lookup(name, "smoke", root=tmp_path)
    assert looked[entry] is None and "stale" in looked.problems[0]


def _tidy():
    import pandas as pd

    return pd.DataFrame(dict(study=["x"], dataset=["d"], model=["m"], seed=[0],
                             metric=["accuracy"], value=[1.0]))


def test_the_committed_paper_entries_are_found_under_the_current_keys():
    """A change to a study's paper config or version orphans its committed GPU results:
    migrate them (see results/paper/README.md) or rerun them on a GPU, on purpose."""
    table = runner.ledger("paper", ["extreme_sb", "theory"])
    assert len(table) and (table["status"] == "stored").all(), table[table["status"] != "stored"]
    # the GPU-made entries are still the GPU's (the toy of Fig. 1, at d = 2, was made on the
    # development CPU: results/paper/README.md)
    gpu = table[~table["entry"].str.startswith("toy/")]
    assert len(gpu) == 16 and gpu["device"].str.contains("H100").all()


def test_the_chapter_seed_changes_the_numbers(tmp_path):
    a = runner.run("measuring", "smoke", seed=0, root=tmp_path)["oracles"]
    b = runner.run("measuring", "smoke", seed=7, root=tmp_path)["oracles"]
    assert a.path != b.path and b.provenance["seed"] == 7
    assert not a.metrics["value"].equals(b.metrics["value"])
    again = runner.run("measuring", "smoke", seed=7, root=tmp_path)["oracles"]
    assert again.cached and again.metrics["value"].equals(b.metrics["value"])


def test_the_runner_refuses_bad_arguments_before_any_work(tmp_path):
    for kwargs, words in ((dict(seed=2**32), "seed"), (dict(seed=-1), "seed"),
                          (dict(recompute="no"), "recompute must be True or False"),
                          (dict(device="tpu"), "device 'tpu'"),
                          (dict(only=["nope"]), "not entries of measuring")):
        with pytest.raises(ValueError, match=words):
            runner.run("measuring", "smoke", root=tmp_path, **kwargs)
    with pytest.raises(ValueError, match="study 'nope' is unknown; known: datasets"):
        runner.run("nope", "smoke")
    assert not any(tmp_path.iterdir())


def test_ledger_cli_lists_and_runs_what_is_missing(tmp_path):
    env = dict(__import__("os").environ, SB_RESULTS=str(tmp_path))
    cli = [sys.executable, "-m", "sbcore.run_experiments"]
    out = subprocess.run(cli + ["--list", "--profile", "smoke", "measuring"], env=env,
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0 and "missing  oracles" in out.stdout, out.stdout + out.stderr
    out = subprocess.run(cli + ["--missing", "--profile", "smoke", "--budget-min", "5",
                                "measuring"], env=env, capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "stored   oracles" in out.stdout and "1 stored, 0 missing" in out.stdout
    bad = subprocess.run(cli + ["--missing", "--budget-min", "soon"], env=env,
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "--budget-min must be a positive number" in bad.stderr
    for args, extra, words in ((["--cpu-workers", "0"], {}, "--cpu-workers must be a positive"),
                               ([], {"SB_CPU_WORKERS": "many"}, "SB_CPU_WORKERS must be")):
        bad = subprocess.run(cli + ["--missing", "--profile", "smoke", *args, "measuring"],
                             env=dict(env, **extra), capture_output=True, text=True, cwd=ROOT,
                             timeout=120)
        assert bad.returncode == 2 and words in bad.stderr, bad.stderr[-2000:]
    assert len(list(tmp_path.rglob("provenance.json"))) == 1  # nothing more was run


def test_run_missing_runs_largest_first_and_keeps_to_the_budget(tmp_path):
    log = []
    done = runner.run_missing("smoke", "cpu", ["measuring", "datasets"], budget_s=600,
                              root=tmp_path, report=log.append)
    assert [e.study for e in done] and all(e.status == "missing" for e in done)
    assert all(e.status == "stored" for e in runner.entries("measuring", "smoke",
                                                            root=tmp_path))
    # nothing is left, so a second call runs nothing
    assert runner.run_missing("smoke", "cpu", ["measuring"], root=tmp_path,
                              report=log.append) == []
    # a budget spent before the first entry still starts it (each call makes progress), and
    # the entry pauses at once with its checkpoint: nothing is stored, and the call says so
    assert runner.run_missing("smoke", "cpu", ["extreme_sb"], budget_s=1e-9, root=tmp_path,
                              report=log.append) == []
    assert any("paused at update" in line for line in log)
    assert sum(line.startswith("== extreme_sb") for line in log) == 1


def test_missing_entries_come_largest_or_cheapest_first(tmp_path):
    costs = {o: [e.cost for e in runner.missing_in_order("paper", ["toolbox", "images"],
                                                          root=tmp_path, order=o)]
             for o in runner.ORDERS}
    assert costs["largest"] == sorted(costs["largest"], reverse=True)
    assert costs["cheapest"] == sorted(costs["cheapest"]) and len(set(costs["cheapest"])) > 1
    with pytest.raises(ValueError, match="order 'random' is unknown; allowed: largest, cheapest"):
        runner.missing_in_order("paper", ["toolbox"], root=tmp_path, order="random")


CHAPTERS = sorted((ROOT / "chapters").glob("*.py"))
COMPARISON_WITH_NUMBER = r"(<=|>=|<|>|==)\s*-?\d*\.?\d+\b"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_are_thin(path):
    """No def, class or lambda, no thresholds, at most about 80 code lines: a chapter reads
    like the paper, and what it computes lives in a tested study. A cell tagged
    "reader-example" is the exception: code written for the reader to copy and change (the
    testbed chapter's method of one's own), shown as such; it counts towards the lines."""
    import re

    code, in_markdown, example = [], False, False  # code: (line, in an example cell)
    for line in path.read_text().splitlines():
        if line.startswith("# %%"):
            in_markdown = "[markdown]" in line
            example = "reader-example" in line
        elif not in_markdown and line.strip() and not line.lstrip().startswith("#"):
            code.append((line, example))
    assert path.read_text().count('"reader-example"') <= 1, f"{path.name}: one example cell"
    assert len(code) <= 80, f"{path.name}: {len(code)} code lines"
    for line in (line for line, example in code if not example):
        assert not re.match(r"\s*(def|class)\s", line), f"{path.name}: {line}"
        assert "lambda" not in line, f"{path.name}: {line}"
        assert not re.search(COMPARISON_WITH_NUMBER, line), f"{path.name}: a threshold: {line}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_prose_is_swallowed_by_a_code_cell(path):
    """A markdown heading or paragraph break written after code without its own ``# %%
    [markdown]`` marker becomes a comment of a (hidden) code cell and never reaches the page:
    chapter 06 lost its "The two cells, answered" section that way."""
    import re

    in_markdown = False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("# %%"):
            in_markdown = "[markdown]" in line
        elif not in_markdown:
            assert not re.match(r"#( #+ .*)?$", line), \
                f"{path.name}:{number}: markdown inside a code cell: {line!r}"
