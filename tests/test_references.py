"""The bibliography is complete and lists only what the book cites.

Every entry of ``references.bib`` needs a title, a year and full author names (a
family name and a given name or initials for every author; no "et al." and no
"and others"), and a DOI or URL unless it is on the short allow-list of works that
have neither (books and a few papers from before DOIs). Every entry is cited
somewhere in the chapters, and every citation resolves to an entry.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parents[1]

WITHOUT_DOI = {
    "cohen1988": "book",
    "gwet2014": "book",
    "kish1965": "book",
    "krippendorff2018": "book",
    "holm1979": "journal issue without DOIs",
    "randolph2005": "symposium paper without DOI",
    "lincoln1985": "book",
    "boyatzis1998": "book",
    "macqueen1998": "newsletter-journal article (Cultural Anthropology Methods); no DOI verified",
}
"""Entries allowed to have neither DOI nor URL, with the reason."""

CITATION = re.compile(r"\{cite:[a-z]+\}`([^`]+)`")

BIBLIOGRAPHY = parse_file(str(ROOT / "references.bib"), bib_format="bibtex")
ENTRIES = dict(BIBLIOGRAPHY.entries)


def _cited_keys() -> set[str]:
    keys: set[str] = set()
    for path in sorted((ROOT / "chapters").glob("*.*")):
        if path.suffix not in {".md", ".ipynb"}:
            continue
        for match in CITATION.finditer(path.read_text(encoding="utf-8")):
            keys.update(key.strip() for key in match.group(1).split(","))
    return keys


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_entry_has_title_year_and_full_authors(key: str) -> None:
    entry = ENTRIES[key]
    assert entry.fields.get("title", "").strip(), f"{key}: no title"
    assert re.fullmatch(r"\d{4}", entry.fields.get("year", "")), f"{key}: no four-digit year"
    authors = entry.persons.get("author", [])
    assert authors, f"{key}: no authors"
    for person in authors:
        name = str(person)
        assert not re.search(r"\bet al\b|\bothers\b", name, re.IGNORECASE), (
            f"{key}: author list is incomplete ({name!r})"
        )
        assert person.last_names and (person.first_names or person.middle_names), (
            f"{key}: author {name!r} needs a family name and a given name or initials"
        )


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_entry_has_doi_or_url(key: str) -> None:
    fields = ENTRIES[key].fields
    if key in WITHOUT_DOI:
        assert "doi" not in fields and "url" not in fields, (
            f"{key} has a DOI or URL now: take it off the allow-list"
        )
        return
    assert fields.get("doi") or fields.get("url"), f"{key}: no DOI or URL"
    if "doi" in fields:
        assert fields["doi"].startswith("10."), f"{key}: DOI {fields['doi']!r} is malformed"


def test_no_placeholder_fields() -> None:
    for key, entry in ENTRIES.items():
        for name, value in entry.fields.items():
            assert "not verified" not in value.lower(), f"{key}.{name}: placeholder {value!r}"


def test_bibliography_lists_only_cited_works() -> None:
    cited = _cited_keys()
    assert cited, "no citations found in chapters/"
    assert sorted(cited - set(ENTRIES)) == [], "cited but not in references.bib"
    assert sorted(set(ENTRIES) - cited) == [], "in references.bib but cited nowhere"
    page = (ROOT / "chapters" / "references.md").read_text(encoding="utf-8")
    assert ":all:" not in page, "the bibliography page must list only cited works"
