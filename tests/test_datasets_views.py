"""The datasets chapter's library parts: its measurements, tables, plots, animation and widget."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sbcore.book import viz
from sbcore.data import DATASETS, slab_width
from sbcore.studies import view
from sbcore.studies.datasets import study
from sbcore.studies.datasets.widget import dataset_explorer, explorer_samples


@pytest.fixture(scope="module")
def tables():
    return study.compute(study.configs("smoke")["blocks"])


def test_config_reads_the_profile_section():
    for profile in ("smoke", "quick", "paper"):
        cfg = study.configs(profile)["blocks"]
        assert cfg["n"] > 0 and view(profile, "datasets")["frames"] >= 2
        assert cfg["gamma"] == 0.1 and cfg["B"] == 1.0 and cfg["p"] == 0.1
        assert "frames" not in cfg  # picture sizes are not hashed


def test_measured_ring_frequencies_are_near_the_design(tables):
    rings = tables["rings"]
    n = rings["n"].to_numpy()
    p = rings["design"].to_numpy()
    sd = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(rings["measured"] - p) <= 4 * sd + 1e-12)
    # each class's rings cover all its points
    assert np.allclose(rings.groupby(["block", "cls"])["measured"].sum(), 1.0)


def test_measured_noisy_linear_and_rotation(tables):
    res = type("R", (), {"metrics": tables["metrics"]})()
    n = study.configs("smoke")["blocks"]["n"]
    assert study.measured(res, "noisy linear: points inside the margin") == round(0.1 * n)
    assert study.measured(res, "rotation: max |Q Q^T - I|") < 1e-10
    assert study.measured(res, "rotation: max |unrotate(X) - Z|") < 1e-5
    with pytest.raises(KeyError, match="known"):
        study.measured(res, "nothing")
    m = tables["metrics"]
    assert {"study", "dataset", "model", "seed", "metric", "value"} <= set(m.columns)


def test_tables_cover_every_dataset_and_block():
    table = study.dataset_table()
    assert list(table["dataset"]) == list(DATASETS)
    adv = table.set_index("dataset").loc["advms-5-7"]
    assert adv["simple set S"] == "10 × 5-slab (γ=0.05)"
    geo = study.block_geometry()
    assert list(geo["thresholds"]) == [1, 2, 4, 6]
    assert geo["slab width w_k"].iloc[2] == pytest.approx(slab_width(5))


def test_plots_and_animation_are_self_contained():
    samples = study.block_samples(300)
    fig = viz.plot_block_histograms(samples, shade={"5-slab": (5, 0.1, 1.0)})
    assert len([a for a in fig.axes if a.get_visible()]) == 5
    plt.close("all")
    frames = study.gamma_frames(200, 3)
    assert [f["gamma"] for f in frames][0] == 0.0 and frames[-1]["gamma"] < 1 / 4
    html = viz.animation_html(viz.margin_animation(frames))
    assert "<script" in html and "data:image/png;base64" in html
    assert "http://" not in html and "https://" not in html  # no CDN on an offline site
    assert len(html) < 400_000


def test_widget_builds_and_refuses_impossible_parameters():
    lin, noisy, slab, y = explorer_samples(5, 0.1, 0.2, 500)
    assert (np.abs(noisy) < 0.1).sum() == 100
    with pytest.raises(ValueError, match="gamma"):
        explorer_samples(7, 0.2, 0.1, 500)
    with pytest.raises(ValueError, match="p must"):
        explorer_samples(5, 0.1, 1.5, 500)
    with pytest.raises(ValueError, match="n must"):
        explorer_samples(5, 0.1, 0.1, 0)
    box = dataset_explorer(n=200)
    sliders = [w for row in box.children[:2] for w in row.children]
    assert [s.description for s in sliders] == ["slabs k", "margin γ", "noise p", "points n"]
    plt.close("all")


def test_styled_table_hides_the_index_and_uses_the_theme_class():
    html = viz.styled_table(study.block_geometry(), {"gap 2Bγ": "{:.2f}"}).to_html()
    assert 'class="dataframe"' in html and "0.20" in html and "–" in html


@pytest.fixture(scope="module")
def stored(smoke_run):
    return smoke_run("datasets")["blocks"]


def test_chapter_numbers_come_from_the_stored_entry(stored):
    from sbcore.studies.datasets import findings, views

    n = views.numbers({"blocks": stored}, None, "smoke")
    cfg = stored.provenance["config"]["config"]
    assert n["n"] == cfg["n"] and n["gap"] == pytest.approx(2 * cfg["B"] * cfg["gamma"])
    assert n["w5"] == pytest.approx(slab_width(5)) and n["pieces7"] == 6
    assert n["design_5_neg_outer"] == pytest.approx(0.25)  # the paper's outer 5-slab ring
    assert abs(n["meas_5_neg_outer"] - 0.25) < 0.1
    assert n["noisy_inside"] == round(cfg["p"] * cfg["n"])
    assert n["best_noisy"] == pytest.approx(1 - cfg["p"] / 2)
    assert (n["adv_nS"], n["adv_nSc"], n["adv_g5"], n["adv_g7"]) == (10, 10, 0.05, 0.15)
    assert all(isinstance(v, (int, float)) for v in n.values())
    with pytest.raises(KeyError, match="ring 9"):
        findings.ring_value(stored.tables["rings"], 5, "negative", 9, "design")


def test_chapter_tables_and_figures(stored):
    from sbcore.studies.datasets import figures, views

    assert list(views.geometry_table(stored)["block"]) == ["linear", "3-slab", "5-slab",
                                                          "7-slab"]
    assert {"class", "positive side", "design", "measured"} <= set(views.rings_table(stored))
    for make, panels in ((figures.block_histograms, 5), (figures.noisy_linear, 2),
                         (figures.lms_canonical, 1), (figures.rotation, 3),
                         (figures.other_datasets, 3), (figures.slab_strips, 1)):
        fig = make(stored)
        assert len([ax for ax in fig.axes if ax.has_data()]) >= panels, make.__name__
        plt.close(fig)
    html = figures.margin_animation_html(frames=2, n_frame=50)
    assert "<script" in html or "<img" in html
