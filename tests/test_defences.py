"""The defences study (chapter "Ensembles and adversarial training do not help"): configs and
bad input, the stacker, the attacks staying in their balls, the findings at a CI scale, and
the chapter's views and figures on the smoke results."""

from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from sbcore.data import make_dataset
from sbcore.studies import runner
from sbcore.studies.defences import figures, views
from sbcore.studies.defences import study as ds

NONE_STORED = {part: None for part in ds.PARTS}
# Fig. 6 at a CI scale (see the test): MS-5 at d = 20
CI_MS5_TRAIN = 800  # members near 0.72, an ensemble of 6 gains about +0.12 (stacker)
CI_UPDATES = 1_500


@pytest.fixture(scope="module")
def results(smoke_run):
    return runner.parts("defences", smoke_run("defences"))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- configs and bad input -------------------------------------------------------------------

def test_paper_profile_keeps_the_papers_settings():
    cfgs = ds.configs("paper")
    adv = cfgs["advms/(200,2)-FCN/eps=0.1"]
    sched = ds.advms_schedule(adv)
    assert (adv["d"], adv["n_train"], adv["epochs"], adv["lr"], adv["lr_decay"]) == \
        (20, 6_000, 4_000, 0.1, 0.1)
    assert sched["lr_decay_every"] == 1_000 * sched["per_epoch"]
    assert (adv["iters"], adv["step"]) == (40, 0.1)
    assert {c["model"] for c in cfgs.values() if c["part"] == "advms"} == \
        {"(200,2)-FCN", "(1000,2)-FCN"}
    at = cfgs["table11/mnist-cifar-A/ResNet50/AT-paper/seed=0"]
    assert at["eps"] == 0.3 and at["attacks"] == {"paper": dict(step=0.1, iters=40),
                                                  "code": dict(step=0.12, iters=7)}
    ens = cfgs["ensembles/noisy-lms-7"]
    assert ens["p"] == 0.5 and set(ens["sizes"]) >= {3, 5, 10}
    # every entry of the paper profile names its slice; MNIST-CIFAR only where CIFAR-10 is
    assert all(ds.cost(c) > 0 for c in cfgs.values())


def test_mnist_cifar_runs_only_where_cifar_is_found(monkeypatch):
    monkeypatch.delenv("SB_CIFAR10", raising=False)
    names = ds.runnable("paper")
    assert names and not any("mnist-cifar" in n for n in names)
    assert views.absent_text("mnist-cifar-A") == "*MNIST-CIFAR A: not run.*"


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="part 'nope' is unknown"):
        ds.compute({"part": "nope"})
    with pytest.raises(ValueError, match="margins"):
        ds.fit_stacker(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="FCN"):
        ds._fcn_shape("(4,3,1)-CNN")
    with pytest.raises(ValueError, match="profile"):
        ds.configs("huge")


def test_ensembles_are_disjoint_groups_of_the_pool():
    assert ds.ensemble_groups(10, 3) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert ds.ensemble_groups(10, 10) == [list(range(10))]


def test_the_stacker_trusts_the_informative_member():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = (2 * y - 1) * 2.0 + rng.normal(0, 1, 400)
    noise = rng.normal(0, 3, (400, 2))
    w = ds.fit_stacker(np.column_stack([noise[:, 0], good, noise[:, 1]]), y)
    assert w[1] > 5 * max(abs(w[0]), abs(w[2]))
    margins = np.column_stack([noise[:, 0], good, noise[:, 1]])
    assert np.mean((ds.stack_scores(w, margins) > 0) == y) > 0.9


# --- the attacks stay in their balls ---------------------------------------------------------

def test_the_advms_adversary_stays_in_each_models_l2_ball():
    """The stacked FCNs' attack as AdvMS training uses it: each model in its own ball."""
    from sbcore.attacks import PGDAdversary
    from sbcore.training import init_fcn
    from sbcore.training.stacked import batch_logits, stack_fcns

    data = make_dataset("advms-5-7", n_train=64, n_test=2, d=20, seed=0)
    params = stack_fcns([init_fcn(20, 8, 2, s) for s in (0, 1, 2)], "cpu")
    x = torch.as_tensor(data.train.X).unsqueeze(0).expand(3, -1, -1).contiguous()
    y = torch.as_tensor(data.train.y).unsqueeze(0).expand(3, -1).contiguous()
    eps = torch.tensor([0.0, 0.1, 0.3])
    adversary = PGDAdversary(eps.tolist(), norm="l2", iters=5, seed=0)
    delta = adversary(lambda z: batch_logits(params, z), x, y, [0, 1, 2]) - x
    norms = delta.norm(dim=-1)
    assert torch.all(norms <= eps.view(-1, 1) + 1e-5)
    assert norms[2].mean() > 0.9 * 0.3  # the attack uses its budget

    def loss(z):  # each model's mean cross-entropy, summed
        out = batch_logits(params, z)
        return torch.nn.functional.cross_entropy(out.flatten(0, 1), y.flatten())

    assert loss(x + delta) > loss(x)  # and it hurts


def test_the_image_adversary_stays_in_its_linf_ball_and_the_pixel_range():
    from sbcore.models import build_image_model

    cfg = ds.configs("smoke")["table11/mnist-fashion-A/SmallCNN/AT-code/seed=0"]
    adv = ds.adversary(cfg, "code", seed=0)
    model = build_image_model("SmallCNN", seed=0).eval()
    x = torch.rand(4, 3, 64, 32)
    x[:, :, :8] = 0.0  # pixels at the range's edges
    x[:, :, 8:16] = 1.0
    y = torch.tensor([0, 1, 0, 1])
    out = adv(lambda z: model(z[0]).unsqueeze(0), x.unsqueeze(0), y.unsqueeze(0), [0])[0]
    assert (out - x).abs().max() <= 0.3 + 1e-6
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert (out - x).abs().max() > 0.2  # it moves


# --- the findings at a CI scale --------------------------------------------------------------

def test_adversarial_training_at_a_radius_below_gamma_s_keeps_the_5_slabs():
    """AdvMS-(5,7) at the quick profile's settings, one seed: l2 adversarial training at
    eps = 0.1 < gamma_S = 0.3 gives a robust (200,2)-FCN that reads the ten 5-slabs alone
    (5-slabs randomised: chance; 7-slabs randomised: unchanged). About 7 s."""
    cfg = dict(ds.configs("quick")["advms/(200,2)-FCN/eps=0.1"], seeds=[0], n_test=500,
               n_val=100, eval_iters=5)
    out = ds.compute_advms(cfg)
    m = out["metrics"].set_index("metric")["value"]
    assert m["standard accuracy"] >= 0.97 and m["robust accuracy"] >= 0.95
    assert abs(m["S-randomized accuracy"] - 0.5) <= 0.06
    assert m["Sc-randomized accuracy"] >= 0.95
    assert len(out["history"]) and set(out["runs"]["seed"]) == {0}


def test_an_ensemble_gains_on_ms5_and_stays_with_its_members_on_noisy_lms7():
    """Fig. 6 at a CI scale: on MS-5 (d = 20) the members memorise different slabs and an
    ensemble of 6 gains over them (stacker fit on the validation split); on noisy LMS-7
    (p = 0.5) every member reads the noisy linear coordinate and the ensemble stays within a
    few points of its members."""
    base = ds.configs("quick")["ensembles/ms-5"]
    ms5 = dict(base, d=20, n_train=CI_MS5_TRAIN, n_val=300, n_test=1_000,
               member_seeds=list(range(6)), sizes=[6],
               train=dict(base["train"], max_updates=CI_UPDATES))
    lms7 = dict(ms5, dataset="noisy-lms-7", p=0.5, n_train=600,
                train=dict(ms5["train"], max_updates=400))
    gains = {}
    for cfg in (ms5, lms7):
        m = ds.compute_ensembles(cfg)["metrics"]
        ens = m[m["aggregation"] == "ensemble"].set_index("metric")["value"]
        gains[cfg["dataset"]] = ens
    ms, noisy = gains["ms-5"], gains["noisy-lms-7"]
    assert ms["linear stacker gain"] >= 0.06
    assert ms["averaged logits gain"] > noisy["averaged logits gain"]
    assert abs(noisy["averaged logits gain"]) <= 0.02
    assert abs(noisy["linear stacker gain"]) <= 0.03
    assert abs(noisy["mean member accuracy"] - 0.75) <= 0.04


# --- the chapter's views on the smoke results ------------------------------------------------

def test_every_part_is_measured(results):
    assert all(results[p] is not None for p in ds.PARTS)
    ens = results["ensembles"].metrics
    assert {"averaged logits accuracy", "linear stacker accuracy", "averaged logits gain",
            "mean member accuracy"} <= set(ens["metric"])
    coords = results["ensembles"].tables["coordinates"]
    assert len(coords) == ens[ens["aggregation"] == "member"]["ensemble"].nunique() \
        * coords["coordinate"].nunique() * ens["dataset"].nunique()
    adv = results["advms"].metrics
    assert {"standard accuracy", "robust accuracy", "S-randomized accuracy",
            "Sc-randomized accuracy"} <= set(adv["metric"])
    t11 = results["table11"].metrics
    assert set(t11["method"]) == {"SGD", "AT"}
    assert t11[t11["metric"] == "robust accuracy"]["value"].between(0, 1).all()


def test_tables_figures_and_numbers(results):
    for view in (views.ensembles_view(results, NONE_STORED, "smoke"),
                 views.advms_view(results, NONE_STORED, "smoke"),
                 views.table11_view(results, NONE_STORED, "smoke", "mnist-fashion-A")):
        html = view.to_html()
        assert "this run" in html
    assert "not run" in views.table11_view(results, NONE_STORED, "smoke", "mnist-cifar-A").data
    for fig in (figures.fig6(results), figures.coordinates(results), figures.fig7(results)):
        assert isinstance(fig, matplotlib.figure.Figure)
        assert fig.get_size_inches()[0] <= 7.0 + 1e-6
    n = views.numbers(results, NONE_STORED, "smoke")
    assert all(not isinstance(v, float) or np.isfinite(v) for k, v in n.items()
               if not k.startswith(("adv_", "t11_")))
    assert all(isinstance(n[k], bool) for k in ("ms5_helps", "lms7_helps", "t11_at_ok",
                                                 "t11_reads_digit", "adv_s_alone",
                                                 "adv_beyond_s"))
    assert n["adv_per_eps"].startswith("ε = 0: standard ") and n["adv_failed_eps"]
    assert len(views.training(results)) == len(ds.PARTS)


def test_paper_numbers_sit_beside_the_cells():
    p = views.fig6_paper()
    assert {"averaged logits gain", "linear stacker gain"} <= set(p["metric"])
    points = views.fig6_paper_points()
    ms5 = points[points["dataset"] == "ms-5"].set_index("size")["accuracy"]
    assert ms5[10] > ms5[5] > ms5[1]
    f7 = views.fig7_paper_points()
    assert set(f7["model"]) == {"(200,2)-FCN", "(1000,2)-FCN"}
    paper = views.table11_paper("mnist-fashion-A")
    assert len(paper) == 18 and set(paper["dataset"]) == {"mnist-fashion-A"}


def test_a_stored_paper_scale_ensemble_run_is_told_and_recapped(results):
    """With ensembles stored at the paper scale (here the smoke run stands in for them), the
    chapter states their members' and largest ensembles' accuracy per dataset beside the
    paper's figure, and the recap gains one bullet per stored dataset; with nothing stored it
    says so and the recap's generated part keeps its one bullet (the others are the chapter's)."""
    stored = dict(NONE_STORED, ensembles=results["ensembles"])
    rows = views.stored_ensembles(stored)
    m = results["ensembles"].metrics
    assert [r["dataset"] for r in rows] == list(dict.fromkeys(m["dataset"]))
    for r in rows:
        sub = m[m["dataset"] == r["dataset"]]
        members = sub[(sub["aggregation"] == "member") & (sub["metric"] == "test accuracy")]
        assert r["pool"] == members["seed"].nunique() and r["member"] == members["value"].mean()
        top = sub[(sub["aggregation"] == "ensemble") & (sub["size"] == sub["size"].max())]
        assert r["ensembles"] == top["ensemble"].nunique()
        stack = top[top["metric"] == "linear stacker accuracy"]["value"].mean()
        assert r["stack_acc"] == pytest.approx(stack)
        points = views.fig6_paper_points()
        sizes = set(points.loc[points["dataset"] == r["dataset"], "size"])
        assert np.isfinite(r["paper"]) == (r["size"] in sizes)  # Fig. 6 gives 1, 3, 5, 10
    text = views.stored_ensembles_text(stored)
    assert text.startswith("**The stored paper-scale run**") and "MS-5" in text
    assert f"{rows[0]['stack_acc']:.3f}" in text
    assert text.count("; on ") == len(rows) - 1
    assert views.stored_ensembles(NONE_STORED) == [] and \
        views.stored_ensembles_text(NONE_STORED) is None


def test_table11_numbers_read_a_stored_table_like_a_fresh_one(results):
    """A stored metrics table reads SGD's empty attack back as NaN: the numbers are the same."""
    import copy

    fresh = views.numbers(results, NONE_STORED, "smoke")
    stored = dict(results, table11=copy.copy(results["table11"]))
    m = results["table11"].metrics.copy()
    m["attack"] = m["attack"].replace("", np.nan)
    stored["table11"].tables = dict(results["table11"].tables, metrics=m)
    again = views.numbers(stored, NONE_STORED, "smoke")
    assert again["t11_sgd_std"] == fresh["t11_sgd_std"] and np.isfinite(again["t11_sgd_std"])
