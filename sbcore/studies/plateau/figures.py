"""The plateau chapter's figures: when SGD leaves the plateau, against d and against the
sample size, and the validation accuracy curves it comes from."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

from sbcore.book import viz
from sbcore.studies.plateau import views

MARKERS = {"escaped": "o", "capped": "^", "memorised": "x"}


def escape_trend(result):
    """Escape update against d (left, log-log, with the median run per d and the power law
    fitted to those medians) and against the number of training points (right, one colour
    per d). Dots: seeds that escaped; at the cap, seeds that never did: triangles ran into
    the cap, crosses memorised their training set and stopped."""
    viz.set_style()
    runs = views.sweep_rows(result.tables["runs"])
    t = views.trend(result)
    fig, axes = viz.panel_grid(2, (3.4, 3.4))
    sweep = views.d_sweep(runs)
    shown = _points(axes[0], sweep, "d", "C0")
    medians = {d: m for d, m in t["medians"].items() if np.isfinite(m)}
    axes[0].plot(list(medians), list(medians.values()), "_", ms=14, mew=2, color="k",
                 label="median run")
    if not np.isnan(t["exponent"]):
        d = np.linspace(min(t["ds"]), 250, 50)
        scale = t["at_250"] / 250 ** t["exponent"]
        axes[0].plot(d, scale * d ** t["exponent"], color="0.4", ls="--", lw=1,
                     label=f"fit: $d^{{{t['exponent']:.2f}}}$")
    axes[0].set(xlabel="d", ylabel="updates to escape",
                title=f"Against d ({int(sweep['n_train'].iloc[0]):,} points)")
    by_n = [(d, r) for d, r in runs.groupby("d") if r["n_train"].nunique() > 1]
    for i, (d, r) in enumerate(by_n):
        shown |= _points(axes[1], r, "n_train", f"C{i + 1}")
        axes[1].plot([], [], "s", color=f"C{i + 1}", label=f"d = {d}")
    axes[1].set(xlabel="training points", title="Against the sample size")
    # the marker shapes, once, in grey: which runs escaped and how the others ended
    for kind in ("escaped", "capped", "memorised"):
        if kind in shown:
            axes[0].plot([], [], MARKERS[kind], color="0.4", mfc="none" if kind != "escaped"
                         else "0.4", label="escaped" if kind == "escaped"
                         else f"never escaped ({kind})")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=7,
               frameon=False)
    if by_n:
        axes[1].legend(fontsize=7, loc="center right")
    _plain_ticks(axes[0].xaxis, sorted(set(t["ds"]) | {250}))
    _plain_ticks(axes[1].xaxis, sorted(runs["n_train"].unique()), compact=True)
    for ax in axes:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))  # 1, 2, 5 x 10^k
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _short(v)))
        ax.yaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout(rect=(0, 0.08, 1, 1))  # the shared legend below the panels
    return fig


def _short(v: float) -> str:
    """12500 -> 12.5k, 800000 -> 800k, 1000000 -> 1M: tick labels that do not collide."""
    for size, unit in ((1e6, "M"), (1e3, "k")):
        if v >= size:
            return f"{v / size:g}{unit}"
    return f"{v:g}"


def _plain_ticks(axis, values, compact: bool = False) -> None:
    """Ticks of a log axis at the measured values, written as plain numbers."""
    axis.axes.set_xscale("log")
    axis.set_major_locator(FixedLocator(values))
    axis.set_major_formatter(FuncFormatter(lambda v, _: _short(v) if compact else f"{v:,.0f}"))
    axis.set_minor_formatter(NullFormatter())


def _points(ax, runs, x: str, color: str) -> set[str]:
    """Seeds that escaped at their escape update; those that never did at the cap, as
    triangles (ran into it) or crosses (memorised the training set and stopped). Returns the
    kinds drawn (keys of ``MARKERS``), for the legend."""
    done = runs.dropna(subset=["escape_update"])
    ax.plot(done[x], done["escape_update"], MARKERS["escaped"], ms=5, alpha=0.7, color=color)
    drawn = {"escaped"} if len(done) else set()
    stuck = runs[runs["escape_update"].isna()]
    for memorised, kind in ((False, "capped"), (True, "memorised")):
        r = stuck[stuck["memorised"] == memorised]
        if len(r):
            ax.plot(r[x], r["cap"], MARKERS[kind], ms=7, color=color, mfc="none")
            drawn.add(kind)
    return drawn


def curves(result):
    """Validation accuracy during training, one line per seed, one colour per d (the sweep
    over d): the plateau at chance, then the jump."""
    viz.set_style()
    h = views.d_sweep(result.tables["history"])
    fig, ax = plt.subplots(figsize=(viz.COLUMN_IN, 2.8), dpi=viz.DPI)
    colors = plt.cm.viridis(np.linspace(0, 0.85, h["d"].nunique()))
    for color, (d, g) in zip(colors, h.groupby("d")):
        for i, (_, s) in enumerate(g.groupby("seed")):
            ax.plot(s["update"], s["val_accuracy"], color=color, lw=1,
                    label=f"d = {d}" if i == 0 else None)
    ax.axhline(0.5, color="0.5", ls=":", lw=1)
    ax.set(xlabel="update", ylabel="validation accuracy", ylim=(0.4, 1.02),
           title="MS-(5,7): the plateau at chance, then the 5-slab")
    ax.legend(fontsize=8, loc="upper right")  # the curves end below it
    fig.tight_layout()
    return fig


def rerun_curves(result, esb_cap: int):
    """The stored reruns of the two extreme-SB cells, one panel each: validation (solid) and
    train (dotted) accuracy of every seed against the update, on a log axis up to the cap,
    with the cap the extreme-SB chapter ran under marked, so a plateau that ends past it
    shows as such. None when no rerun is stored."""
    if result is None:
        return None
    h = result.tables["history"]
    h = h[h["rerun"].fillna("") != ""]
    if not len(h):
        return None
    viz.set_style()
    runs = result.tables["runs"]
    fig, axes = viz.panel_grid(h["rerun"].nunique(), (3.4, 2.8), sharey=True)
    for ax, (name, g) in zip(axes, h.groupby("rerun", sort=False)):
        cell = runs[runs["rerun"] == name]
        for i, (_, s) in enumerate(g.groupby("seed")):
            s = s[s["update"] > 0]  # the log axis starts at the first evaluation
            ax.plot(s["update"], s["val_accuracy"], color=f"C{i}", lw=1)
            ax.plot(s["update"], s["train_accuracy"], color=f"C{i}", lw=1, ls=":")
        ax.axvline(esb_cap, color="k", ls="--", lw=1)
        ax.text(esb_cap, 0.42, " extreme-SB cap", fontsize=7, va="bottom")
        ax.axhline(0.5, color="0.5", ls=":", lw=1)
        cap = int(cell["cap"].iloc[0])
        _plain_ticks(ax.xaxis, [v for v in (1e3, 1e4, 1e5, 1e6) if v <= cap] + [cap],
                     compact=True)
        ax.set(xlabel="update", ylim=(0.4, 1.02),
               title=f"{name}: d = {int(cell['d'].iloc[0])}, {cell['model'].iloc[0]}, "
                     f"{_short(int(cell['n_train'].iloc[0]))} points")
        ax.title.set_fontsize(8)
    axes[0].set_ylabel("accuracy")
    axes[0].plot([], [], color="0.3", lw=1, label="validation")
    axes[0].plot([], [], color="0.3", lw=1, ls=":", label="train")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig
