"""The book in the theme's dark colour mode: accessibility, screenshots and figures.

Every page of the table of contents is opened as a reader who chose dark mode
sees it (the choice stored as the colour-mode button stores it) and checked by
axe-core; serious and critical findings fail, the others are written to
``_build/accessibility-report-dark.md``. The home page and the reliability chapter
are saved as screenshots. Fixtures: ``conftest.py``; the light mode:
``test_browser.py``.
"""

from __future__ import annotations

import pytest
from browser_support import RELIABILITY, ROOT, blocking_findings
from test_browser import screenshots_of_home_and_reliability

from alliance.book.chapter_outputs import toc_pages

PAGES = toc_pages(ROOT)


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_serious_accessibility_findings_in_dark_mode(visits, page):
    record = visits(page, "dark")
    assert record.facts["theme"] == "dark", f"{page}: shown in {record.facts['theme']!r} mode"
    blocking = blocking_findings(record)
    assert not blocking, f"{page} (dark mode): axe-core findings:\n" + "\n".join(blocking)


def test_screenshots_of_home_and_reliability_in_dark_mode(browser, origin, visits):
    screenshots_of_home_and_reliability(browser, origin, visits, "dark")


def test_figures_keep_their_colours_on_a_dark_page(visits):
    """A figure sits on a deliberate white card, unfiltered (_static/dark-mode.css)."""
    styles = visits(RELIABILITY, "dark").facts["figure_styles"]
    assert styles, f"{RELIABILITY}: no figure found"
    for style in styles:
        assert style["pageBackground"] != "rgb(255, 255, 255)", "the page is not dark"
        assert style["filter"] == "none", f"{RELIABILITY}: figure dimmed by {style['filter']}"
        assert style["background"] == "rgb(255, 255, 255)", f"{RELIABILITY}: {style}"
