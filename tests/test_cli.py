"""The command line a new user runs: synth, validate and report, and the study template."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from alliance.__main__ import main
from alliance.data.codebook import load_codebook
from alliance.data.design import read_design
from alliance.data.examples import write_example_study
from alliance.data.schema import TABLES, refresh_datapackage, table_schema

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "study"


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alliance", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "study"
    result = _run("synth", "--out", str(out), "--seed", "7")
    assert result.returncode == 0, result.stderr
    assert "seed 7" in result.stdout
    return out


def test_help_lists_the_three_commands():
    result = _run("--help")
    assert result.returncode == 0
    for command in ("synth", "validate", "report"):
        assert command in result.stdout


def test_validate_and_report_a_generated_study_from_another_folder(generated, tmp_path):
    validate = _run("validate", str(generated), cwd=tmp_path)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "is a valid study" in validate.stdout and "SYNTHETIC" in validate.stdout
    report = _run("report", str(generated), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "Inter-rater reliability" in report.stdout and "seed 7" in report.stdout


def test_report_differs_between_differently_seeded_studies(generated, capsys):
    assert main(["report", str(generated)]) == 0
    other = capsys.readouterr().out
    assert main(["report", str(ROOT / "data")]) == 0
    book = capsys.readouterr().out

    # The generator holds each theme's count per dyad type at its calibration target,
    # so the seeds differ in who was coded what: the reliability section shows it.
    def reliability(text: str) -> str:
        return text[text.index("Inter-rater") : text.index("Themes per session")]

    assert reliability(other) != reliability(book)


def test_validate_and_report_fail_on_a_broken_folder(generated, tmp_path, capsys):
    broken = shutil.copytree(generated, tmp_path / "broken")
    sessions = pd.read_csv(broken / "sessions.csv", dtype=str)
    sessions.loc[0, "therapist_id"] = "T99"
    sessions.to_csv(broken / "sessions.csv", index=False)
    assert main(["validate", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "sessions.csv, line 2, column therapist_id, value 'T99'" in out
    assert "does not match" in out  # the stale hash in datapackage.json is named too
    assert main(["report", str(broken)]) == 1
    assert "does not validate" in capsys.readouterr().out


def test_a_missing_folder_and_an_unknown_command_are_errors(tmp_path):
    missing = _run("report", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert "missing-folder: there is no such study folder" in missing.stdout
    unknown = _run("summarise", "data")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


def test_the_template_has_every_table_with_its_schema_header():
    package = json.loads((TEMPLATE / "datapackage.json").read_text(encoding="utf-8"))
    design = read_design(package, load_codebook(TEMPLATE / "codebook.yaml"))
    assert design.schema_version == 2 and design.grouping.variable == "group"
    for table in TABLES:
        header = (TEMPLATE / f"{table}.csv").read_text(encoding="utf-8")
        expected = [f["name"] for f in table_schema(table, design)["fields"]]
        assert header == ",".join(expected) + "\n"
    readme = (TEMPLATE / "README.md").read_text(encoding="utf-8")
    for command in ("python -m alliance validate", "python -m alliance report", "ALLIANCE_DATA"):
        assert command in readme


def test_an_unfilled_template_fails_only_for_its_empty_required_tables(tmp_path, capsys):
    copy = shutil.copytree(TEMPLATE, tmp_path / "mystudy")
    assert main(["validate", str(copy)]) == 1
    problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    required = [t for t in TABLES if t not in ("facets", "excerpts")]
    assert sorted(problems) == sorted(
        f"  {t}.csv: no-rows: the table has a header but no data rows" for t in required
    )


def test_a_filled_template_validates(tmp_path, capsys):
    copy = shutil.copytree(TEMPLATE, tmp_path / "mystudy")
    filled = write_example_study(tmp_path / "filled", variable="group", invented=False)
    for name in [*(f"{table}.csv" for table in TABLES), "codebook.yaml"]:
        shutil.copyfile(filled / name, copy / name)
    assert main(["validate", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "is a valid study" in out and "lists no files yet" in out
    refresh_datapackage(copy)
    assert main(["validate", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "lists no files yet" not in out and "provenance not declared" in out
    (copy / "clinics.csv").write_text("clinic_id,setting\nC1,x\nC2,y\n", encoding="utf-8")
    assert main(["validate", str(copy), "--fix-suggestions"]) == 1
    assert "refresh_datapackage(" in capsys.readouterr().out


# -- refusals are one line with exit code 2, never a traceback (issue #15) -------------------


def _refused(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--scale", "0"), "scale must be a positive integer, got 0"),
        (("--seed", "-5"), "seed must be a non-negative integer, got -5"),
    ],
)
def test_synth_refuses_bad_arguments_in_one_line(tmp_path, args, message):
    stderr = _refused(_run("synth", "--out", str(tmp_path / "s"), *args))
    assert stderr.strip() == f"error: {message}"


def test_synth_refuses_a_folder_with_other_files_in_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("real data\n")
    stderr = _refused(_run("synth", "--out", str(tmp_path)))
    assert stderr.count("\n") == 1 and "notes.txt" in stderr and "--force" in stderr


def test_synth_refuses_a_broken_datapackage_in_the_out_folder(generated, tmp_path):
    out = shutil.copytree(generated, tmp_path / "copy")
    (out / "datapackage.json").write_bytes(b"[" * 100_000)
    stderr = _refused(_run("synth", "--out", str(out)))
    assert "datapackage.json (not a data package" in stderr


def test_synth_over_an_edited_study_names_the_first_changed_file_and_keeps_it(generated, tmp_path):
    out = shutil.copytree(generated, tmp_path / "edited")
    ratings = out / "ratings.csv"
    edited = ratings.read_text(encoding="utf-8") + "S001,client,R9,trust,1\n"
    ratings.write_text(edited, encoding="utf-8")
    stderr = _refused(_run("synth", "--out", str(out)))
    assert "first change ratings.csv (edited after it was generated" in stderr
    assert "--force" in stderr
    assert ratings.read_text(encoding="utf-8") == edited, "nothing may be lost"
    forced = _run("synth", "--out", str(out), "--seed", "7", "--force")
    assert forced.returncode == 0, forced.stderr
    assert ratings.read_bytes() == (generated / "ratings.csv").read_bytes()


def test_synth_rewrites_an_untouched_generated_study(generated, tmp_path):
    out = shutil.copytree(generated, tmp_path / "again")
    result = _run("synth", "--out", str(out), "--seed", "7")
    assert result.returncode == 0, result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = _run("--debug", "synth", "--out", str(tmp_path / "s"), "--scale", "0")
    assert result.returncode == 1 and "Traceback" in result.stderr
    result = _run("synth", "--out", str(tmp_path / "s"), "--scale", "0", "--debug")
    assert "Traceback" in result.stderr


def test_control_characters_in_echoed_values_are_escaped(tmp_path):
    folder = tmp_path / "evil\x1b[2Jname"
    result = _run("validate", str(folder))
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "evil\\x1b[2Jname" in result.stdout
    (tmp_path / "file\x07").write_text("x")
    stderr = _refused(_run("synth", "--out", str(tmp_path / "file\x07")))
    assert "\x07" not in stderr and "file\\x07" in stderr


def test_every_command_catches_its_errors(monkeypatch, capsys, tmp_path):
    from alliance.exchange import report

    def unreadable(folder):
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(report, "print_report", unreadable)
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: [Errno 13] Permission denied")
