"""The book shows what it showed before issue 27's refactor: every glued value and every table.

``pins/book_smoke.json`` holds them as tag ``pre27`` gave them at profile smoke, recorded by
``pins/record_book_pins.py`` (its docstring says how; the quick pins, ``pins/book_quick.json``,
are compared with ``python tests/pins/record_book_pins.py --compare quick``, too slow for a
test). This test reads the same smoke book as test_book.py (the ``smoke_book`` fixture) and
lists every difference: chapter, name or table row, pinned value, value now.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

PINS = Path(__file__).parent / "pins"


def _recorder():
    spec = importlib.util.spec_from_file_location("record_book_pins",
                                                  PINS / "record_book_pins.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_book_matches_its_pins(smoke_book):
    root, outcomes = smoke_book
    failed = sorted(name for name, o in outcomes.items() if not o.ok)
    assert not failed, f"chapters failed, nothing to compare: {failed}"
    recorder = _recorder()
    pinned = json.loads((PINS / "book_smoke.json").read_text())
    assert pinned["profile"] == "smoke"
    now = recorder.book_pins(root / "book")
    diffs = recorder.differences(pinned["chapters"], now)
    assert not diffs, f"{len(diffs)} differences from pins/book_smoke.json:\n" + "\n".join(diffs)
