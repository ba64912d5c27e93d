"""Ensembles and adversarial training do not help (App. E of the paper; see ``settings``).

Four parts, each a set of store entries a GPU runs in minutes:

* ``ensembles/<dataset>`` (Fig. 6): a pool of (100,2)-FCNs trained together (``train_many``)
  on MS-5 or on noisy LMS-7 (p = 0.5), cut into disjoint ensembles of each size; each
  ensemble aggregated by averaging the members' logits and by a linear stacker fit on the
  validation split; every member's per-coordinate randomised accuracy (which coordinates it
  reads);
* ``sweep/<dataset>/<setting>`` (what makes Fig. 6's gain): one pool per setting of width,
  training size, step size, momentum, batch and update cap, its averaged-logit gain per
  ensemble size and how different its members are (disagreement, coordinates read and their
  overlap);
* ``advms/<model>/eps=<e>`` (Fig. 7): l2 adversarial training on AdvMS-(5,7) at one radius,
  the seeds together (``train_many`` with a ``PGDAdversary``): standard and eps-robust accuracy, and
  the reliance on the 5-slabs (S) and on the 7-slabs (S^c);
* ``table11/<domino>-A/<model>/<method>/seed=<s>`` (Table 11): an image CNN trained with SGD
  or with l-infinity adversarial training (eps 0.3, pixels in [0, 1];
  ``fit(perturb=PGDAdversary)``), with standard, eps-robust and MNIST-randomised accuracy.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sbcore.profiles import check_device
from sbcore.studies import section
from sbcore.studies.defences.settings import ATTACKS
from sbcore.studies.runner import seeds_from

# The compute functions import the torch-backed floors (models, training, reliance, attacks)
# inside themselves, so that configs() and cost() load without torch.

NAME = "defences"
VERSION = 1
PARTS = ("ensembles", "sweep", "advms", "table11")
# A sweep point's settings, in the order its entry name lists them.
SWEEP_AXES = ("width", "n_train", "lr", "momentum", "batch_size", "max_updates")
AGGREGATIONS = {"averaged logits": "averaged logits", "linear stacker": "linear stacker"}


def _fcn_shape(model: str) -> tuple[int, int]:
    """'(200,2)-FCN' -> (200, 2)."""
    from sbcore.models import ModelSpec

    spec = ModelSpec.parse(model)
    if spec.family != "fcn":
        raise ValueError(f"model {model!r} must be a (width,depth)-FCN")
    return int(spec.sizes[0]), int(spec.sizes[1])


# --------------------------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------------------------

def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """{"<part>/...": config}; the chapter seed shifts the data seed and every network's seed."""
    s = section(profile, NAME)
    seeds = seeds_from(s["seeds"], seed)
    data_seed = s["data_seed"] + seed
    out = {}
    e = s["ensembles"]
    for name in e["datasets"]:
        members = e["members"]
        if max(e["sizes"]) > members:
            raise ValueError(f"ensembles: the largest size {max(e['sizes'])} exceeds the pool "
                             f"of {members} members")
        out[f"ensembles/{name}"] = dict(
            part="ensembles", dataset=name, d=e["d"], p=e["p"] if "noisy" in name else 0.1,
            n_train=e["n_train"][name], n_val=e["n_val"], n_test=e["n_test"],
            data_seed=data_seed, width=e["width"], depth=e["depth"],
            member_seeds=seeds_from(range(members), 100 * seed), sizes=e["sizes"],
            train=dict(e["train"], max_updates=e["max_updates"][name]))
    out.update(sweep_configs(s["sweep"], data_seed, seed))
    a = s["advms"]
    for model in a["models"]:
        _fcn_shape(model)
        for eps in a["eps"]:
            out[f"advms/{model}/eps={eps:g}"] = dict(
                part="advms", dataset=a["dataset"], model=model, eps=float(eps),
                seeds=seeds[:a["seeds"]],
                data_seed=data_seed, **{k: a[k] for k in (
                    "d", "n_train", "n_val", "n_test", "epochs", "lr", "momentum",
                    "weight_decay", "batch_size", "lr_decay", "lr_decay_epochs", "iters",
                    "step", "eval_iters")})
    t = s["table11"]
    attacks = {name: ATTACKS[name] for name in t["attacks"]}
    for domino in t["dominoes"]:
        for model in t["models"]:
            common = dict(part="table11", domino=domino, variant=t["variant"], model=model,
                          seeds=seeds[:t["seeds"]], data_seed=data_seed, n_train=t["n_train"],
                          n_test=t["n_test"], n_eval=t["n_eval"], eps=t["eps"],
                          attacks=attacks)
            key = f"table11/{domino}-{t['variant']}/{model}"
            # one entry per seed: an adversarially trained ResNet50 is a GPU slice by itself
            for s_ in common["seeds"]:
                one = dict(common, seeds=[s_])
                out[f"{key}/SGD/seed={s_}"] = dict(one, method="SGD", attack="",
                                                   train=t["sgd_train"])
                for name in attacks:
                    at = dict(one, method="AT", attack=name, train=t["train"])
                    if t["eps_stages"] > 1:  # only then, so that the paper's keys stay
                        at["eps_stages"] = t["eps_stages"]
                    out[f"{key}/AT-{name}/seed={s_}"] = at
    return out


def sweep_configs(w: dict, data_seed: int, seed: int = 0) -> dict[str, dict]:
    """The sweep's entries, ``sweep/<dataset>/width=..,n_train=..,lr=..,momentum=..,
    batch_size=..,max_updates=..``: per point, the start setting (``start``; the update cap:
    ``train``'s) with the point's changes."""
    unknown = sorted(set().union(*w["points"]) - set(SWEEP_AXES))
    if unknown:
        raise ValueError(f"sweep points may change {', '.join(SWEEP_AXES)}; got {unknown}")
    if max(w["sizes"]) > w["members"]:
        raise ValueError(f"sweep: the largest size {max(w['sizes'])} exceeds the pool of "
                         f"{w['members']} members")
    out = {}
    for point in w["points"]:
        p = {**w["start"], "max_updates": w["train"]["max_updates"], **point}
        name = ",".join(f"{k}={p[k]:g}" for k in SWEEP_AXES)
        out[f"sweep/{w['dataset']}/{name}"] = dict(
            part="sweep", dataset=w["dataset"], d=w["d"], p=0.1, n_train=p["n_train"], n_val=0,
            n_test=w["n_test"], data_seed=data_seed, width=p["width"], depth=w["depth"],
            member_seeds=seeds_from(range(w["members"]), 100 * seed), sizes=w["sizes"],
            train=dict(w["train"], **{k: p[k] for k in ("lr", "momentum", "batch_size",
                                                        "max_updates")}))
    return out


def runnable(profile: str, seed: int = 0) -> list[str]:
    """The entries whose data this machine has: MNIST-CIFAR's only where CIFAR-10 is found."""
    from sbcore.data.images import cifar10_root

    have_cifar = cifar10_root() is not None
    return [name for name, cfg in configs(profile, seed).items()
            if cfg.get("domino") != "mnist-cifar" or have_cifar]


def cost(cfg: dict) -> float:
    """Relative work of an entry (an FCN update on 256 points is 1)."""
    from sbcore.studies.images.study import WEIGHT

    if cfg["part"] in ("ensembles", "sweep"):
        return len(cfg["member_seeds"]) * cfg["train"]["max_updates"] * cfg["width"] / 100
    if cfg["part"] == "advms":
        width, _ = _fcn_shape(cfg["model"])
        per_epoch = math.ceil(cfg["n_train"] / cfg["batch_size"])
        passes = 1 + (cfg["iters"] if cfg["eps"] > 0 else 0)
        return len(cfg["seeds"]) * cfg["epochs"] * per_epoch * passes * (width / 100) ** 2
    passes = 1 + (cfg["attacks"][cfg["attack"]]["iters"] if cfg["method"] == "AT" else 0)
    return len(cfg["seeds"]) * (cfg["n_train"] or 10_000) * WEIGHT.get(cfg["model"], 1) \
        * passes * cfg["train"]["max_epochs"] / 10


def compute(cfg: dict, device: str = "cpu") -> dict:
    """Train and measure one entry (see the module docstring)."""
    check_device(device)
    part = cfg.get("part")
    if part == "ensembles":
        return compute_ensembles(cfg, device)
    if part == "sweep":
        return compute_sweep(cfg, device)
    if part == "advms":
        return compute_advms(cfg, device)
    if part == "table11":
        return compute_table11(cfg, device)
    raise ValueError(f"config part {part!r} is unknown; parts: {', '.join(PARTS)}")


def _rows(keys: dict, values: dict) -> list[dict]:
    return [dict(study=NAME, **keys, metric=m, value=float(v))
            for m, v in values.items()]


# --------------------------------------------------------------------------------------------
# Ensembles (Fig. 6)
# --------------------------------------------------------------------------------------------

def fit_stacker(margins: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> np.ndarray:
    """A linear stacker over the members' margins (logit1 - logit0; rows: points, columns:
    members): logistic regression with a bias and a small l2 penalty on the weights, fit by
    L-BFGS from equal weights 1/k (``sbcore.reliance.probe.fit_logistic``). Returns
    [w_1, ..., w_k, bias]. With two classes a linear map of the 2k logits acts on the
    prediction only through such a combination of margins (up to the members' logit sums,
    which carry no class information)."""
    from sbcore.reliance.probe import fit_logistic

    if margins.ndim != 2 or len(margins) != len(y) or not len(y):
        raise ValueError(f"margins must be (points, members) with one label per point, got "
                         f"{margins.shape} and {len(y)} labels")
    k = margins.shape[1]
    w, b = fit_logistic(margins, y, l2, w0=np.full(k, 1.0 / k), max_iter=60,
                        tolerance_grad=1e-6)
    return np.append(w, b)


def stack_scores(weights: np.ndarray, margins: np.ndarray) -> np.ndarray:
    """The stacker's score of each point (rows of ``margins``)."""
    return margins @ weights[:-1] + weights[-1]


def ensemble_groups(n_members: int, size: int) -> list[list[int]]:
    """Disjoint ensembles of ``size`` members from a pool of ``n_members``, in pool order."""
    return [list(range(j * size, (j + 1) * size)) for j in range(n_members // size)]


def train_pool(cfg: dict, device: str = "cpu"):
    """The entry's dataset and its pool of FCNs, trained together (``train_many``)."""
    from sbcore.data import make_dataset
    from sbcore.training import TrainConfig, train_many

    data = make_dataset(cfg["dataset"], n_train=cfg["n_train"], n_test=cfg["n_test"],
                        n_val=cfg["n_val"], d=cfg["d"], seed=cfg["data_seed"], p=cfg["p"])
    results = train_many(data, cfg["width"], cfg["depth"], TrainConfig(**cfg["train"]),
                         cfg["member_seeds"], device=device, progress=False)
    return data, results


def disagreement(scores: np.ndarray) -> float:
    """How often two members disagree: the share of points on which two members' predicted
    classes (score > 0) differ, averaged over all pairs (rows of ``scores``: members)."""
    if scores.ndim != 2 or len(scores) < 2:
        raise ValueError(f"scores must be (members, points) with at least two members, got "
                         f"shape {scores.shape}")
    votes = (scores > 0).astype(float)
    k, n = votes.shape
    ones = votes.sum(0)
    # pairs that differ at a point: (members voting 1) x (members voting 0)
    return float((ones * (k - ones)).sum() / (k * (k - 1) / 2) / n)


def overlap(read: list[set]) -> float:
    """How much the members' read coordinates overlap: the Jaccard index |A & B| / |A | B| of
    two members' sets, averaged over the pairs in which at least one member reads something
    (NaN when no pair does)."""
    pairs = [(a, b) for i, a in enumerate(read) for b in read[i + 1:] if a | b]
    return float(np.mean([len(a & b) / len(a | b) for a, b in pairs])) if pairs \
        else float("nan")


def compute_sweep(cfg: dict, device: str = "cpu") -> dict:
    """One sweep point: train the pool, then per ensemble size the mean over its disjoint
    ensembles of the averaged-logit accuracy, the members' mean and the gain; and how different
    the members are: their pairwise disagreement on the test set, the coordinates each reads
    (randomising it costs more than ``findings.READS_COORDINATE``) and the overlap of those
    sets. ``metrics`` (one row per measure, size 0 for the pool's) and ``runs``."""
    from sbcore.reliance import accuracy, per_coordinate_accuracy
    from sbcore.studies.defences.findings import READS_COORDINATE

    data, results = train_pool(cfg, device)
    test = np.stack([r.scorer(data.test.X) for r in results])
    member_acc = np.array([accuracy(s, data.test.y) for s in test])
    read = []
    for r, acc in zip(results, member_acc):
        drop = acc - per_coordinate_accuracy(r.scorer, data, "test", seed=r.seed)
        read.append(set(np.flatnonzero(drop > READS_COORDINATE).tolist()))
    # one pool per entry: its rows carry the data seed (the members' seeds are in ``runs``)
    keys0 = dict(part="sweep", dataset=cfg["dataset"], d=data.d, seed=cfg["data_seed"],
                 model=f"({cfg['width']},{cfg['depth']})-FCN", width=cfg["width"],
                 n_train=cfg["n_train"], lr=cfg["train"]["lr"],
                 momentum=cfg["train"]["momentum"], batch_size=cfg["train"]["batch_size"],
                 max_updates=cfg["train"]["max_updates"])
    train_acc = [accuracy(r.scorer(data.train.X), data.train.y) for r in results]
    metrics = _rows(dict(keys0, size=0), {
        "member train accuracy": np.mean(train_acc), "member test accuracy": member_acc.mean(),
        "disagreement": disagreement(test),
        "coordinates read per member": np.mean([len(c) for c in read]),
        "overlap of read coordinates": overlap(read)})
    for size in cfg["sizes"]:
        groups = ensemble_groups(len(results), size)
        averaged = np.mean([accuracy(test[g].mean(0), data.test.y) for g in groups])
        members = np.mean([member_acc[g].mean() for g in groups])
        metrics += _rows(dict(keys0, size=size), {
            "averaged logits accuracy": averaged, "mean member accuracy": members,
            "averaged logits gain": averaged - members, "ensembles": len(groups)})
    runs = pd.DataFrame([dict(keys0, member=i, seed=r.seed, updates=r.updates,
                              converged=r.converged, wall_time_s=round(r.wall_time_s, 2))
                         for i, r in enumerate(results)])
    return {"metrics": pd.DataFrame(metrics), "runs": runs}


def compute_ensembles(cfg: dict, device: str = "cpu") -> dict:
    """Train the pool together, then score every ensemble of each size: ``metrics`` (per
    ensemble: averaged-logit and stacker accuracy, its members' mean and best accuracy; per
    member: train and test accuracy), ``coordinates`` (per member and canonical coordinate:
    test accuracy with that coordinate randomised) and ``runs``."""
    from sbcore.reliance import accuracy, per_coordinate_accuracy

    data, results = train_pool(cfg, device)
    model = f"({cfg['width']},{cfg['depth']})-FCN"
    test = np.stack([r.scorer(data.test.X) for r in results])
    val = np.stack([r.scorer(data.val.X) for r in results])
    keys0 = dict(part="ensembles", dataset=cfg["dataset"], d=data.d, model=model)
    metrics, runs, coords = [], [], []
    for i, r in enumerate(results):
        keys = dict(keys0, size=0, ensemble=i, aggregation="member", seed=r.seed)
        metrics += _rows(keys, {"train accuracy": accuracy(r.scorer(data.train.X),
                                                           data.train.y),
                                "test accuracy": accuracy(test[i], data.test.y)})
        runs.append(dict(keys0, member=i, seed=r.seed, updates=r.updates,
                         converged=r.converged, wall_time_s=round(r.wall_time_s, 2)))
        acc = per_coordinate_accuracy(r.scorer, data, "test", seed=r.seed)
        coords.append(pd.DataFrame(dict(keys0, member=i, seed=r.seed,
                                        coordinate=np.arange(data.d), accuracy=acc)))
    member_acc = np.array([accuracy(s, data.test.y) for s in test])
    for size in cfg["sizes"]:
        for j, group in enumerate(ensemble_groups(len(results), size)):
            keys = dict(keys0, size=size, ensemble=j, seed=j)
            weights = fit_stacker(val[group].T, data.val.y)
            members = member_acc[group].mean()
            averaged = accuracy(test[group].mean(0), data.test.y)
            stacked = accuracy(stack_scores(weights, test[group].T), data.test.y)
            values = {"averaged logits accuracy": averaged, "linear stacker accuracy": stacked,
                      "mean member accuracy": members,
                      "best member accuracy": member_acc[group].max(),
                      "averaged logits gain": averaged - members,
                      "linear stacker gain": stacked - members}
            metrics += _rows(dict(keys, aggregation="ensemble"), values)
    return {"metrics": pd.DataFrame(metrics), "runs": pd.DataFrame(runs),
            "coordinates": pd.concat(coords, ignore_index=True)}


# --------------------------------------------------------------------------------------------
# Adversarial training on AdvMS-(5,7) (Fig. 7)
# --------------------------------------------------------------------------------------------

def advms_schedule(cfg: dict) -> dict:
    """The entry's schedule in updates: epochs of ceil(n_train / batch) updates."""
    per_epoch = math.ceil(cfg["n_train"] / cfg["batch_size"])
    return dict(per_epoch=per_epoch, updates=cfg["epochs"] * per_epoch,
                lr_decay_every=cfg["lr_decay_epochs"] * per_epoch,
                eval_every=per_epoch * max(1, cfg["epochs"] // 20))


def compute_advms(cfg: dict, device: str = "cpu") -> dict:
    """Adversarially train the entry's seeds at its radius, all together (``train_many`` with
    a ``PGDAdversary``: the one trainer, its step schedule and a fixed number of updates);
    ``metrics`` per seed (standard, eps-robust, S- and S^c-randomised accuracy, train
    accuracy) and ``history`` (clean train and validation accuracy along training). Each seed
    keeps its last iterate, as the paper's fixed schedule does."""
    import dataclasses

    from sbcore.attacks import PGDAdversary, pgd
    from sbcore.data import Split, make_dataset
    from sbcore.reliance import accuracy, as_scorer, randomized_metrics
    from sbcore.training import TrainConfig, train_many

    data = make_dataset(cfg["dataset"], n_train=cfg["n_train"], n_test=cfg["n_test"],
                        n_val=cfg["n_val"], d=cfg["d"], seed=cfg["data_seed"])
    width, depth = _fcn_shape(cfg["model"])
    sched = advms_schedule(cfg)
    seeds, eps = cfg["seeds"], cfg["eps"]
    config = TrainConfig(optimizer="sgd", lr=cfg["lr"], batch_size=cfg["batch_size"],
                         momentum=cfg["momentum"], weight_decay=cfg["weight_decay"],
                         stop="none", patience=0, max_updates=sched["updates"],
                         eval_every=sched["eval_every"], lr_decay=cfg["lr_decay"],
                         lr_decay_every=sched["lr_decay_every"])
    adversary = PGDAdversary(eps, norm="l2", step=cfg["step"], iters=cfg["iters"],
                             seed=cfg["data_seed"]) if eps > 0 else None

    # the validation accuracy along training is recorded by the track; with no validation
    # split the trainer keeps each run's last iterate
    def track(scorer):
        return {"val_accuracy_": accuracy(scorer(data.val.X), data.val.y)}

    fit_data = dataclasses.replace(data, val=Split(data.val.X[:0], data.val.y[:0]))
    results = train_many(fit_data, width, depth, config, seeds, device=device, track=track,
                         progress=False, perturb=adversary)
    keys0 = dict(part="advms", dataset=cfg["dataset"], d=data.d, model=cfg["model"], eps=eps)
    metrics, history = [], []
    for seed, r in zip(seeds, results):
        model = r.model.to(device)
        scorer = as_scorer(model, device)
        values = {"train accuracy": accuracy(scorer(data.train.X), data.train.y)}
        values.update(randomized_metrics(scorer, data, "test", seed=seed))
        if eps > 0:
            delta = pgd(model, data.test.X, data.test.y, eps, "l2", iters=cfg["eval_iters"],
                        seed=seed, device=device)
            values["robust accuracy"] = accuracy(scorer(data.test.X + delta), data.test.y)
        else:
            values["robust accuracy"] = values["standard accuracy"]
        metrics += _rows(dict(keys0, seed=seed), values)
        h = r.history
        history.append(pd.DataFrame(dict(keys0, seed=seed, update=h["update"],
                                         train_accuracy=h["train_accuracy"],
                                         val_accuracy=h["val_accuracy_"])))
        model.cpu()
    runs = pd.DataFrame([dict(keys0, seed=r.seed, updates=r.updates,
                              wall_time_s=round(r.wall_time_s, 2)) for r in results])
    return {"metrics": pd.DataFrame(metrics), "history": pd.concat(history, ignore_index=True),
            "runs": runs}


# --------------------------------------------------------------------------------------------
# Adversarial training of the image CNNs (Table 11)
# --------------------------------------------------------------------------------------------

def adversary(cfg: dict, attack: str, seed: int, eps: float | None = None):
    """The l-infinity PGD of one of the entry's attacks (pixels stay in [0, 1]), at the
    entry's radius or at ``eps`` (a warm-up stage), its step scaled with the radius."""
    from sbcore.attacks import PGDAdversary

    a = cfg["attacks"][attack]
    eps = cfg["eps"] if eps is None else eps
    return PGDAdversary(eps, "linf", step=a["step"] * eps / cfg["eps"], iters=a["iters"],
                        bounds=(0.0, 1.0), seed=seed)


def warmup_radii(eps: float, stages: int) -> list[float]:
    """The radii of an ε warm-up in ``stages`` equal steps up to ``eps``: eps·i/stages."""
    from sbcore.checks import check_int

    stages = check_int("eps_stages", stages, 1)
    return [eps * i / stages for i in range(1, stages + 1)]


def adversarial_fit(model, data, config, cfg: dict, seed: int, device: str = "cpu"):
    """Adversarial training of one model with the entry's attack: one ``fit`` at the entry's
    radius, or, with ``eps_stages`` = k > 1, k fits in a row at the radii of
    ``warmup_radii``, each from the last one's model (fresh optimiser, ``config`` each).
    Returns the last fit's result and the updates of all stages."""
    from sbcore.training import fit

    updates = 0
    for eps in warmup_radii(cfg["eps"], cfg.get("eps_stages", 1)):
        r = fit(model, data, config, seed, device, progress=False,
                perturb=adversary(cfg, cfg["attack"], seed, eps))
        model, updates = r.model, updates + r.updates
    return r, updates


def compute_table11(cfg: dict, device: str = "cpu") -> dict:
    """Train the entry's seeds (SGD, or adversarially with its attack) and measure standard,
    MNIST- and complex-randomised accuracy on the regenerated test sets, and the eps-robust
    accuracy under each attack of the profile on the first ``n_eval`` test dominoes."""
    from sbcore.attacks import pgd
    from sbcore.models import build_image_model
    from sbcore.reliance import accuracy, as_scorer
    from sbcore.studies.images.study import SCORE_BATCH, dataset, eval_sets, train_config
    from sbcore.training import fit

    data = dataset(dict(domino=cfg["domino"], variant=cfg["variant"], n_train=cfg["n_train"],
                        n_test=cfg["n_test"], data_seed=cfg["data_seed"], part="main"))
    config = train_config(cfg["train"], len(data.train))
    keys0 = dict(part="table11", dataset=f"{cfg['domino']}-{cfg['variant']}",
                 domino=cfg["domino"], model=cfg["model"], method=cfg["method"],
                 attack=cfg["attack"])
    metrics, runs = [], []
    X_eval, y_eval = data.test.X[:cfg["n_eval"]], data.test.y[:cfg["n_eval"]]
    for seed in cfg["seeds"]:
        model = build_image_model(cfg["model"], seed=seed)
        if cfg["method"] == "AT":
            r, updates = adversarial_fit(model, data, config, cfg, seed, device)
        else:
            r = fit(model, data, config, seed, device, progress=False)
            updates = r.updates
        model = r.model.to(device)
        scorer = as_scorer(model, device, batch_size=SCORE_BATCH)
        values = {f"{name} accuracy": accuracy(scorer(split.X), split.y)
                  for name, split in eval_sets(data).items()}
        values["train loss"] = float(r.history["train_loss"].iloc[-1])
        for name, a in cfg["attacks"].items():
            delta = pgd(model, X_eval, y_eval, cfg["eps"], "linf", step=a["step"],
                        iters=a["iters"], bounds=(0.0, 1.0), seed=seed,
                        batch_size=SCORE_BATCH, device=device)
            values[f"robust accuracy ({name} PGD)"] = accuracy(scorer(X_eval + delta), y_eval)
        # Table 11's eps-robust accuracy: under the entry's own attack (SGD: the code's)
        own = cfg["attack"] or ("code" if "code" in cfg["attacks"] else next(iter(cfg["attacks"])))
        values["robust accuracy"] = values[f"robust accuracy ({own} PGD)"]
        model.cpu()
        metrics += _rows(dict(keys0, seed=seed), values)
        runs.append(dict(keys0, seed=seed, epochs=updates / config.eval_every,
                         updates=updates, converged=r.converged, diverged=r.diverged,
                         wall_time_s=round(r.wall_time_s, 2)))
    return {"metrics": pd.DataFrame(metrics), "runs": pd.DataFrame(runs)}

