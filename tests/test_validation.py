"""Bad study folders get one clear problem per mistake: file, line, column, value, rule.

Every test starts from a tiny valid study written here (4 sessions, 2 or 3
raters, its own ids), so the validator is exercised on data it has never seen
and nothing about the synthetic study's size is assumed. Line numbers are those
of the CSV file as a user sees it in an editor: the header is line 1.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance import load_study
from alliance.data.codebook import THEMES, codebook_text
from alliance.data.dataset import StudyValidationError, validation_report
from alliance.data.schema import TABLES, table_schema, write_datapackage

SESSIONS = [("S1", "P1", "T1"), ("S2", "P2", "T1"), ("S3", "P3", "T2"), ("S4", "P4", "T2")]
INFORMANTS = ("client", "therapist")


def _consensus() -> dict[tuple[str, str, str], int]:
    """A fixed, irregular consensus coding; the facets' parent themes are present."""
    codes = {
        (session, informant, theme): int((i + 2 * j + k) % 3 == 0)
        for i, (session, _, _) in enumerate(SESSIONS)
        for j, informant in enumerate(INFORMANTS)
        for k, theme in enumerate(THEMES)
    }
    codes["S1", "client", "frustration"] = 1
    codes["S2", "therapist", "openness"] = 1
    codes["S3", "client", "anger"] = 0
    return codes


def tiny_tables(n_raters: int = 3) -> dict[str, list[list[str]]]:
    """Header and rows of a small valid study (4 sessions, ``n_raters`` raters)."""
    consensus = _consensus()
    ratings = [
        [*key, f"R{rater}", str(present if rater != 2 or key[2] != "empathy" else 1 - present)]
        for key, present in consensus.items()
        for rater in range(1, n_raters + 1)
    ]
    return {
        "clinics": [["clinic_id", "setting"], ["C1", "community"], ["C2", "hospital outpatient"]],
        "therapists": [
            ["therapist_id", "clinic_id", "ethnicity", "gender", "profession", "years_experience"],
            ["T1", "C1", "Ashkenazi", "woman", "social worker", "12"],
            ["T2", "C2", "Ashkenazi", "man", "", "4"],
        ],
        "clients": [
            ["client_id", "ethnicity", "gender", "age", "education_years"],
            ["P1", "Mizrahi", "woman", "34", "12"],
            ["P2", "Ashkenazi", "man", "51", ""],
            ["P3", "Mizrahi", "man", "27", "15"],
            ["P4", "Ashkenazi", "woman", "", "16"],
        ],
        "sessions": [["session_id", "client_id", "therapist_id"], *map(list, SESSIONS)],
        "ratings": [
            ["session_id", "informant", "theme", "rater", "present"],  # column order is free
            *([s, i, t, r, p] for s, i, t, r, p in ratings),
        ],
        "consensus": [
            ["session_id", "informant", "theme", "present"],
            *([*key, str(present)] for key, present in consensus.items()),
        ],
        "facets": [
            ["session_id", "informant", "facet", "valence", "theme"],
            ["S1", "client", "nonverbal_tone", "negative", "frustration"],
            ["S2", "therapist", "client_openness", "positive", "openness"],
        ],
        "excerpts": [
            ["excerpt_id", "session_id", "informant", "theme", "facet", "text", "fictional"],
            ["E1", "S1", "client", "frustration", "nonverbal_tone", 'Flat voice,\n"next".', "yes"],
            ["E2", "S2", "therapist", "openness", "", "She told me a lot.", ""],
        ],
    }


def write_table(folder: Path, table: str, rows: list[list[str]]) -> None:
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


def read_table(folder: Path, table: str) -> list[list[str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_study(folder: Path, n_raters: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tiny_tables(n_raters).items():
        write_table(folder, table, rows)
    (folder / "codebook.yaml").write_text(codebook_text(), encoding="utf-8")
    write_datapackage(folder)
    return folder


def line_of(rows: list[list[str]], index: int) -> int:
    """Editor line where data row ``index`` (0-based) starts, counting line breaks in values."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows[: index + 1])
    return len(re.findall("\r\n|\r|\n", buffer.getvalue())) + 1


def problems_of(folder: Path) -> pd.DataFrame:
    """The problems of a folder, after checking that the message shows each cause once."""
    with pytest.raises(StudyValidationError) as caught:
        load_study(folder)
    error = caught.value
    lines = str(error).splitlines()
    assert lines[0].startswith(f"{len(error.problems)} problem")
    causes = list(error.problems.groupby(["file", "column", "rule"], sort=False))
    assert len(lines) == 1 + len(causes)
    for ((file, column, rule), group), line in zip(causes, lines[1:], strict=True):
        assert line.startswith(f"  {file}") and rule in line
        if column:
            assert f"column {column}" in line
        first = group.iloc[0]
        if len(group) == 1 and not pd.isna(first["row"]):
            assert f"line {first['row']}" in line
        if len(group) > 1:
            assert f": {len(group)} " in line and "(first: " in line
    return error.problems


def found(problems: pd.DataFrame) -> set[tuple[str, int | None, str, str]]:
    """(file, row, column, rule name) of every problem."""
    return {
        (p.file, None if pd.isna(p.row) else int(p.row), p.column, p.rule.split(":")[0])
        for p in problems.itertuples()
    }


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return write_study(tmp_path / "study")


def edit(folder: Path, table: str, change: Callable[[list[list[str]]], None]) -> None:
    """Change a table's rows in place and refresh datapackage.json (hashes stay valid)."""
    rows = read_table(folder, table)
    change(rows)
    write_table(folder, table, rows)
    write_datapackage(folder)


def drop_rows(folder: Path, table: str, unwanted: Callable[[list[str]], bool]) -> None:
    def change(rows: list[list[str]]) -> None:
        rows[1:] = [row for row in rows[1:] if not unwanted(row)]

    edit(folder, table, change)


def set_cell(folder: Path, table: str, index: int, column: str, value: str) -> None:
    def change(rows: list[list[str]]) -> None:
        rows[index + 1][rows[0].index(column)] = value

    edit(folder, table, change)


# -- the tiny study itself is valid ----------------------------------------------------------


@pytest.mark.parametrize("n_raters", [2, 3, 5])
def test_tiny_study_is_valid_for_any_number_of_raters(tmp_path: Path, n_raters: int) -> None:
    folder = write_study(tmp_path / "study", n_raters)
    study = load_study(folder)
    assert sorted(study.ratings["rater"].unique()) == [f"R{r}" for r in range(1, n_raters + 1)]
    assert len(study.ratings) == len(SESSIONS) * 2 * n_raters * len(THEMES)
    assert validation_report(folder) == 0


def test_valid_values_are_kept_exactly(study: Path) -> None:
    loaded = load_study(study)
    assert loaded.excerpts.loc[0, "text"] == 'Flat voice,\n"next".'
    assert pd.isna(loaded.excerpts.loc[1, "facet"])
    assert loaded.clients["age"].dtype == "Int64" and pd.isna(loaded.clients.loc[3, "age"])
    assert loaded.ratings["present"].dtype == "int64"
    assert list(loaded.ratings.columns) == ["session_id", "informant", "rater", "theme", "present"]
    assert loaded.synthetic is None


# -- one case per rule -----------------------------------------------------------------------


def test_unknown_theme(study: Path) -> None:
    set_cell(study, "ratings", 0, "theme", "understod")
    expected = {
        # the intended row is now missing: a knock-on of this row, so not reported again
        ("ratings.csv", 2, "theme", "unknown-theme"),
    }
    assert found(problems_of(study)) == expected


@pytest.mark.parametrize(("value", "rule"), [("2", "enum"), ("yes", "type"), ("01", "type")])
def test_present_not_zero_or_one(study: Path, value: str, rule: str) -> None:
    set_cell(study, "consensus", 5, "present", value)
    assert found(problems_of(study)) == {("consensus.csv", 7, "present", rule)}


def test_duplicate_primary_key_with_different_values(study: Path) -> None:
    edit(study, "sessions", lambda rows: rows.append(["S2", "P3", "T2"]))
    expected = {
        ("sessions.csv", 6, "client_id, therapist_id", "duplicate-key"),
        ("sessions.csv", 6, "client_id", "unique"),  # P3 now has two intakes
    }
    assert found(problems_of(study)) == expected


def test_conflicting_duplicate_rating(study: Path) -> None:
    def change(rows: list[list[str]]) -> None:
        copy = list(rows[3])
        copy[4] = "1" if copy[4] == "0" else "0"
        rows.append(copy)

    edit(study, "ratings", change)
    rows = len(read_table(study, "ratings"))
    assert found(problems_of(study)) == {("ratings.csv", rows, "present", "duplicate-key")}


def test_exact_duplicate_row(study: Path) -> None:
    edit(study, "clinics", lambda rows: rows.insert(2, list(rows[1])))
    assert found(problems_of(study)) == {("clinics.csv", 3, "clinic_id", "duplicate-row")}


def test_session_points_to_unknown_therapist(study: Path) -> None:
    set_cell(study, "sessions", 3, "therapist_id", "T9")
    problems = problems_of(study)
    assert found(problems) == {("sessions.csv", 5, "therapist_id", "foreign-key")}
    assert problems.loc[0, "value"] == "T9"


def test_therapist_in_unknown_clinic(study: Path) -> None:
    set_cell(study, "therapists", 1, "clinic_id", "C7")
    assert found(problems_of(study)) == {("therapists.csv", 3, "clinic_id", "foreign-key")}


def test_rating_of_unknown_session(study: Path) -> None:
    set_cell(study, "ratings", 10, "session_id", "S99")
    problems = found(problems_of(study))
    assert ("ratings.csv", 12, "session_id", "foreign-key") in problems


def test_a_rater_who_did_not_code_a_session_has_no_rows_for_it(study: Path) -> None:
    drop_rows(study, "ratings", lambda row: row[0] == "S3" and row[3] == "R2")
    assert load_study(study).ratings.query("session_id == 'S3'")["rater"].nunique() == 2


def test_a_rater_with_a_partial_interview(study: Path) -> None:
    drop_rows(
        study, "ratings", lambda row: row[:2] == ["S3", "client"] and row[2:4] == ["trust", "R2"]
    )
    problems = problems_of(study)
    assert found(problems) == {("ratings.csv", None, "theme", "missing-rows")}
    assert problems.loc[0, "value"] == "S3/client/R2/trust"


def test_missing_consensus_code(study: Path) -> None:
    edit(study, "consensus", lambda rows: rows.pop(9))
    problems = problems_of(study)
    assert found(problems) == {("consensus.csv", None, "theme", "missing-rows")}
    assert problems.loc[0, "value"].endswith("/" + THEMES[0])


def test_single_rater_is_not_enough(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "study", n_raters=1)
    assert found(problems_of(folder)) == {("ratings.csv", None, "rater", "raters")}


def test_missing_required_column(study: Path) -> None:
    edit(study, "consensus", lambda rows: [row.pop(3) for row in rows])
    assert found(problems_of(study)) == {("consensus.csv", 1, "present", "missing-column")}


def test_empty_file(study: Path) -> None:
    (study / "clinics.csv").write_bytes(b"")
    write_datapackage(study)
    # the therapists' clinics can no longer be checked; nothing else is affected
    assert found(problems_of(study)) == {("clinics.csv", 1, "", "empty-file")}


def test_header_without_rows(study: Path) -> None:
    edit(study, "clients", lambda rows: rows.__delitem__(slice(1, None)))
    problems = found(problems_of(study))
    assert ("clients.csv", None, "", "no-rows") in problems
    assert ("sessions.csv", 2, "client_id", "foreign-key") in problems


def test_missing_file(study: Path) -> None:
    (study / "excerpts.csv").unlink()
    (study / "datapackage.json").unlink()
    assert found(problems_of(study)) == {("excerpts.csv", None, "", "missing-file")}


def test_required_value_missing(study: Path) -> None:
    set_cell(study, "clients", 2, "ethnicity", "")
    assert found(problems_of(study)) == {("clients.csv", 4, "ethnicity", "required")}


def test_codes_are_case_sensitive_and_never_trimmed(study: Path) -> None:
    set_cell(study, "clients", 0, "ethnicity", "mizrahi")
    set_cell(study, "therapists", 0, "clinic_id", " C1")
    expected = {
        ("clients.csv", 2, "ethnicity", "enum"),
        ("therapists.csv", 2, "clinic_id", "pattern"),
    }
    assert found(problems_of(study)) == expected


def test_rater_code(study: Path) -> None:
    set_cell(study, "ratings", 0, "rater", "Rater1")
    problems = found(problems_of(study))
    assert ("ratings.csv", 2, "rater", "rater-name") in problems


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [("age", "17", "minimum"), ("age", "thirty", "type"), ("education_years", "31", "maximum")],
)
def test_numbers_out_of_range_or_not_whole(study: Path, column: str, value: str, rule: str) -> None:
    set_cell(study, "clients", 1, column, value)
    assert found(problems_of(study)) == {("clients.csv", 3, column, rule)}


def test_client_with_two_intakes(study: Path) -> None:
    set_cell(study, "sessions", 3, "client_id", "P1")
    expected = {
        ("sessions.csv", 5, "client_id", "unique"),
        ("clients.csv", 5, "client_id", "no-session"),  # P4 lost its intake
    }
    assert found(problems_of(study)) == expected


def test_therapist_without_sessions(study: Path) -> None:
    edit(study, "therapists", lambda rows: rows.append(["T3", "C1", "Ashkenazi", "", "", ""]))
    assert found(problems_of(study)) == {("therapists.csv", 4, "therapist_id", "no-session")}


def test_facet_without_its_theme(study: Path) -> None:
    assert _consensus()["S3", "client", "anger"] == 0
    row = ["S3", "client", "nonverbal_posture", "negative", "anger"]
    edit(study, "facets", lambda rows: rows.append(row))
    assert found(problems_of(study)) == {("facets.csv", 4, "theme", "theme-absent")}


def test_facet_under_a_theme_the_codebook_does_not_allow(study: Path) -> None:
    set_cell(study, "facets", 0, "valence", "positive")  # a positive tone under frustration
    assert found(problems_of(study)) == {("facets.csv", 2, "theme", "codebook-facet")}


def test_facet_in_the_wrong_interview_or_unknown(study: Path) -> None:
    edit(
        study,
        "facets",
        lambda rows: rows.extend(
            [
                ["S2", "therapist", "nonverbal_tone", "positive", "openness"],
                ["S2", "therapist", "small_talk", "positive", "openness"],
            ]
        ),
    )
    expected = {
        ("facets.csv", 4, "informant", "codebook-facet"),
        ("facets.csv", 5, "facet", "codebook-facet"),
    }
    assert found(problems_of(study)) == expected


def test_excerpt_for_a_theme_not_coded_present(study: Path) -> None:
    absent = next(t for t in THEMES if _consensus()["S2", "therapist", t] == 0)
    set_cell(study, "excerpts", 1, "theme", absent)
    # E1's text spans lines 2 and 3, so E2 is on line 4
    assert found(problems_of(study)) == {("excerpts.csv", 4, "theme", "theme-absent")}


def test_excerpt_for_an_uncoded_facet(study: Path) -> None:
    set_cell(study, "excerpts", 1, "facet", "client_trustworthiness")
    column = "session_id, informant, facet, theme"
    assert found(problems_of(study)) == {("excerpts.csv", 4, column, "foreign-key")}


def test_ragged_row(study: Path) -> None:
    edit(study, "clinics", lambda rows: rows[2].append("extra"))
    problems = found(problems_of(study))
    assert ("clinics.csv", 3, "", "row-length") in problems


def test_duplicate_and_unnamed_header_columns(study: Path) -> None:
    edit(study, "clinics", lambda rows: [row.append(row[1]) for row in rows])
    edit(study, "clients", lambda rows: [row.append("") for row in rows])
    expected = {
        ("clinics.csv", 1, "setting", "header"),
        ("clients.csv", 1, "", "header"),
    }
    assert expected <= found(problems_of(study))


def test_not_utf8(study: Path) -> None:
    path = study / "therapists.csv"
    path.write_bytes(path.read_bytes().replace(b"social worker", b"travailleur soci\xe9"))
    write_datapackage(study)
    assert ("therapists.csv", 2, "", "encoding") in found(problems_of(study))


def test_stale_hash(study: Path) -> None:
    path = study / "clinics.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("community", "community "))
    problems = problems_of(study)
    assert ("datapackage.json", None, "resources", "hash") in found(problems)
    assert problems.query("rule.str.startswith('hash')")["value"].tolist() == ["clinics.csv"]
    assert ("clinics.csv", 2, "setting", "enum") in found(problems)


def test_codebook_not_yaml(study: Path) -> None:
    path = study / "codebook.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    where = next(n for n, line in enumerate(lines) if line.startswith("themes:"))
    lines[where + 2] = "    label: [unclosed"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_datapackage(study)
    problems = problems_of(study)
    assert {(p.file, p.rule.split(":")[0]) for p in problems.itertuples()} == {
        ("codebook.yaml", "yaml")
    }
    assert where + 3 <= problems.loc[0, "row"] <= where + 5


def test_codebook_with_a_renamed_theme(study: Path) -> None:
    path = study / "codebook.yaml"
    text = path.read_text(encoding="utf-8").replace("- id: trust", "- id: trusting")
    path.write_text(re.sub(r"(?<=[\[ ])trust(?=[,\]])", "trusting", text))  # facet parents too
    write_datapackage(study)
    problems = problems_of(study)
    # the codebook is the study's own: the tables' old id is what is now unknown, once a row
    files = {
        (file, rule.split(":")[0]) for file, rule in zip(problems.file, problems.rule, strict=True)
    }
    assert files == {(f"{table}.csv", "unknown-theme") for table in ("ratings", "consensus")}, (
        problems
    )
    assert set(problems["value"]) == {"trust"}
    assert "trusting" in problems.loc[0, "rule"]
    assert len(problems) == 3 * len(SESSIONS) * 2 + len(SESSIONS) * 2  # every row, no gaps


def test_missing_folder(tmp_path: Path) -> None:
    assert found(problems_of(tmp_path / "nowhere")) == {
        (str(tmp_path / "nowhere"), None, "", "missing-folder")
    }


# -- everything at once ----------------------------------------------------------------------


def test_all_problems_are_reported_at_once(study: Path) -> None:
    set_cell(study, "clients", 0, "age", "-3")
    set_cell(study, "ratings", 4, "present", "x")
    set_cell(study, "facets", 1, "valence", "neutral")
    drop_rows(study, "excerpts", lambda row: row[0] == "E1")
    (study / "codebook.yaml").write_text("themes: [\n", encoding="utf-8")  # unclosed at the end
    (study / "datapackage.json").write_text("{", encoding="utf-8")
    assert found(problems_of(study)) == {
        ("clients.csv", 2, "age", "minimum"),
        ("ratings.csv", 6, "present", "type"),
        ("facets.csv", 3, "valence", "enum"),
        ("codebook.yaml", 2, "", "yaml"),
        ("datapackage.json", 1, "", "json"),
    }


def test_cli_prints_the_report_and_fails(study: Path) -> None:
    set_cell(study, "sessions", 0, "therapist_id", "T7")
    run = subprocess.run(
        [sys.executable, "-m", "alliance", "validate", str(study)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "sessions.csv, line 2, column therapist_id, value 'T7': foreign-key" in run.stdout


def test_report_on_a_valid_study(study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(
        study,
        "clinics",
        lambda rows: [row.append("note" if row is rows[0] else "") for row in rows],
    )
    assert validation_report(study) == 0
    out = capsys.readouterr().out
    assert "4 sessions, 3 raters" in out
    assert "clinics.csv has extra columns, kept as text and not checked" in out


# -- properties ------------------------------------------------------------------------------

ROWS = tiny_tables()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One valid study that every hypothesis example copies."""
    return write_study(tmp_path_factory.mktemp("base") / "study")


def _invalid_values(spec: dict) -> st.SearchStrategy[str]:
    """Values that break ``spec`` (type, constraint or required), derived from the schema."""
    rules = spec.get("constraints", {})
    options = []
    if rules.get("required"):
        options.append(st.just(""))
    if spec["type"] == "integer":
        options.append(st.text(min_size=1).filter(lambda v: not re.fullmatch("0|-?[1-9][0-9]*", v)))
    if "enum" in rules:
        allowed = {str(value) for value in rules["enum"]}
        options.append(st.text(min_size=1).filter(lambda v: v not in allowed))
    if "pattern" in rules:
        options.append(st.text(min_size=1).filter(lambda v: not re.fullmatch(rules["pattern"], v)))
    if "minimum" in rules:
        options.append(st.integers(-(10**6), rules["minimum"] - 1).map(str))
    if "maximum" in rules:
        options.append(st.integers(rules["maximum"] + 1, 10**6).map(str))
    return st.one_of(options)


CELLS = [
    (table, spec)
    for table in TABLES
    for spec in table_schema(table)["fields"]
    if spec.get("constraints", {}).keys() & {"required", "enum", "pattern", "minimum", "maximum"}
    or spec["type"] == "integer"
]


@st.composite
def corruptions(draw: st.DrawFn) -> list[tuple[str, int, str, str]]:
    """One to three cells, in different rows, each given a value its column forbids."""
    chosen = draw(st.lists(st.sampled_from(CELLS), min_size=1, max_size=3))
    cells = {}
    for table, spec in chosen:
        index = draw(st.integers(0, len(ROWS[table]) - 2))
        cells[table, index] = (spec["name"], draw(_invalid_values(spec)))
    return [(table, index, column, value) for (table, index), (column, value) in cells.items()]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=corruptions())
def test_any_corrupted_cell_is_reported_at_its_line_and_column(base: Path, cells: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(shutil.copytree(base, Path(tmp) / "study"))
        for table, index, column, value in cells:
            set_cell(folder, table, index, column, value)
        problems = problems_of(folder)
        for table, index, column, value in cells:
            line = line_of(read_table(folder, table), index)
            at = problems[(problems["file"] == f"{table}.csv") & (problems["row"] == line)]
            at = at[at["column"] == column]
            assert value in set(at["value"]), (table, line, column, value, problems)


@settings(max_examples=20, deadline=None)
@given(table=st.sampled_from(TABLES), data=st.data())
def test_any_repeated_row_is_reported(base: Path, table: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(ROWS[table]) - 2))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(shutil.copytree(base, Path(tmp) / "study"))
        edit(folder, table, lambda rows: rows.append(list(rows[index + 1])))
        rows = read_table(folder, table)
        last, original = line_of(rows, len(rows) - 2), line_of(rows, index)
        problems = problems_of(folder)
        at = problems[(problems["file"] == f"{table}.csv") & (problems["row"] == last)]
        duplicates = at[at["rule"].str.startswith("duplicate-row")]
        assert list(duplicates["value"].str.endswith(f"(line {original})")) == [True]


@settings(max_examples=20, deadline=None)
@given(text=st.text(min_size=1))
def test_any_text_is_loaded_unchanged(base: Path, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(shutil.copytree(base, Path(tmp) / "study"))
        set_cell(folder, "excerpts", 1, "text", text)
        set_cell(folder, "therapists", 1, "profession", text)
        study = load_study(folder)
        assert study.excerpts.loc[1, "text"] == text
        assert study.therapists.loc[1, "profession"] == text


# -- files that cannot be read as they stand (issue #15) -------------------------------------


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b'{"resources": "caf\xe9"}', "encoding"),
        (b'{"resources": [], "n": ' + b"9" * 5000 + b"}", "json"),
        (b"[" * 100_000 + b"]" * 100_000, "json"),
    ],
    ids=["not-utf8", "huge-integer", "deep-array"],
)
def test_a_datapackage_that_cannot_be_decoded_is_one_problem(study: Path, content, rule) -> None:
    (study / "datapackage.json").write_bytes(content)
    problems = problems_of(study)
    assert {(p.file, p.rule.split(":")[0]) for p in problems.itertuples()} == {
        ("datapackage.json", rule)
    }


def test_a_datapackage_over_the_size_limit_is_not_read(study: Path, monkeypatch) -> None:
    from alliance.data import dataset

    monkeypatch.setattr(dataset, "DATAPACKAGE_LIMIT", 100)
    assert found(problems_of(study)) == {("datapackage.json", None, "", "too-large")}


def test_a_table_linked_to_a_file_outside_the_folder_is_not_read(study: Path, tmp_path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("session_id,secret-first-line\nS1,x\n", encoding="utf-8")
    (study / "ratings.csv").unlink()
    (study / "ratings.csv").symlink_to(outside)
    problems = problems_of(study)
    assert ("ratings.csv", None, "", "outside") in found(problems)
    assert "secret-first-line" not in str(problems.to_dict())
    assert validation_report(study) == 1


def test_a_datapackage_path_linking_outside_the_folder_is_refused(study: Path, tmp_path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (study / "docs").symlink_to(outside)
    (outside / "notes.csv").write_text("a\n", encoding="utf-8")
    package = json.loads((study / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"].append({"name": "notes", "path": "docs/notes.csv", "hash": "sha256:0"})
    (study / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    problems = problems_of(study)
    assert found(problems) == {("datapackage.json", None, "resources[9].path", "resource")}
    assert "outside the study folder" in problems.loc[0, "rule"]


def test_an_unreadable_file_is_one_line_naming_it(study: Path, monkeypatch) -> None:
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "clients.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    problems = problems_of(study)
    assert ("clients.csv", None, "", "unreadable") in found(problems)
    assert "Permission denied" in problems.set_index("file").loc["clients.csv", "rule"]


def test_an_unreadable_folder_is_one_line(study: Path, monkeypatch) -> None:
    from alliance.data import dataset

    monkeypatch.setattr(dataset.os, "access", lambda path, mode: False)
    assert found(problems_of(study)) == {(str(study), None, "", "unreadable")}


def test_a_cell_over_the_csv_field_limit_names_its_column(study: Path) -> None:
    from alliance.data.dataset import CSV_FIELD_LIMIT

    rows = read_table(study, "excerpts")
    rows[1][rows[0].index("text")] = "x" * (CSV_FIELD_LIMIT + 1)
    write_table(study, "excerpts", rows)
    write_datapackage(study)
    problems = problems_of(study)
    assert found(problems) == {("excerpts.csv", 2, "text", "field-size")}
    assert f"{CSV_FIELD_LIMIT:,}" in problems.loc[0, "rule"]


def test_terminal_escapes_in_a_header_are_shown_escaped(study: Path, capsys) -> None:
    edit(study, "clinics", lambda rows: [row.append("x") for row in rows])
    rows = read_table(study, "clinics")
    rows[0][-1] = "evil\x1b[2J\x1b]0;title\x07"
    write_table(study, "clinics", rows)
    write_datapackage(study)
    assert validation_report(study) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "evil\\x1b[2J\\x1b]0;title\\x07" in out


def test_every_codebook_problem_is_its_own_line(study: Path) -> None:
    path = study / "codebook.yaml"
    text = path.read_text(encoding="utf-8").replace("label: trust", "label: 12345")
    path.write_text(text.replace("label: anger and hostility", 'label: "anger\\nhostility"'))
    write_datapackage(study)
    rules = sorted(problems_of(study)["rule"])
    assert len(rules) == 2
    assert rules[0].startswith("codebook: theme 'anger', field 'label': must be one line")
    assert rules[1].startswith("codebook: theme 'trust', field 'label': must be text, got int")
