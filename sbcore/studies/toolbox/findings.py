"""What the toolbox study finds, as numbers and named booleans: how many of the cells that
learned read S alone, which reading of Table 6 the run matches, how much Table 8's filler moves
the S-randomised AUC, and what the Fig. 5 network reads from each start. Pure functions of
tables; the chapter's words are in the chapter and ``prose.py``."""

from __future__ import annotations

import pandas as pd

from sbcore.reliance import relies_only_on_S

# A network reaches the stop rule's accuracy when it learned the task; a cell whose mean test
# accuracy stays below this is flagged (its randomised AUCs say nothing about reliance).
LEARNED = 0.95
# The decision rule's tolerance: S-randomised AUC within this of 0.5, Sc-randomised AUC at
# least 1 minus this (the paper's rule for "relies on S alone").
RULE_TOL = 0.05
# Two readings of Table 6 closer than this (mean absolute AUC difference) match it equally:
# the table gives three decimals.
TIE = 5e-4
# From M_slab, the Fig. 5 network "also reads the linear coordinate" when randomising it brings
# the AUC below this; above, it barely reads it (near the learned level).
READS_LINEAR_BELOW = 0.95


def relies_on_S_alone(metrics: dict) -> dict:
    """Of the cells (``metrics``: part -> its metrics table, Fig. 5 left out) whose mean test
    accuracy reaches ``LEARNED``, how many read S alone by the decision rule on their means:
    ``n_only`` of ``n_learned``, and ``all_only``."""
    n_only = n_learned = 0
    for part, m in metrics.items():
        if m is None or part == "fig5":
            continue
        wide = m.pivot_table(index=["dataset", "d", "cell"], columns="metric", values="value")
        for _, row in wide[wide["standard accuracy"] >= LEARNED].iterrows():
            n_learned += 1
            n_only += bool(relies_only_on_S(row.to_dict(), RULE_TOL))
    return dict(n_only=n_only, n_learned=n_learned, all_only=n_only == n_learned)


def table6_reading(match: dict) -> dict:
    """Which of the two readings (``match``: dataset -> mean absolute difference from the
    paper's column) is closer, or ``tie`` when they differ by less than ``TIE``."""
    return dict(closer=min(match, key=match.get),
                tie=abs(match["lms-5"] - match["lms-7"]) < TIE)


def table6_verdicts(match: dict) -> dict:
    """The recap's Table 6 verdict as named booleans: ``table6_lms5_closer`` or
    ``table6_lms7_closer`` when that reading is closer, ``table6_tie`` when they match it
    equally (``table6_reading``); all False where fewer than the two readings ran."""
    reading = table6_reading(match) if len(match) == 2 else dict(closer=None, tie=False)
    return dict(table6_tie=reading["tie"],
                table6_lms5_closer=not reading["tie"] and reading["closer"] == "lms-5",
                table6_lms7_closer=not reading["tie"] and reading["closer"] == "lms-7")


def filler_gap(effect: pd.DataFrame) -> float:
    """The largest change of the S-randomised AUC that Table 8's filler makes against the
    same row without it (``effect``: ``views.filler_effect``)."""
    return float((effect["S-randomised AUC"] - effect["without filler"]).abs().max())


def fig5(metrics: pd.DataFrame) -> dict:
    """The Fig. 5 network from the random start (the smallest α) and from M_slab (the largest):
    its linear-randomised AUC at both, its 7-slabs-randomised AUC from M_slab, and whether from
    M_slab it also reads the linear coordinate."""
    by_alpha = (metrics[metrics["alpha"].notna()].groupby(["alpha", "metric"])["value"].mean()
                .unstack())
    a0, a1 = by_alpha.index.min(), by_alpha.index.max()
    lin1 = float(by_alpha.loc[a1, "S-randomized AUC"])
    return dict(alpha_lo=float(a0), alpha_hi=float(a1),
                lin_lo=float(by_alpha.loc[a0, "S-randomized AUC"]), lin_hi=lin1,
                slab_hi=float(by_alpha.loc[a1, "Sc-randomized AUC"]),
                reads_linear=lin1 < READS_LINEAR_BELOW)


def not_learned(cells: list[dict]) -> list[dict]:
    """The cells (``views.cell_summaries``) whose mean test accuracy stays below ``LEARNED``."""
    return [c for c in cells if c["test"] < LEARNED]


def short_of_stop_rule(cells: list[dict]) -> list[dict]:
    """The cells that learned the task (mean test accuracy at least ``LEARNED``) although some
    of their runs reached the update cap without meeting the stop rule (the paper trains every
    run to it)."""
    return [c for c in cells if c["test"] >= LEARNED and c["met"] < c["runs"]]


def caveats(this_run: list[dict], stored: list[dict]) -> dict:
    """The cells to caveat in this run and in the stored run (``views.cell_summaries`` of
    each): those that did not learn, those short of the stop rule, and whether every cell that
    did not learn is on MS-(5,7), where training first sits on the plateau of chapter 06
    (``plateau_explains``: so, and there is at least one such cell)."""
    this_not, stored_not = not_learned(this_run), not_learned(stored)
    on_plateau = all(c["dataset"] == "ms-5-7" for c in this_not + stored_not)
    return dict(not_learned=(this_not, stored_not),
                short=(short_of_stop_rule(this_run), short_of_stop_rule(stored)),
                all_on_plateau=on_plateau,
                plateau_explains=on_plateau and bool(this_not + stored_not))
