"""The theory study's findings on fabricated tables with known answers (the verdict's text on
them is tested in test_theory_views)."""

from types import SimpleNamespace

import pandas as pd
import pytest

from sbcore.studies.theory import findings


def variant_metrics(rows):
    return pd.DataFrame([dict(part="variant", variant=name, metric=metric, value=v, seed=s)
                         for name, metrics in rows.items() for metric, values in metrics.items()
                         for s, v in enumerate(values)])


def one(s_acc, acc, ratio, growth, vs_noise):
    return {"S-randomized accuracy": s_acc, "standard accuracy": acc, "linear_to_slab": ratio,
            "slab_growth": growth, "slab_to_noise_coordinate": vs_noise}


def test_variants_known_answer():
    f = findings.variants(variant_metrics({
        "theorem": one([0.50, 0.52], [1.0, 1.0], [40, 60], [1.0, 1.2], [0.5, 0.7]),
        "batch 8": one([0.48, 0.48], [0.9, 0.94], [4, 6], [3.0, 3.4], [1.0, 1.2]),
        "fan-in": one([0.60, 0.60], [1.0, 1.0], [2, 2], [1.0, 1.0], [0.9, 0.9])}))
    assert f.off_chance == {"fan-in": pytest.approx(0.6)} and not f.all_at_chance
    assert f.max_from_chance == pytest.approx(0.1)
    assert f.ratio == (2.0, "fan-in") and f.growth == (pytest.approx(3.2), "batch 8")
    assert f.vs_noise == (pytest.approx(0.6), pytest.approx(1.1))
    assert f.accuracy == (pytest.approx(0.92), "batch 8")


def test_variants_at_chance_inside_the_tolerance():
    edge = 0.5 + findings.CHANCE_TOL / 2
    f = findings.variants(variant_metrics({"theorem": one([edge], [1.0], [50], [1.0], [0.6])}))
    assert f.all_at_chance and f.off_chance == {}


def test_per_setting_means_over_seeds():
    m = variant_metrics({"a": one([0.4, 0.6], [1, 1], [1, 3], [1, 1], [1, 1])})
    assert findings.per_setting(m, "variant", "linear_to_slab", "variant")["a"] == 2.0


def test_stored_sweep_device():
    sweep = pd.DataFrame(dict(part=["sweep_d"]))
    assert findings.stored_sweep_device(None) is None
    assert findings.stored_sweep_device(
        SimpleNamespace(metrics=sweep, provenance={"device_name": "H100"})) == "H100"
    assert findings.stored_sweep_device(
        SimpleNamespace(metrics=sweep.assign(part="main"), provenance={})) is None
