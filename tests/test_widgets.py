"""The live widgets draw their first picture without capturing output, so a batch executor
(nbclient, under papermill) never has to send on the kernel's shell socket during their cell.

Captured output (``with out:``, which ``ipywidgets.interactive_output`` does at construction)
reaches nbclient's Output-widget mimic, which answers each output with a comm_msg on the shell
socket while nbclient awaits the cell's execute_reply there; a reply arriving just before that
send loses its wakeup, and the cell waits for ever (about 1 chapter execution in 16 here).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from sbcore.studies.datasets.widget import dataset_explorer  # noqa: E402
from sbcore.studies.theory.widget import simulation_explorer  # noqa: E402


def _kinds(out):
    return [o["output_type"] + (":" + o["name"] if "name" in o else "") for o in out.outputs]


def test_first_picture_is_set_not_printed(capsys):
    box = dataset_explorer(n=200)
    out = box.children[2]
    assert _kinds(out) == ["display_data"] and "image/png" in out.outputs[0]["data"]
    assert capsys.readouterr().out == "" and plt.get_fignums() == []
    first = out.outputs[0]["data"]["image/png"]

    box.children[1].children[1].value = 400  # n: a slider change redraws
    assert _kinds(out) == ["display_data"] and out.outputs[0]["data"]["image/png"] != first
    box.children[0].children[1].value = 0.3  # gamma too large for 5 slabs: refused, in words
    assert _kinds(out) == ["stream:stdout"] and "Not drawn" in out.outputs[0]["text"]
    assert plt.get_fignums() == []


def test_theory_explorer_first_picture():
    out = simulation_explorer(d=20, k=8, runs=2).children[2]
    assert _kinds(out) == ["stream:stdout", "display_data"]
    assert "steps of batch" in out.outputs[0]["text"]
    assert plt.get_fignums() == []


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
    for i in (1, 2):  # the cells themselves show the widget, nothing else
        outputs = nb.cells[i].outputs
        assert len(outputs) == 1
        assert "application/vnd.jupyter.widget-view+json" in outputs[0]["data"]
