"""Sphinx extension: the ``pdf-edition`` role links the PDF edition once it exists.

``make pdf`` prints the single-page build to ``_build/pdf/alliance-compendium.pdf``
and then rebuilds the HTML book. In a page, ``{pdf-edition}`Download the PDF```
becomes a download link to that file (Sphinx copies it into ``_downloads/``), or,
in a build without a PDF, plain text saying how to make one, so an HTML-only build
has no broken link. A page that links the PDF depends on it (Sphinx re-reads the
page when the file changes); a page read while the PDF was missing is re-read once
the PDF exists.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.roles import XRefRole
from sphinx.util.docutils import SphinxRole

PDF = "_build/pdf/alliance-compendium.pdf"


class PdfEditionRole(SphinxRole):
    """A download link to the PDF edition, or a note that it is not built."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        """Return the link (the PDF exists) or an explanatory text."""
        if _pdf_exists(self.env):
            download = XRefRole(nodeclass=addnodes.download_reference)
            return download(
                "download",
                self.rawtext,
                f"{self.text} </{PDF}>",
                self.lineno,
                self.inliner,
                self.options,
                self.content,
            )
        _waiting(self.env).add(self.env.docname)
        note = nodes.inline(text=f"{self.text} (not part of this build: run make pdf to make it)")
        return [note], []


def _pdf_exists(env: BuildEnvironment) -> bool:
    return (Path(env.srcdir) / PDF).is_file()


def _waiting(env: BuildEnvironment) -> set[str]:
    """Documents read while the PDF was missing (kept in the pickled environment)."""
    if not hasattr(env, "pdf_edition_waiting"):
        env.pdf_edition_waiting = set()
    return env.pdf_edition_waiting


def reread_once_built(app: Sphinx, env: BuildEnvironment, added, changed, removed) -> list[str]:
    """Re-read the documents that showed no link, once the PDF exists."""
    if not _pdf_exists(env):
        return []
    waiting = sorted(_waiting(env) - set(removed))
    _waiting(env).clear()
    return waiting


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """Forget a document that is read again or removed."""
    _waiting(env).discard(docname)


def merge(app: Sphinx, env: BuildEnvironment, docnames, other: BuildEnvironment) -> None:
    """Collect the waiting documents of a parallel reader."""
    _waiting(env).update(_waiting(other) & set(docnames))


def setup(app: Sphinx) -> dict:
    """Register the role."""
    app.add_role("pdf-edition", PdfEditionRole())
    app.connect("env-get-outdated", reread_once_built)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
