"""Extreme simplicity bias (section 4.2 of the paper: Fig. 3, Table 4, the S-removed control).

FCNs trained with SGD on LMS-5 and MS-(5,7) (d = 50, rotated) reach ~100% test accuracy yet
rely on the simple coordinate S alone: randomising S drops them to chance, randomising the
49 complex coordinates S^c changes nothing, although S^c alone is fully predictive.

Three parts, each one store entry (so each can be run, stored and committed on its own):

* ``main``: d = 50; every dataset x model x seed: train/test accuracy, standard, S- and
  S^c-randomised accuracy and AUC (Table 4, Fig. 3b at |S^c| = 49), and the tables the
  figures need: per-coordinate randomised accuracy, coordinate influence (mean |d score /
  d z_c|), logits of true positives (Fig. 3a), training dynamics (``track``), and a
  decision-boundary grid over (S, most influential S^c coordinate) (Fig. 3c).
* ``wide``: Fig. 3b at |S^c| = 249 (d = 250).
* ``control``: the same networks trained on S^c alone (S removed): the complex features
  are learnable from the same sample.
* ``toy``: Fig. 1 in two dimensions, LMS-5 at d = 2: the randomised accuracies and every
  seed's decision boundary over the plane.

Datasets are drawn once per (dataset, d) from ``data_seed``; seeds vary the network's
initialisation and data order (``train_many`` trains all seeds of one shape together).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sbcore.data import make_dataset, without_coordinates
from sbcore.models import model_label
from sbcore.paper import paper_numbers
from sbcore.profiles import check_device, check_profile
from sbcore.reliance import (
    accuracy,
    as_scorer,
    logit_table,
    per_coordinate_accuracy,
    randomized_inputs,
    randomized_metrics,
)
from sbcore.studies import section
from sbcore.studies.runner import seeds_from
from sbcore.training import TrainConfig, train_many

NAME = "extreme_sb"
VERSION = 2  # 2: one entry per (part, dataset, model); state dicts of the main part stored
PARTS = ("main", "wide", "control", "toy")


# --------------------------------------------------------------------------------------------
# Configs: one store entry per (part, dataset, model), its seeds trained together
# --------------------------------------------------------------------------------------------

def seeds_of(s: dict, width: int, depth: int) -> list[int]:
    """The seeds of one model: ``seeds``, unless ``seeds_for`` names fewer for that model
    (the quick profile trains the expensive (2000,1)-FCN with fewer seeds)."""
    return s.get("seeds_for", {}).get(model_label(width, depth), s["seeds"])


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """{"<part>/<dataset>/<model>": config}; the chapter seed shifts the data seed and every
    network's seeds."""
    s = section(profile, NAME)
    common = dict(n_val=s["n_val"], n_test=s["n_test"], data_seed=s["data_seed"] + seed,
                  train=s["train"])
    parts = {
        "main": dict(d=s["d"], n_train=s["n_train"], datasets=s["datasets"],
                     models=s["models"], seeds=s["seeds"]),
        "wide": dict(d=s["d_wide"], n_train=s["wide_n_train"], datasets=s["wide_datasets"],
                     models=s["wide_models"], seeds=s["wide_seeds"],
                     train=dict(s["train"], **s["wide_train"])),
        "control": dict(d=s["d"], n_train=s["n_train"], datasets=s["datasets"],
                        models=s["control_models"], seeds=s["control_seeds"]),
    }
    out = {}
    for part, p in parts.items():
        for name in p["datasets"]:
            for width, depth in p["models"]:
                seeds = seeds_of(s, width, depth) if part == "main" else p["seeds"]
                cfg = dict(common, part=part, dataset=name, d=p["d"], n_train=p["n_train"],
                           model=[width, depth], seeds=seeds_from(seeds, seed),
                           train=p.get("train", s["train"]))
                if part == "main":
                    cfg.update(track_n=s["track_n"], logit_cap=s["logit_cap"],
                               boundary=[width, depth] == list(s["boundary_model"]),
                               grid=s["grid"], grid_bases=s["grid_bases"],
                               influence_n=s["influence_n"])
                out[f"{part}/{name}/{model_label(width, depth)}"] = cfg
    toy = s["toy"]
    for name in toy["datasets"]:
        width, depth = toy["model"]
        out[f"toy/{name}/{model_label(width, depth)}"] = dict(
            common, part="toy", dataset=name, d=toy["d"], n_train=s["n_train"],
            model=[width, depth], seeds=seeds_from(s["seeds"], seed), grid=s["grid"])
    return out


def cost(cfg: dict) -> float:
    """Relative work of an entry: seeds x parameters x training points."""
    width, depth = cfg["model"]
    params = cfg["d"] * width + (depth - 1) * width * width
    return len(cfg["seeds"]) * params * cfg["n_train"] * (2 if cfg["part"] == "control" else 1)


def config(profile: str, part: str = "main", seed: int = 0) -> dict[str, dict]:
    """The entries of one part: {entry name: config}."""
    check_profile(profile)
    if part not in PARTS:
        raise ValueError(f"part {part!r} is unknown; allowed: {', '.join(PARTS)}")
    return {k: v for k, v in configs(profile, seed).items() if v["part"] == part}


def _train_config(cfg: dict):
    return TrainConfig(**cfg["train"])


def _data(cfg: dict, name: str):
    return make_dataset(name, n_train=cfg["n_train"], n_test=cfg["n_test"], n_val=cfg["n_val"],
                        d=cfg["d"], seed=cfg["data_seed"])


# --------------------------------------------------------------------------------------------
# Measurements of one trained model (numpy scorers, so they work for any classifier)
# --------------------------------------------------------------------------------------------

def dynamics_tracker(data, n: int, seed: int = 0):
    """``track`` for train_many: standard, S- and S^c-randomised test accuracy on the first
    n test rows (inputs randomised once, so every evaluation sees the same rows)."""
    inputs = {v: X[:n] for v, X in randomized_inputs(data, "test", seed).items()}
    y = data.test.y[:n]

    def track(scorer) -> dict:
        return {f"{v} accuracy": accuracy(scorer(X), y) for v, X in inputs.items()}

    return track


def coordinate_influence(scorer, data, n: int = 500, h: float = 1e-2) -> np.ndarray:
    """Mean |d score / d z_c| over n test points for every canonical coordinate c, by central
    differences (the gradient-norm view of what a model uses)."""
    Z = data.unrotate(data.test.X[:n].astype(np.float64))
    out = np.empty(data.d)
    for c in range(data.d):
        up, down = Z.copy(), Z.copy()
        up[:, c] += h
        down[:, c] -= h
        diff = scorer(data.rotate(up).astype(np.float32)) - scorer(
            data.rotate(down).astype(np.float32))
        out[c] = np.mean(np.abs(diff)) / (2 * h)
    return out


def decision_boundary(scorer, data, c_coord: int, grid: int = 61, bases: int = 3,
                      span: float = 1.15) -> pd.DataFrame:
    """Scores on a grid over (the first S coordinate, canonical coordinate ``c_coord``), the
    other canonical coordinates fixed at those of each of the first ``bases`` test points;
    rotated into the model's input space before scoring."""
    s_coord = data.S[0]
    values = np.round(np.linspace(-span, span, grid), 5)  # short in the stored CSV
    U, V = np.meshgrid(values, values, indexing="xy")
    Z0 = data.unrotate(data.test.X[:bases].astype(np.float64))
    frames = []
    for b, z in enumerate(Z0):
        Z = np.repeat(z[None, :], U.size, axis=0)
        Z[:, s_coord], Z[:, c_coord] = U.ravel(), V.ravel()
        score = scorer(data.rotate(Z).astype(np.float32))
        frames.append(pd.DataFrame(dict(base=b, s_coord=s_coord, c_coord=c_coord,
                                        s_value=U.ravel(), c_value=V.ravel(),
                                        score=np.round(score, 4))))
    return pd.concat(frames, ignore_index=True)


def boundary_points(data, s_coord: int, c_coord: int, n: int = 600) -> pd.DataFrame:
    """Test points projected on the two canonical coordinates of the boundary plot."""
    Z = data.unrotate(data.test.X[:n].astype(np.float64))
    return pd.DataFrame(dict(s_value=Z[:, s_coord], c_value=Z[:, c_coord], y=data.test.y[:n]))


# --------------------------------------------------------------------------------------------
# Compute
# --------------------------------------------------------------------------------------------

def _device_scorer(model, device: str):
    return as_scorer(model.to(device), device)


def _metric_rows(keys: dict, values: dict) -> list[dict]:
    return [dict(study=NAME, **keys, metric=m, value=float(v))
            for m, v in values.items()]


def _run_row(keys: dict, r) -> dict:
    return dict(**keys, updates=r.updates, stop_update=r.stop_update, converged=r.converged,
                selected_update=getattr(r, "selected_update", np.nan),
                wall_time_s=round(r.wall_time_s, 2))


def _train(cfg, data, device, track=None):
    width, depth = cfg["model"]
    return train_many(data, width, depth, _train_config(cfg), cfg["seeds"], device=device,
                      track=track, progress=True)


def compute(cfg: dict, device: str = "cpu") -> dict:
    """Train one entry's seeds (one dataset, one model, one part) and measure them: tidy
    ``metrics``, ``runs`` and, for the main part, the figures' tables and the trained
    networks' state dicts (``tensors``: {"seed <s>": state dict})."""
    check_device(device)
    part, name = cfg["part"], cfg["dataset"]
    width, depth = cfg["model"]
    tables: dict[str, list] = {"metrics": [], "runs": []}
    if part == "main":
        tables.update(per_coordinate=[], influence=[], logits=[], history=[], boundary=[],
                      boundary_points=[])
    if part == "toy":
        tables.update(boundary=[], boundary_points=[])
    data = _data(cfg, name)
    if part == "control":
        data = without_coordinates(data, data.S)
    label = model_label(width, depth)
    track = dynamics_tracker(data, cfg["track_n"]) if part == "main" else None
    results = _train(cfg, data, device, track)
    tensors = {}
    for r in tqdm(results, desc=f"extreme_sb {part} {name} {label}", leave=False):
        keys = dict(dataset=name, d=cfg["d"], model=label, seed=r.seed)
        scorer = _device_scorer(r.model, device)
        values = {"train accuracy": accuracy(scorer(data.train.X), data.train.y)}
        if part == "control":  # S is gone: only the plain accuracies mean something
            values["standard accuracy"] = accuracy(scorer(data.test.X), data.test.y)
        else:
            values.update(randomized_metrics(scorer, data, "test", seed=r.seed))
        tables["metrics"] += _metric_rows(keys, values)
        tables["runs"].append(_run_row(keys, r))
        if part == "toy":  # every seed's boundary over the whole plane (d = 2: no base)
            c_coord = int(data.Sc[0])
            grid = decision_boundary(scorer, data, c_coord, cfg["grid"], bases=1)
            tables["boundary"].append(grid.drop(columns="base").assign(**keys))
            if r.seed == cfg["seeds"][0]:
                pts = boundary_points(data, data.S[0], c_coord)
                tables["boundary_points"].append(pts.assign(**keys, s_coord=data.S[0],
                                                            c_coord=c_coord))
        if part == "main":
            _main_extras(tables, cfg, data, keys, r, scorer)
            tensors[f"seed {r.seed}"] = {k: v.detach().cpu().clone()
                                         for k, v in r.model.state_dict().items()}
        r.model.cpu()
    out = {k: pd.DataFrame(v) if not v or isinstance(v[0], dict) else pd.concat(
        v, ignore_index=True) for k, v in tables.items()}
    if tensors:
        out["tensors"] = tensors
    return out


def _main_extras(tables, cfg, data, keys, r, scorer) -> None:
    """Per-coordinate accuracy, influence, dynamics (all seeds); logits and the decision
    boundary (first seed only: they are pictures of one model)."""
    acc = per_coordinate_accuracy(scorer, data, "test", seed=r.seed)
    infl = coordinate_influence(scorer, data, n=cfg["influence_n"])
    in_s = np.isin(np.arange(data.d), data.S)
    tables["per_coordinate"].append(pd.DataFrame(dict(**keys, coordinate=np.arange(data.d),
                                                      in_S=in_s, accuracy=acc)))
    tables["influence"].append(pd.DataFrame(dict(**keys, coordinate=np.arange(data.d),
                                                 in_S=in_s, influence=infl)))
    hist = r.history.copy()
    for k, v in reversed(keys.items()):
        hist.insert(0, k, v)
    tables["history"].append(hist)
    if r.seed != cfg["seeds"][0]:
        return
    logits = logit_table(scorer, data, "test", seed=r.seed)
    logits = logits.groupby("variant", sort=False).head(cfg["logit_cap"])
    logits["score"] = logits["score"].round(4)
    tables["logits"].append(logits.assign(**keys)[list(keys) + ["variant", "score"]])
    if cfg["boundary"]:
        sc = np.array(data.Sc)
        c_coord = int(sc[np.argmax(infl[sc])])  # the most influential complex coordinate
        grid = decision_boundary(scorer, data, c_coord, cfg["grid"], cfg["grid_bases"])
        tables["boundary"].append(grid.assign(**keys))
        pts = boundary_points(data, data.S[0], c_coord)
        tables["boundary_points"].append(pts.assign(**keys, s_coord=data.S[0], c_coord=c_coord))


COORDINATE_METRICS = ("S coordinate randomized accuracy",
                      "lowest Sc coordinate randomized accuracy",
                      "S influence / largest Sc influence")


def coordinate_summary(result) -> pd.DataFrame:
    """Tidy per-seed summary of the per-coordinate view of a main-part result: accuracy with
    the S coordinate randomised, the lowest accuracy with one S^c coordinate randomised, and
    the influence of S over the largest S^c influence (``COORDINATE_METRICS``)."""
    keys = ["dataset", "d", "model", "seed"]
    pc, infl = result.tables["per_coordinate"], result.tables["influence"]
    s_acc = pc[pc["in_S"]].groupby(keys)["accuracy"].mean()
    sc_min = pc[~pc["in_S"]].groupby(keys)["accuracy"].min()
    ratio = (infl[infl["in_S"]].groupby(keys)["influence"].mean()
             / infl[~infl["in_S"]].groupby(keys)["influence"].max())
    frames = [v.rename("value").reset_index().assign(metric=m)
              for m, v in zip(COORDINATE_METRICS, (s_acc, sc_min, ratio))]
    out = pd.concat(frames, ignore_index=True).assign(study=NAME)
    return out[["study"] + keys + ["metric", "value"]]



# --------------------------------------------------------------------------------------------
# The paper's numbers, shaped for sbcore.book.compare_table
# --------------------------------------------------------------------------------------------

def paper_table(part: str = "main", profile: str = "quick") -> pd.DataFrame:
    """The paper's numbers that a part reproduces, with columns dataset, d, model, metric,
    mean, std (Table 4 and notebook 01 at d = 50, Fig. 3b at both d, the 4.2 control).

    The 4.2 control names no dataset or model ("any"); it is set beside each dataset and
    control model of the profile."""
    if part not in PARTS:
        raise ValueError(f"part {part!r} is unknown; allowed: {', '.join(PARTS)}")
    df = paper_numbers()
    if part == "main":
        return df[df["source"].isin(["Table 4", "Fig. 3b", "Notebook 01"])
                  & (df["d"] == 50)].reset_index(drop=True)
    if part == "wide":
        return df[(df["source"] == "Fig. 3b") & (df["d"] > 50)].reset_index(drop=True)
    row = df[df["source"] == "Sec. 4.2 text"].iloc[0]
    return pd.DataFrame([dict(row, dataset=c["dataset"], model=model_label(*c["model"]))
                         for c in config(profile, part).values()])
