"""Simplicity bias on real images (see ``settings``): train CNNs on domino images (MNIST on
top, a harder image below, both predictive) and measure what they rely on, with the test sets
regenerated with one block randomised as the official code does.

Entries, each the seeds of one model trained one after another with ``fit``:

* ``main/<domino>-<variant>/<model>``: Tables 4 and 5 (and Fig. 3a's logits); on variant A
  also the linear probe of the features (does the representation still carry the complex
  block?), beside the same probe on the untrained network;
* ``momentum/<domino>-A/<model>``: the official code's momentum (0) instead of the paper's;
* ``alone/<domino>-A/<model>``: trained on the complex half alone (MNIST blanked): how hard
  the pair is by itself;
* ``sweep/base`` and ``sweep/<factor>/<level>``: the MNIST / Fashion-MNIST domino around the
  quick profile's SmallCNN run, one factor changed at a time (``sweep_setting``): what sets
  the MNIST-randomised AUC, and how the scores order by the digit and by the garment.

S is the MNIST block, S^c the complex one: the metric names are those of the synthetic
chapters ("S-randomized AUC" is the MNIST-randomised AUC).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sbcore.checks import check_choice
from sbcore.profiles import check_device
from sbcore.studies import section
from sbcore.studies.runner import seeds_from

# The compute functions import the torch-backed floors (models, training, reliance, attacks)
# inside themselves, so that configs() and cost() load without torch.

NAME = "images"
VERSION = 1
PARTS = ("main", "momentum", "alone", "sweep")
SCORE_BATCH = 500  # images per scoring batch: a ResNet50's activations stay small


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """{"<part>/<domino>-<variant>/<model>": config}; the chapter seed shifts every seed."""
    s = section(profile, NAME)
    common = dict(data_seed=s["data_seed"] + seed, seeds=seeds_from(s["seeds"], seed),
                  n_train=s["n_train"], n_test=s["n_test"], n_logits=s["n_logits"])
    out = {}
    for domino in s["dominoes"]:
        for variant in s["variants"]:
            for model in s["models"]:
                out[f"main/{domino}-{variant}/{model}"] = dict(
                    common, part="main", domino=domino, variant=variant, model=model,
                    train=s["train"], probe=variant == "A")
        for part, changes in (("momentum", dict(momentum=s["momentum"]["momentum"])),
                              ("alone", {})):
            side = s[part]
            for model in side["models"]:
                out[f"{part}/{domino}-A/{model}"] = dict(
                    common, seeds=common["seeds"][:side["n_seeds"]], part=part,
                    domino=domino, variant="A", model=model, probe=False,
                    n_val=side.get("n_val", 0),
                    train=dict(s["train"], **changes, max_epochs=side["max_epochs"]))
    if s["sweep"]:
        out.update(sweep_configs(s["sweep"], s["train"], s["data_seed"] + seed, seed))
    return out


def sweep_configs(sweep: dict, recipe: dict, data_seed: int, seed: int) -> dict[str, dict]:
    """{"sweep/base": ..., "sweep/<factor>/<level>": ...}: the base setting and each level's
    changes to it (settings' ``sweep``), on the MNIST / Fashion-MNIST domino."""
    out = {}
    for name, changes in [["base", {}]] + sweep["levels"]:
        unknown = set(changes) - set(sweep["around"])
        if unknown:
            raise ValueError(f"sweep level {name!r} changes {sorted(unknown)}, which are not "
                             f"settings of the base; allowed: {', '.join(sweep['around'])}")
        setting = dict(sweep["around"], **changes)
        check_choice("inputs", setting["inputs"], INPUTS)
        factor, _, level = name.partition("/")
        out[f"sweep/{name}"] = dict(
            part="sweep", factor=factor, level=level or "base", domino="mnist-fashion",
            variant=setting["variant"], channels=list(setting["channels"]),
            inputs=setting["inputs"], data_seed=data_seed, seeds=seeds_from(sweep["seeds"], seed),
            n_train=setting["n_train"], n_test=sweep["n_test"],
            train=dict(recipe, stop=setting["stop"], eps=setting["eps"],
                       max_epochs=setting["max_epochs"]))
    return out


def runnable(profile: str, seed: int = 0) -> list[str]:
    """The entries whose images this machine has: mnist-cifar's only where CIFAR-10 is found
    (``SB_CIFAR10``); the domino's everywhere (its sources are fetched by ``make data``)."""
    from sbcore.data.images import cifar10_root

    have_cifar = cifar10_root() is not None
    return [name for name, cfg in configs(profile, seed).items()
            if cfg["domino"] != "mnist-cifar" or have_cifar]


WEIGHT = {"SmallCNN": 1, "MediumCNN": 1.3, "MobileNetV2": 20, "GoogLeNet": 60, "ResNet50": 50,
          "DenseNet121": 40}


def cost(cfg: dict) -> float:
    """Relative work: seeds x images x the model's weight (forward+backward cost; a sweep
    entry's network by its channels, as SmallCNN's (16, 32, 64) squared: about what a stage's
    convolution costs)."""
    if cfg["part"] == "sweep":
        weight = sum(c * c for c in cfg["channels"]) / (16 ** 2 + 32 ** 2 + 64 ** 2)
        return len(cfg["seeds"]) * cfg["n_train"] * max(weight, 0.5)
    return len(cfg["seeds"]) * (cfg["n_train"] or 10_000) * WEIGHT.get(cfg["model"], 1)


def train_config(recipe: dict, n_train: int):
    """The recipe in updates: one evaluation per epoch, the cap and the step schedule in
    epochs of ``n_train`` images."""
    from sbcore.training import TrainConfig

    r = dict(recipe)
    per_epoch = math.ceil(n_train / r["batch_size"])
    epochs, decay_epochs = r.pop("max_epochs"), r.pop("lr_decay_epochs")
    return TrainConfig(**r, eval_every=per_epoch, max_updates=epochs * per_epoch,
                       lr_decay_every=decay_epochs * per_epoch)


def dataset(cfg: dict):
    """The entry's dominoes (for ``alone``, with MNIST blanked)."""
    from sbcore.data.dominoes import make_dominoes

    # n_train counts the held-out validation images too (the alone part holds some out)
    n_val = cfg.get("n_val", 0)
    n_train = None if cfg["n_train"] is None else cfg["n_train"] - n_val
    data = make_dominoes(cfg["domino"], cfg["variant"], seed=cfg["data_seed"],
                         n_train=n_train, n_val=n_val, n_test=cfg["n_test"])
    return data.with_only(data.complex_name) if cfg["part"] == "alone" else data


def eval_sets(data) -> dict:
    """The standard test set and, unless a half is blanked, the two regenerated randomised
    ones, by the metric names' variant ("standard", "S-randomized", "Sc-randomized")."""
    sets = {"standard": data.test}
    if data.info.get("only") is None:
        sets.update({"S-randomized": data.randomized["mnist"],
                     "Sc-randomized": data.randomized["complex"]})
    return sets


def _measure(model, data, device: str) -> tuple[dict, dict]:
    """Accuracy and AUC on each of ``eval_sets``, and the scores themselves."""
    from sbcore.reliance import accuracy, as_scorer, roc_auc

    scorer = as_scorer(model, device, batch_size=SCORE_BATCH)
    values, scores = {}, {}
    for name, split in eval_sets(data).items():
        scores[name] = scorer(split.X)
        values[f"{name} accuracy"] = accuracy(scores[name], split.y)
        values[f"{name} AUC"] = roc_auc(scores[name], split.y)
    return values, scores


def _probe(models: dict, data, device: str, seed: int) -> dict:
    """Probe accuracy for the complex block's class and the MNIST block's class, from the
    features of each of ``models`` (trained, untrained) on the complex-randomised test set,
    where the complex block says nothing about the label."""
    from sbcore.reliance.probe import penultimate_features, probe_accuracy

    split, classes = data.randomized["complex"], data.block_classes["complex"]
    out = {}
    for label, model in models.items():
        F = penultimate_features(model, split.X, device, SCORE_BATCH)
        for block in ("complex", "mnist"):
            out[f"probe accuracy, {block} block, {label}"] = probe_accuracy(
                F, classes[block], seed=seed)
    return out


def compute(cfg: dict, device: str = "cpu") -> dict:
    """Train and measure one entry: tidy ``metrics`` (per seed), ``runs`` (epochs, updates,
    convergence, final training loss) and ``logits`` (a sample of scores per test set)."""
    from sbcore.models import build_image_model
    from sbcore.training import fit

    check_device(device)
    if cfg["part"] == "sweep":
        return sweep_setting(cfg, device)
    data = dataset(cfg)
    config = train_config(cfg["train"], len(data.train))
    per_epoch = config.eval_every
    keys0 = dict(part=cfg["part"], dataset=f"{cfg['domino']}-{cfg['variant']}",
                 domino=cfg["domino"], variant=cfg["variant"], model=cfg["model"],
                 momentum=cfg["train"]["momentum"])
    metrics, runs, logits = [], [], []
    for seed in cfg["seeds"]:
        keys = dict(keys0, seed=seed)
        r = fit(build_image_model(cfg["model"], seed=seed), data, config, seed, device,
                progress=True)
        model = r.model.to(device)
        values, scores = _measure(model, data, device)
        values["train loss"] = float(r.history["train_loss"].iloc[-1])
        values["train accuracy"] = float(r.history["train_accuracy"].iloc[-1])
        values["epochs"] = r.updates / per_epoch
        if cfg["probe"]:
            fresh = build_image_model(cfg["model"], seed=seed).to(device)
            values.update(_probe({"trained": model, "untrained": fresh}, data, device, seed))
        model.cpu()
        metrics += [dict(study=NAME, **keys, metric=m, value=float(v))
                    for m, v in values.items()]
        runs.append(dict(**keys, n_train=len(data.train), epochs=r.updates / per_epoch,
                         updates=r.updates, converged=r.converged, diverged=r.diverged,
                         train_loss=values["train loss"], wall_time_s=round(r.wall_time_s, 2)))
        sets = eval_sets(data)
        for name, s in scores.items():
            k = min(cfg["n_logits"], len(s))
            logits.append(pd.DataFrame(dict(**keys, test_set=name, y=sets[name].y[:k],
                                            score=np.round(s[:k], 4))))
    return {"metrics": pd.DataFrame(metrics), "runs": pd.DataFrame(runs),
            "logits": pd.concat(logits, ignore_index=True)}



# --------------------------------------------------------------------------------------------
# The sweep: what sets the MNIST-randomised AUC of the domino
# --------------------------------------------------------------------------------------------

INPUTS = ("pixels", "standardised", "bytes")


def rescaled(data, inputs: str):
    """The dominoes with every split's pixels as ``inputs`` says: "pixels" as built ([0, 1]),
    "bytes" times 255, "standardised" less the training images' mean and over their std."""
    from sbcore.data.dominoes import Dominoes
    from sbcore.data.synthetic import Split

    check_choice("inputs", inputs, INPUTS)
    if inputs == "pixels":
        return data
    if inputs == "bytes":
        shift, scale = 0.0, 255.0
    else:
        shift, scale = float(data.train.X.mean()), 1.0 / float(data.train.X.std())

    def change(split):
        return Split(((split.X - shift) * scale).astype(np.float32), split.y)

    return Dominoes(data.name, data.variant, change(data.train), change(data.val),
                    change(data.test), {k: change(v) for k, v in data.randomized.items()},
                    data.seed, dict(data.info, inputs=inputs), data.block_classes)


def sweep_model(channels, seed: int):
    """A SmallCNN of these stages, initialised as ``build_image_model`` does (the same seed
    gives SmallCNN's and MediumCNN's weights for their channels)."""
    import torch

    from sbcore.models import SmallCNN

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return SmallCNN(tuple(channels))


def digit_and_garment(score: np.ndarray, y: np.ndarray, digit: np.ndarray) -> dict:
    """How the scores of a digit-randomised test set order, where the garment gives the label
    ``y`` and the digit's class (``digit``, 0/1) is independent of it:

    * "AUC, digit fixed": the AUC of the label among dominoes of one digit, averaged over the
      two digits: how the garment orders the scores once the digit is fixed;
    * "digit AUC": the AUC of the digit's class: how the digit orders them;
    * "garment / digit shift": the mean score shift from garment 0 to garment 1 with the digit
      fixed, over the shift from digit 0 to digit 1 with the garment fixed.

    Half the pairs of a positive and a negative share a digit and are ordered as "AUC, digit
    fixed" says; in the other half the digit decides (one way as often as the other), so the
    pooled AUC is about (AUC, digit fixed) / 2 + 1/4."""
    from sbcore.reliance import roc_auc

    score, y, digit = np.asarray(score, np.float64), np.asarray(y), np.asarray(digit)
    if not (score.shape == y.shape == digit.shape) or score.ndim != 1:
        raise ValueError(f"score, y and digit must be 1-D of one length, got shapes "
                         f"{score.shape}, {y.shape}, {digit.shape}")
    cells = [(d, c) for d in (0, 1) for c in (0, 1)]
    empty = [cell for cell in cells if not ((digit == cell[0]) & (y == cell[1])).any()]
    if empty:
        raise ValueError(f"every (digit, label) pair needs dominoes; none for {empty}")

    def mean(d, c):
        return score[(digit == d) & (y == c)].mean()

    garment = np.mean([mean(d, 1) - mean(d, 0) for d in (0, 1)])
    digit_shift = np.mean([mean(1, c) - mean(0, c) for c in (0, 1)])
    return {"AUC, digit fixed": float(np.mean([roc_auc(score[digit == d], y[digit == d])
                                               for d in (0, 1)])),
            "digit AUC": roc_auc(score, digit),
            "garment / digit shift": float(garment / digit_shift)}


def sweep_setting(cfg: dict, device: str = "cpu") -> dict:
    """Train one sweep setting (``sweep_configs``), seed by seed, and measure each run: test
    accuracy, the MNIST-randomised accuracy and AUC, how the digit and the garment order its
    scores (``digit_and_garment``, metrics "S-randomized <name>"), the complex-randomised AUC,
    epochs and final training loss. Returns tidy ``metrics`` and ``runs``."""
    from sbcore.data.dominoes import make_dominoes
    from sbcore.training import fit

    check_device(device)
    data = rescaled(make_dominoes(cfg["domino"], cfg["variant"], seed=cfg["data_seed"],
                                  n_train=cfg["n_train"], n_test=cfg["n_test"]), cfg["inputs"])
    config = train_config(cfg["train"], len(data.train))
    keys0 = dict(part="sweep", factor=cfg["factor"], level=cfg["level"],
                 dataset=f"{cfg['domino']}-{cfg['variant']}", variant=cfg["variant"],
                 model="SmallCNN" + str(tuple(cfg["channels"])), inputs=cfg["inputs"])
    split, digit = data.randomized["mnist"], data.block_classes["mnist"]["mnist"]
    metrics, runs = [], []
    for seed in cfg["seeds"]:
        keys = dict(keys0, seed=seed)
        r = fit(sweep_model(cfg["channels"], seed), data, config, seed, device, progress=True)
        model = r.model.to(device)
        values, scores = _measure(model, data, device)
        values.update({f"S-randomized {k}": v for k, v in
                       digit_and_garment(scores["S-randomized"], split.y, digit).items()})
        values["train loss"] = float(r.history["train_loss"].iloc[-1])
        values["epochs"] = r.updates / config.eval_every
        model.cpu()
        metrics += [dict(study=NAME, **keys, metric=m, value=float(v)) for m, v in values.items()]
        runs.append(dict(**keys, n_train=len(data.train), epochs=values["epochs"],
                         updates=r.updates, converged=r.converged, diverged=r.diverged,
                         train_loss=values["train loss"], wall_time_s=round(r.wall_time_s, 2)))
    return {"metrics": pd.DataFrame(metrics), "runs": pd.DataFrame(runs)}
