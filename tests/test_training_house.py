"""The training package's house rules: the paper's synthetic recipe is written once
(``config.RECIPES``), every backend declares what the loop uses (``backend.Backend``), the loop
stays in short methods, ``fit_many(backend=...)`` chooses as the toolbox did, and checkpoints
written before the split still name classes that exist."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sbcore.data import make_dataset
from sbcore.models import ModelSpec
from sbcore.training import RECIPES, TrainConfig, fit_each, fit_many, init_fcn
from sbcore.training.backend import Backend
from sbcore.training.checkpoint_file import _allowed_class
from sbcore.training.one_module import _OneModule
from sbcore.training.stacked import FCNStack, stack_fcns
from sbcore.training.vmapped import ModuleStack

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "sbcore" / "training"
CONFIG = TrainConfig(eps=0.05, patience=10, max_updates=60, eval_every=20)


@pytest.fixture(scope="module")
def data():
    return make_dataset("lms-5", n_train=300, n_val=100, n_test=100, d=6, seed=0)


def test_train_config_defaults_are_the_synthetic_recipe():
    defaults = TrainConfig().as_dict()
    assert {k: defaults[k] for k in RECIPES["synthetic"]} == RECIPES["synthetic"]


@pytest.mark.parametrize("study", ["extreme_sb", "perturbations", "toolbox"])
def test_studies_train_with_the_recipe_as_written_once(study):
    settings = __import__(f"sbcore.studies.{study}.settings", fromlist=["PROFILES"])
    assert settings.PROFILES["paper"]["train"] == RECIPES["synthetic"]


def test_the_recipe_is_written_in_one_place():
    """Its distinctive values appear together only in config.py."""
    hits = [str(p.relative_to(ROOT)) for p in (ROOT / "sbcore").rglob("*.py")
            if "patience=1_000, max_updates=100_000" in p.read_text().replace("\n", " ")
            and "batch_size=256" in p.read_text() and "5e-5" in p.read_text()
            and "lr=0.3" not in p.read_text()]  # notebook 03's MS-7 recipe is another
    assert hits == ["sbcore/training/config.py"]


def test_settings_and_config_load_without_torch():
    code = ("import sys, json; import sbcore.training.config; "
            "import sbcore.studies.toolbox.settings, sbcore.studies.defences.settings; "
            "print(json.dumps('torch' in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout) is False


def test_every_backend_declares_what_the_loop_uses(data):
    fcns = [init_fcn(6, 8, 1, s) for s in (0, 1)]
    groups = [_OneModule(fcns[0], CONFIG, "cpu", 256),
              FCNStack(stack_fcns(fcns, "cpu"), CONFIG, (6, 8, 1), 256),
              ModuleStack(fcns, CONFIG, "cpu", 256)]
    X = torch.as_tensor(data.train.X[:50])
    y = torch.as_tensor(data.train.y[:50])
    for group in groups:
        assert isinstance(group, Backend), type(group).__name__
        assert group.shapes() and all(isinstance(s, tuple) for s in group.shapes())
        loss, correct = group.evaluate([0], X, y)
        assert loss.shape == correct.shape == (1,) and 0 <= correct[0] <= 50


def test_every_function_of_the_training_package_is_short():
    """The loop is a class of short methods; no function of the package passes 60 lines."""
    long = [(p.name, n.name, n.end_lineno - n.lineno + 1) for p in TRAINING.glob("*.py")
            for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, ast.FunctionDef) and n.end_lineno - n.lineno + 1 > 60]
    assert long == []


def test_fit_many_auto_trains_each_alone_on_a_cpu(data):
    models = [ModelSpec.parse("(4,3,1)-CNN").build(6, s) for s in (0, 1)]
    auto = fit_many(models, data, CONFIG, [0, 1], progress=False, backend="auto")
    each = fit_each(models, data, CONFIG, [0, 1], workers=1)
    for a, e in zip(auto, each):
        assert a.history.equals(e.history) and a.updates == e.updates
    stacked = fit_many(models, data, CONFIG, [0, 1], progress=False)  # "stack", as before
    assert [r.updates for r in stacked] == [r.updates for r in auto]


@pytest.mark.parametrize("bad", [dict(backend="gpu"), dict(backend="each", track=lambda s: {}),
                                 dict(backend="auto", perturb=lambda *a: a[1])])
def test_fit_many_refuses_a_backend_or_option_it_cannot_honour(data, bad):
    with pytest.raises(ValueError, match="backend|track|perturb"):
        fit_many([init_fcn(6, 8, 1, 0)], data, CONFIG, [0], progress=False, **bad)


@pytest.mark.parametrize("name", [
    "sbcore.training.trainer:TrainConfig", "sbcore.training.trainer:TrainResult",
    "sbcore.training.trainer:_OneModule", "sbcore.training.trainer:_Schedule",
    "sbcore.training.stacked:FCNStack", "sbcore.training.stacked:StackedOptimizer",
    "sbcore.training.vmapped:ModuleStack", "sbcore.training.vmapped:StackedOptimizer"])
def test_classes_named_by_checkpoints_written_before_the_split_still_exist(name):
    assert isinstance(_allowed_class(name), type)
