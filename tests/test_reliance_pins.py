"""The synthetic reliance numbers did not move when reliance went to named blocks.

``pins/reliance_c64d2e7.json`` holds what ``compute()`` below gave with the sbcore of commit
c64d2e7, the last one before ``sbcore.reliance.blocks`` (same script, run against that
checkout: ``PYTHONPATH=<checkout> python tests/test_reliance_pins.py > pins/...json``). The
test recomputes with the current code and compares: metrics and sums to 1e-12, and, where no
rotation (no BLAS) is involved, the randomised inputs byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

PINS = Path(__file__).parent / "pins" / "reliance_c64d2e7.json"

CASES = {
    "lms5_rot": dict(name="lms-5", n_train=10, n_test=3000, d=6, seed=4, rotate=True),
    "ms57_plain": dict(name="ms-5-7", n_train=10, n_test=3000, d=4, seed=5, rotate=False),
    "advms_rot": dict(name="advms-5-7", n_train=10, n_val=500, n_test=2000, d=6, seed=6),
}


def mixer(d, seed):
    r = np.random.default_rng(seed)
    w1, b1, w2 = r.standard_normal((d, 16)), r.standard_normal(16), r.standard_normal(16)
    return lambda X: np.tanh(np.asarray(X, np.float64) @ w1 + b1) @ w2


def mlp(d):
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(d, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]


def compute(key):
    from sbcore.data import make_dataset
    from sbcore.reliance import (
        as_scorer,
        logit_table,
        per_coordinate_accuracy,
        randomize,
        randomized_inputs,
        randomized_metrics,
    )
    from sbcore.studies.measuring.oracles import oracle, oracle_metrics

    data = make_dataset(**CASES[key])
    f = mixer(data.d, 11)
    t = as_scorer(mlp(data.d), batch_size=700)
    r = {}
    r["metrics"] = randomized_metrics(f, data, "test", seed=3)
    r["metrics_val_mlp"] = (randomized_metrics(t, data, "val", seed=0) if len(data.val) else None)
    r["metrics_mlp"] = randomized_metrics(t, data, "test", seed=7)
    r["per_coord"] = per_coordinate_accuracy(f, data, "test", seed=1, fraction=0.5).tolist()
    r["per_coord_mlp"] = per_coordinate_accuracy(t, data, "test", seed=2).tolist()
    lt = logit_table(f, data, "test", seed=3)
    r["logit_rows"] = lt.groupby("variant").size().to_dict()
    r["logit_sums"] = lt.groupby("variant")["score"].sum().to_dict()
    ins = randomized_inputs(data, "test", seed=9)
    r["inputs_sum"] = {k: float(v.astype(np.float64).sum()) for k, v in ins.items()}
    r["inputs_abs_weighted"] = {
        k: float((np.abs(v.astype(np.float64)) * np.arange(1, v.shape[1] + 1)).sum())
        for k, v in ins.items()}
    r["inputs_hash"] = {k: digest(v) for k, v in ins.items()}
    R = randomize(data, data.test.X, [1, 2], np.random.default_rng(5))
    r["randomize12_hash"] = digest(R)
    r["randomize12_sum"] = float(R.astype(np.float64).sum())
    r["randomize12_dtype"] = str(R.dtype)
    r["metrics_oracle_both"] = randomized_metrics(oracle(data, "both"), data, "test", seed=3)
    om = oracle_metrics(data, "test", seed=2)
    r["oracle_metrics_sum"] = float(om["value"].sum())
    return r


def close(a, b, path=""):
    """Recursive comparison of the JSON values to 1e-12."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            close(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            close(u, v, f"{path}[{i}]")
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-12), path
    else:
        assert a == b, path


@pytest.mark.parametrize("key", list(CASES))
def test_synthetic_reliance_numbers_match_the_code_before_named_blocks(key):
    pinned = json.loads(PINS.read_text())[key]
    now = json.loads(json.dumps(compute(key)))  # same types as the stored JSON
    rotated = CASES[key].get("rotate", True)
    hashes = ("inputs_hash", "randomize12_hash")
    close({k: v for k, v in pinned.items() if k not in hashes},
          {k: v for k, v in now.items() if k not in hashes})
    if not rotated:  # no matrix product: the permuted bytes themselves must agree
        assert now["inputs_hash"] == pinned["inputs_hash"]
        assert now["randomize12_hash"] == pinned["randomize12_hash"]


if __name__ == "__main__":
    json.dump({k: compute(k) for k in CASES}, sys.stdout, indent=1, sort_keys=True)
