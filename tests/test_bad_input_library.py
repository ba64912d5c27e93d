"""Every public entry point a notebook calls checks its parameters as the command line does
(issue 26, "Nothing silently ignored"): a value of the wrong kind raises a TypeError, a value
of the right kind outside what is allowed a ValueError; both name the parameter and come
before any data is drawn, any model trained or any attack run. Values of the accepted kinds
(numpy integers, floats and bools beside Python's) still work."""

from __future__ import annotations

import dataclasses
import importlib
import re

import numpy as np
import pytest

from sbcore.attacks import (
    AveragingClassifier,
    PGDAdversary,
    apply_uap,
    as_uap,
    best_sign,
    pgd,
    share_l2_mass,
    share_norm_ratio,
    svd_uap,
    uap_accuracy,
)
from sbcore.checks import ParameterTypeError
from sbcore.data import (
    Block,
    Split,
    dataset_blocks,
    make_dataset,
    random_rotation,
    ring_probs,
    sample_block,
    slab_classes,
    slab_intervals,
    slab_width,
    without_coordinates,
)
from sbcore.data.dominoes import class_names, make_dominoes, stack_pairs
from sbcore.models import (
    CNN,
    FCN,
    GRU,
    ModelSpec,
    SmallCNN,
    build_image_model,
    initialise,
    model_label,
)
from sbcore.reliance import (
    InputBlocks,
    accuracy,
    as_scorer,
    logit_table,
    per_block_metrics,
    per_coordinate_accuracy,
    permute_features,
    randomize,
    randomize_blocks,
    randomized_inputs,
    randomized_metrics,
    relies_only_on_S,
    roc_auc,
)
from sbcore.reliance.probe import fit_logistic, penultimate_features, probe_accuracy
from sbcore.training import (
    TrainConfig,
    cpu_workers,
    fit,
    fit_each,
    fit_many,
    init_fcn,
    order_generator,
    train,
    train_grid,
    train_many,
)

# ------------------------------------------------------------------------------------------
# What a call gets when it is right: tiny, so that the whole file runs in seconds
# ------------------------------------------------------------------------------------------

DATA = make_dataset("lms-5", 40, 20, n_val=10, d=4, seed=0)
X, Y = DATA.test.X, DATA.test.y
NET = init_fcn(4, 8, 1, 0)
CONFIG = TrainConfig(max_updates=2, eval_every=1, batch_size=16)
SCORER = as_scorer(NET)
METRICS = {"standard AUC": 0.9, "S-randomized AUC": 0.5, "Sc-randomized AUC": 0.9}
BLOCKS = DATA.input_blocks
FEATURES = np.random.default_rng(0).standard_normal((20, 3))
TARGET = np.arange(20) % 2
UAP = np.full(4, 0.1)
RNG = np.random.default_rng(0)  # never drawn from: every case fails before any draw
TOP = (np.zeros((8, 28, 28), np.uint8), np.arange(8) % 2, (0, 1))
BOTTOM = (np.zeros((8, 3, 32, 32), np.uint8), np.arange(8) % 2, (0, 1))

# ------------------------------------------------------------------------------------------
# Bad values by the kind of parameter: (value, the exception it must raise)
# ------------------------------------------------------------------------------------------

T, V = TypeError, ValueError
NONE = [(None, T)]
INT = [(2.5, T), ("100", T), (True, T), (np.float64(3.0), T), (0, V), (-3, V)]
COUNT = [(2.5, T), ("3", T), (False, T), (-1, V)]  # an integer >= 0
SEED = [(-1, V), (2**32, V), (2.5, T), ("0", T), (True, T)]
SEEDS = [(3, T), ("0", T), ([2.5], T), ([-1], V), ([], V)]
BOOL = [("False", T), ("no", T), (1, T), (0, T)] + NONE
NUMBER = [("0.1", T), (True, T), (float("nan"), V), (float("inf"), V)]
POSITIVE = NUMBER + [(0.0, V), (-1.0, V)]
NON_NEGATIVE = NUMBER + [(-0.5, V)]
PROBABILITY = NUMBER + [(-0.1, V), (1.5, V)]  # in [0, 1] (or [0, 1))
CHOICE = [("nope", V), (3, V)]
RNGS = [(0, T), (np.random.RandomState(0), T)] + NONE
FUNCTION = [(3, T), ("f", T)]
INDICES = [([0.5], T), ([True], T), ("0", T), ([99], V)]
SLAB_K = [(4, V), (1, V), (5.0, T), ("5", T), (True, T)]
BOUNDS = [(1.0, T), ((1.0, 0.0), V)]

# (entry point, the call, its good keyword arguments, {parameter: bad values}); a parameter
# written "name=word" must be named in the message by that word (its own name otherwise)
ENTRIES = [
    ("make_dataset", make_dataset, dict(name="lms-5", n_train=20, n_test=10, d=4),
     {"name": CHOICE, "n_train": INT + NONE, "n_test": INT, "n_val": COUNT, "d": INT,
      "rotate": BOOL, "seed": SEED, "gamma": NUMBER, "B": POSITIVE, "p": PROBABILITY,
      "S": [([0], V)], "blocks": [("linear", T), ([], V), (["linear"], T)]}),
    ("dataset_blocks", dataset_blocks, dict(name="ms-5", d=3),
     {"name": CHOICE, "d": INT, "gamma": NUMBER, "B": POSITIVE, "p": PROBABILITY}),
    ("Block slab", Block, dict(kind="slab", k=5),
     {"kind": CHOICE, "k": SLAB_K, "gamma": NUMBER + [(0.3, V)], "B": POSITIVE,
      "p": [(0.2, V)]}),
    ("Block noisy", Block, dict(kind="noisy_linear", p=0.1),
     {"p": PROBABILITY, "k": [(5, V)], "gamma": [(1.0, V)]}),
    ("without_coordinates", without_coordinates, dict(data=DATA, drop=[0]),
     {"drop": INDICES, "data": [("lms-5", T)]}),
    ("sample_block", sample_block, dict(block=Block("linear"), y=Y, rng=RNG),
     {"rng": RNGS, "block": [("linear", T)], "y": [(Y + 1, V), (Y * 0.5, V)]}),
    ("random_rotation", random_rotation, dict(d=3, rng=RNG), {"d": INT + NONE, "rng": RNGS}),
    ("slab_width", slab_width, dict(k=5, gamma=0.1, B=1.0),
     {"k": SLAB_K, "gamma": NUMBER + [(0.25, V)], "B": POSITIVE}),
    ("slab_intervals", slab_intervals, dict(k=5), {"k": SLAB_K, "gamma": NUMBER}),
    ("slab_classes", slab_classes, dict(k=5), {"k": SLAB_K}),
    ("ring_probs", ring_probs, dict(k=5), {"k": SLAB_K}),
    ("make_dominoes", make_dominoes, dict(n_train=100, n_test=50),
     {"name": CHOICE, "variant": CHOICE, "seed": SEED, "n_train": INT + [(3, V)],
      "n_test": INT, "n_val": COUNT}),
    ("class_names", class_names, dict(name="mnist-fashion", variant="A"),
     {"name": CHOICE, "variant": CHOICE}),
    ("stack_pairs", stack_pairs, dict(top=TOP, bottom=BOTTOM, rng=RNG),
     {"rng": RNGS, "randomize": CHOICE, "per_class": INT, "with_classes": BOOL}),
    ("FCN", FCN, dict(d_in=4, width=8, depth=1),
     {"d_in": INT + NONE, "width": INT, "depth": INT, "activation": CHOICE,
      "dropout": PROBABILITY + [(1.0, V)]}),
    ("CNN", CNN, dict(d_in=4, filters=2, kernel=3, depth=1),
     {"d_in": INT, "filters": INT, "kernel": INT, "depth": INT, "activation": CHOICE}),
    ("GRU", GRU, dict(d_in=4, hidden=3, step=2, depth=1),
     {"d_in": INT, "hidden": INT, "step": INT + [(3, V)], "depth": INT}),
    ("ModelSpec", ModelSpec, dict(family="fcn", sizes=(8, 1)),
     {"family": CHOICE, "sizes": [("8,1", T), ((8,), T)], "sizes=depth": [((8, 1.5), T),
                                                                            ((8, 0), V)],
      "activation": CHOICE, "init": CHOICE, "init_scale": POSITIVE,
      "dropout": PROBABILITY}),
    ("ModelSpec.parse", ModelSpec.parse, dict(label="(8,1)-FCN"),
     {"label": [(5, T), (None, T), ("(8)-MLP", V)]}),
    ("ModelSpec.build", ModelSpec("fcn", (8, 1)).build, dict(d_in=4, seed=0),
     {"d_in": INT + NONE, "seed": SEED}),
    ("build_image_model", build_image_model, dict(name="SmallCNN"),
     {"name": CHOICE, "num_classes": INT + [(1, V)], "seed": SEED}),
    ("SmallCNN", SmallCNN, dict(channels=(4,)),
     {"channels": [("16", T), ((4, 2.5), T), ((4, 0), V), ((), V)], "num_classes": INT}),
    ("model_label", model_label, dict(width=8, depth=1), {"width": INT, "depth": INT}),
    ("initialise", initialise, dict(model=init_fcn(4, 8, 1, 0), scheme="kaiming", scale=1.0,
                                    seed=0),
     {"model": [("FCN", T)], "scheme=init": CHOICE, "scale=init_scale": POSITIVE,
      "seed": SEED}),
    ("TrainConfig", TrainConfig, {},
     {"optimizer": CHOICE, "stop": CHOICE, "lr": POSITIVE, "batch_size": INT,
      "momentum": PROBABILITY, "weight_decay": NON_NEGATIVE, "eps": POSITIVE,
      "patience": COUNT, "max_updates": INT, "eval_every": INT, "lr_decay": PROBABILITY,
      "lr_decay_every": COUNT}),
    ("fit", fit, dict(model=NET, data=DATA, config=CONFIG, progress=False),
     {"model": [("(8,1)-FCN", T)] + NONE, "config": [({"lr": 0.1}, T)], "seed": SEED,
      "device": CHOICE, "track": FUNCTION, "progress": BOOL, "perturb": FUNCTION}),
    ("train", train, dict(data=DATA, width=8, depth=1, config=CONFIG, seed=0, progress=False),
     {"data": [("lms-5", T)], "width": INT, "depth": INT, "seed": SEED, "device": CHOICE,
      "track": FUNCTION, "progress": BOOL}),
    ("train_many", train_many, dict(data=DATA, width=8, depth=1, config=CONFIG, seeds=[0],
                                    progress=False),
     {"width": INT, "seeds": SEEDS, "progress": BOOL, "track": FUNCTION,
      "perturb": FUNCTION}),
    ("fit_many", fit_many, dict(models=[NET], data=DATA, config=CONFIG, seeds=[0],
                                progress=False),
     {"models": [(NET, T), ([], V), (["x"], T)], "seeds": SEEDS + [([0, 1], V)],
      "progress": BOOL, "device": CHOICE}),
    ("train_grid", train_grid, dict(data=DATA, width=8, depth=1, configs=[CONFIG], seeds=[0],
                                    progress=False),
     {"configs": [(CONFIG, T), ([], V)], "seeds": SEEDS, "progress": BOOL, "depth": INT}),
    ("fit_each", fit_each, dict(models=[NET], data=DATA, config=CONFIG, seeds=[0]),
     {"workers": INT, "seeds": SEEDS + [([0, 1], V)], "device": CHOICE,
      "models": [(NET, T)]}),
    ("init_fcn", init_fcn, dict(d_in=4, width=8, depth=1, seed=0),
     {"d_in": INT, "width": INT, "depth": INT, "seed": SEED}),
    ("order_generator", order_generator, dict(seed=0), {"seed": SEED}),
    ("cpu_workers", cpu_workers, dict(value="2"),
     {"value=SB_CPU_WORKERS": [(2.5, T), (True, T), ("0", V), ("two", V)]}),
    ("as_scorer", as_scorer, dict(model=NET),
     {"model": [("net", T)], "device": CHOICE, "batch_size": INT}),
    ("accuracy", accuracy, dict(score=np.ones(20), y=Y),
     {"score": [(np.ones(19), V), (np.ones(1), V), (np.array(["a"] * 20), V)],
      "y": [(Y + 1, V), (Y[:5], V)]}),
    ("roc_auc", roc_auc, dict(score=np.arange(20.0), y=Y),
     {"score": [(np.ones(19), V)], "y": [(Y * 2, V)]}),
    ("randomized_metrics", randomized_metrics, dict(scorer=SCORER, data=DATA),
     {"scorer": FUNCTION, "seed": SEED, "split": CHOICE}),
    ("randomized_inputs", randomized_inputs, dict(data=DATA), {"seed": SEED, "split": CHOICE}),
    ("per_coordinate_accuracy", per_coordinate_accuracy, dict(scorer=SCORER, data=DATA),
     {"scorer": FUNCTION, "seed": SEED, "fraction": PROBABILITY + [(0.0, V)]}),
    ("per_block_metrics", per_block_metrics, dict(scorer=SCORER, data=DATA),
     {"scorer": FUNCTION, "seed": SEED, "fraction": POSITIVE + [(1.5, V)]}),
    ("logit_table", logit_table, dict(scorer=SCORER, data=DATA),
     {"scorer": FUNCTION, "seed": SEED}),
    ("relies_only_on_S", relies_only_on_S, dict(metrics=METRICS),
     {"tol": NON_NEGATIVE, "metrics": [({}, V)]}),
    ("randomize", randomize, dict(data=DATA, X=X, coords=[0], rng=RNG),
     {"rng": RNGS, "coords": INDICES}),
    ("randomize_blocks", randomize_blocks, dict(data=DATA, X=X, names="S", rng=RNG),
     {"rng": RNGS}),
    ("permute_features", permute_features, dict(blocks=BLOCKS, X=X, features=[0], rng=RNG),
     {"rng": RNGS, "features": [([0.5], T), ([True], T)], "blocks": [("S", T)]}),
    ("InputBlocks", InputBlocks, dict(shape=(4,), blocks={"a": [0]}),
     {"shape=feature shape": [((2.5,), T), ("4", T), ((0,), V), ((), V)],
      "input_shape": [((2.5,), T), ((0,), V)]}),
    ("probe_accuracy", probe_accuracy, dict(features=FEATURES, target=TARGET),
     {"seed": SEED, "steps": INT, "l2": NON_NEGATIVE}),
    ("penultimate_features", penultimate_features, dict(model=NET, X=X),
     {"model": [("net", T)], "batch_size": INT, "device": CHOICE}),
    ("fit_logistic", fit_logistic, dict(X=FEATURES, y=TARGET),
     {"max_iter": INT, "tolerance_grad": POSITIVE, "l2": NON_NEGATIVE,
      "w0": [(np.zeros(2), V)], "y": [(TARGET[:3], V)]}),
    ("pgd", pgd, dict(model=NET, X=X, y=Y, eps=0.1),
     {"model": [("net", T)], "eps": POSITIVE + NONE, "norm": CHOICE, "step": POSITIVE,
      "iters": INT, "random_start": BOOL, "seed": SEED, "batch_size": INT,
      "device": CHOICE, "bounds": BOUNDS}),
    ("as_uap", as_uap, dict(model=NET, X=X, y=Y, eps=0.1),
     {"model": [("net", T)], "eps": POSITIVE, "iters": INT, "lr": POSITIVE, "epochs": INT,
      "batch_size": INT, "signed": BOOL, "device": CHOICE, "bounds": BOUNDS}),
    ("apply_uap", apply_uap, dict(X=X, y=Y, uap=UAP),
     {"signed": BOOL, "bounds": BOUNDS, "uap": [(np.ones(3), V)]}),
    ("uap_accuracy", uap_accuracy, dict(model=NET, X=X, y=Y, uap=UAP),
     {"model": [("net", T)], "signed": BOOL, "batch_size": INT, "device": CHOICE}),
    ("best_sign", best_sign, dict(model=NET, X=X, y=Y, uap=UAP),
     {"uap": [("x", V), (np.ones(5), V)], "signed": BOOL, "batch_size": INT}),
    ("svd_uap", svd_uap, dict(deltas=np.ones((3, 4)), eps=1.0), {"eps": POSITIVE}),
    ("share_l2_mass", share_l2_mass, dict(P=np.ones(4), S=[0]),
     {"per_row": BOOL, "S": [([0.5], T), ([-1], V), ([9], V)]}),
    ("share_norm_ratio", share_norm_ratio, dict(P=np.ones(4), S=[0]), {"per_row": BOOL}),
    ("PGDAdversary", PGDAdversary, dict(eps=0.1),
     {"eps": NON_NEGATIVE + NONE + [([], V)], "norm": CHOICE, "step": POSITIVE,
      "iters": INT, "seed": SEED, "random_start": BOOL, "bounds": BOUNDS}),
    ("AveragingClassifier", AveragingClassifier, dict(data=DATA), {"data": [("lms-5", T)]}),
]


def _cases():
    for entry, call, good, params in ENTRIES:
        for spec, bad in params.items():
            param, _, word = spec.partition("=")
            for value, error in bad:
                yield pytest.param(call, good, param, word or param, value, error,
                                   id=f"{entry}-{param}={_label(value)}")


def _label(value) -> str:
    """A short test id that is the same on every run (no object addresses)."""
    if isinstance(value, np.ndarray):
        return f"array{value.shape}:{value.dtype}"
    if value is None or isinstance(value, (str, int, float, list, tuple, dict, np.generic)):
        return repr(value)[:30]
    return type(value).__name__


@pytest.fixture
def no_work(monkeypatch):
    """Drawing data, training, attacking and loading images all fail loudly: the checks must
    come before any of them."""
    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the parameters were checked")

    for module, name in (("sbcore.data.synthetic", "sample_block"),
                         ("sbcore.data.synthetic", "random_rotation"),
                         ("sbcore.data.dominoes", "sources"),
                         ("sbcore.data.dominoes", "class_pools"),
                         ("sbcore.training.trainer", "_tensors"),
                         ("sbcore.training.trainer", "_run_group"),
                         ("sbcore.attacks.pgd", "pgd_steps"),
                         ("sbcore.reliance.probe", "fit_logistic")):
        monkeypatch.setattr(importlib.import_module(module), name, forbidden)


def _names(message: str, word: str) -> bool:
    """The parameter appears as a word of the message (not inside another name)."""
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", message) is not None


@pytest.mark.parametrize(("call", "good", "param", "word", "value", "error"), list(_cases()))
def test_a_bad_parameter_is_refused_by_name_before_any_work(call, good, param, word, value,
                                                           error, no_work):
    with pytest.raises(error) as caught:
        call(**{**good, param: value})
    if error is ValueError:  # a wrong kind is a TypeError; a wrong value only a ValueError
        assert not isinstance(caught.value, TypeError), caught.value
    assert _names(str(caught.value), word), (word, str(caught.value))


def test_every_entry_point_is_called_well_in_the_table():
    """The good arguments of the table run (where they need no fetched images), so that each
    bad case differs from a working call by one parameter."""
    for entry, call, good, _ in ENTRIES:
        if entry in ("make_dominoes", "stack_pairs", "fit_each"):
            continue  # images from the registries; stack_pairs' pools; processes
        call(**good)


# ------------------------------------------------------------------------------------------
# What the trial found, one by one
# ------------------------------------------------------------------------------------------

def test_rotate_given_as_a_string_is_refused_not_read_as_true():
    with pytest.raises(TypeError, match=r"rotate must be True or False, got 'False'"):
        make_dataset("lms-5", 20, 10, rotate="False")


def test_a_wrong_kind_is_still_a_value_error_for_the_callers_that_catch_those():
    """The widgets, the pipeline and the command line catch ValueError to show the message."""
    with pytest.raises(ParameterTypeError) as caught:
        make_dataset("lms-5", "100", 10)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, ValueError)


SIZE_MISMATCH = r"model expects inputs of size 50 but the data have 4 features"


@pytest.mark.parametrize("model", [FCN(50, 8, 1), ModelSpec.parse("(2,3,1)-CNN").build(50, 0),
                                   ModelSpec.parse("(3,5,1)-GRU").build(50, 0)],
                         ids=["FCN", "CNN", "GRU"])
def test_a_model_that_does_not_fit_the_data_is_refused_before_training(model, no_work):
    with pytest.raises(ValueError, match=SIZE_MISMATCH):
        fit(model, DATA, CONFIG, progress=False)
    with pytest.raises(ValueError, match=SIZE_MISMATCH.replace("model", r"models\[0\]")):
        fit_many([model], DATA, CONFIG, [0], progress=False)
    with pytest.raises(ValueError, match=SIZE_MISMATCH.replace("model", r"models\[0\]")):
        fit_each([model], DATA, CONFIG, [0])


def test_a_model_that_does_not_fit_the_data_is_refused_by_attacks_and_scorers(no_work):
    wide = FCN(50, 8, 1)
    for call in (lambda: pgd(wide, X, Y, 0.1), lambda: as_uap(wide, X, Y, 0.1),
                 lambda: uap_accuracy(wide, X, Y, UAP), lambda: as_scorer(wide)(X),
                 lambda: randomized_metrics(as_scorer(wide), DATA)):
        with pytest.raises(ValueError, match=SIZE_MISMATCH):
            call()


def test_slab_data_whose_rows_do_not_match_its_blocks_is_refused(no_work):
    cut = dataclasses.replace(DATA, train=Split(DATA.train.X[:, :3], DATA.train.y),
                              val=Split(DATA.val.X[:, :3], DATA.val.y))
    message = r"an FCN on data.d = 4 inputs expects inputs of size 4 but the data have 3 feat"
    with pytest.raises(ValueError, match=message):
        train(cut, 8, 1, CONFIG, 0, progress=False)
    with pytest.raises(ValueError, match=message):
        train_many(cut, 8, 1, CONFIG, [0], progress=False)


# ------------------------------------------------------------------------------------------
# The accepted kinds still work
# ------------------------------------------------------------------------------------------

def test_numpy_integers_floats_and_bools_are_accepted_by_the_data_makers():
    plain = make_dataset("lms-5", 20, 10, n_val=4, d=4, seed=3, gamma=0.1, rotate=False)
    numpy = make_dataset("lms-5", np.int64(20), np.int32(10), n_val=np.uint8(4), d=np.int64(4),
                         seed=np.int64(3), gamma=np.float64(0.1), rotate=np.False_)
    assert numpy.Q is None and np.array_equal(numpy.train.X, plain.train.X)
    assert make_dataset("lms-5", 20, 10, d=4, rotate=np.True_).Q is not None
    block = Block("slab", k=np.int64(5), gamma=np.float64(0.1), B=np.float32(1.0))
    assert block == Block("slab", k=5, gamma=0.1) and type(block.k) is int
    assert without_coordinates(plain, np.array([0])).d == 3
    assert slab_classes(np.int64(3)) == [1, 0, 1]


@pytest.mark.parametrize("flag", [True, False, np.True_, np.False_])
def test_true_and_false_of_either_kind_are_accepted(flag):
    assert (make_dataset("lms-5", 20, 10, d=4, rotate=flag).Q is not None) == bool(flag)
    delta = pgd(NET, X, Y, 0.1, iters=1, random_start=flag)
    assert delta.shape == X.shape
    assert apply_uap(X, Y, UAP, signed=flag).shape == X.shape


def test_numpy_integers_are_accepted_by_models_training_and_attacks():
    net = FCN(np.int64(4), np.int32(8), np.int64(1))
    assert net.label == "(8,1)-FCN" and type(net.d_in) is int
    spec_net = ModelSpec("fcn", (np.int64(8), 1)).build(np.int64(4), np.uint32(0))
    result = fit(spec_net, DATA, CONFIG, seed=np.int64(1), progress=np.False_)
    assert result.seed == 1 and result.updates == 2
    many = train_many(DATA, np.int64(8), 1, CONFIG, np.arange(2), progress=False)
    assert [r.seed for r in many] == [0, 1]
    delta = pgd(NET, X, Y, np.float32(0.1), iters=np.int64(2), seed=np.uint32(0),
                batch_size=np.int64(7))
    assert np.all(np.linalg.norm(delta, axis=1) <= 0.1 + 1e-6)
    metrics = randomized_metrics(SCORER, DATA, seed=np.int64(1))
    assert 0.0 <= metrics["standard accuracy"] <= 1.0
    assert per_coordinate_accuracy(SCORER, DATA, fraction=np.float32(0.5)).shape == (4,)
    assert InputBlocks(np.array([1, 4]), {"a": [0]}).shape == (1, 4)
