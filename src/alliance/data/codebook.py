"""The codebook: a study's themes and their finer facets.

A study's ``codebook.yaml`` defines its own themes: any number (at least one),
any safe ids (:data:`ID_PATTERN`), in the file's order, each with a ``label``
and optionally a definition, valence, difficulty, include and exclude rules and
an example. Facets, facet groups, the valence grouping and difficulty levels
are optional.

The compendium's own codebook has the eight themes of the reconstructed study
(:data:`THEMES`): their labels and order are published (Nakash et al.,
*Qualitative Social Work*, doi:10.1177/1473325020923013); their definitions, the
coding rules, the positive/negative valence grouping, the coding difficulty and
the facets are this compendium's own; ``codebook.yaml`` says so in its header.

Examples
--------
>>> from alliance.data.codebook import THEMES, load_codebook, theme_table
>>> THEMES[0], len(THEMES)
('understood', 8)
>>> codebook = load_codebook()
>>> theme_table(codebook).loc[6, ["theme", "label", "valence"]].tolist()
['anger', 'anger and hostility', 'negative']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

THEMES: tuple[str, ...] = (
    "understood",
    "comfortable",
    "openness",
    "trust",
    "empathy",
    "frustration",
    "anger",
    "disengagement",
)
"""Theme ids of the synthetic study (the compendium's codebook), in the published order.

Another study's themes are those of its own ``codebook.yaml``
(:attr:`alliance.data.design.Design.themes`).
"""

ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]*"
"""Identifiers: letters, digits, ``_``, ``.`` and ``-``, starting with a letter or digit."""

VALENCES: tuple[str, ...] = ("positive", "negative")
"""Valence of a theme (our grouping) or of a facet."""

DIFFICULTIES: tuple[str, ...] = ("explicit", "moderate", "subtle")
"""How hard a theme is to code reliably, from the easiest to the hardest (our judgement)."""

INFORMANTS: tuple[str, ...] = ("client", "therapist")
"""Whose interview a facet is coded in."""

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The C implementation of PyYAML's safe loader when available (same result, faster)."""

REQUIRED_THEME_KEYS: tuple[str, ...] = ("id", "label")
"""Keys every theme entry of ``codebook.yaml`` has; the others are optional."""

THEME_KEYS: tuple[str, ...] = (
    *REQUIRED_THEME_KEYS,
    "valence",
    "difficulty",
    "definition",
    "include",
    "exclude",
    "example",
)
"""Keys a theme entry may have (the compendium's codebook has them all); each is type-checked."""

FACET_KEYS: tuple[str, ...] = (
    "id",
    "group",
    "label",
    "informant",
    "definition",
    "parent_themes",
    "examples",
)
"""Keys every facet entry of ``codebook.yaml`` has."""

_TOP_KEYS = ("themes",)
_OPTIONAL_SECTIONS = ("facet_groups", "facets")


def codebook_text() -> str:
    """Return the text of the compendium's ``codebook.yaml`` as shipped in the package.

    Examples
    --------
    >>> codebook_text().startswith("# Codebook")
    True
    """
    return resources.files("alliance").joinpath("resources", "codebook.yaml").read_text("utf-8")


def load_codebook(path: Path | str | None = None) -> dict[str, Any]:
    r"""Read and check a ``codebook.yaml``.

    Parameters
    ----------
    path : pathlib.Path or str, optional
        A codebook file; defaults to the compendium's own (see :func:`codebook_text`).

    Returns
    -------
    dict
        The parsed codebook, with ``themes`` (at least one) and, when the file
        has them, ``facet_groups``, ``facets``, ``valence_grouping`` and
        ``difficulty_levels``. Nothing is added or changed.

    Raises
    ------
    CodebookError
        A ``ValueError`` listing every problem: the file is not a mapping, has no
        themes, an entry lacks ``id`` or ``label``, an id is not a safe identifier
        (:data:`ID_PATTERN`) or appears twice, a field has the wrong type (a label
        that is not one line of text, rules that are not a list of texts, an empty
        definition), or a facet has an unknown group, informant, valence or parent
        theme (one of this codebook's themes). The message names the file and the entry.

    Examples
    --------
    >>> codebook = load_codebook()
    >>> [t["id"] for t in codebook["themes"]] == list(THEMES)
    True
    >>> codebook["valence_grouping"]["source"]
    'ours'
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "codebook.yaml"
    >>> _ = path.write_text("themes:\n- {id: heard, label: feeling heard}\n")
    >>> load_codebook(path)["themes"]
    [{'id': 'heard', 'label': 'feeling heard'}]
    """
    name = "codebook.yaml (package)" if path is None else str(path)
    text = codebook_text() if path is None else Path(path).read_text(encoding="utf-8")
    codebook = yaml.load(text, Loader=YAML_LOADER)
    problems = _codebook_problems(codebook)
    if problems:
        raise CodebookError(name, problems)
    return codebook


class CodebookError(ValueError):
    """A codebook breaks its schema; :attr:`problems` lists every problem, one text each.

    Each problem names the entry (theme, facet group or facet, by id) and the field.
    """

    def __init__(self, name: str, problems: list[str]) -> None:
        self.name = name
        self.problems = problems
        super().__init__(f"{name}: " + "; ".join(problems))


def _missing_keys(entry: object, keys: tuple[str, ...], where: str) -> list[str]:
    """Return a problem for every key of ``keys`` that ``entry`` lacks."""
    if not isinstance(entry, Mapping):
        return [f"{where} is not a mapping (got {type(entry).__name__})"]
    return [f"{where} has no {key!r}" for key in keys if key not in entry]


def _text_problem(value: object) -> str | None:
    """Say what is wrong with a codebook text (``None`` when it is fine).

    Every text is one line of printable characters (YAML's ``>-`` folds a long
    one): labels head tables and figures, and every text must survive the
    REFI-QDA exchange (:mod:`alliance.exchange.refi`), which has no line breaks.
    """
    if not isinstance(value, str):
        return f"must be text, got {type(value).__name__} {value!r}"
    if not value.strip():
        return "must not be empty"
    if len(value.splitlines()) > 1 or not value.isprintable():
        return f"must be one line of printable text, got {value!r}"
    return None


def _field_problems(entry: Mapping[str, Any], where: str, fields: Mapping[str, str]) -> list[str]:
    """Check the type of each field of an entry; ``fields`` maps a key to its kind.

    Kinds: ``text`` (one line of text), ``list`` (a non-empty list of texts),
    ``map`` (a mapping, checked by the caller).
    """
    problems = []
    for key, kind in fields.items():
        if key not in entry:
            continue
        value = entry[key]
        if kind == "text":
            problem = _text_problem(value)
            if problem:
                problems.append(f"{where}, field {key!r}: {problem}")
        elif kind == "list":
            if not isinstance(value, list) or not value:
                got = f"{type(value).__name__} {value!r}"
                problems.append(f"{where}, field {key!r}: must be a non-empty list, got {got}")
                continue
            for position, item in enumerate(value):
                problem = _text_problem(item)
                if problem:
                    problems.append(f"{where}, field {key!r}[{position}]: {problem}")
        elif not isinstance(value, Mapping):
            problems.append(f"{where}, field {key!r}: must be a mapping, got {value!r}")
    return problems


_THEME_FIELDS = {
    "id": "text",
    "label": "text",
    "valence": "text",
    "difficulty": "text",
    "definition": "text",
    "include": "list",
    "exclude": "list",
    "example": "text",
}
_GROUP_FIELDS = {"id": "text", "label": "text", "informant": "text", "definition": "text"}
_FACET_FIELDS = {
    "id": "text",
    "group": "text",
    "label": "text",
    "informant": "text",
    "definition": "text",
    "parent_themes": "map",
    "examples": "map",
}
_TOP_FIELDS = {"title": "text", "source": "text", "coding_unit": "text"}


def _top_problems(codebook: Mapping[str, Any]) -> list[str]:
    """Check the codebook's header fields and the types of its sections."""
    problems = _field_problems(codebook, "the codebook", _TOP_FIELDS)
    for section in ("themes", *_OPTIONAL_SECTIONS):
        if section in codebook and not isinstance(codebook[section], list):
            got = type(codebook[section]).__name__
            problems.append(f"the codebook, field {section!r}: must be a list, got {got}")
    if isinstance(codebook["themes"], list) and not codebook["themes"]:
        problems.append("the codebook, field 'themes': must list at least one theme")
    if "valence_grouping" in codebook:
        grouping = codebook["valence_grouping"]
        problems += _missing_keys(grouping, ("source", "note"), "valence_grouping")
        if isinstance(grouping, Mapping):
            fields = {"source": "text", "note": "text"}
            problems += _field_problems(grouping, "valence_grouping", fields)
    levels = codebook.get("difficulty_levels", {})
    if not isinstance(levels, Mapping):
        problems.append(
            f"the codebook, field 'difficulty_levels': must be a mapping, got {levels!r}"
        )
    else:
        for level, text in levels.items():
            problem = _text_problem(text)
            if problem:
                problems.append(f"difficulty_levels, field {level!r}: {problem}")
    return problems


def _entry_name(section: str, position: int, entry: object) -> str:
    """Name an entry by its id when it has a usable one, else by its position."""
    kind = {"themes": "theme", "facet_groups": "facet group", "facets": "facet"}[section]
    if isinstance(entry, Mapping) and isinstance(entry.get("id"), str) and entry["id"].strip():
        return f"{kind} {entry['id']!r}"
    return f"{section}[{position}]"


def _facet_problems(
    facet: Mapping[str, Any], where: str, groups: Mapping[str, Any], themes: tuple[str, ...]
) -> list[str]:
    """Check a facet's group, informant, parent themes (``themes``: the codebook's) and examples."""
    problems = []
    group = groups.get(facet["group"]) if isinstance(facet["group"], str) else None
    if group is None:
        problems.append(f"{where} has unknown group {facet['group']!r}")
    elif group["informant"] != facet["informant"]:
        problems.append(f"{where} has informant {facet['informant']!r}, its group another")
    if facet["informant"] not in INFORMANTS:
        problems.append(f"{where} has unknown informant {facet['informant']!r}")
    for valence, parents in facet["parent_themes"].items():
        if valence not in VALENCES:
            problems.append(f"{where} has unknown valence {valence!r}")
        if not isinstance(parents, list):
            got = f"{type(parents).__name__} {parents!r}"
            problems.append(
                f"{where}, field 'parent_themes'[{valence!r}]: must be a list, got {got}"
            )
            continue
        unknown = sorted({str(p) for p in parents} - set(themes))
        if unknown:
            problems.append(f"{where} has unknown parent theme(s) {unknown}")
    for valence, example in facet["examples"].items():
        problem = _text_problem(example)
        if problem:
            problems.append(f"{where}, field 'examples'[{valence!r}]: {problem}")
    return problems


def _codebook_problems(codebook: object) -> list[str]:
    """List everything wrong with a parsed codebook (empty when it is valid).

    Every problem names the entry (a theme, facet group or facet by its id, or
    by its position when the id is unusable) and the field.
    """
    problems = _missing_keys(codebook, _TOP_KEYS, "the codebook")
    if problems:
        return problems
    assert isinstance(codebook, Mapping)
    problems = _top_problems(codebook)
    if problems:
        return problems
    specs = {
        "themes": (REQUIRED_THEME_KEYS, _THEME_FIELDS),
        "facet_groups": (("id", "informant"), _GROUP_FIELDS),
    }
    specs["facets"] = (FACET_KEYS, _FACET_FIELDS)
    for section, (keys, fields) in specs.items():
        seen: set[str] = set()
        for position, entry in enumerate(codebook.get(section, [])):
            missing = _missing_keys(entry, keys, f"{section}[{position}]")
            problems += missing
            if missing:
                continue
            where = _entry_name(section, position, entry)
            problems += _field_problems(entry, where, fields)
            if isinstance(entry["id"], str) and not re.fullmatch(ID_PATTERN, entry["id"]):
                rule = "must be letters, digits, _ . - (starting with a letter or digit)"
                problems.append(f"{where}, field 'id': {rule}, got {entry['id']!r}")
            if isinstance(entry["id"], str) and entry["id"] in seen:
                problems.append(f"{where}, field 'id': the id appears twice in {section}")
            seen.add(str(entry["id"]))
    if problems:
        return problems
    themes = codebook["themes"]
    ids = tuple(theme["id"] for theme in themes)
    levels = tuple(codebook.get("difficulty_levels") or DIFFICULTIES)
    for theme in themes:
        if theme.get("valence", VALENCES[0]) not in VALENCES:
            problems.append(f"theme {theme['id']!r} has valence {theme['valence']!r}")
        if theme.get("difficulty", levels[0]) not in levels:
            problems.append(f"theme {theme['id']!r} has difficulty {theme['difficulty']!r}")
    groups = {group["id"]: group for group in codebook.get("facet_groups", [])}
    for facet in codebook.get("facets", []):
        problems += _facet_problems(facet, f"facet {facet['id']!r}", groups, ids)
    return problems


def _entry_table(
    codebook: Mapping[str, Any] | None, section: str, id_column: str, keys: list[str]
) -> pd.DataFrame:
    """One row per entry of a codebook section: its ``id`` as ``id_column``, then ``keys``."""
    codebook = load_codebook() if codebook is None else codebook
    rows = [[entry["id"], *(entry.get(key) for key in keys)] for entry in codebook.get(section, [])]
    return pd.DataFrame(rows, columns=[id_column, *keys])


def theme_table(codebook: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return one row per theme, in the codebook's order.

    Parameters
    ----------
    codebook : mapping, optional
        A codebook from :func:`load_codebook`; defaults to the compendium's.

    Returns
    -------
    pandas.DataFrame
        Columns ``theme``, ``label``, ``valence`` (our grouping), ``difficulty``
        and ``definition`` (``None`` where a theme leaves an optional field out).

    Examples
    --------
    >>> theme_table()[["theme", "valence"]].head(2).values.tolist()
    [['understood', 'positive'], ['comfortable', 'positive']]
    """
    return _entry_table(
        codebook, "themes", "theme", ["label", "valence", "difficulty", "definition"]
    )


def theme_labels(codebook: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Map each theme id to its label.

    Examples
    --------
    >>> theme_labels()["disengagement"]
    'emotional disengagement'
    """
    table = theme_table(codebook)
    return dict(zip(table["theme"], table["label"], strict=True))


def facet_table(codebook: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return one row per facet.

    Parameters
    ----------
    codebook : mapping, optional
        A codebook from :func:`load_codebook`; defaults to the compendium's.

    Returns
    -------
    pandas.DataFrame
        Columns ``facet``, ``group`` (``nonverbal`` or ``judgement`` in the
        compendium's codebook), ``label``, ``informant`` (whose interview it is
        coded in) and ``definition``.

    Examples
    --------
    >>> facets = facet_table()
    >>> facets.groupby("group")["informant"].unique().map(list).to_dict()
    {'judgement': ['therapist'], 'nonverbal': ['client']}
    """
    return _entry_table(codebook, "facets", "facet", ["group", "label", "informant", "definition"])


def facet_parent_themes(codebook: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the allowed (facet, valence, parent theme) combinations.

    A facet row of ``facets.csv`` is valid when its ``facet``, ``informant``,
    ``valence`` and ``theme`` form one row of this table.

    Parameters
    ----------
    codebook : mapping, optional
        A codebook from :func:`load_codebook`; defaults to the compendium's.

    Returns
    -------
    pandas.DataFrame
        Columns ``facet``, ``group``, ``informant``, ``valence`` and ``theme``.

    Examples
    --------
    >>> allowed = facet_parent_themes()
    >>> allowed.query("facet == 'client_openness'")[["valence", "theme"]].values.tolist()
    [['positive', 'openness'], ['negative', 'frustration'], ['negative', 'disengagement']]
    """
    codebook = load_codebook() if codebook is None else codebook
    rows = [
        [facet["id"], facet["group"], facet["informant"], valence, theme]
        for facet in codebook.get("facets", [])
        for valence, parents in facet["parent_themes"].items()
        for theme in parents
    ]
    return pd.DataFrame(rows, columns=["facet", "group", "informant", "valence", "theme"])
