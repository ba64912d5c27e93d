"""Pin what the book shows: every glued value and every table of every chapter, at a profile.

    python tests/pins/record_book_pins.py --profile smoke        # executes, writes book_smoke.json
    python tests/pins/record_book_pins.py --profile quick --book DIR   # reads an executed book/
    python tests/pins/record_book_pins.py --compare quick        # executes this tree, diffs pins

Recording executes every chapter with the book pipeline's ``execute`` (device cpu, seed 0, two
chapters at a time) into a temporary folder with its own results store that holds a copy of the
repository's committed ``results/paper`` and nothing else, as the ``smoke_book`` fixture of
tests/conftest.py does, so every smoke or quick entry is computed afresh and nothing under
``results/`` changes (the pins therefore also hold what the chapters read from the committed
``results/paper``). ``--compare`` does the same with the sbcore that is imported and prints
each difference from ``book_<profile>.json``; exit status 1 if there is any. The pins of issue
27 were recorded from a worktree of tag ``pre27``, with the ``data/`` of a checkout:

    git worktree add /tmp/pinbase pre27 && cd /tmp/pinbase
    PYTHONPATH=/tmp/pinbase SB_DATA_DIR=<checkout>/data python \
        <checkout>/tests/pins/record_book_pins.py --profile quick --out <checkout>/tests/pins/...

(``PYTHONPATH`` first wins over the editable install, in the pipeline's kernels too: they
inherit the environment; ``book_pipeline`` below makes sure that the pipeline, and so the
chapters, come from that same checkout.) From each notebook it takes

* every glued value: an output whose metadata has ``scrapbook: {name, mime_prefix}`` (what
  ``myst_nb.glue`` writes); the pinned value is the ``text/plain`` under ``mime_prefix`` (the
  value's repr: all its digits, whatever format the prose then applies);
* every table: each ``<table>`` in an output's ``text/html``, as its rows of cell texts
  (``<th>`` and ``<td>``, whitespace collapsed), in output order; read with the standard
  library's ``html.parser`` (no lxml in the venv for ``pandas.read_html``).

A chapter's glued values are keyed by name (a name glued twice gets ``name#2``), its tables by
their order in the chapter. ``EXCLUDED`` lists what legitimately differs between two runs of
the same code (found by executing the book twice at each profile and diffing); those values
(or table columns) are dropped before pinning and before comparing; an excluded whole table
stays as ``null`` so that the later tables keep their numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

PINS = Path(__file__).resolve().parent

# What varies from run to run of the same code, with the reason: (chapter, what, column) ->
# reason. ``what`` is a glued name or "table N" (N from 1, in the chapter's output order);
# ``column`` is None (the whole value or table) or a table's column, named by its header text:
# that column is dropped from the header row and from every row of the same length.
EXCLUDED: dict[tuple[str, str, str | None], str] = {
    ("03_extreme_sb", "table 4", "wall time (s)"): "mean wall time of a training run",
    ("05_toolbox", "table 8", "wall time (s)"): "wall time of each part's runs",
    ("07_images", "table 1", "seconds per run"): "wall time of a training run",
    ("07_images", "sweep_minutes", None): "the sweep's entries' wall time, summed",
    ("99_status", "total_minutes", None): "the book's execution time, summed from the timings",
    ("99_status", "table 1", "time (s)"): "each chapter's execution time",
    ("99_status", "table 1", "date (UTC)"): "when each chapter was executed",
    ("99_status", "table 1", "torch"): "the installed torch version, not the code's behaviour",
    # how much of the paper-scale ledger is stored grows with every run of the ledger (a GPU
    # lease, a CPU run), not with the code; the study rows and the stale and damaged counts stay
    ("99_status", "ledger_stored", None): "paper-scale entries stored so far",
    ("99_status", "ledger_missing", None): "paper-scale entries not stored yet",
    ("99_status", "table 2", "stored"): "paper-scale entries stored so far, per study",
    ("99_status", "table 2", "missing"): "paper-scale entries not stored yet, per study",
    ("99_status", "table 2", "made on"): "the devices of the stored entries",
    ("99_status", "table 2", "dates (UTC)"): "the dates of the stored entries",
}


# --- reading notebooks ------------------------------------------------------------------------

class _Tables(HTMLParser):
    """The tables of an HTML fragment: a list of tables, each a list of rows of cell texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self._stack, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
        elif tag in ("td", "th") and self._stack:
            if not self._stack[-1]:  # a cell outside any <tr>
                self._stack[-1].append([])
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._stack:
            self._stack[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._stack:
            self.tables.append([row for row in self._stack.pop() if row])

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_tables(html: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    parser.close()
    return parser.tables


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_pins(path: Path) -> dict:
    """{"glued": {name: text}, "tables": [rows, ...]} of one executed notebook."""
    nb = json.loads(Path(path).read_text())
    glued, tables = {}, []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            data, meta = out.get("data", {}), out.get("metadata", {})
            scrap = meta.get("scrapbook") if isinstance(meta, dict) else None
            if scrap and "name" in scrap:
                name, n = scrap["name"], 2
                while name in glued:
                    name, n = f"{scrap['name']}#{n}", n + 1
                prefix = scrap.get("mime_prefix", "")
                glued[name] = _text(data.get(prefix + "text/plain", ""))
                html = _text(data.get(prefix + "text/html", ""))
            else:
                html = _text(data.get("text/html", ""))
            if "<table" in html:
                tables.extend(html_tables(html))
    return {"glued": glued, "tables": tables}


def _drop_column(table: list, header: str) -> list:
    for head in table:
        if header in head:
            at, width = head.index(header), len(head)
            return [row[:at] + row[at + 1:] if len(row) == width else row for row in table]
    return table


def without_excluded(chapter: str, got: dict) -> dict:
    """``got`` (a chapter's notebook_pins) less what EXCLUDED names."""
    glued = {k: v for k, v in got["glued"].items()
             if (chapter, k.split("#")[0], None) not in EXCLUDED}
    tables = []
    for i, table in enumerate(got["tables"], 1):
        for (ch, what, column) in EXCLUDED:
            if ch == chapter and what == f"table {i}":
                table = None if column is None or table is None else _drop_column(table, column)
        tables.append(table)
    return {"glued": glued, "tables": tables}


def book_pins(book: Path) -> dict:
    """{chapter: notebook_pins} of an executed book folder, less the EXCLUDED values."""
    return {path.stem: without_excluded(path.stem, notebook_pins(path))
            for path in sorted(Path(book).glob("[0-9]*.ipynb"))}


# --- executing and comparing ------------------------------------------------------------------

def book_pipeline():
    """The pipeline module of the sbcore that is imported: ``sbcore.book.pipeline`` before issue
    27, ``sbcore.build.pipeline`` after. Chosen by the files of that very package: with
    PYTHONPATH on an older checkout, ``import sbcore.build`` would otherwise fall through to the
    editable install's newer copy (its finder resolves submodules missing from PYTHONPATH's
    sbcore), and run the new chapters against the old library."""
    import importlib

    import sbcore

    here = Path(sbcore.__file__).parent
    name = "build" if (here / "build" / "pipeline.py").exists() else "book"
    module = importlib.import_module(f"sbcore.{name}.pipeline")
    assert Path(module.__file__).resolve().is_relative_to(here.resolve()), module.__file__
    return module


def execute_book(profile: str, work: Path, jobs: int = 2,
                 names=None) -> tuple[Path, list[str]]:
    """Execute every chapter (or those ``names``) at ``profile`` into ``work/book`` with a
    fresh store ``work/results`` (a copy of the checkout's results/paper); returns the book
    folder and a line per failed chapter (a failed chapter leaves no notebook there)."""
    pipeline = book_pipeline()
    store = Path(work) / "results"
    if (pipeline.ROOT / "results" / "paper").exists():
        shutil.copytree(pipeline.ROOT / "results" / "paper", store / "paper")
    old = os.environ.get("SB_RESULTS")
    os.environ["SB_RESULTS"] = str(store)  # the kernels inherit it
    try:
        outcomes = pipeline.execute(names or None, refresh_status=not names,
                                    profile=profile, device="cpu", seed=0,
                                    out_dir=Path(work) / "book", jobs=jobs,
                                    failed_dir=Path(work) / "failed")
    finally:
        if old is None:
            os.environ.pop("SB_RESULTS", None)
        else:
            os.environ["SB_RESULTS"] = old
    failed = [f"{o.name}: failed at {profile}: {o.error.splitlines()[0] if o.error else '?'}"
              for o in outcomes if not o.ok]
    return Path(work) / "book", failed


def differences(pinned: dict, now: dict) -> list[str]:
    """One line per difference: chapter, name (or table and cell), pinned, now."""
    out = []
    for chapter in sorted(set(pinned) | set(now)):
        if chapter not in pinned:  # a chapter added since: what was pinned is unchanged
            continue
        if chapter not in now:
            out.append(f"{chapter}: chapter missing now")
            continue
        p, n = pinned[chapter], now[chapter]
        # a name glued now but not pinned is an addition (a verdict phrase chosen by a
        # finding, say): what the page showed before is unchanged, so it is no difference
        for name in sorted(p["glued"]):
            a, b = p["glued"][name], n["glued"].get(name, "<absent>")
            if a != b:
                out.append(f"{chapter}: {name}: pinned {a!r}, now {b!r}")
        pt, nt = p["tables"], n["tables"]
        if len(pt) != len(nt):
            out.append(f"{chapter}: {len(pt)} tables pinned, {len(nt)} now")
        for i, (a, b) in enumerate(zip(pt, nt), 1):
            if a == b:
                continue
            if a is None or b is None or len(a) != len(b):
                out.append(f"{chapter}: table {i}: pinned {a!r}, now {b!r}")
                continue
            for r, (ra, rb) in enumerate(zip(a, b)):
                if ra != rb:
                    out.append(f"{chapter}: table {i} row {r}: pinned {ra!r}, now {rb!r}")
    return out


def counts(pins: dict) -> tuple[int, int]:
    """(glued values, tables) pinned."""
    return (sum(len(c["glued"]) for c in pins.values()),
            sum(t is not None for c in pins.values() for t in c["tables"]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=("smoke", "quick"), help="record the pins of this profile")
    ap.add_argument("--compare", choices=("smoke", "quick"), metavar="PROFILE",
                    help="execute this tree at PROFILE, diff with tests/pins/book_PROFILE.json")
    ap.add_argument("--book", type=Path, help="read this executed book/ folder, do not execute")
    ap.add_argument("--keep", type=Path, help="execute into this folder (kept), not a temp one")
    ap.add_argument("--out", type=Path, help="pin file (default tests/pins/book_PROFILE.json)")
    ap.add_argument("--chapters", nargs="+", metavar="NAME",
                    help="with --compare: execute and compare only these chapters (06_plateau)")
    args = ap.parse_args(argv)
    profile = args.compare or args.profile
    if not profile or (args.compare and args.profile):
        ap.error("give either --profile or --compare")
    if args.chapters and not args.compare:
        ap.error("--chapters goes with --compare (a pin file holds every chapter)")
    import sbcore

    print(f"sbcore from {Path(sbcore.__file__).parent}", file=sys.stderr)
    if not args.book:
        print(f"pipeline {book_pipeline().__file__}", file=sys.stderr)
    pin_file = args.out or PINS / f"book_{profile}.json"
    failed = []
    with tempfile.TemporaryDirectory(prefix="book_pins.") as tmp:
        if args.book:
            book = args.book
        else:
            book, failed = execute_book(profile, args.keep or Path(tmp), names=args.chapters)
        pins = book_pins(book)
    if args.compare:
        pinned = json.loads(pin_file.read_text())["chapters"]
        if args.chapters:
            unknown = sorted(set(args.chapters) - set(pinned))
            if unknown:
                ap.error(f"--chapters: {', '.join(unknown)} not pinned; pinned: "
                         f"{', '.join(sorted(pinned))}")
            pinned = {c: pinned[c] for c in args.chapters}
            pins = {c: v for c, v in pins.items() if c in pinned}
        diffs = failed + differences(pinned, pins)
        print("\n".join(diffs) or f"no difference from {pin_file}")
        return 1 if diffs else 0
    if failed:
        print("\n".join(failed) + "\nnothing recorded", file=sys.stderr)
        return 2
    pin_file.write_text(json.dumps({"profile": profile, "chapters": pins}, indent=1,
                                   ensure_ascii=False) + "\n")
    glued, tables = counts(pins)
    print(f"{pin_file}: {glued} glued values and {tables} tables in {len(pins)} chapters")
    return 0


if __name__ == "__main__":  # the pipeline spawns processes that import this file as __main__'s
    sys.exit(main())
