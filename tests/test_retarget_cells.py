"""Which cells a chapter shows depends on the study's design (``_ext/study_design.py``).

Fast checks of the mechanism the three retargeted builds of
``tests/test_retarget_build.py`` rely on: a cell whose ``only`` condition is false
is left out; every condition in the chapters names known tags; the compendium's
own data keep every code cell, so the build's execution is the one strict nbval
compares; and the tags follow the design of the study they are read from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sphinx.util.tags import Tags

from alliance.data.dataset import load_study
from alliance.data.examples import write_example_study

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import study_design  # noqa: E402  (a Sphinx extension of the book, not a package)

TAGS = {
    "reconstructs_article",
    "two_groups",
    "both_informants",
    "mixed_caseloads",
    "client",
    "therapist",
    "synthetic",
}
CODEBOOK_TAGS = {"codebook_valence", "codebook_difficulty"}


class _App:
    """The part of a Sphinx application the tag hook uses."""

    def __init__(self) -> None:
        self.tags = Tags()


def _tags_of(monkeypatch, folder: Path | None) -> set[str]:
    if folder is not None:
        monkeypatch.setenv("ALLIANCE_DATA", str(folder))
    app = _App()
    study_design.study_tags(app)
    return {tag for tag in TAGS if app.tags.has(tag)}


def _conditions() -> list[tuple[str, str, str]]:
    found = []
    for chapter in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell in json.loads(chapter.read_text(encoding="utf-8"))["cells"]:
            if study_design.CONDITION in cell["metadata"]:
                found.append((chapter.name, cell["cell_type"], cell["metadata"]["only"]))
    return found


def test_a_cell_with_a_false_condition_is_left_out():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "always"},
            {"cell_type": "code", "metadata": {"only": "two_groups"}, "source": "x"},
            {"cell_type": "markdown", "metadata": {"only": "not two_groups"}, "source": "y"},
        ]
    }
    kept = study_design.keep_cells(json.loads(json.dumps(notebook)), Tags(["two_groups"]))
    assert [cell["source"] for cell in kept["cells"]] == ["always", "x"]
    kept = study_design.keep_cells(json.loads(json.dumps(notebook)), Tags())
    assert [cell["source"] for cell in kept["cells"]] == ["always", "y"]


def test_every_condition_names_known_tags():
    conditions = _conditions()
    assert conditions, "the retargeted chapters carry conditions"
    for chapter, _, condition in conditions:
        words = set(condition.replace("(", " ").replace(")", " ").split())
        assert words - {"and", "or", "not"} <= TAGS | CODEBOOK_TAGS, (chapter, condition)


def test_the_compendium_s_data_keep_every_code_cell(monkeypatch):
    tags = Tags(sorted(_tags_of(monkeypatch, None)))
    assert {"reconstructs_article", "two_groups", "both_informants", "mixed_caseloads"} <= set(tags)
    dropped = [
        (chapter, condition)
        for chapter, kind, condition in _conditions()
        if kind == "code" and not tags.eval_condition(condition)
    ]
    assert dropped == []


@pytest.mark.parametrize(
    ("design", "expected"),
    [
        ({"informants": ("client",)}, {"client", "two_groups", "synthetic", "mixed_caseloads"}),
        (
            {"rule": "client", "groups": ("a", "b", "c"), "variable": "arm", "invented": False},
            {"client", "therapist", "both_informants", "mixed_caseloads"},
        ),
    ],
)
def test_the_tags_follow_the_study_s_design(design, expected, monkeypatch, tmp_path):
    folder = write_example_study(tmp_path / "study", **design)
    assert _tags_of(monkeypatch, folder) == expected
    assert not load_study(folder).design.reconstructs_article
