"""The MS-(5,7) plateau (see ``settings``): for each d and training-set size, train the seeds of
a (w,1)-FCN on MS-(5,7) with the paper's SGD recipe and record when the validation accuracy
first reaches ``escape`` (the network found the 5-slab), whether the run memorised the
training set instead (train accuracy at the stop rule, validation at chance), and the whole
accuracy history.

One store entry per (d, n_train), its seeds trained together (``train_many``); at the paper
profile also the two extreme-SB cells rerun (``reruns``), with their reliance measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.data import make_dataset, without_coordinates
from sbcore.models import model_label
from sbcore.profiles import check_device
from sbcore.reliance import accuracy, as_scorer, randomized_metrics
from sbcore.studies import section
from sbcore.studies.runner import seeds_from
from sbcore.training import TrainConfig, train_many

NAME = "plateau"
VERSION = 1
DATASET = "ms-5-7"


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """{"d<d>/n<n_train>": config}; the chapter seed shifts the data seed and the seeds."""
    s = section(profile, NAME)
    cells = {(d, s["sweep_d"]["n_train"]) for d in s["sweep_d"]["ds"]}
    cells |= {(d, n) for d in s["sweep_n"]["ds"] for n in s["sweep_n"]["n_trains"]}
    common = dict(n_val=s["n_val"], n_test=s["n_test"], data_seed=s["data_seed"] + seed,
                  seeds=seeds_from(s["seeds"], seed), escape=s["escape"], train=s["train"])
    out = {f"d{d}/n{n}": dict(common, d=d, n_train=n, model=s["model"], drop_S=False)
           for d, n in sorted(cells)}
    for name, r in s["reruns"].items():  # the extreme-SB cells, measured for reliance too
        if r is not None:
            out[f"rerun/{name}"] = dict(common, **r, rerun=name)
    return out


def cost(cfg: dict) -> float:
    """Relative work: seeds x parameters x d (the plateau grows with d)."""
    width, _ = cfg["model"]
    return len(cfg["seeds"]) * cfg["d"] * width * cfg["d"] * (10 if cfg.get("rerun") else 1)


def escape_update(history: pd.DataFrame, escape: float) -> float:
    """The first evaluated update whose validation accuracy reaches ``escape``; NaN if none."""
    hit = history[history["val_accuracy"] >= escape]
    return float(hit["update"].iloc[0]) if len(hit) else np.nan


def compute(cfg: dict, device: str = "cpu") -> dict:
    """Train the seeds of one (d, n_train) and return tidy ``metrics`` (escape update, NaN
    for a run that did not escape; final train and validation accuracy; for a rerun its test
    accuracy and randomised metrics), ``runs`` (one row per seed: escape update, updates run,
    stop update, final accuracies, memorised) and ``history`` (train and validation accuracy
    at every evaluation)."""
    check_device(device)
    data = make_dataset(DATASET, n_train=cfg["n_train"], n_test=cfg["n_test"],
                        n_val=cfg["n_val"], d=cfg["d"], seed=cfg["data_seed"])
    if cfg["drop_S"]:  # the S-removed control: the 7-slabs alone
        data = without_coordinates(data, data.S)
    width, depth = cfg["model"]
    results = train_many(data, width, depth, TrainConfig(**cfg["train"]), cfg["seeds"],
                         device=device, progress=True)
    runs, history, metrics = [], [], []
    for r in results:
        keys = dict(dataset=DATASET, d=cfg["d"], n_train=cfg["n_train"],
                    model=model_label(width, depth), drop_S=cfg["drop_S"],
                    rerun=cfg.get("rerun", ""), seed=r.seed)
        h = r.history
        last = h.iloc[-1]
        escaped = escape_update(h, cfg["escape"])
        runs.append(dict(**keys, escape_update=escaped, updates=r.updates,
                         stop_update=r.stop_update, cap=cfg["train"]["max_updates"],
                         train_accuracy=float(last["train_accuracy"]),
                         val_accuracy=float(last["val_accuracy"]),
                         memorised=bool(np.isnan(escaped) and r.stop_update is not None),
                         wall_time_s=round(r.wall_time_s, 2)))
        history.append(h[["update", "train_accuracy", "val_accuracy"]].assign(**keys))
        metrics += [dict(study=NAME, **keys, metric=m, value=float(v))
                    for m, v in (("escape update", escaped),
                                 ("train accuracy", last["train_accuracy"]),
                                 ("validation accuracy", last["val_accuracy"]))]
        if cfg.get("rerun"):
            metrics += _reliance(keys, r, data, device)
    return {"metrics": pd.DataFrame(metrics), "runs": pd.DataFrame(runs),
            "history": pd.concat(history, ignore_index=True)}


def _reliance(keys: dict, r, data, device: str) -> list[dict]:
    """Test accuracy, and for data that still have S the randomised metrics of the
    extreme-SB chapter, of one rerun network."""
    scorer = as_scorer(r.model.to(device), device)
    values = {"standard accuracy": accuracy(scorer(data.test.X), data.test.y)}
    if data.S:
        values.update(randomized_metrics(scorer, data, "test", seed=r.seed))
    r.model.cpu()
    return [dict(study=NAME, **keys, metric=m, value=float(v))
            for m, v in values.items()]
