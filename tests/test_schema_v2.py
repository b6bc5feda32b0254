"""Schema version 2: the study folder follows the study's design.

Today's ``data/`` (schema 1, no ``alliance:study``) still validates and loads the
same tables; invented example folders of several designs validate, and what
they load is recomputed here from the raw CSV files with the csv module; every
rule of the design (themes, informants, raters, groups, settings, ranges,
coding designs) has a case that breaks it.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from alliance.data.codebook import THEMES
from alliance.data.dataset import (
    StudyValidationError,
    coding_coverage,
    load_study,
    validation_report,
)
from alliance.data.design import STUDY_KEY, DesignError, read_design
from alliance.data.examples import EXAMPLE_GENERATOR, write_example_study
from alliance.data.schema import TABLES, refresh_datapackage, table_schema

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

DESIGNS: dict[str, dict] = {
    "default: 2 raters, 5 themes, half double-coded": {},
    "partial design, 3 raters": {"raters": ("R1", "R2", "R3"), "double_coded": 0.25},
    "client interviews only": {"informants": ("client",), "themes": 3},
    "therapist interviews only": {"informants": ("therapist",), "per_group": 4},
    "three groups, rule client": {
        "rule": "client",
        "variable": "site",
        "groups": ("north", "south", "east"),
        "themes": [("heard", "feeling heard"), ("Doubt-2", "doubt"), ("x.y", "x or y")],
    },
    "fully crossed, 9 themes": {"double_coded": 1.0, "themes": 9, "seed": 4},
}


def rows_of(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def rewrite(folder: Path, table: str, change: Callable[[list[dict[str, str]]], object]) -> None:
    """Edit a table's rows (dicts) in place, then record the new hashes."""
    rows = rows_of(folder, table)
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    change(rows)
    if rows:
        header = [column for column in header if column in rows[0]]
        header += [column for column in rows[0] if column not in header]
    with open(folder / f"{table}.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)
    refresh_datapackage(folder)


def edit_design(folder: Path, change: Callable[[dict], object]) -> None:
    path = folder / "datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    change(package[STUDY_KEY])
    path.write_text(json.dumps(package), encoding="utf-8")


def problems_of(folder: Path) -> pd.DataFrame:
    with pytest.raises(StudyValidationError) as caught:
        load_study(folder)
    return caught.value.problems


def causes(problems: pd.DataFrame) -> set[tuple[str, str, str]]:
    """(file, column, rule name) of every problem."""
    return {(p.file, p.column, p.rule.split(":")[0]) for p in problems.itertuples()}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return write_example_study(tmp_path / "study")


# -- schema version 1: today's data -----------------------------------------------------------


def test_todays_data_is_schema_1_and_loads_the_same_tables() -> None:
    study = load_study(DATA)
    assert study.design.schema_version == 1
    assert "alliance:study" not in json.loads((DATA / "datapackage.json").read_text())
    assert study.design.themes == THEMES and study.design.reconstructs_article
    for table in TABLES:
        raw = pd.DataFrame(rows_of(DATA, table))
        loaded = getattr(study, table)
        assert list(loaded.columns) == list(raw.columns), table
        text = loaded.astype("string").fillna("")
        assert (text.to_numpy() == raw.to_numpy()).all(), table
    assert study.ratings["present"].dtype == "int64"
    groups = study.dyads["dyad_type"].value_counts().to_dict()
    assert groups == {"discordant": 29, "concordant": 26}


def test_todays_data_summary_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert validation_report(DATA) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "is a valid study" in lines[0] and lines[1].startswith("SYNTHETIC")


def test_schema_1_keeps_its_rules(tmp_path: Path) -> None:
    """Without a design record: raters R1, R2, ..., a rating in every cell, the two ethnicities."""
    folder = tmp_path / "v1"
    folder.mkdir()
    for file in [*(f"{t}.csv" for t in TABLES), "codebook.yaml"]:
        (folder / file).write_bytes((DATA / file).read_bytes())
    text = (folder / "ratings.csv").read_text(encoding="utf-8")
    head, first, *rest = text.split("\n")
    (folder / "ratings.csv").write_text(
        "\n".join([head, first.replace(",R1,", ",Dana,")[:-1], *rest]), encoding="utf-8"
    )
    found = causes(problems_of(folder))
    assert ("ratings.csv", "rater", "rater-name") in found
    assert ("ratings.csv", "present", "required") in found


# -- schema version 2: example folders of several designs -------------------------------------


@pytest.mark.parametrize("knobs", DESIGNS.values(), ids=list(DESIGNS))
def test_example_designs_validate_and_load_what_the_files_hold(
    tmp_path: Path, knobs: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_example_study(tmp_path / "study", **knobs)
    assert validation_report(folder) == 0
    out = capsys.readouterr().out
    study = load_study(folder)
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package[STUDY_KEY]["schema_version"] == 2
    assert package["alliance:synthetic"]["generator"] == EXAMPLE_GENERATOR
    informants = knobs.get("informants", ("client", "therapist"))
    codebook = yaml.safe_load((folder / "codebook.yaml").read_text(encoding="utf-8"))
    codebook_ids = [theme["id"] for theme in codebook["themes"]]
    assert list(study.design.themes) == codebook_ids
    assert study.design.informants == informants
    # consensus: complete for session x informant x theme, counted from the file
    consensus = rows_of(folder, "consensus")
    sessions = {row["session_id"] for row in rows_of(folder, "sessions")}
    assert len(consensus) == len(sessions) * len(informants) * len(study.design.themes)
    assert {row["theme"] for row in consensus} == set(codebook_ids)
    # coverage: raters per interview, counted from the file
    raters: dict[tuple[str, str], set[str]] = {}
    for row in rows_of(folder, "ratings"):
        raters.setdefault((row["session_id"], row["informant"]), set()).add(row["rater"])
    coverage = coding_coverage(study).set_index("informant")
    for informant in informants:
        counts = Counter(len(raters.get((s, informant), ())) for s in sessions)
        expected = [counts[2] + counts[3], counts[1], counts[0]]
        got = coverage.loc[informant, ["double_coded", "single_coded", "not_coded"]].tolist()
        assert got == expected
    double = coverage["double_coded"].sum() / coverage["interviews"].sum()
    assert double == pytest.approx(knobs.get("double_coded", 0.5), abs=0.05)
    if knobs.get("double_coded", 0.5) < 1:
        assert "single-coded" in out
    labels = ", ".join(study.design.label(theme) for theme in study.design.themes)
    assert f"Design (schema 2): {len(study.design.themes)} themes ({labels})" in out
    # groups: every group has per_group sessions
    groups = study.dyads["dyad_type"].value_counts().to_dict()
    labels = study.design.grouping.labels
    assert groups == dict.fromkeys(labels, knobs.get("per_group", 6))


def test_dyad_types_follow_the_declared_match_rule(example: Path) -> None:
    clients = {row["client_id"]: row["ethnicity"] for row in rows_of(example, "clients")}
    therapists = {row["therapist_id"]: row["ethnicity"] for row in rows_of(example, "therapists")}
    expected = {
        row["session_id"]: "concordant"
        if clients[row["client_id"]] == therapists[row["therapist_id"]]
        else "discordant"
        for row in rows_of(example, "sessions")
    }
    dyads = load_study(example).dyads
    assert dict(zip(dyads["session_id"], dyads["dyad_type"], strict=True)) == expected


def test_rule_client_groups_by_the_client_value_without_a_therapist_column(tmp_path: Path) -> None:
    folder = write_example_study(
        tmp_path / "s", rule="client", variable="arm", groups=("x", "y", "z"), per_group=2
    )
    assert "arm" not in rows_of(folder, "therapists")[0]
    clients = {row["client_id"]: row["arm"] for row in rows_of(folder, "clients")}
    dyads = load_study(folder).dyads
    assert (dyads["dyad_type"] == dyads["client_id"].map(clients)).all()
    assert dyads["therapist_ethnicity"].isna().all()


def test_examples_are_deterministic_for_a_seed(tmp_path: Path) -> None:
    def files(folder: Path) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}

    one = files(write_example_study(tmp_path / "a", seed=5))
    assert one == files(write_example_study(tmp_path / "b", seed=5))
    other = files(write_example_study(tmp_path / "c", seed=6))
    assert one["ratings.csv"] != other["ratings.csv"]


def test_examples_code_groups_differently_and_raters_imperfectly(tmp_path: Path) -> None:
    study = load_study(write_example_study(tmp_path / "s", per_group=40, double_coded=1.0))
    codes = study.consensus.merge(study.dyads[["session_id", "dyad_type"]], on="session_id")
    rates = codes.groupby(["theme", "dyad_type"])["present"].mean().unstack()
    assert (rates["concordant"] - rates["discordant"]).abs().max() > 0.1
    wide = study.ratings.pivot_table(
        index=["session_id", "informant", "theme"], columns="rater", values="present"
    )
    agreement = (wide["Dana"] == wide["Eli"]).mean()
    assert 0.6 < agreement < 0.95


def test_an_example_folder_is_never_overwritten(example: Path) -> None:
    with pytest.raises(FileExistsError, match="holds files"):
        write_example_study(example)


def test_an_uninvented_example_declares_no_provenance(tmp_path: Path) -> None:
    study = load_study(write_example_study(tmp_path / "s", invented=False))
    assert study.synthetic is None and not study.design.reconstructs_article


def test_table_schemas_follow_the_design(example: Path) -> None:
    design = load_study(example).design
    fields = {f["name"]: f for f in table_schema("ratings", design)["fields"]}
    assert fields["theme"]["constraints"]["enum"] == list(design.themes)
    assert "required" not in fields["present"]["constraints"]
    assert fields["rater"]["constraints"]["pattern"] != table_schema("ratings")["fields"][2][
        "constraints"
    ].get("pattern")
    clients = {f["name"]: f for f in table_schema("clients", design)["fields"]}
    assert clients["ethnicity"]["constraints"] == {"required": True, "enum": ["A", "B"]}
    assert clients["age"]["constraints"] == {"minimum": 18, "maximum": 90}
    assert "constraints" not in clients["education_years"]
    package = json.loads((example / "datapackage.json").read_text(encoding="utf-8"))
    written = {r["name"]: r.get("schema") for r in package["resources"]}
    assert written["clients"] == table_schema("clients", design)


# -- schema version 2: what breaks it ---------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda r: r.update(schema_version=3), "alliance:study.schema_version"),
        (lambda r: r["groups"].update(rule="sex"), "alliance:study.groups.rule"),
        (lambda r: r.update(informants=["patient"]), "alliance:study.informants"),
        (lambda r: r.update(ranges={"clients.age": [90, 18]}), "alliance:study.ranges.clients.age"),
        (lambda r: r.update(ranges={"notes.age": [1, 2]}), "alliance:study.ranges.notes.age"),
        (lambda r: r["groups"].update(variable="client_id"), "alliance:study.groups.variable"),
        (lambda r: r["groups"].update(values="A"), "alliance:study.groups.values"),
        (lambda r: r.update(settings=[1]), "alliance:study.settings"),
        (lambda r: r.update(reconstructs=5), "alliance:study.reconstructs"),
    ],
)
def test_a_bad_design_record_is_named_and_stops_the_table_checks(
    example: Path, change, column: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_design(example, change)
    problems = problems_of(example)
    assert set(problems["file"]) == {"datapackage.json"}
    assert column in set(problems["column"])
    assert validation_report(example) == 1
    assert "tables were not checked" in capsys.readouterr().out


def test_read_design_rejects_the_same_records() -> None:
    with pytest.raises(DesignError):
        read_design({STUDY_KEY: {"schema_version": 2, "informants": []}}, {"themes": []})


def test_unknown_theme(example: Path) -> None:
    rewrite(example, "ratings", lambda rows: rows[0].update(theme="aff"))
    problems = problems_of(example)
    assert causes(problems) == {("ratings.csv", "theme", "unknown-theme")}
    assert "heard, safe, hope, plan, doubt" in problems.loc[0, "rule"]


def test_a_rater_with_a_partial_interview(example: Path) -> None:
    rows = rows_of(example, "ratings")
    session, informant, rater = rows[2]["session_id"], rows[2]["informant"], rows[2]["rater"]
    rewrite(example, "ratings", lambda rows: rows.pop(2))
    problems = problems_of(example)
    assert causes(problems) == {("ratings.csv", "theme", "missing-rows")}
    assert list(problems["value"]) == [f"{session}/{informant}/{rater}/{rows[2]['theme']}"]


def test_an_empty_rating_is_an_explicit_missing_rating(example: Path) -> None:
    rows = rows_of(example, "ratings")
    first = (rows[0]["session_id"], rows[0]["informant"], rows[0]["rater"])

    def blank(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if (row["session_id"], row["informant"], row["rater"]) == first:
                row["present"] = ""

    before = coding_coverage(load_study(example)).set_index("informant")
    rewrite(example, "ratings", blank)
    study = load_study(example)
    assert study.ratings["present"].dtype == "Int64"
    assert study.ratings["present"].isna().sum() == len(study.design.themes)
    after = coding_coverage(study).set_index("informant")
    moved = after.loc[first[1]] - before.loc[first[1]]
    assert moved[["double_coded", "single_coded", "not_coded"]].abs().sum() == 2


def test_a_consensus_gap(example: Path) -> None:
    gone = rows_of(example, "consensus")[7]
    rewrite(example, "consensus", lambda rows: rows.pop(7))
    problems = problems_of(example)
    assert causes(problems) == {("consensus.csv", "theme", "missing-rows")}
    key = "/".join(gone[c] for c in ("session_id", "informant", "theme"))
    assert list(problems["value"]) == [key]


def test_ranges_are_checked_only_where_declared(example: Path) -> None:
    def ages(rows: list[dict[str, str]]) -> None:
        rows[0]["age"] = "95"  # declared: clients.age [18, 90]
        rows[1]["age"] = "17"
        rows[2]["age"] = ""  # optional

    rewrite(example, "clients", ages)
    rewrite(example, "therapists", lambda rows: rows[0].update(years_experience="99"))
    problems = problems_of(example)
    assert causes(problems) == {
        ("clients.csv", "age", "maximum"),
        ("clients.csv", "age", "minimum"),
    }
    edit_design(example, lambda r: r.update(ranges={"clients.income": [0, None]}))
    rewrite(example, "clients", lambda rows: [row.update(income="2.5") for row in rows])
    assert len(load_study(example).clients) == 12  # ages no longer range-checked, income is
    rewrite(example, "clients", lambda rows: rows[3].update(income="-1"))
    assert causes(problems_of(example)) == {("clients.csv", "income", "minimum")}


def test_group_values_are_the_declared_ones(example: Path) -> None:
    def values(rows: list[dict[str, str]]) -> None:
        rows[0]["ethnicity"] = "a"
        rows[1]["ethnicity"] = "C"

    rewrite(example, "clients", values)
    problems = problems_of(example).set_index("value")
    assert "did you mean 'A'?" in problems.loc["a", "rule"]
    assert problems.loc["C", "rule"] == "enum: must be one of A, B"


def test_the_grouping_column_is_required(example: Path) -> None:
    rewrite(example, "clients", lambda rows: [row.pop("ethnicity") for row in rows])
    assert ("clients.csv", "ethnicity", "missing-column") in causes(problems_of(example))


def test_settings_are_checked_only_when_declared(example: Path) -> None:
    rewrite(example, "clinics", lambda rows: rows[0].update(setting="private practice"))
    assert causes(problems_of(example)) == {("clinics.csv", "setting", "enum")}
    edit_design(example, lambda r: r.update(settings=None))
    refresh_datapackage(example)
    assert load_study(example).clinics["setting"].tolist()[0] == "private practice"


def test_informants_outside_the_design(tmp_path: Path) -> None:
    folder = write_example_study(tmp_path / "s", informants=("client",))
    rewrite(folder, "ratings", lambda rows: rows[0].update(informant="therapist"))
    problems = problems_of(folder)
    assert causes(problems) == {("ratings.csv", "informant", "enum")}
    assert problems.loc[0, "rule"] == "enum: must be one of client"


def test_rater_names_are_free_safe_and_spelled_one_way(example: Path) -> None:
    rewrite(example, "ratings", lambda rows: rows[0].update(rater="Dana K"))
    assert ("ratings.csv", "rater", "pattern") in causes(problems_of(example))
    rewrite(example, "ratings", lambda rows: rows[0].update(rater="dana"))
    assert ("ratings.csv", "rater", "rater-spelling") in causes(problems_of(example))


def test_one_rater_is_not_enough_but_raters_who_never_overlap_are_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alone = write_example_study(tmp_path / "one", raters=("Dana",))
    assert causes(problems_of(alone)) == {("ratings.csv", "rater", "raters")}
    apart = write_example_study(tmp_path / "apart", double_coded=0.0)
    assert validation_report(apart) == 0
    out = capsys.readouterr().out
    assert "0 double-coded" in out and "reliability cannot be computed" in out


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"groups": ("a", "b", "c")}, "names two groups"),
        ({"themes": 0}, "at least 1"),
        ({"double_coded": 1.5}, "between 0 and 1"),
        ({"raters": ()}, "one rater"),
        ({"rule": "client", "groups": ("only",)}, "at least two groups"),
        ({"informants": ("patient",)}, "client, therapist or both"),
    ],
)
def test_example_knobs_that_make_no_valid_design_are_refused(
    tmp_path: Path, knobs: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        write_example_study(tmp_path / "s", **knobs)
    assert not (tmp_path / "s").exists()


def test_an_example_with_missing_ratings_keeps_them_explicit(tmp_path: Path) -> None:
    plain = write_example_study(tmp_path / "plain", seed=2)
    gappy = write_example_study(tmp_path / "gappy", seed=2, missing=0.3)
    rows = rows_of(gappy, "ratings")
    empty = [row for row in rows if row["present"] == ""]
    assert 0 < len(empty) < len(rows) / 4
    assert len(rows) == len(rows_of(plain, "ratings"))
    keys = [
        {(r["session_id"], r["informant"], r["rater"]) for r in rows_of(f, "ratings")}
        for f in (plain, gappy)
    ]
    assert keys[0] == keys[1]
    study = load_study(gappy)
    assert study.ratings["present"].isna().sum() == len(empty)
