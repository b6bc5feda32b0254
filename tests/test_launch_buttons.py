"""One setting turns the repository and launch buttons on.

A small book (a copy of the real _config.yml, one Markdown page and one tiny
notebook) is built twice in a temporary folder: with ``repository.url`` empty,
as in the repository, no page links a repository, issue tracker, editor or launch
service; with a placeholder URL, the notebook page links each of them, at the
address that service expects.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml
from book_build import jupyter_book_build

ROOT = Path(__file__).resolve().parents[1]
OWNER_REPO = "example-owner/example-repo"
URL = f"https://github.com/{OWNER_REPO}"
PAGE = "chapters/tiny"
EXPECTED = {
    "repository": URL,
    "issues": f"{URL}/issues/new?title=Issue%20on%20page%20%2F{PAGE}.html",
    "edit": f"{URL}/edit/main/{PAGE}.ipynb",
    "binder": f"https://mybinder.org/v2/gh/{OWNER_REPO}/main?urlpath=lab/tree/{PAGE}.ipynb",
    "colab": f"https://colab.research.google.com/github/{OWNER_REPO}/blob/main/{PAGE}.ipynb",
}
OUTSIDE = re.compile(r"github\.com|mybinder\.org|colab\.research\.google\.com")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value or "" for name, value in attrs if name == "href"]


def _links(html: Path) -> list[str]:
    parser = _Links()
    parser.feed(html.read_text(encoding="utf-8"))
    return parser.hrefs


def _build(tmp_path: Path, url: str) -> Path:
    book = tmp_path / "book"
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["url"] == "", "the repository's _config.yml sets the URL"
    config["repository"]["url"] = url
    (book / "chapters").mkdir(parents=True)
    (book / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    for name in ("references.bib",):
        shutil.copy2(ROOT / name, book / name)
    for name in ("_ext", "_static", "_vendor"):
        shutil.copytree(ROOT / name, book / name, ignore=shutil.ignore_patterns("__pycache__"))
    (book / "_toc.yml").write_text(
        f"format: jb-book\nroot: chapters/intro\nchapters:\n  - file: {PAGE}\n", encoding="utf-8"
    )
    (book / "chapters" / "intro.md").write_text("# Tiny book\n\nA page.\n", encoding="utf-8")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Tiny chapter"),
        nbformat.v4.new_code_cell("1 + 1"),
    ]
    nbformat.write(notebook, book / f"{PAGE}.ipynb")
    jupyter_book_build(book)
    return book / "_build" / "html"


@pytest.fixture(scope="module")
def with_url(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("with-url"), URL)


@pytest.fixture(scope="module")
def without_url(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("without-url"), "")


@pytest.mark.parametrize("button", sorted(EXPECTED))
def test_the_url_turns_the_button_on(with_url, button):
    links = _links(with_url / f"{PAGE}.html")
    wanted = EXPECTED[button]
    found = [href for href in links if href == wanted or href.startswith(wanted + "&")]
    assert found, f"no {button} button linking {wanted}; outside links: " + str(
        [h for h in links if OUTSIDE.search(h)]
    )


def test_markdown_pages_get_repository_buttons_but_no_launch(with_url):
    links = _links(with_url / "chapters" / "intro.html")
    assert URL in links
    assert f"{URL}/edit/main/chapters/intro.md" in links
    assert not [h for h in links if "mybinder.org" in h or "colab.research" in h], links


def test_no_url_no_outside_buttons(without_url):
    for page in (f"{PAGE}.html", "chapters/intro.html"):
        outside = [h for h in _links(without_url / page) if OUTSIDE.search(h)]
        assert not outside, f"{page}: buttons without a repository URL: {outside}"


def test_no_live_code_button(with_url):
    """thebe would load its code from a CDN; the offline book leaves it out."""
    html = (with_url / f"{PAGE}.html").read_text(encoding="utf-8")
    assert "thebe" not in html.lower()
