"""ipywidgets for readers who run the chapters live.

The static site has no kernel: a widget there shows only the state papermill saved (its first
picture). Chapters therefore also show every key figure outside widgets, and use precomputed
animations for views that should move on the site.
"""

from __future__ import annotations

import base64
import contextlib
import io
import traceback

import numpy as np

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


def figure_output(fig) -> dict:
    """A matplotlib figure as a ``display_data`` output (PNG, as the inline backend draws it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return dict(output_type="display_data", metadata={},
                data={"image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
                      "text/plain": repr(fig)})


def picture_outputs(draw, kwargs: dict) -> tuple:
    """Run ``draw(**kwargs)``; return what it printed and the figures it opened (then closed)
    as notebook outputs, for an Output widget's ``outputs``."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    text = io.StringIO()
    try:
        with contextlib.redirect_stdout(text):
            draw(**kwargs)
        outputs = [dict(output_type="stream", name="stdout", text=text.getvalue())] \
            if text.getvalue() else []
        outputs += [figure_output(plt.figure(n)) for n in plt.get_fignums() if n not in before]
    finally:
        for n in set(plt.get_fignums()) - before:
            plt.close(n)
    return tuple(outputs)


def live_output(draw, controls: dict):
    """An Output widget showing ``draw(**values of controls)``, redrawn when a control changes.

    Unlike ``ipywidgets.interactive_output`` it never captures output (``with out:``): the
    pictures are set as the widget's ``outputs``, the first one here, synchronously. Captured
    output, executed by nbclient/papermill, goes to nbclient's Output-widget mimic, which sends
    a comm_msg on the shell socket (through a blocking shadow of the asyncio socket) while
    nbclient awaits the cell's execute_reply on that socket; when the reply arrives just before
    that send, its wakeup is lost and the cell waits for ever (or until its timeout)."""
    import ipywidgets as w

    out = w.Output()

    def redraw(change=None):
        try:
            out.outputs = picture_outputs(draw, {k: c.value for k, c in controls.items()})
        except Exception:  # a live reader sees the error in place of the picture
            if change is None:
                raise
            out.outputs = (dict(output_type="stream", name="stderr",
                                text=traceback.format_exc()),)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return out


def dataset_explorer(n: int = 2000, seed: int = 0, n_max: int | None = None):
    """Sliders for k, gamma, p and n that redraw the blocks and the LMS-k picture.

    Returns an ipywidgets VBox; display it (or leave it last in a cell)."""
    import ipywidgets as w

    from sbcore import viz

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

    out = live_output(draw, controls)
    return w.VBox([w.HBox([controls["k"], controls["gamma"]]),
                   w.HBox([controls["p"], controls["n"]]), out])
