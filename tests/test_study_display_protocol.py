"""The display side of the study protocol: one ``numbers(results, stored, profile)`` for every
study, and prose modules that only write (no tables, no thresholds, short functions)."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from sbcore.studies import STUDIES

ROOT = Path(__file__).resolve().parent.parent
# Every study's prose module (the studies whose text has no branching shape have none).
PROSE = sorted(ROOT.glob("sbcore/studies/*/prose.py"))
MAX_LINES = 22  # "at most about 20 lines" a prose function


@pytest.mark.parametrize("study", STUDIES)
def test_numbers_has_one_signature(study):
    views = importlib.import_module(f"sbcore.studies.{study}.views")
    params = list(inspect.signature(views.numbers).parameters.values())
    assert [p.name for p in params] == ["results", "stored", "profile"]
    assert all(p.default is inspect.Parameter.empty for p in params)


@pytest.mark.parametrize("path", PROSE, ids=lambda p: p.parent.name)
def test_prose_writes_from_findings_only(path):
    tree = ast.parse(path.read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"pandas", "numpy"}, f"{path}: prose reads no tables"
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):  # a threshold is a finding's, named in findings.py
            numbers = [c for c in [node.left, *node.comparators]
                       if isinstance(c, ast.Constant) and isinstance(c.value, float)]
            assert not numbers, f"{path}:{node.lineno}: a threshold in prose"
        if isinstance(node, ast.FunctionDef):
            assert node.end_lineno - node.lineno + 1 <= MAX_LINES, f"{path}: {node.name}"
