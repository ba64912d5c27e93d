"""How much of each study's prose is written in Python, against its chapter's markdown.

Counting, per study:

* Python: every string literal and f-string of ``sbcore/studies/<study>/{views,prose,findings}.py``
  (the modules that write the chapter's text), docstrings left out. An f-string counts as the
  text of its literal parts joined; a literal is prose when it holds at least 3 words, so column
  names, metric names and format specifications do not count, nor does a name written as a
  Python identifier (a glued value's key such as "erm_s_auc", whose underscores would otherwise
  split it into words). A word is a run of letters
  (apostrophes and hyphens inside allowed).
* Markdown: the words of the chapter's markdown cells (``chapters/NN_<study>.py``), an inline
  ``{eval}`...``` value counting as one word, a ``{eval}`pick(flag, "...", "...")``` as the
  words of its two texts (written in the markdown, chosen by a finding).

The share is Python / (Python + markdown). Run from the repository root:
``python benchmarks/prose_share.py [study ...]``.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = {"extreme_sb": "03_extreme_sb", "toolbox": "05_toolbox", "plateau": "06_plateau",
            "generalisation": "09_generalisation", "defences": "10_defences",
            "datasets": "01_datasets", "measuring": "02_measuring", "theory": "04_theory",
            "images": "07_images", "perturbations": "08_perturbations", "testbed": "11_testbed"}
MODULES = ("views.py", "prose.py", "findings.py")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
MIN_WORDS = 3  # fewer is a column name, a metric or a unit, not a sentence


def _docstrings(tree) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def python_words(path: Path) -> int:
    tree = ast.parse(path.read_text())
    skip = _docstrings(tree)
    inside_fstring = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)
                      for v in n.values}
    total = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = " ".join(v.value for v in node.values
                            if isinstance(v, ast.Constant) and isinstance(v.value, str))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in skip and id(node) not in inside_fstring):
            text = node.value
        else:
            continue
        if text.strip().isidentifier():
            continue
        words = len(WORD.findall(text))
        total += words if words >= MIN_WORDS else 0
    return total


def _inline_words(m: re.Match) -> str:
    """An inline value as the words it stands for: a pick's two texts, or one word."""
    if m[1].lstrip().startswith("pick("):
        return " ".join(a or b for a, b in re.findall(r""""([^"]*)"|'([^']*)'""", m[1]))
    return "x"


def markdown_words(path: Path) -> int:
    total, in_markdown = 0, False
    for line in path.read_text().splitlines():
        if line.startswith("# %%"):
            in_markdown = "[markdown]" in line
        elif in_markdown and line.startswith("#"):
            total += len(WORD.findall(re.sub(r"\{eval\}`([^`]*)`", _inline_words, line[1:])))
    return total


def share(study: str) -> tuple[int, int, float]:
    folder = ROOT / "sbcore" / "studies" / study
    py = sum(python_words(folder / m) for m in MODULES if (folder / m).exists())
    md = markdown_words(ROOT / "chapters" / f"{CHAPTERS[study]}.py")
    return py, md, py / (py + md) if py + md else 0.0


def main(studies) -> None:
    rows = [(s, *share(s)) for s in studies or CHAPTERS]
    print(f"{'study':16s} {'python':>7s} {'markdown':>8s} {'share':>6s}")
    for s, py, md, f in rows:
        print(f"{s:16s} {py:7d} {md:8d} {f:6.0%}")
    py, md = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'all':16s} {py:7d} {md:8d} {py / (py + md):6.0%}")


if __name__ == "__main__":
    main(sys.argv[1:])
