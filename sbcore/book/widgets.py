"""Live widgets that a batch executor cannot wedge (used by the datasets and theory widgets).

The static site has no kernel: a widget there shows only the state papermill saved (its first
picture). Readers who run a chapter live move the sliders and the picture is redrawn.
"""

from __future__ import annotations

import base64
import contextlib
import io
import traceback


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
