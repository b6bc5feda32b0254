"""One setting re-targets the book: the key chapters run on a second, differently seeded study.

A second synthetic study is generated with another seed, and its ``alliance:synthetic``
marker is removed (as real data would have none) or changed. The key chapters are then
executed with ``ALLIANCE_DATA`` pointing at it, as ``ALLIANCE_DATA=... make book`` does: the
kernel inherits the environment. Each must run, must really read the other study (its
outputs differ from the committed ones), and the reproduction scorecard must say "not
applicable" instead of comparing the other study with the article.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from alliance.article.reconstruction import DEFAULT_SEED, write_study
from alliance.article.scorecard import MATCH, MISMATCH, NOT_APPLICABLE, reproduction_scorecard
from alliance.book.chapter_outputs import execute_chapter
from alliance.book.tables import SYNTHETIC_NOTE
from alliance.data.dataset import load_study
from alliance.data.paths import DATA_ENV_VAR
from alliance.data.schema import DATAPACKAGE_FILE, SYNTHETIC_KEY, write_datapackage

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
SECOND_SEED = DEFAULT_SEED + 1
KEY_CHAPTERS = (
    "03_reliability.ipynb",
    "04_themes_per_session.ipynb",
    "05_dyads.ipynb",
    "07_reproduction.ipynb",
    "13_planning_a_dyad_study.ipynb",
)


@pytest.fixture(scope="module")
def second_study(tmp_path_factory) -> Path:
    """A second synthetic study, seeded differently, still carrying its marker."""
    return write_study(tmp_path_factory.mktemp("second") / "study", seed=SECOND_SEED)


@pytest.fixture(scope="module")
def unmarked_study(second_study, tmp_path_factory) -> Path:
    """The second study without the alliance:synthetic marker, as real data would be."""
    folder = shutil.copytree(second_study, tmp_path_factory.mktemp("unmarked") / "study")
    write_datapackage(folder, synthetic=None)
    return folder


def _text_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                texts.append(output["text"])
            elif "text/plain" in output.get("data", {}):
                texts.append(output["data"]["text/plain"])
    return texts


def test_the_second_study_is_another_synthetic_reconstruction(second_study):
    study = load_study(second_study)
    assert study.synthetic["seed"] == SECOND_SEED
    book = load_study(ROOT / "data")
    assert not study.ratings.equals(book.ratings), "a different seed must give other codings"
    # Any seed of the generator reconstructs the article, so the comparison applies.
    card = reproduction_scorecard(study)
    assert set(card["match"]) == {MATCH}


def test_without_the_marker_the_scorecard_is_not_applicable(unmarked_study):
    package = json.loads((unmarked_study / DATAPACKAGE_FILE).read_text(encoding="utf-8"))
    assert SYNTHETIC_KEY not in package
    study = load_study(unmarked_study)
    assert study.synthetic is None
    card = reproduction_scorecard(study)
    assert set(card["match"]) == {NOT_APPLICABLE}
    assert card["recomputed"].notna().all(), "recomputed values are still shown"


def test_data_from_another_generator_are_not_compared(second_study, tmp_path):
    folder = shutil.copytree(second_study, tmp_path / "other")
    write_datapackage(folder, synthetic={"generator": "another.tool", "seed": 1, "scale": 1})
    assert set(reproduction_scorecard(load_study(folder))["match"]) == {NOT_APPLICABLE}


@pytest.mark.parametrize("chapter", KEY_CHAPTERS)
def test_key_chapter_runs_on_the_unmarked_study(chapter, unmarked_study, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(unmarked_study))
    executed = execute_chapter(CHAPTERS / chapter)
    fresh = _text_outputs(executed)
    committed = _text_outputs(nbformat.read(CHAPTERS / chapter, as_version=4))
    assert fresh != committed, f"{chapter} shows the same outputs: did it read ALLIANCE_DATA?"
    joined = "\n".join(fresh)
    assert "Data: synthetic reconstruction" not in joined
    assert f"({SYNTHETIC_NOTE})" not in joined, "a table calls unmarked data synthetic"
    assert f"({SYNTHETIC_NOTE})" in "\n".join(committed), "tables of the book are labelled"
    if chapter == "07_reproduction.ipynb":
        assert NOT_APPLICABLE in joined
        assert MATCH not in joined and MISMATCH not in joined
