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
# Members have memorised their training set at this training accuracy (the stop rule's
# 1 - 1e-3, rounded down to allow a few points left at the update cap).
MEMORISED = 0.99
# A randomised accuracy within this of 0.5 is at chance (a few points of test noise).
CHANCE_BAND = 0.06
# A member "reads" a coordinate when randomising it costs more than this test accuracy: above
# the noise of re-drawing one coordinate on the test set.
READS_COORDINATE = 0.02


def ensembles(ms5_avg_gain, ms5_stack_gain, lms7_avg_acc, lms7_stack_acc, lms7_member,
              **_) -> dict:
    """Whether the largest ensemble helps on MS-5 (its gain by either aggregation) and on noisy
    LMS-7 (its accuracy against its members); the glued numbers of that name, passed as
    ``ensembles(**numbers)``."""
    return dict(ms5_helps=bool(max(ms5_avg_gain, ms5_stack_gain) > HELPS),
                lms7_helps=bool(max(lms7_avg_acc, lms7_stack_acc) - lms7_member > HELPS))


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
    which training failed (standard accuracy below ``FAILED_BELOW``). ``s_alone``: some ε is
    robust and every robust model reads the 5-slabs alone; ``beyond_s``: some robust model reads
    more than them."""
    robust = [(e, abs(v["srand"] - 0.5) <= CHANCE_BAND and v["scrand"] >= LEARNED)
              for e, v in per_eps.items() if e > 0 and v["rob"] >= LEARNED]
    s_only = all(only for _, only in robust)
    return dict(rows=per_eps, robust=[e for e, _ in robust], robust_s_only=s_only,
                s_alone=bool(robust) and s_only, beyond_s=bool(robust) and not s_only,
                failed=[e for e, v in per_eps.items() if e > 0 and v["std"] < FAILED_BELOW])


def table11(t11_at_rob, t11_at_srand, **_) -> dict:
    """Whether Table 11's adversarial training got off the ground (robust accuracy at least
    ``FAILED_BELOW``) and, if so, whether it still reads the digit alone (MNIST-randomised
    accuracy below ``FAILED_BELOW``); the glued numbers, passed as ``table11(**numbers)``."""
    at_ok = bool(t11_at_rob >= FAILED_BELOW)
    return dict(at_ok=at_ok, reads_digit=at_ok and bool(t11_at_srand < FAILED_BELOW))


def sweep(rows: list[dict], paper_gain: float) -> dict:
    """What makes the ensembles gain, from the sweep's settings (``rows``: per setting its
    ``label``, the averaged-logit ``gain`` of its largest ensembles and its members' ``train``
    accuracy) against the paper's gain for that size: the settings that reproduce it (within
    ``HELPS`` or above), whether every setting whose members memorise (``MEMORISED``) falls
    short of it, and whether every reproducing setting's members leave their training set
    unfitted (``underfit_reproduce``)."""
    if not rows:
        raise ValueError("rows must hold at least one sweep setting, got none")
    reaches = [r for r in rows if r["gain"] >= paper_gain - HELPS]
    memorising = [r for r in rows if r["train"] >= MEMORISED]
    return dict(reproduced=[r["label"] for r in reaches],
                memorising_short=bool(memorising) and all(
                    r["gain"] < paper_gain - HELPS for r in memorising),
                underfit_reproduce=bool(reaches) and all(
                    r["train"] < MEMORISED for r in reaches))
