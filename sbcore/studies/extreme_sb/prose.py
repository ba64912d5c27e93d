"""The extreme simplicity bias chapter's text whose shape branches: the cells that did not
learn, the control per network, where the stored run comes from. Written from the findings
(``findings.py``) and provenance; no threshold is read here."""

from __future__ import annotations

from sbcore.book.chapter import plural, sourced_bullets
from sbcore.data.labels import dataset_label


def not_learned(cells: list[dict]) -> list[str]:
    """One line per cell that did not learn (``findings.not_learned``)."""
    return [f"{dataset_label(c['dataset'])} (d = {c['d']}, {c['model']}): test "
            f"accuracy {c['test']:.3f}, train accuracy {c['train']:.3f}" for c in cells]


def caveats(this_run: list[dict], stored: list[dict]) -> list[str]:
    """A warning (MyST markdown) naming the cells that did not learn in this run and in the
    stored paper-scale run: a list of that one block, empty when every cell learned."""
    lines = sourced_bullets(not_learned(this_run), not_learned(stored))
    if not lines:
        return []
    return [":::{warning}\nIn these cells the networks did not learn the task, so the "
            "randomised metrics say nothing about reliance (a network at chance is 'invariant' "
            "to everything). Where train accuracy is high they memorised the training set "
            "instead of finding S:\n\n" + "\n".join(lines) + "\n:::"]


def control_verdict(by_run: list[tuple[str, list[dict]]]) -> str:
    """One bullet per run, dataset and model of the S-removed control (``findings.control``)."""
    return "\n".join(
        f"* {label}, {dataset_label(c['dataset'])}, {c['model']}: test accuracy "
        f"{c['test']:.3f} ({plural(c['n'], 'seed')}): "
        + ("the complex coordinates were learned." if c["learned"]
           else "**not** learned with this recipe.")
        for label, cells in by_run for c in cells)


def stored_from(provenances: list[dict], complete: bool) -> str:
    """One sentence: where and when the stored paper-scale run was computed (device and date
    of each stored part's provenance), or that none is stored."""
    if not provenances:
        return "No paper-scale run is stored yet, so that column reads 'not yet run'."
    devices = list(dict.fromkeys(p.get("device_name", "an unrecorded device")
                                 for p in provenances))
    dates = list(dict.fromkeys(str(p.get("date", "an unrecorded date"))[:10]
                               for p in provenances))
    text = (f"The stored paper-scale run was computed on {' and '.join(devices)} on "
            f"{' and '.join(dates)}")
    return text + ("" if complete else " (some of its entries are not stored yet)") + "."
