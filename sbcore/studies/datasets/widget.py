"""ipywidgets for readers who run the chapters live.

The static site has no kernel: a widget there shows only the state papermill saved (its first
picture). Chapters therefore also show every key figure outside widgets, and use precomputed
animations for views that should move on the site.
"""

from __future__ import annotations

import numpy as np

from sbcore.book.widgets import LivePicture
from sbcore.data import Block, sample_block

# the ranges the sliders offer; a (k, gamma) pair whose slabs would overlap is reported, not drawn
K_RANGE = (3, 11)
GAMMA_RANGE = (0.0, 0.3)


def explorer_samples(k: int, gamma: float, p: float, n: int, seed: int = 0, B: float = 1.0):
    """Linear, noisy linear and k-slab draws for the same labels (raises ValueError on
    impossible parameters, before drawing)."""
    blocks = (Block("linear", gamma=gamma, B=B), Block("noisy_linear", gamma=gamma, B=B, p=p),
              Block("slab", k=k, gamma=gamma, B=B))
    if not isinstance(n, (int, np.integer)) or n <= 1:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    lin, noisy, slab = (sample_block(b, y, rng) for b in blocks)
    return lin, noisy, slab, y


def draw_summary(k, gamma, p, n) -> str:
    """What one redraw shows, for the status line above the picture."""
    return f"{n:,} points per block, k={k} slabs, margin γ={gamma:.2f}, noise p={p:.2f}"


def dataset_explorer(n: int = 2000, seed: int = 0, n_max: int | None = None):
    """Sliders for k, gamma, p and n that redraw the blocks and the LMS-k picture, below a line
    that says what is shown (and, while it redraws, what it is drawing).

    Returns an ipywidgets VBox; display it (or leave it last in a cell)."""
    import ipywidgets as w

    from sbcore.book import viz

    n_max = n_max or max(4 * n, 1000)
    style = {"description_width": "initial"}
    controls = dict(
        k=w.IntSlider(value=5, min=K_RANGE[0], max=K_RANGE[1], step=2, description="slabs k",
                      style=style, continuous_update=False),
        gamma=w.FloatSlider(value=0.1, min=GAMMA_RANGE[0], max=GAMMA_RANGE[1], step=0.01,
                            description="margin γ", style=style, continuous_update=False),
        p=w.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.05, description="noise p",
                        style=style, continuous_update=False),
        n=w.IntSlider(value=n, min=100, max=n_max, step=100, description="points n",
                      style=style, continuous_update=False),
    )

    def draw(k, gamma, p, n):
        try:
            lin, noisy, slab, y = explorer_samples(k, gamma, p, n, seed)
        except ValueError as err:
            print(f"Not drawn: {err}")
            return
        viz.plot_explorer(lin, noisy, slab, y, k, gamma, p=p)

    live = LivePicture(draw, controls, describe=draw_summary, action="drawing")
    return w.VBox([w.HBox([controls["k"], controls["gamma"]]),
                   w.HBox([controls["p"], controls["n"]]), live.view])
