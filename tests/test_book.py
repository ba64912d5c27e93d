"""The book end to end: every chapter executes at profile smoke, and the site builds from them.

One session-wide pipeline run executes every chapter in chapters/ into a temporary book root
(with its own results store, so each chapter really computes); each chapter is then its own test
result. The site is built from that root with ``jupyter-book build -W -n --keep-going``.
The pipeline's promises are checked too: bad input stops before any work, and a failing chapter
leaves the existing notebook and the results store as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from sbcore.build import pipeline

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = list(pipeline.chapter_sources())
# The smoke book and its site (fixtures smoke_book, killed_midway, built_site) are built in
# conftest.py, once per session, so that test_site_browser.py checks the same site.


def test_chapters_found():
    assert CHAPTERS and CHAPTERS[0] == "00_intro" and CHAPTERS[-1] == pipeline.STATUS_CHAPTER


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_executes_at_smoke(smoke_book, name):
    root, outcomes = smoke_book
    outcome = outcomes[name]
    assert outcome.ok, f"{name} failed: {outcome.error}"
    nb = nbformat.read(root / "book" / f"{name}.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters["profile"] == "smoke"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors


def test_injected_parameters_are_hidden(smoke_book):
    root, outcomes = smoke_book
    for name in CHAPTERS:
        if not outcomes[name].ok:
            continue
        nb = nbformat.read(root / "book" / f"{name}.ipynb", as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1, name
        assert "remove-cell" in injected[0].metadata.tags, name


def test_timings_recorded(smoke_book):
    root, outcomes = smoke_book
    records = json.loads((root / "book" / pipeline.TIMINGS).read_text())
    assert set(records) == set(CHAPTERS)
    for name, rec in records.items():
        assert rec["profile"] == "smoke" and rec["device"] == "cpu"
        assert rec["status"] == ("ok" if outcomes[name].ok else "failed")
        assert rec["seconds"] > 0


def test_site_builds_with_every_page(built_site, smoke_book, killed_midway):
    root, rc = built_site
    assert killed_midway, "the killed run left no temporary notebook: nothing was tested"
    assert rc == 0, "jupyter-book build -W -n --keep-going failed (see captured output)"
    html = root / "_build" / "html"
    assert not list(html.rglob(".*.html")), "a partial notebook was published"
    assert (html / "index.html").exists()
    for name, outcome in smoke_book[1].items():
        if outcome.ok:
            page = (html / "book" / f"{name}.html").read_text()
            assert "recompute = " not in page, f"{name}: a parameters cell is shown"
    assert (html / "_static" / "mathjax" / "tex-mml-chtml.js").exists()
    assert (html / "_static" / "widgets" / "embed-amd.js").exists()


def test_toc_lists_the_chapters():
    text = (ROOT / "_toc.yml").read_text()
    assert text == pipeline.toc_yaml(CHAPTERS), "_toc.yml is stale: run `make toc`"


# --- bad input stops before any work ----------------------------------------------------------

@pytest.mark.parametrize("kwargs, words", [
    (dict(profile="huge"), ["profile", "'huge'", "quick"]),
    (dict(device="tpu"), ["device", "'tpu'", "cpu"]),
    (dict(names=["07_nonsense"]), ["chapter", "'07_nonsense'", "00_intro"]),
    (dict(seed=-1), ["seed"]),
])
def test_bad_input_rejected_before_work(tmp_path, kwargs, words):
    out = tmp_path / "book"
    with pytest.raises(ValueError) as err:
        pipeline.execute(out_dir=out, **kwargs)
    for word in words:
        assert word in str(err.value)
    assert not out.exists()


def test_cli_reports_bad_profile(tmp_path):
    out = tmp_path / "book"
    proc = subprocess.run([sys.executable, "-m", "sbcore.build.pipeline", "execute", "--profile",
                           "bogus", "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "profile 'bogus' is unknown" in proc.stderr and "smoke, quick, paper" in proc.stderr
    assert not out.exists()


# --- a failing chapter loses nothing ----------------------------------------------------------

BROKEN_CHAPTER = '''# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters", "remove-cell"]
profile = "quick"
device = "cpu"
seed = 0
recompute = False

# %%
from sbcore import store
assert store.RESULTS.name == "results"

# %%
half_done = 1 / 0
'''


def _chapters_with(tmp_path: Path, **bodies: str) -> Path:
    """A chapters folder of tiny chapters: name -> the code of their one cell."""
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    for name, body in bodies.items():
        (chapters / f"{name}.py").write_text(BROKEN_CHAPTER.replace("half_done = 1 / 0", body))
    return chapters


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failing_chapter_keeps_previous_notebook_and_store(tmp_path, monkeypatch, capsys):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (chapters / "50_broken.py").write_text(BROKEN_CHAPTER)
    out = tmp_path / "book"
    out.mkdir()
    previous = out / "50_broken.ipynb"
    previous.write_bytes(b'{"a previous good notebook": true}')
    before = previous.read_bytes()
    store = tmp_path / "results"
    (store / "smoke" / "some_experiment" / "0123456789abcdef").mkdir(parents=True)
    (store / "smoke" / "some_experiment" / "0123456789abcdef" / "metrics.csv").write_text("x\n1\n")
    stored = _snapshot(store)
    monkeypatch.setenv("SB_RESULTS", str(store))

    rc = pipeline.main(["execute", "--profile", "smoke", "--chapters", str(chapters),
                        "--out", str(out)])

    assert rc == 1
    err = capsys.readouterr().err
    assert "50_broken" in err and "ZeroDivisionError" in err and "half_done = 1 / 0" in err
    assert previous.read_bytes() == before
    assert _snapshot(store) == stored
    assert sorted(p.name for p in out.iterdir()) == ["50_broken.ipynb", pipeline.TIMINGS]
    record = json.loads((out / pipeline.TIMINGS).read_text())["50_broken"]
    assert record["status"] == "failed" and "ZeroDivisionError" in record["error"]
    assert (tmp_path / "_build" / "failed" / "50_broken.ipynb").exists()  # for inspection


SLOW_CHAPTER = BROKEN_CHAPTER.replace("half_done = 1 / 0", "import time\ntime.sleep(60)")


def test_wedged_cell_times_out_instead_of_hanging(tmp_path):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (chapters / "60_slow.py").write_text(SLOW_CHAPTER)
    outcomes = pipeline.execute(profile="smoke", chapters_dir=chapters, out_dir=tmp_path / "book",
                                cell_timeout=2)
    # one try only: a timed-out cell fails the chapter, it is not executed again into an "ok"
    assert not outcomes[0].ok and "CellTimeoutError" in outcomes[0].error
    assert outcomes[0].seconds < 30
    record = json.loads((tmp_path / "book" / pipeline.TIMINGS).read_text())["60_slow"]
    assert record["status"] == "failed"
    assert not (tmp_path / "book" / "60_slow.ipynb").exists()


def test_chapter_past_its_wall_clock_limit_is_killed(tmp_path, monkeypatch):
    import psutil

    chapters = tmp_path / "chapters"
    chapters.mkdir()
    pid_file = tmp_path / "kernel.pid"
    monkeypatch.setenv("SB_TEST_PID_FILE", str(pid_file))  # the kernel inherits it
    (chapters / "61_hung.py").write_text(SLOW_CHAPTER.replace(
        "import time\n", "import os, time\nopen(os.environ['SB_TEST_PID_FILE'], 'w')"
        ".write(str(os.getpid()))\n"))
    outcomes = pipeline.execute(profile="smoke", chapters_dir=chapters, out_dir=tmp_path / "book",
                                cell_timeout=None, chapter_timeout=20)  # the cell sleeps 60 s
    assert not outcomes[0].ok and "ChapterTimeout" in outcomes[0].error
    assert 20 <= outcomes[0].seconds < 45
    assert not (tmp_path / "book" / "61_hung.ipynb").exists()
    assert not list((tmp_path / "book").glob(".61_hung.*"))  # no temporary notebook left
    # the kernel was killed with the chapter: gone, or a zombie, within moments (SIGKILL is
    # delivered asynchronously, and a loaded machine takes a while)
    deadline = time.monotonic() + 15
    while True:
        try:
            if psutil.Process(int(pid_file.read_text())).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        assert time.monotonic() < deadline, "the chapter's kernel survived its kill"
        time.sleep(0.2)


def test_a_cell_that_reached_the_timeout_counts_as_timed_out():
    # nbclient can return such a cell as a success (a lost execute_reply wakeup is read only
    # when the wait expires): the pipeline fails it from papermill's recorded duration
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1") for _ in range(3)])
    for cell, seconds in zip(nb.cells, [0.5, 600.01, 3.0]):
        cell.metadata["papermill"] = {"duration": seconds}
    assert pipeline.cells_past_timeout(nb, 600) == [(1, 600.01)]
    assert pipeline.cells_past_timeout(nb, None) == []


def test_an_interrupted_runs_leftover_is_moved_aside_by_the_next_run(tmp_path):
    chapters = _chapters_with(tmp_path, **{"50_fine": "x = 1"})
    out = tmp_path / "book"
    out.mkdir()
    (out / ".50_fine.ab12cd.ipynb").write_text('{"cells": "half written')
    lines = []
    outcomes = pipeline.execute(profile="smoke", chapters_dir=chapters, out_dir=out,
                                refresh_status=False, report=lines.append)
    assert outcomes[0].ok and (out / "50_fine.ipynb").exists()
    assert not list(out.glob(".*.ipynb"))
    assert any("interrupted earlier execution" in line for line in lines)
    assert (tmp_path / "_build" / "failed" / "50_fine.ipynb").exists()


def test_a_failed_notebook_moves_across_filesystems(tmp_path, monkeypatch):
    import errno

    src, dst = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    src.write_text("partial")
    real = os.replace
    calls = []

    def cross_device(a, b):
        if not calls:  # the first rename is across devices; the one beside dst is not
            calls.append((a, b))
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real(a, b)

    monkeypatch.setattr(pipeline.os, "replace", cross_device)
    pipeline.move_file(src, dst)
    assert calls and dst.read_text() == "partial" and not src.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.ipynb"]


def test_the_pipeline_repeats_a_chapters_store_warnings(tmp_path):
    chapters = _chapters_with(tmp_path, **{"50_warns": (
        "from sbcore.book import show_problems\n"
        "class R:\n    problems = ['stored paper entry x is damaged']\n"
        "show_problems(R())")})
    lines = []
    outcomes = pipeline.execute(profile="smoke", chapters_dir=chapters, out_dir=tmp_path / "b",
                                refresh_status=False, report=lines.append)
    assert outcomes[0].ok
    assert outcomes[0].warnings == ["sbcore warning: stored paper entry x is damaged"]
    assert any("[50_warns] sbcore warning: stored paper entry x is damaged" in line
               for line in lines)


def test_every_page_offers_its_executed_notebook(built_site, smoke_book):
    root, rc = built_site
    assert rc == 0
    html = root / "_build" / "html"
    for name, outcome in smoke_book[1].items():
        if not outcome.ok:
            continue
        page = (html / "book" / f"{name}.html").read_text()
        assert f'href="../_sources/book/{name}.ipynb"' in page, f"{name}: no download link"
        offered = html / "_sources" / "book" / f"{name}.ipynb"
        assert nbformat.read(offered, as_version=4).metadata.papermill.parameters[
            "profile"] == "smoke", f"{name}: the offered notebook is not the executed one"


def test_make_lab_installs_jupyterlab_on_demand_and_opens_the_chapters():
    out = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "pip install -r requirements-lab.txt" in out.stdout or "jupyter lab" in out.stdout
    assert "jupyter lab" in out.stdout and "chapters" in out.stdout
    pins = (ROOT / "requirements-lab.txt").read_text()
    assert "jupyterlab==" in pins  # an exact pin, like requirements.txt
    viewers = json.loads((ROOT / "lab" / "overrides.json").read_text())
    assert viewers["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["python"] \
        == "Jupytext Notebook"


def test_the_status_record_names_the_store_entries_a_chapter_used(tmp_path, monkeypatch):
    chapters = _chapters_with(tmp_path, **{"50_uses": (
        "from sbcore.studies import runner\n"
        "runner.run('measuring', profile, device, seed, recompute)\n"
        "runner.run('measuring', profile, device, seed, recompute)")})
    monkeypatch.setenv("SB_RESULTS", str(tmp_path / "results"))
    out = tmp_path / "book"
    outcomes = pipeline.execute(profile="smoke", chapters_dir=chapters, out_dir=out,
                                refresh_status=False)
    assert outcomes[0].ok, outcomes[0].error
    assert outcomes[0].used == "measuring smoke: 1 computed, 1 reused"
    record = json.loads((out / pipeline.TIMINGS).read_text())["50_uses"]
    assert record["used"] == outcomes[0].used and record["torch"].startswith("2.")


def test_usage_summary_names_the_device_and_date_of_stored_entries(tmp_path):
    path = tmp_path / "usage.jsonl"
    rows = [dict(study="extreme_sb", profile="paper", entry=f"main/{i}", how="stored",
                 device="NVIDIA H100 80GB HBM3", date="2026-11-27T04:40:24+00:00")
            for i in range(2)]
    rows.append(dict(study="extreme_sb", profile="paper", entry="wide/x", how="missing",
                     device="", date=""))
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert pipeline.summarize_usage(path) == (
        "extreme_sb paper: 2 stored, 1 missing (NVIDIA H100 80GB HBM3, 2026-11-27)")
    assert pipeline.summarize_usage(tmp_path / "none.jsonl") == ""


def test_stored_columns_name_the_device_and_date_of_their_run():
    import pandas as pd

    from sbcore.book import page_table, stored_label

    class Stored:
        provenance = {"device_name": "NVIDIA H100 80GB HBM3", "date": "2026-11-27T04:40:24+00:00"}

    table = pd.DataFrame({"metric": ["Sc-randomized AUC"], "stored paper-scale run": ["0.5"],
                          "this run": ["1"]})
    named = page_table(table, {"main": Stored(), "wide": None})
    assert list(named.columns) == ["metric",
                                   "stored paper-scale run (NVIDIA H100 80GB HBM3, 2026-11-27)",
                                   "this run"]
    assert named["metric"].tolist() == ["Sᶜ-randomised AUC"]  # the prose's spelling
    html = page_table(table.style.hide(axis="index"), Stored()).to_html()
    assert "NVIDIA H100 80GB HBM3, 2026-11-27" in html and "Sᶜ-randomised AUC" in html
    assert list(page_table(table, None).columns) == list(table.columns)
    assert stored_label({"x": None}) == ""


def test_a_part_merged_from_entries_of_two_machines_names_both():
    from sbcore.book import stored_label
    from sbcore.studies.runner import merge

    def entry(device, date):
        return type("Result", (), {"tables": {}, "provenance": {"device_name": device,
                                                                 "date": date}})()

    merged = merge({"t6/lms-5": entry("NVIDIA H100 80GB HBM3", "2026-11-27T13:52:00+00:00"),
                    "t6/ms-5-7": entry("cpu (x86_64, 2 cores)", "2026-11-28T19:41:22+00:00"),
                    "t6/lms-7": entry("NVIDIA H100 80GB HBM3", "2026-11-27T14:00:00+00:00"),
                    "t6/other": None})
    assert stored_label(merged) == ("NVIDIA H100 80GB HBM3, 2026-11-27; "
                                    "cpu (x86_64, 2 cores), 2026-11-28")


def _png_size(raw: bytes) -> tuple[int, int]:
    import struct

    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", raw[16:24])


def test_every_figure_fits_the_text_column(smoke_book):
    """A figure wider than the column is shrunk by the browser and its text becomes
    illegible; animation frames are drawn at the static figures' resolution."""
    import base64
    import re

    from sbcore.book.viz import COLUMN_PX

    root, outcomes = smoke_book
    too_wide, frames = [], []
    for name, outcome in outcomes.items():
        if not outcome.ok:
            continue
        nb = nbformat.read(root / "book" / f"{name}.ipynb", as_version=4)
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "image/png" in data:
                    width, _ = _png_size(base64.b64decode(data["image/png"]))
                    if width > COLUMN_PX * 1.02:  # tight bounding boxes add a few pixels
                        too_wide.append((name, i, width))
                html = data.get("text/html", "")
                if "Animation" in html:
                    first = re.search(r"data:image/png;base64,([A-Za-z0-9+/=\\\\n]+)", html)
                    raw = base64.b64decode(first.group(1).replace("\\\\n", "")[:64])
                    frames.append((name, i, _png_size(raw)[0]))
    assert not too_wide, f"figures wider than the {COLUMN_PX} px column: {too_wide}"
    assert frames and all(0.75 * COLUMN_PX <= w <= COLUMN_PX * 1.02 for *_, w in frames), frames


def test_the_overview_runs_after_the_chapters_whose_results_it_reads(tmp_path):
    chapters = _chapters_with(tmp_path, **{n: "x = 1"
                                           for n in ("00_overview", "01_first", "02_second")})
    lines = []
    pipeline.execute(profile="smoke", chapters_dir=chapters, out_dir=tmp_path / "book",
                     refresh_status=False, report=lines.append)
    started = [line.split("]")[0][1:] for line in lines if line.endswith("executing ...")]
    assert started == ["01_first", "02_second", "00_overview"]


def test_wide_table_groups_metrics_and_states_shared_seed_counts():
    import pandas as pd

    from sbcore.book import wide_table
    from sbcore.book.chapter import Cell

    class Stored:
        provenance = {"device_name": "NVIDIA H100 80GB HBM3", "date": "2026-11-27T04:40:24+00:00"}

    long = pd.DataFrame({
        "dataset": ["MS-(5,7)", "MS-(5,7)", "LMS-5", "LMS-5"],
        "model": ["(100,1)-FCN"] * 4,
        "metric": ["S-randomized AUC", "train accuracy"] * 2,
        "paper": [Cell.paper(0.5), "", Cell.paper(0.49, 0.01), ""],
        "stored paper-scale run": [Cell(0.5, 0.001, 5), Cell(1.0, 0.0, 5),
                                   Cell(0.501, 0.002, 5), Cell(1.0, 0.0, 4)],
        "this run": [Cell(0.51, 0.01, 3)] * 4})
    styled = wide_table(long, ["dataset", "model"], ["S-randomized AUC", "train accuracy"],
                        Stored(), "Reliance", "quick")
    t = styled.data
    assert list(t.columns) == [
        ("dataset", ""), ("model", ""), ("S-randomised AUC", "paper"),
        ("S-randomised AUC", "stored"), ("S-randomised AUC", "this run"),
        ("train accuracy", "stored"), ("train accuracy", "this run")]  # no paper number
    assert t[("dataset", "")].tolist() == ["MS-(5,7)", "LMS-5"]  # order as met
    assert t[("S-randomised AUC", "this run")].tolist() == [Cell(0.51, 0.01, 3)] * 2  # numbers
    html = styled.to_html()
    # this run's one count is in the caption, not in its cells
    assert '0.510<br><span class="sd">± 0.010</span>' in html and "(n=3)" not in html
    # the stored counts differ within a row: each stored cell keeps its own
    assert '1.000<br><span class="sd">± 0.000 (n=4)</span>' in html
    assert '0.500<br><span class="sd">± 0.001 (n=5)</span>' in html
    assert '0.49<br><span class="sd">± 0.01</span>' in html and ">0.50<" in html  # the paper's
    per_row = long.assign(**{"stored paper-scale run": [Cell(1.0, 0.0, 5)] * 4,
                             "this run": [Cell(0.5, 0.1, 3)] * 2 + [Cell(0.5, 0.1, 2)] * 2})
    styled = wide_table(per_row, ["dataset", "model"], ["train accuracy"], Stored())
    assert styled.data[("seeds", "this run")].tolist() == [3, 2]  # one count per row: a column
    shown = styled.to_html()
    assert "(n=" not in shown and '0.5<br><span class="sd">' not in shown
    assert shown.count('0.500<br><span class="sd">± 0.100</span>') == 2
    assert ">3<" in shown and ">2<" in shown and "5 seeds per cell" in shown
    assert "NVIDIA H100 80GB HBM3, 2026-11-27" in html and "3 seeds per cell" in html
    assert "Reliance." in html and ">0<" not in html  # no raw index
    with pytest.raises(ValueError, match="metrics"):
        wide_table(long, ["dataset"], ["standard AUC"])
    one_key = wide_table(long[long["dataset"] == "LMS-5"], ["dataset"], ["train accuracy"])
    assert one_key.data[("train accuracy", "this run")].tolist() == [Cell(0.51, 0.01, 3)]
    assert "(n=" not in one_key.to_html()
    nothing_stored = long.assign(**{"stored paper-scale run": "not yet run"})
    styled = wide_table(nothing_stored, ["dataset", "model"], ["train accuracy"], None)
    assert list(styled.data.columns)[2:] == [("train accuracy", "this run")]
    assert "stored: the paper-scale run (not yet run)" in styled.to_html()


def test_wide_table_decides_seed_counts_from_the_cells_numbers_not_their_text():
    """Known answers for the three places a count is said (caption, seeds column, cell), read
    from each Cell's n; a text note that happens to contain '(n=3)' is no count, and is shown
    as it is."""
    import pandas as pd

    from sbcore.book import wide_table
    from sbcore.book.chapter import Cell

    def long(this_run):
        return pd.DataFrame({"dataset": ["A", "A", "B", "B"], "model": ["m"] * 4,
                             "metric": ["x", "y"] * 2, "paper": [""] * 4,
                             "stored paper-scale run": ["not yet run"] * 4,
                             "this run": this_run})

    note = "not run here (n=3 at paper)"
    caption = wide_table(long([Cell(0.5, 0.1, 2), Cell(0.6, 0.1, 2), note, note]),
                         ["dataset", "model"], ["x", "y"], profile="quick")
    html = caption.to_html()
    assert "this run: quick profile, 2 seeds per cell" in html  # the note's '3' is no count
    assert ("seeds", "this run") not in caption.data.columns
    assert html.count(note) == 2 and "(n=2)" not in html  # the note intact, counts said once
    per_row = wide_table(long([Cell(0.5, 0.1, 2), Cell(0.6, 0.1, 2), Cell(0.5, 0.1, 4),
                               Cell(0.6, 0.1, 4)]), ["dataset", "model"], ["x", "y"])
    assert per_row.data[("seeds", "this run")].tolist() == [2, 4]
    assert "(n=" not in per_row.to_html() and "seeds per cell" not in per_row.to_html()
    per_cell = wide_table(long([Cell(0.5, 0.1, 2), Cell(0.6, 0.1, 3), Cell(0.5, 0.1, 4),
                                Cell(0.6, 0.1, 4)]), ["dataset", "model"], ["x", "y"])
    html = per_cell.to_html()
    assert ("seeds", "this run") not in per_cell.data.columns
    assert "± 0.100 (n=2)" in html and "± 0.100 (n=3)" in html and html.count("(n=4)") == 2
    # a note in a row (its count unknown) keeps that row's numbered cells' counts in them
    noted = wide_table(long([Cell(0.5, 0.1, 2), Cell(0.6, 0.1, 2), Cell(0.5, 0.1, 4), note]),
                       ["dataset", "model"], ["x", "y"])
    assert "(n=2)" in noted.to_html() and "(n=4)" in noted.to_html()


def test_status_lists_the_store_entries_each_chapter_used():
    import pandas as pd

    from sbcore.build import overview

    table = pd.DataFrame({"store entries used": ["measuring quick: 1 reused", ""]},
                         index=["02_measuring", "01_datasets"])
    assert overview.usage_markdown(table) == (
        "**Store entries used:**\n\n* `02_measuring`: measuring quick: 1 reused")
    assert overview.usage_markdown(table.iloc[1:]) == ""


def test_summary_view_puts_a_shared_seed_count_in_the_caption():
    import pandas as pd

    from sbcore.book import summary_view

    table = pd.DataFrame({"slab growth": ["1.337 ± 0.176", "1.294 ± 0.312"]},
                         index=pd.Index([10, 20], name="d"))
    counts = pd.DataFrame({"slab growth": [5, 5]}, index=table.index)
    styled = summary_view(table, "The sweep over d", counts)
    assert list(styled.data.columns) == ["d", "slab growth"]
    assert styled.data["slab growth"].tolist() == ["1.337 ± 0.176", "1.294 ± 0.312"]
    html = styled.to_html()
    assert "The sweep over d. Mean ± std over 5 runs per row." in html
    assert '1.337<br><span class="sd">± 0.176</span>' in html
    mixed = summary_view(table, "", counts.assign(**{"slab growth": [5, 4]}))
    assert mixed.data["slab growth"].tolist() == ["1.337 ± 0.176 (n=5)", "1.294 ± 0.312 (n=4)"]
    assert mixed.caption == ""
    unnumbered = summary_view(table.assign(**{"slab growth": ["0.5", "–"]}), "Cosines")
    assert unnumbered.caption == "Cosines." and unnumbered.data["slab growth"].tolist() == [
        "0.5", "–"]


def test_compare_table_adds_the_cells_only_the_stored_run_has_after_this_runs():
    import pandas as pd

    from sbcore.book.chapter import Cell, compare_table

    def tidy(cells):
        return pd.DataFrame([dict(dataset=ds, model="m", metric="AUC", seed=s, value=v)
                             for ds, v in cells for s in (0, 1)])

    paper = pd.DataFrame([dict(dataset="ms-5-7", model="m", metric="AUC", mean=0.5, std=0.01)])
    this, stored = tidy([("lms-7", 0.49), ("lms-5", 0.51)]), tidy([("ms-5-7", 0.5),
                                                                   ("lms-5", 0.5)])
    plain = compare_table(paper, this, stored)
    assert plain["dataset"].tolist() == ["lms-7", "lms-5"]  # this run's rows only
    assert plain["stored paper-scale run"].tolist() == ["not yet run", Cell(0.5, 0.0, 2)]
    assert [str(c) for c in plain["this run"]] == ["0.490 ± 0.000 (n=2)", "0.510 ± 0.000 (n=2)"]
    from sbcore.book.chapter import wide_table
    html = wide_table(plain, ["dataset", "model"], ["AUC"]).to_html()
    assert "not yet<br>run" in html and "not yet run<" not in html  # two lines, as a number
    wide = compare_table(paper, this, stored, stored_rows=True)
    assert wide["dataset"].tolist() == ["lms-7", "lms-5", "ms-5-7"]
    assert [str(c) for c in wide.iloc[2][["paper", "stored paper-scale run", "this run"]]] == \
        ["0.50 ± 0.01", "0.500 ± 0.000 (n=2)", "–"]
    assert wide.iloc[2]["paper"] == Cell.paper(0.5, 0.01)  # numbers, printed as the paper does


def test_wide_table_seed_counts_ignore_cells_not_yet_run():
    """A row whose stored cells are partly 'not yet run' still has one stored count: the
    seeds column says it (and '–' for a row with nothing stored) instead of every stored cell
    keeping its '(n=3)'."""
    import pandas as pd

    from sbcore.book import wide_table
    from sbcore.book.chapter import Cell

    long = pd.DataFrame({
        "dataset": ["LMS-5"] * 4 + ["MS-(5,7)"] * 2,
        "model": ["FCN", "FCN", "avg", "avg", "GRU", "GRU"],
        "metric": ["PGD accuracy", "PGD share on S"] * 3,
        "paper": [""] * 6,
        "stored paper-scale run": [Cell(0.0, 0.0, 3), Cell(0.956, 0.001, 3), Cell(0.0, n=1),
                                   Cell(0.04, n=1), "not yet run", "not yet run"],
        "this run": [Cell(0.0, 0.0, 2), Cell(0.954, 0.001, 2), Cell(0.0, n=1), Cell(0.118, n=1),
                     Cell(0.0, 0.0, 2), Cell(0.945, 0.0, 2)]})
    styled = wide_table(long, ["dataset", "model"], ["PGD accuracy", "PGD share on S"])
    t = styled.data
    assert t[("seeds", "stored")].tolist() == [3, 1, "–"]
    assert t[("seeds", "this run")].tolist() == [2, 1, 2]
    assert t[("PGD accuracy", "stored")].tolist() == [Cell(0.0, 0.0, 3), Cell(0.0, n=1),
                                                      "not yet run"]
    html = styled.to_html()
    assert "(n=" not in html and ">0.000<" in html and "not yet<br>run" in html
    mixed = long.assign(**{"stored paper-scale run": [Cell(0.0, 0.0, 3), Cell(0.956, 0.0, 2)]
                           + ["–"] * 4})
    html = wide_table(mixed, ["dataset", "model"], ["PGD accuracy", "PGD share on S"]).to_html()
    assert "± 0.000 (n=2)<" in html and "± 0.000 (n=3)<" in html  # differ: kept
