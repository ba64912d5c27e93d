"""The defences study's findings on fabricated numbers with known answers, each threshold at its
edge: an ensemble helps, a stored ensemble against the paper, robust or failed adversarial
training and whether it reads the 5-slabs alone, Table 11's adversarial training."""

from __future__ import annotations

import math

import pytest

from sbcore.studies.defences import findings as f


def test_an_ensemble_helps_only_past_the_margin():
    n = dict(ms5_avg_gain=0.01, ms5_stack_gain=0.03, lms7_avg_acc=0.90, lms7_stack_acc=0.91,
             lms7_member=0.90)
    assert f.ensembles(**n, other=1.0) == dict(ms5_helps=True, lms7_helps=False)
    n.update(ms5_stack_gain=0.02, lms7_stack_acc=0.925)
    assert f.ensembles(**n) == dict(ms5_helps=False, lms7_helps=True)


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
    assert (a["s_alone"], a["beyond_s"]) == (False, True)
    a = f.adversarial({e: v for e, v in rows.items() if e != 1.0})
    assert a["robust"] == [0.5] and a["robust_s_only"]  # robust and scrand at their edges
    assert (a["s_alone"], a["beyond_s"]) == (True, False)
    a = f.adversarial({0.0: rows[0.0], 3.0: dict(rows[2.0], std=0.6)})
    assert a["robust"] == [] and a["failed"] == [] and a["robust_s_only"]
    assert (a["s_alone"], a["beyond_s"]) == (False, False)  # nothing robust: neither


def test_table11_adversarial_training():
    assert f.table11(t11_at_rob=0.6, t11_at_srand=0.5, other=1.0) == dict(at_ok=True,
                                                                         reads_digit=True)
    assert f.table11(t11_at_rob=0.9, t11_at_srand=0.6) == dict(at_ok=True, reads_digit=False)
    assert f.table11(t11_at_rob=0.59, t11_at_srand=0.5) == dict(at_ok=False, reads_digit=False)


def test_the_generated_text_from_the_findings():
    from sbcore.studies.defences import prose

    rows = {0.0: dict(std=0.9, rob=0.5, srand=0.5), 0.3: dict(std=0.95, rob=0.91, srand=0.52)}
    assert prose.per_eps(rows) == ("ε = 0: standard 0.900, robust 0.500, 5-slabs randomised "
                                   "0.500; ε = 0.3: standard 0.950, robust 0.910, 5-slabs "
                                   "randomised 0.520")
    assert prose.eps_list([0.1, 0.3]) == "ε = 0.1, 0.3" and prose.eps_list([]) == "no ε"
    row = dict(label="MS-5", pool=50, member=0.7261, ensembles=5, size=10, avg_acc=0.779,
               avg_gain=0.0536, stack_acc=0.883, stack_gain=0.157, paper=0.951, against="short")
    one = ("on MS-5 a pool of 50 networks reaches 0.726 on average, and its 5 ensembles of 10 "
           "reach 0.779 by averaging logits (+0.054) and 0.883 with the stacker (+0.157)")
    assert prose.stored_ensembles([row], "cpu, 2026-11-27") == (
        f"**The stored paper-scale run** (cpu, 2026-11-27): {one}, short of the paper's ≈0.95.")
    assert prose.stored_ensembles([dict(row, against="as"), dict(row, against="none")], "x") \
        == f"**The stored paper-scale run** (x): {one}, as the paper's ≈0.95; {one}."


def test_the_sweep_answer_at_its_edges():
    """A setting reproduces the paper's gain from HELPS below it (0.18 for a paper gain of
    0.20); members memorise from MEMORISED train accuracy (0.99)."""
    rows = [dict(label="a", gain=0.05, train=1.0),
            dict(label="b", gain=0.181, train=0.989),  # just inside: reproduces, not memorised
            dict(label="c", gain=0.179, train=0.99)]  # just short; memorises (the edge)
    s = f.sweep(rows, paper_gain=0.20)
    assert s == dict(reproduced=["b"], memorising_short=True, underfit_reproduce=True)
    rows[2]["gain"] = 0.181  # a memorising setting that reproduces
    s = f.sweep(rows, paper_gain=0.20)
    assert s == dict(reproduced=["b", "c"], memorising_short=False, underfit_reproduce=False)
    s = f.sweep([dict(label="a", gain=0.05, train=0.5)], paper_gain=0.20)
    assert s == dict(reproduced=[], memorising_short=False, underfit_reproduce=False)
    with pytest.raises(ValueError, match="at least one sweep setting"):
        f.sweep([], paper_gain=0.2)


def test_the_sweep_and_warm_up_text():
    from sbcore.studies.defences import prose

    n = dict(sweep_size=10, sweep_settings=3, sweep_base_gain=0.056, sweep_base_train=1.0,
             sweep_best="width 20", sweep_best_gain=0.2149, sweep_best_member=0.743,
             sweep_best_train=0.892, sweep_paper_gain=0.2, sweep_reproduced="width 20",
             sweep_memorising_max_gain=0.087, sweep_memorising_short=True,
             sweep_underfit_reproduce=True)
    text = prose.stored_sweep(n, "cpu, today")
    assert text.startswith("**The stored paper-scale sweep** (cpu, today): 3 settings; ")
    assert "the most with width 20: +0.215 (members' test accuracy 0.743, train accuracy " \
           "0.892), against the paper's ≈+0.20. Within 0.02 of it: width 20." in text
    assert text.endswith("+0.087, short of the paper's; every setting that reaches the "
                         "paper's gain has members that do not fit their training set.")
    assert prose.stored_sweep(dict(n, sweep_memorising_short=False,
                                   sweep_underfit_reproduce=False), "x").endswith(": +0.087.")
    assert prose.at_recipe(1, 200, 256, 0.3) == \
        "at ε = 0.3 from the start for at most 200 epochs (batch 256)"
    assert prose.at_recipe(1, 1, 256, 0.3).endswith("for at most 1 epoch (batch 256)")
    assert prose.at_recipe(6, 3, 64, 0.3).startswith(
        "with an ε warm-up: 6 stages of 3 epochs each (batch 64), at ε = 0.05, 0.1, ... up to "
        "0.3")
