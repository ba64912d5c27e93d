"""Oracle classifiers (known answers) and the extreme simplicity bias experiment at smoke."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sbcore import store
from sbcore.data import Block, make_dataset, sample_block
from sbcore.models import FCN
from sbcore.reliance import accuracy, as_scorer, randomized_metrics, relies_only_on_S
from sbcore.studies import runner, section
from sbcore.studies.extreme_sb import figures, views
from sbcore.studies.extreme_sb import study as esb
from sbcore.studies.measuring.oracles import (
    KNOWN_ACCURACY,
    KNOWN_AUC,
    ORACLES,
    block_vote,
    oracle,
    oracle_metrics,
    randomize_by,
)


@pytest.fixture(scope="module")
def lms():
    return make_dataset("lms-5", n_train=10, n_test=4000, d=50, seed=3)


@pytest.fixture(scope="module")
def ms():
    return make_dataset("ms-5-7", n_train=10, n_test=4000, d=50, seed=4)


# ---------------------------------------------------------------------------- oracles

@pytest.mark.parametrize("block", [Block("linear"), Block("slab", k=3), Block("slab", k=5),
                                   Block("slab", k=7), Block("noisy_linear", p=0.0)])
def test_block_vote_is_right_on_clean_data(block):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    v = sample_block(block, y, rng)
    assert np.array_equal(block_vote(block, v) > 0, y == 1)


def test_block_vote_rejects_noise_blocks():
    with pytest.raises(ValueError, match="gaussian"):
        block_vote(Block("gaussian"), np.zeros(3))


@pytest.mark.parametrize("name", ["lms", "ms"])
def test_oracles_give_their_known_answers(name, request):
    data = request.getfixturevalue(name)
    for kind in ORACLES:
        m = randomized_metrics(oracle(data, kind), data, "test", seed=1)
        for v in ("standard", "S-randomized", "Sc-randomized"):
            assert m[f"{v} accuracy"] == pytest.approx(KNOWN_ACCURACY[kind][v], abs=0.03)
            assert m[f"{v} AUC"] == pytest.approx(KNOWN_AUC[kind][v], abs=0.03)
        assert relies_only_on_S(m) == (kind == "s_only")


def test_only_the_joint_permutation_detects_reliance(lms):
    t = oracle_metrics(lms, "test", seed=0)
    acc = t[t["metric"] == "accuracy"].set_index(["oracle", "randomization", "variant"])["value"]
    # within-class shuffling keeps x_S tied to y: nothing looks randomised
    assert acc[("s_only", "within-class", "S-randomized")] == 1.0
    # independent shuffling of S^c breaks the block: the two-sided oracle looks S^c-invariant
    assert acc[("both", "independent", "Sc-randomized")] > 0.97
    assert acc[("both", "joint", "Sc-randomized")] == pytest.approx(0.75, abs=0.03)


def test_randomize_by_keeps_the_marginal_and_rejects_unknown_schemes(lms):
    X, y = lms.test.X, lms.test.y
    rng = np.random.default_rng(0)
    for how in ("joint", "independent", "within-class"):
        Z0 = lms.unrotate(X.astype(np.float64))
        Z1 = lms.unrotate(randomize_by(lms, X, lms.Sc, y, how, rng).astype(np.float64))
        assert np.allclose(np.sort(Z0[:, 5]), np.sort(Z1[:, 5]), atol=1e-5)
        assert np.allclose(Z0[:, 0], Z1[:, 0], atol=1e-5)  # S untouched
    with pytest.raises(ValueError, match="randomisation"):
        randomize_by(lms, X, lms.S, y, "shuffle", rng)
    with pytest.raises(ValueError, match="oracle"):
        oracle(lms, "linear")


# ---------------------------------------------------------------------------- measurements

def test_influence_and_boundary_work_in_canonical_coordinates(lms):
    def linear_scorer(X):  # score = the canonical coordinate 0, whatever the rotation
        return lms.unrotate(X.astype(np.float64))[:, 0]

    infl = esb.coordinate_influence(linear_scorer, lms, n=50)
    assert infl[0] == pytest.approx(1.0, abs=1e-3)
    assert np.all(infl[1:] < 1e-3)
    grid = esb.decision_boundary(linear_scorer, lms, c_coord=7, grid=5, bases=2)
    assert len(grid) == 2 * 25
    assert np.allclose(grid["score"], grid["s_value"], atol=1e-3)


# ---------------------------------------------------------------------------- experiment

def test_config_rejects_unknown_parts_and_profiles():
    with pytest.raises(ValueError, match="part"):
        esb.config("smoke", "everything")
    with pytest.raises(ValueError, match="profile"):
        esb.config("huge", "main")
    with pytest.raises(ValueError, match="not entries of extreme_sb"):
        runner.run("extreme_sb", "smoke", only=["main/nope"])


def test_one_entry_per_part_dataset_and_model():
    cfgs = esb.configs("smoke")
    s = section("smoke", "extreme_sb")
    assert len(cfgs) == len(s["datasets"]) * (len(s["models"]) + len(s["control_models"])) \
        + len(s["wide_datasets"]) * len(s["wide_models"]) + len(s["toy"]["datasets"])
    for name, cfg in cfgs.items():
        part, dataset, model = name.split("/")
        assert (cfg["part"], cfg["dataset"]) == (part, dataset)
        assert model == f"({cfg['model'][0]},{cfg['model'][1]})-FCN"
    shifted = esb.configs("smoke", seed=7)
    assert all(c["seeds"] == [s + 7 for s in cfgs[k]["seeds"]]
               and c["data_seed"] == cfgs[k]["data_seed"] + 7 for k, c in shifted.items())


@pytest.fixture(scope="module")
def smoke_results(smoke_run, smoke_store):
    first = smoke_run("extreme_sb")
    again = runner.run("extreme_sb", "smoke", "cpu", root=smoke_store)
    return first, again


def test_metrics_are_tidy_one_row_per_seed_model_metric(smoke_results):
    first, _ = smoke_results
    for part, res in runner.parts("extreme_sb", first).items():
        cfgs = esb.config("smoke", part)
        m = res.metrics
        assert set(store.TIDY_COLUMNS) <= set(m.columns) and "d" in m.columns
        assert not m.duplicated(["dataset", "d", "model", "seed", "metric"]).any()
        per_run = 2 if part == "control" else 7
        assert len(m) == sum(len(c["seeds"]) for c in cfgs.values()) * per_run
        assert m["value"].between(0, 1).all()
        assert set(m["d"]) == {c["d"] for c in cfgs.values()}


def test_main_part_stores_the_figure_tables_and_the_networks(smoke_results):
    first = smoke_results[0]
    main = runner.parts("extreme_sb", first)["main"]
    cfgs = esb.config("smoke", "main")
    d = next(iter(cfgs.values()))["d"]
    for name in ("runs", "per_coordinate", "influence", "logits", "history", "boundary",
                 "boundary_points"):
        assert len(main.tables[name]) > 0, name
    pc = main.tables["per_coordinate"]
    assert pc.groupby(["dataset", "model", "seed"]).size().eq(d).all()
    hist = main.tables["history"]
    assert {"update", "standard accuracy", "S-randomized accuracy",
            "Sc-randomized accuracy"} <= set(hist.columns)
    grid = main.tables["boundary"]
    assert (grid["c_coord"] != grid["s_coord"]).all()
    boundary = [c for c in cfgs.values() if c["boundary"]]
    assert len(grid) == len(boundary) * boundary[0]["grid_bases"] * boundary[0]["grid"] ** 2
    # the trained networks come back from the store and score as they did
    name, cfg = next(iter(cfgs.items()))
    states = first[name].tensors
    assert set(states) == {f"seed {s}" for s in cfg["seeds"]}
    model = FCN(cfg["d"], *cfg["model"])
    model.load_state_dict(states[f"seed {cfg['seeds'][0]}"])
    data = esb._data(cfg, cfg["dataset"])
    acc = accuracy(as_scorer(model)(data.train.X), data.train.y)
    m = first[name].metrics
    stored_acc = m[(m["seed"] == cfg["seeds"][0]) & (m["metric"] == "train accuracy")]["value"]
    assert acc == pytest.approx(float(stored_acc.iloc[0]))


def test_fig1_in_two_dimensions_the_networks_take_the_single_threshold(smoke_results):
    """Fig. 1 trained: on LMS-5 at d = 2 (S linear, one 5-slab) every network is right, at
    chance with S randomised and unchanged with the slab randomised; the stored grid holds
    every seed's scores over the plane, and along the slab axis the predicted class never
    changes at a fixed S away from the boundary (the boundary runs across S)."""
    toy = runner.parts("extreme_sb", smoke_results[0])["toy"]
    cfg = next(iter(esb.config("smoke", "toy").values()))
    assert cfg["d"] == 2 and toy.metrics["d"].eq(2).all()
    wide = toy.metrics.pivot_table(index="seed", columns="metric", values="value")
    assert (wide["standard accuracy"] >= 0.99).all()
    assert (wide["S-randomized accuracy"] - 0.5).abs().max() <= 0.06
    assert (wide["Sc-randomized accuracy"] >= 0.98).all()
    grid = toy.tables["boundary"]
    assert len(grid) == len(cfg["seeds"]) * cfg["grid"] ** 2
    assert set(grid["seed"]) == set(cfg["seeds"]) and (grid["c_coord"] == 1).all()
    far = grid[grid["s_value"].abs() >= 0.3]  # beyond the linear margin's neighbourhood
    sides = far.assign(pos=far["score"] > 0).groupby(["seed", "s_value"])["pos"].nunique()
    assert sides.eq(1).all()
    assert len(toy.tables["boundary_points"]) > 0
    fig = figures.toy(toy)
    assert len(fig.axes) == 2 and fig.get_size_inches()[0] <= 7.0 + 1e-6
    plt.close(fig)
    n = views.toy_numbers(toy)
    assert n["toy_seeds"] == len(cfg["seeds"]) and n["toy_d"] == 2


def test_second_run_reuses_the_store(smoke_results):
    first, again = smoke_results
    for entry in first:
        assert not first[entry].cached and again[entry].cached
        a, b = first[entry].metrics, again[entry].metrics
        assert np.allclose(a["value"].to_numpy(), b["value"].to_numpy())


def test_paper_table_matches_compare_table_keys():
    for part in esb.PARTS:
        t = esb.paper_table(part, "smoke")
        assert {"dataset", "d", "model", "metric", "mean", "std"} <= set(t.columns)
        assert len(t) > 0


def test_coordinate_summary_is_tidy(smoke_results):
    main = runner.parts("extreme_sb", smoke_results[0])["main"]
    summary = esb.coordinate_summary(main)
    assert set(store.TIDY_COLUMNS) <= set(summary.columns)
    assert set(summary["metric"]) == set(esb.COORDINATE_METRICS)
    assert not summary.duplicated(["dataset", "model", "seed", "metric"]).any()
    assert len(summary) == len(main.tables["runs"]) * len(esb.COORDINATE_METRICS)
