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


def at_recipe(stages: int, epochs: int, batch: int, eps: float) -> str:
    """How Table 11's adversarial training runs: at ε from the start, or with an ε warm-up in
    ``stages`` equal steps (the study's ``warmup_radii``)."""
    span = f"{epochs} epoch{'s' if epochs != 1 else ''}"
    if stages <= 1:
        return f"at ε = {eps:g} from the start for at most {span} (batch {batch})"
    return (f"with an ε warm-up: {stages} stages of {span} each (batch {batch}), at "
            f"ε = {eps / stages:g}, {2 * eps / stages:g}, ... up to {eps:g}, the attack's step "
            f"scaled with ε")


def stored_sweep(n: dict, label: str) -> str:
    """The paragraph on the stored paper-scale sweep (``n``: its ``views.sweep_numbers``;
    ``label``: its device and date), its verdicts the findings'."""
    size = n["sweep_size"]
    text = (f"**The stored paper-scale sweep** ({label}): {n['sweep_settings']} settings; with "
            f"Fig. 6's an ensemble of {size} gains {n['sweep_base_gain']:+.3f} (members' train "
            f"accuracy {n['sweep_base_train']:.3f}), the most with {n['sweep_best']}: "
            f"{n['sweep_best_gain']:+.3f} (members' test accuracy {n['sweep_best_member']:.3f}, "
            f"train accuracy {n['sweep_best_train']:.3f}), against the paper's "
            f"≈{n['sweep_paper_gain']:+.2f}. Within 0.02 of it: {n['sweep_reproduced']}. The "
            f"largest gain of a setting whose members memorise their training set: "
            f"{n['sweep_memorising_max_gain']:+.3f}")
    if n["sweep_memorising_short"]:
        text += ", short of the paper's"
    if n["sweep_underfit_reproduce"]:
        text += "; every setting that reaches the paper's gain has members that do not fit " \
                "their training set"
    return text + "."
