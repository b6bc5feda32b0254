"""The book built on three unusual study folders tells each its own story (issue #13, item 3).

Three small study folders are generated here with
:func:`alliance.data.examples.write_example_study`, each unusual in its own way:

* ``small``: 6 dyads per group, client interviews only, two coders, five themes,
  half of the interviews double-coded (invented data);
* ``three_groups``: three groups by the client's own group (rule ``client``),
  both informants, three coders (invented data);
* ``real_looking``: other group names for the match rule, therapist interviews
  only, *not* marked invented (as a user's real study would be);
* ``split_caseloads``: two groups by the client's group, and every therapist sees
  clients of one group only (no comparison within a therapist's practice).

For each, the book is built with ``ALLIANCE_DATA=... make book`` in a copy of the
repository, as ``tests/test_injection_build.py`` does (the main ``_build`` is
never touched). To keep the suite within its budget the copy builds the chapters
whose prose depends on the study (:data:`STUDY_CHAPTERS`) and every prose page;
the teaching and own-data notebooks, which do not read ``ALLIANCE_DATA``, are
replaced by their title. The checks:

* the build succeeds (a failing cell fails it) and every page of the table of
  contents is in the site, with no error output;
* a caption says "synthetic data" exactly when the study is marked synthetic;
* no page of :data:`STUDY_CHAPTERS` carries, in its prose or outputs (code aside),
  a phrase that is true only of the article's study: its groups' names or
  ethnicities, its number of raters.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from book_build import ROOT, build_book, repository_copy

from alliance.book.chapter_outputs import toc_pages
from alliance.book.tables import SYNTHETIC_NOTE
from alliance.data.dataset import load_study
from alliance.data.examples import write_example_study
from alliance.data.schema import refresh_datapackage

STUDY_CHAPTERS = (
    "01_sampling",
    "02_thematic_analysis",
    "03_reliability",
    "04_themes_per_session",
    "05_dyads",
    "06_robustness",
    "07_reproduction",
    "08_what_the_abstract_pins_down",
    "13_planning_a_dyad_study",
)
"""Chapters that read the study in ``ALLIANCE_DATA``; every other notebook is stubbed."""

GROUP_CHAPTERS = STUDY_CHAPTERS[:6]
"""Chapters that report on the study's groups; 13 teaches planning in the article's terms."""

STUDIES = {
    "small": {
        "per_group": 6,
        "informants": ("client",),
        "raters": ("Dana", "Eli"),
        "themes": 5,
        "double_coded": 0.5,
        "seed": 1,
    },
    "three_groups": {
        "rule": "client",
        "variable": "arm",
        "groups": ("north", "south", "west"),
        "informants": ("client", "therapist"),
        "raters": ("R1", "R2", "R3"),
        "themes": 6,
        "double_coded": 1.0,
        "seed": 2,
    },
    "real_looking": {
        "groups": ("matched", "unmatched"),
        "values": ("Lowland", "Highland"),
        "informants": ("therapist",),
        "raters": ("Noa", "Omer"),
        "themes": 5,
        "double_coded": 0.5,
        "seed": 3,
        "invented": False,
    },
    "split_caseloads": {
        "rule": "client",
        "variable": "arm",
        "groups": ("a", "b"),
        "raters": ("R1", "R2"),
        "themes": 5,
        "seed": 4,
    },
}

ARTICLE_ONLY = ("Mizrahi", "Ashkenazi", "published exceptions")
"""Phrases that describe the article's study and no other generated here."""


def _one_group_per_therapist(folder: Path) -> None:
    """Give each group's sessions a therapist of their own (rule ``client``)."""
    read = {"dtype": str, "keep_default_na": False}
    sessions = pd.read_csv(folder / "sessions.csv", **read)
    clients = pd.read_csv(folder / "clients.csv", **read).set_index("client_id")
    therapists = pd.read_csv(folder / "therapists.csv", **read)["therapist_id"]
    groups = sessions["client_id"].map(clients["arm"])
    own = dict(zip(sorted(set(groups)), therapists, strict=False))
    sessions.assign(therapist_id=groups.map(own)).to_csv(folder / "sessions.csv", index=False)
    refresh_datapackage(folder)


def _stub(notebook: Path) -> None:
    """Replace a notebook that does not read the study by its title alone."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    title = next(line for line in cells[0]["source"] if line.startswith("# "))
    stub = {
        "cells": [{"cell_type": "markdown", "id": "stub", "metadata": {}, "source": [title]}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    notebook.write_text(json.dumps(stub), encoding="utf-8")


@pytest.fixture(scope="module", params=sorted(STUDIES))
def built(request, tmp_path_factory) -> tuple[str, Path, Path]:
    """Build the book on one generated study; return its name, folder and site."""
    name = request.param
    study = write_example_study(tmp_path_factory.mktemp(name) / "study", **STUDIES[name])
    if name == "split_caseloads":
        _one_group_per_therapist(study)
    copy = repository_copy(tmp_path_factory.mktemp(f"book-{name}"))
    for notebook in (copy / "chapters").glob("*.ipynb"):
        if notebook.stem not in STUDY_CHAPTERS:
            _stub(notebook)
    return name, study, build_book(copy, study)


def _text(page: Path, code: bool = True) -> str:
    """The visible text of a page, tags dropped and entities decoded (without code: prose)."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page.read_text(encoding="utf-8"))
    if not code:
        body = re.sub(r'(?s)<div class="highlight-ipython3[^"]*">.*?</pre>', " ", body)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _captions(page: Path) -> list[str]:
    """The texts of the page's figure and table captions."""
    found = re.finditer(r"(?s)<(figcaption|caption)\b.*?</\1>", page.read_text(encoding="utf-8"))
    return [html.unescape(re.sub(r"<[^>]+>", " ", caption[0])) for caption in found]


def _chapter_pages(site: Path) -> dict[str, Path]:
    return {stem: site / "chapters" / f"{stem}.html" for stem in STUDY_CHAPTERS}


def test_every_page_builds_without_an_error_output(built):
    _, _, site = built
    missing = [page for page in toc_pages(ROOT) if not (site / f"{page}.html").is_file()]
    assert missing == []
    errors = {
        stem: page.name
        for stem, page in _chapter_pages(site).items()
        if re.search(r"Traceback \(most recent call last\)", _text(page))
        or re.search(r'class="[^"]*output (traceback|error)', page.read_text(encoding="utf-8"))
    }
    assert errors == {}


def test_captions_say_synthetic_data_only_on_synthetic_data(built):
    _, study, site = built
    synthetic = load_study(study).synthetic is not None
    marked = {
        stem: [c for c in _captions(page) if SYNTHETIC_NOTE in c.lower()]
        for stem, page in _chapter_pages(site).items()
    }
    if synthetic:
        assert any(marked.values()), "an invented study's captions say synthetic data"
    else:
        assert {stem: found for stem, found in marked.items() if found} == {}


def test_no_page_tells_the_article_story_over_another_study(built):
    name, study, site = built
    design = load_study(study).design
    assert not design.reconstructs_article
    forbidden = {stem: list(ARTICLE_ONLY) for stem in STUDY_CHAPTERS}
    for stem in STUDY_CHAPTERS:
        if len(STUDIES[name]["raters"]) != 3:
            forbidden[stem].append("three raters")
        if stem in GROUP_CHAPTERS and set(design.grouping.labels) != {"concordant", "discordant"}:
            forbidden[stem] += ["concordant", "discordant"]
    found = {
        stem: sorted(
            {
                phrase
                for phrase in forbidden[stem]
                if phrase.lower() in _text(page, code=False).lower()
            }
        )
        for stem, page in _chapter_pages(site).items()
    }
    assert {stem: phrases for stem, phrases in found.items() if phrases} == {}, name


def test_split_caseloads_say_why_the_sensitivity_analyses_are_missing(built):
    name, study, site = built
    mixed = load_study(study).dyads.groupby("therapist_id")["dyad_type"].nunique().max() > 1
    robustness = _text(site / "chapters" / "06_robustness.html", code=False)
    assert ("no therapist saw clients of both groups" in robustness) == (not mixed)
    assert mixed == (name != "split_caseloads")


def test_the_study_s_own_names_are_on_the_pages(built):
    _, study, site = built
    design = load_study(study).design
    dyads = _text(site / "chapters" / "05_dyads.html")
    for group in design.grouping.labels:
        assert group in dyads
    assert design.label(design.themes[0]) in dyads
