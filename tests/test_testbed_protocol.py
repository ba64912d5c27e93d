"""A method of one's own through the testbed: it runs end to end, is stored under its own key
and stands in the leaderboard beside the built-in ones; a bad method fails before training,
with a message that says what is wrong; the command line does the same from a file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from torch import nn
from torch.nn.functional import cross_entropy

from sbcore.checks import ParameterTypeError
from sbcore.studies.testbed import findings, study, views
from sbcore.testbed import DataNotDeclared, Method


def _shrink(view, config, seed, device):
    def objective(model, x, y):
        z = model(x)
        return cross_entropy(z, y) + config["lam"] * z.pow(2).mean()
    return view.fit(view.new_model(seed), seed, objective=objective, device=device).model


MINE = Method("Logit shrink", "none", _shrink, config=dict(lam=0.5))


def test_a_method_of_ones_own_runs_is_stored_under_its_own_key_and_is_ranked(tmp_path):
    first = study.evaluate(MINE, testbeds=["lms-5"], profile="smoke", seeds=[0], root=tmp_path)
    entry = first["lms-5/Logit shrink"]
    assert not entry.cached
    again = study.evaluate(MINE, testbeds="lms-5", profile="smoke", seeds=[0], root=tmp_path)
    assert again["lms-5/Logit shrink"].cached  # read back, not trained again
    changed = study.evaluate(MINE.with_config(lam=0.1), testbeds=["lms-5"], profile="smoke",
                             seeds=[0], root=tmp_path)
    assert not changed["lms-5/Logit shrink"].cached  # another setting, another key
    erm = study.evaluate(study.BUILT_IN["ERM"], testbeds=["lms-5"], profile="smoke",
                         seeds=[0], root=tmp_path)
    summary = findings.summary(views.main_metrics({**first, **erm}))
    assert set(summary["method"]) == {"ERM", "Logit shrink"}
    board = views.leaderboard(summary, "lms-5", 1.0)
    assert "Logit shrink" in board.to_html()
    metrics = entry.metrics
    assert set(metrics["method"]) == {"Logit shrink"} and set(metrics["uses"]) == {"none"}
    assert {"S-randomized AUC", "UAP accuracy at 1", "networks trained"} <= set(metrics["metric"])


def _wrong_width(view, config, seed, device):
    return view.fit(nn.Sequential(nn.Linear(view.input_shape[0], 3)), seed, device=device).model


def _greedy(view, config, seed, device):
    pool = view.pool  # declared "none"
    raise AssertionError(f"reached training with {len(pool)} pool points")


def test_a_model_that_does_not_give_two_logits_fails_before_training(tmp_path):
    bad = Method("Three classes", "none", _wrong_width)
    with pytest.raises(ValueError, match=r"\(n, 2\) logits"):
        study.evaluate(bad, testbeds=["lms-5"], profile="smoke", seeds=[0], root=tmp_path)
    assert not any(tmp_path.rglob("*.csv"))  # nothing stored


def test_a_method_that_reads_data_it_did_not_declare_is_stopped(tmp_path):
    with pytest.raises(DataNotDeclared, match="uses='none'.*declare uses='unlabelled'"):
        study.evaluate(Method("Greedy", "none", _greedy), testbeds=["lms-5"],
                       profile="smoke", seeds=[0], root=tmp_path)


@pytest.mark.parametrize("make, error, message", [
    (lambda: Method("ERM", "none", _shrink), ValueError, "built-in"),
    (lambda: Method("Mine", "everything", _shrink), ValueError, "uses"),
    (lambda: Method("Mine", "none", "train"), ParameterTypeError, "callable"),
    (lambda: Method("", "none", _shrink), ValueError, "method name"),
    (lambda: MINE.with_config(alpha=1.0), ValueError, "no setting alpha"),
])
def test_bad_methods_are_refused_with_what_is_wrong(make, error, message):
    with pytest.raises(error, match=message):
        study.check_method(make())


def test_evaluate_checks_its_arguments_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="testbed"):
        study.evaluate(MINE, testbeds=["lms-9"], profile="smoke", root=tmp_path)
    with pytest.raises(ValueError, match="profile"):
        study.evaluate(MINE, profile="fast", root=tmp_path)
    with pytest.raises(ParameterTypeError):
        study.evaluate("ERM", root=tmp_path)


def test_the_command_line_ranks_a_method_from_a_file(tmp_path):
    (tmp_path / "my_methods.py").write_text(textwrap.dedent('''
        from torch.nn.functional import cross_entropy
        from sbcore.testbed import Method

        def train(view, config, seed, device):
            return view.fit(view.new_model(seed), seed, device=device).model

        plain = Method("My plain ERM", "none", train)
    '''))
    env = dict(os.environ, SB_RESULTS=str(tmp_path / "store"), OMP_NUM_THREADS="1")
    run = subprocess.run([sys.executable, "-m", "sbcore.testbed", "my_methods:plain",
                          "--profile", "smoke", "--testbeds", "lms-5"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "My plain ERM" in run.stdout and "DivDis" in run.stdout
    assert (tmp_path / "testbed_My_plain_ERM.png").stat().st_size > 0
    bad = subprocess.run([sys.executable, "-m", "sbcore.testbed", "no_such_module:x"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "no module 'no_such_module'" in bad.stderr


def test_the_built_in_methods_declare_their_data_and_cite_their_source():
    uses = {name: m.uses for name, m in study.BUILT_IN.items()}
    assert uses["D-BAT"] == "unlabelled" and uses["DivDis"] == "labels"
    assert all(m.citation for m in study.BUILT_IN.values())
