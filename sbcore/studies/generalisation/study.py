"""Simplicity bias can hurt generalisation (section 5 of the paper: Tables 2 and 10).

On noisy LMS-7 the linear coordinate S is right for 95% of the points (10% lie inside its
margin whatever their label), while the 49 seven-slabs Sᶜ separate every point. A network that
used the slabs would reach 100%; the paper finds that the best of 180 SGD settings per network,
chosen on a validation split, still settles near 95% and relies on S alone.

* ``grid``: the six FCNs of Table 2 over the grid of learning rate x batch x weight decay x
  momentum, several seeds per point, all points of one batch size trained together
  (``train_grid``): one store entry per network and batch size, so each is a GPU slice.
  Per run: train, validation, test and S- / Sᶜ-randomised accuracy (and AUC) of its last
  model (the run's end: stop rule, divergence or cap), and how the run ended.
* ``control``: the same networks on MS-7 (the 7-slabs alone) from the same sample size, with
  the recipe of notebook 03: the slabs are learnable from this sample.

``select`` picks each network's grid point (highest mean validation accuracy over seeds):
Table 10's settings, whose runs give Table 2.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sbcore.data import Split, make_dataset
from sbcore.models import ModelSpec
from sbcore.profiles import check_device
from sbcore.reliance import accuracy, randomized_metrics
from sbcore.studies import section
from sbcore.studies.runner import seeds_from
from sbcore.training import TrainConfig, train_grid, train_many

NAME = "generalisation"
VERSION = 1
PARTS = ("grid", "control")
SETTINGS = ("lr", "batch_size", "weight_decay", "momentum")  # a grid point's coordinates


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """{"grid/<model>/batch-<b>": config, "control/<model>": config}; the chapter seed shifts
    the data seed and every network's seeds."""
    s = section(profile, NAME)
    common = dict(d=s["d"], p=s["p"], n_train=s["n_train"], n_val=s["n_val"],
                  n_test=s["n_test"], data_seed=s["data_seed"] + seed,
                  seeds=seeds_from(s["seeds"], seed))
    g = s["grid"]
    points = [dict(lr=lr, weight_decay=wd, momentum=m)
              for lr, wd, m in itertools.product(g["lr"], g["weight_decay"], g["momentum"])]
    out = {}
    for model in s["models"]:
        for batch in g["batch_size"]:
            out[f"grid/{model}/batch-{batch}"] = dict(
                common, part="grid", dataset=s["dataset"], model=model, batch_size=batch,
                points=points, train=s["train"])
    for model in s["models"]:
        out[f"control/{model}"] = dict(common, part="control", dataset=s["control"]["dataset"],
                                       model=model, train=s["control"]["train"])
    return out


def cost(cfg: dict) -> float:
    """Relative work: models x multiply-adds per row x batch (the grid's runs mostly reach
    their caps; a batch-4 entry makes as many updates as a batch-256 one, each cheaper)."""
    width, depth = ModelSpec.parse(cfg["model"]).sizes
    macs = cfg["d"] * width + (depth - 1) * width * width + 2 * width
    if cfg["part"] == "control":
        return len(cfg["seeds"]) * macs * cfg["train"]["batch_size"] * 0.1
    return len(cfg["points"]) * len(cfg["seeds"]) * macs * max(cfg["batch_size"], 16)


def dataset(cfg: dict):
    """The entry's data: noisy LMS-7 (grid) or MS-7 (control), rotated, at the entry's sizes."""
    return make_dataset(cfg["dataset"], n_train=cfg["n_train"], n_val=cfg["n_val"],
                        n_test=cfg["n_test"], d=cfg["d"], p=cfg["p"], seed=cfg["data_seed"])


def _measure(r, data, seed: int) -> dict:
    """What a run's selected checkpoint gives: train and validation accuracy, and the test
    split's standard / S- / Sᶜ-randomised accuracy and AUC (MS-7 has no S: standard only)."""
    values = {"train accuracy": accuracy(r.scorer(data.train.X), data.train.y),
              "validation accuracy": accuracy(r.scorer(data.val.X), data.val.y)}
    if data.S:
        values.update(randomized_metrics(r.scorer, data, "test", seed=seed))
    else:
        values["standard accuracy"] = accuracy(r.scorer(data.test.X), data.test.y)
    return values


def _rows(keys: dict, values: dict) -> list[dict]:
    return [dict(study=NAME, **keys, metric=m, value=float(v))
            for m, v in values.items()]


def _run_row(keys: dict, r) -> dict:
    ended = "diverged" if r.diverged else "converged" if r.converged else "capped"
    return dict(**keys, updates=r.updates, stop_update=r.stop_update, ended=ended,
                selected_update=r.selected_update, wall_time_s=round(r.wall_time_s, 2))


def compute(cfg: dict, device: str = "cpu") -> dict:
    """Train and measure one entry: tidy ``metrics`` (per run and metric) and ``runs`` (how
    each run ended)."""
    check_device(device)
    data = dataset(cfg)
    # each run keeps its last model (the one that met the stop rule, diverged or hit the cap):
    # the validation split chooses between grid points, not between checkpoints of a run
    fit_data = dataclasses.replace(data, val=Split(data.val.X[:0], data.val.y[:0]))
    width, depth = ModelSpec.parse(cfg["model"]).sizes
    seeds = cfg["seeds"]
    if cfg["part"] == "control":
        config = TrainConfig(**cfg["train"])
        results = train_many(fit_data, width, depth, config, seeds, device=device,
                             progress=False)
        points = [dict(lr=config.lr, weight_decay=config.weight_decay,
                       momentum=config.momentum)] * len(seeds)
        batch = config.batch_size
    else:
        points = [pt for pt in cfg["points"] for _ in seeds]
        batch = cfg["batch_size"]
        configs_ = [TrainConfig(**dict(cfg["train"], batch_size=batch, **pt)) for pt in points]
        results = train_grid(fit_data, width, depth, configs_, seeds * len(cfg["points"]),
                             device=device, progress=False)
    metrics, runs = [], []
    for pt, r in tqdm(list(zip(points, results)), desc=f"measure {cfg['model']}", leave=False):
        keys = dict(part=cfg["part"], dataset=cfg["dataset"], d=cfg["d"], model=cfg["model"],
                    lr=pt["lr"], batch_size=batch, weight_decay=pt["weight_decay"],
                    momentum=pt["momentum"], seed=r.seed)
        metrics += _rows(keys, _measure(r, data, r.seed))
        runs.append(_run_row(keys, r))
    return {"metrics": pd.DataFrame(metrics), "runs": pd.DataFrame(runs)}


def point_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, grid point): the mean over seeds of every metric (columns), with
    the number of seeds."""
    wide = metrics.pivot_table(index=["model", *SETTINGS, "seed"], columns="metric",
                               values="value").reset_index()
    out = wide.groupby(["model", *SETTINGS], sort=False).mean(numeric_only=True)
    out["seeds"] = wide.groupby(["model", *SETTINGS], sort=False)["seed"].nunique()
    return out.drop(columns="seed").reset_index()


def select(metrics: pd.DataFrame) -> pd.DataFrame:
    """Each network's chosen grid point (section 5: selection on the validation split): the
    highest mean validation accuracy over seeds; ties go to the point listed first (smaller
    learning rate, then batch, weight decay, momentum). One row per model: its settings and
    mean metrics."""
    points = point_table(metrics).sort_values(["model", *SETTINGS], kind="stable")
    best = points.groupby("model", sort=False)["validation accuracy"].transform("max")
    chosen = points[np.isclose(points["validation accuracy"], best, rtol=0, atol=1e-12)]
    chosen = chosen.drop_duplicates("model")
    order = list(dict.fromkeys(metrics["model"]))
    return chosen.set_index("model").loc[order].reset_index()


def chosen_runs(metrics: pd.DataFrame) -> pd.DataFrame:
    """The tidy metric rows of each network's chosen point (its seeds): Table 2."""
    keys = ["model", *SETTINGS]
    picked = select(metrics)[keys]
    return metrics.merge(picked, on=keys, how="inner")

