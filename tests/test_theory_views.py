"""The theory chapter's views and figures, on the smoke-profile results computed once."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sbcore.studies import runner, view
from sbcore.studies.theory import figures, findings, prose, simulation, study, views


@pytest.fixture(scope="module")
def smoke(smoke_run):
    return runner.merge(smoke_run("theory"))


@pytest.fixture(scope="module")
def cfg():
    return dict(study.config("smoke"), **view("smoke", "theory"))


@pytest.fixture(scope="module")
def nums(smoke_run):
    return views.numbers(smoke_run("theory"), None, "smoke")


def _mean(M, part, metric, **where):
    m = M[(M.part == part) & (M.metric == metric)]
    for key, value in where.items():
        m = m[m[key] == value]
    return float(m.value.mean())


# --------------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------------

def test_numbers_are_plain_and_name_every_glue_of_the_chapter(nums):
    from pathlib import Path

    from sbcore.book.inline_values import inline_names

    text = (Path(__file__).resolve().parent.parent / "chapters" / "04_theory.py").read_text()
    glued = inline_names(text)
    assert glued and glued <= set(nums), glued - set(nums)
    assert all(isinstance(v, (int, float, str)) for v in nums.values())
    assert nums["profile_name"] == "smoke"


def test_numbers_of_the_setting(nums, cfg):
    d, k = cfg["main"]["d"], cfg["main"]["k"]
    assert (nums["d"], nums["k"], nums["runs"]) == (d, k, cfg["main"]["runs"])
    assert nums["eta"] == pytest.approx(1 / math.sqrt(math.log(d)))
    assert nums["t_hat"] == simulation.theorem_steps(nums["eta"])
    assert nums["batch"] == d * d
    assert nums["sigma"] == pytest.approx(simulation.init_std(d, k, "lemma"))
    assert nums["sigma_statement"] < nums["sigma"]
    assert nums["w1_theory"] == pytest.approx(nums["t_hat"] * nums["eta"] / 2)
    assert nums["cn_min"] == pytest.approx(5 * math.sqrt(2) * 2)
    assert nums["logd_needed"] == pytest.approx(nums["cn_min"] ** 2)
    assert nums["m_max"] == pytest.approx(math.sqrt(5) / 2)


def test_numbers_match_the_tidy_metrics(smoke, nums, cfg):
    M = smoke.metrics
    assert nums["w1_main"] == pytest.approx(_mean(M, "main", "linear_sqrtk"))
    assert nums["slab_growth_main"] == pytest.approx(_mean(M, "main", "slab_growth"))
    assert nums["noise_growth_main"] == pytest.approx(_mean(M, "main", "noise_growth"))
    ds = cfg["sweep_d"]["ds"]
    assert (nums["d_lo"], nums["d_hi"]) == (min(ds), max(ds))
    assert nums["ratio_lo"] == pytest.approx(_mean(M, "sweep_d", "linear_to_slab", d=ds[0]))
    assert nums["ratio_hi"] == pytest.approx(_mean(M, "sweep_d", "linear_to_slab", d=ds[-1]))
    growth = [_mean(M, "sweep_d", "slab_growth", d=d) for d in ds]
    assert nums["growth_max"] == pytest.approx(max(growth))
    ks = cfg["sweep_k"]["ks"]
    assert (nums["k_lo"], nums["k_hi"], nums["d_k"]) == (min(ks), max(ks), cfg["sweep_k"]["d"])
    wk = [_mean(M, "sweep_k", "linear_sqrtk", k=k) for k in ks]
    assert (nums["wk_lo"], nums["wk_hi"]) == (pytest.approx(min(wk)), pytest.approx(max(wk)))
    rk = {k: _mean(M, "sweep_k", "linear_to_slab", k=k) for k in ks}
    wide = [r for k, r in rk.items() if k >= findings.WIDE_K]
    assert nums["k_wide"] == findings.WIDE_K
    assert nums["rk_mid_lo"] == pytest.approx(min(wide))
    assert nums["rk_mid_hi"] == pytest.approx(max(wide))
    assert nums["rk_small"] == pytest.approx(rk[ks[0]])
    errors = M[(M.part == "main") & (M.metric == "test errors")].value
    assert nums["errors"] == errors.sum()
    assert nums["n_test_total"] == cfg["n_test"] * cfg["main"]["runs"]
    assert nums["err_bound"] == pytest.approx(3 / nums["n_test_total"])
    assert nums["s_acc"] == pytest.approx(_mean(M, "main", "S-randomized accuracy"))
    # the theorem at smoke size: the slab weight stays small, x1 carries the prediction
    assert nums["w1_main"] > 1 and nums["slab_growth_main"] < 2
    assert abs(nums["s_acc"] - 0.5) < 0.1


def test_numbers_of_the_bands_and_gradient(smoke, nums):
    units, steps = smoke.tables["units"], smoke.tables["steps"]
    bands = findings.band_check(units, nums["d"], nums["k"], nums["eta"])
    assert nums["band_kept"] == pytest.approx(bands[findings.KEPT].min())
    assert nums["band_all_min"] == pytest.approx(
        bands[list(findings.BAND_NAMES.values())].min().min())
    assert 0 <= nums["band_all_min"] <= 1 and 0 <= nums["band_kept"] <= 1
    assert nums["live_min"] == pytest.approx(steps.live_fraction.min())
    z = findings.gradient_z(units)
    for part in findings.GRADIENT_PARTS:
        zp = z[z.part == part].z
        assert nums[f"z_rms_{part}"] == pytest.approx(math.sqrt((zp ** 2).mean()))
        assert nums[f"z3_{part}"] == pytest.approx((zp.abs() < 3).mean())


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------

def test_bands_table(smoke, nums):
    t = views.bands_table(smoke.tables["units"], nums["d"], nums["k"], nums["eta"])
    assert t.index.name == "step"
    assert list(t.index) == sorted(smoke.tables["units"].step.unique())
    assert list(t.columns) == list(findings.BAND_NAMES.values()) + [findings.KEPT]
    assert ((t >= 0) & (t <= 1)).all().all()


def test_gradient_table(smoke):
    t = views.gradient_table(smoke.tables["units"])
    assert list(t.index) == list(findings.GRADIENT_PARTS)
    assert list(t.columns) == ["rms", f"within_{findings.Z_WITHIN}", "largest", "count"]
    assert (t["count"] > 0).all() and (t["largest"] >= 0).all()


@pytest.mark.parametrize("table, by, part, values", [
    (views.sweep_d_table, "d", "sweep_d", "ds"),
    (views.sweep_k_table, "k", "sweep_k", "ks"),
    (views.variant_table, "variant", "variants", "names"),
])
def test_summary_tables(smoke, cfg, table, by, part, values):
    t, counts = table(smoke.metrics)
    assert t.index.name == by and list(t.index) == list(cfg[part][values])
    assert list(t.columns) == list(views.SUMMARY_COLUMNS.values())
    assert (counts == cfg[part]["runs"]).all().all() and counts.index.equals(t.index)
    assert t.map(lambda s: " ± " in s and "(n=" not in s).all().all()


def test_accuracy_table_without_a_stored_run(smoke):
    t = views.accuracy_table(smoke.metrics)
    assert list(t.columns) == ["dataset", "metric", "paper", "stored paper-scale run",
                               "this run"]
    assert sorted(t.metric) == sorted(views.ACCURACY_METRICS)
    assert (t["stored paper-scale run"] == "not yet run").all()
    paper = t.set_index("metric")["paper"]
    assert paper["S-randomized accuracy"] != "" and paper["standard accuracy"] == ""


def test_accuracy_table_fills_the_stored_column_from_another_width(smoke):
    """The stored paper-scale run has another d and k, hence another model label: its main
    part must still fill the stored column (it said 'not yet run' when rows were matched on
    the model)."""
    M = smoke.metrics
    stored = M.copy()
    stored["model"] = study.model_name(50)
    stored["d"], stored["k"] = 200.0, 50.0  # as read back from a CSV of another profile
    stored.loc[stored.part == "main", "value"] = 0.25
    t = views.accuracy_table(M, stored)
    assert (t["stored paper-scale run"].map(str) == "0.250 ± 0.000 (n=2)").all()
    assert (t["this run"] != "not yet run").all()
    # only the main part counts, also for the stored run
    only_sweeps = stored[stored.part != "main"]
    t = views.accuracy_table(M, only_sweeps)
    assert (t["stored paper-scale run"] == "not yet run").all()


def test_accuracy_table_with_the_stored_paper_run(smoke):
    stored = runner.merge(runner.lookup("theory", "paper"))
    if stored is None or not (stored.metrics.part == "main").any():
        pytest.skip("no stored paper-scale main run")
    t = views.accuracy_table(smoke.metrics, stored)
    assert not (t["stored paper-scale run"] == "not yet run").any()
    assert t.equals(views.accuracy_table(smoke.metrics, stored.metrics))


# --------------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------------

def _variant_metrics(rows: dict) -> pd.DataFrame:
    """Hand-made tidy metrics of the variants part: {variant: {metric: [values per seed]}}."""
    out = [dict(part="variant", variant=name, metric=metric, value=v, seed=s)
           for name, metrics in rows.items() for metric, values in metrics.items()
           for s, v in enumerate(values)]
    return pd.DataFrame(out)


def verdict(metrics):
    return prose.variant_verdict(findings.variants(metrics))


def _variant(s_acc, acc, ratio, growth, vs_noise):
    return {"S-randomized accuracy": s_acc, "standard accuracy": acc,
            "linear_to_slab": ratio, "slab_growth": growth, "slab_to_noise_coordinate": vs_noise}


def test_verdict_when_every_variant_ignores_the_slab():
    m = _variant_metrics({
        "theorem": _variant([0.50, 0.52], [1.0, 1.0], [40, 60], [1.0, 1.2], [0.5, 0.7]),
        "batch 8": _variant([0.48, 0.48], [0.9, 0.94], [4, 6], [3.0, 3.4], [1.0, 1.2])})
    text = verdict(m)
    assert text.startswith("In every variant")
    assert "within 0.020 of chance" in text
    assert findings.variants(m).numbers() == pytest.approx(dict(
        var_ratio_min=5.0, var_ratio_at="batch 8", var_growth_max=3.2, var_growth_at="batch 8",
        var_vs_noise_lo=0.6, var_vs_noise_hi=1.1, var_acc_min=0.92, var_acc_at="batch 8"))


def test_verdict_names_the_variants_that_leave_chance():
    m = _variant_metrics({
        "theorem": _variant([0.5], [1.0], [50], [1.0], [0.6]),
        "fan-in init": _variant([0.5 + findings.CHANCE_TOL + 0.01], [1.0], [2], [1.1], [1.0]),
        "all pushed": _variant([0.9], [0.95], [1.5], [1.0], [1.0])})
    text = verdict(m)
    assert text.startswith("Accuracy with the linear coordinate randomised leaves chance")
    assert '"fan-in init" (0.560), "all pushed" (0.900)' in text
    assert '"theorem"' not in text.split(";")[0]
    # inside the tolerance is still chance
    edge = _variant_metrics({"theorem": _variant([0.5 + findings.CHANCE_TOL / 2], [1.0], [50],
                                                 [1.0], [0.6])})
    assert verdict(edge).startswith("In every variant")


def test_verdict_on_the_smoke_run(smoke):
    text = verdict(smoke.metrics)
    assert text.endswith(".") and "chance" in text


def test_stored_sweep_note(smoke):
    assert prose.stored_sweep_note(findings.stored_sweep_device(None)) == ""
    stored = type("Stored", (), dict(metrics=smoke.metrics,
                                     provenance={"device_name": "NVIDIA H100"}))()
    note = prose.stored_sweep_note(findings.stored_sweep_device(stored))
    assert note.endswith("device NVIDIA H100):")
    stored.metrics = smoke.metrics[smoke.metrics.part != "sweep_d"]
    assert prose.stored_sweep_note(findings.stored_sweep_device(stored)) == ""


def test_widget_settings_cap_the_main_run():
    assert views.widget_settings(dict(main=dict(d=200, k=50))) == dict(
        d=views.WIDGET_MAX_D, k=views.WIDGET_MAX_K, runs=views.WIDGET_RUNS)
    assert views.widget_settings(dict(main=dict(d=12, k=8)))["d"] == 12


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("draw, n_axes", [
    (lambda r, n, c: figures.plot_trajectory(r.tables["units"], r.tables["steps"], n["d"],
                                             n["k"], n["eta"]), 4),
    (lambda r, n, c: figures.plot_gradient_check(r.tables["units"]), 5),
    (lambda r, n, c: figures.plot_ratio_vs_d(r.metrics, c["init_reading"]), 2),
    (lambda r, n, c: figures.plot_width(r.metrics), 3),
    (lambda r, n, c: figures.plot_variants(r.metrics), 4),
])
def test_figures(smoke, nums, cfg, draw, n_axes):
    fig = draw(smoke, nums, cfg)
    try:
        assert isinstance(fig, Figure) and len(fig.axes) == n_axes
        assert all(ax.has_data() for ax in fig.axes)
    finally:
        plt.close(fig)


def test_trajectory_animation_html(smoke):
    html = figures.trajectory_animation_html(smoke.tables["units"], max_frames=2)
    assert "<script" in html and "font-awesome" not in html
