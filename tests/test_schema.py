"""Table Schemas, the data dictionary and datapackage.json.

The schema definitions are checked for internal consistency (every key names
real columns, every foreign key points at a unique set of columns), against
the fixed column lists of the issue, and datapackage.json is checked against
hashes computed here with hashlib.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from alliance.data.codebook import INFORMANTS, THEMES
from alliance.data.schema import (
    TABLES,
    data_dictionary,
    data_dictionary_markdown,
    datapackage,
    foreign_keys,
    table_schema,
    write_datapackage,
)

FIXED_COLUMNS = {
    "clinics": ["clinic_id", "setting"],
    "therapists": [
        "therapist_id",
        "clinic_id",
        "ethnicity",
        "gender",
        "profession",
        "years_experience",
    ],
    "clients": ["client_id", "ethnicity", "gender", "age", "education_years"],
    "sessions": ["session_id", "client_id", "therapist_id"],
    "ratings": ["session_id", "informant", "rater", "theme", "present"],
    "consensus": ["session_id", "informant", "theme", "present"],
    "facets": ["session_id", "informant", "facet", "valence", "theme"],
    "excerpts": ["excerpt_id", "session_id", "informant", "theme", "facet", "text", "fictional"],
}
"""Column names fixed by issue 3 (a study may add columns, never rename these)."""

CONSTRAINTS = {"required", "unique", "minLength", "maxLength", "minimum", "maximum"}
CONSTRAINTS |= {"pattern", "enum"}


def names(table: str) -> list[str]:
    return [field["name"] for field in table_schema(table)["fields"]]


@pytest.mark.parametrize("table", TABLES)
def test_columns_are_the_fixed_ones(table: str) -> None:
    assert names(table) == FIXED_COLUMNS[table]


@pytest.mark.parametrize("table", TABLES)
def test_fields_are_frictionless_and_described(table: str) -> None:
    for field in table_schema(table)["fields"]:
        assert field["type"] in {"string", "integer"}
        assert set(field.get("constraints", {})) <= CONSTRAINTS
        assert len(field["description"].split()) >= 4, field["name"]
    assert table_schema(table)["missingValues"] == [""]


@pytest.mark.parametrize("table", TABLES)
def test_keys_name_real_columns_and_refer_to_unique_rows(table: str) -> None:
    schema = table_schema(table)
    assert set(schema["primaryKey"]) <= set(names(table))
    for key in foreign_keys(table):
        reference = key["reference"]
        assert set(key["fields"]) <= set(names(table))
        assert reference["resource"] in TABLES
        assert len(reference["fields"]) == len(key["fields"])
        # the referenced columns contain the referenced table's primary key, so they are unique
        assert set(table_schema(reference["resource"])["primaryKey"]) <= set(reference["fields"])
        assert TABLES.index(reference["resource"]) < TABLES.index(table)


def test_code_lists_follow_the_codebook() -> None:
    for table in ("ratings", "consensus", "facets", "excerpts"):
        fields = {field["name"]: field for field in table_schema(table)["fields"]}
        assert fields["theme"]["constraints"]["enum"] == list(THEMES)
        assert fields["informant"]["constraints"]["enum"] == list(INFORMANTS)


def test_only_fully_required_foreign_keys_are_declared() -> None:
    # Frictionless validators check a declared foreign key even on rows with an empty
    # cell, so keys over optional columns are checked by alliance.data.dataset instead.
    for table in TABLES:
        schema = table_schema(table)
        required = {f["name"] for f in schema["fields"] if f.get("constraints", {}).get("required")}
        for key in schema.get("foreignKeys", []):
            assert set(key["fields"]) <= required, (table, key)
        assert foreign_keys(table)[: len(schema.get("foreignKeys", []))] == schema.get(
            "foreignKeys", []
        )
    assert len(foreign_keys("excerpts")) == 2


def test_table_schema_returns_a_copy_and_rejects_unknown_tables() -> None:
    table_schema("ratings")["fields"].clear()
    assert len(table_schema("ratings")["fields"]) == 5
    with pytest.raises(KeyError, match="clinics, therapists"):
        table_schema("rating")


def test_data_dictionary_has_one_row_per_column() -> None:
    dictionary = data_dictionary()
    assert list(dictionary.columns) == [
        "table",
        "field",
        "type",
        "required",
        "constraints",
        "description",
    ]
    expected = [(table, column) for table, columns in FIXED_COLUMNS.items() for column in columns]
    assert list(zip(dictionary["table"], dictionary["field"], strict=True)) == expected
    optional = dictionary.loc[~dictionary["required"], ["table", "field"]].values.tolist()
    assert ["excerpts", "facet"] in optional and ["clients", "age"] in optional
    assert not dictionary["description"].str.strip().eq("").any()


def test_markdown_dictionary_lists_every_table_and_column() -> None:
    text = data_dictionary_markdown()
    for table, columns in FIXED_COLUMNS.items():
        section = text.split(f"### `{table}.csv`")[1].split("### ")[0]
        rows = [line for line in section.splitlines() if line.startswith("| `")]
        assert [row.split("`")[1] for row in rows] == columns
    assert text.endswith("\n") and not text.endswith("\n\n")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for table, columns in FIXED_COLUMNS.items():
        (tmp_path / f"{table}.csv").write_text(",".join(columns) + "\n", encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text("themes: []\n", encoding="utf-8")
    return tmp_path


def test_datapackage_hashes_every_file(folder: Path) -> None:
    (folder / "README.md").write_text("# Data\n", encoding="utf-8")
    package = json.loads(write_datapackage(folder).read_text(encoding="utf-8"))
    files = {path.name for path in folder.iterdir()} - {"datapackage.json"}
    assert {resource["path"] for resource in package["resources"]} == files
    for resource in package["resources"]:
        content = (folder / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()
        assert resource["bytes"] == len(content)
    tables = [r for r in package["resources"] if r.get("profile") == "tabular-data-resource"]
    assert [r["name"] for r in tables] == list(TABLES)
    assert all(r["schema"] == table_schema(r["name"]) for r in tables)
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert "alliance:synthetic" not in package


def test_datapackage_json_is_deterministic(folder: Path) -> None:
    synthetic = {"seed": 3, "scale": 1, "generator": "test"}
    first = write_datapackage(folder, synthetic=synthetic).read_bytes()
    second = write_datapackage(folder, synthetic=dict(reversed(synthetic.items()))).read_bytes()
    assert first == second
    text = first.decode("utf-8")
    parsed = json.loads(text)
    assert text == json.dumps(parsed, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert parsed["alliance:synthetic"] == synthetic


def test_datapackage_follows_a_changed_file(folder: Path) -> None:
    before = datapackage(folder)
    (folder / "clinics.csv").write_text("clinic_id,setting\nC1,community\n", encoding="utf-8")
    after = datapackage(folder)
    changed = [
        old["path"]
        for old, new in zip(before["resources"], after["resources"], strict=True)
        if old["hash"] != new["hash"]
    ]
    assert changed == ["clinics.csv"]


def test_datapackage_needs_every_table(folder: Path) -> None:
    (folder / "facets.csv").unlink()
    with pytest.raises(FileNotFoundError, match="facets.csv"):
        write_datapackage(folder)
    assert not (folder / "datapackage.json").exists()
