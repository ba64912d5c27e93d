"""The defences chapter's recap, written from the findings (``findings.py``) and the glued
numbers: the decisions are the findings' booleans, no threshold is read here."""

from __future__ import annotations

from sbcore.studies.defences.views import NAMES


def ensembles(n: dict, f: dict, model: str) -> list[str]:
    """The two ensemble bullets of this run (``findings.ensembles``)."""
    big = n["ens_max"]
    return [
        f"* Ensembles on MS-5: single {model}s reach {n['ms5_member']:.3f}; an ensemble of "
        f"{big} gains {n['ms5_avg_gain']:+.3f} by averaging logits and "
        f"{n['ms5_stack_gain']:+.3f} with a linear stacker fit on the validation split. The "
        f"pool reads {n['ms5_coords_pool']} distinct coordinates, "
        f"{n['ms5_coords_per_member']:.1f} per member: "
        + ("different members read different slabs, and combining them helps."
           if f["ms5_helps"] else "combining them does not help at this scale."),
        f"* Ensembles on noisy LMS-7 (p = {n['noise_p']:g}): single models reach "
        f"{n['lms7_member']:.3f}, an ensemble of {big} {n['lms7_avg_acc']:.3f} (averaged) and "
        f"{n['lms7_stack_acc']:.3f} (stacker); {n['lms7_top_members']} of "
        f"{n['ens_members']} members read the same coordinate"
        + (": they err together and the ensemble does not help." if not f["lms7_helps"] else
           ", yet the ensemble gains here.")]


def stored(rows: list[dict], verdicts: list[str]) -> list[str]:
    """A bullet per stored paper-scale dataset (``findings.against_paper`` per row)."""
    out = []
    for r, v in zip(rows, verdicts):
        verdict = {"none": "", "short": f", short of the paper's ≈{r['paper']:.2f}",
                   "as": f", as the paper's ≈{r['paper']:.2f}"}[v]
        out.append(f"* At the paper's scale (stored, a pool of {r['pool']}): on "
                   f"{NAMES.get(r['dataset'], r['dataset'])} ensembles of {r['size']} reach "
                   f"{r['avg_acc']:.3f} (averaged) and {r['stack_acc']:.3f} (stacker) from "
                   f"members at {r['member']:.3f}{verdict}.")
    return out


def adversarial(n: dict, f: dict, model: str) -> str:
    """The AdvMS-(5,7) bullet (``findings.adversarial``)."""
    parts = "; ".join(f"ε = {e:g}: standard {v['std']:.3f}, robust {v['rob']:.3f}, 5-slabs "
                      f"randomised {v['srand']:.3f}" for e, v in f["rows"].items())
    text = (f"* l2 adversarial training of the {model} on AdvMS-(5,7) ({n['adv_updates']:,} "
            f"updates): {parts}. ")
    if f["robust"]:
        text += (f"Robust at ε = {', '.join(f'{e:g}' for e in f['robust'])}; "
                 + ("there it reads the 5-slabs alone (5-slabs randomised: chance; 7-slabs "
                    "randomised: unchanged). " if f["robust_s_only"] else
                    "not every robust model reads the 5-slabs alone. "))
    if f["failed"]:
        text += f"At ε = {', '.join(f'{e:g}' for e in f['failed'])} training fails (near chance)."
    return text


def table11(n: dict, f: dict) -> str:
    """The Table 11 bullet (``findings.table11``)."""
    if f["reads_digit"]:
        end = ". Robust, yet at chance without the digit: it still reads the digit alone."
    elif not f["at_ok"]:
        end = (": at this budget adversarial training does not get off the ground, so this run "
               "says nothing about what a robust network reads (that needs the paper profile).")
    else:
        end = "."
    return (f"* Table 11 ({n['t11_models']}, l∞ ε = {n['t11_eps']:g}): SGD reaches "
            f"{n['t11_sgd_std']:.3f} standard and {n['t11_sgd_rob']:.3f} robust accuracy, "
            f"MNIST-randomised {n['t11_sgd_srand']:.3f}; adversarial training "
            f"({n['t11_at_updates']:.0f} updates) {n['t11_at_std']:.3f}, "
            f"{n['t11_at_rob']:.3f} and {n['t11_at_srand']:.3f}" + end)


def recap(f: dict) -> str:
    """The chapter's recap (markdown bullets) from ``views.recap_findings``."""
    n = f["numbers"]
    lines = ensembles(n, f["ensembles"], f["ens_model"]) + stored(f["stored"], f["against_paper"])
    lines += [adversarial(n, f["adversarial"], f["adv_model"]), table11(n, f["table11"])]
    return "\n".join(lines)
