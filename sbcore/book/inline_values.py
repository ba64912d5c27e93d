"""The numbers in the chapters' prose, in one syntax that both the site and a live notebook render.

A chapter's markdown writes a number as ``{eval}`n_train``` or, with a format specification,
``{eval}`format(n_train, ",d")```. The name is one that the chapter glued with
``sbcore.book.glue_all``, which also binds it in the notebook's namespace:

* in JupyterLab, the MyST renderer (``jupyterlab-myst``, installed by ``make lab``) evaluates the
  expression in the kernel when the markdown cell runs, so a reader who runs the chapter reads
  the numbers of their own run;
* on the site, which jupyter-book renders from executed notebooks without a kernel, the Sphinx
  extension ``sbcore.book.site_inline_values`` reads the same expression as the glued value
  (myst-nb's ``{glue:text}``), so the page is what the glue role would give.

A phrase whose wording depends on a finding is written in the markdown too, as
``{eval}`pick(escaped, "left the plateau", "stayed on it")```: the first text when the glued
boolean is True, the second when it is False (``pick`` is bound in the notebook beside the glued
values; on the site the role reads the glued boolean). The texts are plain words, in double or
single quotes that they do not contain themselves.

Only those three shapes are accepted, so that the two renderings cannot differ: anything else is
a build warning (and the site builds with warnings as errors).
"""

from __future__ import annotations

import re

# A glued name, optionally formatted with Python's format(), e.g. format(n_train, ",d").
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PLAIN = re.compile(rf"^\s*(?P<name>{_NAME})\s*$")
_FORMATTED = re.compile(
    rf"""^\s*format\(\s*(?P<name>{_NAME})\s*,\s*(?P<q>["'])(?P<spec>[^"']*)(?P=q)\s*\)\s*$""")
_TEXT = r"""(?:"(?P<{0}d>[^"]*)"|'(?P<{0}s>[^']*)')"""
_PICK = re.compile(rf"""^\s*pick\(\s*(?P<name>{_NAME})\s*,\s*{_TEXT.format("yes")}\s*,\s*"""
                   rf"""{_TEXT.format("no")}\s*\)\s*$""")
EVAL_ROLE = re.compile(r"\{eval\}`([^`]*)`")
ALLOWED = ('a glued name (n_train), format(name, "spec") with a format specification (",d", '
           '".3f"), or pick(flag, "text if True", "text if False") on a glued boolean')


def pick(flag, if_true: str, if_false: str) -> str:
    """The phrase a finding chooses: ``if_true`` when the glued boolean ``flag`` is True,
    ``if_false`` when it is False (the live notebook's side of ``{eval}`pick(...)```)."""
    if not isinstance(flag, bool):
        raise TypeError(f"pick() chooses by a glued boolean (a finding's True or False), "
                        f"not {flag!r}")
    return if_true if flag else if_false


def picked(expression: str) -> tuple[str, str, str] | None:
    """(name, text if True, text if False) of a ``pick(...)`` expression; None for another shape."""
    if m := _PICK.match(expression):
        yes = m["yesd"] if m["yesd"] is not None else m["yess"]
        no = m["nod"] if m["nod"] is not None else m["nos"]
        return m["name"], yes, no
    return None


def glue_key(expression: str) -> str:
    """The ``{glue:text}`` key of an inline expression: 'name' or 'name:spec' (for a
    ``pick``, the name of the boolean it reads)."""
    if choice := picked(expression):
        return choice[0]
    if m := _PLAIN.match(expression):
        return m["name"]
    if m := _FORMATTED.match(expression):
        if not m["spec"]:
            raise ValueError(f"inline value {expression!r}: the format specification is empty; "
                             f"write the name alone instead")
        return f"{m['name']}:{m['spec']}"
    raise ValueError(f"inline value {{eval}}`{expression}` is not one the site can render; "
                     f"allowed: {ALLOWED}")


def inline_expressions(markdown: str) -> list[str]:
    """The ``{eval}`` expressions of a markdown text, in order."""
    return EVAL_ROLE.findall(markdown)


def inline_names(markdown: str) -> set[str]:
    """The glued names a markdown text reads through ``{eval}``."""
    return {glue_key(expression).split(":", 1)[0] for expression in inline_expressions(markdown)}


def check_glue_name(name) -> str:
    """A glued name must be an identifier: the live notebook evaluates it as a variable."""
    if not isinstance(name, str) or not re.fullmatch(_NAME, name):
        raise ValueError(f"glued name {name!r} is not a Python identifier (letters, digits and "
                         f"underscores, not starting with a digit); the prose's {{eval}} reads it "
                         f"as a variable")
    return name


def bind_in_notebook(values: dict) -> None:
    """Bind the glued values, and ``pick``, in the running notebook's namespace, where a live
    notebook's ``{eval}`` expressions read them (no IPython, as in plain python: nothing to
    bind)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.user_ns.update(values, pick=pick)
