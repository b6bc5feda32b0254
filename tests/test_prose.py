"""The chapters' glued values and the sentences of alliance.book.prose.

A markdown cell refers to values the chapter glues (``{glue:text}`key```,
``{glue} key``, ``{glue:figure} key``, ``{glue:md}`key```); a reference to a key the
chapter never glues is a broken sentence on the page. The committed outputs of
each chapter (the compendium's own data, on which every condition without ``not``
holds, see ``_ext/study_design.py``) record every key it glued, so the check runs on
every markdown cell the compendium's build shows.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from sphinx.util.tags import Tags

from alliance.book import prose

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
sys.path.insert(0, str(ROOT / "_ext"))
import study_design  # noqa: E402  (a Sphinx extension of the book, not a package)

REFERENCE = re.compile(
    r"\{glue(?::text|:md)?\}`([A-Za-z0-9_]+)|```\{glue(?::figure|:md)?\} ([A-Za-z0-9_]+)"
)


def _shown_cells(notebook: dict) -> list[dict]:
    """The cells the compendium's own build shows: every condition without ``not`` holds."""
    positive = {
        word
        for cell in notebook["cells"]
        for word in cell["metadata"].get(study_design.CONDITION, "").split()
        if word not in {"and", "or", "not"}
    }
    return study_design.keep_cells(notebook, Tags(sorted(positive)))["cells"]


def _glued(notebook: dict) -> set[str]:
    """Every key the chapter's committed outputs glued."""
    return {
        output["metadata"]["scrapbook"]["name"]
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }


@pytest.mark.parametrize("chapter", sorted(p.name for p in CHAPTERS.glob("*.ipynb")))
def test_every_value_a_markdown_cell_refers_to_is_glued_by_its_chapter(chapter):
    notebook = json.loads((CHAPTERS / chapter).read_text(encoding="utf-8"))
    glued = _glued(notebook)
    missing = {
        cell["id"]: sorted({a or b for a, b in REFERENCE.findall("".join(cell["source"]))} - glued)
        for cell in _shown_cells(notebook)
        if cell["cell_type"] == "markdown"
    }
    assert {cell: keys for cell, keys in missing.items() if keys} == {}


def test_a_reference_to_a_key_never_glued_is_found():
    notebook = {
        "cells": [
            {
                "cell_type": "markdown",
                "id": "a",
                "metadata": {},
                "source": ["{glue:text}`nowhere`"],
            },
            {"cell_type": "markdown", "id": "b", "metadata": {"only": "not x"}, "source": ["x"]},
        ]
    }
    assert [cell["id"] for cell in _shown_cells(notebook)] == ["a"]
    assert {a or b for a, b in REFERENCE.findall("{glue:text}`nowhere`")} - _glued(notebook)


def _paradox(kappa_rare: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme": ["rare", "common"],
            "prevalence": [0.1, 0.5],
            "percent_agreement": [0.9, 0.9],
            "chance_agreement": [0.82, 0.5],
            "fleiss_kappa": [kappa_rare, 0.8],
            "gwet_ac1": [0.88, 0.8],
        }
    )


def test_the_paradox_sentences_say_when_the_data_do_not_show_it():
    shown = prose.paradox_sentences(_paradox(0.44), str)
    assert shown["kappas"].startswith("Here kappa is 0.44")
    # (1 - 0.5) / (1 - 0.82): a disagreement on the rare theme costs 2.8 times as much.
    assert "about 2.8 times" in shown["room"]
    absent = prose.paradox_sentences(_paradox(0.85), str)
    assert absent["kappas"].startswith("On these data this theme does not show the paradox")
    assert "(0.85)" in absent["kappas"] and "(0.80)" in absent["kappas"]


def test_a_passage_left_out_for_another_study_says_why_in_the_book_s_words():
    """Every typed "... is not shown: <why>." line uses prose.not_shown's reason."""
    lines = [
        "".join(cell["source"])
        for chapter in sorted(CHAPTERS.glob("*.ipynb"))
        for cell in json.loads(chapter.read_text(encoding="utf-8"))["cells"]
        if cell["metadata"].get(study_design.CONDITION) == "not reconstructs_article"
        and " is not shown: " in "".join(cell["source"])
    ]
    assert lines, "chapters 01-04 type their not-shown lines"
    for line in lines:
        what = line.split(" is not shown: ")[0]
        assert line == prose.not_shown(what), line
