"""The datasets study's findings on fabricated tables with known answers."""

import pandas as pd
import pytest

from sbcore.studies.datasets import findings


def rings(measured_outer=0.25, n=10_000):
    rows = [("5-slab", "negative", 0, 0.5, 0.5), ("5-slab", "negative", 2, 0.5, 0.5),
            ("5-slab", "positive", 1, 0.75, 0.75), ("5-slab", "positive", 3, 0.25, 0.25),
            ("7-slab", "negative", 0, 0.4, 0.41), ("7-slab", "negative", 2, 0.6, 0.59),
            ("7-slab", "positive", 1, 0.75, 0.75), ("7-slab", "positive", 3, 0.25, 0.25)]
    t = pd.DataFrame(rows, columns=["block", "cls", "ring", "design", "measured"]).assign(n=n)
    t.loc[1, ["design", "measured"]] = (0.25, measured_outer)
    return t


def test_quoted_rings_reads_design_and_measured():
    out = findings.quoted_rings(rings())
    assert out["design_5_neg_outer"] == 0.25 and out["meas_7_neg_centre"] == 0.41
    assert set(out) == {f"{w}_{tag}" for tag in findings.QUOTED_RINGS for w in ("design", "meas")}
    with pytest.raises(KeyError, match="ring 9"):
        findings.ring_value(rings(), 5, "negative", 9, "design")


def test_rings_match_within_four_standard_errors():
    # sd of a 0.25 ring from 10,000 draws is 0.00433: 0.26 is 2.3 sd off, 0.30 is 11.5
    assert findings.rings_match(rings(0.26))
    assert not findings.rings_match(rings(0.30))
    assert findings.rings_match(rings(0.30, n=100))  # few draws: 0.05 is within 4 sd


def test_rotation_exact():
    assert findings.rotation_exact(1e-15, 3e-8)
    assert not findings.rotation_exact(1e-8, 3e-8)
    assert not findings.rotation_exact(1e-15, 1e-4)
