"""The generalisation chapter's control sentence, whose shape branches (the runs that did not
learn MS-7 are named, one by one), written from the findings (``findings.control_runs``): no
threshold is read here."""

from __future__ import annotations

from sbcore.book.chapter import mean_std


def _run(r: dict) -> str:
    detail = [f"test {r['test']:.3f}"]
    if r["train"] is not None:
        detail.append(f"train {r['train']:.3f} at the end")
    if r["stop_update"] is not None:
        detail.append(f"the stop rule met at update {r['stop_update']:,}")
    return f"{r['model']} seed {r['seed']} ({', '.join(detail)})"


def control(f: dict, lead: str) -> str:
    """'<lead> reach 0.999 ± 0.003 (n=12) test accuracy ... Below 0.98: <model> seed <s>
    (<test>; ...)' for one source's controls; a run that met the stop rule and then lost its
    fit is told with its learning rate and momentum (the recipe keeps the last model)."""
    text = f"{lead} reach {mean_std(f['test'])} test accuracy from the same sample size."
    if not f["low"]:
        return text
    text += f" Below {f['learned']:g}: {'; '.join(map(_run, f['low']))}."
    if c := f["collapsed"]:
        text += (" Such a run reached the stop rule's train accuracy and then lost it during "
                 f"its patience updates (learning rate {c['lr']:g} with momentum "
                 f"{c['momentum']:g}); the recipe keeps the last model.")
    return text
