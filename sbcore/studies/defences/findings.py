"""What the defences study finds, as numbers and named booleans: whether an ensemble helps over
its members, how the stored paper-scale ensembles stand against the paper's figure, at which ε
adversarial training is robust, reads the 5-slabs alone or fails, and whether Table 11's
adversarial training got off the ground. Pure functions of the study's numbers (the glued
values of ``views.numbers``) and rows; the chapter's words are in the chapter and ``prose.py``."""

from __future__ import annotations

import math

# A model "learned" (or is robust) at this accuracy: near-perfect on the synthetic data, where
# the slabs are separable.
LEARNED = 0.95
# An ensemble "helps" when it gains more than this over its members: more than the seed-to-seed
# spread of the members' mean at these test sizes.
HELPS = 0.02
# Training "failed" when accuracy stays below this: near chance (0.5) on two balanced classes.
FAILED_BELOW = 0.6
# A randomised accuracy within this of 0.5 is at chance (a few points of test noise).
CHANCE_BAND = 0.06
# A member "reads" a coordinate when randomising it costs more than this test accuracy: above
# the noise of re-drawing one coordinate on the test set.
READS_COORDINATE = 0.02


def ensembles(n: dict) -> dict:
    """Whether the largest ensemble helps on MS-5 (its gain by either aggregation) and on noisy
    LMS-7 (its accuracy against its members)."""
    return dict(ms5_helps=max(n["ms5_avg_gain"], n["ms5_stack_gain"]) > HELPS,
                lms7_helps=max(n["lms7_avg_acc"], n["lms7_stack_acc"]) - n["lms7_member"] > HELPS)


def against_paper(row: dict) -> str:
    """A stored ensemble row's best accuracy against the paper's: 'short' (more than ``HELPS``
    below), 'as', or 'none' where the paper gives no number."""
    if not math.isfinite(row["paper"]):
        return "none"
    return "short" if max(row["avg_acc"], row["stack_acc"]) < row["paper"] - HELPS else "as"


def adversarial(per_eps: dict) -> dict:
    """Per ε (``per_eps``: ε -> std, rob, srand, scrand accuracies), the ε > 0 at which the model
    is robust (robust accuracy at least ``LEARNED``), whether each of those reads the 5-slabs
    alone (5-slabs randomised: at chance; 7-slabs randomised: still learned), and the ε > 0 at
    which training failed (standard accuracy below ``FAILED_BELOW``)."""
    robust = [(e, abs(v["srand"] - 0.5) <= CHANCE_BAND and v["scrand"] >= LEARNED)
              for e, v in per_eps.items() if e > 0 and v["rob"] >= LEARNED]
    return dict(rows=per_eps, robust=[e for e, _ in robust],
                robust_s_only=all(only for _, only in robust),
                failed=[e for e, v in per_eps.items() if e > 0 and v["std"] < FAILED_BELOW])


def table11(n: dict) -> dict:
    """Whether Table 11's adversarial training got off the ground (robust accuracy at least
    ``FAILED_BELOW``) and, if so, whether it still reads the digit alone (MNIST-randomised
    accuracy below ``FAILED_BELOW``)."""
    at_ok = n["t11_at_rob"] >= FAILED_BELOW
    return dict(at_ok=at_ok, reads_digit=at_ok and n["t11_at_srand"] < FAILED_BELOW)
