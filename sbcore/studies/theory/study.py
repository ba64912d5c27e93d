"""Theorem 1 (section 4.1, App. F) from runs: one-hidden-layer ReLU networks on LSN data.

Four parts, each vectorised over seeds (independent runs trained together):

* ``main``: the theorem's setting at one (d, k); every unit's trajectory, the batch statistics
  and the empirical against the closed-form gradient at every step.
* ``sweep_d`` / ``sweep_k``: the final weights and test metrics over the dimension d and over
  the width k, the rest as the theorem sets it.
* ``variants``: the theorem's assumptions pushed one at a time (smaller batches, more steps,
  plain multi-epoch SGD on a fixed training set, a trained second layer, the usual fan-in
  initialisation) and all at once.

Seeds: each part draws its runs from one generator seeded by the config's ``seed``, d and k;
the ``seed`` column is the run's index within that batch of runs.

Configs and compute only: what the chapter shows of these tables is in ``views`` (numbers,
tables, text) and ``figures``.
"""

from __future__ import annotations

import math

import pandas as pd

from sbcore.profiles import check_device, check_profile
from sbcore.studies import section
from sbcore.studies.theory import simulation

# The pushed assumptions. Each entry overrides the theorem's setting:
#   batch: batch size (default d^2); steps_factor: multiple of the theorem's t_hat steps;
#   train_set: fixed training set of train_set * d^2 points, reused over epochs (plain SGD);
#   epochs: passes over that set; second_layer: train v too; fan_in_init: std 1/sqrt(d).
VARIANTS = {
    "theorem": {},
    "batch 32": dict(batch=32),
    "batch 8": dict(batch=8),
    "10x steps": dict(steps_factor=10),
    "plain SGD": dict(batch=32, train_set=1.0, epochs=20),
    "trained 2nd layer": dict(second_layer=True),
    "trained 2nd layer, 10x steps": dict(second_layer=True, steps_factor=10),
    "fan-in init": dict(fan_in_init=True),
    "all pushed": dict(batch=32, train_set=1.0, epochs=20, second_layer=True,
                       fan_in_init=True),
}


NAME = "theory"
VERSION = 2  # 2: one entry per part (main, sweep_d, sweep_k, variants)
PARTS = ("main", "sweep_d", "sweep_k", "variants")


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """One entry per part: {part: config}; the chapter seed shifts the runs' seed."""
    s = section(profile, "theory")
    common = dict(seed=s["seed"] + seed, init_reading=s["init_reading"],
                  batch_factor=s["batch_factor"], n_test=s["n_test"])
    out = {part: dict(common, part=part, **{part: s[part]}) for part in PARTS}
    out["variants"]["variant_settings"] = {n: VARIANTS[n] for n in s["variants"]["names"]}
    return out


def cost(cfg: dict) -> float:
    """Relative work of a part: runs x k x d^2 (batch d^2) x steps (about 1 / eta^2)."""
    p = cfg[cfg["part"]]
    points = ([(d, p["k"]) for d in p["ds"]] if "ds" in p
              else [(p["d"], k) for k in p["ks"]] if "ks" in p else [(p["d"], p["k"])])
    many = len(cfg.get("variant_settings", {})) or 1
    return many * sum(p["runs"] * k * d ** 3 * math.log(d) for d, k in points)


def config(profile: str, seed: int = 0) -> dict:
    """The settings of every part merged into one dict (the chapter's view of them)."""
    check_profile(profile)
    cfg = section(profile, "theory")
    cfg["experiment"] = NAME  # a key the stored entries were made with: it keeps their keys
    cfg["seed"] += seed
    cfg["variant_settings"] = {name: VARIANTS[name] for name in cfg["variants"]["names"]}
    return cfg


def model_name(k: int, trained_second_layer: bool = False) -> str:
    return f"({k},1) ReLU, {'trained' if trained_second_layer else 'fixed'} 2nd layer"


def _runs_table(sim: simulation.Simulation, cfg: dict, part: str, variant: str) -> pd.DataFrame:
    """Tidy metric rows of one simulation: weights, test metrics and the last batch's hinge."""
    s = sim.settings
    summary = simulation.weight_summary(sim.W, sim.v, sim.W0)
    tests = simulation.evaluate(sim.W, sim.v, cfg["n_test"], seed=cfg["seed"] + 1)
    table = summary.merge(tests, on="run")
    last = sim.steps[sim.steps.step == sim.steps.step.max()].set_index("run")
    table["last batch live fraction"] = table["run"].map(last["live_fraction"])
    table["last batch hinge loss"] = table["run"].map(last["hinge_loss"])
    long = table.melt(id_vars="run", var_name="metric", value_name="value")
    long = long.rename(columns={"run": "seed"})
    long.insert(0, "study", NAME)
    long.insert(1, "dataset", "lsn")
    long.insert(2, "model", model_name(s["k"], s["train_second_layer"]))
    for key, value in (("part", part), ("variant", variant), ("d", s["d"]), ("k", s["k"]),
                       ("eta", s["eta"]), ("batch_size", s["batch_size"]), ("steps", s["steps"]),
                       ("init_std", s["init_std"])):
        long[key] = value
    return long


def _variant_sim(name: str, over: dict, cfg: dict, device, progress: bool):
    d, k = cfg["variants"]["d"], cfg["variants"]["k"]
    eta = simulation.step_size(d)
    batch = over.get("batch", simulation.theorem_batch(d, cfg["batch_factor"]))
    train_set = None
    steps = simulation.theorem_steps(eta) * over.get("steps_factor", 1)
    if "train_set" in over:
        train_set = simulation.theorem_batch(d, over["train_set"])
        steps = over["epochs"] * (train_set // batch)
    factor = math.sqrt(k * math.log(d) ** simulation.INIT_READINGS[cfg["init_reading"]]) \
        if over.get("fan_in_init") else 1.0
    return simulation.simulate(d, k, eta=eta, init_reading=cfg["init_reading"], init_factor=factor,
                           batch_size=batch, steps=steps, runs=cfg["variants"]["runs"],
                           seed=cfg["seed"], device=device,
                           train_second_layer=over.get("second_layer", False),
                           train_set_size=train_set, record_units=2,
                           record_every=max(1, steps // 50), progress=progress)


def compute(cfg: dict, device: str = "cpu", progress: bool = True) -> dict[str, pd.DataFrame]:
    """Run one part. Tables: ``metrics`` (tidy); the main part adds ``units`` and ``steps``
    (its trajectories), the variants part ``variant_steps`` (batch statistics over steps)."""
    check_device(device)
    from tqdm.auto import tqdm

    part = cfg["part"]
    common = dict(init_reading=cfg["init_reading"], seed=cfg["seed"], device=device)
    if part == "main":
        m = cfg["main"]
        main = simulation.simulate(m["d"], m["k"], batch_size=simulation.theorem_batch(
            m["d"], cfg["batch_factor"]), runs=m["runs"], **common)
        return dict(metrics=_runs_table(main, cfg, "main", "theorem"),
                    units=main.units.assign(d=m["d"], k=m["k"]),
                    steps=main.steps.assign(d=m["d"], k=m["k"]))
    if part in ("sweep_d", "sweep_k"):
        s = cfg[part]
        points = ([(d, s["k"]) for d in s["ds"]] if part == "sweep_d"
                  else [(s["d"], k) for k in s["ks"]])
        rows = []
        for d, k in tqdm(points, desc=f"theory {part}", disable=not progress):
            batch = simulation.theorem_batch(d, cfg["batch_factor"])
            sim = simulation.simulate(d, k, batch_size=batch, runs=s["runs"], record_units=2,
                                      **common)
            rows.append(_runs_table(sim, cfg, part, "theorem"))
        return dict(metrics=pd.concat(rows, ignore_index=True))
    rows, vsteps = [], []
    for name, over in tqdm(cfg["variant_settings"].items(), desc="theory variants",
                           disable=not progress):
        sim = _variant_sim(name, over, cfg, device, progress=False)
        rows.append(_runs_table(sim, cfg, "variant", name))
        vsteps.append(sim.steps.assign(variant=name))
    return dict(metrics=pd.concat(rows, ignore_index=True),
                variant_steps=pd.concat(vsteps, ignore_index=True))
