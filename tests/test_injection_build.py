"""The book built on a hostile study folder: no active payload, no foreign file (issue #15).

A synthetic study gets the injection battery of ``tests/injection.py`` in every
free-text field (excerpts, codebook labels, definitions, rules and examples,
facet and group labels, notes, the therapists' and clients' free-text columns);
it still validates. The whole book is then built on it with
``ALLIANCE_DATA=... make book`` in a temporary copy of the repository (the main
``_build`` is never touched), and the site is checked:

* no page holds a script, event handler, frame or ``javascript:`` link from a
  payload (parsed with an HTML parser), while the payloads are visibly there as text;
* no file from outside the repository and the study folder is in ``_build/html``;
* in Chromium (when installed), no page opens a dialog or logs a console error.

This is the slowest test of the suite: one full build of the book.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from book_build import ROOT, build_book, repository_copy
from browser_support import serve, visit
from injection import MARKER, active_content, foreign_files, inject_study

from alliance.article.reconstruction import write_study
from alliance.book.chapter_outputs import toc_pages
from alliance.data.dataset import load_study

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def hostile_study(tmp_path_factory) -> Path:
    folder = inject_study(write_study(tmp_path_factory.mktemp("hostile") / "study"))
    load_study(folder)  # the battery is valid data
    return folder


@pytest.fixture(scope="module")
def site(hostile_study, tmp_path_factory) -> Path:
    """Build the book on the hostile study in a copy of the repository; return its site."""
    copy = repository_copy(tmp_path_factory.mktemp("book"))
    return build_book(copy, hostile_study)


def test_no_page_holds_an_active_payload(site):
    findings = {
        str(page.relative_to(site)): active_content(page.read_text(encoding="utf-8"))
        for page in site.rglob("*.html")
    }
    assert {page: found for page, found in findings.items() if found} == {}


def test_the_payloads_are_on_the_pages_as_text(site):
    # Sphinx's smart quotes may curl the payloads' quotes; the markup characters stay.
    thematic = (site / "chapters" / "02_thematic_analysis.html").read_text(encoding="utf-8")
    for shown in ("&lt;script&gt;alert(", "{download}`", "{glue:text}`n_excerpts`", "![p]("):
        assert shown in thematic, shown


def test_no_file_from_outside_the_repository_is_in_the_site(site, hostile_study):
    assert foreign_files(site) == []
    repository = site.parents[1]
    sources = [*hostile_study.rglob("*"), *repository.glob("[!_.]*/**/*"), *repository.glob("*")]
    known = {p.read_bytes() for p in sources if p.is_file()}
    downloads = [p for p in (site / "_downloads").rglob("*") if p.is_file()]
    assert [str(p.relative_to(site)) for p in downloads if p.read_bytes() not in known] == []


def test_no_page_opens_a_dialog_or_logs_an_error_in_a_browser(site, browser):
    # `browser` is the session's Chromium (tests/conftest.py): one Playwright per process.
    axe = Path(__file__).with_name("axe.min.js")
    problems = {}
    with serve(site) as origin:
        for page in toc_pages(ROOT):
            record = visit(browser, origin, f"{page}.html", axe)
            if record.dialogs or record.console_errors:
                problems[page] = record.dialogs + record.console_errors
            assert MARKER not in " ".join(record.requests)
    assert problems == {}


def test_the_checks_find_a_live_payload_and_a_copied_file(tmp_path):
    live = [
        "<script>alert('xss-script')</script>",
        "<img src=x onerror=\"alert('xss-img')\">",
        "<iframe src=about:blank></iframe>",
        "<a href=' javascript:alert(1)'>x</a>",
    ]
    assert [len(active_content(html)) > 0 for html in live] == [True] * len(live)
    assert active_content("<p>&lt;script&gt;alert('xss')&lt;/script&gt;</p>") == []
    copied = tmp_path / "_downloads" / "0123" / "passwd"
    copied.parent.mkdir(parents=True)
    copied.write_text("root:x:0:0:root:/root:/bin/bash\n")
    assert foreign_files(tmp_path) == ["_downloads/0123/passwd"]
