"""The reproduction overview (chapter 00_overview): the registry of the paper's items, the
verdict rule, and the table built from smoke results."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from sbcore.build import reproduction as rep
from sbcore.build.pipeline import chapter_sources
from sbcore.paper import paper_numbers
from sbcore.studies import runner

EXPECTED = [f"Table {i}" for i in range(1, 12)] + [f"Fig. {i}" for i in range(1, 8)] \
    + ["Theorem 1"]


def test_the_registry_has_exactly_the_papers_19_items():
    reg = rep.items()
    assert list(reg["item"]) == EXPECTED and len(reg) == rep.ITEM_COUNT == 19
    assert reg["shows"].str.len().gt(0).all()


def test_every_built_item_names_a_chapter_section_and_study_that_exist():
    reg = rep.items()
    built = reg[reg["study"] != ""]
    assert len(built) and (built["chapter"] != "").all() and (built["section"] != "").all()
    # an item has a chapter exactly when it has a study
    assert ((reg["chapter"] != "") == (reg["study"] != "")).all()
    for _, item in built.iterrows():
        assert item["study"] in runner.STUDIES
        text = chapter_sources()[item["chapter"]].read_text()
        assert re.search(rf"^# #+ {re.escape(item['section'])}$", text, flags=re.M), item["item"]
        entries = runner.study(item["study"]).configs("paper")
        assert any(e.startswith(item["entries"]) for e in entries), item["item"]
        rep.parse_filter(item["filter"])
        assert rep.chapter_link(item["chapter"]).endswith(f"({item['chapter']}.ipynb)")


def test_every_built_items_paper_number_is_a_row_of_paper_numbers_csv():
    reg = rep.items()
    numbers = paper_numbers()
    for _, item in reg[reg["source"] != ""].iterrows():
        row = rep.paper_row(item)
        same = numbers[(numbers["source"] == item["source"]) & (numbers["metric"] == row["metric"])
                       & (numbers["model"] == row["model"]) & (numbers["mean"] == row["mean"])]
        assert len(same) >= 1, item["item"]
    # the built items with a number
    with_number = reg[(reg["study"] != "") & (reg["source"] != "")]
    assert set(with_number["item"]) == {"Table 1", "Table 4", "Fig. 3", "Theorem 1", "Table 6",
                                        "Table 7", "Table 8", "Table 9", "Table 5", "Fig. 4",
                                        "Fig. 6", "Fig. 7", "Table 11", "Table 2"}


def test_a_selector_that_picks_no_row_is_refused():
    reg = rep.items()
    item = reg[reg["item"] == "Table 4"].iloc[0].copy()
    item["model"] = "(7,7)-FCN"
    with pytest.raises(ValueError, match="picks 0 rows"):
        rep.paper_row(item)
    with pytest.raises(ValueError, match="column=value"):
        rep.parse_filter("dataset")


def test_the_verdict_rule_on_numbers_with_known_answers():
    tol = rep.TOLERANCE
    assert rep.verdict(0.50, 0.01, 0.505, 0.002) == rep.REPRODUCED
    assert rep.verdict(0.50, np.nan, 0.50 + tol, np.nan) == rep.REPRODUCED  # at the edge
    assert rep.verdict(0.50, np.nan, 0.50 + 1.5 * tol, np.nan) == rep.WITHIN_SPREAD
    # a wide spread of ours (or the paper's) widens the allowed gap
    assert rep.verdict(0.50, 0.0, 0.54, 0.05) == rep.REPRODUCED
    assert rep.verdict(0.50, 0.04, 0.57, 0.0) == rep.WITHIN_SPREAD
    far = rep.verdict(0.50, 0.01, 0.60, 0.002)
    assert far.startswith(rep.DEPARTS) and "0.100" in far and "0.020" in far
    assert rep.verdict(0.50, 0.01, None, None) == rep.NOT_YET
    assert rep.verdict(0.50, 0.01, np.nan, np.nan) == rep.NOT_YET
    assert rep.verdict(None, None, 0.5, 0.0) == rep.SHOWN
    assert rep.verdict(None, None, None, None) == rep.NOT_YET


def test_the_papers_numbers_print_as_the_paper_prints_them():
    assert rep.as_printed(0.5) == "0.50" and rep.as_printed(0.5, 0.01) == "0.50 ± 0.01"
    assert rep.as_printed(0.947, 0.002) == "0.947 ± 0.002" and rep.as_printed(0.996) == "0.996"


@pytest.fixture(scope="module")
def smoke_table(smoke_run):
    """The overview at smoke: this build from the session's smoke store, stored paper-scale
    results from the committed results/paper."""
    studies = set(rep.items()["study"]) - {""}
    this = {name: smoke_run(name) for name in studies}
    stored = {name: runner.lookup(name, "paper") for name in this}
    return rep.overview_table(this, stored)


def test_the_table_from_smoke_results(smoke_table):
    t = smoke_table
    assert list(t.index) == EXPECTED and list(t.columns) == rep.COLUMNS
    reg = rep.items().set_index("item")
    not_built = reg.index[reg["study"] == ""]
    results = ["reproduced in", "section", "stored paper-scale run", "verdict (paper scale)",
               "this build", "verdict (this build)"]
    assert (t.loc[not_built, results] == rep.NOT_YET).all().all()
    for item in reg.index[reg["study"] != ""]:
        mod = runner.study(reg.loc[item, "study"])
        runnable = getattr(mod, "runnable", None)
        here = runnable("smoke") if runnable else list(mod.configs("smoke"))
        # an item runs at smoke unless its data is absent here (MNIST-CIFAR without CIFAR-10)
        ran = any(e.startswith(reg.loc[item, "entries"]) for e in here)
        assert (t.loc[item, "this build"] != rep.NOT_YET) == ran, item
        assert t.loc[item, "reproduced in"].startswith("[")
    allowed = (rep.REPRODUCED, rep.WITHIN_SPREAD, rep.DEPARTS, rep.NOT_YET, rep.SHOWN)
    for column in ("verdict (paper scale)", "verdict (this build)"):
        assert t[column].map(lambda v: v.startswith(allowed)).all(), t[column]
    assert t.loc["Fig. 2", "verdict (this build)"] == rep.SHOWN
    # the stored column names the device and the date of the committed run
    assert re.search(r"; .+, \d{4}-\d\d-\d\d$", t.loc["Fig. 3", "stored paper-scale run"])
    counts = rep.counts(t)
    assert counts["n_items"] == 19 and counts["n_built"] == (reg["study"] != "").sum()
    assert sum(counts[k] for k in ("n_reproduced", "n_within", "n_departs", "n_shown",
                                   "n_not_yet")) == 19


def test_no_paper_number_is_typed(smoke_table):
    """Every paper cell is the printed form of its row of paper_numbers.csv, and the module
    holds no float literal outside its named constants."""
    for _, item in rep.items().iterrows():
        row = rep.paper_row(item)
        expected = rep.NO_NUMBER if row is None else \
            f"{rep.as_printed(row['mean'], row['std'])} ({item['source']})"
        assert smoke_table.loc[item["item"], "paper"] == expected, item["item"]
    tree = ast.parse(Path(rep.__file__).read_text())
    named = {id(node) for stmt in tree.body if isinstance(stmt, ast.Assign)
             and all(isinstance(t, ast.Name) and t.id.isupper() for t in stmt.targets)
             for node in ast.walk(stmt.value)}
    floats = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
              and isinstance(node.value, float) and id(node) not in named]
    assert floats == [0.0, 0.0], floats  # the 'missing std counts as 0' of verdict()


def test_this_build_pools_the_models_a_reduced_profile_lacks(smoke_run):
    reg = rep.items()
    item = reg[reg["item"] == "Fig. 3"].iloc[0]
    found = rep.ours(item, smoke_run("extreme_sb"))
    assert found["n"] > 0 and "all its models pooled" in found["note"]
    assert rep.ours(item, None) is None


def test_the_overview_reads_what_the_chapters_stored_even_with_recompute(tmp_path):
    """The pipeline runs the overview after the chapters: RECOMPUTE=1 must not run every
    experiment a second time there."""
    from sbcore.studies import runner

    runner.run("datasets", "smoke", "cpu", 0, root=tmp_path, progress=False)
    reg = rep.items()
    reg = reg[reg["study"] == "datasets"]
    this, _, _ = rep.gather("smoke", "cpu", 0, recompute=True, root=tmp_path, registry=reg)
    assert this["datasets"] and all(r.cached for r in this["datasets"].values())
