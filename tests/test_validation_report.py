"""The validation report helps: grouped causes, no knock-on noise, named delimiters, fixes.

Every test breaks an invented example study (``write_example_study``) in one way
and counts what the report should say from the broken files themselves.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from alliance.__main__ import BROKEN_PIPE, main
from alliance.data.dataset import FIRST_PLACES, StudyValidationError, load_study
from alliance.data.examples import write_example_study
from alliance.data.schema import refresh_datapackage

ROOT = Path(__file__).resolve().parents[1]


def rows_of(folder: Path, table: str) -> list[list[str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(folder: Path, table: str, rows: list[list[str]], delimiter: str = ",") -> None:
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\n").writerows(rows)
    refresh_datapackage(folder)


def replace_cells(folder: Path, table: str, column: str, old: str, new: str) -> list[int]:
    """Replace a value in a column; return the file lines changed (header = line 1)."""
    rows = rows_of(folder, table)
    position = rows[0].index(column)
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        if row[position] == old:
            row[position] = new
            lines.append(number)
    write_rows(folder, table, rows)
    return lines


def problems_of(folder: Path) -> pd.DataFrame:
    with pytest.raises(StudyValidationError) as caught:
        load_study(folder)
    return caught.value.problems


def report(folder: Path, capsys: pytest.CaptureFixture[str], *options: str) -> list[str]:
    assert main(["validate", str(folder), *options]) == 1
    return capsys.readouterr().out.splitlines()


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return write_example_study(tmp_path / "study", per_group=10, themes=6)


# -- grouped by cause -------------------------------------------------------------------------


def test_one_cause_is_one_line_with_its_count_and_first_places(example: Path, capsys) -> None:
    lines = replace_cells(example, "ratings", "theme", "hope", "Hope")
    assert len(lines) > FIRST_PLACES
    out = report(example, capsys)
    assert out[0].startswith(f"{len(lines)} problems in study folder")
    assert len(out) == 2, out  # the heading and one cause
    first = ", ".join(f"line {line} 'Hope'" for line in lines[:FIRST_PLACES])
    assert out[1].startswith(f"  ratings.csv, column theme: {len(lines)} rows: unknown-theme:")
    assert out[1].endswith(f"(first: {first}, ...)")
    assert len(problems_of(example)) == len(lines)  # the DataFrame keeps every problem


def test_several_causes_each_get_a_line(example: Path, capsys) -> None:
    themes = replace_cells(example, "ratings", "theme", "safe", "aff")
    codes = replace_cells(example, "consensus", "present", "1", "yes")
    out = report(example, capsys)
    assert out[0] == (
        f"{len(themes) + len(codes)} problems in study folder {example}, from 2 causes:"
    )
    assert any(line.startswith(f"  ratings.csv, column theme: {len(themes)} rows") for line in out)
    assert any(
        line.startswith(f"  consensus.csv, column present: {len(codes)} rows") for line in out
    )


# -- knock-on problems ------------------------------------------------------------------------


def test_a_rejected_row_does_not_also_leave_a_gap(example: Path) -> None:
    rows = rows_of(example, "consensus")
    rows[3][rows[0].index("theme")] = "aff"
    rows[5][rows[0].index("session_id")] = "S 001"
    write_rows(example, "consensus", rows)
    problems = problems_of(example)
    rules = set(problems["rule"].str.split(":").str[0])
    assert "missing-rows" not in rules
    plain = problems[~problems["rule"].str.contains("consequence")]
    assert set(plain["rule"].str.split(":").str[0]) == {"unknown-theme", "pattern"}


def test_two_raters_are_counted_over_every_row(example: Path) -> None:
    lines = replace_cells(example, "ratings", "rater", "Eli", "Eli!")
    problems = problems_of(example)
    assert set(problems["rule"].str.split(":").str[0]) == {"pattern"}
    assert len(problems) == len(lines)


def _knock_on_of_session_2(problems: pd.DataFrame, session: str, client: str) -> None:
    """Ratings, consensus codes and the client of the rejected session: consequences, labelled."""
    labelled = problems["rule"].str.contains("(consequence of its rejected row", regex=False)
    knock_on = problems[labelled]
    assert {"ratings.csv", "consensus.csv"} <= set(knock_on["file"])
    assert session in set(knock_on["value"].str.split("/").str[0]) <= {session, client}
    refers = problems["value"].str.startswith(f"{session}") | (problems["value"] == client)
    assert (labelled == refers).all()


def test_consequences_of_a_malformed_session_id_say_so(example: Path) -> None:
    rows = rows_of(example, "sessions")
    session, client = rows[2][0], rows[2][1]
    rows[1][2] = "T9"  # a therapist that does not exist: the row stays usable
    rows[2][0] = session.replace("S", "S ")  # a malformed id: the row is rejected
    write_rows(example, "sessions", rows)
    problems = problems_of(example)
    plain = problems[~problems["rule"].str.contains("consequence")]
    assert list(zip(plain["file"], plain["rule"].str.split(":").str[0], strict=True)) == [
        ("sessions.csv", "foreign-key"),
        ("sessions.csv", "pattern"),
    ]
    _knock_on_of_session_2(problems, session, client)
    assert "clients.csv" not in set(problems["file"])  # the rejected row still names P002


def test_consequences_of_a_ragged_session_row_say_so(example: Path) -> None:
    rows = rows_of(example, "sessions")
    session, client = rows[2][0], rows[2][1]
    rows[2].append("an extra field")
    write_rows(example, "sessions", rows)
    problems = problems_of(example)
    plain = problems[~problems["rule"].str.contains("consequence")]
    assert list(zip(plain["file"], plain["rule"].str.split(":").str[0], strict=True)) == [
        ("sessions.csv", "row-length")
    ]
    _knock_on_of_session_2(problems, session, client)
    assert problems.query("file == 'clients.csv'")["value"].tolist() == [client]


def test_a_malformed_key_does_not_also_leave_a_gap(example: Path) -> None:
    rows = rows_of(example, "consensus")
    rows[4][0] = rows[4][0].lower()
    write_rows(example, "consensus", rows)
    problems = problems_of(example)
    assert set(problems["rule"].str.split(":").str[0]) == {"foreign-key"}
    assert len(problems) == 1


# -- delimiters -------------------------------------------------------------------------------


@pytest.mark.parametrize(("delimiter", "named"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_separated_otherwise_is_named_once(
    example: Path, delimiter: str, named: str, capsys
) -> None:
    write_rows(example, "ratings", rows_of(example, "ratings"), delimiter=delimiter)
    problems = problems_of(example)
    assert len(problems) == 1
    assert problems.loc[0, "file"] == "ratings.csv"
    shown = repr(delimiter)[1:-1]
    assert f"this file is separated by '{shown}' ({named}" in problems.loc[0, "rule"]
    assert "save it as comma-separated CSV" in problems.loc[0, "rule"]
    out = report(example, capsys, "--fix-suggestions")
    assert any("ratings.csv is not comma-separated" in line for line in out)


def test_a_semicolon_file_with_a_comma_in_its_header_is_named_too(example: Path) -> None:
    rows = rows_of(example, "therapists")
    rows[0][3] = "gender, as recorded"
    write_rows(example, "therapists", rows, delimiter=";")
    problems = problems_of(example)
    assert problems["file"].tolist() == ["therapists.csv"]
    assert problems.loc[0, "rule"].startswith("delimiter: this file is separated by ';'")


# -- fix suggestions --------------------------------------------------------------------------


def _drop_first_rating(folder: Path) -> None:
    rows = rows_of(folder, "ratings")
    write_rows(folder, "ratings", [rows[0], *rows[2:]])


def _drop_first_consensus(folder: Path) -> None:
    rows = rows_of(folder, "consensus")
    write_rows(folder, "consensus", [rows[0], *rows[2:]])


def _stale(folder: Path) -> None:
    with open(folder / "clinics.csv", "a", encoding="utf-8") as handle:
        handle.write("C3,community\n")


BREAKS = {
    "semicolons": (
        lambda f: write_rows(f, "clinics", rows_of(f, "clinics"), ";"),
        "clinics.csv is not comma-separated",
    ),
    "theme ids": (
        lambda f: replace_cells(f, "ratings", "theme", "heard", "herd"),
        "add each missing theme to codebook.yaml",
    ),
    "rater missing themes": (_drop_first_rating, "has no rows for it at all"),
    "consensus gaps": (_drop_first_consensus, "consensus.csv holds the final coding"),
    "enum case": (
        lambda f: replace_cells(f, "clients", "ethnicity", "A", "a"),
        "exactly as listed (case and spaces count)",
    ),
    "stale hash": (_stale, "refresh_datapackage("),
}


def test_schema_1_rater_names_point_to_schema_2(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "v1"
    folder.mkdir()
    for name in ("clinics", "therapists", "clients", "sessions", "consensus", "facets"):
        (folder / f"{name}.csv").write_bytes((ROOT / "data" / f"{name}.csv").read_bytes())
    for name in ("excerpts.csv", "codebook.yaml"):
        (folder / name).write_bytes((ROOT / "data" / name).read_bytes())
    rows = rows_of(ROOT / "data", "ratings")
    names = {"R1": "Dana", "R2": "Eli", "R3": "Noa"}
    renamed = [rows[0], *([*row[:2], names[row[2]], *row[3:]] for row in rows[1:])]
    with open(folder / "ratings.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(renamed)
    out = report(folder, capsys, "--fix-suggestions")
    assert out[0].startswith("note: no datapackage.json")
    assert out[1].startswith(f"{len(rows) - 1} problems") and len(out) == 5, out
    assert "rater-name: schema version 1 names raters R1, R2" in out[2]
    assert "add an alliance:study record (schema_version 2)" in out[4]


@pytest.mark.parametrize("cause", BREAKS, ids=list(BREAKS))
def test_each_common_cause_gets_its_fix(example: Path, cause: str, capsys) -> None:
    breaking, fix = BREAKS[cause]
    breaking(example)
    plain = report(example, capsys)
    assert not any(fix in line for line in plain)
    out = report(example, capsys, "--fix-suggestions")
    assert "Likely fixes, most common cause first:" in out
    assert any(fix in line for line in out), out


def test_at_most_five_fixes_most_common_first(example: Path, capsys) -> None:
    for breaking, _ in BREAKS.values():
        if breaking is not _stale:
            breaking(example)
    _stale(example)
    out = report(example, capsys, "--fix-suggestions")
    fixes = out[out.index("Likely fixes, most common cause first:") + 1 :]
    assert len(fixes) == 5
    counts = [int(line.split(" (")[1].split(" problem")[0]) for line in fixes]
    assert counts == sorted(counts, reverse=True)


# -- the command line -------------------------------------------------------------------------


def test_validate_survives_a_reader_that_stops(example: Path) -> None:
    replace_cells(example, "ratings", "theme", "heard", "herd")
    run = subprocess.Popen(
        [sys.executable, "-m", "alliance", "validate", str(example), "--fix-suggestions"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert run.stdout is not None and run.stderr is not None
    run.stdout.close()  # like `| head` exiting before the report is written
    error = run.stderr.read().decode()
    assert run.wait() == BROKEN_PIPE
    assert error == ""


def test_validate_piped_into_head_prints_no_traceback(example: Path) -> None:
    for theme in ("heard", "safe", "hope"):
        replace_cells(example, "ratings", "theme", theme, theme.upper())
    command = f"{sys.executable} -m alliance validate {example} | head -1"
    run = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=ROOT, check=False)
    assert run.stdout.startswith("") and len(run.stdout.splitlines()) == 1
    assert "Traceback" not in run.stderr and "BrokenPipe" not in run.stderr
