"""Read coding sheets the way people save them, and say how each was read.

A learner fills in the blank coding sheet in whatever spreadsheet they have,
and saves it the way that spreadsheet does: comma, semicolon or tab separated,
with a byte-order mark and Windows line endings, as ``.xlsx``, with TRUE/FALSE
or ``x`` marks instead of 1/0, with only the 1s typed, with a notes column.
:func:`read_sheet` accepts all of these and **reports every normalisation in
one line** ("read TRUE/FALSE as 1/0 in 256 cells"), so nothing is changed
silently. What it cannot read it refuses with a :class:`CodingSheetError` whose
message groups the problems by cause, with a count and the first few places.

Examples
--------
>>> from alliance.teaching.exercise import exercise_excerpts, solution_sheet
>>> exercise = exercise_excerpts()
>>> sheet = solution_sheet(exercise).replace({0: "", 1: "x"})
>>> reading = read_sheet(sheet, exercise)
>>> for note in reading.notes:
...     print(note)
read x marks as 1 (present) in 27 cells
read 141 blank cells as 0 (absent)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alliance.data.codebook import THEMES

__all__ = [
    "CODE_SPELLINGS",
    "NOTES_COLUMN",
    "SHEET_CONTEXT_COLUMNS",
    "CodingSheetError",
    "RawTable",
    "SheetReading",
    "parse_code",
    "read_sheet",
    "read_table",
]

SHEET_CONTEXT_COLUMNS: tuple[str, ...] = ("excerpt_id", "informant", "fictional", "text")
"""Columns of the blank sheet before the theme columns (``fictional`` marks invented extracts)."""

NOTES_COLUMN = "notes"
"""A free-text column a learner may add; any column whose name starts with "note" or
"comment" (in any case) is read as one and is not scored."""

SEPARATORS: tuple[str, ...] = (",", ";", "\t")
"""Column separators a CSV file may use (sniffed from the header line)."""

PLACES_SHOWN = 3
"""How many places a grouped error names before it says "and N more"."""

CODE_SPELLINGS: dict[str, tuple[int, str]] = {
    "true": (1, "TRUE/FALSE"),
    "false": (0, "TRUE/FALSE"),
    "wahr": (1, "WAHR/FALSCH"),
    "falsch": (0, "WAHR/FALSCH"),
    "vrai": (1, "VRAI/FAUX"),
    "faux": (0, "VRAI/FAUX"),
    "x": (1, "x marks"),
    "\u2713": (1, "x marks"),  # check mark
    "\u2714": (1, "x marks"),  # heavy check mark
    "1.0": (1, "1.0/0.0"),
    "0.0": (0, "1.0/0.0"),
    "1,0": (1, "1.0/0.0"),
    "0,0": (0, "1.0/0.0"),
}
"""Cell spellings (lowercase, without surrounding spaces) read as a code, with the family
each is reported under; 1 and 0 are read as they are. A browser form can export this table
to read sheets exactly as :func:`read_sheet` does."""


class CodingSheetError(ValueError):
    """A coding sheet cannot be read or scored; :attr:`problems` lists every problem.

    The message groups the problems by cause: one line per cause with its count
    and the first few places, never one line per cell.

    Parameters
    ----------
    source : str
        The file name, or ``"sheet"`` for a DataFrame.
    problems : pandas.DataFrame
        One row per problem: ``row`` (where it is), ``column``, ``value``, ``rule``.

    Examples
    --------
    >>> problems = pd.DataFrame(
    ...     {"row": ["line 2", "line 3"], "column": ["trust"] * 2,
    ...      "value": ["yes", "no"], "rule": ["not a code"] * 2}
    ... )
    >>> print(CodingSheetError("a.csv", problems))
    2 problems in coding sheet a.csv:
      not a code (2 places): line 2, column trust, value 'yes'; line 3, column trust, value 'no'
    """

    def __init__(self, source: str, problems: pd.DataFrame) -> None:
        self.source = source
        self.problems = problems.reset_index(drop=True)
        count = len(problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in coding sheet {source}:"]
        for rule, group in self.problems.groupby("rule", sort=False):
            places = [_place(problem) for problem in group.itertuples(index=False)]
            places = [place for place in places if place]
            head = f"  {rule}"
            if len(group) > 1:
                head += f" ({len(group)} places)"
            if places:
                shown = "; ".join(places[:PLACES_SHOWN])
                more = len(places) - PLACES_SHOWN
                head += f": {shown}" + (f"; and {more} more" if more > 0 else "")
            lines.append(head)
        super().__init__("\n".join(lines))

    @property
    def reason(self) -> str:
        """One line: the number of problems and the first cause (for a class report)."""
        first = self.problems.iloc[0]
        cause = first["rule"].split(":")[0]
        place = _place(first)
        causes = self.problems["rule"].nunique()
        others = f" and {causes - 1} other cause(s)" if causes > 1 else ""
        count = len(self.problems)
        where = f" ({place})" if place else ""
        return f"{count} problem{'s' if count != 1 else ''}: {cause}{where}{others}"


def _place(problem: object) -> str:
    where = [problem.row] if problem.row else []  # type: ignore[attr-defined]
    if problem.column:  # type: ignore[attr-defined]
        where.append(f"column {problem.column}")  # type: ignore[attr-defined]
    if problem.value:  # type: ignore[attr-defined]
        where.append(f"value {problem.value!r}")  # type: ignore[attr-defined]
    return ", ".join(where)


def _fail(source: str, rule: str, row: str = "", column: str = "", value: str = "") -> None:
    problem = pd.DataFrame([{"row": row, "column": column, "value": value, "rule": rule}])
    raise CodingSheetError(source, problem)


@dataclass(frozen=True)
class SheetReading:
    """A coding sheet as read: its codes, and how it was read.

    Attributes
    ----------
    codes : pandas.DataFrame
        ``excerpt_id`` and one integer 0/1 column per theme; in the order of the
        exercise when one was given, else in the order of the sheet.
    notes : tuple of str
        One line per normalisation applied (empty when the sheet was read as is).
    source : str
        The file name, or ``"sheet"`` for a DataFrame.
    """

    codes: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    source: str = "sheet"


def read_sheet(
    sheet: pd.DataFrame | Path | str,
    exercise: pd.DataFrame | None = None,
    *,
    empty_as_absent: bool = True,
) -> SheetReading:
    """Read a filled-in coding sheet, normalising common spreadsheet habits out loud.

    Accepted, each reported in one line of :attr:`SheetReading.notes`:

    * CSV separated by ``,`` ``;`` or tab (sniffed from the header), with or
      without a UTF-8 byte-order mark, with Windows (CRLF) or old Mac (CR) line
      endings, in Windows-1252 when it is not UTF-8, or in UTF-16 (Excel's
      "Unicode Text"); ``.xlsx`` workbooks (first worksheet);
    * TRUE/FALSE, WAHR/FALSCH and VRAI/FAUX in any case, and spreadsheet booleans;
      ``x``/``X``/``✓`` marks as 1; ``1.0``/``0.0`` (or ``1,0``/``0,0``);
      spaces around a code;
    * blank theme cells as 0 (absent), unless ``empty_as_absent=False``;
    * empty rows (e.g. trailing rows a spreadsheet keeps), unnamed empty
      columns, column names in another case or with spaces, and any column
      whose name starts with "note" or "comment" (not scored).

    Parameters
    ----------
    sheet : pandas.DataFrame or path
        A DataFrame, or a ``.csv``/``.tsv``/``.txt`` or ``.xlsx`` file.
    exercise : pandas.DataFrame, optional
        The exercise (:func:`alliance.teaching.exercise.exercise_excerpts`);
        when given, every excerpt must be coded once, no other excerpt may
        appear, and a ``text`` column must match the excerpt ids.
    empty_as_absent : bool, default True
        Read a blank theme cell as 0. A row whose theme cells are all blank is
        an error either way (not coded yet).

    Returns
    -------
    SheetReading
        The codes, the normalisation notes and the source name.

    Raises
    ------
    CodingSheetError
        (a ``ValueError``) with every problem, grouped by cause: a file that
        cannot be read (``.ods`` without odfpy, ``.xls``, not a table), a
        missing or unknown column, a missing, duplicated or unknown excerpt, a
        text that does not belong to its excerpt id, a cell that is not a code,
        an uncoded row, or (with ``empty_as_absent=False``) blank cells.

    Examples
    --------
    >>> frame = pd.DataFrame({"excerpt_id": ["E1", "E2"], "Notes": ["unsure", ""]})
    >>> frame[list(THEMES)] = [["WAHR"] + ["FALSCH"] * 7, ["ja"] * 8]
    >>> try:
    ...     read_sheet(frame)
    ... except CodingSheetError as error:
    ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
    8 problems in coding sheet sheet:
      not a code: must be 1 (present) or 0 (absent); TRUE/FALSE and x marks are read too
      (8 places): row 1 (excerpt E2), column understood, value 'ja';
      row 1 (excerpt E2), column comfortable, value 'ja';
      row 1 (excerpt E2), column openness, value 'ja'; and 5 more
    >>> print(read_sheet(frame.iloc[:1]).notes)
    ("ignored the notes column(s) 'Notes' (not scored)", 'read WAHR/FALSCH as 1/0 in 8 cells')
    """
    table = read_table(sheet)
    return _normalise(table, exercise, empty_as_absent)


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file or DataFrame, before its cells are interpreted.

    Attributes
    ----------
    header : list of str
        The column names as written.
    rows : list of list
        The cells of each row (strings from CSV; numbers, booleans or None from ``.xlsx``).
    names : list of str
        How to name each row in a message (``line 5`` of a CSV, ``row 5`` of a workbook).
    source : str
        The file name, or ``"sheet"`` for a DataFrame.
    notes : list of str
        How the file was read (separator, byte-order mark, line endings, encoding, worksheet).
    """

    header: list[str]
    rows: list[list[object]]
    names: list[str]
    source: str
    notes: list[str]


def read_table(table: pd.DataFrame | Path | str) -> RawTable:
    """Read a CSV (any of :data:`SEPARATORS`), ``.xlsx`` or DataFrame as a raw table.

    Parameters
    ----------
    table : pandas.DataFrame or path
        The table or its file.

    Returns
    -------
    RawTable
        Header, rows, row names, source and how the file was read.

    Raises
    ------
    CodingSheetError
        If the file does not exist or is not a table this function can read.

    Examples
    --------
    >>> raw = read_table(pd.DataFrame({"a": [1, 2]}))
    >>> raw.header, raw.rows, raw.names
    (['a'], [[1], [2]], ['row 0', 'row 1'])
    """
    if isinstance(table, pd.DataFrame):
        return RawTable(
            header=[str(c) for c in table.columns],
            rows=[list(values) for values in table.itertuples(index=False)],
            names=[f"row {label}" for label in table.index],
            source="sheet",
            notes=[],
        )
    path = Path(table)
    header, rows, names, notes = _read_file(path)
    return RawTable(header, rows, names, str(path), notes)


def _read_file(path: Path) -> tuple[list[str], list[list[object]], list[str], list[str]]:
    source = str(path)
    if not path.is_file():
        _fail(source, "no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".ods":
        return _read_ods(path)
    if suffix == ".xls":
        _fail(source, "an old Excel .xls workbook: save it as .xlsx or as CSV UTF-8")
    return _read_csv(path)


def _read_xlsx(path: Path) -> tuple[list[str], list[list[object]], list[str], list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        _fail(str(path), f"not a readable .xlsx workbook ({type(error).__name__})")
    notes = []
    worksheet = book.worksheets[0]
    if len(book.worksheets) > 1:
        notes.append(f"read worksheet {worksheet.title!r}, the first of {len(book.worksheets)}")
    table = [list(values) for values in worksheet.iter_rows(values_only=True)]
    book.close()
    if not table:
        _fail(str(path), "the workbook's first worksheet is empty")
    header = ["" if v is None else str(v) for v in table[0]]
    names = [f"row {i + 2}" for i in range(len(table) - 1)]
    return header, table[1:], names, notes


def _read_ods(path: Path) -> tuple[list[str], list[list[object]], list[str], list[str]]:
    try:
        import odf  # noqa: F401  (pandas' engine for .ods)
    except ImportError:
        _fail(
            str(path),
            "cannot read .ods here (the odfpy package is not installed): "
            "save it as .xlsx or as CSV UTF-8",
        )
    frame = pd.read_excel(path, engine="odf", dtype=object, header=None)
    table = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    header = ["" if v is None else str(v) for v in table[0]]
    return header, table[1:], [f"row {i + 2}" for i in range(len(table) - 1)], []


def _read_csv(path: Path) -> tuple[list[str], list[list[object]], list[str], list[str]]:
    source, notes = str(path), []
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
        notes.append("read the file as UTF-16 (as Excel's 'Unicode Text' saves it)")
    else:
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
            notes.append("read the UTF-8 byte-order mark (as Excel writes it)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            try:
                text = raw.decode("cp1252")
            except UnicodeDecodeError:
                _fail(source, f"the file is not UTF-8 ({error.reason}); save it as 'CSV UTF-8'")
            notes.append("read the file as Windows-1252: it is not UTF-8")
    if "\r\n" in text:
        notes.append("read Windows line endings (CRLF)")
    elif "\r" in text:
        notes.append("read old Mac line endings (CR)")
    if not text.strip():
        _fail(source, "not a CSV table: the file is empty")
    first = text.splitlines()[0]
    widths = {sep: len(next(csv.reader([first], delimiter=sep))) for sep in SEPARATORS}
    separator = max(SEPARATORS, key=lambda sep: widths[sep])  # ties go to ","
    if separator != ",":
        shown = "tab" if separator == "\t" else f"{separator!r}"
        notes.append(f"read {shown} as the column separator")
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    header, body = table[0], table[1:]
    names = [f"line {i + 2}" for i in range(len(body))]
    ragged = [
        {
            "row": name,
            "column": "",
            "value": "",
            "rule": "the row has more cells than the header has columns",
        }
        for name, row in zip(names, body, strict=True)
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :])
    ]
    if ragged:
        raise CodingSheetError(source, pd.DataFrame(ragged))
    body = [(row + [""] * len(header))[: len(header)] for row in body]
    return header, body, names, notes


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def parse_code(value: object) -> tuple[int | None, str]:
    """Read one cell as a code: return (1, 0 or None, how it was read).

    The second item names the spelling that was normalised (``"TRUE/FALSE"``,
    ``"x marks"``, ``"1.0/0.0"`` ...), or is ``""`` for a plain 1 or 0. A blank
    cell is not a code (None); callers decide what blank means.

    Examples
    --------
    >>> parse_code("1"), parse_code(" FALSCH "), parse_code("✓"), parse_code("yes")
    ((1, ''), (0, 'WAHR/FALSCH'), (1, 'x marks'), (None, ''))
    """
    if isinstance(value, bool | np.bool_):
        return int(value), "TRUE/FALSE"
    if isinstance(value, int | np.integer) and value in (0, 1):
        return int(value), ""
    if isinstance(value, float | np.floating) and value in (0.0, 1.0):
        return int(value), "1.0/0.0"
    if not isinstance(value, str):
        return None, ""
    text = value.strip()
    spaced = "spaces" if text != value else ""
    if text in ("0", "1"):
        return int(text), spaced
    return CODE_SPELLINGS.get(text.lower(), (None, ""))


def _problem(row: str, column: str, value: object, rule: str) -> dict[str, str]:
    return {
        "row": row,
        "column": column,
        "value": "" if value is None else str(value),
        "rule": rule,
    }


def _normalise(
    table: RawTable, exercise: pd.DataFrame | None, empty_as_absent: bool
) -> SheetReading:
    header, rows, names, source = table.header, table.rows, table.names, table.source
    notes = list(table.notes)
    keep, renamed, ignored_notes, unnamed = [], [], [], 0
    known = {*SHEET_CONTEXT_COLUMNS, *THEMES}
    columns: list[str] = []
    for k, name in enumerate(header):
        clean = name.replace("\ufeff", "").strip()
        if clean.lower().startswith(("note", "comment")):
            ignored_notes.append(clean)
            continue
        if clean == "" and all(_is_blank(row[k]) for row in rows):
            unnamed += 1
            continue
        if clean.lower() in known and clean.lower() != name:
            renamed.append(repr(name))
            clean = clean.lower()
        keep.append(k)
        columns.append(clean)
    if renamed:
        notes.append(f"read column name(s) {', '.join(renamed)} as the lowercase theme ids")
    if ignored_notes:
        quoted = ", ".join(repr(c) for c in ignored_notes)
        notes.append(f"ignored the notes column(s) {quoted} (not scored)")
    if unnamed:
        notes.append(f"ignored {unnamed} empty column(s) without a name")
    table = [[row[k] for k in keep] for row in rows]
    empty = [i for i, row in enumerate(table) if all(_is_blank(v) for v in row)]
    if empty:
        trailing = all(i >= len(table) - len(empty) for i in empty)
        where = "at the end" if trailing else f"({', '.join(names[i] for i in empty[:3])})"
        notes.append(f"ignored {len(empty)} empty row(s) {where}")
        drop = set(empty)
        table = [row for i, row in enumerate(table) if i not in drop]
        names = [name for i, name in enumerate(names) if i not in drop]
    frame = pd.DataFrame(table, columns=columns, dtype=object)
    problems = _structure_problems(frame, names, exercise)
    if "excerpt_id" not in frame.columns or frame.columns.duplicated().any():
        raise CodingSheetError(source, pd.DataFrame(problems))
    themes = [theme for theme in THEMES if theme in frame.columns]
    ids = frame["excerpt_id"].map(lambda v: "" if _is_blank(v) else str(v).strip())
    codes = np.zeros((len(frame), len(THEMES)), dtype=int)
    families: dict[str, int] = {}
    blanks = 0
    for i in range(len(frame) if themes else 0):  # no theme column: said once, above
        where = f"{names[i]} (excerpt {ids[i]})"
        cells = [frame.at[i, theme] for theme in themes]
        blank = [theme for theme, value in zip(themes, cells, strict=True) if _is_blank(value)]
        if len(blank) == len(themes):
            problems.append(
                _problem(where, "every theme", "", "not coded yet: put 1 or 0 in each theme column")
            )
            continue
        if blank and not empty_as_absent:
            problems.append(
                _problem(
                    where,
                    ", ".join(blank),
                    "",
                    "empty cells: put 0 where the theme is absent "
                    "(or read blank cells as absent with empty_as_absent=True)",
                )
            )
        blanks += len(blank)
        for theme, value in zip(themes, cells, strict=True):
            if _is_blank(value):
                continue
            code, family = parse_code(value)
            if code is None:
                problems.append(
                    _problem(
                        where,
                        theme,
                        value,
                        "not a code: must be 1 (present) or 0 (absent); "
                        "TRUE/FALSE and x marks are read too",
                    )
                )
                continue
            codes[i, THEMES.index(theme)] = code
            if family:
                families[family] = families.get(family, 0) + 1
    uncoded = [p for p in problems if p["column"] == "every theme"]
    if frame.size and len(uncoded) == len(frame):  # the blank sheet, handed in as it is
        problems = [p for p in problems if p not in uncoded]
        problems.append(
            _problem(
                "",
                "",
                "",
                "not coded yet: every theme cell is empty; put 1 where a theme is present",
            )
        )
    if problems:
        raise CodingSheetError(source, pd.DataFrame(problems))
    for family, count in families.items():
        if family == "x marks":
            notes.append(f"read x marks as 1 (present) in {count} cells")
        elif family == "spaces":
            notes.append(f"ignored spaces around the code in {count} cells")
        else:
            notes.append(f"read {family} as 1/0 in {count} cells")
    if blanks and empty_as_absent:
        notes.append(f"read {blanks} blank cells as 0 (absent)")
    result = pd.DataFrame(codes, columns=list(THEMES))
    result.insert(0, "excerpt_id", ids.to_numpy())
    if exercise is not None:
        result = (
            result.set_index("excerpt_id").loc[exercise["excerpt_id"].astype(str)].reset_index()
        )
    return SheetReading(codes=result, notes=tuple(notes), source=source)


def _structure_problems(
    frame: pd.DataFrame, names: list[str], exercise: pd.DataFrame | None
) -> list[dict[str, str]]:
    """Problems with columns and rows (not with cells)."""
    problems = []
    allowed = {*SHEET_CONTEXT_COLUMNS, *THEMES}
    for column in frame.columns:
        if column not in allowed:
            rule = f"unknown column: not a theme id ({', '.join(THEMES)}) nor a notes column"
            problems.append(_problem("header", column or "(no name)", "", rule))
    duplicated = frame.columns[frame.columns.duplicated()].unique()
    for column in duplicated:
        problems.append(_problem("header", column, "", "repeated column: each theme once"))
    for column in ("excerpt_id", *THEMES):
        if column not in frame.columns:
            rule = "missing column: every theme needs a column of codes"
            problems.append(_problem("header", column, "", rule))
    if "excerpt_id" not in frame.columns or len(duplicated):
        return problems
    ids = frame["excerpt_id"].map(lambda v: "" if _is_blank(v) else str(v).strip())
    for i in np.flatnonzero(ids.duplicated(keep=False).to_numpy()):
        problems.append(
            _problem(names[i], "excerpt_id", ids[i], "duplicate row: each excerpt is coded once")
        )
    if exercise is None:
        return problems
    reference = exercise.assign(excerpt_id=exercise["excerpt_id"].astype(str))
    reference = reference.set_index("excerpt_id")
    for i in np.flatnonzero(~ids.isin(reference.index).to_numpy()):
        problems.append(
            _problem(names[i], "excerpt_id", ids[i], "unknown excerpt: not in this exercise")
        )
    present = set(ids)
    for excerpt in reference.index:
        if excerpt not in present:
            problems.append(
                _problem(
                    "",
                    "excerpt_id",
                    excerpt,
                    "missing row: this excerpt of the exercise is not coded",
                )
            )
    if "text" in frame.columns:
        for i in np.flatnonzero(ids.isin(reference.index).to_numpy()):
            text = "" if _is_blank(frame.at[i, "text"]) else str(frame.at[i, "text"])
            if " ".join(text.split()) != " ".join(str(reference.at[ids[i], "text"]).split()):
                problems.append(
                    _problem(
                        names[i],
                        "text",
                        text[:40],
                        "the text is not that of the row's excerpt_id: were rows re-sorted "
                        "without their excerpt_id, or is the sheet from another exercise?",
                    )
                )
    return problems
