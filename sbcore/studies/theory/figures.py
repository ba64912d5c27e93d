"""Plots of the theory chapter (Theorem 1), in the house style of ``sbcore.book.viz``.

Kept apart from ``viz.py`` (which other chapters share) because they read the theory
study's tables: ``units`` (one row per run, unit and step), ``steps`` and ``metrics``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sbcore.book import viz
from sbcore.book.viz import CLASS_COLORS
from sbcore.studies.theory import simulation

SIGN_COLORS = {1: "#00798c", -1: "#d1495b"}  # units with v_j > 0 / v_j < 0
BAND_COLOR = "#999999"


def _sign(v):
    return np.where(np.asarray(v) > 0, 1, -1)


PANELS = ("linear", "slab", "noise", "margin")


def plot_trajectory(units: pd.DataFrame, steps: pd.DataFrame, d: int, k: int, eta: float,
                    max_lines: int = 40, panels=PANELS):
    """Up to four panels over the steps t: w1j(t) per unit against Lemma 1's band
    t eta v_j/2 +- ...; |w2j(t)| and ||w_bar_j(t)|| against their bounds; the batch's y f
    against Lemma 2's band. ``panels`` picks which (in that order)."""
    bad = [p for p in panels if p not in PANELS]
    if bad or not panels:
        raise ValueError(f"panels must be a non-empty subset of {PANELS}, got {panels!r}")
    fig, axs = viz.panel_grid(len(panels), (3.5, 3.0))
    ax = dict(zip(panels, axs))
    t = np.arange(units.step.max() + 1)
    b = simulation.lemma1_bands(t, eta, d, k)
    groups = list(units.groupby(["run", "unit"]))[:max_lines]
    columns = {"linear": lambda g: g.w1, "slab": lambda g: g.w2.abs(),
               "noise": lambda g: g.noise_norm}
    for _key, g in groups:
        kw = dict(color=SIGN_COLORS[int(_sign(g.v.iloc[0]))], lw=0.8, alpha=0.6)
        for name, column in columns.items():
            if name in ax:
                ax[name].plot(g.step, column(g), **kw)
    if "linear" in ax:
        vk = 1 / math.sqrt(k)
        for s in (1, -1):
            c = s * vk * b["linear_center_per_v"]
            ax["linear"].fill_between(t, c - b["width"], c + b["width"], color=BAND_COLOR,
                                      alpha=0.35, lw=0, label="Lemma 1 band" if s == 1 else None)
            ax["linear"].plot(t, c, color="k", lw=0.8, ls="--",
                              label="t·η·v_j/2" if s == 1 else None)
    for name in ("slab", "noise"):
        if name in ax:
            ax[name].fill_between(t, 0, b[name], color=BAND_COLOR, alpha=0.35, lw=0,
                                  label="Lemma 1 bound")
    if "slab" in ax:
        ax["slab"].set_ylim(0, max(b["slab"].max(), units.w2.abs().max()) * 1.1)
    if "margin" in ax and len(steps):
        a = ax["margin"]
        ts = np.arange(steps.step.max() + 1)
        bb = simulation.lemma1_bands(ts, eta, d, k)
        a.fill_between(ts, bb["margin_center"] - bb["margin_width"],
                       bb["margin_center"] + bb["margin_width"], color=BAND_COLOR, alpha=0.35,
                       lw=0, label="Lemma 2: (t ± ½)η/4")
        agg = steps.groupby("step")
        a.plot(agg.margin_mean.mean(), color="k", label="mean")
        a.plot(agg.margin_min.min(), color="k", ls=":", label="min, max")
        a.plot(agg.margin_max.max(), color="k", ls=":")
        a.axhline(1, color=CLASS_COLORS[0], lw=0.8)
    titles = {"linear": "linear weight $w_{1j}$", "slab": "slab weight $|w_{2j}|$",
              "noise": "noise weights $\\|\\bar w_j\\|$", "margin": "$y f(x)$ on the batch"}
    for name, a in ax.items():
        a.set_title(titles[name])
        a.set_xlabel("step t")
        a.legend(fontsize=7, loc="best")
    fig.suptitle(f"d = {d}, k = {k}, η = {eta:.3f}; blue: units with v_j > 0, red: v_j < 0",
                 fontsize=9)
    fig.tight_layout()
    return fig


def plot_gradient_check(units: pd.DataFrame):
    """Closed-form population gradient against the batch gradient, every unit and step; the
    fourth panel compares the noise gradient's part orthogonal to w_bar with its predicted
    size; the fifth shows each gap in standard errors of the batch mean, against N(0, 1)."""
    g = units.dropna(subset=["grad_linear"])
    fig, axes = viz.panel_grid(5, (3.5, 2.6))
    parts = [("linear", "linear coordinate"), ("slab", "slab coordinate"),
             ("noise_along", "noise, along $\\bar w_j$"),
             ("noise_perp", "noise, orthogonal part (norm)")]
    for ax, (part, title) in zip(axes, parts):
        x, y = g[f"closed_{part}"], g[f"grad_{part}"]
        ax.scatter(x, y, s=6, c=g.step, cmap="viridis", alpha=0.7)
        lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        pad = 0.05 * (hi - lo + 1e-12)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="k", lw=0.8, ls="--")
        ax.set_title(title)
        ax.set_xlabel("closed form" if part != "noise_perp" else "predicted |v|·√(p(d−3)/n)")
        ax.set_ylabel("batch gradient")
    ax = axes[4]  # the gaps in standard errors, against N(0, 1)
    bins = np.linspace(-4.5, 4.5, 31)
    for part, color in (("linear", "#333333"), ("slab", "#d1495b"),
                        ("noise_along", "#00798c")):
        zs = (g[f"grad_{part}"] - g[f"closed_{part}"]) / g[f"se_{part}"]
        ax.hist(zs.clip(-4.5, 4.5), bins=bins, density=True, histtype="step", color=color,
                label=part.replace("_", " "))
    xs = np.linspace(-4.5, 4.5, 200)
    ax.plot(xs, np.exp(-xs ** 2 / 2) / math.sqrt(2 * math.pi), color="k", ls="--", lw=0.8,
            label="N(0, 1)")
    ax.set_title("gap / standard error")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _plain_log_ticks(axis) -> None:
    """Log axis labelled 1, 2, 5, 10, 20, ... without crowded minor labels."""
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(ScalarFormatter())
    axis.set_minor_formatter(NullFormatter())


def plot_ratio_vs_d(metrics: pd.DataFrame, init_reading: str = simulation.DEFAULT_INIT_READING):
    """Linear-to-slab weight ratio over d (each seed a dot, the mean a line), with the shapes
    sqrt(d) and sqrt(d) log^(p/2) d through the smallest d; and the slab weight's growth."""
    m = metrics[(metrics.part == "sweep_d")]
    ratio = m[m.metric == "linear_to_slab"]
    growth = m[m.metric == "slab_growth"]
    fig, axes = viz.panel_grid(2, (3.5, 3.3))
    ax = axes[0]
    ax.scatter(ratio.d, ratio.value, s=12, color="#333333", alpha=0.5, label="one seed")
    mean = ratio.groupby("d").value.mean()
    ax.plot(mean.index, mean.values, color="#333333", label="mean")
    ds = np.array(sorted(ratio.d.unique()), dtype=float)
    p = simulation.INIT_READINGS[init_reading]
    log_label = {1: "√(log d)", 2: "log d", 4: "log² d"}.get(p, f"(log d)^{p / 2:g}")
    for shape, label, style in ((np.sqrt(ds), "∝ √d", ":"),
                                (np.sqrt(ds) * np.log(ds) ** (p / 2), f"∝ √d·{log_label}",
                                 "--")):
        ax.plot(ds, shape * mean.iloc[0] / shape[0], color="#00798c", ls=style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax.xaxis)
    _plain_log_ticks(ax.yaxis)
    ax.set_xlabel("dimension d")
    ax.set_title("RMS $w_1$ / RMS $w_2$ after $\\hat t$ steps")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.scatter(growth.d, growth.value, s=12, color="#d1495b", alpha=0.5)
    ax.plot(growth.groupby("d").value.mean(), color="#d1495b")
    ax.axhline(1, color="k", lw=0.8, ls="--")
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    ax.set_ylim(0, max(2.5, float(growth.value.max()) * 1.1))
    ax.set_xlabel("dimension d")
    ax.set_title("slab weight: final RMS / initial RMS")
    fig.tight_layout()
    return fig


def plot_width(metrics: pd.DataFrame):
    """Over the width k: sqrt(k) mean |w1j| (the theorem: about 2), the ratio, the noise norm
    times sqrt(k)."""
    m = metrics[metrics.part == "sweep_k"]
    fig, axes = viz.panel_grid(3, (2.33, 2.6))
    for ax, (metric, title, scale) in zip(axes, [
            ("linear_sqrtk", "$\\sqrt{k}$ · mean $|w_{1j}|$", None),
            ("linear_to_slab", "RMS $w_1$ / RMS $w_2$", None),
            ("noise_rms", "$\\sqrt{k}$ · RMS $\\|\\bar w_j\\|$", "sqrtk")]):
        part = m[m.metric == metric].copy()
        if scale == "sqrtk":
            part["value"] = part.value * np.sqrt(part.k)
        ax.scatter(part.k, part.value, s=12, color="#333333", alpha=0.5)
        ax.plot(part.groupby("k").value.mean(), color="#333333")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("width k")
        ax.set_title(title)
        ax.set_ylim(bottom=0)
    fig.tight_layout()
    return fig


def plot_variants(metrics: pd.DataFrame):
    """Per pushed assumption (mean and std over seeds): the ratio of linear to slab weight,
    the slab weight's growth since initialisation, the slab weight against one noise
    coordinate's, and the test accuracy with and without the linear coordinate randomised."""
    m = metrics[metrics.part == "variant"]
    order = list(dict.fromkeys(m.variant))
    # two by two: the variant names label the left column only
    fig, axes = viz.panel_grid(4, (3.5, 0.36 * len(order) + 1.3), sharey=True)
    panels = [(["linear_to_slab"], "RMS $w_1$ / RMS $w_2$"),
              (["slab_growth"], "slab weight: final / initial RMS"),
              (["slab_to_noise_coordinate"], "slab / one noise coordinate"),
              (["standard accuracy", "S-randomized accuracy"], "test accuracy")]
    colors = {"S-randomized accuracy": "#d1495b"}
    for ax, (names, title) in zip(axes, panels):
        for metric in names:
            part = m[m.metric == metric].groupby("variant", sort=False).value
            mean, std = part.mean().reindex(order), part.std().reindex(order).fillna(0)
            label = {"standard accuracy": "standard",
                     "S-randomized accuracy": "x1 randomised"}.get(metric)
            ax.errorbar(mean, np.arange(len(order)), xerr=std, fmt="o", ms=5, capsize=2,
                        color=colors.get(metric, "#333333"), label=label)
        ax.set_title(title)
    axes[0].set_xscale("log")
    _plain_log_ticks(axes[0].xaxis)
    axes[1].axvline(1, color="k", lw=0.8, ls="--")
    axes[2].axvline(1, color="k", lw=0.8, ls="--")
    axes[2].set_xlim(left=0)
    axes[3].axvline(0.5, color="k", lw=0.8, ls="--")
    axes[3].set_xlim(0.4, 1.03)
    axes[3].legend(fontsize=7, loc="center left")
    for ax in axes[::2]:
        ax.set_yticks(np.arange(len(order)), order)
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig


def _plane_scores(w1, w2, v, grid):
    """f on the noise-free plane (x1, x2, 0, ..., 0) for one network's (w1j, w2j, v_j)."""
    Z = grid[:, :1] * w1[None] + grid[:, 1:] * w2[None]
    return (np.maximum(Z, 0) * v[None]).sum(1)


def draw_plane(ax, w1, w2, v, title: str = "", lim: float = 1.6, n: int = 121,
               max_margin: bool = True) -> None:
    """The network's decision regions on the plane of x1 and x2 (noise coordinates at 0), the
    LSN support points, and the max-margin boundary 2 x1 + |x2| = 1/2 for comparison."""
    xs = np.linspace(-lim, lim, n)
    X1, X2 = np.meshgrid(xs, xs)
    grid = np.stack([X1.ravel(), X2.ravel()], 1)
    f = _plane_scores(np.asarray(w1), np.asarray(w2), np.asarray(v), grid).reshape(X1.shape)
    ax.contourf(X1, X2, f > 0, levels=[-0.5, 0.5, 1.5],
                colors=[CLASS_COLORS[0], CLASS_COLORS[1]], alpha=0.18)
    ax.contour(X1, X2, f, levels=[0], colors="k", linewidths=1.2)
    if max_margin:
        x2 = np.linspace(-lim, lim, 50)
        ax.plot((0.5 - np.abs(x2)) / 2, x2, color="#edae49", lw=1.5, ls="--",
                label="max-margin rule")
    ax.scatter([1, 1], [1, -1], color=CLASS_COLORS[1], s=40, zorder=3, edgecolor="k")
    ax.scatter([-1], [0], color=CLASS_COLORS[0], s=40, zorder=3, edgecolor="k")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$ (linear)")
    ax.set_ylabel("$x_2$ (slab)")
    ax.set_title(title)


def _frame(units: pd.DataFrame, run: int, step: int):
    g = units[(units.run == run) & (units.step == step)]
    return g.w1.to_numpy(), g.w2.to_numpy(), g.v.to_numpy()


def draw_weight_scatter(ax, w1, w2, v, lim_w1: float, lim_w2: float, title: str = "") -> None:
    """Each unit as a point (w1j, w2j), coloured by the sign of v_j; the grey wedge is where a
    max-margin network would put them (|w2| = |w1|/2)."""
    s = _sign(v)
    for sign in (1, -1):
        ax.scatter(w1[s == sign], w2[s == sign], s=18, color=SIGN_COLORS[sign], alpha=0.8)
    xs = np.linspace(-lim_w1, lim_w1, 3)
    ax.plot(xs, xs / 2, color="#edae49", lw=1, ls="--", label="|w2| = |w1|/2 (max margin)")
    ax.plot(xs, -xs / 2, color="#edae49", lw=1, ls="--")
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlim(-lim_w1, lim_w1)
    ax.set_ylim(-lim_w2, lim_w2)
    ax.set_xlabel("$w_{1j}$")
    ax.set_ylabel("$w_{2j}$")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left")


def trajectory_animation(units: pd.DataFrame, run: int = 0, dpi: int = viz.DPI,
                         figsize=(viz.COLUMN_IN, 3.0), n: int = 81,
                         max_frames: int | None = None):
    """A slider over the steps of one run: the units in the (w1, w2) plane and the network's
    decision regions on the (x1, x2) plane. Returns a matplotlib FuncAnimation (render it with
    ``viz.animation_html``). ``max_frames`` keeps that many steps, evenly spread. Axes are drawn
    once; each frame only moves the points and redraws
    the regions (cheap enough for the book's time budget)."""
    from matplotlib.animation import FuncAnimation

    g = units[units.run == run]
    steps = sorted(g.step.unique())
    if max_frames is not None and len(steps) > max_frames >= 2:  # first, last, evenly between
        steps = [steps[i] for i in np.linspace(0, len(steps) - 1, max_frames).round().astype(int)]
    lim_w1 = float(g.w1.abs().max()) * 1.15
    lim_w2 = max(float(g.w2.abs().max()) * 1.15, lim_w1 / 1.5)
    fig, axes = plt.subplots(1, 2, figsize=figsize, dpi=dpi)
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.9, wspace=0.3)
    w1, w2, v = _frame(units, run, steps[0])
    draw_weight_scatter(axes[0], w1, w2, v, lim_w1, lim_w2, "")
    draw_plane(axes[1], w1, w2, v, "decision regions (noise = 0)", n=n)
    axes[1].legend(fontsize=7, loc="lower left")
    points = axes[0].collections[:2]
    signs = _sign(v)
    title = axes[0].set_title(f"units at step t = {steps[0]}")
    regions = list(axes[1].collections[:2])
    lim = 1.6
    xs = np.linspace(-lim, lim, n)
    X1, X2 = np.meshgrid(xs, xs)
    grid = np.stack([X1.ravel(), X2.ravel()], 1)

    def draw(i):
        w1, w2, v = _frame(units, run, steps[i])
        for pts, sign in zip(points, (1, -1)):
            pts.set_offsets(np.c_[w1[signs == sign], w2[signs == sign]])
        title.set_text(f"units at step t = {steps[i]}")
        for artist in regions:
            artist.remove()
        regions.clear()
        f = _plane_scores(w1, w2, v, grid).reshape(X1.shape)
        regions.append(axes[1].contourf(X1, X2, f > 0, levels=[-0.5, 0.5, 1.5],
                                        colors=[CLASS_COLORS[0], CLASS_COLORS[1]], alpha=0.18))
        regions.append(axes[1].contour(X1, X2, f, levels=[0], colors="k", linewidths=1.2))
        return []

    anim = FuncAnimation(fig, draw, frames=len(steps), interval=600)
    plt.close(fig)
    return anim


def trajectory_animation_html(units: pd.DataFrame, max_frames: int | None = None,
                              run: int = 0) -> str:
    """``trajectory_animation`` of one run as self-contained HTML for the page."""
    from sbcore.book.viz import animation_html

    return animation_html(trajectory_animation(units, run=run, max_frames=max_frames))
