"""Loading the committed study: it validates, matches the published sample and stays untouched.

The sample sizes are compared with the published figures of
``alliance.data.published``, the dyad types are recomputed here from the raw CSV
files, and the hashes of ``data/datapackage.json`` are recomputed with hashlib.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import alliance
from alliance.__main__ import main
from alliance.data.dataset import Study, StudyValidationError, load_study, validation_report
from alliance.data.published import figure
from alliance.data.schema import TABLES, datapackage, table_schema

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def study() -> Study:
    return load_study(DATA)


def raw(table: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{table}.csv", dtype=str, keep_default_na=False)


def test_package_root_reexports_load_study() -> None:
    assert alliance.load_study is load_study
    assert "load_study" in alliance.__all__


def test_committed_study_has_the_published_sample(study: Study) -> None:
    ethnicity = study.clients["ethnicity"].value_counts()
    assert len(study.clinics) == figure("n_clinics").value
    assert len(study.therapists) == figure("n_therapists").value
    assert ethnicity["Mizrahi"] == figure("n_clients_mizrahi").value
    assert ethnicity["Ashkenazi"] == figure("n_clients_ashkenazi").value
    assert study.ratings["rater"].nunique() == figure("n_raters").value
    assert len(study.sessions) == len(study.clients)


def test_dyads_match_an_independent_derivation(study: Study) -> None:
    clients = raw("clients").set_index("client_id")["ethnicity"]
    therapists = raw("therapists").set_index("therapist_id")
    sessions = raw("sessions").sort_values("session_id", ignore_index=True)
    client_ethnicity = sessions["client_id"].map(clients)
    therapist_ethnicity = sessions["therapist_id"].map(therapists["ethnicity"])
    expected = pd.DataFrame(
        {
            "session_id": sessions["session_id"],
            "client_id": sessions["client_id"],
            "therapist_id": sessions["therapist_id"],
            "clinic_id": sessions["therapist_id"].map(therapists["clinic_id"]),
            "client_ethnicity": client_ethnicity,
            "therapist_ethnicity": therapist_ethnicity,
            "dyad_type": [
                "concordant" if c == t else "discordant"
                for c, t in zip(client_ethnicity, therapist_ethnicity, strict=True)
            ],
        }
    )
    pd.testing.assert_frame_equal(study.dyads, expected, check_dtype=False)
    counts = study.dyads["dyad_type"].value_counts()
    assert counts["discordant"] == figure("n_clients_mizrahi").value
    assert counts["concordant"] == figure("n_clients_ashkenazi").value


def test_columns_have_their_schema_types(study: Study) -> None:
    assert study.ratings["present"].dtype == "int64"
    assert set(study.ratings["present"]) == {0, 1}
    assert study.clients["age"].dtype == "Int64"
    assert study.therapists["years_experience"].dtype == "Int64"
    for table in TABLES:
        frame = getattr(study, table)
        assert list(frame.columns) == [f["name"] for f in table_schema(table)["fields"]]
        assert len(frame) == len(raw(table))
        for field in table_schema(table)["fields"]:
            if field["type"] == "string":
                assert pd.api.types.is_string_dtype(frame[field["name"]]), (table, field)


def test_values_are_the_files_values(study: Study) -> None:
    for table in TABLES:
        text = getattr(study, table).astype(object).fillna("").astype(str)
        pd.testing.assert_frame_equal(text, raw(table), check_dtype=False)


def test_study_is_frozen_and_labelled_synthetic(study: Study) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.path = Path("elsewhere")  # type: ignore[misc]
    package = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    assert study.synthetic == package["alliance:synthetic"]
    assert set(study.synthetic) >= {"seed", "scale", "generator"}
    assert [theme["id"] for theme in study.codebook["themes"]][0] == "understood"


def test_every_committed_excerpt_is_marked_fictional_in_the_file_itself(study: Study) -> None:
    assert (study.excerpts["fictional"] == "yes").all()
    header = (DATA / "excerpts.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[-1] == "fictional"


def test_the_fictional_column_is_optional_and_checked(tmp_path: Path) -> None:
    copy = shutil.copytree(DATA, tmp_path / "mine")
    (copy / "datapackage.json").unlink()
    excerpts = pd.read_csv(copy / "excerpts.csv", dtype=str, keep_default_na=False)
    excerpts.drop(columns="fictional").to_csv(copy / "excerpts.csv", index=False)
    assert load_study(copy).excerpts["fictional"].isna().all()
    excerpts.assign(fictional="maybe").to_csv(copy / "excerpts.csv", index=False)
    with pytest.raises(StudyValidationError) as raised:
        load_study(copy)
    problems = raised.value.problems
    assert set(problems["column"]) == {"fictional"}
    assert problems["rule"].str.startswith("enum").all()


def test_committed_hashes_match_the_files() -> None:
    package = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    described = {resource["path"]: resource for resource in package["resources"]}
    on_disk = {path.name for path in DATA.iterdir()} - {"datapackage.json"}
    assert set(described) == on_disk
    for name, resource in described.items():
        content = (DATA / name).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest(), name
        assert resource["bytes"] == len(content)


def test_committed_datapackage_uses_the_current_schemas() -> None:
    package = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    assert package == datapackage(DATA, synthetic=package["alliance:synthetic"])


def test_committed_headers_are_exactly_the_documented_columns() -> None:
    for table in TABLES:
        header = (DATA / f"{table}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == [f["name"] for f in table_schema(table)["fields"]]


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        path.name: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in sorted(folder.iterdir())
    }


def test_loading_and_validating_never_modify_data(capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(DATA)
    study = load_study(DATA)
    _ = study.dyads
    assert validation_report(DATA) == 0
    assert main(["validate", str(DATA)]) == 0
    assert "is a valid study" in capsys.readouterr().out
    assert _snapshot(DATA) == before


def test_default_folder_is_found_from_the_book_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALLIANCE_DATA", raising=False)
    monkeypatch.chdir(ROOT / "chapters")
    assert load_study().path == DATA
    copy = shutil.copytree(DATA, tmp_path / "mine")
    monkeypatch.setenv("ALLIANCE_DATA", str(copy))
    assert load_study().path == copy
