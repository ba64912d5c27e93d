"""The extreme simplicity bias chapter's text whose shape branches: the cells that did not
learn, the control per network, where the stored run comes from. Written from the findings
(``findings.py``) and provenance; no threshold is read here. What the list of cells means and
the sentence around the stored run's origin are the chapter's."""

from __future__ import annotations

from sbcore.book.chapter import plural, sourced_bullets
from sbcore.data.labels import dataset_label


def not_learned(cells: list[dict]) -> list[str]:
    """One line per cell that did not learn (``findings.not_learned``)."""
    return [f"{dataset_label(c['dataset'])} (d = {c['d']}, {c['model']}): test "
            f"accuracy {c['test']:.3f}, train accuracy {c['train']:.3f}" for c in cells]


def caveats(this_run: list[dict], stored: list[dict]) -> list[str]:
    """A warning (MyST markdown) listing the cells that did not learn in this run and in the
    stored paper-scale run: a list of that one block, empty when every cell learned."""
    lines = sourced_bullets(not_learned(this_run), not_learned(stored))
    return [":::{warning}\n" + "\n".join(lines) + "\n:::"] if lines else []


def control_verdict(by_run: list[tuple[str, list[dict]]]) -> str:
    """One bullet per run, dataset and model of the S-removed control (``findings.control``)."""
    return "\n".join(
        f"* {label}, {dataset_label(c['dataset'])}, {c['model']}: test accuracy "
        f"{c['test']:.3f} ({plural(c['n'], 'seed')}): "
        + ("the complex coordinates were learned." if c["learned"]
           else "**not** learned with this recipe.")
        for label, cells in by_run for c in cells)


def stored_where(provenances: list[dict]) -> str:
    """'<devices> on <dates>' of the stored parts' provenances ('' when none is stored)."""
    if not provenances:
        return ""
    devices = dict.fromkeys(p.get("device_name", "an unrecorded device") for p in provenances)
    dates = dict.fromkeys(str(p.get("date", "an unrecorded date"))[:10] for p in provenances)
    return f"{' and '.join(devices)} on {' and '.join(dates)}"
