"""Nothing in the usual toolbox removes simplicity bias (App. C of the paper).

Every part trains networks on a dataset with one simple coordinate S (linear, or the 5-slab of
MS-(5,7)) and complex ones S^c, and measures reliance as the extreme-SB chapter does
(standard, S- and S^c-randomised accuracy and AUC on the test split):

* ``table4``: (f,k,d)-CNNs and (h,l,d)-GRUs on LMS-5 and MS-(5,7) (Table 4);
* ``table6``: the (100,2)-FCN with four activations x SGD, Adam, RMSProp (Table 6);
* ``table7``: dropout x l2 on LMS-7, depth 1 and 2 (Table 7);
* ``table8``: LMS-7 at small d with |S^c| 7-slabs, the rest uniform [0, 1) filler (Table 8);
* ``table9``: Kaiming and Xavier initialisation x scale (Table 9);
* ``fig5``: M_alpha = alpha M_slab + (1 - alpha) M_random, M_slab trained on MS-7, each M_alpha
  trained on the LMS-7 made by putting the linear coordinate where M_slab reads least (Fig. 5).

A *cell* is one setting of a part (one model, activation, optimiser, ...); its seeds train
together (``fit_many``). Store entries group the cells of a part by dataset and model or
optimiser, so each is a slice a GPU runs in minutes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sbcore.data import SlabData, Split, dataset_blocks, make_dataset
from sbcore.data.synthetic import sample_block
from sbcore.models import ModelSpec
from sbcore.profiles import check_device
from sbcore.reliance import accuracy, as_scorer, per_coordinate_accuracy, randomized_metrics
from sbcore.studies import section
from sbcore.studies.runner import seeds_from
from sbcore.studies.toolbox.settings import OPTIMIZERS
from sbcore.training import TrainConfig, fit_many

NAME = "toolbox"
VERSION = 1
PARTS = ("table4", "table6", "table7", "table8", "table9", "fig5")
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "Leaky ReLU", "prelu": "PReLU",
                    "tanh": "Tanh"}
INIT_NAMES = {"kaiming": "Kaiming", "xavier": "Xavier"}
# The grid factors a cell may carry (one column each in the tables; NaN where not varied).
FACTORS = ("activation", "optimizer", "dropout", "weight_decay", "n_sc", "init", "scale")


# --------------------------------------------------------------------------------------------
# Cells and configs
# --------------------------------------------------------------------------------------------

def cell_label(model: str, **factors) -> str:
    """The name a cell goes by in tables and in ``paper_numbers.csv``: the model, then its
    factors in the paper's words, e.g. "(100,2)-FCN, Leaky ReLU, Adam",
    "(100,1)-FCN, dropout 0.05, l2 0.01", "(100,1)-FCN, |S^c| = 3", "(100,1)-FCN, Xavier x0.5"."""
    parts = [model]
    if "activation" in factors:
        parts.append(ACTIVATION_NAMES[factors["activation"]])
    if "optimizer" in factors:
        parts.append(factors["optimizer"])
    if "dropout" in factors:
        parts.append(f"dropout {factors['dropout']:g}")
    if "weight_decay" in factors:
        parts.append(f"l2 {factors['weight_decay']:g}")
    if "n_sc" in factors:
        parts.append(f"|S^c| = {factors['n_sc']}")
    if "init" in factors:
        parts.append(f"{INIT_NAMES[factors['init']]} x{factors['scale']:g}")
    return ", ".join(parts)


def _cell(model: str, spec: dict | None = None, train: dict | None = None, d: int | None = None,
          **factors) -> dict:
    """One cell: its label, the model spec (``ModelSpec`` fields), training overrides, its
    dimension when it has its own (Table 8) and its grid factors."""
    spec = ModelSpec.parse(model, **(spec or {})).as_dict()
    return dict(label=cell_label(model, **factors), model=model, spec=spec, train=train or {},
                d=d, factors=factors)


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """{"<part>/<dataset>/<group>": config}; the chapter seed shifts the data seed and every
    network's seeds."""
    s = section(profile, NAME)
    common = dict(d=s["d"], n_train=s["n_train"], n_val=s["n_val"], n_test=s["n_test"],
                  data_seed=s["data_seed"] + seed, seeds=seeds_from(s["seeds"], seed),
                  train=s["train"])
    out = {}
    t4 = s["table4"]
    for name in t4["datasets"]:
        for model in t4["models"]:
            out[f"table4/{name}/{model}"] = dict(common, part="table4", dataset=name,
                                                 d=t4["d"], cells=[_cell(model)])
    t6 = s["table6"]
    for name in t6["datasets"]:
        for opt in t6["optimizers"]:
            cells = [_cell(t6["model"], dict(activation=a), OPTIMIZERS[opt], activation=a,
                           optimizer=opt) for a in t6["activations"]]
            out[f"table6/{name}/{opt}"] = dict(common, part="table6", dataset=name, cells=cells)
    t7 = s["table7"]
    for model in t7["models"]:
        cells = [_cell(model, dict(dropout=p), dict(weight_decay=wd), dropout=p, weight_decay=wd)
                 for p in t7["dropouts"] for wd in t7["weight_decays"]]
        out[f"table7/{t7['dataset']}/{model}"] = dict(common, part="table7",
                                                      dataset=t7["dataset"], cells=cells)
    t8 = s["table8"]
    out[f"table8/{t8['dataset']}/{t8['model']}"] = dict(
        common, part="table8", dataset=t8["dataset"],
        cells=[_cell(t8["model"], d=d, n_sc=k) for d, k in t8["grid"]])
    t9 = s["table9"]
    for init in t9["inits"]:
        cells = [_cell(t9["model"], dict(init=init, init_scale=x), init=init, scale=x)
                 for x in t9["scales"]]
        out[f"table9/{t9['dataset']}/{init}"] = dict(common, part="table9",
                                                     dataset=t9["dataset"], cells=cells)
    f5 = s["fig5"]
    out["fig5/ms-7"] = dict(common, part="fig5", dataset="ms-7", model=f5["model"], d=f5["d"],
                            alphas=f5["alphas"], random_seed=f5["random_seed"] + seed,
                            slab_train=f5["slab_train"])
    return out


def cost(cfg: dict) -> float:
    """Relative work of an entry: cells x seeds x training points, CNN and GRU cells weighed
    by their heavier forward pass, MS-(5,7) by its longer training."""
    weight = {"fcn": 1, "cnn": 4, "gru": 8}
    cells = cfg.get("cells") or [dict(spec=dict(family="fcn"))] * (2 * len(cfg["alphas"]) + 2)
    slow = 10 if cfg["dataset"] == "ms-5-7" or cfg["part"] == "fig5" else 1
    return sum(weight[c["spec"]["family"]] for c in cells) * len(cfg["seeds"]) \
        * cfg["n_train"] * slow


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

def cell_data(cfg: dict, cell: dict) -> SlabData:
    """The dataset a cell trains on: the named one at the entry's d, or (Table 8) LMS-7 with
    1 linear + n_sc 7-slabs and uniform [0, 1) filler up to the cell's d."""
    sizes = dict(n_train=cfg["n_train"], n_test=cfg["n_test"], n_val=cfg["n_val"],
                 seed=cfg["data_seed"])
    if cell.get("d") is None:
        return make_dataset(cfg["dataset"], d=cfg["d"], **sizes)
    blocks, S = dataset_blocks(cfg["dataset"], d=1 + cell["factors"]["n_sc"])
    return make_dataset(cfg["dataset"], d=cell["d"], blocks=blocks, S=S, **sizes)


def with_linear_at(data: SlabData, coord: int, seed: int) -> SlabData:
    """The same samples (unrotated) with canonical coordinate ``coord`` replaced by a linear
    coordinate drawn for the same labels: MS-7 becomes an LMS-7 whose S is ``coord`` (Fig. 5)."""
    if data.Q is not None:
        raise ValueError("with_linear_at needs unrotated data (make_dataset(rotate=False))")
    linear = dataset_blocks("lms-7", d=2)[0][0]
    rng = np.random.default_rng(seed)

    def put(split: Split) -> Split:
        X = split.X.copy()
        X[:, coord] = sample_block(linear, split.y, rng).astype(np.float32)
        return Split(X, split.y)

    blocks = list(data.blocks)
    blocks[coord] = linear
    return SlabData(name=f"{data.name} with linear coordinate {coord}", blocks=blocks,
                    S=[coord], Sc=[i for i in range(data.d) if i != coord], Q=None,
                    train=put(data.train), val=put(data.val), test=put(data.test),
                    seed=data.seed, info=dict(data.info))


# --------------------------------------------------------------------------------------------
# Compute
# --------------------------------------------------------------------------------------------

def _train_config(cfg: dict, overrides: dict) -> TrainConfig:
    return TrainConfig(**dict(cfg["train"], **overrides))


def _fit(models, data, cfg, overrides, device, seeds=None):
    """Train models[i] with seeds[i]: together on a GPU, each alone on a CPU (over
    ``$SB_CPU_WORKERS`` processes), as ``fit_many``'s backend "auto" chooses. The two agree up
    to float rounding (dropout masks aside)."""
    seeds, config = seeds or cfg["seeds"], _train_config(cfg, overrides)
    return fit_many(models, data, config, seeds, device=device, progress=False, backend="auto")


def _keys(cfg: dict, cell: dict, d: int, seed: int) -> dict:
    factors = {f: cell["factors"].get(f, np.nan) for f in FACTORS}
    return dict(part=cfg["part"], dataset=cfg["dataset"], d=d, model=cell["model"],
                cell=cell["label"], **factors, seed=seed)


def _rows(keys: dict, values: dict) -> list[dict]:
    return [dict(study=NAME, **keys, metric=m, value=float(v))
            for m, v in values.items()]


def _run_row(keys: dict, r) -> dict:
    return dict(**keys, updates=r.updates, converged=r.converged,
                diverged=bool(getattr(r, "diverged", False)), wall_time_s=round(r.wall_time_s, 2))


def _measure(model, data, device, seed) -> dict:
    scorer = as_scorer(model.to(device), device)
    values = {"train accuracy": accuracy(scorer(data.train.X), data.train.y)}
    values.update(randomized_metrics(scorer, data, "test", seed=seed))
    return values


def compute(cfg: dict, device: str = "cpu") -> dict:
    """Train and measure one entry: tidy ``metrics`` (per cell and seed) and ``runs``; for
    Fig. 5 also ``coordinates`` (M_slab's per-coordinate accuracy on MS-7)."""
    check_device(device)
    if cfg["part"] == "fig5":
        return compute_fig5(cfg, device)
    metrics, runs = [], []
    for group in tqdm(train_groups(cfg["cells"]), desc=f"toolbox {cfg['part']} {cfg['dataset']}",
                      leave=False):
        data = cell_data(cfg, group[0])
        models, seeds, owners = [], [], []
        for cell in group:
            spec = ModelSpec(**cell["spec"])
            models += [spec.build(data.d, s) for s in cfg["seeds"]]
            seeds += cfg["seeds"]
            owners += [cell] * len(cfg["seeds"])
        for r, cell in zip(_fit(models, data, cfg, group[0]["train"], device, seeds), owners):
            keys = _keys(cfg, cell, data.d, r.seed)
            metrics += _rows(keys, _measure(r.model, data, device, r.seed))
            runs.append(_run_row(keys, r))
            r.model.cpu()
    return {"metrics": pd.DataFrame(metrics), "runs": pd.DataFrame(runs)}


def train_groups(cells: list[dict]) -> list[list[dict]]:
    """The cells whose networks can train together in one stacked group: same architecture
    (the spec but for its initialisation, which only sets the starting weights), same training
    settings and same data. Table 9's eight initialisations are one group, for example."""
    groups: dict[tuple, list[dict]] = {}
    for cell in cells:
        arch = {k: v for k, v in cell["spec"].items() if k not in ("init", "init_scale")}
        key = (repr(sorted(arch.items())), repr(sorted(cell["train"].items())), cell.get("d"),
               cell["factors"].get("n_sc"))
        groups.setdefault(key, []).append(cell)
    return list(groups.values())


def interpolate(a, b, alpha: float):
    """A copy of module ``a`` with every floating parameter and buffer alpha a + (1 - alpha) b."""
    import copy

    out = copy.deepcopy(a)
    sb = b.state_dict()
    out.load_state_dict({k: alpha * v + (1 - alpha) * sb[k] if v.is_floating_point() else v
                         for k, v in a.state_dict().items()})
    return out


def least_used_coordinate(per_coordinate: np.ndarray) -> int:
    """The coordinate whose randomisation costs the trained models least: the highest of the
    per-model lowest accuracies (rows: models, columns: coordinates)."""
    return int(np.argmax(np.min(per_coordinate, axis=0)))


def compute_fig5(cfg: dict, device: str = "cpu") -> dict:
    """Fig. 5: train M_slab on MS-7 (unrotated, so "a coordinate it does not use" is a
    coordinate of the input), put the linear coordinate where the M_slabs read least, then for
    each alpha train M_alpha on that LMS-7 and measure its reliance on the linear coordinate
    (S) and on the 7-slabs (S^c), and its MS-7 test accuracy before training."""
    spec = ModelSpec.parse(cfg["model"])
    ms7 = make_dataset("ms-7", n_train=cfg["n_train"], n_test=cfg["n_test"], n_val=cfg["n_val"],
                       d=cfg["d"], rotate=False, seed=cfg["data_seed"])
    seeds = cfg["seeds"]
    slab = _fit([spec.build(ms7.d, s) for s in seeds], ms7, cfg, cfg["slab_train"], device)
    metrics, runs, coords = [], [], []
    per_coord = []
    for r in slab:
        scorer = as_scorer(r.model.to(device), device)
        acc = per_coordinate_accuracy(scorer, ms7, "test", seed=r.seed)
        per_coord.append(acc)
        coords.append(pd.DataFrame(dict(seed=r.seed, coordinate=np.arange(ms7.d), accuracy=acc)))
        keys = dict(part="fig5", dataset="ms-7", d=ms7.d, model=cfg["model"], cell="M_slab",
                    alpha=np.nan, seed=r.seed)
        metrics += _rows(keys, {"train accuracy": accuracy(scorer(ms7.train.X), ms7.train.y),
                                "standard accuracy": accuracy(scorer(ms7.test.X), ms7.test.y)})
        runs.append(_run_row(keys, r))
    coord = least_used_coordinate(np.array(per_coord))
    lms7 = with_linear_at(ms7, coord, cfg["data_seed"] + 1)
    for alpha in tqdm(cfg["alphas"], desc="toolbox fig5 alphas", leave=False):
        starts = [interpolate(r.model.cpu(), spec.build(ms7.d, cfg["random_seed"] + r.seed),
                              alpha) for r in slab]
        before = [accuracy(as_scorer(m.to(device), device)(ms7.test.X), ms7.test.y)
                  for m in starts]
        for r, b in zip(_fit([m.cpu() for m in starts], lms7, cfg, {}, device),
                        before):
            keys = dict(part="fig5", dataset="lms-7", d=ms7.d, model=cfg["model"],
                        cell=f"M_alpha, alpha = {alpha:g}", alpha=alpha, seed=r.seed)
            values = {"MS-7 accuracy before training": b}
            values.update(_measure(r.model, lms7, device, r.seed))
            metrics += _rows(keys, values)
            runs.append(_run_row(keys, r))
    out_coords = pd.concat(coords, ignore_index=True).assign(linear_at=coord)
    return {"metrics": pd.DataFrame(metrics), "runs": pd.DataFrame(runs),
            "coordinates": out_coords}

