"""The toolbox chapter's text whose shape branches: the lists of cells that did not learn or
fell short of the stop rule, each only where there are such cells, written from the findings
(``findings.caveats``); no threshold is read here. What the lists mean, the recap and every
verdict are in the chapter's markdown."""

from __future__ import annotations

from sbcore.book.chapter import sourced_bullets


def _stop(c: dict) -> str:
    return f"{c['met']} of {c['runs']} runs met the stop rule within {c['updates']:,} updates"


def not_learned_line(c: dict) -> str:
    """A cell that did not learn, with how many of its runs met the stop rule."""
    return f"{c['where']}: test accuracy {c['test']:.3f}; {_stop(c)}"


def short_line(c: dict) -> str:
    """A cell that learned with runs short of the stop rule."""
    return (f"{c['where']}: test accuracy {c['test']:.3f}, train accuracy {c['train']:.3f}; "
            f"{_stop(c)}")


def caveats(f: dict) -> list[str]:
    """Markdown blocks (``findings.caveats``): a warning listing the cells that did not learn,
    a note listing those that learned with runs short of the stop rule; each only if not
    empty (the chapter's markdown says what they mean)."""
    blocks = []
    for kind, lead, key, line in (("warning", "Did not learn:", "not_learned", not_learned_line),
                                  ("note", "Short of the stop rule:", "short", short_line)):
        cells = sourced_bullets(*([line(c) for c in x] for x in f[key]))
        if cells:
            blocks.append(f":::{{{kind}}}\n{lead}\n\n" + "\n".join(cells) + "\n:::")
    return blocks
