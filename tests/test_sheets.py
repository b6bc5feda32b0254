"""Coding sheets saved the way people save them: each habit read with a one-line report, or
refused with one grouped message. Files are written as Excel and LibreOffice write them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from alliance.data.codebook import THEMES
from alliance.teaching.exercise import (
    blank_coding_sheet,
    exercise_excerpts,
    score_coding,
    simulate_learner,
)
from alliance.teaching.sheets import CodingSheetError, parse_code, read_sheet


@pytest.fixture(scope="module")
def exercise():
    return exercise_excerpts()


@pytest.fixture(scope="module")
def sheet(exercise):
    return simulate_learner(exercise, accuracy=0.6, extra_rate=0.2, seed=11)


@pytest.fixture(scope="module")
def expected(sheet):
    return sheet[["excerpt_id", *THEMES]].reset_index(drop=True)


def cells(exercise) -> int:
    return len(exercise) * len(THEMES)


def ones(sheet) -> int:
    return int(sheet[list(THEMES)].to_numpy().sum())


def excel_csv(frame: pd.DataFrame, path: Path, sep: str = ";") -> Path:
    """Write a CSV as Excel's "CSV UTF-8" does in a semicolon locale: BOM, CRLF."""
    frame.to_csv(path, sep=sep, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def xlsx(frame: pd.DataFrame, path: Path, extra_sheets: int = 0) -> Path:
    book = openpyxl.Workbook()
    worksheet = book.active
    worksheet.title = "coding"
    worksheet.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        worksheet.append([None if value == "" else value for value in row])
    for k in range(extra_sheets):
        book.create_sheet(f"scratch {k}")
    book.save(path)
    return path


def check(reading, expected, notes):
    pd.testing.assert_frame_equal(reading.codes, expected)
    assert list(reading.notes) == notes


def test_a_plain_comma_separated_sheet_is_read_without_notes(tmp_path, exercise, sheet, expected):
    path = tmp_path / "plain.csv"
    sheet.to_csv(path, index=False)
    check(read_sheet(path, exercise), expected, [])


def test_semicolons_with_byte_order_mark_and_crlf_as_excel_saves_them(
    tmp_path, exercise, sheet, expected
):
    path = excel_csv(sheet, tmp_path / "excel.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfexcerpt_id;")
    assert b"\r\n" in path.read_bytes()
    check(
        read_sheet(path, exercise),
        expected,
        [
            "read the UTF-8 byte-order mark (as Excel writes it)",
            "read Windows line endings (CRLF)",
            "read ';' as the column separator",
        ],
    )


def test_tab_separated(tmp_path, exercise, sheet, expected):
    path = tmp_path / "sheet.tsv"
    sheet.to_csv(path, sep="\t", index=False)
    check(read_sheet(path, exercise), expected, ["read tab as the column separator"])


@pytest.mark.parametrize(
    ("yes", "no", "family"),
    [
        ("TRUE", "FALSE", "TRUE/FALSE"),
        ("true", "False", "TRUE/FALSE"),
        ("WAHR", "FALSCH", "WAHR/FALSCH"),
        ("VRAI", "FAUX", "VRAI/FAUX"),
    ],
)
def test_true_false_words_are_read_as_one_and_zero(
    tmp_path, exercise, sheet, expected, yes, no, family
):
    words = sheet.astype(object).replace({t: {1: yes, 0: no} for t in THEMES})
    path = excel_csv(words, tmp_path / "words.csv")
    reading = read_sheet(path, exercise)
    pd.testing.assert_frame_equal(reading.codes, expected)
    assert f"read {family} as 1/0 in {cells(exercise)} cells" in reading.notes


@pytest.mark.parametrize("mark", ["x", "X", "\u2713"])
def test_marks_and_blank_cells(tmp_path, exercise, sheet, expected, mark):
    marked = sheet.astype(object).replace({t: {1: mark, 0: ""} for t in THEMES})
    path = tmp_path / "marks.csv"
    marked.to_csv(path, index=False)
    check(
        read_sheet(path, exercise),
        expected,
        [
            f"read x marks as 1 (present) in {ones(sheet)} cells",
            f"read {cells(exercise) - ones(sheet)} blank cells as 0 (absent)",
        ],
    )


def test_decimal_codes_as_libreoffice_writes_numbers(tmp_path, exercise, sheet, expected):
    decimal = sheet.astype({t: float for t in THEMES})
    path = tmp_path / "decimal.csv"
    decimal.to_csv(path, sep=";", index=False)
    assert ";1.0;" in path.read_text() or ";1.0\n" in path.read_text()
    check(
        read_sheet(path, exercise),
        expected,
        ["read ';' as the column separator", f"read 1.0/0.0 as 1/0 in {cells(exercise)} cells"],
    )


def test_only_the_ones_typed(tmp_path, exercise, sheet, expected):
    sparse = sheet.astype(object).replace({t: {0: ""} for t in THEMES})
    path = tmp_path / "ones.csv"
    sparse.to_csv(path, index=False)
    blanks = cells(exercise) - ones(sheet)
    check(read_sheet(path, exercise), expected, [f"read {blanks} blank cells as 0 (absent)"])
    with pytest.raises(CodingSheetError) as error:
        read_sheet(path, exercise, empty_as_absent=False)
    assert len(str(error.value).splitlines()) == 2, "one line for the one cause"


def test_trailing_empty_rows_as_a_spreadsheet_keeps_them(tmp_path, exercise, sheet, expected):
    path = excel_csv(sheet, tmp_path / "trailing.csv")
    width = len(sheet.columns)
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write((";" * (width - 1) + "\r\n") * 3 + "\r\n")
    reading = read_sheet(path, exercise)
    pd.testing.assert_frame_equal(reading.codes, expected)
    assert "ignored 4 empty row(s) at the end" in reading.notes


def test_an_empty_row_in_the_middle_is_named(tmp_path, exercise, sheet, expected):
    gap = pd.concat([sheet.iloc[:5], sheet.iloc[:1].map(lambda _: ""), sheet.iloc[5:]])
    path = tmp_path / "gap.csv"
    gap.to_csv(path, index=False)
    reading = read_sheet(path, exercise)
    pd.testing.assert_frame_equal(reading.codes, expected)
    assert reading.notes == ("ignored 1 empty row(s) (line 7)",)


@pytest.mark.parametrize("name", ["Notes", "notes", "COMMENT", "Comments (optional)", "note 2"])
def test_a_notes_or_comment_column_in_any_case_is_ignored_and_said(
    tmp_path, exercise, sheet, expected, name
):
    path = tmp_path / "notes.csv"
    sheet.assign(**{name: "not sure about this one"}).to_csv(path, index=False)
    check(
        read_sheet(path, exercise), expected, [f"ignored the notes column(s) {name!r} (not scored)"]
    )


def test_capitalised_column_names(tmp_path, exercise, sheet, expected):
    path = tmp_path / "caps.csv"
    sheet.rename(columns={"trust": "Trust", "anger": " anger "}).to_csv(path, index=False)
    check(
        read_sheet(path, exercise),
        expected,
        ["read column name(s) 'Trust', ' anger ' as the lowercase theme ids"],
    )


def test_an_xlsx_workbook_with_numbers(tmp_path, exercise, sheet, expected):
    check(read_sheet(xlsx(sheet, tmp_path / "sheet.xlsx"), exercise), expected, [])


def test_an_xlsx_workbook_with_excel_booleans_and_several_worksheets(
    tmp_path, exercise, sheet, expected
):
    booleans = sheet.astype({t: bool for t in THEMES})
    path = xlsx(booleans, tmp_path / "bool.xlsx", extra_sheets=2)
    check(
        read_sheet(path, exercise),
        expected,
        [
            "read worksheet 'coding', the first of 3",
            f"read TRUE/FALSE as 1/0 in {cells(exercise)} cells",
        ],
    )


def test_an_xlsx_with_x_marks_and_a_notes_column(tmp_path, exercise, sheet, expected):
    marked = sheet.astype(object).replace({t: {1: "x", 0: ""} for t in THEMES})
    path = xlsx(marked.assign(Notes="hm"), tmp_path / "marks.xlsx")
    reading = score_coding(path, exercise)
    pd.testing.assert_frame_equal(reading.codes, expected)
    assert reading.notes == (
        "ignored the notes column(s) 'Notes' (not scored)",
        f"read x marks as 1 (present) in {ones(sheet)} cells",
        f"read {cells(exercise) - ones(sheet)} blank cells as 0 (absent)",
    )


def test_a_windows_1252_file_is_read_and_said(tmp_path, exercise, sheet, expected):
    path = tmp_path / "ansi.csv"
    sheet.assign(notes="caf\u00e9 \u2013 unsure").to_csv(path, index=False, encoding="cp1252")
    check(
        read_sheet(path, exercise),
        expected,
        [
            "read the file as Windows-1252: it is not UTF-8",
            "ignored the notes column(s) 'notes' (not scored)",
        ],
    )


@pytest.mark.skipif(importlib.util.find_spec("odf") is not None, reason="odfpy is installed")
def test_an_ods_file_is_refused_with_what_to_do(tmp_path, exercise):
    path = tmp_path / "sheet.ods"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(CodingSheetError, match="odfpy package is not installed.*save it as .xlsx"):
        read_sheet(path, exercise)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook: save it as .xlsx"),
        ("broken.xlsx", b"not a zip", "not a readable .xlsx workbook"),
        ("empty.csv", b"", "not a CSV table: the file is empty"),
    ],
)
def test_files_that_are_not_tables_are_refused_in_one_line(
    tmp_path, exercise, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CodingSheetError) as error:
        read_sheet(path, exercise)
    lines = str(error.value).splitlines()
    assert lines[0] == f"1 problem in coding sheet {path}:"
    assert len(lines) == 2 and lines[1].startswith(f"  {message}")


def test_a_missing_file_is_refused(tmp_path, exercise):
    with pytest.raises(CodingSheetError, match="no such file"):
        read_sheet(tmp_path / "nowhere.csv", exercise)


def test_hundreds_of_bad_cells_make_one_grouped_line(tmp_path, exercise, sheet):
    words = sheet.astype(object).replace({t: {1: "yes", 0: "no"} for t in THEMES})
    path = excel_csv(words, tmp_path / "yesno.csv")
    with pytest.raises(CodingSheetError) as error:
        read_sheet(path, exercise)
    lines = str(error.value).splitlines()
    n = cells(exercise)
    assert len(error.value.problems) == n
    assert lines[0] == f"{n} problems in coding sheet {path}:"
    assert len(lines) == 2, "one line per cause, not per cell"
    assert f"({n} places): line 2 (excerpt {sheet.loc[0, 'excerpt_id']}), column " in lines[1]
    assert lines[1].endswith(f"; and {n - 3} more")


def test_several_causes_make_one_line_each(tmp_path, exercise, sheet):
    bad = sheet.astype(object)
    bad.loc[[1, 4, 6], "trust"] = "maybe"
    bad = bad.drop(index=[2, 3]).rename(columns={"anger": "angry"})
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(CodingSheetError) as error:
        read_sheet(path, exercise)
    lines = str(error.value).splitlines()[1:]
    assert len(lines) == 4
    causes = [line.strip().split(":")[0] for line in lines]
    assert causes == ["unknown column", "missing column", "missing row", "not a code"]
    assert "missing row: this excerpt of the exercise is not coded (2 places)" in lines[2]
    assert "(3 places)" in lines[3] and "value 'maybe'" in lines[3]


def test_a_row_with_more_cells_than_the_header_is_refused(tmp_path, exercise, sheet):
    path = tmp_path / "ragged.csv"
    sheet.to_csv(path, index=False)
    text = path.read_text().splitlines()
    text[3] += ",stray"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(
        CodingSheetError, match="the row has more cells than the header has columns: line 4$"
    ):
        read_sheet(path, exercise)


def test_a_reading_without_an_exercise_keeps_the_sheets_order(sheet):
    shuffled = sheet.sample(frac=1, random_state=1)
    reading = read_sheet(shuffled)
    assert reading.codes["excerpt_id"].tolist() == shuffled["excerpt_id"].tolist()


@pytest.mark.parametrize(
    ("value", "code"),
    [("1", 1), ("0", 0), (" 1 ", 1), (1, 1), (0.0, 0), (True, 1), ("Falsch", 0), ("✓", 1)],
)
def test_parse_code_reads_codes(value, code):
    assert parse_code(value)[0] == code


@pytest.mark.parametrize("value", ["yes", "2", 2, 0.5, "1;0", "-"])
def test_parse_code_refuses_what_is_not_a_code(value):
    assert parse_code(value)[0] is None


def test_the_blank_sheet_handed_in_as_it_is_gets_one_short_message(tmp_path, exercise):
    path = tmp_path / "blank.csv"
    blank_coding_sheet(exercise).to_csv(path, index=False)
    with pytest.raises(CodingSheetError) as error:
        read_sheet(path, exercise)
    assert str(error.value).splitlines()[1:] == [
        "  not coded yet: every theme cell is empty; put 1 where a theme is present"
    ]


def test_a_repeated_theme_column_is_refused(exercise, sheet):
    repeated = pd.concat([sheet, sheet[["trust"]]], axis=1)
    with pytest.raises(
        CodingSheetError, match="repeated column: each theme once: header, column trust"
    ):
        read_sheet(repeated, exercise)


def test_spaces_around_codes_are_ignored_and_said(tmp_path, exercise, sheet, expected):
    spaced = sheet.astype(object).replace({"trust": {1: " 1", 0: "0 "}})
    path = tmp_path / "spaced.csv"
    spaced.to_csv(path, index=False)
    check(
        read_sheet(path, exercise),
        expected,
        [f"ignored spaces around the code in {len(exercise)} cells"],
    )


def test_excel_unicode_text_utf16_with_tabs(tmp_path, exercise, sheet, expected):
    path = tmp_path / "unicode.txt"
    path.write_bytes(sheet.to_csv(sep="\t", index=False, lineterminator="\r\n").encode("utf-16"))
    check(
        read_sheet(path, exercise),
        expected,
        [
            "read the file as UTF-16 (as Excel's 'Unicode Text' saves it)",
            "read Windows line endings (CRLF)",
            "read tab as the column separator",
        ],
    )


def test_old_mac_line_endings(tmp_path, exercise, sheet, expected):
    path = tmp_path / "mac.csv"
    sheet.to_csv(path, index=False, lineterminator="\r")
    check(read_sheet(path, exercise), expected, ["read old Mac line endings (CR)"])
