"""The live widgets.

They draw their first picture without capturing output, so a batch executor (nbclient, under
papermill) never has to send on the kernel's shell socket during their cell. Captured output
(``with out:``, which ``ipywidgets.interactive_output`` does at construction) reaches nbclient's
Output-widget mimic, which answers each output with a comm_msg on the shell socket while
nbclient awaits the cell's execute_reply there; a reply arriving just before that send loses its
wakeup, and the cell waits for ever (about 1 chapter execution in 16 here).

Live, a run can take tens of seconds: the status line says what is computing while it computes,
and slider moves that queue up meanwhile are coalesced into one run of the newest settings
(``LivePicture``, tested here with a fake kernel queue and, in a slow test, a real kernel).
"""

from __future__ import annotations

import asyncio
import collections
import time
import types

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from sbcore.book import widgets  # noqa: E402
from sbcore.book.widgets import LivePicture, after_pending_messages  # noqa: E402
from sbcore.studies.datasets.widget import dataset_explorer  # noqa: E402
from sbcore.studies.theory import simulation as theory  # noqa: E402
from sbcore.studies.theory import widget as theory_widget  # noqa: E402
from sbcore.studies.theory.widget import simulation_explorer  # noqa: E402


def _kinds(out):
    return [o["output_type"] + (":" + o["name"] if "name" in o else "") for o in out.outputs]


def test_first_picture_is_set_not_printed(capsys):
    box = dataset_explorer(n=200)
    status, out = box.children[2].children
    assert _kinds(out) == ["display_data"] and "image/png" in out.outputs[0]["data"]
    assert capsys.readouterr().out == "" and plt.get_fignums() == []
    assert status.value.startswith("✓ 200 points per block")
    first = out.outputs[0]["data"]["image/png"]

    box.children[1].children[1].value = 400  # n: a slider change redraws
    assert _kinds(out) == ["display_data"] and out.outputs[0]["data"]["image/png"] != first
    box.children[0].children[1].value = 0.3  # gamma too large for 5 slabs: refused, in words
    assert _kinds(out) == ["stream:stdout"] and "Not drawn" in out.outputs[0]["text"]
    assert plt.get_fignums() == []


def test_theory_explorer_first_picture():
    status, out = simulation_explorer(d=20, k=8, runs=2).children[2].children
    assert _kinds(out) == ["stream:stdout", "display_data"]
    assert "steps of batch" in out.outputs[0]["text"]
    assert status.value.startswith("✓ 2 networks of width 8 at d=20: t̂ = ")
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------------------------
# LivePicture: the status line, and coalescing of queued requests
# --------------------------------------------------------------------------------------------

class FakeKernel:
    """ipykernel 6's shell queue, reduced to what ``after_pending_messages`` uses: handlers run
    one at a time in arrival order; a message waits in the socket until the loop (or a flush)
    moves it into the queue."""

    def __init__(self):
        self.queue, self.socket = collections.deque(), []
        self.shell_stream = types.SimpleNamespace(flush=self.flush)
        self.msg_queue = types.SimpleNamespace(qsize=lambda: len(self.queue))

    def schedule_dispatch(self, dispatch, *args):
        self.queue.append((dispatch, args))

    def flush(self) -> int:
        moved = len(self.socket)
        while self.socket:
            self.schedule_dispatch(self.socket.pop(0))
        return moved

    def arrive(self, control, value):
        """A slider move from the browser (a comm_msg), now in the socket."""
        async def comm_msg():
            control.value = value
        self.socket.append(comm_msg)

    def run_until_idle(self):
        async def loop():
            while self.queue or self.socket:
                if not self.queue:
                    self.flush()
                dispatch, args = self.queue.popleft()
                await dispatch(*args)
        asyncio.run(loop())


class FakeClock:
    def __init__(self, tick: float):
        self.now, self.tick = 100.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def counting_picture(schedule, during=None, clock=time.perf_counter):
    """A LivePicture over one slider x whose draw records each x it computes (and the status
    line and the picture's classes at that moment) and calls ``during(x)`` meanwhile."""
    x = w.IntSlider(0, min=0, max=10)
    seen, made = [], []  # made: the picture, once its constructor (and first draw) is done

    def draw(x):
        seen.append(dict(x=x, status=made[0].status.value if made else None,
                         classes=made[0].output._dom_classes if made else ()))
        if during:
            during(x)
        plt.plot([0, x])

    made.append(LivePicture(draw, {"x": x}, describe=lambda x: f"model x={x}", action="fitting",
                            schedule=schedule, clock=clock))
    return made[0], x, seen


def test_status_says_what_computes_while_it_computes_then_what_is_shown():
    live, x, seen = counting_picture(schedule=lambda job: job(), clock=FakeClock(2.5))
    assert live.status.value == "✓ model x=0 <i>(2.5 s)</i>"  # the first picture: not busy
    x.value = 3
    during = seen[-1]
    assert "sbcore-spin" in during["status"] and "<b>fitting</b> model x=3 …" in during["status"]
    assert widgets.STALE_CLASS in during["classes"]  # the old picture is dimmed meanwhile
    assert live.status.value == "✓ model x=3 <i>(2.5 s)</i>"  # spinner and busy text gone
    assert widgets.STALE_CLASS not in live.output._dom_classes
    assert [o["output_type"] for o in live.output.outputs] == ["display_data"]
    assert plt.get_fignums() == []


def test_with_five_moves_queued_during_a_run_only_the_first_and_the_last_compute():
    kernel = FakeKernel()

    def five_moves_arrive(x_now):
        if x_now == 1:
            for value in (2, 3, 4, 5, 6):
                kernel.arrive(x, value)

    live, x, seen = counting_picture(lambda job: after_pending_messages(job, kernel),
                                     during=five_moves_arrive)
    kernel.arrive(x, 1)
    kernel.run_until_idle()
    assert [s["x"] for s in seen] == [0, 1, 6]
    assert live.status.value.startswith("✓ model x=6 <i>(")
    assert "skipped 4 stale requests" in live.status.value
    assert live.computed == 3

    x.value = 7  # a later single move: one run, nothing skipped
    kernel.run_until_idle()
    assert [s["x"] for s in seen] == [0, 1, 6, 7] and "skipped" not in live.status.value


def test_moves_already_queued_when_the_run_comes_up_are_coalesced():
    kernel = FakeKernel()
    live, x, seen = counting_picture(lambda job: after_pending_messages(job, kernel))
    for value in (1, 2, 3, 4, 5):
        kernel.arrive(x, value)
    kernel.run_until_idle()
    assert [s["x"] for s in seen] == [0, 5] and "skipped 4 stale requests" in live.status.value


def test_requests_during_a_run_without_a_kernel_queue_also_coalesce():
    # no kernel: a request is served at once; moves made while it computes wait for it to end
    def moves(x_now):
        if x_now == 1:
            for value in (2, 3, 4, 5, 6):
                x.value = value

    live, x, seen = counting_picture(schedule=lambda job: job(), during=moves)
    x.value = 1
    assert [s["x"] for s in seen] == [0, 1, 6] and "skipped 4 stale" in live.status.value


def test_coming_back_to_the_picture_on_show_computes_nothing():
    kernel = FakeKernel()
    live, x, seen = counting_picture(lambda job: after_pending_messages(job, kernel))
    kernel.arrive(x, 4)
    kernel.arrive(x, 0)
    kernel.run_until_idle()
    assert [s["x"] for s in seen] == [0]
    assert live.status.value == "✓ model x=0 <i>(unchanged; skipped 1 stale request)</i>"


def test_two_pictures_waiting_in_one_kernel_do_not_wait_for_each_other():
    kernel = FakeKernel()
    schedule = lambda job: after_pending_messages(job, kernel)  # noqa: E731
    (_, xa, seen_a), (_, xb, seen_b) = counting_picture(schedule), counting_picture(schedule)
    kernel.arrive(xa, 1)
    kernel.arrive(xb, 2)
    kernel.run_until_idle()  # would spin for ever if each deferred to the other's run
    assert [s["x"] for s in seen_a] == [0, 1] and [s["x"] for s in seen_b] == [0, 2]
    assert widgets._waiting_runs == 0


def test_a_failing_run_shows_its_error_and_the_first_one_raises():
    def draw(x):
        if x:
            raise RuntimeError(f"no fit at x={x}")

    x = w.IntSlider(0)
    live = LivePicture(draw, {"x": x}, schedule=lambda job: job())
    x.value = 2
    assert "✗ <b>failed</b>: x=2: RuntimeError: no fit at x=2" == live.status.value
    assert "no fit at x=2" in live.output.outputs[0]["text"]
    with pytest.raises(RuntimeError, match="x=5"):
        LivePicture(draw, {"x": w.IntSlider(5)})


# --------------------------------------------------------------------------------------------
# The theory widget: step size and batch size follow d while at the theorem's values
# --------------------------------------------------------------------------------------------

def test_step_size_and_batch_follow_the_dimension_until_the_reader_sets_them(monkeypatch):
    runs = []
    real = theory.simulate
    monkeypatch.setattr(theory, "simulate", lambda d, k, **kw: (runs.append((d, kw["eta"])),
                                                               real(d, k, **kw))[1])
    box = simulation_explorer(d=10, k=4, runs=2)
    (d, _, eta), (_, log2_batch, _) = (row.children for row in box.children[:2])
    status = box.children[2].children[0]
    assert eta.value == theory.step_size(10) and log2_batch.value == 7  # batch 100 ~ 2^7

    d.value = 20  # both at the theorem's values: both follow, and the move retrains once
    assert eta.value == pytest.approx(theory.step_size(20)) and log2_batch.value == 9  # 400
    assert runs == [(10, theory.step_size(10)), (20, eta.value)]
    assert "at d=20" in status.value and "η=0.578" in status.value
    assert "at d=20 is 1/√(log d) = 0.578" in eta.tooltip

    eta.value = 0.1  # the reader's own step size stays when d moves; the batch still follows
    d.value = 30
    assert eta.value == 0.1 and log2_batch.value == 10  # 900
    assert runs[-2:] == [(20, 0.1), (30, 0.1)] and len(runs) == 4


def test_the_sliders_hold_the_theorems_values_for_every_dimension():
    lo, hi = theory_widget.D_RANGE
    for d in range(lo, hi + 1, 2):
        assert 10 ** theory_widget.ETA_EXPONENTS[0] <= theory.step_size(d) \
            <= 10 ** theory_widget.ETA_EXPONENTS[1]
        assert theory_widget.LOG2_BATCH_RANGE[0] <= theory_widget.theorem_log2_batch(d) \
            <= theory_widget.LOG2_BATCH_RANGE[1]


CELLS = [
    "import ipywidgets as w\nimport matplotlib.pyplot as plt\nfrom IPython.display import display\n"
    "from sbcore.studies.datasets.widget import dataset_explorer\n"
    "from sbcore.studies.theory.widget import simulation_explorer",
    "dataset_explorer(n=200)",
    "display(simulation_explorer(d=20, k=8, runs=2))",
]
# the pattern the explorers used before: output captured into the Output widget
OLD_PATTERN = ("def draw(x):\n    print('x =', x)\n    plt.plot([0, x])\n    plt.show()\n"
               "display(w.interactive_output(draw, {'x': w.IntSlider(3)}))")


@pytest.mark.slow
def test_widget_cells_send_nothing_on_the_shell_socket(monkeypatch):
    import nbclient.output_widget

    sent = []
    real_send = nbclient.output_widget.OutputWidget.send
    monkeypatch.setattr(nbclient.output_widget.OutputWidget, "send",
                        lambda self, *a, **k: (sent.append(self.comm_id), real_send(self, *a, **k)))
    cells = [nbformat.v4.new_code_cell(c) for c in CELLS + [OLD_PATTERN]]
    nb = nbformat.v4.new_notebook(cells=cells)
    client = NotebookClient(nb, timeout=120, kernel_name="python3")
    with client.setup_kernel():
        for i in range(len(CELLS)):
            client.execute_cell(nb.cells[i], i)
        assert sent == []  # the explorers: no shell traffic from the client during their cells
        client.execute_cell(nb.cells[-1], len(cells) - 1)
        assert sent  # the old pattern does send (the counter works)
        client.set_widgets_metadata()

    # the saved widget state holds each explorer's first picture (what the static site shows)
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    pictures = [m for m in state.values() if m["model_name"] == "OutputModel"
                and any("image/png" in o.get("data", {}) for o in m["state"]["outputs"])]
    assert len(pictures) == 3
    # and each explorer's status line says what its picture shows, with no spinner left on
    lines = [m["state"]["value"] for m in state.values() if m["model_name"] == "HTMLModel"]
    assert len(lines) == 2 and all(v.startswith("✓ ") and "spin" not in v for v in lines)
    for i in (1, 2):  # the cells themselves show the widget, nothing else
        outputs = nb.cells[i].outputs
        assert len(outputs) == 1
        assert "application/vnd.jupyter.widget-view+json" in outputs[0]["data"]


# a picture whose runs take 1.5 s (the kernel blocked meanwhile, as in a real retraining)
KERNEL_SETUP = """
import time
import ipywidgets as w
from sbcore.book.widgets import LivePicture
x = w.IntSlider(0, max=10)
computed = []
def draw(x):
    computed.append(x)
    time.sleep(1.5 if x else 0)
live = LivePicture(draw, {"x": x}, describe=lambda x: f"model x={x}", action="fitting")
print(x.model_id)
"""


@pytest.mark.slow
def test_a_real_kernel_runs_only_the_first_and_the_last_of_six_moves():
    """Slider moves sent as the browser sends them (comm_msg on the shell channel): one, then
    five while its run blocks the kernel. Only the first and the last compute."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        printed = []

        def run(code):
            kc.execute_interactive(code, timeout=60, output_hook=lambda m: printed.append(
                m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
            return printed.pop() if printed else ""

        model_id = run(KERNEL_SETUP).strip()

        def move(value):
            kc.shell_channel.send(kc.session.msg("comm_msg", dict(
                comm_id=model_id, data=dict(method="update", state=dict(value=value),
                                            buffer_paths=[]))))

        move(1)
        deadline = time.monotonic() + 30  # the status line says the run of x=1 has started
        while time.monotonic() < deadline:
            msg = kc.get_iopub_msg(timeout=30)
            if "<b>fitting</b> model x=1" in str(msg["content"].get("data", {})):
                break
        for value in (2, 3, 4, 5, 6):
            move(value)
        deadline = time.monotonic() + 60  # each cell lets the kernel's queue move on
        while "6" not in run("print(computed)") and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)
        assert run("print(computed)").strip() == "[0, 1, 6]"
        assert "skipped 4 stale requests" in run("print(live.status.value)")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
