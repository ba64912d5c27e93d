"""The images study's findings and the text written from them, on fabricated results with
known answers."""

from types import SimpleNamespace

import pandas as pd
import pytest

from sbcore.studies.images import findings, prose


def main_metrics(aucs: dict, accs=(0.5, 0.52)):
    rows = [dict(model=m, metric="S-randomized AUC", value=v) for m, vs in aucs.items()
            for v in vs]
    rows += [dict(model="SmallCNN", metric="S-randomized accuracy", value=v) for v in accs]
    rows += [dict(model="SmallCNN", metric=m, value=1.0)
             for m in ("standard accuracy", "Sc-randomized AUC")]
    return pd.DataFrame(rows)


def test_spans_and_means():
    m = main_metrics({"SmallCNN": [0.5, 0.6]})
    out = findings.spans(m)
    assert (out["s_acc_lo"], out["s_acc_hi"]) == (0.5, 0.52)
    assert (out["s_auc_lo"], out["s_auc_hi"]) == (0.5, 0.6) and out["acc_lo"] == 1.0
    parts = {"main": SimpleNamespace(metrics=m.assign(seed=0)), "alone": None}
    assert findings.mean(parts, "main", "S-randomized AUC", model="SmallCNN") == 0.55
    assert findings.mean(parts, "alone", "standard accuracy") != findings.mean(
        parts, "alone", "standard accuracy")  # NaN: the part did not run


def test_residual_above_the_papers_range():
    paper = [0.50, 0.52, 0.54]
    f = findings.residual(main_metrics({"Medium": [0.60, 0.62], "Small": [0.55, 0.57]}), paper)
    assert f.auc_by_model == {"Small": pytest.approx(0.56), "Medium": pytest.approx(0.61)}
    assert f.paper == (0.50, 0.54) and f.residual and f.lowest_and_highest == ("Small", "Medium")
    assert prose.residual_models(f) == "Small 0.56, Medium 0.61"
    assert f.flags() == {"residual": True, "residual_spread": True}
    # within RESIDUAL_MARGIN of the paper's highest: no residual
    g = findings.residual(main_metrics({"Small": [0.55, 0.55]}), paper)
    assert not g.residual and g.flags() == {"residual": False, "residual_spread": False}
    one = findings.residual(main_metrics({"Small": [0.60]}), paper)
    assert one.flags() == {"residual": True, "residual_spread": False}


def test_probe_effect_thresholds():
    assert findings.probe_effect(0.80, 0.70) == "better"
    assert findings.probe_effect(0.71, 0.70) == "same"
    assert findings.probe_effect(0.625, 0.745) == "worse"


def test_cifar_absence():
    assert findings.cifar_absence(False, False) == {"cifar_not_in_profile": True,
                                                    "cifar_not_found": False}
    assert findings.cifar_absence(False, True) == {"cifar_not_in_profile": False,
                                                   "cifar_not_found": True}
    assert findings.cifar_absence(True, True) == {"cifar_not_in_profile": False,
                                                  "cifar_not_found": False}
