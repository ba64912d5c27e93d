"""The defences chapter's text where its shape branches: the stored paper-scale ensembles (a
sentence per stored dataset, only once a rerun is stored; the chapter shows it beside Fig. 6
and again in the recap) and the per-ε lists glued into the recap's fixed sentences. Written from the
findings (``findings.py``) and the glued numbers: the decisions are the findings', no threshold
is read here. The fixed sentences and the verdicts (picks on the findings' booleans) are in the
chapter."""

from __future__ import annotations


def _stored(r: dict) -> str:
    """One stored dataset's ensembles against their members and the paper's figure (a row of
    ``views.stored_ensembles`` with its ``label`` and ``findings.against_paper`` verdict)."""
    side = {"short": "short of", "as": "as"}.get(r["against"])  # "none": the paper has none
    paper = f", {side} the paper's ≈{r['paper']:.2f}" if side else ""
    return (f"on {r['label']} a pool of {r['pool']} networks reaches {r['member']:.3f} on "
            f"average, and its {r['ensembles']} ensembles of {r['size']} reach "
            f"{r['avg_acc']:.3f} by averaging logits ({r['avg_gain']:+.3f}) and "
            f"{r['stack_acc']:.3f} with the stacker ({r['stack_gain']:+.3f}){paper}")


def stored_ensembles(rows: list[dict], label: str) -> str:
    """The paragraph on the stored paper-scale run (``label``: its device and date)."""
    return f"**The stored paper-scale run** ({label}): " + "; ".join(map(_stored, rows)) + "."


def per_eps(rows: dict) -> str:
    """Each ε's standard, robust and 5-slabs-randomised accuracy (``findings.adversarial``'s
    rows), for the recap's AdvMS-(5,7) bullet."""
    return "; ".join(f"ε = {e:g}: standard {v['std']:.3f}, robust {v['rob']:.3f}, 5-slabs "
                     f"randomised {v['srand']:.3f}" for e, v in rows.items())


def eps_list(eps: list) -> str:
    """'ε = 0.1, 0.3', or 'no ε' for an empty list."""
    return f"ε = {', '.join(f'{e:g}' for e in eps)}" if eps else "no ε"
