"""The book as readers meet it: every page of the table of contents in a real browser.

The built site (``_build/html``, made by ``make book``) is served from 127.0.0.1
and opened in Debian's Chromium through Playwright, one browser for the whole
session and one visit per page. Every request is logged: the site must work
offline, so any request to another host fails the test. axe-core (vendored from
npm into ``tests/axe.min.js``) checks accessibility; serious and critical
findings fail, minor and moderate ones are written to
``_build/accessibility-report-light.md``. Two pages are saved as screenshots under
``_build/screenshots/``. The same checks in the theme's dark mode are in
``test_browser_dark.py``; the fixtures are in ``conftest.py``.

Outside CI the tests skip only when no Chromium is installed (``make browser``
installs it); with ``CI`` set they fail instead.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from io import BytesIO

import pytest
from browser_support import (
    AXE,
    HTML,
    RELIABILITY,
    ROOT,
    SCREENSHOTS,
    blocking_findings,
    broken_internal_link,
    visit,
)

from alliance.book.chapter_outputs import toc_pages
from alliance.data.published import figure

PAGES = toc_pages(ROOT)
NOTEBOOK_PAGES = [page for page in PAGES if (ROOT / f"{page}.ipynb").is_file()]
SCORECARD = "chapters/07_reproduction"


def test_vendored_front_end_files_are_the_pinned_versions():
    pins = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    mathjax = (ROOT / "_vendor" / "_static" / "mathjax" / "tex-chtml-full.js").read_text()
    assert f'.VERSION="{pins["mathjax"]}"' in mathjax, "run `make vendor`"
    assert AXE.read_text().startswith(f"/*! axe v{pins['axe-core']}\n"), "run `make vendor`"


def test_the_toc_lists_built_pages():
    missing = [page for page in PAGES if not (HTML / f"{page}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML in {HTML}: {missing}"


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_errors(visits, page):
    record = visits(page)
    assert record.console_errors == [], f"{page}: console errors {record.console_errors}"
    assert record.failed == [], f"{page}: failed requests {record.failed}"
    assert record.dialogs == [], f"{page}: dialogs {record.dialogs}"


@pytest.mark.parametrize("page", PAGES)
def test_page_makes_no_request_to_another_host(visits, origin, page):
    record = visits(page)
    assert record.requests, f"{page}: no request was logged at all"
    assert record.blocked == [], f"{page}: requests that would leave {origin}: {record.blocked}"


@pytest.mark.parametrize("page", PAGES)
def test_images_decode_and_have_alt_text(visits, page):
    for image in visits(page).facts["images"]:
        assert image["naturalWidth"] > 0, f"{page}: image did not decode: {image['src']}"
        assert (image["alt"] or "").strip(), f"{page}: image without alt text: {image['src']}"


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset_by_the_vendored_mathjax(visits, page):
    facts = visits(page).facts
    if facts["math"]:
        assert facts["typeset"] >= facts["math"], (
            f"{page}: {facts['math']} math elements but {facts['typeset']} typeset by MathJax"
        )


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_and_anchors_resolve(visits, origin, page):
    broken = []
    for link in visits(page).facts["links"]:
        reason = broken_internal_link(link["href"], origin, HTML)
        if reason:
            broken.append(f"{link['raw']!r} ({link['text'][:40]!r}): {reason}")
    assert not broken, f"{page}: broken internal links:\n" + "\n".join(broken)


@pytest.mark.parametrize("page", PAGES)
def test_page_has_title_language_and_one_h1(visits, page):
    facts = visits(page).facts
    assert facts["title"], f"{page}: empty <title>"
    assert facts["lang"], f"{page}: <html> has no lang attribute"
    assert len(facts["h1"]) == 1, f"{page}: expected one h1, found {facts['h1']}"


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_serious_accessibility_findings(visits, page):
    record = visits(page, "light")
    assert record.facts["theme"] == "light", f"{page}: shown in {record.facts['theme']!r} mode"
    blocking = blocking_findings(record)
    assert not blocking, f"{page}: axe-core findings:\n" + "\n".join(blocking)


@pytest.mark.parametrize("term", ["kappa", "Mizrahi"])
def test_search_finds(browser, origin, term):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{origin}/search.html?q={term}", wait_until="networkidle")
        results = page.locator("#search-results ul.search li")
        results.first.wait_for(timeout=20_000)
        titles = results.all_inner_texts()
    finally:
        context.close()
    assert titles, f"search for {term!r} found nothing"


def test_scorecard_shows_its_glued_values(visits):
    facts = visits(SCORECARD).facts
    assert facts["glued"], f"{SCORECARD}: no glued value is rendered"
    empty = [i for i, value in enumerate(facts["glued"]) if not value]
    assert not empty, f"{SCORECARD}: glued values {empty} rendered empty"
    for key in ("kappa_therapist", "kappa_client"):
        shown = figure(key).formatted()
        assert shown in facts["text"], f"{SCORECARD}: published {key} {shown} not shown"


def _download(browser, url: str) -> bytes:
    context = browser.new_context()
    try:
        response = context.request.get(url)
        assert response.ok, f"download {url}: HTTP {response.status}"
        return response.body()
    finally:
        context.close()


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_download_button_gives_the_chapter_notebook(visits, browser, page):
    links = [
        link["href"]
        for link in visits(page).facts["links"]
        if "btn-download-source-button" in link["classes"] and link["href"].endswith(".ipynb")
    ]
    assert len(links) == 1, f"{page}: expected one .ipynb download button, found {links}"
    body = _download(browser, links[0])
    assert body == (ROOT / f"{page}.ipynb").read_bytes(), f"{page}: downloaded notebook differs"


def _download_links(visits, suffixes: tuple[str, ...]) -> list[str]:
    return sorted(
        {
            link["href"]
            for page in PAGES
            for link in visits(page).facts["links"]
            if link["href"].split("?")[0].split("#")[0].endswith(suffixes)
        }
    )


def test_data_package_downloads(visits, browser):
    links = _download_links(visits, ("datapackage.json", ".zip"))
    assert links, "no page links the data package (datapackage.json or a .zip)"
    for url in links:
        body = _download(browser, url)
        if url.endswith(".zip"):
            with zipfile.ZipFile(BytesIO(body)) as archive:
                names = archive.namelist()
                descriptor = next((n for n in names if n.endswith("datapackage.json")), None)
                assert descriptor, f"{url}: zip without datapackage.json ({names})"
                body = archive.read(descriptor)
        package = json.loads(body)
        assert package.get("resources"), f"{url}: data package lists no resources"


def test_qdc_codebook_downloads(visits, browser):
    links = _download_links(visits, (".qdc",))
    assert links, "no page links the .qdc codebook"
    for url in links:
        root = ET.fromstring(_download(browser, url))
        assert root.tag.rsplit("}", 1)[-1] == "CodeBook", f"{url}: root is {root.tag}"
        codes = [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "Code"]
        assert codes, f"{url}: codebook without codes"


def screenshots_of_home_and_reliability(browser, origin, visits, mode: str) -> None:
    """Save full-page screenshots of two pages in one colour mode, and check them."""
    visits(RELIABILITY, mode)  # saves reliability-<mode>.png
    home = SCREENSHOTS / f"home-{mode}.png"
    record = visit(browser, origin, "index.html", AXE, screenshot=home, mode=mode)
    location = record.facts["location"]
    assert location.endswith("/chapters/intro.html"), f"home redirects to {location}"
    assert record.facts["theme"] == mode
    for name in (f"home-{mode}.png", f"reliability-{mode}.png"):
        png = (SCREENSHOTS / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000, f"{name} looks empty"


def test_screenshots_of_home_and_reliability(browser, origin, visits):
    screenshots_of_home_and_reliability(browser, origin, visits, "light")
