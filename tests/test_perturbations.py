"""The perturbations study (chapter "Small perturbations, large failures"): configs, the
notebook-06 settings, and the chapter's views and figure on the smoke results. The paper's
finding at a CI scale is asserted in tests/test_attacks.py."""

from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import pytest

from sbcore.book import viz
from sbcore.studies import runner
from sbcore.studies.perturbations import figures, findings, prose, study, views


@pytest.fixture(scope="module")
def run(smoke_run):
    return smoke_run("perturbations")


@pytest.fixture(scope="module")
def result(run):
    return runner.merge(run)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_paper_profile_follows_notebook_06():
    cfgs = study.configs("paper")
    assert set(cfgs) == {"lms-5/(100,1)-FCN", "lms-5/(32,7,1)-CNN", "lms-5/(100,10,1)-GRU",
                         "ms-5-7/(100,1)-FCN", "images/mnist-fashion-A/DenseNet121",
                         "images/mnist-cifar-A/DenseNet121"}
    lms, ms = cfgs["lms-5/(100,1)-FCN"], cfgs["ms-5-7/(100,1)-FCN"]
    assert (lms["pgd"]["eps"], lms["pgd"]["step"], lms["pgd"]["iters"]) == (0.5, 0.05, 20)
    assert (lms["svd_pgd"], ms["svd_pgd"]) == (dict(eps=1.0, iters=30), dict(eps=0.5, iters=50))
    assert 1.0 in lms["norms"] and 0.5 in ms["norms"] and lms["d"] == 50


def test_mnist_cifar_is_attacked_only_where_cifar_is_found(monkeypatch):
    monkeypatch.delenv("SB_CIFAR10", raising=False)
    here = study.runnable("paper")
    assert "images/mnist-fashion-A/DenseNet121" in here
    assert not any("mnist-cifar" in name for name in here)


def test_every_attack_is_measured(result):
    c = result.tables["curves"]
    assert set(c["attack"]) == {"none", "PGD (per example)", "SVD-UAP", "AS-UAP",
                                "SVD-UAP, unsigned", "shift along S", "shift along Sᶜ"}
    assert study.AVERAGING in set(c["model"])
    # a shift along S spends its whole budget on S, one along Sᶜ none of it
    shifts = c[c["attack"].str.startswith("shift")].groupby("attack")["share_norm_ratio"]
    assert shifts.min()["shift along S"] > 0.999 and shifts.max()["shift along Sᶜ"] < 1e-6
    assert (c["accuracy"].between(0, 1)).all()


def test_views_and_figure(result, run):
    acc = views.summary(result, None, "smoke", "accuracy").data
    share = views.summary(result, None, "smoke", "share").data
    assert ("SVD-UAP accuracy", "paper") in acc.columns  # notebook 06's 0.0066 beside the FCN
    assert ("SVD-UAP share on S", "paper") in share.columns  # Fig. 4's 99.6%
    tables = [views.summary(result, None, "smoke", what).data for what in views.SUMMARIES]
    shown = [c[0] for v in tables for c in dict.fromkeys((c[0], c[1]) for c in v.columns)
             if c[0] not in ("dataset", "model", "seeds") and c[1] == "this run"]
    assert len(shown) == len(set(shown)) == 7  # every attack's metric in exactly one table
    with pytest.raises(ValueError, match="what must be one of accuracy, share, pgd, unsigned"):
        views.summary(result, None, "smoke", "curves")
    table = views.uap_cosines(result).data
    assert list(table.columns) == ["model", "other model", "|cosine|, this run"]  # none stored
    assert len(table) == 1 and 0 <= float(table["|cosine|, this run"].iloc[0]) <= 1
    n = views.numbers(run, None, "smoke")
    assert 0 <= n["uap_acc_lo"] <= n["uap_acc_hi"] <= 1
    assert n["averaging_holds"] is (n["avg_as_acc"] >= findings.AVERAGING_HOLDS)
    fig = figures.accuracy_vs_norm(result)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) >= 3


def test_the_slider_frames(result):
    pts = result.tables["crossing_points"]
    lms = pts[pts["dataset"] == "lms-5"]
    norms = study.configs("smoke")["lms-5/(16,1)-FCN"]["norms"]
    assert sorted(lms["norm"].unique()) == [0.0, *norms]
    # a UAP of norm r moves each point by at most r in the plane it is drawn in
    base = lms[lms["norm"] == 0.0][["s_value", "c_value"]].to_numpy()
    for norm, g in lms.groupby("norm"):
        moved = ((g[["s_value", "c_value"]].to_numpy() - base) ** 2).sum(1) ** 0.5
        assert moved.max() <= norm + 1e-4
    anim = figures.crossing_animation(result)
    assert len(list(anim.new_frame_seq())) == len(norms) + 1
    assert viz.animation_html(anim).count("frames[") >= len(norms) + 1  # every frame embedded


def test_the_image_part(result, run):
    """The domino CNN's UAP: its share on the MNIST pixels by both readings (the l2 mass is
    the square of the norm ratio's per-perturbation value), the table and the drawing."""
    n = views.numbers(run, None, "smoke")
    assert 0 <= n["img_mass"] <= 1 and abs(n["img_mass"] - n["img_share"] ** 2) < 1e-9
    assert n["img_paper"] == 0.993
    table = views.image_table(result)
    assert list(table["dataset"]) == ["MNIST-Fashion A"] and "UAP norm 8" in table.columns
    u = result.tables["uap"]
    assert len(u) == 3 * 64 * 32 and abs((u["value"] ** 2).sum() - 1) < 1e-4  # unit norm
    assert isinstance(figures.image_uap(result), matplotlib.figure.Figure)


def test_a_stored_paper_scale_run_shows_beside_this_one(result, run):
    """With a stored paper-scale run (here the smoke run stands in for it) the cosine table
    gets its column, with the same value for the same pair, and the recap a third bullet
    naming the stored models and the averaging classifier's accuracy under both UAPs."""
    table = views.uap_cosines(result, result).data
    assert list(table.columns)[2:] == ["|cosine|, this run", "|cosine|, stored paper-scale run"]
    assert (table.iloc[:, 2] == table.iloc[:, 3]).all()
    only_stored = views.uap_cosines(None, result).data
    assert only_stored["|cosine|, this run"].isna().iloc[0]
    assert ">–</td>" in views.uap_cosines(None, result).to_html()  # shown as a dash
    bullet = prose.stored_recap(views.stored_findings(run))
    m = result.metrics
    models = m[(m["model"] != study.AVERAGING) & m["dataset"].isin(findings.SYNTHETIC)][
        "model"].unique()
    assert bullet.startswith("* At the paper's scale") and all(x in bullet for x in models)
    avg = m[(m["model"] == study.AVERAGING) & (m["metric"] == "AS-UAP accuracy")]["value"]
    assert f"{avg.min():.3f} under an AS-UAP" in bullet
    assert views.stored_findings(None) is None and prose.stored_recap(None) == ""
