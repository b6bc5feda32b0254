"""What `make book` asks of a study folder before it builds anything (issue #15)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from alliance.book.requirements import main
from alliance.data.examples import write_example_study
from alliance.data.schema import refresh_datapackage, write_datapackage

DATA = Path(__file__).resolve().parents[1] / "data"


def test_the_compendium_study_can_become_the_book(capsys):
    assert main([str(DATA)]) == 0
    assert capsys.readouterr().err == ""


def test_a_study_that_does_not_validate_is_refused_with_its_problems(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("make book: the study folder does not validate:")
    assert "missing-folder" in err


def test_a_study_with_one_dyad_type_is_refused_in_one_line(tmp_path, capsys):
    study = shutil.copytree(DATA, tmp_path / "study")
    clients = pd.read_csv(study / "clients.csv", dtype=str, keep_default_na=False)
    clients["ethnicity"] = "Ashkenazi"  # every therapist is Ashkenazi: all concordant
    clients.to_csv(study / "clients.csv", index=False)
    write_datapackage(study)
    assert main([str(study)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "every session is concordant" in err[0]


def test_a_study_with_its_own_groups_and_one_informant_can_become_the_book(tmp_path, capsys):
    folder = write_example_study(
        tmp_path / "study", groups=("matched", "unmatched"), informants=("therapist",)
    )
    assert main([str(folder)]) == 0
    assert capsys.readouterr().err == ""


def test_a_study_whose_sessions_fall_into_one_group_is_refused_naming_its_groups(tmp_path, capsys):
    folder = write_example_study(
        tmp_path / "study", rule="client", variable="arm", groups=("a", "b")
    )
    clients = pd.read_csv(folder / "clients.csv", dtype=str, keep_default_na=False)
    clients["arm"] = "b"
    clients.to_csv(folder / "clients.csv", index=False)
    refresh_datapackage(folder)
    assert main([str(folder)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "every session is b (groups: a, b)" in err[0]
