"""Small tables and facts a chapter shows about the study's codebook and coders.

The codebook of a study folder has an id and a label for every theme; the
valence grouping, the difficulty grades and the facets are optional. These
helpers show what a codebook has and leave out what it lacks, so a chapter runs
on the compendium's codebook and on any other.

Examples
--------
>>> codebook = {"themes": [{"id": "a", "label": "feeling heard", "valence": "positive"},
...                        {"id": "b", "label": "anger"}]}
>>> codebook_overview(codebook)["label"].to_dict()
{'a': 'feeling heard', 'b': 'anger'}
>>> theme_valence(codebook) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["codebook_overview", "facet_overview", "rater_ids", "theme_attribute", "theme_valence"]

THEME_COLUMNS: tuple[str, ...] = ("label", "valence", "difficulty")
"""Columns of :func:`codebook_overview`, each kept only when every theme has it."""

FACET_COLUMNS: tuple[str, ...] = ("group", "label", "informant")
"""Columns of :func:`facet_overview`, each kept only when every facet has it."""


def _overview(
    entries: list[Mapping[str, Any]], index: str, columns: tuple[str, ...]
) -> pd.DataFrame:
    """One row per entry, indexed by its id, with the columns every entry has."""
    kept = [c for c in columns if entries and all(entry.get(c) is not None for entry in entries)]
    rows = [[str(entry[c]) for c in kept] for entry in entries]
    ids = pd.Index([str(entry["id"]) for entry in entries], name=index)
    return pd.DataFrame(rows, columns=kept, index=ids)


def codebook_overview(codebook: Mapping[str, Any]) -> pd.DataFrame:
    """Return the codebook's themes, in its order, with the attributes every theme has.

    Parameters
    ----------
    codebook : mapping
        ``Study.codebook``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``theme`` (the id): ``label``, and ``valence`` and
        ``difficulty`` when every theme has them.

    Examples
    --------
    >>> from alliance.data.codebook import load_codebook
    >>> codebook_overview(load_codebook()).columns.tolist()
    ['label', 'valence', 'difficulty']
    """
    return _overview(list(codebook.get("themes") or []), "theme", THEME_COLUMNS)


def facet_overview(codebook: Mapping[str, Any]) -> pd.DataFrame:
    """Return the codebook's facets (possibly none), with the attributes every facet has.

    Examples
    --------
    >>> facet_overview({"themes": []}).shape
    (0, 0)
    """
    return _overview(list(codebook.get("facets") or []), "facet", FACET_COLUMNS)


def theme_attribute(codebook: Mapping[str, Any], name: str) -> dict[str, str] | None:
    """Map every theme to one of its attributes, or ``None`` if a theme lacks it.

    Examples
    --------
    >>> theme_attribute({"themes": [{"id": "a", "difficulty": "subtle"}]}, "difficulty")
    {'a': 'subtle'}
    """
    themes = list(codebook.get("themes") or [])
    if not themes or any(theme.get(name) is None for theme in themes):
        return None
    return {str(theme["id"]): str(theme[name]) for theme in themes}


def theme_valence(codebook: Mapping[str, Any]) -> dict[str, str] | None:
    """Map every theme to its valence (``positive``/``negative``), or ``None`` if one lacks it.

    Examples
    --------
    >>> theme_valence({"themes": [{"id": "a", "valence": "positive"}]})
    {'a': 'positive'}
    """
    return theme_attribute(codebook, "valence")


def rater_ids(ratings: pd.DataFrame) -> list[str]:
    """Return the raters of ``ratings.csv`` in the order they first appear.

    Examples
    --------
    >>> rater_ids(pd.DataFrame({"rater": ["Dana", "Ilan", "Dana"]}))
    ['Dana', 'Ilan']
    """
    return [str(rater) for rater in dict.fromkeys(ratings["rater"])]
