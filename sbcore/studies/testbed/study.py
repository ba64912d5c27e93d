"""Methods that try to avoid simplicity bias, measured on the paper's datasets (chapter 11).

One store entry per testbed and method (``<testbed>/<method>``), all seeds inside, and one per
point of a method's sweep (``sweep/<testbed>/<method>/<setting>=<value>``). An entry's key
holds the method's name, version and settings, so a changed method is stale, never served.
Each entry's tables: ``metrics`` (tidy: per seed and per model read, the method's answer and
each member of an ensemble, every reliance, robustness and retrained-readout number, and
the method's wall time and networks trained) and ``notes`` (what a method reports besides,
such as JTT's errors found).

``evaluate(method, ...)`` puts any ``Method`` through the same store, metrics and
leaderboard: a method of one's own beside the built-in ones.
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from sbcore import store
from sbcore.checks import ParameterTypeError, check_bool, check_seed
from sbcore.data.images import cifar10_root
from sbcore.profiles import check_device, check_profile
from sbcore.studies import section
from sbcore.studies.runner import StudyResults, entry_key_config, seeds_from
from sbcore.studies.testbed.settings import SWEEPS
from sbcore.testbed import measure
from sbcore.testbed.methods import BUILT_IN
from sbcore.testbed.models import Ensemble
from sbcore.testbed.protocol import Method, TestbedView, check_model_output
from sbcore.testbed.testbeds import DOMINOES, PITFALLS, check_testbed, make_testbed

NAME = "testbed"
VERSION = 1


def method_key(method: Method) -> dict:
    """What of a method its store key holds."""
    return dict(name=method.name, version=method.version, uses=method.uses,
                config=dict(method.config))


def entry_config(s: dict, testbed: str, method: Method, seeds: list[int],
                 data_seed: int) -> dict:
    """One entry's compute config: the testbed's data, network and recipe, the method."""
    kind = "image" if testbed in DOMINOES else "synthetic"
    sizes = s["images"] if kind == "image" else {}
    return dict(testbed=testbed, data_seed=data_seed, d=s["d"], p=s["p"],
                **{k: sizes.get(k) or s[k] for k in ("n_train", "n_val", "n_test")},
                n_pool=s["n_pool"], n_labelled=s["n_labelled"], model=s["models"][kind],
                train=dict(s["train"][kind], **({"max_updates": s["updates"][testbed]}
                                                if testbed in s["updates"] else {})),
                seeds=list(seeds), method=method_key(method),
                robustness=dict(s["robustness"]) if "robustness" in PITFALLS[testbed] else None)


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """{"<testbed>/<method>": config, "sweep/<testbed>/<method>/<setting>=<value>": config}."""
    s = section(profile, NAME)
    seeds = seeds_from(s["seeds"], seed)
    data_seed = s["data_seed"] + seed
    out = {}
    for testbed in s["testbeds"]:
        for name in s["methods"]:
            out[f"{testbed}/{name}"] = entry_config(s, testbed, BUILT_IN[name], seeds, data_seed)
    tb = s["sweep_testbed"]
    for name, values in s["sweeps"]:
        setting = SWEEPS[name]
        for value in values:
            method = BUILT_IN[name].with_config(**{setting: value})
            out[f"sweep/{tb}/{name}/{setting}={value:g}"] = entry_config(s, tb, method, seeds,
                                                                        data_seed)
    return out


def runnable(profile: str, seed: int = 0) -> list[str]:
    """The entries whose data this machine has: MNIST-CIFAR's only where CIFAR-10 is found."""
    have_cifar = cifar10_root() is not None
    return [name for name, cfg in configs(profile, seed).items()
            if cfg["testbed"] != "mnist-cifar" or have_cifar]


def cost(cfg: dict) -> float:
    """Relative work of an entry: networks' updates (an FCN update on 256 points is 1)."""
    per = {"ERM": 1, "Spectral Decoupling": 1, "Gradient diversity": 6, "OrthoP": 2,
           "JTT": 1.2, "D-BAT": 3, "DivDis": 2.5, "Sc-only ceiling": 1}
    width = 30 if cfg["testbed"] in DOMINOES else 1
    return (len(cfg["seeds"]) * cfg["train"]["max_updates"] * width
            * per.get(cfg["method"]["name"], 2))


def method_of(cfg: dict, method: Method | None = None) -> Method:
    """The method an entry's config names: a built-in one, or the ``method`` given (checked
    against the config: its key must be the one stored)."""
    if method is None:
        name = cfg["method"]["name"]
        if name not in BUILT_IN:
            raise ValueError(f"method {name!r} is not built in; compute it with "
                             f"evaluate(method, ...), which holds it")
        method = BUILT_IN[name].with_config(**cfg["method"]["config"])
    if method_key(method) != cfg["method"]:
        raise ValueError(f"method {method.name!r} does not match the entry's "
                         f"{cfg['method']!r}")
    return method


def compute(cfg: dict, device: str = "cpu", method: Method | None = None) -> dict:
    """Train the method on every seed of its testbed and measure each model it returns."""
    check_device(device)
    method = method_of(cfg, method)
    _warm_up()
    rows, notes = [], []
    for seed in cfg["seeds"]:
        testbed = make_testbed(cfg["testbed"], cfg["n_train"], cfg["n_val"], cfg["n_test"],
                               cfg["n_pool"], cfg["n_labelled"], seed=cfg["data_seed"] + seed,
                               d=cfg["d"], p=cfg["p"])
        view = TestbedView(testbed, method, cfg["model"], cfg["train"])
        t0 = time.perf_counter()
        model = method.train(view, dict(method.config), seed, device)
        wall = time.perf_counter() - t0
        check_model_output(method, model, testbed.data.test.X)
        model = model.cpu().eval()
        keys = dict(study=NAME, dataset=cfg["testbed"], model=cfg["model"], seed=seed,
                    method=method.name, uses=method.uses)
        for read, net in _reads(model):
            values = {**measure.reliance(net, testbed, seed),
                      **measure.last_layer(net, testbed, seed)}
            if cfg["robustness"] is not None:
                r = cfg["robustness"]
                values.update({f"UAP accuracy at {n:g}": a for n, a in measure.robustness(
                    net, testbed, r["norms"], r["pgd_eps"], r["pgd_iters"],
                    r["n_attack"]).items()})
            if read == "method":
                values.update({"wall time (s)": wall, "networks trained": view.models_trained})
            rows += [dict(keys, read=read, metric=k, value=float(v)) for k, v in values.items()]
        notes += [dict(keys, note=k, value=float(v)) for k, v in view.notes.items()]
    return {"metrics": pd.DataFrame(rows),
            "notes": pd.DataFrame(notes, columns=["study", "dataset", "model", "seed",
                                                  "method", "uses", "note", "value"])}


def _warm_up() -> None:
    """Pay torch's one-off imports (the first optimiser of a process loads its compiler,
    seconds) before any method's clock starts, so that no method is charged for them."""
    import torch

    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def _reads(model) -> list[tuple[str, object]]:
    """What is measured of a method's model: its answer, and each member of an ensemble."""
    out = [("method", model)]
    if isinstance(model, Ensemble) and len(model.members) > 1:
        out += [(f"member {i}", m) for i, m in enumerate(model.members, 1)]
    return out


# --------------------------------------------------------------------------------------------
# A method of one's own
# --------------------------------------------------------------------------------------------

def check_method(method) -> Method:
    """A Method whose name is its own: a built-in name is refused unless it is that method."""
    if not isinstance(method, Method):
        raise ParameterTypeError(f"method must be an sbcore.testbed.Method (a name, what it "
                                 f"uses, train), got {type(method).__name__}")
    if method.name in BUILT_IN and BUILT_IN[method.name].train is not method.train:
        raise ValueError(f"method name {method.name!r} is a built-in method's; give yours "
                         f"another name (built in: {', '.join(BUILT_IN)})")
    return method


def evaluate(method: Method, testbeds=None, profile: str = "quick", seeds=None,
             device: str = "cpu", recompute: bool = False, root=None) -> StudyResults:
    """A method on the testbeds (all of the profile's, or ``testbeds``) with the profile's
    data, network and recipe, its seeds or ``seeds``: {"<testbed>/<method>": Result}, read
    from the store or computed and stored under the method's own key."""
    method = check_method(method)
    check_profile(profile)
    check_device(device)
    check_bool("recompute", recompute)
    s = section(profile, NAME)
    testbeds = list(s["testbeds"] if testbeds is None else
                    [testbeds] if isinstance(testbeds, str) else testbeds)
    for t in testbeds:
        check_testbed(t)
    seeds = s["seeds"] if seeds is None else [check_seed(x) for x in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    mod = sys.modules[__name__]  # the key holds this study's name and version
    out = StudyResults()
    for t in testbeds:
        entry = f"{t}/{method.name}"
        cfg = entry_config(s, t, method, seeds, s["data_seed"])
        key_cfg = entry_key_config(mod, entry, cfg, 0)
        out[entry] = store.cached_run(
            NAME, key_cfg, lambda _key, cfg=cfg: compute(cfg, device, method), profile,
            device=device, recompute=recompute, root=root,
            meta=dict(study=NAME, entry=entry, version=VERSION, seed=0))
    return out

