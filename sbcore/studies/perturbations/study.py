"""Small perturbations, large failures (see ``settings``): train a model on LMS-5 or MS-(5,7),
then attack its test set with per-example l2 PGD, the SVD-UAP and the AS-UAP at a range of l2
norms (the paper's label-signed convention: +u for class 1, -u for class 0), and shift it by
the same norms along S and along S^c. The averaging classifier (``sbcore.attacks``) meets the
same attacks. One store entry per (dataset, model), its seeds one after another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.data import make_dataset
from sbcore.profiles import check_device
from sbcore.studies import section
from sbcore.studies.runner import seeds_from

# The compute functions import the torch-backed floors (models, training, reliance, attacks)
# inside themselves, so that configs() and cost() load without torch.

NAME = "perturbations"
VERSION = 1
AVERAGING = "averaging classifier"


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """{"<dataset>/<model>": config}; the chapter seed shifts the data seed and the seeds."""
    s = section(profile, NAME)
    common = {k: s[k] for k in ("d", "n_train", "n_val", "n_test", "train", "n_attack", "pgd",
                                "as_uap", "norms")}
    common.update(data_seed=s["data_seed"] + seed, seeds=seeds_from(s["seeds"], seed))
    out = {f"{ds}/{model}": dict(common, dataset=ds, model=model, svd_pgd=s["svd_pgd"][ds])
           for ds in s["datasets"] for model in s["models"][ds]}
    im = {k: v for k, v in s["images"].items() if k != "dominoes"}
    for domino in s["images"]["dominoes"]:
        for model in im["models"]:
            out[f"images/{domino}-A/{model}"] = dict(
                im, dataset=f"{domino}-A", model=model, data_seed=common["data_seed"],
                seed=common["seeds"][0], images=True)
    return out


def runnable(profile: str, seed: int = 0) -> list[str]:
    """The entries whose data this machine has: MNIST-CIFAR's only where CIFAR-10 is found
    (``SB_CIFAR10``), as in the images study."""
    from sbcore.data.images import cifar10_root

    have_cifar = cifar10_root() is not None
    return [name for name, cfg in configs(profile, seed).items()
            if not cfg["dataset"].startswith("mnist-cifar") or have_cifar]


def cost(cfg: dict) -> float:
    """Relative work: seeds x training points, the CNN and GRU heavier, MS-(5,7) slower."""
    if cfg.get("images"):
        return 50 * (cfg["n_train"] or 12_000)
    weight = 8 if "GRU" in cfg["model"] else 4 if "CNN" in cfg["model"] else 1
    return len(cfg["seeds"]) * cfg["n_train"] * weight * (10 if cfg["dataset"] == "ms-5-7" else 1)


def _canonical_unit(data, direction: np.ndarray) -> np.ndarray:
    """A unit direction given in canonical coordinates, as the model sees it (rotated)."""
    u = direction / np.linalg.norm(direction)
    return data.rotate(u[None])[0].astype(np.float32)


def attack_curves(model, data, cfg: dict, seed: int, label: str,
                  bounds: tuple[float, float]) -> tuple[list, dict]:
    """Accuracy and budget share on S of one model under every attack and shift, at each norm;
    and the model's SVD-UAP direction (unit), as the model sees it (``unit``) and in canonical
    coordinates (``unit_uap``)."""
    from sbcore.attacks import as_uap, best_sign, budget_shares, pgd, svd_uap, uap_accuracy
    from sbcore.reliance import accuracy, as_scorer

    X, y = data.test.X[: cfg["n_attack"]], data.test.y[: cfg["n_attack"]]
    drange = bounds[1] - bounds[0]
    rows = []

    def row(attack, norm, accuracy, P=None):
        shares = budget_shares(data, P, data.S) if P is not None else {}
        rows.append(dict(model=label, seed=seed, attack=attack, norm=float(norm),
                         accuracy=float(accuracy), share_norm_ratio=shares.get("norm_ratio"),
                         share_l2_mass=shares.get("l2_mass")))

    scorer = as_scorer(model)
    row("none", 0.0, accuracy(scorer(X), y))
    p = cfg["pgd"]
    deltas = pgd(model, X, y, p["eps"] * drange, step=p["step"] * drange, iters=p["iters"],
                 bounds=bounds, seed=seed)
    row("PGD (per example)", p["eps"] * drange, accuracy(scorer(X + deltas), y), deltas)
    s = cfg["svd_pgd"]
    unit = svd_uap(pgd(model, X, y, s["eps"] * drange, iters=s["iters"], bounds=bounds,
                       seed=seed + 1), 1.0).astype(np.float32)
    rng = np.random.default_rng([seed, 5])
    sc_dir = np.zeros(data.d)
    sc_dir[data.Sc] = rng.normal(size=len(data.Sc))
    s_dir = np.zeros(data.d)
    s_dir[data.S] = 1.0
    directions = {"shift along S": _canonical_unit(data, s_dir),
                  "shift along Sᶜ": _canonical_unit(data, sc_dir)}
    a = cfg["as_uap"]
    for norm in cfg["norms"]:
        u = best_sign(model, X, y, norm * unit, bounds=bounds)
        row("SVD-UAP", norm, uap_accuracy(model, X, y, u, bounds=bounds), u)
        # the same direction added to every point whatever its label (on LMS-5 half of the
        # points then move away from the boundary; on a 5-slab either way crosses a slab)
        u = best_sign(model, X, y, norm * unit, signed=False, bounds=bounds)
        row("SVD-UAP, unsigned", norm,
            uap_accuracy(model, X, y, u, signed=False, bounds=bounds), u)
        v = as_uap(model, X, y, norm, iters=a["iters"], lr=a["lr"], epochs=a["epochs"],
                   batch_size=a["batch_size"], bounds=bounds)
        row("AS-UAP", norm, uap_accuracy(model, X, y, v, bounds=bounds), v)
        for name, dvec in directions.items():
            w = best_sign(model, X, y, norm * dvec, bounds=bounds)
            row(name, norm, uap_accuracy(model, X, y, w, bounds=bounds), w)
    return rows, {"unit": unit, "unit_uap": data.unrotate(unit[None])[0]}


def compute(cfg: dict, device: str = "cpu") -> dict:
    """Train the seeds of one (dataset, model), attack each and the averaging classifier:
    tidy ``metrics`` (clean accuracy, PGD accuracy and share, UAP accuracy and share at the
    notebook's norm), ``curves`` (accuracy and shares against the norm, every attack) and
    ``directions`` (each seed's SVD-UAP direction in canonical coordinates)."""
    from sbcore.attacks import AveragingClassifier, data_bounds
    from sbcore.models import ModelSpec
    from sbcore.training import TrainConfig, fit

    check_device(device)
    if cfg.get("images"):
        return compute_images(cfg, device)
    data = make_dataset(cfg["dataset"], n_train=cfg["n_train"], n_test=cfg["n_test"],
                        n_val=cfg["n_val"], d=cfg["d"], seed=cfg["data_seed"])
    config = TrainConfig(**cfg["train"])
    bounds = data_bounds(data)
    curves, directions, runs = [], [], []
    for seed in cfg["seeds"]:
        r = fit(ModelSpec.parse(cfg["model"]).build(cfg["d"], seed), data, config, seed,
                device, progress=True)
        runs.append(dict(model=cfg["model"], seed=seed, updates=r.updates,
                         converged=r.converged, wall_time_s=round(r.wall_time_s, 2)))
        model = r.model.cpu().eval()
        rows, extra = attack_curves(model, data, cfg, seed, cfg["model"], bounds)
        curves += rows
        if seed == cfg["seeds"][0] and "FCN" in cfg["model"]:
            crossing = crossing_frames(model, data, cfg, extra["unit"], bounds)
        directions += [dict(model=cfg["model"], seed=seed, coordinate=i, value=float(v))
                       for i, v in enumerate(extra["unit_uap"])]
    if "FCN" in cfg["model"]:  # once per dataset: it does not depend on the network
        rows, _ = attack_curves(AveragingClassifier(data).eval(), data, cfg, 0, AVERAGING,
                                bounds)
        curves += rows
    curves = pd.DataFrame(curves).assign(dataset=cfg["dataset"])
    metrics = []
    for (model, seed), g in curves.groupby(["model", "seed"], sort=False):
        keys = dict(study=NAME, dataset=cfg["dataset"], d=cfg["d"], model=model,
                    seed=seed)
        at = g.set_index(["attack", "norm"])
        pgd_row = g[g["attack"] == "PGD (per example)"].iloc[0]
        values = {"standard accuracy": g[g["attack"] == "none"]["accuracy"].iloc[0],
                  "PGD accuracy": pgd_row["accuracy"],
                  "PGD share on S": pgd_row["share_norm_ratio"]}
        norm = 1.0 if cfg["dataset"] == "lms-5" else 0.5  # notebook 06's UAP norms
        if ("SVD-UAP", norm) in at.index:
            for attack in ("SVD-UAP", "AS-UAP"):
                values[f"{attack} accuracy"] = at.loc[(attack, norm), "accuracy"]
                values[f"{attack} share on S"] = at.loc[(attack, norm), "share_norm_ratio"]
            values["unsigned SVD-UAP accuracy"] = at.loc[("SVD-UAP, unsigned", norm),
                                                         "accuracy"]
            # Fig. 4's quantity under the paper's name (the overview reads it): the SVD-UAP's
            values["UAP l2 share on S"] = values["SVD-UAP share on S"]
        metrics += [dict(keys, metric=m, value=float(v)) for m, v in values.items()]
    out = {"metrics": pd.DataFrame(metrics), "curves": curves,
           "directions": pd.DataFrame(directions).assign(dataset=cfg["dataset"]),
           "runs": pd.DataFrame(runs).assign(dataset=cfg["dataset"])}
    if "FCN" in cfg["model"]:
        out.update({k: v.assign(dataset=cfg["dataset"], model=cfg["model"])
                    for k, v in crossing.items()})
    return out


def crossing_frames(model, data, cfg: dict, unit: np.ndarray, bounds: tuple[float, float],
                    n_points: int = 400) -> dict:
    """The frames of the chapter's slider: the model's decision regions over (S, its most
    influential S^c coordinate; the other coordinates at the first test point's), and the
    first ``n_points`` test points pushed by the SVD-UAP at each norm (0 and the profile's),
    projected on the same two coordinates, with whether the model still gets each right."""
    from sbcore.attacks import apply_uap, best_sign
    from sbcore.reliance import as_scorer, per_coordinate_accuracy
    from sbcore.studies.extreme_sb.study import decision_boundary

    scorer = as_scorer(model)
    acc = per_coordinate_accuracy(scorer, data, "test", seed=0)
    sc = np.array(data.Sc)
    c_coord = int(sc[np.argmin(acc[sc])])  # randomising it costs the most accuracy
    X, y = data.test.X[:n_points], data.test.y[:n_points]
    Z0 = data.unrotate(X.astype(np.float64))
    span = float(np.abs(Z0[:, [data.S[0], c_coord]]).max()) * 1.1
    grid = decision_boundary(scorer, data, c_coord, grid=41, bases=1, span=span)
    points = []
    for norm in [0.0, *cfg["norms"]]:
        Xp = X if norm == 0 else apply_uap(X, y, best_sign(model, X, y, norm * unit,
                                                           bounds=bounds), bounds=bounds)
        Z = data.unrotate(Xp.astype(np.float64))
        points.append(pd.DataFrame(dict(norm=norm, s_value=Z[:, data.S[0]],
                                        c_value=Z[:, c_coord], y=y,
                                        correct=(scorer(Xp) > 0) == (y == 1))))
    return {"crossing_grid": grid, "crossing_points": pd.concat(points, ignore_index=True)}


def compute_images(cfg: dict, device: str = "cpu") -> dict:
    """One CNN trained on a domino (the images chapter's recipe), its SVD-UAP from l2 PGD
    perturbations (pixels clipped to [0, 1]) at each norm: accuracy and the share of the UAP
    on the MNIST pixels, both readings; the unit UAP itself (``uap``, one row per pixel)."""
    from sbcore.attacks import best_sign, budget_shares, pgd, svd_uap, uap_accuracy
    from sbcore.models import build_image_model
    from sbcore.reliance import accuracy, as_scorer
    from sbcore.studies.images.settings import RECIPE
    from sbcore.studies.images.study import dataset, train_config
    from sbcore.training import fit

    domino = cfg["dataset"][:-2]
    data = dataset(dict(part="main", domino=domino, variant="A", data_seed=cfg["data_seed"],
                        n_train=cfg["n_train"], n_test=cfg["n_test"]))
    config = train_config(dict(RECIPE, max_epochs=cfg["max_epochs"]), len(data.train))
    seed = cfg["seed"]
    r = fit(build_image_model(cfg["model"], seed=seed), data, config, seed, device,
            progress=True)
    model = r.model.to(device).eval()
    X, y = data.test.X[: cfg["n_attack"]], data.test.y[: cfg["n_attack"]]
    bounds = (0.0, 1.0)
    clean = accuracy(as_scorer(model, device, batch_size=500)(X), y)
    unit = svd_uap(pgd(model, X, y, cfg["pgd"]["eps"], iters=cfg["pgd"]["iters"],
                       bounds=bounds, seed=seed, batch_size=250, device=device), 1.0)
    unit = unit.astype(np.float32)
    rows = [dict(attack="none", norm=0.0, accuracy=clean)]
    for norm in cfg["norms"]:
        u = best_sign(model, X, y, norm * unit, bounds=bounds, batch_size=500, device=device)
        shares = budget_shares(data, u, "mnist")
        rows.append(dict(attack="SVD-UAP", norm=float(norm),
                         accuracy=uap_accuracy(model, X, y, u, bounds=bounds, batch_size=500,
                                               device=device),
                         share_norm_ratio=shares["norm_ratio"], share_l2_mass=shares["l2_mass"]))
    keys = dict(dataset=cfg["dataset"], model=cfg["model"], seed=seed)
    curves = pd.DataFrame(rows).assign(**keys)
    ref = curves[curves["attack"] == "SVD-UAP"].iloc[-1]  # the largest norm
    metrics = [dict(study=NAME, **keys, metric=m, value=float(v)) for m, v in (
        ("standard accuracy", clean), ("image UAP accuracy", ref["accuracy"]),
        ("image UAP norm", ref["norm"]),
        ("UAP share on MNIST pixels", ref["share_norm_ratio"]),
        ("UAP l2 mass on MNIST pixels", ref["share_l2_mass"]))]
    return {"metrics": pd.DataFrame(metrics), "curves": curves,
            "uap": pd.DataFrame(dict(pixel=np.arange(unit.size), value=unit.ravel()))
            .assign(**keys),
            "runs": pd.DataFrame([dict(**keys, updates=r.updates, converged=r.converged,
                                       wall_time_s=round(r.wall_time_s, 2))])}
