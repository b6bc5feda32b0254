"""Load a study folder and validate every table before any analysis sees it.

:func:`load_study` reads the eight CSV tables of a study folder as text (no
value is ever converted, trimmed, dropped or filled in silently), checks them
against the Table Schemas of :mod:`alliance.schema`, the study's own rules
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
>>> validation_report(folder)  # an empty folder: every file is missing
10 problems in study folder ...
  clinics.csv: missing-file: the study folder has no such file
...
1
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from alliance.codebook import THEMES
from alliance.paths import data_dir
from alliance.schema import (
    CODEBOOK_FILE,
    DATAPACKAGE_FILE,
    INFORMANTS,
    SYNTHETIC_KEY,
    TABLES,
    file_sha256,
    table_schema,
)

PROBLEM_COLUMNS: tuple[str, ...] = ("file", "row", "column", "value", "rule")
"""Columns of :attr:`StudyValidationError.problems`."""

OPTIONAL_ROWS: frozenset[str] = frozenset({"facets", "excerpts"})
"""Tables that may hold a header only (no facet coded, no excerpt released)."""

_INTEGER = r"-?[0-9]{1,18}"


class StudyValidationError(ValueError):
    """A study folder breaks the schema; :attr:`problems` lists every problem.

    Parameters
    ----------
    folder : pathlib.Path
        The study folder that was checked.
    problems : pandas.DataFrame
        One row per problem with columns ``file``, ``row`` (line of the file,
        header = 1; missing when the problem is an absent row or a whole file),
        ``column``, ``value`` and ``rule``.
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
        self.rows.append(
            {"file": file, "row": row, "column": column, "value": value, "rule": rule}
        )

    def add_cells(self, file: str, values: pd.Series, column: str, rule: str) -> None:
        """Add one problem per entry of ``values`` (indexed by line number)."""
        for line, value in values.items():
            self.add(file, rule, row=int(line), column=column, value=str(value))

    def frame(self) -> pd.DataFrame:
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
    """One CSV table as text: ``frame`` is indexed by the line number of each row."""

    name: str
    frame: pd.DataFrame
    invalid: pd.DataFrame
    missing_columns: frozenset[str]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def usable(self, columns: Sequence[str]) -> pd.Series:
        """Rows whose ``columns`` exist, are filled in and passed the field checks."""
        if self.missing_columns.intersection(columns):
            return pd.Series(False, index=self.frame.index)
        cells = self.frame[list(columns)]
        return ~self.invalid[list(columns)].any(axis=1) & (cells != "").all(axis=1)


def format_problems(folder: Path, problems: pd.DataFrame) -> str:
    """Describe problems as text, one line each: file, line, column, value, rule.

    Parameters
    ----------
    folder : pathlib.Path
        The study folder, named in the first line.
    problems : pandas.DataFrame
        As in :attr:`StudyValidationError.problems`.

    Returns
    -------
    str
        A heading with the number of problems, then one indented line per problem.

    Examples
    --------
    >>> problems = pd.DataFrame(
    ...     [{"file": "ratings.csv", "row": 7, "column": "present", "value": "2",
    ...       "rule": "enum: must be one of 0, 1"}])
    >>> print(format_problems(Path("data"), problems))
    1 problem in study folder data:
      ratings.csv, line 7, column present, value '2': enum: must be one of 0, 1
    """
    count = len(problems)
    lines = [f"{count} problem{'s' if count != 1 else ''} in study folder {folder}:"]
    for problem in problems.itertuples(index=False):
        where = [problem.file]
        if not pd.isna(problem.row):
            where.append(f"line {problem.row}")
        if problem.column:
            where.append(f"column {problem.column}")
        if problem.value:
            where.append(f"value {problem.value!r}")
        lines.append(f"  {', '.join(where)}: {problem.rule}")
    return "\n".join(lines)


def _read_records(path: Path, file: str, problems: _Problems) -> list[tuple[int, list[str]]]:
    """Return ``(line, fields)`` for every non-blank record of a CSV file, exactly as text."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        bad = raw[error.start : error.end]
        problems.add(file, "encoding: the file is not UTF-8", row=line, value=repr(bad))
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
        problems.add(file, f"csv-syntax: {error}", row=reader.line_num)
        return []
    return records


def _read_table(folder: Path, name: str, problems: _Problems) -> _Table | None:
    """Read one table as text and check its header and row lengths."""
    file = f"{name}.csv"
    path = folder / file
    if not path.is_file():
        problems.add(file, "missing-file: the study folder has no such file")
        return None
    records = _read_records(path, file, problems)
    if not records:
        return None
    header_line, header = records[0]
    duplicated = {column for column in header if header.count(column) > 1}
    for position, column in enumerate(header, start=1):
        if column == "":
            problems.add(file, f"header: column {position} has no name", row=header_line)
    for column in sorted(duplicated):
        problems.add(file, "header: the column name appears twice", row=header_line, column=column)
    if "" in header or duplicated:
        return None
    lines, rows = [], []
    for line, fields in records[1:]:
        if len(fields) == len(header):
            lines.append(line)
            rows.append(fields)
        else:
            problems.add(
                file,
                f"row-length: the row has {len(fields)} fields, the header {len(header)}",
                row=line,
            )
    if not rows and not (len(records) > 1) and name not in OPTIONAL_ROWS:
        problems.add(file, "no-rows: the table has a header but no data rows")
    schema_columns = [f["name"] for f in table_schema(name)["fields"]]
    missing = [column for column in schema_columns if column not in header]
    for column in missing:
        problems.add(file, "missing-column: required column is not in the header", row=header_line,
                     column=column)
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=str)
    for column in missing:
        frame[column] = ""
    invalid = pd.DataFrame(False, index=frame.index, columns=schema_columns)
    for column in missing:
        invalid[column] = True
    return _Table(name, frame, invalid, frozenset(missing))
