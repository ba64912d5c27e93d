"""Plots in one house style."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from sbcore.data import slab_classes, slab_intervals, slab_width

CLASS_COLORS = {0: "#d1495b", 1: "#00798c"}  # negative, positive
VARIANT_COLORS = {"standard": "#333333", "S-randomized": "#d1495b", "Sc-randomized": "#00798c"}


# The site's text column shows a figure at most about 770 px wide. At DPI dots per inch a
# figure up to COLUMN_IN inches wide is shown at its own size (no downscaling, so 8-point text
# stays above 9 px); wider layouts wrap their panels into rows instead of shrinking.
DPI = 110
COLUMN_IN = 7.0
COLUMN_PX = int(DPI * COLUMN_IN)


def set_style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", font_scale=0.95)
    plt.rcParams.update({"figure.dpi": DPI, "savefig.dpi": DPI, "axes.titleweight": "bold",
                         "figure.figsize": (COLUMN_IN, 3.8)})


def panel_grid(n: int, panel_size=(3.4, 2.8), max_cols: int | None = None, **subplots_kw):
    """``n`` panels of about ``panel_size`` inches, as many side by side as the text column
    holds (at most ``max_cols``), wrapped into rows; panels narrowed to fit when even one
    does not. Returns (figure, list of the n axes); spare grid cells are left empty."""
    import math

    width, height = panel_size
    cols = max(1, min(n, int(COLUMN_IN // width) or 1, max_cols or n))
    width = min(width, COLUMN_IN / cols)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows),
                             squeeze=False, **subplots_kw)
    flat = list(axes.flat)
    for ax in flat[n:]:
        fig.delaxes(ax)
    return fig, flat[:n]


# --------------------------------------------------------------------------------------------
# Datasets chapter: blocks by class, 2-D views, the margin animation (data engineer)
# --------------------------------------------------------------------------------------------

CLASS_LABELS = {0: "negative (y = 0)", 1: "positive (y = 1)"}


def shade_slabs(ax, k: int, gamma: float, B: float = 1.0, axis: str = "x",
                alpha: float = 0.10) -> None:
    """Tint each slab of a k-slab in its class colour (axis 'x' or 'y')."""
    span = ax.axvspan if axis == "x" else ax.axhspan
    for (lo, hi), c in zip(slab_intervals(k, gamma, B), slab_classes(k)):
        span(lo, hi, color=CLASS_COLORS[c], alpha=alpha, lw=0)


def class_histogram(ax, x, y, title: str = "", bins: int = 80, lim=None,
                    density: bool = False) -> None:
    """One coordinate's histogram, one colour per class, on shared bin edges."""
    import numpy as np

    x, y = np.asarray(x), np.asarray(y)
    lo, hi = lim if lim is not None else (x.min(), x.max())
    edges = np.linspace(lo, hi, bins + 1)
    for c in (0, 1):
        ax.hist(x[y == c], bins=edges, color=CLASS_COLORS[c], alpha=0.7, label=CLASS_LABELS[c],
                density=density, histtype="stepfilled", edgecolor="none")
    ax.set_title(title)
    ax.set_xlim(lo, hi)
    ax.set_yticks([])


def class_scatter(ax, a, b, y, xlabel: str = "", ylabel: str = "", title: str = "",
                  max_points: int = 2500, s: float = 4.0, seed: int = 0) -> None:
    """Scatter of two coordinates coloured by class (a random subset of max_points rows)."""
    import numpy as np

    a, b, y = np.asarray(a), np.asarray(b), np.asarray(y)
    idx = np.random.default_rng(seed).permutation(len(y))[:max_points]
    for c in (0, 1):
        sel = idx[y[idx] == c]
        ax.scatter(a[sel], b[sel], s=s, color=CLASS_COLORS[c], alpha=0.55, lw=0,
                   label=CLASS_LABELS[c], rasterized=True)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)


def _class_legend(fig, ax) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles[:2], labels[:2], loc="lower center", ncol=2, frameon=False,
               bbox_to_anchor=(0.5, -0.02), markerscale=3)


def plot_block_histograms(samples: dict, shade: dict | None = None, ncols: int = 3,
                          lim=(-1.05, 1.05), panel_size=(2.33, 2.0)):
    """Per-coordinate histograms by class, one panel per block.

    ``samples`` maps a title to (x, y); ``shade`` maps a title to (k, gamma, B) to tint slabs.
    """
    fig, axes = panel_grid(len(samples), panel_size, max_cols=ncols)
    for ax, (title, (x, y)) in zip(axes, samples.items()):
        if shade and title in shade:
            shade_slabs(ax, *shade[title])
        class_histogram(ax, x, y, title=title, lim=lim)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    _class_legend(fig, axes[0])
    return fig


def plot_pairs(panels: list[dict], ncols: int | None = None, panel_size=(3.4, 3.2)):
    """2-D class scatters side by side (wrapped to the text column). Each panel is a dict
    with a, b, y and optional xlabel, ylabel, title, shade_x / shade_y = (k, gamma, B), lim."""
    fig, axes = panel_grid(len(panels), panel_size, max_cols=ncols)
    for ax, p in zip(axes, panels):
        if p.get("shade_x"):
            shade_slabs(ax, *p["shade_x"], axis="x")
        if p.get("shade_y"):
            shade_slabs(ax, *p["shade_y"], axis="y")
        class_scatter(ax, p["a"], p["b"], p["y"], p.get("xlabel", ""), p.get("ylabel", ""),
                      p.get("title", ""))
        if p.get("lim"):
            ax.set_xlim(*p["lim"])
            ax.set_ylim(*p["lim"])
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    _class_legend(fig, axes[0])
    return fig


def plot_slab_strips(samples: dict, gamma: float, B: float = 1.0, max_points: int = 1500):
    """k-slabs side by side: one jittered strip per k, slabs tinted by class.

    ``samples`` maps k to (x, y)."""
    import numpy as np

    ks = list(samples)
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 0.9 + 0.8 * len(ks)))
    rng = np.random.default_rng(0)
    for row, k in enumerate(ks):
        for (lo, hi), c in zip(slab_intervals(k, gamma, B), slab_classes(k)):
            ax.add_patch(plt.Rectangle((lo, row - 0.38), hi - lo, 0.76, color=CLASS_COLORS[c],
                                       alpha=0.12, lw=0))
        x, y = samples[k]
        idx = rng.permutation(len(y))[:max_points]
        for c in (0, 1):
            sel = idx[y[idx] == c]
            ax.scatter(x[sel], row + rng.uniform(-0.3, 0.3, len(sel)), s=3, lw=0, alpha=0.6,
                       color=CLASS_COLORS[c], label=CLASS_LABELS[c] if row == 0 else None,
                       rasterized=True)
    ax.set_yticks(range(len(ks)), [f"{k}-slab" for k in ks])
    ax.set_ylim(-0.6, len(ks) - 0.4)
    ax.set_xlim(-1.05 * B, 1.05 * B)
    ax.set_xlabel("x")
    ax.grid(False, axis="y")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=2, frameon=False,
              markerscale=3)
    fig.tight_layout()
    return fig


def draw_margin_frame(axes, frame: dict) -> None:
    """One frame of the margin animation: the k-slab by class, and linear vs k-slab."""
    k, g, B = frame["k"], frame["gamma"], frame["B"]
    for ax in axes:
        ax.clear()
    shade_slabs(axes[0], k, g, B)
    class_histogram(axes[0], frame["slab"], frame["y"], lim=(-1.05 * B, 1.05 * B), bins=60,
                    title=f"{k}-slab: γ = {g:.3f}, w = {slab_width(k, g, B):.3f}")
    shade_slabs(axes[1], k, g, B, axis="y")
    class_scatter(axes[1], frame["linear"], frame["slab"], frame["y"], "linear coordinate",
                  f"{k}-slab coordinate", title=f"LMS-{k}, gap 2Bγ = {2 * B * g:.2f}",
                  max_points=600, s=3)
    axes[1].set_xlim(-1.05 * B, 1.05 * B)
    axes[1].set_ylim(-1.05 * B, 1.05 * B)


def margin_animation(frames: list[dict], figsize=(COLUMN_IN, 2.9), dpi: int = DPI,
                     interval_ms: int = 700):
    """A matplotlib animation over precomputed frames (see ``datasets.gamma_frames``); render
    with ``IPython.display.HTML(anim.to_jshtml())`` for a page that moves without a kernel."""
    from matplotlib import animation

    fig, axes = plt.subplots(1, 2, figsize=figsize, dpi=dpi)
    draw_margin_frame(axes, frames[-1])
    fig.tight_layout()  # once: the layout then stays put from frame to frame

    def update(i):
        draw_margin_frame(axes, frames[i])
        return list(axes)

    anim = animation.FuncAnimation(fig, update, frames=len(frames), interval=interval_ms,
                                   blit=False)
    plt.close(fig)  # shown through to_jshtml only
    return anim


def plot_explorer(lin, noisy, slab, y, k: int, gamma: float, B: float = 1.0, p: float = 0.1):
    """The widget's picture: noisy linear and k-slab by class, and linear vs k-slab."""
    fig, axes = panel_grid(3, (3.5, 3.0))
    lim = (-1.05 * B, 1.05 * B)
    axes[0].axvspan(-gamma * B, gamma * B, color="#999999", alpha=0.15, lw=0)
    class_histogram(axes[0], noisy, y, title=f"noisy linear, p = {p:.2f}", lim=lim)
    shade_slabs(axes[1], k, gamma, B)
    class_histogram(axes[1], slab, y, title=f"{k}-slab, γ = {gamma:.2f}", lim=lim)
    shade_slabs(axes[2], k, gamma, B, axis="y")
    class_scatter(axes[2], lin, slab, y, "linear", f"{k}-slab", title=f"LMS-{k} (2 coords)",
                  max_points=1500)
    axes[2].set_xlim(*lim)
    axes[2].set_ylim(*lim)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    _class_legend(fig, axes[0])
    return fig


def animation_html(anim) -> str:
    """An animation as self-contained HTML (frames embedded, playback in inline JS).

    matplotlib links FontAwesome from a CDN for the button icons; the book's theme already
    ships FontAwesome locally, so the link is dropped and the page needs no network."""
    import re

    html = anim.to_jshtml(default_mode="loop")
    return re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">\s*', "",
                  html)


# --------------------------------------------------------------------------------------------
# What a model relies on (chapters "Measuring what a model relies on", "Extreme simplicity bias")
# --------------------------------------------------------------------------------------------

VARIANT_LABELS = {"standard": "standard", "S-randomized": "S-randomised",
                  "Sc-randomized": "S$^c$-randomised"}


def plot_variant_bars(df, group: str, value: str = "value", title: str = "", ax=None,
                      ylabel: str = "accuracy"):
    """Bars of a metric per group (oracle, model, ...) and variant, with the chance line."""
    import numpy as np

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.0))
    groups = list(dict.fromkeys(df[group]))
    width = 0.26
    for j, v in enumerate(VARIANT_COLORS):
        if not (df["variant"] == v).any():
            continue
        sub = df[df["variant"] == v].groupby(group, sort=False)[value]
        means = sub.mean().reindex(groups).to_numpy()
        x = np.arange(len(groups)) + (j - 1) * width
        ax.bar(x, means, width, color=VARIANT_COLORS[v], label=VARIANT_LABELS[v])
        for i, g in enumerate(groups):  # one dot per seed where there are several
            vals = df[(df["variant"] == v) & (df[group] == g)][value].to_numpy()
            if len(vals) > 1:
                ax.plot(np.full(len(vals), x[i]), vals, "o", ms=2.5, color="white", mec="k",
                        mew=0.4)
    ax.axhline(0.5, color="#777777", ls="--", lw=1)
    ax.set_xticks(np.arange(len(groups)), groups)
    # headroom above 1 holds the legend, so that it covers no bar
    ax.set_ylim(0, 1.3)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7.5, loc="upper center", ncol=3, frameon=False, handlelength=1.2,
              columnspacing=0.8)
    return ax


def plot_logit_histograms(logits, panel: str, titles: dict | None = None, bins: int = 50,
                          panel_size=(3.3, 2.7)):
    """Fig. 3a: scores (logit1 - logit0) of the true positives, original versus randomised,
    one panel per value of ``panel``."""
    import numpy as np

    panels = list(dict.fromkeys(logits[panel]))
    fig, axes = panel_grid(len(panels), panel_size)
    for ax, p in zip(axes, panels):
        sub = logits[logits[panel] == p]
        lo, hi = np.percentile(sub["score"], [0.5, 99.5])
        pad = 0.05 * (hi - lo + 1e-9)
        edges = np.linspace(lo - pad, hi + pad, bins + 1)
        for v, color in VARIANT_COLORS.items():
            s = sub[sub["variant"] == v]["score"]
            if v == "standard":  # filled, so that an identical randomised curve stays visible
                ax.hist(s, bins=edges, color="#bbbbbb", label=VARIANT_LABELS[v], density=True)
            else:
                ax.hist(s, bins=edges, histtype="step", lw=1.6, color=color,
                        label=VARIANT_LABELS[v], density=True,
                        ls="-" if v == "S-randomized" else "--")
        ax.axvline(0, color="#777777", ls="--", lw=1)
        ax.set_title((titles or {}).get(p, str(p)), fontsize=10)
        ax.set_xlabel("score = logit$_1$ − logit$_0$")
    axes[0].set_ylabel("density (true positives)")
    axes[-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_per_coordinate(per_coord, panel: str, value: str = "accuracy", titles=None,
                        ylabel: str = "accuracy, one coord. randomised",
                        panel_size=(3.5, 2.7), ylim=(0.4, 1.03), ncols: int = 2):
    """Per-coordinate view: the metric with each canonical coordinate randomised alone (mean
    over seeds), S in red, S^c in teal; one panel per value of ``panel``."""
    import numpy as np

    panels = list(dict.fromkeys(per_coord[panel]))
    fig, axes = panel_grid(len(panels), panel_size, max_cols=ncols)
    nrows = len({ax.get_subplotspec().rowspan.start for ax in axes})
    for ax, p in zip(axes, panels):
        sub = per_coord[per_coord[panel] == p].groupby(["coordinate", "in_S"])[value].mean()
        sub = sub.reset_index()
        colors = [VARIANT_COLORS["S-randomized"] if s else VARIANT_COLORS["Sc-randomized"]
                  for s in sub["in_S"]]
        ax.bar(sub["coordinate"], sub[value], color=colors, width=0.8)
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.set_title((titles or {}).get(p, str(p)), fontsize=10)
        ax.set_xlabel("canonical coordinate (0 = S)")
    if nrows == 1:
        axes[0].set_ylabel(ylabel)
        fig.tight_layout()
    else:  # one label for the whole column of panels
        fig.tight_layout(rect=(0.03, 0, 1, 1))
        fig.supylabel(ylabel, fontsize=10)
    return fig


def plot_decision_boundary(grid, points, ax=None, title: str = "", s_label: str = "S",
                           c_label: str = "S$^c$"):
    """Fig. 3c: the model's predicted class on a grid over (S coordinate, an S^c coordinate),
    the other coordinates fixed at a test point (filled, base 0; other bases as contour
    lines), with test points projected on the same two coordinates."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.4))
    cmap = ListedColormap([CLASS_COLORS[0], CLASS_COLORS[1]])
    for b in sorted(grid["base"].unique()):
        g = grid[grid["base"] == b].pivot(index="c_value", columns="s_value", values="score")
        U, V = np.meshgrid(g.columns.to_numpy(), g.index.to_numpy())
        if b == 0:
            ax.contourf(U, V, (g.to_numpy() > 0).astype(float), levels=[-0.5, 0.5, 1.5],
                        cmap=cmap, alpha=0.22)
        ax.contour(U, V, g.to_numpy(), levels=[0.0], colors="k",
                   linewidths=1.4 if b == 0 else 0.8, linestyles="-" if b == 0 else ":")
    for c in (0, 1):
        sub = points[points["y"] == c]
        ax.scatter(sub["s_value"], sub["c_value"], s=3, color=CLASS_COLORS[c], alpha=0.6,
                   lw=0, label=CLASS_LABELS[c])
    ax.set_xlabel(s_label)
    ax.set_ylabel(c_label)
    ax.set_title(title, fontsize=10)
    return ax


DYNAMICS_COLUMNS = {"standard accuracy": "standard", "S-randomized accuracy": "S-randomized",
                    "Sc-randomized accuracy": "Sc-randomized"}


def plot_dynamics(history, panel: str = "dataset", titles=None, upto=None, axes=None,
                  panel_size=(3.6, 2.8), seeds: bool = True):
    """Standard, S- and S^c-randomised test accuracy over training updates (mean over seeds,
    thin lines per seed); ``upto`` cuts the curves at an update (animation frames)."""
    panels = list(dict.fromkeys(history[panel]))
    if axes is None:
        _, axes = panel_grid(len(panels), panel_size)
    for ax, p in zip(axes, panels):
        ax.clear()
        sub = history[history[panel] == p]
        xmax = sub["update"].max()  # each panel its own time scale
        if upto is not None:
            sub = sub[sub["update"] <= upto]
        for col, v in DYNAMICS_COLUMNS.items():
            for _, one in (sub.groupby("seed") if seeds else []):
                ax.plot(one["update"], one[col], color=VARIANT_COLORS[v], lw=0.6, alpha=0.35)
            mean = sub.groupby("update")[col].mean()
            # standard drawn wide and pale underneath: S^c-randomised often lies right on it
            style = dict(lw=4, alpha=0.35) if v == "standard" else dict(lw=1.6)
            ax.plot(mean.index, mean.to_numpy(), color=VARIANT_COLORS[v],
                    label=VARIANT_LABELS[v], **style)
        ax.axhline(0.5, color="#777777", ls="--", lw=1)
        ax.set_xlim(0, xmax)
        ax.set_ylim(0.35, 1.03)
        ax.set_xlabel("SGD updates")
        ax.set_title((titles or {}).get(p, str(p)), fontsize=10)
    axes[0].set_ylabel("test accuracy")
    axes[-1].legend(fontsize=8, loc="lower right")
    return axes


def dynamics_animation(history, panel: str = "dataset", titles=None, frames: int = 10,
                       panel_size=(3.5, 2.7), dpi: int = DPI, interval_ms: int = 600):
    """The training dynamics as precomputed frames (render with ``animation_html``). The first
    frame is the first evaluation after update 0 (update 0 alone draws no curve)."""
    import numpy as np
    from matplotlib import animation

    panels = list(dict.fromkeys(history[panel]))
    fig, axes = panel_grid(len(panels), panel_size, dpi=dpi)
    steps = np.unique(history["update"])[1:]  # frames cut every panel at the same update
    cuts = steps[np.unique(np.linspace(0, len(steps) - 1, frames).round().astype(int))]
    plot_dynamics(history, panel, titles, upto=cuts[-1], axes=axes, seeds=False)
    fig.tight_layout()

    def update(i):  # mean curves only: each frame is redrawn from scratch
        plot_dynamics(history, panel, titles, upto=cuts[i], axes=axes, seeds=False)
        fig.suptitle(f"after {cuts[i]:,} updates", fontsize=9, y=0.995)
        return list(axes)

    anim = animation.FuncAnimation(fig, update, frames=len(cuts), interval=interval_ms,
                                   blit=False)
    plt.close(fig)
    return anim


def styled_table(df, formats: dict | None = None, na_rep: str = "–", precision: int = 3):
    """A DataFrame for display without its index, number formats applied (``precision``
    decimals where ``formats`` names none), in the theme's table style (the 'dataframe' class
    that a plain DataFrame gets)."""
    style = (df.style.format(formats or {}, na_rep=na_rep, precision=precision)
             .hide(axis="index").set_table_attributes('class="dataframe"'))
    prose = [c for c in df.columns if _is_prose(df[c])]
    if prose:  # long text wraps, so that the table fits the text column
        style = style.set_properties(subset=prose, **{"white-space": "normal",
                                                      "min-width": "9em", "text-align": "left"})
    return style


def _is_prose(column) -> bool:
    """A text column with cells long enough to be worth wrapping (several words)."""
    if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
        return False
    text = column.dropna().astype(str)
    return len(text) > 0 and bool((text.str.len() > 20).any() and text.str.contains(" ").any())


def plot_execution_times(table):
    """Horizontal bars of each chapter's execution time, failed ones in red (99_status)."""
    set_style()
    colors = ["#00798c" if s == "ok" else "#d1495b" for s in table["status"]]
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 0.45 * len(table) + 1.2))
    ax.barh(table.index[::-1], table["time (s)"][::-1], color=colors[::-1])
    ax.set_xlabel("execution time (s)")
    ax.set_title("Execution time per chapter (red: last execution failed)")
    fig.tight_layout()
    return fig
