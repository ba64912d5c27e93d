"""Live widgets: one helper, ``LivePicture``, behind every widget that recomputes a picture.

The static site has no kernel: a widget there shows only the state papermill saved (its first
picture, and the status line saying what it shows). Readers who run a chapter live move the
sliders and the picture is recomputed. A recomputation can take tens of seconds (the theory
chapter retrains networks), so the helper

* says what it is computing, with a spinner, while it computes, and what it showed and how long
  it took afterwards (the status line above the picture); the stale picture is dimmed meanwhile;
* runs only the newest request: slider moves that reach the kernel while it computes are
  coalesced, and the status line says how many stale requests it skipped.

How a kernel runs the callbacks (ipykernel 6): every slider move is a ``comm_msg`` on the shell
channel, and the kernel handles shell messages one at a time, in order. While a callback
computes, later moves wait in the kernel's queue; computing inside the callback would run each
of them in turn when it returns. The callback therefore only records the request and, if no run
is waiting already, schedules one *behind the messages already queued*
(``after_pending_messages``); when that run comes up it first pulls in whatever else has
arrived and, if anything did, goes behind it again. By then every queued move has been applied
to the sliders, so it computes the newest settings once. The sliders stay usable throughout
(their moves are queued, then coalesced).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import math
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from sbcore.book.chapter import plural

# A spinner drawn by the browser (CSS animation), so it turns while the kernel is busy computing
# and cannot send anything.
SPINNER = ('<style>@keyframes sbcore-spin{to{transform:rotate(360deg)}}'
           '.sbcore-stale{opacity:0.45;transition:opacity 0.3s}</style>'
           '<span style="display:inline-block;width:0.75em;height:0.75em;margin-right:0.4em;'
           'border:2px solid #888;border-top-color:transparent;border-radius:50%;'
           'vertical-align:-0.1em;animation:sbcore-spin 0.8s linear infinite"></span>')
STALE_CLASS = "sbcore-stale"  # dims the picture being replaced (styled by SPINNER's <style>)


# --------------------------------------------------------------------------------------------
# Pictures as notebook outputs (set on an Output widget, never captured)
# --------------------------------------------------------------------------------------------

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


def error_outputs() -> tuple:
    """The exception being handled, as a stderr output (a live reader sees it in place of the
    picture)."""
    return (dict(output_type="stream", name="stderr", text=traceback.format_exc()),)


# --------------------------------------------------------------------------------------------
# Scheduling a run behind the kernel's queued messages
# --------------------------------------------------------------------------------------------

_waiting_runs = 0  # runs of ours in the kernel's queue: they must not keep deferring to each other


def running_kernel():
    """The ipykernel kernel this code runs in, if it has the message queue that
    ``after_pending_messages`` relies on (ipykernel 6); else None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    kernel = getattr(get_ipython(), "kernel", None)
    needed = ("schedule_dispatch", "shell_stream", "msg_queue")
    return kernel if all(getattr(kernel, name, None) is not None for name in needed) else None


def after_pending_messages(job, kernel=None):
    """Call ``job()`` once the kernel has handled every shell message queued so far, including
    those that arrive while it waits; at once where there is no such kernel (plain Python,
    tests)."""
    kernel = kernel or running_kernel()
    if kernel is None:
        job()
        return

    def enqueue():
        global _waiting_runs
        _waiting_runs += 1
        kernel.schedule_dispatch(run_when_caught_up)  # the kernel's own FIFO of shell messages

    async def run_when_caught_up():
        global _waiting_runs
        _waiting_runs -= 1
        kernel.shell_stream.flush()  # messages still in the socket join the queue, behind us
        if kernel.msg_queue.qsize() > _waiting_runs:
            enqueue()  # others came in meanwhile: apply them first, so that we compute the newest
            return
        job()

    enqueue()


# --------------------------------------------------------------------------------------------
# The live picture
# --------------------------------------------------------------------------------------------

def busy_html(action: str, what: str) -> str:
    return f"{SPINNER}<b>{html.escape(action)}</b> {html.escape(what)} …"


def done_html(what: str, seconds: float | None, skipped: int) -> str:
    """``seconds`` None: nothing was computed (the reader came back to the picture on show)."""
    notes = ["unchanged" if seconds is None else f"{seconds:.1f} s"]
    notes += [f"skipped {plural(skipped, 'stale request')}"] if skipped else []
    return f"✓ {html.escape(what)} <i>({'; '.join(notes)})</i>"


def failed_html(what: str, err: Exception) -> str:
    return (f"✗ <b>failed</b>: {html.escape(what)}: "
            f"{html.escape(type(err).__name__)}: {html.escape(str(err))}")


class LivePicture:
    """A status line and a picture, ``draw(**values of controls)``, recomputed when a control
    changes; ``view`` is the two stacked (put the controls above it).

    ``describe(**values)`` says in a few words what a run computes (shown while it runs and
    after); ``action`` is the verb shown while it runs. The first picture is computed now,
    synchronously, and an error in it is raised: a batch executor (papermill) fails on it. Later
    runs are scheduled by ``schedule`` (``after_pending_messages``: behind the kernel's queued
    messages) and an error shows in place of the picture. ``follows`` (``Follow``) move
    controls along with another; the moves they make and the move that caused them ask for one
    run together. ``clock`` times the runs."""

    def __init__(self, draw, controls: dict, describe=None, action: str = "computing",
                 follows=(), schedule=after_pending_messages, clock=time.perf_counter):
        import ipywidgets as w

        self.draw, self.controls, self.describe = draw, controls, describe
        self.action, self.schedule, self.clock = action, schedule, clock
        self.follows = tuple(follows)
        self.following = False  # applying follows: the moves they make ask for no run
        self.status = w.HTML()
        self.output = w.Output()  # outputs are set, never captured (see ``picture_outputs``)
        self.view = w.VBox([self.status, self.output])
        self.running = None  # the values being computed now, if any
        self.shown = None  # the values of the picture on show
        self.run_waiting = False  # a run is scheduled and has not started
        self.skipped = 0  # requests replaced by a newer one before they ran, since the last run
        self.computed = 0  # runs so far, the first picture included
        self.wanted = self.values()  # the newest values asked for
        self.compute(self.wanted, live=False)
        for name, control in controls.items():
            control.observe(lambda change, name=name: self.changed(name, change), names="value")

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def what(self, values: dict) -> str:
        try:
            return self.describe(**values) if self.describe else \
                ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in values.items())
        except Exception:  # a description must never stop the run it describes
            return "these settings"

    def changed(self, name: str, change):
        """A control moved: move its followers, then ask for one run."""
        if self.following:
            return
        self.following = True
        try:
            for rule in self.follows:
                if rule.source == name:
                    rule.apply(self.controls, change)
        finally:
            self.following = False
        self.request()

    def request(self):
        """A control changed: ask for a run with the current values. Only the newest request
        waiting to run survives; one already asked for is not asked again."""
        values = self.values()
        if values == self.wanted:
            return
        if self.wanted != (self.running if self.running is not None else self.shown):
            self.skipped += 1  # the request still waiting never ran: this one replaces it
        self.wanted = values
        if self.running is None and not self.run_waiting:
            self.run_waiting = True
            self.schedule(self.run_newest)

    def run_newest(self):
        """Compute the newest request, again if a newer one came in while computing."""
        self.run_waiting = False
        while self.wanted != self.shown:
            self.compute(self.wanted)
        if self.skipped:  # the reader came back to the picture on show: nothing to compute
            self.status.value = done_html(self.what(self.shown), None, self.skipped)
            self.skipped = 0

    def compute(self, values: dict, live: bool = True):
        what = self.what(values)
        # requests replaced before this run are reported with it; those replaced while it runs
        # (possible only where a run is not scheduled behind a queue) with the next one
        skipped, self.skipped = self.skipped, 0
        self.running = values
        self.status.value = busy_html(self.action, what)
        if self.output.outputs:
            self.output.add_class(STALE_CLASS)
        start = self.clock()
        try:
            self.output.outputs = picture_outputs(self.draw, values)
            self.status.value = done_html(what, self.clock() - start, skipped)
        except Exception as err:
            if not live:
                raise
            self.output.outputs = error_outputs()
            self.status.value = failed_html(what, err)
        finally:
            self.output.remove_class(STALE_CLASS)
            self.running, self.shown = None, values
            self.computed += 1


# --------------------------------------------------------------------------------------------
# A control that follows another
# --------------------------------------------------------------------------------------------

def exactly(a, b) -> bool:
    return a == b


def same_on_log_slider(step: float):
    """Two values of a FloatLogSlider closer than half its step (in the exponent) are the same
    setting: the slider cannot tell them apart."""
    return lambda a, b: a > 0 and b > 0 and abs(math.log10(a) - math.log10(b)) <= step / 2


@dataclass(frozen=True)
class Follow:
    """Control ``target`` stays at ``recommended(value of source)`` while the reader leaves it
    there: when ``source`` changes and ``target`` holds (``same``) the value recommended for the
    old one, it moves to the value recommended for the new one; a value the reader chose stays."""
    source: str
    target: str
    recommended: Callable
    same: Callable = exactly

    def apply(self, controls: dict, change) -> None:
        target = controls[self.target]
        if self.same(target.value, self.recommended(change["old"])):
            target.value = self.recommended(change["new"])
