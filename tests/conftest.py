"""Shared pytest configuration for the compendium's tests: the browser fixtures.

The browser tests (``test_browser.py`` in the light colour mode,
``test_browser_dark.py`` in the dark one) share one local server, one Chromium and
one visit per page and mode within a pytest process; under pytest-xdist the two
files may run in different workers, each with its own browser.
"""

from __future__ import annotations

import os

import pytest
from browser_support import (
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    HTML,
    RELIABILITY,
    ROOT,
    SCREENSHOTS,
    accessibility_report,
    serve,
    visit,
)


@pytest.fixture(scope="session")
def origin():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} has no index.html: build the book first (`make book`)")
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.is_file():
        reason = f"no Chromium at {CHROMIUM}: run `make browser` to install Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but there is {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def visits(browser, origin):
    """Visit each page once per colour mode, on demand; every test about it reuses the visit.

    At the end, the findings below serious of each mode visited are written to
    ``_build/accessibility-report-<mode>.md``.
    """
    cache = {}

    def get(page: str, mode: str = "light"):
        if (page, mode) not in cache:
            shot = SCREENSHOTS / f"reliability-{mode}.png" if page == RELIABILITY else None
            cache[page, mode] = visit(
                browser, origin, f"{page}.html", AXE, screenshot=shot, mode=mode
            )
        return cache[page, mode]

    yield get
    for mode in sorted({mode for _, mode in cache}):
        records = {page: record for (page, m), record in cache.items() if m == mode}
        report = ROOT / "_build" / f"accessibility-report-{mode}.md"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(accessibility_report(records, mode), encoding="utf-8")
