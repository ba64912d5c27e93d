"""The generalisation chapter's list of MS-7 control runs that did not learn, whose shape
branches (the runs are named one by one, each only where there is one), written from the
findings (``findings.control_runs``): no threshold is read here. The sentences around it are
in the chapter's markdown."""

from __future__ import annotations

from sbcore.book.chapter import sourced_bullets


def _run(r: dict) -> str:
    detail = [f"test {r['test']:.3f}"]
    if r["train"] is not None:
        detail.append(f"train {r['train']:.3f} at the end")
    if r["stop_update"] is not None:
        detail.append(f"the stop rule met at update {r['stop_update']:,}")
    if lost := r["lost_fit"]:
        detail.append(f"learning rate {lost['lr']:g} with momentum {lost['momentum']:g}")
    return f"{r['model']} seed {r['seed']} ({', '.join(detail)})"


def low_runs(this_run: dict, stored: dict | None) -> list[str]:
    """Markdown bullets, one per control run below the learned level, in this run and in the
    stored paper-scale run (``findings.control_runs`` of each; ``stored`` None where nothing
    is stored); a list of one block, or empty when every run learned."""
    lines = sourced_bullets([_run(r) for r in this_run["low"]],
                            [_run(r) for r in stored["low"]] if stored else [])
    return ["\n".join(lines)] if lines else []
