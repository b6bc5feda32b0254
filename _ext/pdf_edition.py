"""Sphinx extension: the ``pdf-edition`` role links the PDF edition once it exists.

``make pdf`` prints the single-page build to ``_build/pdf/alliance-compendium.pdf``
and then rebuilds the HTML book. In a page, ``{pdf-edition}`Download the PDF```
becomes a download link to that file (Sphinx copies it into ``_downloads/``), or,
in a build without a PDF, plain text saying how to make one, so an HTML-only build
has no broken link. The page depends on the file, so Sphinx re-reads it when the
PDF appears or changes (and, while it is missing, on every build: one Markdown
page, nothing executes).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.roles import XRefRole
from sphinx.util.docutils import SphinxRole

PDF = "_build/pdf/alliance-compendium.pdf"


class PdfEditionRole(SphinxRole):
    """A download link to the PDF edition, or a note that it is not built."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        """Return the link (the PDF exists) or an explanatory text."""
        self.env.note_dependency(PDF)
        if (Path(self.env.srcdir) / PDF).is_file():
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
        note = nodes.inline(text=f"{self.text} (not part of this build: run make pdf to make it)")
        return [note], []


def setup(app: Sphinx) -> dict:
    """Register the role."""
    app.add_role("pdf-edition", PdfEditionRole())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
