"""The defences study's findings on fabricated numbers with known answers, each threshold at its
edge: an ensemble helps, a stored ensemble against the paper, robust or failed adversarial
training and whether it reads the 5-slabs alone, Table 11's adversarial training."""

from __future__ import annotations

import math

from sbcore.studies.defences import findings as f


def test_an_ensemble_helps_only_past_the_margin():
    n = dict(ms5_avg_gain=0.01, ms5_stack_gain=0.03, lms7_avg_acc=0.90, lms7_stack_acc=0.91,
             lms7_member=0.90)
    assert f.ensembles(n) == dict(ms5_helps=True, lms7_helps=False)
    n.update(ms5_stack_gain=0.02, lms7_stack_acc=0.925)
    assert f.ensembles(n) == dict(ms5_helps=False, lms7_helps=True)


def test_a_stored_ensemble_against_the_paper():
    row = dict(avg_acc=0.80, stack_acc=0.85, paper=0.88)
    assert f.against_paper(row) == "short"  # 0.85 < 0.88 - HELPS
    assert f.against_paper(dict(row, paper=0.87)) == "as"
    assert f.against_paper(dict(row, paper=math.nan)) == "none"


def test_adversarial_training_robust_s_only_or_failed():
    rows = {0.0: dict(std=1.0, rob=0.5, srand=0.5, scrand=1.0),
            0.5: dict(std=1.0, rob=0.95, srand=0.45, scrand=0.95),
            1.0: dict(std=0.99, rob=0.97, srand=0.70, scrand=1.0),
            2.0: dict(std=0.59, rob=0.5, srand=0.5, scrand=0.5)}
    a = f.adversarial(rows)
    assert a["robust"] == [0.5, 1.0] and a["failed"] == [2.0] and not a["robust_s_only"]
    a = f.adversarial({e: v for e, v in rows.items() if e != 1.0})
    assert a["robust"] == [0.5] and a["robust_s_only"]  # robust and scrand at their edges
    a = f.adversarial({0.0: rows[0.0], 3.0: dict(rows[2.0], std=0.6)})
    assert a["robust"] == [] and a["failed"] == [] and a["robust_s_only"]


def test_table11_adversarial_training():
    assert f.table11(dict(t11_at_rob=0.6, t11_at_srand=0.5)) == dict(at_ok=True, reads_digit=True)
    assert f.table11(dict(t11_at_rob=0.9, t11_at_srand=0.6)) == dict(at_ok=True,
                                                                    reads_digit=False)
    assert f.table11(dict(t11_at_rob=0.59, t11_at_srand=0.5)) == dict(at_ok=False,
                                                                     reads_digit=False)


def test_the_verdict_phrases_follow_the_findings():
    from sbcore.studies.defences import prose

    v = prose.verdicts(dict(ms5_helps=True, lms7_helps=False),
                       dict(at_ok=False, reads_digit=False))
    assert v["ms5_verdict"].endswith("combining them helps.")
    assert v["lms7_verdict"].startswith(": they err together")
    assert "does not get off the ground" in v["t11_verdict"]
    assert prose.verdicts(dict(ms5_helps=False, lms7_helps=True),
                          dict(at_ok=True, reads_digit=True))["t11_verdict"].startswith(". Robust")
    assert prose.table11_verdict(dict(at_ok=True, reads_digit=False)) == "."
