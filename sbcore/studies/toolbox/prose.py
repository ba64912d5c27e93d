"""The toolbox chapter's recap where its shape branches (the Table 6 and Table 8 bullets exist
only where those tables ran; the first bullet's verdict holds math), and the verdict phrase glued into its fixed sentences, written
from the findings (``findings.py``): no threshold is read here."""

from __future__ import annotations

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
    """The first bullet (``relies``), the Table 6 bullet (``match``, ``findings.table6_reading``; None where Table 6 has no two
    readings) and the Table 8 bullet (``findings.filler_gap``; None without filler rows)."""
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
