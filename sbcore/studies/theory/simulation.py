"""Theorem 1 of the paper (section 4.1, App. F) as code.

Setting, exactly as the theorem states it:

* **Data (LSN).** y = +-1 with probability 1/2; x1 = y (the linear coordinate); x2 = 0 for
  negatives and +-1 (each with probability 1/2) for positives (a 3-slab); x3..xd independent
  standard Gaussians (pure noise). The coordinates come from ``sbcore.data``'s ``lsn`` blocks.
* **Model.** f(x) = sum_j v_j ReLU(w_j . x), no bias, k hidden units. The second layer is fixed
  at v_j = +-1/sqrt(k) with exactly half of the units positive. Only W is trained (a trained
  second layer is offered as a variant, outside the theorem).
* **Loss.** Hinge, max(0, 1 - y f(x)), averaged over the batch.
* **Training.** Gradient descent on a fresh batch of n = Theta(d^2) samples each step (one pass
  over the data), step size eta = 1/sqrt(log d) (the theorem asks eta = Omega((log d)^-1/2);
  we take the constant 1), for t_hat steps, the last step at which Lemma 2 keeps the hinge
  active at every point.
* **Initialisation.** w_ij ~ N(0, sigma^2). The paper is inconsistent about sigma^2 (Theorem 1
  and Lemma 1, App. F): the statement reads 1/(d k log^4 d) (or log(4d)), Lemma 1 says
  1/(d k log^2 d), and the bands of Lemma 1 use the 1/sqrt(d k log d) scale. **We use Lemma
  1's reading, sigma^2 = 1/(d k log^2 d)**: Lemma 1 is the statement whose bands we check, and
  it is the larger (so the less favourable) of the two variances the text gives.
  ``INIT_READINGS`` offers the other two. log is the natural logarithm.

While every point has positive hinge loss, the gradient of unit j is -v_j 1[w_j . x > 0] y x
averaged over the batch. Given x1 and x2, the pre-activation w_j . x is Gaussian in the noise
coordinates, with mean w1 y + w2 x2 and standard deviation s = ||w_bar|| (w_bar = noise weights),
which gives the population gradient in closed form (``population_gradient``):

* linear: -(v/4) [2 + Phi((w1+w2)/s) + Phi((w1-w2)/s) - 2 Phi(w1/s)]
* slab:   -(v/4) [Phi((w1+w2)/s) - Phi((w1-w2)/s)]
* noise:  -(v/4) [phi((w1+w2)/s) + phi((w1-w2)/s) - 2 phi(w1/s)] w_bar/s, since for
  xi ~ N(0, 1), E[xi 1(c + s xi > 0)] = phi(c/s); the part of the noise orthogonal to w_bar is
  independent of the activation and averages to zero, leaving a sampling error of norm about
  |v| sqrt(p (d-3)/n), p the unit's activation probability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from sbcore.checks import check_int
from sbcore.data import dataset_blocks, make_dataset, sample_block

C0 = 2.0  # Lemma 1's constant c0
# power of log d in the initialisation variance 1/(d k log^p d), by where the paper states it
INIT_READINGS = {"lemma": 2, "statement": 4, "bands": 1}
DEFAULT_INIT_READING = "lemma"
# floats per batch chunk: bounds memory at any batch size (a GPU takes bigger chunks)
CHUNK_ELEMENTS = {"cpu": 2 ** 24, "cuda": 2 ** 27}


# --------------------------------------------------------------------------------------------
# The theorem's constants
# --------------------------------------------------------------------------------------------

def check_d(d) -> int:
    """x1, x2 and at least one noise coordinate."""
    return check_int("dimension d", d, 3)


def check_k(k) -> int:
    """The theorem puts exactly half of the second-layer weights at +1/sqrt(k)."""
    if check_int("width k", k, 2) % 2:
        raise ValueError(f"width k must be an even integer >= 2 (half of the second-layer "
                         f"weights at +1/sqrt(k)), got {k!r}")
    return int(k)


def step_size(d: int) -> float:
    """The theorem's step size eta = Omega((log d)^-1/2), with the constant taken as 1."""
    return 1.0 / math.sqrt(math.log(check_d(d)))


def init_std(d: int, k: int, reading: str = DEFAULT_INIT_READING, factor: float = 1.0) -> float:
    """Standard deviation of the initial weights: factor / sqrt(d k log^p d), p by reading."""
    if reading not in INIT_READINGS:
        raise ValueError(f"init reading {reading!r} is unknown; allowed: "
                         f"{', '.join(INIT_READINGS)}")
    if not (factor > 0 and math.isfinite(factor)):
        raise ValueError(f"init factor must be a positive number, got {factor!r}")
    d, k = check_d(d), check_k(k)
    return factor / math.sqrt(d * k * math.log(d) ** INIT_READINGS[reading])


def theorem_steps(eta: float) -> int:
    """t_hat: the last step t with (t + 1/2) eta / 4 <= 1, where Lemma 2 (y f = (t +- 1/2)
    eta/4) still keeps the hinge active at every point. The weights w(t) for t <= t_hat are
    what Lemma 1 describes."""
    if not (eta > 0 and math.isfinite(eta)):
        raise ValueError(f"step size eta must be a positive number, got {eta!r}")
    return max(1, int(math.floor(4.0 / eta - 0.5)))


def theorem_batch(d: int, factor: float = 1.0) -> int:
    """Batch size c d^2 (the theorem's m >= c d^2 samples over O(1) steps)."""
    return max(1, int(round(factor * check_d(d) ** 2)))


def lemma1_bands(t, eta: float, d: int, k: int, c0: float = C0) -> dict:
    """Lemma 1's bands at step t (array-like): the linear weight is t eta v_j/2 +- ``width``;
    |w2j| <= ``slab``; ||w_bar_j|| <= ``noise``. The lemma's own range of t,
    t <= (4/eta)(1 - c_n/sqrt(log d)) with c_n >= 5 sqrt(2) c0, is empty unless log d > 200 or so;
    we check the bands over the steps where its companion Lemma 2 holds (``theorem_steps``)."""
    t = np.asarray(t, dtype=float)
    grow = c0 * (1.0 + eta / 4.0) ** t
    return dict(linear_center_per_v=t * eta / 2.0,
                width=grow / math.sqrt(d * k * math.log(d)),
                slab=grow / math.sqrt(d * k * math.log(d)),
                noise=grow / math.sqrt(k * math.log(d)),
                margin_center=t * eta / 4.0, margin_width=eta / 8.0)


def second_layer(k: int, runs: int = 1, device="cpu") -> torch.Tensor:
    """v_j = +1/sqrt(k) for the first k/2 units and -1/sqrt(k) for the rest, per run."""
    k = check_k(k)
    v = torch.cat([torch.ones(k // 2), -torch.ones(k // 2)]) / math.sqrt(k)
    return v.to(device).expand(runs, k).clone()


# --------------------------------------------------------------------------------------------
# Data and network
# --------------------------------------------------------------------------------------------

def lsn_batch(d: int, n: int, runs: int, rng: np.random.Generator, gen: torch.Generator,
              device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """A fresh LSN batch per run: X (runs, n, d) float32, y (runs, n) in {-1, +1}.

    The coordinates follow ``sbcore.data``'s ``lsn`` blocks: x1 and x2 are drawn by
    ``sample_block``; the Gaussian noise blocks are drawn on the device with torch (the same law,
    N(0, 1), without moving d-1 columns of numpy draws to a GPU)."""
    blocks, _ = dataset_blocks("lsn", d)
    N = runs * n
    y01 = rng.integers(0, 2, size=N)
    X = torch.empty(N, d, device=device)
    noise = [i for i, b in enumerate(blocks) if b.kind == "gaussian"]
    for i, b in enumerate(blocks):
        if b.kind != "gaussian":
            X[:, i] = torch.from_numpy(sample_block(b, y01, rng)).to(device, torch.float32)
    G = torch.randn(N, len(noise), generator=gen, device=device)
    if noise == list(range(noise[0], noise[-1] + 1)):  # contiguous columns: a slice copy is fast
        X[:, noise[0]:noise[-1] + 1] = G
    else:
        X[:, noise] = G
    y = torch.from_numpy(2.0 * y01 - 1.0).to(device, torch.float32)
    return X.view(runs, n, d), y.view(runs, n)


def network(W: torch.Tensor, v: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """f(x) = sum_j v_j ReLU(w_j . x) for every run: W (R, k, d), v (R, k), X (R, n, d)."""
    return (torch.relu(torch.bmm(X, W.transpose(1, 2))) * v[:, None, :]).sum(-1)


def hinge_sums(W: torch.Tensor, v: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> dict:
    """Sums over the rows of X of the hinge-loss gradient and of the step's statistics.

    The gradient of max(0, 1 - y f) with respect to w_j is -y v_j 1[y f < 1] 1[w_j.x > 0] x
    (and -y 1[y f < 1] ReLU(w_j.x) for v_j); subgradient 0 at the kinks."""
    Z = torch.bmm(X, W.transpose(1, 2))  # (R, n, k) pre-activations
    H = torch.relu(Z)
    f = (H * v[:, None, :]).sum(-1)
    margin = y * f
    live = (margin < 1).to(X.dtype)
    ly = live * y
    coef = -(ly[..., None] * (Z > 0).to(X.dtype)) * v[:, None, :]
    return dict(gW=torch.bmm(coef.transpose(1, 2), X), gv=-(ly[..., None] * H).sum(1),
                live=live.sum(1), loss=torch.clamp(1 - margin, min=0).sum(1),
                margin=margin.sum(1), margin_min=margin.min(1).values,
                margin_max=margin.max(1).values, n=X.shape[1])


def batch_gradient(W, v, n: int, rng, gen, device, chunk_elements: int | None = None,
                   data=None) -> dict:
    """Mean hinge gradient over a fresh LSN batch of n rows per run (drawn in chunks, so the
    batch is never held whole), or over ``data`` = (X, y) when given."""
    R, k, d = W.shape
    if data is not None:
        out = hinge_sums(W, v, *data)
        n = data[0].shape[1]
    else:
        if chunk_elements is None:
            chunk_elements = CHUNK_ELEMENTS.get(torch.device(device).type, 2 ** 24)
        rows = max(1, chunk_elements // (R * d))
        out = None
        for start in range(0, n, rows):
            part = hinge_sums(W, v, *lsn_batch(d, min(rows, n - start), R, rng, gen, device))
            if out is None:
                out = part
            else:
                for key in ("gW", "gv", "live", "loss", "margin"):
                    out[key] = out[key] + part[key]
                out["margin_min"] = torch.minimum(out["margin_min"], part["margin_min"])
                out["margin_max"] = torch.maximum(out["margin_max"], part["margin_max"])
    for key in ("gW", "gv", "live", "loss", "margin"):
        out[key] = out[key] / n
    out["n"] = n
    return out


# --------------------------------------------------------------------------------------------
# Closed forms (proof sketch steps 2-4)
# --------------------------------------------------------------------------------------------

def _phi(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def population_gradient(W: torch.Tensor, v: torch.Tensor) -> dict:
    """The expected hinge gradient over LSN when every point has positive hinge loss.

    Returns ``gW`` (R, k, d) and its parts: ``linear``, ``slab`` (R, k), ``noise_along``, the
    component along w_bar/||w_bar|| (R, k), ``gv`` (R, k), the activation probability ``p``,
    ``sd``: each part's per-sample standard deviation (the batch mean's standard error is
    sd/sqrt(n)), and ``perp_scale`` = |v| sqrt(p (d-3)), the expected norm of the noise
    gradient's sampling error orthogonal to w_bar times sqrt(n)."""
    W64, v64 = W.double(), v.double()
    a, b, wbar = W64[..., 0], W64[..., 1], W64[..., 2:]
    s = wbar.norm(dim=-1).clamp_min(1e-300)
    cp, cm, c0 = (a + b) / s, (a - b) / s, a / s
    Phi = torch.special.ndtr
    linear = -(v64 / 4) * (2 + Phi(cp) + Phi(cm) - 2 * Phi(c0))
    slab = -(v64 / 4) * (Phi(cp) - Phi(cm))
    along = -(v64 / 4) * (_phi(cp) + _phi(cm) - 2 * _phi(c0))
    u = wbar / s[..., None]
    gW = torch.cat([linear[..., None], slab[..., None], along[..., None] * u], dim=-1)

    def relu_mean(c):  # E[ReLU(c + s xi)], xi ~ N(0, 1)
        return c * Phi(c / s) + s * _phi(c / s)

    gv = -0.25 * (relu_mean(a + b) + relu_mean(a - b)) + 0.5 * relu_mean(-a)
    p = 0.25 * (Phi(cp) + Phi(cm)) + 0.5 * Phi(-c0)
    d = W.shape[-1]

    def second_moment(c):  # E[xi^2 1(c + xi > 0)] for xi ~ N(0, 1), c in units of s
        return Phi(c) - c * _phi(c)

    v2 = v64 * v64
    sd = dict(  # standard deviation of one sample's gradient part: sd / sqrt(n) is the SE
        linear=torch.sqrt(v2 * p * (1 - p)),
        slab=torch.sqrt((v2 * 0.25 * (Phi(cp) + Phi(cm)) - slab ** 2).clamp_min(0)),
        noise_along=torch.sqrt((v2 * (0.25 * (second_moment(cp) + second_moment(cm))
                                      + 0.5 * second_moment(-c0)) - along ** 2).clamp_min(0)))
    return dict(gW=gW.to(W.dtype), linear=linear, slab=slab, noise_along=along, gv=gv, p=p,
                sd=sd, perp_scale=v64.abs() * torch.sqrt(p * max(d - 3, 0)))


def gradient_parts(gW: torch.Tensor, W: torch.Tensor) -> dict:
    """An empirical gradient split as the closed form is: linear, slab, noise along w_bar and
    the norm of the noise part orthogonal to w_bar."""
    wbar = W[..., 2:].double()
    u = wbar / wbar.norm(dim=-1, keepdim=True).clamp_min(1e-300)
    g = gW.double()
    along = (g[..., 2:] * u).sum(-1)
    perp = (g[..., 2:] - along[..., None] * u).norm(dim=-1)
    return dict(linear=g[..., 0], slab=g[..., 1], noise_along=along, noise_perp=perp)


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------

@dataclass
class Simulation:
    """Trajectories of R independent runs. ``units``: one row per (run, unit, step) with the
    weights w1, w2, ||w_bar|| and, for steps with an update, the empirical and closed-form
    gradient parts. ``steps``: one row per (run, step) with the batch statistics (fraction of
    points with positive hinge loss, mean/min y f, hinge loss). ``W0``/``W``/``v``: initial and
    final weights."""

    units: pd.DataFrame
    steps: pd.DataFrame
    W0: torch.Tensor
    W: torch.Tensor
    v: torch.Tensor
    settings: dict = field(default_factory=dict)


def simulate(d: int, k: int, *, eta: float | None = None, init_reading: str = DEFAULT_INIT_READING,
             init_factor: float = 1.0, batch_size: int | None = None, steps: int | None = None,
             runs: int = 1, seed: int = 0, device="cpu", train_second_layer: bool = False,
             train_set_size: int | None = None, record_units: int | None = None,
             record_every: int = 1, progress: bool = False) -> Simulation:
    """Train R = ``runs`` independent networks of the theorem's setting together.

    Defaults are the theorem's: eta = 1/sqrt(log d), init from Lemma 1's reading, batch d^2,
    ``theorem_steps(eta)`` steps, fresh batches. ``train_set_size`` = m instead samples every
    minibatch from one fixed training set of m points per run (plain multi-epoch SGD, shuffled
    each epoch). ``record_units`` keeps the first few units of each sign in ``units``."""
    d, k = check_d(d), check_k(k)
    eta = step_size(d) if eta is None else float(eta)
    if not (eta > 0 and math.isfinite(eta)):
        raise ValueError(f"step size eta must be a positive number, got {eta!r}")
    sigma = init_std(d, k, init_reading, init_factor)
    n = theorem_batch(d) if batch_size is None else check_int("batch_size", batch_size)
    T = theorem_steps(eta) if steps is None else check_int("steps", steps, 0)
    R = check_int("runs", runs)
    record_every = check_int("record_every", record_every)
    seed = check_int("seed", seed, 0)
    if train_set_size is not None:
        check_int("train_set_size", train_set_size)
        if train_set_size < n:
            raise ValueError(f"train_set_size={train_set_size} is smaller than batch_size={n}")
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    rng = np.random.default_rng([seed, d, k])
    W = sigma * torch.randn(R, k, d, generator=gen, device=device)
    W0 = W.clone()
    v = second_layer(k, R, device)
    if record_units is None or record_units >= k:
        keep = torch.arange(k)
    else:  # the first units of each sign
        half = max(1, record_units // 2)
        keep = torch.cat([torch.arange(half), k // 2 + torch.arange(half)])
    train = None
    if train_set_size is not None:
        train = lsn_batch(d, train_set_size, R, rng, gen, device)
        order = None
        per_epoch = train_set_size // n
    unit_rows, step_rows = [], []
    iterator = range(T + 1)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, desc=f"theory d={d} k={k}", leave=False)
    for t in iterator:
        record = (t % record_every == 0) or t == T
        if t == T:
            if record:
                unit_rows.append(_unit_record(t, W, v, keep, None, None))
            break
        if train is None:
            g = batch_gradient(W, v, n, rng, gen, device)
        else:
            i = t % per_epoch
            if i == 0:
                order = torch.argsort(torch.rand(R, train_set_size, generator=gen, device=device),
                                      dim=1)
            idx = order[:, i * n:(i + 1) * n]
            rows = torch.arange(R, device=device)[:, None]
            g = batch_gradient(W, v, n, rng, gen, device, data=(train[0][rows, idx],
                                                                 train[1][rows, idx]))
        if record:
            unit_rows.append(_unit_record(t, W, v, keep, g, population_gradient(W, v), n))
            step_rows.append(pd.DataFrame(dict(
                run=np.arange(R), step=t, live_fraction=g["live"].cpu().numpy(),
                margin_mean=g["margin"].cpu().numpy(), margin_min=g["margin_min"].cpu().numpy(),
                margin_max=g["margin_max"].cpu().numpy(), hinge_loss=g["loss"].cpu().numpy())))
        W = W - eta * g["gW"]
        if train_second_layer:
            v = v - eta * g["gv"]
    units = pd.concat(unit_rows, ignore_index=True)
    steps_df = pd.concat(step_rows, ignore_index=True) if step_rows else pd.DataFrame()
    settings = dict(d=d, k=k, eta=eta, init_reading=init_reading, init_factor=init_factor,
                    init_std=sigma, batch_size=n, steps=T, runs=R, seed=seed,
                    train_second_layer=train_second_layer, train_set_size=train_set_size)
    return Simulation(units=units, steps=steps_df, W0=W0, W=W, v=v, settings=settings)


def _unit_record(t, W, v, keep, g, pop, n=None) -> pd.DataFrame:
    R = W.shape[0]
    ids = keep.cpu().numpy()
    keep = keep.to(W.device)  # index on the weights' device
    Wk = W[:, keep]
    rec = dict(run=np.repeat(np.arange(R), len(ids)), unit=np.tile(ids, R), step=t,
               v=v[:, keep].reshape(-1).cpu().numpy(),
               w1=Wk[..., 0].reshape(-1).cpu().numpy(), w2=Wk[..., 1].reshape(-1).cpu().numpy(),
               noise_norm=Wk[..., 2:].norm(dim=-1).reshape(-1).cpu().numpy())
    if g is not None:
        emp = gradient_parts(g["gW"], W)
        for part in ("linear", "slab", "noise_along"):
            rec[f"grad_{part}"] = emp[part][:, keep].reshape(-1).cpu().numpy()
            rec[f"closed_{part}"] = pop[part][:, keep].reshape(-1).cpu().numpy()
            rec[f"se_{part}"] = (pop["sd"][part][:, keep] / math.sqrt(n)).reshape(-1) \
                .cpu().numpy()
        rec["grad_noise_perp"] = emp["noise_perp"][:, keep].reshape(-1).cpu().numpy()
        rec["closed_noise_perp"] = (pop["perp_scale"][:, keep] / math.sqrt(n)).reshape(-1) \
            .cpu().numpy()
    return pd.DataFrame(rec)


# --------------------------------------------------------------------------------------------
# What the trained network learned
# --------------------------------------------------------------------------------------------

def weight_summary(W: torch.Tensor, v: torch.Tensor,
                   W0: torch.Tensor | None = None) -> pd.DataFrame:
    """Per run: root-mean-square (over units) of the linear weight, the slab weight and the
    noise-weight norm; their ratio; the slab weight over one noise coordinate's weight;
    sqrt(k) mean |w1j| (the theorem: about 2); the fraction of
    units whose linear weight has the sign of v_j; and the slab weight's growth since init."""
    k = W.shape[1]
    w1, w2 = W[..., 0].double(), W[..., 1].double()
    noise = W[..., 2:].double().norm(dim=-1)
    rms = lambda x: torch.sqrt((x * x).mean(1))  # noqa: E731
    out = dict(run=np.arange(W.shape[0]),
               linear_rms=rms(w1).cpu().numpy(), slab_rms=rms(w2).cpu().numpy(),
               noise_rms=rms(noise).cpu().numpy(),
               linear_to_slab=(rms(w1) / rms(w2)).cpu().numpy(),
               # the slab weight against one noise coordinate's weight (RMS over units and
               # coordinates): near 1, the slab coordinate is treated like pure noise
               slab_to_noise_coordinate=(rms(w2) / (rms(noise) / math.sqrt(max(W.shape[2] - 2, 1))))
               .cpu().numpy(),
               linear_sqrtk=(w1.abs().mean(1) * math.sqrt(k)).cpu().numpy(),
               sign_agreement=((torch.sign(w1) == torch.sign(v.double())).double().mean(1)
                               .cpu().numpy()))
    if W0 is not None:
        out["slab_growth"] = (rms(w2) / rms(W0[..., 1].double())).cpu().numpy()
        out["noise_growth"] = (rms(noise) / rms(W0[..., 2:].double().norm(dim=-1))).cpu().numpy()
    return pd.DataFrame(out)


def scorer(W: torch.Tensor, v: torch.Tensor, run: int = 0):
    """The trained network of one run as a numpy scorer (f > 0 predicts class 1)."""
    Wr, vr = W[run].detach().double().cpu(), v[run].detach().double().cpu()

    def score(X: np.ndarray) -> np.ndarray:
        Z = torch.as_tensor(np.asarray(X), dtype=torch.float64) @ Wr.T
        return (torch.relu(Z) @ vr).numpy()

    return score


def evaluate(W: torch.Tensor, v: torch.Tensor, n_test: int, seed: int = 0) -> pd.DataFrame:
    """Test metrics of every run on one fresh LSN test set (unrotated, as in the theorem):
    standard, linear-coordinate-randomised (S) and rest-randomised (S^c) accuracy and AUC,
    and the count of test errors."""
    from sbcore.reliance import accuracy, randomized_metrics

    d = W.shape[-1]
    data = make_dataset("lsn", n_train=1, n_test=n_test, d=d, rotate=False, seed=seed)
    rows = []
    for r in range(W.shape[0]):
        score = scorer(W, v, r)
        m = randomized_metrics(score, data, "test", seed=seed)
        m["test errors"] = float(round((1 - accuracy(score(data.test.X), data.test.y)) * n_test))
        rows.append(dict(run=r, **m))
    return pd.DataFrame(rows)


def ratio_scaling(d, ratio, init_reading: str = DEFAULT_INIT_READING) -> dict:
    """Least-squares slopes in log-log of the linear-to-slab ratio against d: ``slope`` (the
    exponent a of ratio ~ d^a) and ``slope_corrected``, the exponent left after dividing by
    the theorem's shape sqrt(d) log^(p/2) d (p from the init reading; 0 means the shape fits).
    With the slab weight at its initial scale 1/sqrt(d k log^p d) and the linear weight near
    2/sqrt(k), the theorem predicts that shape."""
    d, ratio = np.asarray(d, dtype=float), np.asarray(ratio, dtype=float)
    if len(np.unique(d)) < 2:
        raise ValueError("ratio_scaling needs at least two distinct d")
    p = INIT_READINGS[init_reading]
    shape = np.sqrt(d) * np.log(d) ** (p / 2)
    slope = float(np.polyfit(np.log(d), np.log(ratio), 1)[0])
    corrected = float(np.polyfit(np.log(d), np.log(ratio / shape), 1)[0])
    return dict(slope=slope, slope_corrected=corrected)


def support_margins() -> dict:
    """The margin argument on the noise-free support points (x1, x2): positives (1, +-1),
    negatives (-1, 0); the noise coordinates are ignored by both rules.

    * ``linear_only``: the boundary x1 = 0 is at distance 1 from every point.
    * ``max_margin``: no classifier can do better than half the smallest distance between the
      classes, sqrt(5)/2; the nearest-class rule 2 x1 + |x2| = 1/2 reaches it, weighting |x2| at
      half the weight of x1 (``max_margin_weights``).
    * ``bias_free_max``: the widest boundary made of rays from the origin (what a network with
      no bias can draw in this plane), found by scanning the ray angle."""
    pos = np.array([[1.0, 1.0], [1.0, -1.0]])
    neg = np.array([[-1.0, 0.0]])
    gaps = np.linalg.norm(pos[:, None] - neg[None], axis=-1)
    max_margin = float(gaps.min() / 2)
    w = np.array([2.0, 1.0]) / math.sqrt(5.0)  # normal of the rule's two lines, (2, +-1)/sqrt 5
    rule = lambda p: abs(w[0] * p[0] + w[1] * abs(p[1]) - 0.5 / math.sqrt(5.0))  # noqa: E731
    reached = float(min(rule(p) for p in np.vstack([pos, neg])))
    # bias-free: boundary rays at angles +-theta (positive cone around angle 0)
    thetas = np.linspace(math.pi / 4 + 1e-6, math.pi - 1e-6, 20001)

    def ray_distance(p, th):
        u = np.array([math.cos(th), math.sin(th)])
        proj = max(0.0, p @ u)
        return float(np.linalg.norm(p - proj * u))

    best = max(min(min(ray_distance(p, th), ray_distance(p * [1, -1], th))
                   for p in np.vstack([pos, neg])) for th in thetas[::50])
    return dict(linear_only=1.0, max_margin=max_margin, max_margin_reached=reached,
                max_margin_weights=(2.0, 1.0), bias_free_max=best)
