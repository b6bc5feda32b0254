"""The design of a study: what it coded, whose interviews, and which groups it compares.

A study folder declares its design in ``datapackage.json``, under the custom
property ``"alliance:study"`` (schema version 2)::

    "alliance:study": {
      "schema_version": 2,
      "informants": ["client"],
      "groups": {"rule": "client", "variable": "group", "values": ["A", "B"]},
      "settings": null,
      "ranges": {"clients.age": [16, null]},
      "reconstructs": null
    }

* ``informants``: whose post-intake interviews were coded, ``client``,
  ``therapist`` or both.
* ``groups``: how sessions fall into the groups the study compares. With
  ``"rule": "match"`` a session is ``same`` (e.g. ``concordant``) when client
  and therapist have the same value of ``variable`` (a column of both
  ``clients.csv`` and ``therapists.csv``), ``different`` otherwise. With
  ``"rule": "client"`` the group is the client's own value of ``variable`` (a
  column of ``clients.csv``), any two or more ``values``.
* ``settings``: the allowed values of ``clinics.csv``'s ``setting`` (``null``:
  any text).
* ``ranges``: ``"<table>.<column>": [minimum, maximum]`` for numeric
  demographics; a column without a declared range is only checked to be a
  whole number. ``null`` leaves one end open.
* ``reconstructs``: the DOI of the article the data reconstruct, if any. The
  chapters show article-specific passages (the published comparison, the
  scorecard, the GRIM argument) only when it is this compendium's article.

Themes are not part of the design record: they are the ids of the study's own
``codebook.yaml``, in its order. Raters are whoever appears in ``ratings.csv``.

A folder without ``"alliance:study"`` was written for schema version 1 (like
this compendium's ``data/``): its design is :data:`VERSION_1`, the design of
the reconstructed study, and it reconstructs the article when its
``"alliance:synthetic"`` property names this compendium's generator at scale 1.

Examples
--------
>>> design = read_design({}, {"themes": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]})
>>> design.schema_version, design.themes, design.grouping.labels
(1, ('a', 'b'), ('concordant', 'discordant'))
>>> design = read_design(
...     {STUDY_KEY: {"schema_version": 2, "informants": ["client"],
...                  "groups": {"rule": "client", "variable": "arm", "values": ["x", "y", "z"]}}},
...     {"themes": [{"id": "a", "label": "A"}]})
>>> design.informants, design.grouping.labels, design.reconstructs_article
(('client',), ('x', 'y', 'z'), False)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alliance.data.codebook import ID_PATTERN
from alliance.data.published import DOI

__all__ = [
    "ARTICLE_GENERATOR",
    "INFORMANTS",
    "SCHEMA_VERSION",
    "STUDY_KEY",
    "VERSION_1",
    "Design",
    "DesignError",
    "Grouping",
    "design_record",
    "read_design",
]

SCHEMA_VERSION = 2
"""The newest version of the study-folder schema."""

STUDY_KEY = "alliance:study"
"""Custom ``datapackage.json`` property holding the study's design (schema version 2)."""

SYNTHETIC_KEY = "alliance:synthetic"
"""Custom ``datapackage.json`` property marking generated (not real) data."""

ARTICLE_GENERATOR = "alliance.article.reconstruction.write_study"
"""The generator name a schema-1 folder must record to count as the article's reconstruction."""

INFORMANTS: tuple[str, ...] = ("client", "therapist")
"""Whose post-intake interviews a study may code, in this order."""

RANGE_TABLES: tuple[str, ...] = ("clinics", "therapists", "clients")
"""Tables whose columns may carry a declared range (``"clients.age"``)."""

KEY_COLUMNS: tuple[str, ...] = ("clinic_id", "therapist_id", "client_id", "session_id")
"""Id columns of the people tables, which cannot be the grouping variable."""

RULES: tuple[str, ...] = ("match", "client")
"""How sessions fall into groups: client and therapist match or not; the client's own group."""

ID_RE = re.compile(ID_PATTERN + r"\Z")
"""Safe identifiers (raters, group names): letters, digits, ``_ . -``, no leading sign."""


@dataclass(frozen=True)
class Grouping:
    """Which groups of sessions a study compares.

    Attributes
    ----------
    rule : {"match", "client"}
        ``match``: a session is ``same`` when client and therapist share their
        value of ``variable``, else ``different``. ``client``: the session's
        group is the client's value of ``variable``.
    variable : str
        The column that carries the group (in ``clients.csv``, and for
        ``match`` also in ``therapists.csv``).
    values : tuple of str
        The allowed values of ``variable``.
    same, different : str
        The group names for ``match``.

    Examples
    --------
    >>> Grouping().labels
    ('concordant', 'discordant')
    >>> Grouping(rule="client", variable="arm", values=("x", "y")).labels
    ('x', 'y')
    """

    rule: str = "match"
    variable: str = "ethnicity"
    values: tuple[str, ...] = ("Ashkenazi", "Mizrahi")
    same: str = "concordant"
    different: str = "discordant"

    @property
    def labels(self) -> tuple[str, ...]:
        """The groups a session can fall into, in display order."""
        return (self.same, self.different) if self.rule == "match" else self.values

    def describe(self) -> str:
        """Say in one sentence how sessions fall into groups (plain text, no markup).

        Examples
        --------
        >>> Grouping().describe()
        'a session is concordant when client and therapist have the same ethnicity, \
discordant otherwise'
        """
        if self.rule == "match":
            return (
                f"a session is {self.same} when client and therapist have the same "
                f"{self.variable}, {self.different} otherwise"
            )
        return f"a session's group is its client's {self.variable}: " + ", ".join(self.values)


@dataclass(frozen=True)
class Design:
    """A study's design: its themes, informants, groups, settings, ranges and provenance.

    Attributes
    ----------
    schema_version : int
        1 for folders without ``"alliance:study"``, else the declared version.
    themes : tuple of str
        Theme ids of the study's codebook, in its order.
    theme_labels : dict
        Theme id to its label (the id itself when the codebook gives none).
    informants : tuple of str
        Whose interviews were coded, a non-empty subset of :data:`INFORMANTS`.
    grouping : Grouping
        The groups the study compares.
    settings : tuple of str or None
        Allowed clinic settings; ``None`` accepts any text.
    ranges : dict
        ``"table.column"`` to ``(minimum, maximum)``, either end ``None``.
    reconstructs : str or None
        DOI of the article the data reconstruct.

    Examples
    --------
    >>> VERSION_1.informants, VERSION_1.settings
    (('client', 'therapist'), ('community', 'hospital outpatient'))
    """

    schema_version: int = 1
    themes: tuple[str, ...] = ()
    theme_labels: Mapping[str, str] = field(default_factory=dict)
    informants: tuple[str, ...] = INFORMANTS
    grouping: Grouping = field(default_factory=Grouping)
    settings: tuple[str, ...] | None = ("community", "hospital outpatient")
    ranges: Mapping[str, tuple[float | None, float | None]] = field(
        default_factory=lambda: {
            "clients.age": (18, 110),
            "clients.education_years": (0, 30),
            "therapists.years_experience": (0, 60),
        }
    )
    reconstructs: str | None = None

    @property
    def reconstructs_article(self) -> bool:
        """Whether the data declare that they reconstruct this compendium's article."""
        return self.reconstructs == DOI

    @property
    def both_informants(self) -> bool:
        """Whether clients and therapists were both interviewed (dyad congruence needs it)."""
        return set(self.informants) == set(INFORMANTS)

    def label(self, theme: str) -> str:
        """Return a theme's label from the codebook (its id when it has none).

        Examples
        --------
        >>> Design(themes=("a",), theme_labels={"a": "feeling heard"}).label("a")
        'feeling heard'
        """
        return self.theme_labels.get(theme, theme)


VERSION_1 = Design()
"""The design of every schema-1 folder (themes aside): the reconstructed study's."""


class DesignError(ValueError):
    """The ``"alliance:study"`` record is malformed; :attr:`problems` lists each problem.

    Every problem is a pair ``(column, rule)``: the JSON path inside
    ``datapackage.json`` (e.g. ``alliance:study.groups.rule``) and what is wrong.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{where}: {rule}" for where, rule in problems))


def _codebook_themes(codebook: Mapping[str, Any]) -> tuple[tuple[str, ...], dict[str, str]]:
    """Theme ids (in order) and labels of a parsed codebook."""
    themes = codebook.get("themes") or []
    ids = tuple(str(theme["id"]) for theme in themes)
    labels = {str(theme["id"]): str(theme.get("label") or theme["id"]) for theme in themes}
    return ids, labels


def _texts(
    value: object, where: str, problems: list[tuple[str, str]], *, names: bool = True
) -> tuple[str, ...]:
    """Check a list of distinct safe identifiers (``names``) or one-line texts."""
    if not isinstance(value, list) or not value:
        problems.append((where, "must be a non-empty list of names"))
        return ()
    if names:
        bad = [item for item in value if not isinstance(item, str) or not ID_RE.match(item)]
        rule = "names must be letters, digits, _ . -"
    else:
        bad = [item for item in value if not isinstance(item, str) or not item.isprintable()]
        rule = "values must be one line of printable text"
    if bad:
        problems.append((where, f"{rule} (got {bad!r})"))
    if len(set(map(str, value))) < len(value):
        problems.append((where, "a name appears twice"))
    return tuple(str(item) for item in value)


def _grouping(value: object, problems: list[tuple[str, str]]) -> Grouping:
    """Read the ``groups`` record."""
    where = f"{STUDY_KEY}.groups"
    if value is None:
        return Grouping()
    if not isinstance(value, Mapping):
        problems.append((where, "must be an object with rule, variable and values"))
        return Grouping()
    rule = value.get("rule", "match")
    if rule not in RULES:
        problems.append((f"{where}.rule", f"must be one of {', '.join(RULES)} (got {rule!r})"))
        rule = "match"
    variable = value.get("variable", "ethnicity")
    if not isinstance(variable, str) or not ID_RE.match(variable) or variable in KEY_COLUMNS:
        rule = "must be a column name other than the ids"
        problems.append((f"{where}.variable", f"{rule} (got {variable!r})"))
        variable = "ethnicity"
    values = _texts(value.get("values"), f"{where}.values", problems, names=False)
    if rule == "client" and len(values) < 2:
        problems.append((f"{where}.values", "a comparison needs at least two groups"))
    names = {"same": value.get("same", "concordant"), "different": value.get("different")}
    names["different"] = names["different"] or "discordant"
    for key, name in names.items():
        if not isinstance(name, str) or not ID_RE.match(name):
            problems.append((f"{where}.{key}", f"must be a group name (got {name!r})"))
    if names["same"] == names["different"]:
        problems.append((f"{where}.different", "must differ from 'same'"))
    return Grouping(rule, variable, values, str(names["same"]), str(names["different"]))


def _ranges(value: object, problems: list[tuple[str, str]]) -> dict[str, tuple[Any, Any]]:
    """Read the ``ranges`` record."""
    where = f"{STUDY_KEY}.ranges"
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append((where, 'must map "table.column" to [minimum, maximum]'))
        return {}
    ranges = {}
    for column, bounds in value.items():
        ok = isinstance(bounds, list | tuple) and len(bounds) == 2
        numbers = ok and all(
            b is None or (isinstance(b, int | float) and not isinstance(b, bool)) for b in bounds
        )
        if not numbers:
            problems.append((f"{where}.{column}", "must be [minimum, maximum] (null: open)"))
            continue
        table, _, name = str(column).partition(".")
        if table not in RANGE_TABLES or not ID_RE.match(name):
            tables = ", ".join(RANGE_TABLES)
            rule = f'must name "<table>.<column>" of a table among {tables}'
            problems.append((f"{where}.{column}", rule))
            continue
        low, high = bounds
        if low is not None and high is not None and low > high:
            problems.append((f"{where}.{column}", f"minimum {low} is above maximum {high}"))
        ranges[str(column)] = (low, high)
    return ranges


def read_design(package: Mapping[str, Any] | None, codebook: Mapping[str, Any]) -> Design:
    """Read a study's design from its ``datapackage.json`` and ``codebook.yaml``.

    Parameters
    ----------
    package : mapping or None
        The parsed ``datapackage.json`` (``None`` or ``{}`` when the folder has none).
    codebook : mapping
        The parsed ``codebook.yaml``; its themes, in order, are the study's.

    Returns
    -------
    Design
        Schema version 1 (:data:`VERSION_1` with the codebook's themes) when the
        package has no ``"alliance:study"``, else the declared design.

    Raises
    ------
    DesignError
        If the record is malformed; every problem names its place in the file.

    Examples
    --------
    >>> codebook = {"themes": [{"id": "t1", "label": "one"}]}
    >>> read_design({STUDY_KEY: {"schema_version": 3}}, codebook)
    Traceback (most recent call last):
    ...
    alliance.data.design.DesignError: alliance:study.schema_version: this version of alliance \
reads schema versions 1 to 2 (got 3)
    """
    package = package or {}
    themes, labels = _codebook_themes(codebook)
    record = package.get(STUDY_KEY)
    if record is None:
        synthetic = package.get(SYNTHETIC_KEY) or {}
        ours = synthetic.get("generator") == ARTICLE_GENERATOR and synthetic.get("scale") == 1
        return Design(themes=themes, theme_labels=labels, reconstructs=DOI if ours else None)
    problems: list[tuple[str, str]] = []
    if not isinstance(record, Mapping):
        raise DesignError([(STUDY_KEY, "must be an object (see alliance.data.design)")])
    version = record.get("schema_version")
    if version not in range(1, SCHEMA_VERSION + 1):
        rule = f"this version of alliance reads schema versions 1 to {SCHEMA_VERSION}"
        raise DesignError([(f"{STUDY_KEY}.schema_version", f"{rule} (got {version!r})")])
    informants = record.get("informants", list(INFORMANTS))
    informants = _texts(informants, f"{STUDY_KEY}.informants", problems)
    unknown = [name for name in informants if name not in INFORMANTS]
    if unknown:
        rule = f"must be client, therapist or both (got {unknown!r})"
        problems.append((f"{STUDY_KEY}.informants", rule))
    settings = record.get("settings")
    if settings is not None:
        settings = _texts(settings, f"{STUDY_KEY}.settings", problems, names=False)
    reconstructs = record.get("reconstructs")
    if reconstructs is not None and not isinstance(reconstructs, str):
        problems.append((f"{STUDY_KEY}.reconstructs", "must be a DOI or null"))
    design = Design(
        schema_version=int(version),
        themes=themes,
        theme_labels=labels,
        informants=tuple(name for name in INFORMANTS if name in informants),
        grouping=_grouping(record.get("groups"), problems),
        settings=settings,
        ranges=_ranges(record.get("ranges"), problems),
        reconstructs=str(reconstructs).removeprefix("doi:") if reconstructs else None,
    )
    if problems:
        raise DesignError(problems)
    return design


def design_record(design: Design) -> dict[str, Any]:
    """Return the ``"alliance:study"`` record of a design (what :func:`read_design` reads).

    Themes are not part of it: they are the codebook's.

    Examples
    --------
    >>> design = Design(schema_version=2, informants=("client",), settings=None, ranges={})
    >>> record = design_record(design)
    >>> record["informants"], record["groups"]["rule"]
    (['client'], 'match')
    >>> read_design({STUDY_KEY: record}, {"themes": []}) == design
    True
    """
    grouping = design.grouping
    groups: dict[str, Any] = {
        "rule": grouping.rule,
        "variable": grouping.variable,
        "values": list(grouping.values),
    }
    if grouping.rule == "match":
        groups.update(same=grouping.same, different=grouping.different)
    return {
        "schema_version": max(design.schema_version, 2),
        "informants": list(design.informants),
        "groups": groups,
        "settings": None if design.settings is None else list(design.settings),
        "ranges": {column: list(bounds) for column, bounds in design.ranges.items()},
        "reconstructs": design.reconstructs,
    }
