r"""Load a study folder and validate every table before any analysis sees it.

:func:`load_study` reads the eight CSV tables of a study folder as text (no
value is ever converted, trimmed, dropped or filled in silently), checks them
against the Table Schemas of :mod:`alliance.data.schema`, the study's own rules
(complete coding, one intake per client, facets under present themes, ...),
``codebook.yaml`` and the hashes in ``datapackage.json``, and only then
converts the columns to their proper types. It reports **all** problems at
once, each naming the file, the line of the file (the header is line 1), the
column, the offending value and the rule it breaks.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "clinics.csv").write_text("clinic_id,setting\nC1,community\nC2,clinic\n")
>>> validation_report(folder)  # doctest: +ELLIPSIS
note: no datapackage.json: hashes not checked (see schema.write_datapackage)
9 problems in study folder ...:
  clinics.csv, line 3, column setting, value 'clinic': enum: must be one of community, ...
  therapists.csv: missing-file: the study folder has no such file
...
  codebook.yaml: missing-file: the study folder has no such file
1
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from alliance.data.codebook import CodebookError, facet_parent_themes, load_codebook
from alliance.data.design import VERSION_1, Design, DesignError, read_design
from alliance.data.paths import data_dir
from alliance.data.published import DOI
from alliance.data.schema import (
    CODEBOOK_FILE,
    DATAPACKAGE_FILE,
    RATER_PATTERN,
    SYNTHETIC_KEY,
    TABLES,
    file_sha256,
    foreign_keys,
    optional_columns,
    table_schema,
)

PROBLEM_COLUMNS: tuple[str, ...] = ("file", "row", "column", "value", "rule")
"""Columns of :attr:`StudyValidationError.problems`."""

OPTIONAL_ROWS: frozenset[str] = frozenset({"facets", "excerpts"})
"""Tables that may hold a header only (no facet coded, no excerpt released)."""

CSV_FIELD_LIMIT = csv.field_size_limit()
"""Longest cell the CSV reader accepts, in characters (Python's default, 131,072).

A longer cell (an excerpt of a whole interview, say) is reported as a
``field-size`` problem naming its line and column; split such text into
several excerpts.
"""

DATAPACKAGE_LIMIT = 4 * 1024 * 1024
"""Largest ``datapackage.json`` read, in bytes; a larger one is refused unread."""

_INTEGER = r"0|-?[1-9][0-9]{0,17}"
"""Whole numbers as written canonically: no sign on zero, no leading zeros, no spaces."""

_NUMBER = r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?"
"""Numbers as written plainly: a point for decimals, no exponent, no thousands separator."""

DELIMITERS: dict[str, str] = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
"""Separators a spreadsheet may save "CSV" with; a file using one is named, not read."""


def printable(value: object) -> str:
    r"""Return ``str(value)`` with every non-printable character shown as an escape.

    Control characters (a terminal's escape sequences, line breaks, tabs) and
    invisible format characters (such as a right-to-left override) are written
    the way Python writes them in a string literal, so a value echoed in a
    message or on a page can neither steer a terminal nor hide what it holds.

    Examples
    --------
    >>> printable("plain text, kept")
    'plain text, kept'
    >>> printable("red\x1b[31m\ttab\nnew\u202eline")
    'red\\x1b[31m\\ttab\\nnew\\u202eline'
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


FIRST_PLACES = 3
"""How many places a grouped problem names before ``...``."""


def _where(problem: Any) -> str:
    """Name one problem's place: file, line, column and value, as far as it has them."""
    where = [problem.file]
    if not pd.isna(problem.row):
        where.append(f"line {problem.row}")
    if problem.column:
        where.append(f"column {problem.column}")
    if problem.value:
        where.append(f"value {problem.value!r}")
    return ", ".join(where)


def _place(problem: Any) -> str:
    """Name one place of a grouped problem: its line and value."""
    parts = [] if pd.isna(problem.row) else [f"line {problem.row}"]
    if problem.value:
        parts.append(repr(problem.value))
    return " ".join(parts) or "the whole file"


def problem_groups(problems: pd.DataFrame) -> pd.DataFrame:
    """Group problems by root cause: one group per file, column and rule.

    Parameters
    ----------
    problems : pandas.DataFrame
        As in :attr:`StudyValidationError.problems`.

    Returns
    -------
    pandas.DataFrame
        One row per cause, in the order the causes first appear: ``file``,
        ``column``, ``rule``, ``count`` and ``cause`` (the rule's name, before
        its colon).

    Examples
    --------
    >>> problems = pd.DataFrame(
    ...     [{"file": "ratings.csv", "row": r, "column": "theme", "value": "aff",
    ...       "rule": "unknown-theme: codebook.yaml defines no such theme"} for r in (2, 3)])
    >>> problem_groups(problems)[["file", "column", "count", "cause"]].values.tolist()
    [['ratings.csv', 'theme', 2, 'unknown-theme']]
    """
    keys = ["file", "column", "rule"]
    groups = problems.groupby(keys, sort=False, dropna=False).size().rename("count")
    groups = groups.reset_index()
    groups["cause"] = groups["rule"].str.split(":").str[0]
    return groups


def format_problems(folder: Path, problems: pd.DataFrame) -> str:
    """Describe problems as text, grouped by cause, with a count and the first few places.

    A cause met once is one line naming its file, line, column and value. A
    cause met more often is one line naming the file and column, how many rows
    (or places) break the rule, and the first :data:`FIRST_PLACES` of them.

    Parameters
    ----------
    folder : pathlib.Path
        The study folder, named in the first line.
    problems : pandas.DataFrame
        As in :attr:`StudyValidationError.problems`.

    Returns
    -------
    str
        A heading with the number of problems (and causes), then one indented
        line per cause.

    Examples
    --------
    >>> problems = pd.DataFrame(
    ...     [{"file": "ratings.csv", "row": 7, "column": "present", "value": "2",
    ...       "rule": "enum: must be one of 0, 1"}])
    >>> print(format_problems(Path("data"), problems))
    1 problem in study folder data:
      ratings.csv, line 7, column present, value '2': enum: must be one of 0, 1
    >>> rule = "unknown-theme: codebook.yaml defines no such theme"
    >>> many = pd.DataFrame([{"file": "ratings.csv", "row": r, "column": "theme",
    ...                       "value": "aff", "rule": rule} for r in range(2, 242)])
    >>> print(format_problems(Path("mine"), pd.concat([many, problems])))  # doctest: +ELLIPSIS
    241 problems in study folder mine, from 2 causes:
      ratings.csv, column theme: 240 rows: unknown-theme: ... (first: line 2 'aff', line 3 ...)
      ratings.csv, line 7, column present, value '2': enum: must be one of 0, 1
    """
    count = len(problems)
    groups = problem_groups(problems)
    causes = "" if len(groups) == count else f", from {len(groups)} causes"
    heading = f"{count} problem{'' if count == 1 else 's'} in study folder {printable(folder)}"
    lines = [f"{heading}{causes}:"]
    members = problems.groupby(["file", "column", "rule"], sort=False, dropna=False)
    for group in groups.itertuples(index=False):
        rows = members.get_group((group.file, group.column, group.rule))
        if group.count == 1:
            where = _where(next(rows.itertuples(index=False)))
            lines.append(f"  {printable(where)}: {printable(group.rule)}")
            continue
        kind = "rows" if rows["row"].notna().all() else "problems"
        places = ", ".join(_place(row) for row in rows.head(FIRST_PLACES).itertuples())
        more = ", ..." if group.count > FIRST_PLACES else ""
        where = group.file + (f", column {group.column}" if group.column else "")
        text = f"{where}: {group.count} {kind}: {group.rule} (first: {places}{more})"
        lines.append(f"  {printable(text)}")
    return "\n".join(lines)


_FIXES: dict[str, str] = {
    "delimiter": "{file} is not comma-separated: open it in your spreadsheet and save it as "
    "CSV UTF-8 with commas (LibreOffice: Save As, Text CSV, field delimiter ','; Excel: "
    "CSV UTF-8 (Comma delimited)).",
    "unknown-theme": "The theme ids in {file} must be ids of codebook.yaml, exactly: add each "
    "missing theme to codebook.yaml (an id and a label), or change the ids in {file} to the "
    "codebook's.",
    "missing-rows ratings.csv": "A rater who coded an interview needs a row for every theme of "
    "the codebook in ratings.csv: add the missing rows, with present left empty where the "
    "rater gave no code (an explicit missing rating). A rater who did not code an interview "
    "has no rows for it at all.",
    "missing-rows consensus.csv": "consensus.csv holds the final coding: add a row with "
    "present 0 or 1 for every session x informant x theme listed.",
    "enum": "Write the values in {file} exactly as listed (case and spaces count); to allow "
    "other groups or settings, declare them in the alliance:study record of datapackage.json.",
    "hash": "If the files were edited on purpose, rewrite datapackage.json so that it records "
    'their new hashes: python -c "from alliance.data.schema import refresh_datapackage; '
    'refresh_datapackage({folder})"',
    "required": "Fill in the empty cells of {file} (only optional columns may stay empty).",
    "type": "Write numbers in {file} plainly: digits, no spaces or thousands separators, a "
    "point for decimals.",
    "pattern": "Ids in {file} may hold only letters, digits, _ . and -, starting with a "
    "letter or digit.",
    "foreign-key": "Every id in {file} must match a row of the file it refers to (spelling and "
    "case count): add the missing rows there, or correct the ids.",
    "no-session": "Every person in {file} needs a session in sessions.csv: add the session or "
    "remove the row.",
    "missing-column": "Add the missing columns to the header of {file} (templates/study shows "
    "every header).",
    "missing-file": "Copy the missing files from templates/study and fill them in.",
    "raters": "Reliability needs at least two raters: add the other raters' codes to "
    "ratings.csv (the rater column says who coded each row).",
    "rater-name": "To keep your raters' names, add an alliance:study record (schema_version 2) "
    "to datapackage.json, as templates/study/datapackage.json shows; or rename them R1, R2, "
    "... in ratings.csv.",
    "rater-spelling": "Spell each rater's name one way in every row of ratings.csv.",
    "duplicate-key": "Each key may appear once in {file}: remove the repeated rows or correct "
    "their keys.",
    "duplicate-row": "Remove the repeated rows of {file}.",
    "row-length": "Every row of {file} needs as many fields as its header; a text holding a "
    "comma must be in double quotes.",
    "minimum": "Correct the values in {file}, or the declared range in the alliance:study "
    "record of datapackage.json.",
    "maximum": "Correct the values in {file}, or the declared range in the alliance:study "
    "record of datapackage.json.",
    "design": "Correct the alliance:study record of datapackage.json as described (see "
    "alliance.data.design for its fields).",
    "codebook": "Correct codebook.yaml as described: every theme needs an id and a label.",
    "encoding": "Save {file} as UTF-8 (in a spreadsheet: CSV UTF-8).",
    "no-rows": "Fill in the rows of {file}.",
    "theme-absent": "Excerpts and facets belong under a theme coded present (1) in "
    "consensus.csv: correct the theme or the consensus code.",
}
"""The likely fix for each cause (rule name; ``missing-rows`` per file)."""

SUGGESTIONS = 5
"""How many causes ``validate --fix-suggestions`` suggests a fix for (the most common)."""


def fix_suggestions(folder: Path, problems: pd.DataFrame, limit: int = SUGGESTIONS) -> list[str]:
    """Return the likely fix for the ``limit`` most common causes of the problems.

    Parameters
    ----------
    folder : pathlib.Path
        The study folder (named in commands the user can run).
    problems : pandas.DataFrame
        As in :attr:`StudyValidationError.problems`.
    limit : int
        How many causes to suggest a fix for.

    Returns
    -------
    list of str
        One line per cause, most common first: the file, the cause, how many
        problems it explains, and what to do.

    Examples
    --------
    >>> problems = pd.DataFrame([{"file": "clinics.csv", "row": 1, "column": "",
    ...     "value": "", "rule": "delimiter: this file is separated by ';'"}])
    >>> print(fix_suggestions(Path("mine"), problems)[0])  # doctest: +ELLIPSIS
    clinics.csv, delimiter (1 problem): clinics.csv is not comma-separated: open it ...
    """
    groups = problem_groups(problems)
    groups["key"] = groups["cause"].where(
        groups["cause"] != "missing-rows", groups["cause"] + " " + groups["file"]
    )
    groups = groups[groups["key"].isin(list(_FIXES))]
    causes = groups.groupby(["file", "key"], sort=False)["count"].sum().reset_index()
    causes["fix"] = [
        _FIXES[key].format(file=file, folder=repr(str(folder)))
        for file, key in zip(causes["file"], causes["key"], strict=True)
    ]
    causes = causes.groupby(["fix", "key"], sort=False).agg(
        count=("count", "sum"), file=("file", ", ".join)
    )
    causes = causes.reset_index().sort_values("count", ascending=False, kind="stable")
    lines = []
    for cause in causes.head(limit).itertuples(index=False):
        plural = "" if cause.count == 1 else "s"
        name = cause.key.split(" ")[0]
        lines.append(
            printable(f"{cause.file}, {name} ({cause.count} problem{plural}): {cause.fix}")
        )
    return lines


class StudyValidationError(ValueError):
    """A study folder breaks the schema; :attr:`problems` lists every problem.

    Parameters
    ----------
    folder : pathlib.Path
        The study folder that was checked.
    problems : pandas.DataFrame
        One row per problem with columns ``file``, ``row`` (line of the file,
        header = 1; missing when the problem is an absent row or a whole file),
        ``column``, ``value`` and ``rule`` (a rule name, a colon, an explanation).
    """

    def __init__(self, folder: Path, problems: pd.DataFrame) -> None:
        self.folder = folder
        self.problems = problems
        super().__init__(format_problems(folder, problems))


@dataclass
class _Problems:
    """Collects problems as they are found."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, file: str, rule: str, *, row: int | None = None, column: str = "", value: str = ""
    ) -> None:
        self.rows.append({"file": file, "row": row, "column": column, "value": value, "rule": rule})

    def add_cells(self, file: str, values: pd.Series, column: str, rule: str) -> None:
        """Add one problem per entry of ``values`` (indexed by line number)."""
        for line, value in values.items():
            self.add(file, rule, row=int(line), column=column, value=str(value))

    def frame(self) -> pd.DataFrame:
        """Return the problems in file order, then line order."""
        order = {f"{table}.csv": rank for rank, table in enumerate(TABLES)}
        problems = pd.DataFrame(self.rows, columns=list(PROBLEM_COLUMNS))
        problems["row"] = problems["row"].astype("Int64")
        rank = problems["file"].map(order).fillna(len(order))
        problems = problems.assign(_rank=rank).sort_values(
            ["_rank", "row"], kind="stable", na_position="last"
        )
        return problems.drop(columns="_rank").reset_index(drop=True)


@dataclass
class _Table:
    """One CSV table as text, indexed by line number.

    ``unusable`` marks the schema cells that are empty, missing or failed a field
    check: rows with such a cell in a key are left out of the checks across
    tables, so one mistake is reported once.
    """

    name: str
    frame: pd.DataFrame
    unusable: pd.DataFrame
    missing_columns: frozenset[str]
    fields: list[dict[str, Any]] = field(default_factory=list)
    ragged: dict[int, list[str]] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def claimed(self, columns: Sequence[str]) -> set[tuple[str | None, ...]]:
        """Return what rejected rows meant in ``columns``, read loosely (:func:`_loose`).

        A row is rejected when a cell of ``columns`` broke a rule, or when it has
        the wrong number of fields. A problem elsewhere that only such a row could
        have prevented (a rating of a session whose row was rejected) is a
        consequence, and says so (:func:`_is_claimed`). A broken cell after the
        first column could have meant anything (``None``).
        """
        columns = [column for column in columns if column in self.frame.columns]
        blocked = ~self.usable(columns)
        claims = set()
        for line, *values in self.frame.loc[blocked, columns].itertuples(name=None):
            broken = self.unusable.loc[line, columns].tolist()
            claims.add(
                tuple(
                    None if position and bad else _loose(value)
                    for position, (value, bad) in enumerate(zip(values, broken, strict=True))
                )
            )
        header = list(self.frame.columns)
        positions = [header.index(column) for column in columns]
        for fields in self.ragged.values():
            if max(positions, default=-1) < len(fields):
                claims.add(tuple(_loose(fields[position]) for position in positions))
        return claims

    def usable(self, columns: Sequence[str]) -> pd.Series:
        """Rows whose ``columns`` exist, are filled in and passed the field checks."""
        blocked = self.unusable[list(columns)].to_numpy().any(axis=1)
        return pd.Series(~blocked, index=self.frame.index)

    def keys(self, columns: Sequence[str]) -> pd.DataFrame:
        """Return the usable values of ``columns``, indexed by line number."""
        return self.frame.loc[self.usable(columns), list(columns)]


# -- reading ---------------------------------------------------------------------------------


def _study_file(folder: Path, file: str, problems: _Problems, required: bool = True) -> Path | None:
    """Return the path of a study file, or ``None`` (with a problem) when it cannot be read.

    A file (or link) that resolves outside the study folder is refused unread, as a
    ``datapackage.json`` path outside it is. A missing file is a problem when
    ``required``; otherwise it gives ``None`` silently.
    """
    path = folder / file
    if not path.exists() and not path.is_symlink():
        if required:
            problems.add(file, "missing-file: the study folder has no such file")
        return None
    if not path.resolve().is_relative_to(folder.resolve()):
        rule = "outside: the file is a link to a place outside the study folder; copy it in"
        problems.add(file, rule)
        return None
    if not path.is_file():
        problems.add(file, "not-a-file: expected a file, found a folder or a special file")
        return None
    return path


def _loose(value: str) -> str:
    """Compare ids loosely when tracing knock-on problems: no spaces, any case ('S 01' = 's01')."""
    return "".join(value.split()).casefold()


def _is_claimed(values: Sequence[str], claims: set[tuple[str | None, ...]]) -> bool:
    """Whether a rejected row may have meant ``values`` (see :meth:`_Table.claimed`)."""
    loose = [_loose(value) for value in values]
    return any(
        all(want is None or want == have for want, have in zip(claim, loose, strict=True))
        for claim in claims
    )


def _read_bytes(
    path: Path, file: str, problems: _Problems, limit: int | None = None
) -> bytes | None:
    """Read a file's bytes; an unreadable or too large file becomes one problem."""
    try:
        if limit is not None and path.stat().st_size > limit:
            problems.add(file, f"too-large: the file has more than {limit:,} bytes; not read")
            return None
        return path.read_bytes()
    except OSError as error:
        problems.add(file, f"unreadable: {error.strerror or error} (check its permissions)")
        return None


def _oversized_cell(text: str) -> tuple[int, int] | None:
    """Return (line, column position) of the first cell longer than :data:`CSV_FIELD_LIMIT`."""
    reader = csv.reader(io.StringIO(text, newline=""))
    previous = csv.field_size_limit(len(text) + 1)
    try:
        consumed = 0
        for fields in reader:
            for position, value in enumerate(fields):
                if len(value) > CSV_FIELD_LIMIT:
                    return consumed + 1, position
            consumed = reader.line_num
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(previous)
    return None


def _read_records(path: Path, file: str, problems: _Problems) -> list[tuple[int, list[str]]]:
    """Return ``(line, fields)`` for every non-blank record of a CSV file, exactly as text."""
    raw = _read_bytes(path, file, problems)
    if raw is None:
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        bad = repr(raw[error.start : error.end])
        problems.add(file, "encoding: the file is not UTF-8", row=line, value=bad)
        return []
    if not text.strip():
        problems.add(file, "empty-file: the file has no header and no rows", row=1)
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    consumed = 0
    try:
        for fields in reader:
            if fields:
                records.append((consumed + 1, fields))
            consumed = reader.line_num
    except csv.Error as error:
        oversized = _oversized_cell(text) if "field limit" in str(error) else None
        if oversized is None:
            problems.add(file, f"csv-syntax: {error}", row=reader.line_num)
        else:
            line, position = oversized
            header = records[0][1] if records else []
            column = header[position] if position < len(header) else f"field {position + 1}"
            rule = (
                f"field-size: the cell is longer than {CSV_FIELD_LIMIT:,} characters, the "
                "limit of the CSV reader (CSV_FIELD_LIMIT); split the text"
            )
            problems.add(file, rule, row=line, column=column)
        return []
    return records


def _delimiter(header: list[str]) -> str | None:
    """Return the separator a header uses more often than commas (``None``: commas).

    Examples
    --------
    >>> _delimiter(["clinic_id;setting"]), _delimiter(["client_id;age;gender", " age"])
    (';', ';')
    >>> _delimiter(["clinic_id", "setting"]) is None
    True
    """
    return next(
        (mark for mark in DELIMITERS if sum(cell.count(mark) for cell in header) >= len(header)),
        None,
    )


def _read_table(
    folder: Path, name: str, problems: _Problems, design: Design | None = None
) -> _Table | None:
    """Read one table as text and check its header and the length of every row."""
    file = f"{name}.csv"
    path = _study_file(folder, file, problems)
    if path is None:
        return None
    records = _read_records(path, file, problems)
    if not records:
        return None
    header_line, header = records[0]
    mark = _delimiter(header)
    if mark is not None:
        shown = repr(mark)[1:-1]
        rule = (
            f"delimiter: this file is separated by '{shown}' ({DELIMITERS[mark]}, as some "
            "spreadsheets save CSV in some locales); save it as comma-separated CSV (UTF-8)"
        )
        problems.add(file, rule, row=header_line)
        return None
    duplicated = sorted({column for column in header if header.count(column) > 1})
    for position, column in enumerate(header, start=1):
        if not column:
            problems.add(file, f"header: column {position} has no name", row=header_line)
    for column in duplicated:
        problems.add(file, "header: the column name appears twice", row=header_line, column=column)
    if "" in header or duplicated:
        return None
    lines, rows, ragged = [], [], {}
    for line, fields in records[1:]:
        if len(fields) == len(header):
            lines.append(line)
            rows.append(fields)
        else:
            rule = f"row-length: the header has {len(header)} fields, this row another number"
            problems.add(file, rule, row=line, value=f"{len(fields)} fields")
            ragged[line] = fields
    if len(records) == 1 and name not in OPTIONAL_ROWS:
        problems.add(file, "no-rows: the table has a header but no data rows")
    specs = table_schema(name, design)["fields"]
    columns = [spec["name"] for spec in specs]
    absent = [column for column in columns if column not in header]
    missing = [column for column in absent if column not in optional_columns(name, design)]
    for column in missing:
        rule = "missing-column: a required column is not in the header"
        problems.add(file, rule, row=header_line, column=column)
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=str)
    frame = frame.assign(**dict.fromkeys(absent, ""))
    return _Table(name, frame, frame[columns] == "", frozenset(missing), specs, ragged)


# -- one table at a time ---------------------------------------------------------------------


def _enum_problem(value: str, spec: Mapping[str, Any]) -> str:
    """Say why a value is not in a field's code list (a theme, or a spelling to correct)."""
    options = [str(option) for option in spec["constraints"]["enum"]]
    near = [option for option in options if option.casefold() == value.strip().casefold()]
    hint = f" (did you mean {near[0]!r}? codes are exact: case and spaces count)" if near else ""
    if spec["name"] == "theme":
        listed = ", ".join(options)
        return f"unknown-theme: codebook.yaml defines no such theme{hint} (its themes: {listed})"
    return "enum: must be one of " + ", ".join(options) + hint


def _cell_problem(value: str, spec: Mapping[str, Any]) -> str | None:
    """Return the first Table Schema rule a cell breaks (``None`` if it is valid)."""
    rules = spec.get("constraints", {})
    if value == "":
        return "required: the cell is empty" if rules.get("required") else None
    typed: str | int | float = value
    if spec["type"] == "integer":
        if not re.fullmatch(_INTEGER, value):
            return "type: must be a whole number written plainly, such as 0, 1 or 42"
        typed = int(value)
    elif spec["type"] == "number":
        if not re.fullmatch(_NUMBER, value):
            return "type: must be a number written plainly, such as 3 or 2.5"
        typed = float(value)
    if "enum" in rules and typed not in rules["enum"]:
        return _enum_problem(value, spec)
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value):
        if rules["pattern"] == RATER_PATTERN:
            return (
                "rater-name: schema version 1 names raters R1, R2, ...; to name them freely, "
                "declare schema version 2 (see templates/study)"
            )
        return f"pattern: must match the regular expression {rules['pattern']}"
    if "minimum" in rules and typed < rules["minimum"]:
        return f"minimum: must be at least {rules['minimum']}"
    if "maximum" in rules and typed > rules["maximum"]:
        return f"maximum: must be at most {rules['maximum']}"
    return None


def _check_field(table: _Table, spec: Mapping[str, Any], problems: _Problems) -> None:
    """Check one column cell by cell against its type and constraints."""
    column = spec["name"]
    values = table.frame[column]
    verdicts = {value: _cell_problem(value, spec) for value in values.unique()}
    failed = values.map(verdicts).notna()
    for line, value in values[failed].items():
        problems.add(table.file, verdicts[value], row=int(line), column=column, value=value)
    table.unusable[column] = failed | (values == "")
    if spec.get("constraints", {}).get("unique"):
        first: dict[str, int] = {}
        for line, value in values[~table.unusable[column]].items():
            if value in first:
                rule = "unique: the value must not repeat"
                shown = f"{value} (also on line {first[value]})"
                problems.add(table.file, rule, row=int(line), column=column, value=shown)
            first.setdefault(value, int(line))


def _check_primary_key(table: _Table, problems: _Problems) -> None:
    """Report exact duplicate rows and rows repeating a primary key with other values."""
    key = table_schema(table.name, None)["primaryKey"]
    frame = table.frame[table.usable(key)]
    repeated = frame.index[frame.duplicated(subset=key)]
    first: dict[tuple[str, ...], int] = {}
    for line, *values in frame[key].itertuples(name=None):
        first.setdefault(tuple(values), line)
    named = ", ".join(key)
    for line in repeated:
        original = first[tuple(frame.loc[line, key])]
        differs = [c for c in frame.columns if frame.at[line, c] != frame.at[original, c]]
        if differs:
            values = "/".join(frame.at[line, c] for c in differs)
            rule = f"duplicate-key: an earlier line has the same {named} but different values"
            before = "/".join(frame.at[original, c] for c in differs)
            values = f"{values} (line {original}: {before})"
            problems.add(table.file, rule, row=int(line), column=", ".join(differs), value=values)
        else:
            values = "/".join(frame.at[line, c] for c in key)
            rule = "duplicate-row: an exact copy of an earlier line"
            problems.add(
                table.file, rule, row=int(line), column=named, value=f"{values} (line {original})"
            )


# -- across tables ---------------------------------------------------------------------------


def _check_foreign_key(
    table: _Table, key: Mapping[str, Any], tables: Mapping[str, _Table | None], problems: _Problems
) -> None:
    """Report rows whose foreign key matches no row of the referenced table."""
    reference = tables[key["reference"]["resource"]]
    if reference is None:
        return
    known = set(reference.keys(key["reference"]["fields"]).itertuples(index=False, name=None))
    claimed = reference.claimed(key["reference"]["fields"])
    names = ", ".join(key["fields"])
    rule = f"foreign-key: no row of {reference.file} has this {names}"
    consequence = f"{rule} (consequence of its rejected row in {reference.file}, reported above)"
    for line, *values in table.keys(key["fields"]).itertuples(name=None):
        if tuple(values) not in known:
            for column in key["fields"]:  # rejected: later checks leave the row out
                table.unusable.at[line, column] = True
            because = consequence if _is_claimed(values, claimed) else rule
            problems.add(table.file, because, row=int(line), column=names, value="/".join(values))


def _check_has_session(
    table: _Table, column: str, sessions: _Table | None, problems: _Problems
) -> None:
    """Report clients or therapists that no session in sessions.csv refers to."""
    if sessions is None or column in sessions.missing_columns:
        return
    ids = table.keys([column])[column]
    unused = ids[~ids.isin(sessions.keys([column])[column])]
    claimed = sessions.claimed([column])
    rule = "no-session: no row of sessions.csv refers to it"
    consequence = f"{rule} (consequence of its rejected row in sessions.csv, reported above)"
    knock_on = unused.map(lambda value: _is_claimed([value], claimed)).astype(bool)
    problems.add_cells(table.file, unused[~knock_on], column, rule)
    problems.add_cells(table.file, unused[knock_on], column, consequence)


def _check_coded_present(table: _Table, consensus: _Table | None, problems: _Problems) -> None:
    """Report facets and excerpts whose theme is coded absent in consensus.csv."""
    if consensus is None:
        return
    key = ["session_id", "informant", "theme"]
    codes = consensus.keys([*key, "present"]).drop_duplicates(key)
    rows = table.keys(key).reset_index().merge(codes, on=key)
    absent = rows[rows["present"] == "0"]
    rule = "theme-absent: the theme is coded absent (present 0) in consensus.csv for this interview"
    problems.add_cells(table.file, absent.set_index("line")["theme"], "theme", rule)


def _covered(table: _Table, columns: Sequence[str]) -> set[tuple[str, ...]]:
    """Key prefixes under which a row was rejected: its missing rows are not reported again.

    A row whose first ``k`` key cells are usable but whose next one is not (an
    unknown theme, say) may be the very row that looks missing, so nothing is
    reported missing under those ``k`` values (``k`` > 0: a rejected first cell
    would hide every gap of the file), nor under the ``k + 1`` values read
    loosely (a session ``S 01`` explains the gap of ``S01``; see :func:`_loose`).
    """
    usable = ~table.unusable[list(columns)]
    rejected = table.frame.loc[~usable.all(axis=1), list(columns)]
    covered = set()
    for line, *values in rejected.itertuples(name=None):
        depth = 0
        while depth < len(columns) and usable.at[line, columns[depth]]:
            depth += 1
        loose = tuple(map(_loose, values))
        if depth > 0:
            covered.add(loose[:depth])
        covered.add(loose[: depth + 1])
    return covered


def _is_covered(key: tuple[str, ...], covered: set[tuple[str, ...]]) -> bool:
    """Whether a rejected row may explain a gap at ``key`` (see :func:`_covered`)."""
    loose = tuple(map(_loose, key))
    return any(loose[:depth] in covered for depth in range(1, len(key) + 1))


def _check_complete(
    table: _Table, levels: Sequence[tuple[str, Sequence[str]]], rule: str, problems: _Problems
) -> None:
    """Report every missing combination of ``levels``, at the coarsest level it is missing.

    A session without any row gives one problem, an informant missing from one
    session gives one problem, a single missing theme gives one problem. The
    missing combination is the problem's ``value`` (``S1/client/trust``); gaps a
    rejected row may explain are left out (see :func:`_covered`).
    """
    columns = [column for column, _ in levels]
    rows = table.keys(columns).itertuples(index=False, name=None)
    prefixes = set()
    for row in rows:
        prefixes.update(row[:depth] for depth in range(1, len(row) + 1))
    covered = _covered(table, columns)

    def walk(prefix: tuple[str, ...]) -> None:
        column, values = levels[len(prefix)]
        for value in values:
            here = (*prefix, value)
            if here in prefixes:
                if len(here) < len(levels):
                    walk(here)
            elif not _is_covered(here, covered):
                problems.add(table.file, rule, column=column, value="/".join(here))

    walk(())


def _check_raters(ratings: _Table, problems: _Problems) -> None:
    """At least two raters (counted over every row), and one spelling per rater."""
    named = sorted(set(ratings.frame["rater"]) - {""})
    if len(named) < 2 and len(ratings.frame):
        rule = "raters: reliability needs at least two raters; ratings.csv names fewer"
        problems.add(ratings.file, rule, column="rater", value=", ".join(named))
    spellings: dict[str, list[str]] = {}
    for name in named:
        spellings.setdefault(name.casefold(), []).append(name)
    for same in spellings.values():
        if len(same) > 1:
            rule = "rater-spelling: these names differ only in case; spell each rater one way"
            problems.add(ratings.file, rule, column="rater", value=" / ".join(same))


def _check_coding_complete(
    tables: Mapping[str, _Table | None], design: Design, problems: _Problems
) -> None:
    """Check the coding design of ratings.csv and the completeness of consensus.csv.

    A rater has rows only for the interviews they coded, but for every theme of
    each of them (``present`` may be empty: an explicit missing rating). The
    consensus has a row for every session x informant x theme of the design.
    """
    sessions, ratings, consensus = tables["sessions"], tables["ratings"], tables["consensus"]
    if ratings is not None and not ratings.missing_columns:
        _check_raters(ratings, problems)
        columns = ["session_id", "informant", "rater", "theme"]
        covered = _covered(ratings, columns)
        coded = ratings.keys(columns).groupby(columns[:3], sort=False)["theme"].agg(set)
        rule = (
            "missing-rows: a rater who coded an interview needs a row for every theme "
            "(leave present empty for a missing rating)"
        )
        for interview, themes in coded.items():
            for theme in design.themes:
                if theme not in themes and not _is_covered(interview, covered):
                    value = "/".join((*interview, theme))
                    problems.add(ratings.file, rule, column="theme", value=value)
    if sessions is None or consensus is None or consensus.missing_columns:
        return
    session_ids = sorted(sessions.keys(["session_id"])["session_id"].unique())
    levels = [
        ("session_id", session_ids),
        ("informant", design.informants),
        ("theme", design.themes),
    ]
    rule = "missing-rows: consensus.csv needs one row per session x informant x theme"
    _check_complete(consensus, levels, rule, problems)


# -- codebook.yaml and datapackage.json ------------------------------------------------------


def _read_codebook(folder: Path, problems: _Problems) -> dict[str, Any] | None:
    """Parse and check codebook.yaml with :func:`alliance.data.codebook.load_codebook`."""
    path = _study_file(folder, CODEBOOK_FILE, problems)
    if path is None:
        return None
    try:
        return load_codebook(path)
    except OSError as error:
        problems.add(
            CODEBOOK_FILE, f"unreadable: {error.strerror or error} (check its permissions)"
        )
    except UnicodeDecodeError as error:
        problems.add(CODEBOOK_FILE, f"encoding: the file is not UTF-8 ({error.reason})")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        row = None if mark is None else mark.line + 1
        message = " ".join(str(error).split())
        problems.add(CODEBOOK_FILE, f"yaml: not valid YAML ({message})", row=row)
    except CodebookError as error:
        for problem in error.problems:
            problems.add(CODEBOOK_FILE, f"codebook: {problem}")
    except (TypeError, KeyError, AttributeError) as error:
        rule = f"codebook: unexpected structure ({type(error).__name__}: {error})"
        problems.add(CODEBOOK_FILE, rule)
    return None


def _check_facets_allowed(facets: _Table, codebook: Mapping[str, Any], problems: _Problems) -> None:
    """Report facets the codebook does not define, or codes under a theme it does not allow."""
    allowed = facet_parent_themes(codebook)
    informant_of = dict(zip(allowed["facet"], allowed["informant"], strict=True))
    parents = allowed.groupby(["facet", "valence"])["theme"].agg(list).to_dict()
    rows = facets.keys(["facet", "informant", "valence", "theme"])
    for line, facet, informant, valence, theme in rows.itertuples(name=None):
        if facet not in informant_of:
            rule = "codebook-facet: codebook.yaml defines no such facet"
            problems.add(facets.file, rule, row=int(line), column="facet", value=facet)
        elif informant != informant_of[facet]:
            rule = (
                f"codebook-facet: codebook.yaml codes {facet} in {informant_of[facet]} interviews"
            )
            problems.add(facets.file, rule, row=int(line), column="informant", value=informant)
        elif theme not in parents.get((facet, valence), []):
            themes = ", ".join(parents.get((facet, valence), [])) or "no theme"
            rule = f"codebook-facet: codebook.yaml allows a {valence} {facet} only under {themes}"
            problems.add(facets.file, rule, row=int(line), column="theme", value=theme)


def _read_datapackage(folder: Path, problems: _Problems) -> dict[str, Any] | None:
    """Parse datapackage.json (optional); :func:`_check_hashes` compares it with the files."""
    path = _study_file(folder, DATAPACKAGE_FILE, problems, required=False)
    raw = None if path is None else _read_bytes(path, DATAPACKAGE_FILE, problems, DATAPACKAGE_LIMIT)
    if raw is None:
        return None
    try:
        package = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        problems.add(DATAPACKAGE_FILE, "encoding: the file is not UTF-8", row=line)
        return None
    except json.JSONDecodeError as error:
        problems.add(DATAPACKAGE_FILE, f"json: not valid JSON ({error.msg})", row=error.lineno)
        return None
    except (ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        problems.add(DATAPACKAGE_FILE, f"json: cannot be read ({reason})")
        return None
    resources = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources, list):
        problems.add(DATAPACKAGE_FILE, "datapackage: needs a list of resources", column="resources")
        return None
    if not isinstance(package.get(SYNTHETIC_KEY, {}), dict):
        rule = "datapackage: must be an object (seed, scale, generator) when present"
        problems.add(DATAPACKAGE_FILE, rule, column=SYNTHETIC_KEY)
    return package


def _check_hashes(folder: Path, package: Mapping[str, Any], problems: _Problems) -> None:
    """Compare the sha256 hashes datapackage.json records with the files.

    An empty list of resources (a study that declares its design but has not
    recorded its files yet, like ``templates/study``) records no hashes to check.
    """
    resources = package["resources"]
    if not resources:
        return
    hashed = {}
    for index, resource in enumerate(resources):
        if isinstance(resource, dict) and isinstance(resource.get("path"), str):
            hashed[resource["path"]] = (index, resource.get("hash"))
    for file in [*(f"{table}.csv" for table in TABLES), CODEBOOK_FILE]:
        if file not in hashed or hashed[file][1] is None:
            rule = "hash: datapackage.json records no sha256 hash for this file"
            problems.add(DATAPACKAGE_FILE, rule, column="resources", value=file)
    inside = folder.resolve()
    for file, (index, recorded) in hashed.items():
        column = f"resources[{index}].path"
        if Path(file).is_absolute() or ".." in Path(file).parts:
            rule = "resource: paths must be relative and stay inside the study folder"
            problems.add(DATAPACKAGE_FILE, rule, column=column, value=file)
        elif not (folder / file).resolve().is_relative_to(inside):
            rule = "resource: the path is a link to a place outside the study folder"
            problems.add(DATAPACKAGE_FILE, rule, column=column, value=file)
        elif not (folder / file).is_file():
            rule = "resource: datapackage.json describes a file that does not exist"
            problems.add(DATAPACKAGE_FILE, rule, column=column, value=file)
        elif recorded is not None:
            try:
                actual = file_sha256(folder / file)
            except OSError as error:
                if not any(
                    p["file"] == file and p["rule"].startswith("unreadable") for p in problems.rows
                ):
                    rule = f"unreadable: {error.strerror or error} (check its permissions)"
                    problems.add(file, rule)
                continue
            if recorded != actual:
                rule = (
                    "hash: the file's content does not match the hash recorded here (edited "
                    "after datapackage.json was written?)"
                )
                problems.add(DATAPACKAGE_FILE, rule, column="resources", value=file)


# -- the loaded study ------------------------------------------------------------------------


def _read_design(
    package: Mapping[str, Any] | None, codebook: Mapping[str, Any] | None, problems: _Problems
) -> Design | None:
    """Read the study's design; a malformed ``alliance:study`` record is one problem per fault."""
    try:
        return read_design(package, codebook or {})
    except DesignError as error:
        for where, rule in error.problems:
            problems.add(DATAPACKAGE_FILE, f"design: {rule}", column=where)
    return None


def _typed_frame(table: _Table) -> pd.DataFrame:
    """Convert a checked table to its schema types; extra columns stay text.

    Optional integers become nullable ``Int64``, except ``present``: ``int64``
    when every rating is given, ``Int64`` only when some rating is missing.
    """
    frame = table.frame.reset_index(drop=True)
    columns = {}
    for spec in table.fields:
        values = frame[spec["name"]]
        required = spec.get("constraints", {}).get("required", False)
        if not required:
            values = values.mask(values == "")
        if spec["type"] == "integer":
            whole = required or (spec["name"] == "present" and values.notna().all())
            values = values.astype("int64" if whole else "Int64")
        elif spec["type"] == "number":
            values = values.astype("float64")
        columns[spec["name"]] = values
    extras = {column: frame[column] for column in frame.columns if column not in columns}
    return pd.DataFrame({**columns, **extras})


@dataclass(frozen=True, eq=False)
class Study:
    """A validated study: the eight tables, the codebook and where they came from.

    Build it with :func:`load_study`, which validates every table first. Columns
    have their schema types (identifiers and codes as text, ``present`` and
    counts as integers; optional integers as nullable ``Int64``, empty optional
    cells as missing; ``ratings.present`` is ``int64``, or ``Int64`` when a
    schema-2 study leaves some rating empty). Columns a study adds beyond the
    schema are kept, as text.

    Attributes
    ----------
    clinics, therapists, clients, sessions, ratings, consensus, facets, excerpts : pandas.DataFrame
        The tables of :data:`alliance.data.schema.TABLES`, rows in file order.
    codebook : dict
        ``codebook.yaml`` as parsed.
    path : pathlib.Path
        The study folder.
    synthetic : dict or None
        The ``"alliance:synthetic"`` property of ``datapackage.json`` (seed,
        scale, generator) for generated data; ``None`` when the folder does not declare
        its provenance (real data, or data made by another program).
    design : alliance.data.design.Design
        The study's design (themes and labels from its codebook, informants,
        groups, settings, ranges, what it reconstructs). A ``Study`` built in
        memory without one is the compendium's reconstructed study
        (:func:`article_design`).

    Examples
    --------
    >>> study = load_study()
    >>> study.dyads.columns.tolist()
    ['session_id', 'client_id', 'therapist_id', 'clinic_id', 'client_ethnicity', \
'therapist_ethnicity', 'dyad_type']
    """

    clinics: pd.DataFrame
    therapists: pd.DataFrame
    clients: pd.DataFrame
    sessions: pd.DataFrame
    ratings: pd.DataFrame
    consensus: pd.DataFrame
    facets: pd.DataFrame
    excerpts: pd.DataFrame
    codebook: dict[str, Any]
    path: Path
    synthetic: dict[str, Any] | None = None
    design: Design = field(default_factory=lambda: article_design())

    @property
    def dyads(self) -> pd.DataFrame:
        """One row per session: who met whom, where, and which group the session is in.

        Returns
        -------
        pandas.DataFrame
            Columns ``session_id``, ``client_id``, ``therapist_id``, ``clinic_id``,
            ``client_ethnicity``, ``therapist_ethnicity`` and ``dyad_type``, sorted
            by ``session_id``. The two ``*_ethnicity`` columns hold the values of
            the design's grouping variable (``ethnicity`` in schema 1; missing for
            a therapist without the column). ``dyad_type`` is the session's group
            (:attr:`alliance.data.design.Grouping.labels`): with the ``match``
            rule ``same`` (``concordant``) when both values are equal, else
            ``different`` (``discordant``); with the ``client`` rule the client's value.

        Examples
        --------
        >>> load_study().dyads["dyad_type"].value_counts().sort_index().to_dict()
        {'concordant': 26, 'discordant': 29}
        """
        grouping = self.design.grouping
        variable = grouping.variable
        clients = self.clients[["client_id", variable]].rename(columns={variable: "ethnicity"})
        therapists = self.therapists.reindex(columns=["therapist_id", "clinic_id", variable])
        therapists = therapists.rename(columns={variable: "ethnicity"})
        dyads = (
            self.sessions[["session_id", "client_id", "therapist_id"]]
            .merge(
                clients.rename(columns={"ethnicity": "client_ethnicity"}),
                on="client_id",
                how="left",
                validate="one_to_one",
            )
            .merge(
                therapists.rename(columns={"ethnicity": "therapist_ethnicity"}),
                on="therapist_id",
                how="left",
                validate="many_to_one",
            )
        )
        ethnicities = dyads[["client_ethnicity", "therapist_ethnicity"]]
        if grouping.rule == "match":
            same = ethnicities["client_ethnicity"] == ethnicities["therapist_ethnicity"]
            dyad_type = same.map({True: grouping.same, False: grouping.different})
            dyads["dyad_type"] = dyad_type.where(ethnicities.notna().all(axis=1))
        else:
            dyads["dyad_type"] = ethnicities["client_ethnicity"]
        columns = [
            "session_id",
            "client_id",
            "therapist_id",
            "clinic_id",
            "client_ethnicity",
            "therapist_ethnicity",
            "dyad_type",
        ]
        return dyads[columns].sort_values("session_id", ignore_index=True)


@functools.cache
def article_design() -> Design:
    """Return the design of the compendium's reconstructed study (schema 1, the article's).

    Examples
    --------
    >>> design = article_design()
    >>> design.schema_version, len(design.themes), design.reconstructs_article
    (1, 8, True)
    """
    return dataclasses.replace(read_design({}, load_codebook()), reconstructs=DOI)


@dataclass
class _Inspection:
    """Everything read from a study folder, with the problems found."""

    folder: Path
    tables: dict[str, _Table | None]
    codebook: dict[str, Any] | None
    package: dict[str, Any] | None
    problems: pd.DataFrame
    design: Design | None = None

    def study(self) -> Study:
        """Return the typed study (only call when there are no problems)."""
        frames = {name: _typed_frame(table) for name, table in self.tables.items() if table}
        synthetic = None if self.package is None else self.package.get(SYNTHETIC_KEY)
        return Study(
            **frames,
            codebook=self.codebook or {},
            path=self.folder,
            synthetic=synthetic,
            design=self.design or VERSION_1,
        )

    def extra_columns(self) -> dict[str, list[str]]:
        """Columns beyond the schema, per file (kept as text, not checked)."""
        extras = {}
        for table in self.tables.values():
            if table is not None:
                known = {spec["name"] for spec in table.fields}
                extra = [column for column in table.frame.columns if column not in known]
                if extra:
                    extras[table.file] = extra
        return extras


def _inspect(folder: Path) -> _Inspection:
    """Read and check every file of a study folder, collecting all problems."""
    problems = _Problems()
    if not folder.is_dir():
        problems.add(str(folder), "missing-folder: there is no such study folder")
        return _Inspection(folder, {}, None, None, problems.frame())
    if not os.access(folder, os.R_OK | os.X_OK):
        problems.add(str(folder), "unreadable: permission denied for the study folder")
        return _Inspection(folder, {}, None, None, problems.frame())
    codebook = _read_codebook(folder, problems)
    package = _read_datapackage(folder, problems)
    design = _read_design(package, codebook, problems)
    if design is None:
        return _Inspection(folder, {}, codebook, package, problems.frame())
    tables = {name: _read_table(folder, name, problems, design) for name in TABLES}
    present = {name: table for name, table in tables.items() if table is not None}
    for table in present.values():
        for spec in table.fields:
            if spec["name"] in table.missing_columns:
                continue
            if spec["name"] == "theme" and codebook is None:
                spec = {**spec, "constraints": {"required": True}}  # themes unknown: see codebook
            _check_field(table, spec, problems)
    for name, table in present.items():
        _check_primary_key(table, problems)
        for key in foreign_keys(name, design):
            _check_foreign_key(table, key, tables, problems)
    for name, column in (("therapists", "therapist_id"), ("clients", "client_id")):
        if tables[name] is not None:
            _check_has_session(tables[name], column, tables["sessions"], problems)
    if codebook is not None:
        _check_coding_complete(tables, design, problems)
    for name in ("facets", "excerpts"):
        if tables[name] is not None:
            _check_coded_present(tables[name], tables["consensus"], problems)
    if codebook is not None and tables["facets"] is not None:
        _check_facets_allowed(tables["facets"], codebook, problems)
    if package is not None:
        _check_hashes(folder, package, problems)
    return _Inspection(folder, tables, codebook, package, problems.frame(), design)


def load_study(path: str | Path | None = None) -> Study:
    """Read, validate and type every table of a study folder.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The study folder. Defaults to :func:`alliance.data.paths.data_dir`:
        ``$ALLIANCE_DATA`` if set, else the nearest ``data/`` folder with a
        ``datapackage.json`` (the compendium's synthetic study).

    Returns
    -------
    Study
        The validated, typed tables. Nothing in the folder is modified.

    Raises
    ------
    StudyValidationError
        If anything breaks the schema or the study's rules; the message and
        ``.problems`` list every problem with file, line, column, value and rule.

    Examples
    --------
    >>> study = load_study()
    >>> len(study.sessions), sorted(study.ratings["rater"].unique())
    (55, ['R1', 'R2', 'R3'])
    """
    folder = data_dir() if path is None else Path(path)
    inspection = _inspect(folder)
    if len(inspection.problems):
        raise StudyValidationError(folder, inspection.problems)
    return inspection.study()


def raters_per_interview(ratings: pd.DataFrame, interviews: pd.DataFrame) -> pd.DataFrame:
    """Count the raters who gave at least one code (``present`` 0 or 1) in each interview.

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings`` (``present`` may be empty: a missing rating).
    interviews : pandas.DataFrame
        The interviews to count for: ``session_id`` and ``informant``, one row
        each (an interview nobody rated gets 0).

    Returns
    -------
    pandas.DataFrame
        ``interviews`` with a column ``raters``, in its row order.

    Examples
    --------
    >>> ratings = pd.DataFrame({"session_id": ["S1", "S1", "S2"], "informant": "client",
    ...                         "rater": ["Ana", "Ben", "Ana"], "present": [1, 0, None]})
    >>> interviews = pd.DataFrame({"session_id": ["S1", "S2"], "informant": "client"})
    >>> raters_per_interview(ratings, interviews)["raters"].tolist()
    [2, 0]
    """
    key = ["session_id", "informant"]
    given = ratings[ratings["present"].notna()]
    counts = given.groupby(key)["rater"].nunique()
    index = pd.MultiIndex.from_frame(interviews[key])
    raters = counts.reindex(index, fill_value=0).astype(int).to_numpy()
    return interviews.reset_index(drop=True).assign(raters=raters)


def coding_coverage(study: Study) -> pd.DataFrame:
    """Count, per informant, the interviews coded by two or more raters, by one, or by none.

    An interview counts as coded by a rater when the rater gave at least one
    code (``present`` 0 or 1) in it; reliability can only use the double-coded ones.
    :func:`alliance.study.reliability.rating_coverage` adds raters and units.

    Parameters
    ----------
    study : Study
        A loaded study.

    Returns
    -------
    pandas.DataFrame
        One row per informant of the design: ``informant``, ``interviews``,
        ``double_coded``, ``single_coded`` and ``not_coded`` (not coded
        independently; only the consensus codes it).

    Examples
    --------
    >>> coding_coverage(load_study()).to_dict("records")[0]
    {'informant': 'client', 'interviews': 55, 'double_coded': 55, 'single_coded': 0, 'not_coded': 0}
    """
    sessions = study.sessions["session_id"]
    interviews = pd.DataFrame(
        [(s, i) for i in study.design.informants for s in sessions],
        columns=["session_id", "informant"],
    )
    counted = raters_per_interview(study.ratings, interviews)
    rows = []
    for informant in study.design.informants:
        counts = counted.loc[counted["informant"] == informant, "raters"]
        rows.append(
            {
                "informant": informant,
                "interviews": len(counts),
                "double_coded": int((counts >= 2).sum()),
                "single_coded": int((counts == 1).sum()),
                "not_coded": int((counts == 0).sum()),
            }
        )
    return pd.DataFrame(rows)


def _coverage_lines(study: Study) -> list[str]:
    """Say how the interviews were coded, when not every interview was coded by every rater."""
    coverage = coding_coverage(study)
    raters = study.ratings["rater"].nunique()
    crossed = len(study.ratings) == raters * coverage["interviews"].sum() * len(study.design.themes)
    if crossed:
        return []
    parts = [
        f"{row.informant} interviews: {row.double_coded} double-coded, "
        f"{row.single_coded} single-coded, {row.not_coded} not independently coded"
        for row in coverage.itertuples()
    ]
    lines = ["Coding design: " + "; ".join(parts) + "."]
    if coverage["double_coded"].sum() == 0:
        lines.append(
            "note: no interview was coded by two raters, so inter-rater reliability cannot be "
            "computed; the other analyses use the consensus coding."
        )
    return lines


def validation_report(path: str | Path | None = None, suggest_fixes: bool = False) -> int:
    """Print the validation report of a study folder; return the exit code.

    This is ``python -m alliance validate DIR``. It prints the problems grouped
    by cause (:func:`format_problems`; with ``suggest_fixes``, then the likely
    fix of the most common causes) or a summary of the valid study (how its
    interviews were coded when not every rater coded every interview), plus any
    extra columns (kept, not checked).

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The study folder; defaults as in :func:`load_study`.
    suggest_fixes : bool
        Also print the likely fix for the :data:`SUGGESTIONS` most common causes.

    Returns
    -------
    int
        0 if the folder is valid, 1 if there is any problem.

    Examples
    --------
    >>> exit_code = validation_report()  # doctest: +ELLIPSIS
    /.../data is a valid study: 4 clinics, 22 therapists, 55 clients, 55 sessions, 3 raters, ...
    >>> exit_code
    0
    """
    folder = data_dir() if path is None else Path(path)
    inspection = _inspect(folder)
    for file, columns in inspection.extra_columns().items():
        named = ", ".join(printable(column) for column in columns)
        print(f"note: {file} has extra columns, kept as text and not checked: {named}")
    if inspection.package is None and not (folder / DATAPACKAGE_FILE).is_file():
        print(f"note: no {DATAPACKAGE_FILE}: hashes not checked (see schema.write_datapackage)")
    elif inspection.package is not None and not inspection.package["resources"]:
        print(
            f"note: {DATAPACKAGE_FILE} lists no files yet: hashes not checked "
            "(schema.refresh_datapackage records them)"
        )
    if len(inspection.problems):
        print(format_problems(folder, inspection.problems))
        if inspection.problems["rule"].str.startswith("design:").any():
            print("note: the tables were not checked: correct the alliance:study record first.")
        if suggest_fixes:
            print("Likely fixes, most common cause first:")
            for line in fix_suggestions(folder, inspection.problems):
                print(f"  - {line}")
        return 1
    study = inspection.study()
    raters = study.ratings["rater"].nunique()
    print(
        f"{printable(folder)} is a valid study: {len(study.clinics)} clinics, "
        f"{len(study.therapists)} therapists, {len(study.clients)} clients, "
        f"{len(study.sessions)} sessions, {raters} raters, {len(study.facets)} facets, "
        f"{len(study.excerpts)} excerpts."
    )
    if not (study.path / DATAPACKAGE_FILE).is_file():
        print("No datapackage.json: file hashes were not checked; provenance not declared.")
    elif study.synthetic is None:
        print("datapackage.json has no alliance:synthetic property: provenance not declared.")
    else:
        made = ", ".join(f"{key} {value}" for key, value in sorted(study.synthetic.items()))
        print(f"SYNTHETIC data, generated ({made}).")
    design = study.design
    if design.schema_version >= 2:
        themes = ", ".join(design.label(theme) for theme in design.themes)
        print(
            printable(
                f"Design (schema {design.schema_version}): {len(design.themes)} themes "
                f"({themes}); {' and '.join(design.informants)} interviews; "
                f"{design.grouping.describe()}."
            )
        )
    for line in _coverage_lines(study):
        print(line)
    return 0
