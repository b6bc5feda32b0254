"""The book's conditional passages (alliance.book.prose) and the chapters that paste them.

A passage is pasted with ``{glue:md}`` and may refer to values the chapter glues
(``{glue:text}`key```, ``{glue} key``); a reference to a key the chapter never glues
is a broken sentence on the page. The committed outputs of each chapter (the
compendium's own data, which reconstruct the article, so every article passage is
shown) record every key it glued.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from alliance.book import prose

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
PASSAGES = yaml.safe_load(
    (ROOT / "src" / "alliance" / "resources" / prose.PASSAGES_FILE).read_text("utf-8")
)
REFERENCE = re.compile(r"\{glue:text\}`([A-Za-z0-9_]+)|```\{glue(?::figure)?\} ([A-Za-z0-9_]+)")


def _glued(chapter: Path) -> set[str]:
    """Every key the chapter's committed outputs glued."""
    notebook = json.loads(chapter.read_text(encoding="utf-8"))
    return {
        output["metadata"]["scrapbook"]["name"]
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }


def _chapter(name: str) -> Path:
    (found,) = CHAPTERS.glob(f"{name.split('.')[0]}_*.ipynb")
    return found


def test_every_passage_has_a_text_and_one_replacement():
    for name, entry in PASSAGES.items():
        assert entry.get("text"), name
        assert ("what" in entry) != ("otherwise" in entry), name


@pytest.mark.parametrize("name", sorted(PASSAGES))
def test_every_value_a_passage_refers_to_is_glued_by_its_chapter(name):
    chapter = _chapter(name)
    glued = _glued(chapter)
    entry = PASSAGES[name]
    for part in ("text", "otherwise"):
        keys = {a or b for a, b in REFERENCE.findall(entry.get(part) or "")}
        assert keys <= glued, (name, part, sorted(keys - glued))


@pytest.mark.parametrize("name", sorted(PASSAGES))
def test_every_passage_is_pasted_by_its_chapter(name):
    source = "".join(
        "".join(cell["source"])
        for cell in json.loads(_chapter(name).read_text(encoding="utf-8"))["cells"]
    )
    stem = name.split(".", 1)[1]
    assert name in source or re.search(rf'"{stem}"', source), name


def test_an_article_passage_is_replaced_by_one_line_saying_why():
    name = next(name for name, entry in PASSAGES.items() if "what" in entry)
    line = prose.passage(name, False).data
    assert line == f"{PASSAGES[name]['what']} is not shown: {prose.NOT_ARTICLE}."
    assert "\n" not in line
    assert prose.passage(name, True).data == PASSAGES[name]["text"].strip()


def test_an_unknown_passage_is_refused():
    with pytest.raises(KeyError, match="no book passage"):
        prose.passage("99.nothing", True)
