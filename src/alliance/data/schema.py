"""Table Schemas of the study data and the ``datapackage.json`` that describes them.

The study folder holds eight UTF-8 CSV tables, a ``codebook.yaml`` and a
``datapackage.json`` (optional for your own data, written by
:func:`write_datapackage`). This module is the single definition of what each table
must look like: column names, types, code lists, ranges, which values are
required, primary keys and foreign keys, and a plain-language description of
every column.

The schema follows the study's design (:class:`alliance.data.design.Design`):
``table_schema(table, design)`` takes the theme ids from the study's codebook,
the informants, the grouping variable and its values, the allowed settings and
the declared ranges from the design. Without a design (or with a schema-1
design) the tables are those of schema version 1, the synthetic study's. The
same definitions are

* written into ``datapackage.json`` as `Frictionless Table Schemas
  <https://specs.frictionlessdata.io/table-schema/>`_ by :func:`write_datapackage`,
* rendered as the data dictionary by :func:`data_dictionary` and
  :func:`data_dictionary_markdown`, and
* enforced, cell by cell, by :func:`alliance.data.dataset.load_study`.

Examples
--------
>>> from alliance.data.schema import TABLES, table_schema
>>> TABLES[:3]
('clinics', 'therapists', 'clients')
>>> table_schema("sessions")["primaryKey"]
['session_id']
>>> from alliance.data.design import Design, Grouping
>>> design = Design(schema_version=2, themes=("heard", "doubt"), informants=("client",),
...                 grouping=Grouping(rule="client", variable="arm", values=("a", "b", "c")))
>>> [f["name"] for f in table_schema("clients", design)["fields"]]
['client_id', 'arm', 'gender', 'age', 'education_years']
>>> table_schema("consensus", design)["fields"][2]["constraints"]["enum"]
['heard', 'doubt']
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from alliance.data.codebook import ID_PATTERN, INFORMANTS, THEMES, VALENCES, load_codebook
from alliance.data.design import STUDY_KEY, SYNTHETIC_KEY, Design, design_record, read_design

SETTINGS: tuple[str, ...] = ("community", "hospital outpatient")
"""Kinds of mental health clinic in the study."""

ETHNICITIES: tuple[str, ...] = ("Ashkenazi", "Mizrahi")
"""Ethnic groups recorded for clients and therapists (the two groups of this study)."""

RATER_PATTERN = "R[1-9][0-9]*"
"""Rater codes of schema version 1: R1, R2, ... (schema 2 names raters freely: ID_PATTERN)."""

MISSING_VALUES: list[str] = [""]
"""Only an empty cell counts as missing; ``NA`` or ``-`` are ordinary text."""

TABLES: tuple[str, ...] = (
    "clinics",
    "therapists",
    "clients",
    "sessions",
    "ratings",
    "consensus",
    "facets",
    "excerpts",
)
"""The study tables, each stored as ``<name>.csv``, in dependency order."""

CODEBOOK_FILE = "codebook.yaml"
README_FILE = "README.md"
DATAPACKAGE_FILE = "datapackage.json"
LICENSE: dict[str, str] = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}


def _field(
    name: str,
    type_: str,
    description: str,
    *,
    required: bool = True,
    **constraints: Any,
) -> dict[str, Any]:
    """Return one Frictionless field descriptor."""
    field: dict[str, Any] = {"name": name, "type": type_, "description": description}
    rules = {"required": True} if required else {}
    rules.update(constraints)
    if rules:
        field["constraints"] = rules
    return field


def _id(name: str, what: str, **constraints: Any) -> dict[str, Any]:
    """Return the descriptor of a required identifier column."""
    return _field(name, "string", what, pattern=ID_PATTERN, **constraints)


def _foreign_key(fields: list[str], resource: str, reference: list[str] | None = None) -> dict:
    """Return one Frictionless foreign-key descriptor."""
    return {"fields": fields, "reference": {"resource": resource, "fields": reference or fields}}


_SESSION = "Intake session, a session_id of sessions.csv."
_INFORMANT = "Whose post-intake interview was coded: client or therapist."
_THEME = "Working-alliance theme id from codebook.yaml, in the published order."
_PRESENT = "1 if the theme was coded present in that interview, 0 if absent."

_RESOURCES: dict[str, dict[str, Any]] = {
    "clinics": {
        "description": "One row per mental health clinic where the intakes took place.",
        "fields": [
            _id("clinic_id", "Clinic identifier (C1, C2, ...)."),
            _field(
                "setting",
                "string",
                "Kind of clinic: community mental health clinic or hospital outpatient clinic.",
                enum=list(SETTINGS),
            ),
        ],
        "primaryKey": ["clinic_id"],
    },
    "therapists": {
        "description": "One row per intake therapist.",
        "fields": [
            _id("therapist_id", "Therapist identifier (T01, T02, ...)."),
            _id("clinic_id", "Clinic the therapist works in, a clinic_id of clinics.csv."),
            _field(
                "ethnicity",
                "string",
                "Therapist's ethnic group; compared with the client's to define the dyad type.",
                enum=list(ETHNICITIES),
            ),
            _field(
                "gender", "string", "Therapist's gender as recorded by the study.", required=False
            ),
            _field(
                "profession",
                "string",
                "Professional discipline, e.g. clinical psychologist or social worker.",
                required=False,
            ),
            _field(
                "years_experience",
                "integer",
                "Years of clinical experience at the time of the intake.",
                required=False,
                minimum=0,
                maximum=60,
            ),
        ],
        "primaryKey": ["therapist_id"],
        "foreignKeys": [_foreign_key(["clinic_id"], "clinics")],
    },
    "clients": {
        "description": "One row per client who came to an intake.",
        "fields": [
            _id("client_id", "Client identifier (P001, P002, ...)."),
            _field(
                "ethnicity",
                "string",
                "Client's ethnic group; Mizrahi clients of Ashkenazi therapists form the "
                "culturally discordant dyads.",
                enum=list(ETHNICITIES),
            ),
            _field("gender", "string", "Client's gender as recorded by the study.", required=False),
            _field(
                "age",
                "integer",
                "Age in years at the intake.",
                required=False,
                minimum=18,
                maximum=110,
            ),
            _field(
                "education_years",
                "integer",
                "Years of formal education.",
                required=False,
                minimum=0,
                maximum=30,
            ),
        ],
        "primaryKey": ["client_id"],
    },
    "sessions": {
        "description": "One row per intake session (one intake per client); a session is a "
        "client-therapist dyad. The clinic follows from the therapist.",
        "fields": [
            _id("session_id", "Intake session identifier (S001, S002, ...)."),
            _id(
                "client_id",
                "Client seen at the intake, a client_id of clients.csv; each client has "
                "exactly one intake.",
                unique=True,
            ),
            _id("therapist_id", "Therapist who led the intake, a therapist_id of therapists.csv."),
        ],
        "primaryKey": ["session_id"],
        "foreignKeys": [
            _foreign_key(["client_id"], "clients"),
            _foreign_key(["therapist_id"], "therapists"),
        ],
    },
    "ratings": {
        "description": "Independent coding: one row per session x informant x rater x theme.",
        "fields": [
            _id("session_id", _SESSION),
            _field("informant", "string", _INFORMANT, enum=list(INFORMANTS)),
            _field(
                "rater",
                "string",
                "Rater who coded the interview (R1, R2, ...); every rater codes every interview.",
                pattern=RATER_PATTERN,
            ),
            _field("theme", "string", _THEME, enum=list(THEMES)),
            _field("present", "integer", _PRESENT + " (this rater's code)", enum=[0, 1]),
        ],
        "primaryKey": ["session_id", "informant", "rater", "theme"],
        "foreignKeys": [_foreign_key(["session_id"], "sessions")],
    },
    "consensus": {
        "description": "Final coding agreed by the raters after discussion: one row per "
        "session x informant x theme. Not necessarily the majority vote of ratings.csv.",
        "fields": [
            _id("session_id", _SESSION),
            _field("informant", "string", _INFORMANT, enum=list(INFORMANTS)),
            _field("theme", "string", _THEME, enum=list(THEMES)),
            _field("present", "integer", _PRESENT + " (agreed code)", enum=[0, 1]),
        ],
        "primaryKey": ["session_id", "informant", "theme"],
        "foreignKeys": [_foreign_key(["session_id"], "sessions")],
    },
    "facets": {
        "description": "Finer codes within a consensus theme: one row per coded facet. The "
        "parent theme must be coded present in consensus.csv.",
        "fields": [
            _id("session_id", _SESSION),
            _field("informant", "string", _INFORMANT, enum=list(INFORMANTS)),
            _id("facet", "Facet id from the facets section of codebook.yaml."),
            _field(
                "valence",
                "string",
                "Whether the facet was described favourably (positive) or unfavourably "
                "(negative) for the alliance.",
                enum=list(VALENCES),
            ),
            _field(
                "theme",
                "string",
                "Parent theme under which the facet was coded; must be allowed for the facet "
                "by codebook.yaml.",
                enum=list(THEMES),
            ),
        ],
        "primaryKey": ["session_id", "informant", "facet"],
        "foreignKeys": [_foreign_key(["session_id", "informant", "theme"], "consensus")],
    },
    "excerpts": {
        "description": "Illustrative interview excerpts, one row per excerpt, each tied to a "
        "theme (and optionally a facet) coded present in that interview.",
        "fields": [
            _id("excerpt_id", "Excerpt identifier (E0001, E0002, ...)."),
            _id("session_id", _SESSION),
            _field("informant", "string", _INFORMANT, enum=list(INFORMANTS)),
            _field(
                "theme",
                "string",
                "Theme the excerpt illustrates; must be coded present in consensus.csv.",
                enum=list(THEMES),
            ),
            _id(
                "facet",
                "Facet the excerpt illustrates, if any (empty otherwise); must be a row of "
                "facets.csv with the same session, informant and theme.",
                required=False,
            ),
            _field("text", "string", "The excerpt, in the informant's own voice."),
            _field(
                "fictional",
                "string",
                "'yes' when the excerpt was written for illustration and quotes no real "
                "interview, so the mark travels with every copied row. An optional column: a "
                "study folder may leave it out, or leave cells empty.",
                required=False,
                enum=["yes", "no"],
            ),
        ],
        "primaryKey": ["excerpt_id"],
        "foreignKeys": [_foreign_key(["session_id", "informant", "theme"], "consensus")],
    },
}

OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {"excerpts": ("fictional",)}
"""Columns a study file may leave out of its header; an absent column reads as empty cells."""

OPTIONAL_FOREIGN_KEYS: dict[str, list[dict[str, Any]]] = {
    "excerpts": [_foreign_key(["session_id", "informant", "facet", "theme"], "facets")],
}
"""Foreign keys that apply only to rows where every one of their columns is filled in.

:func:`alliance.data.dataset.load_study` checks them. They are left out of
``datapackage.json`` because Frictionless validators also apply a foreign key to
rows with an empty cell (an excerpt without a facet would fail).
"""


_DEMOGRAPHICS: dict[str, list[str]] = {
    "clinics": ["setting"],
    "therapists": ["gender", "profession", "years_experience"],
    "clients": ["gender", "age", "education_years"],
}
"""The optional descriptive columns of schema 2 (all but keys and the grouping variable)."""


def _fields(table: str) -> dict[str, dict[str, Any]]:
    """Return copies of the schema-1 fields of a table, by name."""
    return {spec["name"]: copy.deepcopy(spec) for spec in _RESOURCES[table]["fields"]}


def _optional(spec: dict[str, Any], **constraints: Any) -> dict[str, Any]:
    """Make a field optional with only ``constraints`` (no range, no code list otherwise)."""
    spec["constraints"] = dict(constraints)
    if not spec["constraints"]:
        del spec["constraints"]
    return spec


def _grouping_field(table: str, design: Design) -> dict[str, Any]:
    """Return the column carrying the study's grouping variable (clients, therapists)."""
    grouping = design.grouping
    who = "Client" if table == "clients" else "Therapist"
    return _field(
        grouping.variable,
        "string",
        f"{who}'s {grouping.variable}, declared in datapackage.json as the study's grouping "
        f"variable: {grouping.describe()}.",
        enum=list(grouping.values),
    )


def _people_fields(table: str, design: Design) -> list[dict[str, Any]]:
    """Fields of clinics, therapists or clients under a schema-2 design."""
    old = _fields(table)
    keys = [spec for name, spec in old.items() if name not in _DEMOGRAPHICS[table]]
    keys = [spec for spec in keys if spec["name"] != "ethnicity"]
    grouped = table == "clients" or (table == "therapists" and design.grouping.rule == "match")
    variable = [_grouping_field(table, design)] if grouped else []
    rest = []
    for name in _DEMOGRAPHICS[table]:
        if variable and name == design.grouping.variable:
            continue
        spec = old[name]
        if name == "setting":
            spec["description"] = "Kind of clinic, in the study's own words."
        if name == "setting" and design.settings is not None:
            spec["description"] = "Kind of clinic: one of the settings the study declares."
            rest.append(_optional(spec, enum=list(design.settings)))
        else:
            rest.append(_optional(spec))
    return [*keys, *variable, *rest]


def _apply_ranges(table: str, fields: list[dict[str, Any]], design: Design) -> None:
    """Add the ranges ``design.ranges`` declares for ``table`` (a new column: optional number)."""
    by_name = {spec["name"]: spec for spec in fields}
    for where, (low, high) in design.ranges.items():
        name, column = where.split(".", 1)
        if name != table:
            continue
        if column not in by_name:
            by_name[column] = _field(
                column,
                "number",
                f"{column}, a number with a range declared by the study.",
                required=False,
            )
            fields.append(by_name[column])
        spec = by_name[column]
        if spec["type"] not in ("integer", "number"):
            spec["type"] = "number"
        rules = spec.setdefault("constraints", {})
        rules.pop("enum", None)
        if low is not None:
            rules["minimum"] = low
        if high is not None:
            rules["maximum"] = high


def _design_fields(table: str, design: Design) -> list[dict[str, Any]]:
    """Fields of a table under a schema-2 design."""
    if table in _DEMOGRAPHICS:
        fields = _people_fields(table, design)
        _apply_ranges(table, fields, design)
        return fields
    fields = list(_fields(table).values())
    for spec in fields:
        rules = spec.get("constraints", {})
        if spec["name"] == "informant":
            rules["enum"] = list(design.informants)
            spec["description"] = (
                "Whose post-intake interview was coded: " + " or ".join(design.informants) + "."
            )
        elif spec["name"] == "theme":
            rules["enum"] = list(design.themes)
            if table in ("ratings", "consensus"):
                spec["description"] = "Theme id from codebook.yaml."
        elif spec["name"] == "rater":
            rules["pattern"] = ID_PATTERN
            spec["description"] = (
                "Rater who coded the interview, any name of letters, digits, _ . -; a rater "
                "has rows only for the interviews they coded."
            )
        elif spec["name"] == "present" and table == "ratings":
            del rules["required"]
            spec["description"] = (
                _PRESENT + " (this rater's code); empty: an explicit missing rating."
            )
    return fields


def optional_columns(table: str, design: Design | None = None) -> tuple[str, ...]:
    """Return the columns a study file may leave out of its header.

    An absent column reads as empty cells. Schema 1 allows only
    :data:`OPTIONAL_COLUMNS`; schema 2 also every descriptive column of clinics,
    therapists and clients (settings, gender, age, ...), grouping variable aside.

    Examples
    --------
    >>> optional_columns("clients")
    ()
    >>> optional_columns("clients", Design(schema_version=2))
    ('gender', 'age', 'education_years')
    """
    columns = OPTIONAL_COLUMNS.get(table, ())
    if design is None or design.schema_version < 2 or table not in _DEMOGRAPHICS:
        return columns
    required = {
        spec["name"]
        for spec in table_schema(table, design)["fields"]
        if spec.get("constraints", {}).get("required")
    }
    return tuple(
        spec["name"]
        for spec in table_schema(table, design)["fields"]
        if spec["name"] not in required
    )


def table_schema(table: str, design: Design | None = None) -> dict[str, Any]:
    """Return the Frictionless Table Schema of one study table.

    Parameters
    ----------
    table : str
        One of :data:`TABLES`.
    design : Design, optional
        The study's design. ``None``: schema version 1 as written for the
        synthetic study (its eight themes, raters R1, R2, ...). A schema-1
        design keeps those rules with the codebook's themes; a schema-2 design
        gives the study's themes, informants, rater names, grouping variable,
        settings and ranges (see the module's description).

    Returns
    -------
    dict
        A fresh copy (safe to modify) with ``fields``, ``missingValues``,
        ``primaryKey`` and, where the table refers to others, ``foreignKeys``.

    Raises
    ------
    KeyError
        If ``table`` is not a study table.

    Examples
    --------
    >>> schema = table_schema("ratings")
    >>> [f["name"] for f in schema["fields"]]
    ['session_id', 'informant', 'rater', 'theme', 'present']
    >>> schema["fields"][4]["constraints"]
    {'required': True, 'enum': [0, 1]}
    """
    if table not in _RESOURCES:
        raise KeyError(f"no study table {table!r}; tables are {', '.join(TABLES)}")
    resource = _RESOURCES[table]
    schema = {key: copy.deepcopy(value) for key, value in resource.items() if key != "description"}
    schema["missingValues"] = list(MISSING_VALUES)
    if design is None:
        return schema
    if design.schema_version < 2:
        for spec in schema["fields"]:
            if spec["name"] == "theme":
                spec["constraints"]["enum"] = list(design.themes)
        return schema
    schema["fields"] = _design_fields(table, design)
    return schema


def foreign_keys(table: str, design: Design | None = None) -> list[dict[str, Any]]:
    """Return every foreign key of a table, including :data:`OPTIONAL_FOREIGN_KEYS`.

    Parameters
    ----------
    table : str
        One of :data:`TABLES`.
    design : Design, optional
        The study's design (the keys are the same in every schema version).

    Returns
    -------
    list of dict
        Frictionless foreign-key descriptors: first those declared in the Table
        Schema, then those that apply only to fully filled-in rows.

    Examples
    --------
    >>> [key["reference"]["resource"] for key in foreign_keys("excerpts")]
    ['consensus', 'facets']
    """
    declared = table_schema(table, design).get("foreignKeys", [])
    keys = [*declared, *OPTIONAL_FOREIGN_KEYS.get(table, [])]
    return copy.deepcopy(keys)


def _constraint_text(field: Mapping[str, Any]) -> str:
    """Describe a field's constraints (other than ``required``) in words."""
    rules = field.get("constraints", {})
    parts = []
    if "enum" in rules:
        parts.append("one of " + ", ".join(str(v) for v in rules["enum"]))
    if "pattern" in rules:
        parts.append(f"matches `{rules['pattern']}`")
    if "minimum" in rules:
        parts.append(f">= {rules['minimum']}")
    if "maximum" in rules:
        parts.append(f"<= {rules['maximum']}")
    if rules.get("unique"):
        parts.append("unique")
    return "; ".join(parts)


def data_dictionary(package: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the data dictionary: one row per column of every study table.

    Parameters
    ----------
    package : mapping, optional
        A parsed ``datapackage.json``. By default the dictionary describes this
        package's own schemas; given a package, it describes that package's table
        resources as they state themselves (``table`` is then the CSV file).

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``field``, ``type``, ``required`` (bool: may the cell
        be empty?), ``constraints`` (in words) and ``description``, in table and
        column order.

    Examples
    --------
    >>> dd = data_dictionary()
    >>> dd.loc[dd["field"] == "present", ["table", "type", "constraints"]].values.tolist()
    [['ratings', 'integer', 'one of 0, 1'], ['consensus', 'integer', 'one of 0, 1']]
    """
    if package is None:
        tables = [(table, _RESOURCES[table]["fields"]) for table in TABLES]
    else:
        tables = [
            (resource["path"], resource["schema"]["fields"])
            for resource in package.get("resources", [])
            if "schema" in resource
        ]
    rows = [
        {
            "table": table,
            "field": field["name"],
            "type": field["type"],
            "required": bool(field.get("constraints", {}).get("required", False)),
            "constraints": _constraint_text(field),
            "description": field.get("description", ""),
        }
        for table, fields in tables
        for field in fields
    ]
    return pd.DataFrame(rows)


def data_dictionary_markdown() -> str:
    """Render the data dictionary as Markdown, one section per table.

    Each section gives the table's description, its primary and foreign keys
    and a table of its columns. Used for ``data/README.md`` and the book.

    Returns
    -------
    str
        Markdown text ending with a newline.

    Examples
    --------
    >>> text = data_dictionary_markdown()
    >>> text.splitlines()[0]
    '### `clinics.csv`'
    >>> "| `present` | integer | yes | one of 0, 1 |" in text
    True
    """
    dictionary = data_dictionary()
    sections = []
    for table in TABLES:
        schema = table_schema(table)
        lines = [f"### `{table}.csv`", "", _RESOURCES[table]["description"], ""]
        lines.append("Primary key: " + ", ".join(f"`{k}`" for k in schema["primaryKey"]) + ".")
        for key in foreign_keys(table):
            ref = key["reference"]
            optional = key not in schema.get("foreignKeys", [])
            when = " (where every one of these is filled in)" if optional else ""
            lines.append(
                "Foreign key"
                + when
                + ": "
                + ", ".join(f"`{k}`" for k in key["fields"])
                + f" refers to `{ref['resource']}.csv` ("
                + ", ".join(f"`{k}`" for k in ref["fields"])
                + ")."
            )
        lines += ["", "| column | type | required | constraints | description |"]
        lines.append("|---|---|---|---|---|")
        for row in dictionary[dictionary["table"] == table].itertuples():
            required = "yes" if row.required else "no"
            lines.append(
                f"| `{row.field}` | {row.type} | {required} | {row.constraints} | "
                f"{row.description} |"
            )
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n"


def file_sha256(path: Path) -> str:
    """Return the Frictionless hash of a file: ``"sha256:<hex digest>"``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = path.write_bytes(b"abc")
    >>> file_sha256(path)[:20]
    'sha256:ba7816bf8f01c'
    """
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _resource(folder: Path, name: str, path: str, **properties: Any) -> dict[str, Any]:
    """Describe one file of the study folder, with its size and hash."""
    file = folder / path
    return {
        "name": name,
        "path": path,
        "bytes": file.stat().st_size,
        "hash": file_sha256(file),
        **properties,
    }


def datapackage(
    folder: Path, synthetic: Mapping[str, Any] | None = None, design: Design | None = None
) -> dict[str, Any]:
    """Return the Data Package descriptor of a study folder (without writing it).

    Parameters
    ----------
    folder : pathlib.Path
        Study folder holding the eight ``<table>.csv`` files and ``codebook.yaml``
        (and, optionally, ``README.md``).
    synthetic : mapping, optional
        For generated data only: how it was made (e.g. ``seed``, ``scale``,
        ``generator``). Stored as the ``"alliance:synthetic"`` property; real
        data leave it out.
    design : Design, optional
        The study's design. A schema-2 design is stored as the
        ``"alliance:study"`` record and its Table Schemas describe the tables;
        ``None`` (or schema 1) writes the schema-1 package.

    Returns
    -------
    dict
        Tabular Data Package with one resource per file, each carrying its
        byte size and ``sha256`` hash, tables with their Table Schema, and the
        CC-BY-4.0 licence.

    Raises
    ------
    FileNotFoundError
        If a table or ``codebook.yaml`` is missing.

    Examples
    --------
    See :func:`write_datapackage`.
    """
    folder = Path(folder)
    resources = [
        _resource(
            folder,
            table,
            f"{table}.csv",
            profile="tabular-data-resource",
            description=_RESOURCES[table]["description"],
            format="csv",
            mediatype="text/csv",
            encoding="utf-8",
            schema=table_schema(table, design),
        )
        for table in TABLES
    ]
    resources.append(
        _resource(
            folder,
            "codebook",
            CODEBOOK_FILE,
            description="Codebook: themes and facets with definitions and coding rules.",
            format="yaml",
            mediatype="application/yaml",
            encoding="utf-8",
        )
    )
    if (folder / README_FILE).is_file():
        resources.append(
            _resource(
                folder,
                "readme",
                README_FILE,
                description="Data dictionary and provenance.",
                format="md",
                mediatype="text/markdown",
                encoding="utf-8",
            )
        )
    package: dict[str, Any] = {
        "profile": "data-package",
        "name": "alliance-intake-study",
        "title": "Working alliance in culturally concordant and discordant intake dyads",
        "description": (
            "Coded post-intake interviews with clients and therapists: themes coded by "
            "independent raters, their consensus, finer facets and illustrative excerpts."
        ),
        "licenses": [dict(LICENSE)],
        "resources": resources,
    }
    if synthetic is not None:
        package[SYNTHETIC_KEY] = dict(synthetic)
    if design is not None and design.schema_version >= 2:
        package.update(
            title="Coded post-intake interviews of a study of the working alliance",
            description=(
                "Coded post-intake interviews: themes of the study's own codebook coded by "
                "independent raters, their consensus, facets and excerpts. The study's design "
                "is in the alliance:study property."
            ),
        )
        package[STUDY_KEY] = design_record(design)
    return package


def dumps_json(document: Mapping[str, Any]) -> str:
    """Serialise JSON deterministically: sorted keys, indent 2, trailing newline.

    Examples
    --------
    >>> print(dumps_json({"b": 1, "a": [1, 2]}), end="")
    {
      "a": [
        1,
        2
      ],
      "b": 1
    }
    """
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_datapackage(
    out_dir: Path, synthetic: Mapping[str, Any] | None = None, design: Design | None = None
) -> Path:
    r"""Write ``datapackage.json`` for the study files already in ``out_dir``.

    Write it last: it records the hash of every other file, so any later edit
    of a table makes :func:`alliance.data.dataset.load_study` report a stale hash.

    Parameters
    ----------
    out_dir : pathlib.Path
        Study folder; see :func:`datapackage`.
    synthetic : mapping, optional
        Provenance of generated data, stored as ``"alliance:synthetic"``.
    design : Design, optional
        A schema-2 design, stored as ``"alliance:study"`` (see :func:`datapackage`).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in [*TABLES, "codebook"]:
    ...     suffix = "yaml" if name == "codebook" else "csv"
    ...     _ = (folder / f"{name}.{suffix}").write_text("x\n")
    >>> path = write_datapackage(folder, synthetic={"seed": 1})
    >>> package = json.loads(path.read_text())
    >>> package["licenses"][0]["name"], package["alliance:synthetic"]
    ('CC-BY-4.0', {'seed': 1})
    >>> package["resources"][0]["hash"][:7]
    'sha256:'
    """
    path = Path(out_dir) / DATAPACKAGE_FILE
    text = dumps_json(datapackage(Path(out_dir), synthetic, design))
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def refresh_datapackage(folder: str | Path) -> Path:
    r"""Rewrite a study folder's ``datapackage.json`` after its files were edited on purpose.

    The hashes and sizes are recomputed; the study's design (``"alliance:study"``,
    read with its ``codebook.yaml``) and provenance (``"alliance:synthetic"``)
    are kept as they are. A folder without ``datapackage.json`` gets one
    (schema 1, provenance not declared).

    Parameters
    ----------
    folder : str or pathlib.Path
        The study folder.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    alliance.data.codebook.CodebookError, alliance.data.design.DesignError
        If the codebook or the design record cannot be read (nothing is written).

    Examples
    --------
    >>> import json, tempfile
    >>> from alliance.data.examples import write_example_study
    >>> folder = write_example_study(Path(tempfile.mkdtemp()) / "study")
    >>> before = json.loads((folder / DATAPACKAGE_FILE).read_text())
    >>> _ = (folder / "clinics.csv").write_text("clinic_id,setting\nC1,community\n")
    >>> after = json.loads(refresh_datapackage(folder).read_text())
    >>> after[STUDY_KEY] == before[STUDY_KEY], after["resources"][0]["bytes"]
    (True, 31)
    """
    folder = Path(folder)
    path = folder / DATAPACKAGE_FILE
    package = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    design = read_design(package, load_codebook(folder / CODEBOOK_FILE))
    return write_datapackage(folder, package.get(SYNTHETIC_KEY), design)
