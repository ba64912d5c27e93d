"""Simplicity bias on real images (see ``settings``): train CNNs on domino images (MNIST on
top, a harder image below, both predictive) and measure what they rely on, with the test sets
regenerated with one block randomised as the official code does.

Entries, each the seeds of one model trained one after another with ``fit``:

* ``main/<domino>-<variant>/<model>``: Tables 4 and 5 (and Fig. 3a's logits); on variant A
  also the linear probe of the features (does the representation still carry the complex
  block?), beside the same probe on the untrained network;
* ``momentum/<domino>-A/<model>``: the official code's momentum (0) instead of the paper's;
* ``alone/<domino>-A/<model>``: trained on the complex half alone (MNIST blanked): how hard
  the pair is by itself.

S is the MNIST block, S^c the complex one: the metric names are those of the synthetic
chapters ("S-randomized AUC" is the MNIST-randomised AUC).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sbcore.profiles import check_device
from sbcore.studies import section
from sbcore.studies.runner import seeds_from

# The compute functions import the torch-backed floors (models, training, reliance, attacks)
# inside themselves, so that configs() and cost() load without torch.

NAME = "images"
VERSION = 1
PARTS = ("main", "momentum", "alone")
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
    """Relative work: seeds x images x the model's weight (forward+backward cost)."""
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

