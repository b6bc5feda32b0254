"""The introduction's link to the PDF edition is never broken (_ext/pdf_edition.py).

A one-page book with the ``pdf-edition`` role and a copy of the real _config.yml
is built in a temporary folder: without a PDF the page says how to make one and
links nothing; once ``make pdf``'s file exists, the next build (and only the next)
re-reads the page, which then links a copy of that very file.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from book_build import jupyter_book_build

ROOT = Path(__file__).resolve().parents[1]
PDF = "_build/pdf/alliance-compendium.pdf"


def test_link_appears_when_the_pdf_exists(tmp_path):
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", book / "_config.yml")
    shutil.copy2(ROOT / "references.bib", book / "references.bib")
    for name in ("_ext", "_static", "_vendor"):
        shutil.copytree(ROOT / name, book / name, ignore=shutil.ignore_patterns("__pycache__"))
    (book / "_toc.yml").write_text("format: jb-book\nroot: chapters/intro\n", encoding="utf-8")
    (book / "chapters" / "intro.md").write_text(
        "# Tiny book\n\nOn paper: {pdf-edition}`the PDF`.\n", encoding="utf-8"
    )
    page = book / "_build" / "html" / "chapters" / "intro.html"

    jupyter_book_build(book)
    html = page.read_text(encoding="utf-8")
    assert "the PDF (not part of this build: run make pdf to make it)" in html
    assert ".pdf" not in html.split("bd-article")[-1], "a link to a PDF that does not exist"
    assert re.search(r"0 added, 0 changed, 0 removed", jupyter_book_build(book)), (
        "re-read with no change"
    )

    pdf = book / PDF
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(b"%PDF-1.4\n% a stand-in for make pdf's file\n")
    jupyter_book_build(book)
    html = page.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]*alliance-compendium\.pdf)"', html)
    assert links, "no link to the PDF once it exists"
    assert all((page.parent / link).resolve().read_bytes() == pdf.read_bytes() for link in links)
    assert "not part of this build" not in html
