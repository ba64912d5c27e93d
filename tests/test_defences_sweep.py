"""What makes Fig. 6's ensemble gain (the defences study's sweep) and the quick profile's
Table 11 recipe: the diversity measures on known answers, the sweep's entries, the answer at a
CI scale (members that memorise gain little by averaging logits, members that cannot memorise
gain as the paper's), the sweep table and its glued numbers, and the ε warm-up."""

from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pytest

from sbcore.studies import runner
from sbcore.studies.defences import figures, findings, views
from sbcore.studies.defences import study as ds
from sbcore.studies.defences.settings import PROFILES

NONE_STORED = {part: None for part in ds.PARTS}


@pytest.fixture(scope="module")
def results(smoke_run):
    return runner.parts("defences", smoke_run("defences"))


# --- the diversity measures -------------------------------------------------------------------

def test_disagreement_counts_the_pairs_that_differ():
    # three members on four points: votes 1,1,0 | 1,1,1 | 0,0,0 | 1,0,0
    scores = np.array([[1.0, 2.0, -1.0, 3.0],
                       [0.5, 1.0, -2.0, -1.0],
                       [-1.0, 4.0, -0.5, -2.0]])
    # differing pairs per point: 2, 0, 0, 2 of 3 pairs -> (2 + 0 + 0 + 2) / 3 / 4
    assert ds.disagreement(scores) == pytest.approx(4 / 12)
    assert ds.disagreement(np.ones((5, 7))) == 0.0
    with pytest.raises(ValueError, match="at least two members"):
        ds.disagreement(np.ones((1, 3)))


def test_overlap_is_the_mean_jaccard_of_the_pairs_that_read_something():
    assert ds.overlap([{0, 1}, {1, 2}, set()]) == pytest.approx(np.mean([1 / 3, 0, 0]))
    assert ds.overlap([{3}, {3}]) == 1.0
    assert np.isnan(ds.overlap([set(), set()]))


# --- the sweep's entries ----------------------------------------------------------------------

def test_each_sweep_point_changes_the_fig6_setting_along_named_axes():
    cfgs = {k: c for k, c in ds.configs("paper").items() if c["part"] == "sweep"}
    w = PROFILES["paper"]["sweep"]
    assert len(cfgs) == len(w["points"])
    start = ds.configs("paper")["ensembles/ms-5"]
    for name, cfg in cfgs.items():
        assert name.startswith("sweep/ms-5/width=")
        assert (cfg["d"], cfg["depth"], cfg["n_val"]) == (50, 2, 0)
        # the recipe is Fig. 6's, the swept settings aside
        same = {k: v for k, v in cfg["train"].items() if k not in ds.SWEEP_AXES}
        assert same == {k: v for k, v in start["train"].items() if k in same}
    first = cfgs["sweep/ms-5/width=100,n_train=4000,lr=0.1,momentum=0,batch_size=256,"
                 "max_updates=20000"]
    assert (first["width"], first["n_train"], first["train"]) == \
        (start["width"], start["n_train"], start["train"])
    capped = cfgs["sweep/ms-5/width=20,n_train=4000,lr=0.1,momentum=0,batch_size=256,"
                  "max_updates=4000"]
    assert capped["train"] == dict(start["train"], max_updates=4_000)
    bad = dict(w, points=[dict(depth=3)])
    with pytest.raises(ValueError, match="sweep points may change width"):
        ds.sweep_configs(bad, 0)
    with pytest.raises(ValueError, match="exceeds the pool"):
        ds.sweep_configs(dict(w, members=5), 0)


def test_the_sweep_leaves_the_stored_paper_entries_stored():
    ledger = runner.ledger("paper", ["defences"])
    status = ledger.set_index("entry")["status"]
    assert status["ensembles/ms-5"] == "stored" and status["ensembles/noisy-lms-7"] == "stored"


# --- the answer at a CI scale -----------------------------------------------------------------

def test_members_that_cannot_memorise_gain_what_memorising_members_do_not():
    """MS-5 at d = 20 (the smoke profile's sweep): (64,2)-FCNs memorise their 1,000 points and
    an ensemble of 10 gains a few points by averaging logits; (8,2)-FCNs cannot memorise them,
    read fewer coordinates, disagree more, and the same ensemble gains over ten points.
    About 6 s."""
    rows = []
    for cfg in ds.configs("smoke").values():
        if cfg["part"] != "sweep":
            continue
        m = ds.compute_sweep(cfg)["metrics"]
        value = {(r.metric, r.size): r.value for r in m.itertuples()}
        rows.append(dict(label=f"width {cfg['width']}", width=cfg["width"],
                         gain=value[("averaged logits gain", 10)],
                         train=value[("member train accuracy", 0)],
                         disagreement=value[("disagreement", 0)]))
    wide, narrow = sorted(rows, key=lambda r: -r["width"])
    assert wide["train"] >= findings.MEMORISED > narrow["train"]
    assert narrow["gain"] >= 0.10 and wide["gain"] < 0.10
    assert narrow["disagreement"] > wide["disagreement"]
    answer = findings.sweep(rows, paper_gain=narrow["gain"])
    assert answer["reproduced"] == ["width 8"] and answer["memorising_short"]
    assert answer["underfit_reproduce"]


# --- the chapter's view of the sweep ----------------------------------------------------------

def test_the_sweep_table_and_numbers(results):
    start = views.sweep_start(PROFILES["smoke"]["sweep"])
    table = views.sweep_table(results["sweep"], start)
    assert list(table["setting"]) == ["Fig. 6's setting", "width 8"]
    m = results["sweep"].metrics
    narrow = m[(m["width"] == 8) & (m["metric"] == "averaged logits gain") & (m["size"] == 10)]
    assert table.loc[1, "gain, ensemble of 10"] == pytest.approx(narrow["value"].mean())
    n = views.sweep_numbers(results["sweep"], start, [1, 5, 10])
    assert n["sweep_paper_gain"] == 0.20 and n["sweep_size"] == 10
    assert n["sweep_best_gain"] == table["gain, ensemble of 10"].max()
    assert n["sweep_base_gain"] == table.loc[0, "gain, ensemble of 10"]
    assert isinstance(n["sweep_any_reproduced"], bool)
    assert views.sweep_table(None, start) is None
    fig = figures.sweep(results, "smoke")
    assert isinstance(fig, matplotlib.figure.Figure) and fig.get_size_inches()[0] <= 7.0
    assert len(fig.axes[0].patches) == len(table)  # a bar per setting
    plt.close(fig)
    shown = views.sweep_view(results, "smoke")
    assert len(shown.columns) == len([c for c in table.columns if not c.startswith("_")])
    assert {"train acc.", "test acc.", "gain, 10", "disagreement", "coords read", "overlap"} <= \
        set(shown.columns)
    assert max(len(word) for c in shown.columns for word in c.split()) <= 12  # headers wrap
    assert views.sweep_label(dict(start, width=20, n_train=8000), start) == \
        "width 20, training points 8000"
    assert views.sweep_label(dict(start, max_updates=10), start) == "update cap 10"


# --- Table 11's ε warm-up ---------------------------------------------------------------------

def test_the_warm_up_climbs_to_the_radius_in_equal_steps():
    assert ds.warmup_radii(0.3, 6) == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.25, 0.3])
    assert ds.warmup_radii(0.3, 1) == [0.3]
    with pytest.raises(ValueError, match="eps_stages"):
        ds.warmup_radii(0.3, 0)
    quick = ds.configs("quick")["table11/mnist-fashion-A/SmallCNN/AT-code/seed=0"]
    assert quick["eps_stages"] == 6 and quick["eps"] == 0.3
    adv = ds.adversary(quick, "code", seed=0, eps=0.15)
    assert adv.eps == [0.15] and adv.step == [pytest.approx(0.06)]
    # the paper's entries keep their keys: no warm-up setting in their configs
    assert all("eps_stages" not in c for c in ds.configs("paper").values())


def test_a_warm_up_runs_one_fit_per_stage_from_the_last_model():
    """Two stages of one epoch on the smoke profile's 200 dominoes: twice the updates of one
    epoch, and the stages' model is the one measured. (That the quick profile's six stages
    make the CNN learn takes about 40 s: the chapter shows it, not this test.)"""
    import math

    from sbcore.models import build_image_model
    from sbcore.studies.images.study import dataset, train_config

    cfg = dict(ds.configs("smoke")["table11/mnist-fashion-A/SmallCNN/AT-code/seed=0"],
               eps_stages=2)
    data = dataset(dict(cfg, part="main"))
    config = train_config(cfg["train"], len(data.train))
    r, updates = ds.adversarial_fit(build_image_model("SmallCNN", seed=0), data, config, cfg,
                                    seed=0)
    assert updates == 2 * math.ceil(len(data.train) / config.batch_size) == 2 * r.updates
