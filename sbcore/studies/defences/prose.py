"""The defences chapter's recap where its shape branches (a bullet per stored dataset, per ε),
and the verdict phrases glued into its fixed sentences, written from the findings
(``findings.py``) and the glued numbers: the decisions are the findings' booleans, no threshold
is read here."""

from __future__ import annotations

# The recap's verdicts, glued into its fixed sentences (chapter 10), chosen by the findings.
MS5_VERDICT = {True: "different members read different slabs, and combining them helps.",
               False: "combining them does not help at this scale."}
LMS7_VERDICT = {True: ", yet the ensemble gains here.",
                False: ": they err together and the ensemble does not help."}


def table11_verdict(f: dict) -> str:
    """The end of the Table 11 bullet (``findings.table11``)."""
    if f["reads_digit"]:
        return ". Robust, yet at chance without the digit: it still reads the digit alone."
    if not f["at_ok"]:
        return (": at this budget adversarial training does not get off the ground, so this run "
                "says nothing about what a robust network reads (that needs the paper profile).")
    return "."


def verdicts(ensembles: dict, table11: dict) -> dict:
    """The glued verdict phrases of the recap."""
    return dict(ms5_verdict=MS5_VERDICT[ensembles["ms5_helps"]],
                lms7_verdict=LMS7_VERDICT[ensembles["lms7_helps"]],
                t11_verdict=table11_verdict(table11))


def stored(rows: list[dict], verdicts: list[str]) -> list[str]:
    """A bullet per stored paper-scale dataset (``findings.against_paper`` per row)."""
    out = []
    for r, v in zip(rows, verdicts):
        verdict = {"none": "", "short": f", short of the paper's ≈{r['paper']:.2f}",
                   "as": f", as the paper's ≈{r['paper']:.2f}"}[v]
        out.append(f"* At the paper's scale (stored, a pool of {r['pool']}): on "
                   f"{r['label']} ensembles of {r['size']} reach "
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


def recap(f: dict) -> str:
    """The recap's bullets whose number depends on the run (``views.recap_findings``): one per
    stored paper-scale dataset, and the adversarial training's, with a bullet per ε; the fixed
    bullets are in the chapter."""
    lines = stored(f["stored"], f["against_paper"])
    return "\n".join(lines + [adversarial(f["numbers"], f["adversarial"], f["adv_model"])])
