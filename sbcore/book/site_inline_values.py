"""Sphinx extension (listed in ``_config.yml``): the prose's ``{eval}`` inline values on the site.

The site is rendered from executed notebooks without a kernel, so myst-nb's own ``eval`` role
(which asks a running kernel) cannot serve it. This role reads the expression as the value the
chapter glued, exactly as ``{glue:text}`` would; see ``sbcore.book.inline_values`` for the two
shapes allowed and why.
"""

from __future__ import annotations

from docutils import nodes
from myst_nb.ext.glue.roles import PasteTextRole
from myst_nb.ext.glue.utils import RetrievalError, glue_warning, retrieve_glue_data

from sbcore.book.inline_values import glue_key, picked


class EvalAsGlueText(PasteTextRole):
    """``{eval}`expression``` on the site: the glued value, as ``{glue:text}`` shows it, or
    for ``pick(flag, ...)`` the text the glued boolean chooses."""

    def run(self):
        try:
            choice = picked(self.text)
            self.text = glue_key(self.text)
        except ValueError as err:
            return [], [glue_warning(str(err), self.document, self.line)]
        if choice is None:
            return super().run()
        name, if_true, if_false = choice
        try:
            flag = retrieve_glue_data(self.document, name).data.get("text/plain")
        except RetrievalError as err:
            return [], [glue_warning(str(err), self.document, self.line)]
        if flag not in ("True", "False"):
            return [], [glue_warning(f"pick({name}, ...) chooses by a glued boolean, but "
                                     f"{name} was glued as {flag!r}", self.document, self.line)]
        return [nodes.inline(text=if_true if flag == "True" else if_false)], []


def setup(app):
    app.setup_extension("myst_nb")  # myst_nb's own eval role asks a kernel: ours replaces it
    app.add_role("eval", EvalAsGlueText(), override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
