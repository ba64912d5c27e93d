"""The datasets chapter's numbers: block geometry, measured class frequencies, rotation checks.

Nothing here trains a model. ``run`` measures, on fresh samples of the profile's size, what the
generators promise (ring probabilities per class, label balance, the noisy-linear margin and
its best accuracy, the rotation being orthogonal) so the chapter can put the design value
beside the measured one. The helpers below give the chapter its samples and tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbcore.data import (
    DATASETS,
    GAMMA,
    WIDTH,
    Block,
    dataset_blocks,
    make_dataset,
    ring_probs,
    sample_block,
    slab_classes,
    slab_intervals,
    slab_width,
)
from sbcore.studies import section

SLAB_KS = (3, 5, 7)
NOISE_P = 0.1  # the paper's noisy-linear rate
ANIMATED_K = 5
CLASS_NAMES = {0: "negative", 1: "positive"}


NAME = "datasets"
VERSION = 2  # 2: picture sizes moved out of the hashed config (VIEWS)


def configs(profile: str, seed: int = 0) -> dict[str, dict]:
    """One entry: the measured block statistics at the profile's sample size."""
    s = section(profile, "datasets")
    return {"blocks": dict(n=int(s["n"]), seed=seed, gamma=GAMMA, B=WIDTH, p=NOISE_P,
                           ks=list(SLAB_KS))}


def block_samples(n: int, seed: int = 0, gamma: float = GAMMA, B: float = WIDTH,
                  p: float = NOISE_P, ks=SLAB_KS) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """One draw of each one-dimensional block for the same labels: label -> (x, y)."""
    blocks = [Block("linear", gamma=gamma, B=B), Block("noisy_linear", gamma=gamma, B=B, p=p)]
    blocks += [Block("slab", k=k, gamma=gamma, B=B) for k in ks]
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    return {b.label: (sample_block(b, y, rng), y) for b in blocks}


def block_geometry(gamma: float = GAMMA, B: float = WIDTH, ks=SLAB_KS) -> pd.DataFrame:
    """Per block: pieces a classifier needs, slab width, gap, and each class's support."""
    def support(intervals):
        return " ∪ ".join(f"[{a:+.3f}, {b:+.3f}]" for a, b in intervals)

    rows = [dict(block="linear", thresholds=1, **{"slab width w_k": np.nan,
                                                  "gap 2Bγ": 2 * B * gamma},
                 negatives=support([(-B, -B * gamma)]), positives=support([(B * gamma, B)]))]
    for k in ks:
        iv, cls = slab_intervals(k, gamma, B), slab_classes(k)
        rows.append({"block": f"{k}-slab", "thresholds": k - 1,
                     "slab width w_k": slab_width(k, gamma, B), "gap 2Bγ": 2 * B * gamma,
                     "negatives": support([v for v, c in zip(iv, cls) if c == 0]),
                     "positives": support([v for v, c in zip(iv, cls) if c == 1])})
    return pd.DataFrame(rows)


def _kinds(blocks, idx) -> str:
    """'49 × 5-slab'-style summary of the blocks at the given coordinates."""
    labels = [blocks[i].label + (f" (γ={blocks[i].gamma:g})"
                                 if blocks[i].kind == "slab" and blocks[i].gamma != GAMMA else "")
              for i in idx]
    return ", ".join(f"{labels.count(u)} × {u}" for u in dict.fromkeys(labels)) or "none"


def dataset_table() -> pd.DataFrame:
    """The named datasets of ``sbcore.data.DATASETS`` at their default dimension."""
    rows = []
    for name, (_, d_min, d_default, text) in DATASETS.items():
        blocks, S = dataset_blocks(name)
        Sc = [i for i in range(len(blocks)) if i not in S]
        rows.append({"dataset": name, "description": text.split(": ", 1)[-1],
                     "default d": d_default, "smallest d": d_min,
                     "simple set S": _kinds(blocks, S), "complex set Sᶜ": _kinds(blocks, Sc)})
    return pd.DataFrame(rows)


def _ring_rows(k: int, x: np.ndarray, y: np.ndarray, gamma: float, B: float) -> list[dict]:
    """Design and measured probability of each ring of k slabs, per class."""
    m = (k - 1) // 2
    iv = slab_intervals(k, gamma, B)
    rows = []
    for c in (0, 1):
        a = np.abs(x[y == c])
        rings = [j for j in range(m + 1) if j % 2 == c]
        for j, prob in zip(rings, ring_probs(k)[c]):
            lo, hi = iv[m + j]
            lo = 0.0 if j == 0 else lo
            measured = float(np.mean((a >= lo) & (a <= hi)))
            rows.append(dict(block=f"{k}-slab", cls=CLASS_NAMES[c], ring=j,
                             interval=f"|x| ∈ [{lo:.3f}, {hi:.3f}]", design=prob,
                             measured=measured, n=len(a),
                             positive_side=float(np.mean(x[y == c][(a >= lo) & (a <= hi)] > 0))))
    return rows


def compute(config: dict, device: str = "cpu") -> dict[str, pd.DataFrame]:
    n, seed, gamma, B, p = config["n"], config["seed"], config["gamma"], config["B"], config["p"]
    samples = block_samples(n, seed, gamma, B, p, config["ks"])
    rings = pd.DataFrame([r for k in config["ks"]
                          for r in _ring_rows(k, *samples[f"{k}-slab"], gamma, B)])

    x_noisy, y = samples[f"noisy linear (p={p:g})"]
    inside = np.abs(x_noisy) < gamma * B
    data = make_dataset("lms-5", n_train=n, n_test=n // 4, seed=seed)
    Z = data.unrotate(data.train.X.astype(np.float64))
    plain = make_dataset("lms-5", n_train=n, n_test=n // 4, seed=seed, rotate=False)
    measured = {
        "fraction of positives": float(np.mean(y)),
        "noisy linear: fraction inside the margin": float(np.mean(inside)),
        "noisy linear: points inside the margin": float(inside.sum()),
        "noisy linear: accuracy of sign(x)": float(np.mean((x_noisy > 0) == (y == 1))),
        "noisy linear: margin points on their label's side": float(
            np.mean((x_noisy[inside] > 0) == (y[inside] == 1))),
        "rotation: max |Q Q^T - I|": float(np.abs(data.Q @ data.Q.T - np.eye(data.d)).max()),
        "rotation: max |unrotate(X) - Z|": float(np.abs(Z - plain.train.X).max()),
    }
    metrics = [dict(study=NAME, dataset="blocks", model="none", seed=seed,
                    metric=name, value=value) for name, value in measured.items()]
    metrics += [dict(study=NAME, dataset=r["block"], model="none", seed=seed,
                     metric=f"P(ring {r['ring']} | {r['cls']})", value=r["measured"])
                for r in rings.to_dict("records")]
    return {"metrics": pd.DataFrame(metrics), "rings": rings}


def measured(result, metric: str) -> float:
    """One measured number of the ``blocks`` rows."""
    m = result.metrics
    row = m[(m["dataset"] == "blocks") & (m["metric"] == metric)]
    if len(row) != 1:
        raise KeyError(f"no measured value {metric!r}; known: {sorted(m['metric'].unique())}")
    return float(row["value"].iloc[0])


def gamma_frames(n: int, frames: int, seed: int = 0, k: int = ANIMATED_K, B: float = WIDTH):
    """Samples of (linear, k-slab) for ``frames`` margins from 0 to 4/5 of the largest a k-slab
    allows (1/(k-1)): the data of the chapter's animation. Returns a list of dicts."""
    gammas = np.linspace(0.0, 0.8 / (k - 1), frames)
    out = []
    for g in gammas:
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 2, size=n)
        lin = sample_block(Block("linear", gamma=float(g), B=B), y, rng)
        slab = sample_block(Block("slab", k=k, gamma=float(g), B=B), y, rng)
        out.append(dict(gamma=float(g), k=k, B=B, linear=lin, slab=slab, y=y))
    return out
