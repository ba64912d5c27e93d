"""The toolbox chapter's recap where its shape branches (the Table 6 and Table 8 bullets exist
only where those tables ran; the first bullet's verdict holds math), and the verdict phrase
glued into its fixed sentences, written from the findings (``findings.py``): no threshold is
read here."""

from __future__ import annotations

from sbcore.book.chapter import sourced_bullets

READS_LINEAR = {True: "also reads the linear coordinate",
                False: "barely reads the linear coordinate"}


def verdicts(fig5: dict) -> dict:
    """The glued verdict phrase of the recap's Fig. 5 bullet (``findings.fig5``)."""
    return dict(fig5_linear_verdict=READS_LINEAR[fig5["reads_linear"]])


def relies(r: dict) -> str:
    """The recap's first bullet (``findings.relies_on_S_alone``); generated, as its verdict
    holds math, which a glued phrase would show as text."""
    head = (f"* In {r['n_only']} of the {r['n_learned']} configurations that learned the task, "
            "the networks read $S$ alone by the decision rule")
    if r["all_only"]:
        return head + (": CNNs, GRUs, four activations, three optimisers, dropout, $\\ell_2$, "
                       "fewer complex coordinates and other initialisations do not change what "
                       "they rely on.")
    return head + f"; in the other {r['n_learned'] - r['n_only']} they do not (see the tables)."


def recap(relying: dict, match: dict, reading: dict | None, gap: float | None,
          names: dict) -> str:
    """The first bullet (``relies``), the Table 6 bullet (``match``,
    ``findings.table6_reading``; None where Table 6 has no two readings) and the Table 8
    bullet (``findings.filler_gap``; None without filler rows)."""
    lines = [relies(relying)]
    if reading is not None:
        lines.append(f"* Table 6: this run's LMS-5 and LMS-7 cells differ from the paper's "
                     f"column by {match['lms-5']:.3f} and {match['lms-7']:.3f} on average "
                     "(S-randomised AUC); " + ("the two readings match it equally."
                                               if reading["tie"] else
                                               f"{names[reading['closer']]} is the closer "
                                               "reading."))
    if gap is not None:
        lines.append(f"* Table 8: the uniform filler moves the S-randomised AUC by at most "
                     f"{gap:.3f} against the same rows without it.")
    return "\n".join(lines)


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
    """Markdown blocks (``findings.caveats``): a warning naming the cells that did not learn, a
    note naming those that learned with runs short of the stop rule; each only if not empty."""
    blocks = []
    if any(f["not_learned"]):
        plateau = ("\n\nEvery one of them is on MS-(5,7), where training first sits on a long "
                   "plateau at chance, which the next chapter, *The MS-(5,7) plateau*, "
                   "measures: a run still on it when training stops looks like a network that "
                   "cannot learn the task." if f["all_on_plateau"] else "")
        cells = sourced_bullets(*([not_learned_line(c) for c in x] for x in f["not_learned"]))
        blocks.append(":::{warning}\nIn these cells the networks did not learn the task (mean "
                      f"test accuracy below {f['learned']}), so their randomised AUCs say "
                      "nothing about reliance (a network at chance is 'invariant' to "
                      "everything):\n\n" + "\n".join(cells) + plateau + "\n:::")
    short = sourced_bullets(*([short_line(c) for c in x] for x in f["short"]))
    if short:
        blocks.append(":::{note}\nIn these cells the networks learned the task, but not every "
                      "run met the stop rule (train accuracy at least 1 − ε) before the update "
                      "cap, where the paper trains every run to it. Their reliance is read, as "
                      "for every run, from the checkpoint with the best validation "
                      "accuracy:\n\n" + "\n".join(short) + "\n:::")
    return blocks
