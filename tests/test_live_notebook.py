"""A chapter opened live in JupyterLab reads like its page on the site.

The prose's numbers are ``{eval}`` inline values (``sbcore.book.inline_values``): the site reads
them as glued values (the Sphinx extension ``sbcore.book.site_inline_values``), JupyterLab's MyST
renderer (jupyterlab-myst, installed by ``make lab``) evaluates them in the kernel when a text cell
runs, by an ``execute_request`` with ``user_expressions``. These tests check that both give the
same text, for every chapter from the smoke book's glued values and, for one chapter, through a
real kernel driven the way Lab drives it; and that opening and saving a chapter unchanged, as
Lab's jupytext does, rewrites nothing.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from myst_nb.core.variables import format_plain_text

from sbcore.book.inline_values import check_glue_name, glue_key, inline_expressions, pick, picked

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.py"))
# jupyterlab-myst shows a text/plain result with one pair of surrounding quotes removed
# (src/components/inlineExpression.tsx, PlainTextRenderer).
LAB_QUOTES = re.compile(r"^([\"'])(.*)\1$")


def lab_text(text_plain: str) -> str:
    """What jupyterlab-myst shows for an expression whose result has this text/plain."""
    return LAB_QUOTES.sub(r"\2", text_plain)


def site_text(glued_text_plain: str, expression: str) -> str:
    """What the site shows for ``{eval}`expression``` (myst-nb's glue:text on the glued value;
    for a pick, the text its glued boolean chooses)."""
    if choice := picked(expression):
        return {"True": choice[1], "False": choice[2]}[glued_text_plain]
    key = glue_key(expression)
    spec = key.split(":", 1)[1] if ":" in key else "s"  # glue:text's default specification
    return format_plain_text(glued_text_plain, spec)


def markdown_cells(nb):
    return [c for c in nb.cells if c.cell_type == "markdown"]


def glued_values(nb) -> dict[str, str]:
    """name -> text/plain of every value the executed notebook glued."""
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            record = o.get("metadata", {}).get("scrapbook", {})
            if record.get("name"):
                out[record["name"]] = o["data"][record.get("mime_prefix", "") + "text/plain"]
    return out


# --- the syntax ---------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, key", [
    ("n_train", "n_train"),
    (" d ", "d"),
    ('format(n_train, ",d")', "n_train:,d"),
    ("format(acc, '.3f')", "acc:.3f"),
    ('format( gap ,".1%" )', "gap:.1%"),
    ('pick(escaped, "left the plateau", \'stayed on it\')', "escaped"),
    ("pick( ok ,'the chapter\"s', \"it's\" )", "ok"),
])
def test_glue_key_of_the_three_allowed_shapes(expression, key):
    assert glue_key(expression) == key


def test_pick_chooses_by_a_boolean_and_only_a_boolean():
    expression = 'pick(escaped, "left the plateau", "it\'s on it")'
    assert picked(expression) == ("escaped", "left the plateau", "it's on it")
    assert eval(expression, {"pick": pick}, {"escaped": True}) == "left the plateau"  # noqa: S307
    assert eval(expression, {"pick": pick}, {"escaped": False}) == "it's on it"  # noqa: S307
    with pytest.raises(TypeError, match="glued boolean"):
        pick(1, "a", "b")


@pytest.mark.parametrize("expression", [
    "n_train + 1", "nums['d']", 'format(n_train)', 'format(n_train, "")', "1d", "f(x)",
    'format(a, ",d", 3)', "", "s_only_S_within-class", 'pick(a, "x")', 'pick(a, "x", b)',
    'pick(a, "x", "y", "z")', 'pick(a.b, "x", "y")', 'pick(a, "x"y", "z")',
])
def test_other_expressions_are_refused_with_the_allowed_shapes(expression):
    with pytest.raises(ValueError, match="allowed|empty"):
        glue_key(expression)


@pytest.mark.parametrize("name", ["within-class", "1st", "", None, 3, "a b"])
def test_a_glued_name_must_be_an_identifier(name):
    with pytest.raises(ValueError, match="identifier"):
        check_glue_name(name)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_inline_value_is_one_the_site_renders(path):
    nb = jupytext.read(path)
    text = "\n".join(c.source for c in markdown_cells(nb))
    assert "{glue:text}" not in text, "one syntax for the prose's numbers: {eval}"
    for expression in inline_expressions(text):
        glue_key(expression)  # raises with the allowed shapes


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_inline_value_is_a_name_the_chapter_assigns(path):
    """A live {eval} reads the kernel's variable: if the chapter's code assigned the same name,
    the live text would show that variable, not the glued value the site shows."""
    nb = jupytext.read(path)
    names = {glue_key(e).split(":")[0] for c in markdown_cells(nb)
             for e in inline_expressions(c.source)}
    assigned = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                assigned.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                assigned |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                assigned.add(node.name)
    assert not names & assigned, f"{path.name}: {sorted(names & assigned)}"


# --- the same text live and on the site ---------------------------------------------------------

def test_every_chapters_inline_values_read_the_same_live_and_on_the_site(smoke_book):
    """For each chapter of the smoke book: every {eval} names a value the chapter glued, and
    evaluating it on that value gives, as Lab shows it, the text the site shows."""
    root, outcomes = smoke_book
    checked = 0
    for path in CHAPTERS:
        nb = nbformat.read(root / "book" / f"{path.stem}.ipynb", as_version=4)
        glued = glued_values(nb)
        for cell in markdown_cells(nb):
            for expression in inline_expressions(cell.source):
                name = glue_key(expression).split(":")[0]
                assert name in glued, f"{path.stem}: {{eval}}`{expression}` was never glued"
                value = ast.literal_eval(glued[name])
                live = eval(expression, {"format": format, "pick": pick},  # noqa: S307
                            {name: value})
                assert lab_text(repr(live)) == site_text(glued[name], expression), \
                    (path.stem, expression)
                checked += 1
    assert checked > 200  # the book's prose has about 230 inline values


def _run_as_lab_does(path: Path, profile: str, timeout: int = 300):
    """Execute a chapter cell by cell in a real kernel; after each text cell, evaluate its inline
    values as jupyterlab-myst does (an empty execute_request carrying user_expressions).
    Returns the executed notebook and, per text cell index, {expression: reply}."""
    from jupyter_client.utils import run_sync
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = re.sub(r'profile = "\w+"', f'profile = "{profile}"', params.source)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    replies = {}
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
                continue
            expressions = inline_expressions(cell.source)
            if not expressions:
                continue
            msg_id = client.kc.execute("", silent=False, store_history=False,
                                       user_expressions={str(i): e for i, e in
                                                         enumerate(expressions)})
            shell_reply = run_sync(client.kc.get_shell_msg)  # nbclient's client is async
            reply = shell_reply(timeout=60)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = shell_reply(timeout=60)
            assert reply["content"]["status"] == "ok"
            got = reply["content"]["user_expressions"]
            replies[index] = {e: got[str(i)] for i, e in enumerate(expressions)}
    return nb, replies


@pytest.mark.slow
def test_a_chapter_run_live_shows_its_numbers_in_the_text(smoke_store, monkeypatch):
    """The measuring chapter at smoke, run the way Lab runs it: every inline value of its text
    evaluates in the kernel, and Lab shows the text the site would show for that run."""
    monkeypatch.setenv("SB_RESULTS", str(smoke_store))  # the kernel inherits it
    nb, replies = _run_as_lab_does(ROOT / "chapters" / "02_measuring.py", "smoke")
    glued = glued_values(nb)
    assert replies, "the chapter's text has inline values"
    for index, by_expression in replies.items():
        for expression, result in by_expression.items():
            assert result["status"] == "ok", (expression, result.get("evalue"))
            shown = lab_text(result["data"]["text/plain"])
            name = glue_key(expression).split(":")[0]
            assert shown == site_text(glued[name], expression), (index, expression)
            assert "{eval}" not in shown and shown.strip()


# --- opening and saving in Lab -------------------------------------------------------------------

@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_opened_run_and_saved_unchanged_keeps_its_bytes(path):
    """Lab's jupytext reads the .py into a notebook and writes it back on save. Saved unchanged,
    even after running (outputs, kernel metadata, jupyterlab-myst's evaluated inline values in
    the text cells' metadata), the chapter keeps its bytes: ``git status`` stays clean."""
    text = path.read_text()
    nb = jupytext.reads(text, fmt="py:percent")
    assert jupytext.writes(nb, fmt="py:percent") == text, "opened and saved unchanged"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.metadata["user_expressions"] = [
                {"expression": "d", "result": {"status": "ok", "data": {"text/plain": "50"}}}]
        else:
            cell.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
            cell.execution_count = 1
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    assert jupytext.writes(nb, fmt="py:percent") == text, "run, then saved"


def test_labs_own_contents_manager_saves_an_opened_chapter_byte_for_byte(tmp_path):
    """The same through jupytext's contents manager, which Lab uses (installed by ``make lab``;
    jupyter_server is not in requirements.txt, so this runs only where Lab is installed)."""
    pytest.importorskip("jupyter_server")
    import shutil

    from jupyter_server.services.contents.largefilemanager import LargeFileManager
    from jupytext.sync_contentsmanager import build_sync_jupytext_contents_manager_class

    shutil.copytree(ROOT / "chapters", tmp_path / "chapters")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # any jupytext config
    manager = build_sync_jupytext_contents_manager_class(LargeFileManager)(root_dir=str(tmp_path))
    for path in CHAPTERS:
        relative = f"chapters/{path.name}"
        model = manager.get(relative)
        for cell in model["content"].cells:
            if cell.cell_type == "markdown":
                cell.metadata["user_expressions"] = []
        manager.save(model, relative)
        assert (tmp_path / relative).read_bytes() == path.read_bytes(), path.name


def test_lab_renders_myst_and_never_autosaves_a_chapter():
    pins = (ROOT / "requirements-lab.txt").read_text()
    assert re.search(r"^jupyterlab-myst==\S+", pins, re.M), "the MyST renderer, pinned"
    settings = json.loads((ROOT / "lab" / "overrides.json").read_text())
    assert settings["@jupyterlab/docmanager-extension:plugin"]["autosave"] is False


# --- the site's reading of an inline value -----------------------------------------------------

def _glued_output(name: str, text_plain: str):
    prefix = "application/papermill.record/"  # how myst_nb.glue stores a value it does not show
    return nbformat.v4.new_output("display_data", data={prefix + "text/plain": text_plain},
                                  metadata={"scrapbook": {"name": name, "mime_prefix": prefix}})


def _build_page(tmp_path: Path, markdown: str):
    """Sphinx with myst-nb and the book's extension on one executed notebook (glued values
    n_train = 60000, acc = 0.98765, label = 'LMS-5'); returns (exit code, page text, stderr)."""
    import subprocess
    import sys

    code = nbformat.v4.new_code_cell("glue_all(...)", outputs=[
        _glued_output("n_train", "60000"), _glued_output("acc", "0.98765"),
        _glued_output("label", "'LMS-5'"), _glued_output("escaped", "True"),
        _glued_output("stuck", "False")])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Page"), code,
                                         nbformat.v4.new_markdown_cell(markdown)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "index.ipynb")
    (tmp_path / "conf.py").write_text(
        'extensions = ["myst_nb", "sbcore.book.site_inline_values"]\n'
        'nb_execution_mode = "off"\nexclude_patterns = ["_build"]\n')
    out = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(tmp_path),
                          str(tmp_path / "_build")], capture_output=True, text=True, timeout=120)
    page = tmp_path / "_build" / "index.html"
    text = re.sub(r"<[^>]+>", "", page.read_text()) if page.exists() else ""
    return out.returncode, text, out.stderr


def test_the_site_reads_an_inline_value_as_the_glued_value(tmp_path):
    rc, text, err = _build_page(tmp_path, 'A {eval}`format(n_train, ",d")` = '
                                '{glue:text}`n_train:,d`; B {eval}`n_train` = {glue:text}`n_train`;'
                                ' C {eval}`format(acc, ".3f")`; D {eval}`label`.')
    assert rc == 0, err
    assert "A 60,000 = 60,000; B 60000 = 60000; C 0.988; D LMS-5." in text


def test_the_site_reads_a_pick_as_the_text_its_glued_boolean_chooses(tmp_path):
    rc, text, err = _build_page(tmp_path, 'Runs {eval}`pick(escaped, "left it", "stayed")` and '
                                "{eval}`pick(stuck, 'stuck', \"didn't stick\")`.")
    assert rc == 0, err
    assert "Runs left it and didn’t stick." in text or "Runs left it and didn't stick." in text


def test_the_site_refuses_a_pick_on_a_value_that_is_not_a_boolean(tmp_path):
    rc, _, err = _build_page(tmp_path, 'A {eval}`pick(n_train, "x", "y")`.')
    assert rc != 0 and "glued boolean" in err


def test_the_site_refuses_an_inline_value_it_cannot_read(tmp_path):
    rc, _, err = _build_page(tmp_path, "A {eval}`n_train * 2`.")
    assert rc != 0 and "allowed:" in err
