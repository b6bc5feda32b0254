"""Checks of the PDF edition, run by ``make pdf-check`` after ``make pdf`` built it.

Not collected by ``make test`` (the file name does not start with ``test_``):
CI runs ``make pdf-check`` after ``make test``. Poppler's command-line tools
(``make pdf-tools``) read the PDF; the HTML book is the reference for what it
must hold: every page of ``_toc.yml`` by its title, and every figure (matched by
its pixel size, since Chromium embeds a PNG at its own resolution).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, is_local
from PIL import Image

from alliance.book.chapter_outputs import toc_pages

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "pdf" / "alliance-compendium.pdf"
HTML = ROOT / "_build" / "html"
SINGLE = ROOT / "_build" / "singlehtml" / "book.html"
MIN_PAGES = 50
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _poppler(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{args[0]} failed: {result.stderr}"
    return result.stdout


class _Page(HTMLParser):
    """The first h1 (without its permalink) and the article's images of a built page."""

    def __init__(self) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.images: list[str] = []
        self._in_h1 = False
        self._in_headerlink = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        elif tag == "a" and "headerlink" in (attributes.get("class") or ""):
            self._in_headerlink = True
        elif tag == "img" and attributes.get("src"):
            self.images.append(attributes["src"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False
        elif tag == "a":
            self._in_headerlink = False

    def handle_data(self, data: str) -> None:
        if self._in_h1 and not self._in_headerlink:
            self.h1[-1] += data


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _parsed(page: str) -> tuple[_Page, Path]:
    path = HTML / f"{page}.html"
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser, path


@pytest.fixture(scope="module")
def pdf() -> Path:
    if not PDF.is_file():
        pytest.fail(f"no {PDF}: run `make pdf` first")
    return PDF


@pytest.fixture(scope="module")
def text(pdf) -> str:
    return _normalise(_poppler("pdftotext", "-enc", "UTF-8", str(pdf), "-"))


def test_at_least_fifty_pages(pdf):
    info = _poppler("pdfinfo", str(pdf))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    assert pages >= MIN_PAGES, f"{pdf.name}: {pages} pages"


@pytest.mark.parametrize("page", toc_pages(ROOT))
def test_every_page_of_the_toc_is_in_the_pdf(text, page):
    parsed, _ = _parsed(page)
    assert parsed.h1, f"{page}: no h1 in the HTML book"
    title = re.sub(r"^\d+(\.\d+)*\.?\s+", "", _normalise(parsed.h1[0]))
    assert title and title in text, f"{page}: title {title!r} not in the PDF's text"


def test_citations_and_references_are_in_the_pdf(text):
    assert "Nakash et al., 2020" in text, "no author-year citation in the PDF"
    assert "Qualitative Social Work" in text, "the bibliography is missing"


def test_no_figure_is_missing(pdf):
    wanted = Counter()
    for page in toc_pages(ROOT):
        parsed, path = _parsed(page)
        for src in parsed.images:
            with Image.open(path.parent / src) as image:
                wanted[image.size] += 1
    assert wanted, "the HTML book has no figures to look for"
    listing = _poppler("pdfimages", "-list", str(pdf)).splitlines()[2:]
    found = Counter(
        (int(row.split()[3]), int(row.split()[4])) for row in listing if row.split()[2] == "image"
    )
    missing = {size: n - found[size] for size, n in wanted.items() if found[size] < n}
    assert not missing, f"figures (width, height): missing count {missing} of {dict(wanted)}"


def test_printing_fetches_nothing_from_the_network():
    """The page that `make pdf` prints loads only local files (Chromium, all requests logged)."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if is_local(route.request.url, "file://") else route.abort()
                ),
            )
            page.goto(SINGLE.as_uri(), wait_until="networkidle")
        finally:
            browser.close()
    assert requests, "no request was logged"
    outside = [url for url in requests if not is_local(url, "file://")]
    assert not outside, f"printing the book would fetch: {outside}"


def test_the_introduction_links_this_pdf():
    parsed = HTML / "chapters" / "intro.html"
    links = re.findall(r'href="([^"]*alliance-compendium\.pdf)"', parsed.read_text("utf-8"))
    assert links, "the introduction does not link the PDF edition"
    for link in links:
        target = (parsed.parent / link).resolve()
        assert target.is_file() and target.read_bytes() == PDF.read_bytes(), link
