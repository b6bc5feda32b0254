"""The issue's "Done when" path: a PhD student's REFI-QDA project, coded by two named coders
with a double-coded subsample, becomes a valid study folder with one command and one small
mapping file, and ``report`` prints the student's themes by their names.

The project is built here in the shapes other programs write (namespace prefixes, attribute
order, where the coding user is stated, optional elements), never by our own exporter.
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
import yaml
from test_cli import _run

from alliance.data.dataset import load_study
from alliance.exchange.qdpx import draft_mapping, read_qdpx
from alliance.exchange.report import report_tables

CODES = {  # the student's codebook: name -> description
    "Feeling heard": "The client says the therapist listened.",
    "Safe to speak": "The client describes the room as safe.",
    "Hope": "The client expects that therapy can help.",
    "Shared plan": "Client and therapist agreed on a focus.",
    "Doubt": "The client doubts the fit with the therapist.",
    "Rushed": "The client felt the intake was too quick.",
}
DYADS = [f"P{n:02d}" for n in range(1, 13)]
DOUBLE = DYADS[:4]  # the double-coded subsample
GROUPS = {dyad: "A" if n % 2 else "B" for n, dyad in enumerate(DYADS)}


def _guid(style: str) -> str:
    text = str(uuid.uuid4())
    return "{" + text.upper() + "}" if style == "nvivo" else text


def _codings(seed: int) -> list[tuple[str, str, str, int, int]]:
    """(dyad, user, code, start, end): Noa codes every interview, Amir and Final the subsample."""
    rng = np.random.default_rng(seed)
    found = []
    for dyad in DYADS:
        for user in ("Noa", "Amir", "Final") if dyad in DOUBLE else ("Noa",):
            for code in rng.choice(list(CODES), size=int(rng.integers(1, 4)), replace=False):
                start = int(rng.integers(0, 40))
                found.append((dyad, user, str(code), start, start + 15))
    return found


def _project(style: str, codings, texts) -> str:
    """A project.qde as ``style`` writes it: maxqda (default namespace, name first),
    nvivo (prefixed namespace, braced upper-case guids, memos), atlas (user on the selection
    only, a code folder above the codes)."""
    p = "qda:" if style == "nvivo" else ""
    ns = {
        "maxqda": 'xmlns="urn:QDA-XML:project:1.0"',
        "nvivo": 'xmlns:qda="urn:QDA-XML:project:1.0"',
        "atlas": 'origin="ATLAS.ti" xmlns="urn:QDA-XML:project:1.0"',
    }[style]
    users = {name: _guid(style) for name in ("Noa", "Amir", "Final")}
    codes = {name: _guid(style) for name in CODES}
    user_xml = "".join(
        f'<{p}User name="{n}" guid="{g}"/>'
        if style == "maxqda"
        else f'<{p}User guid="{g}" name="{n}"/>'
        for n, g in users.items()
    )
    code_xml = "".join(
        f'<{p}Code guid="{codes[n]}" name="{n}" isCodable="true">'
        f"<{p}Description>{d}</{p}Description></{p}Code>"
        for n, d in CODES.items()
    )
    if style == "atlas":
        code_xml = (
            f'<Code name="Alliance" guid="{_guid(style)}" isCodable="false">{code_xml}</Code>'
        )
    variables = {name: _guid(style) for name in ("role", "Group", "Gender")}
    variable_xml = "".join(
        f'<{p}Variable name="{n}" guid="{g}" typeOfVariable="Text"/>' for n, g in variables.items()
    )
    sources = []
    for dyad, (guid, _) in texts.items():
        parts = []
        for where, user, code, start, end in codings:
            if where != dyad:
                continue
            on_selection = f' creatingUser="{users[user]}"' if style != "nvivo" else ""
            on_coding = f' creatingUser="{users[user]}"' if style != "atlas" else ""
            memo = f"<{p}Description>memo</{p}Description>" if style == "nvivo" else ""
            parts.append(
                f'<{p}PlainTextSelection endPosition="{end}" startPosition="{start}" '
                f'guid="{_guid(style)}"{on_selection}>{memo}'
                f'<{p}Coding guid="{_guid(style)}"{on_coding}>'
                f'<{p}CodeRef targetGUID="{codes[code]}"/></{p}Coding></{p}PlainTextSelection>'
            )
        sources.append(
            f'<{p}TextSource guid="{guid}" name="{dyad} client interview.docx" '
            f'plainTextPath="internal://{guid}.txt">{"".join(parts)}</{p}TextSource>'
        )
    cases = []
    for dyad, (guid, _) in texts.items():
        for role, name in (("client", f"{dyad}-client"), ("therapist", f"{dyad}-therapist")):
            values = [("role", role)]
            if role == "client":
                values += [("Group", GROUPS[dyad]), ("Gender", "f" if dyad < "P07" else "m")]
            value_xml = "".join(
                f'<{p}VariableValue><{p}VariableRef targetGUID="{variables[v]}"/>'
                f"<{p}TextValue>{x}</{p}TextValue></{p}VariableValue>"
                for v, x in values
            )
            cases.append(
                f'<{p}Case name="{name}" guid="{_guid(style)}">{value_xml}'
                f'<{p}SourceRef targetGUID="{guid}"/></{p}Case>'
            )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<{p}Project {ns} name="Alliance thesis">'
        f"<{p}Users>{user_xml}</{p}Users>"
        f"<{p}CodeBook><{p}Codes>{code_xml}</{p}Codes></{p}CodeBook>"
        f"<{p}Variables>{variable_xml}</{p}Variables>"
        f"<{p}Cases>{''.join(cases)}</{p}Cases>"
        f"<{p}Sources>{''.join(sources)}</{p}Sources></{p}Project>"
    )


def _write(path: Path, style: str, codings) -> Path:
    texts = {d: (_guid("plain"), f"Interview {d}. " + "What the client said. " * 5) for d in DYADS}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", _project(style, codings, texts))
        for guid, text in texts.values():
            archive.writestr(f"sources/{guid}.txt", text)
    return path


def _expected(codings, user: str, dyads: list[str]) -> dict[tuple[str, str], int]:
    return {
        (dyad, code): int(any(c[:3] == (dyad, user, code) for c in codings))
        for dyad in dyads
        for code in CODES
    }


@pytest.mark.parametrize("style", ["maxqda", "nvivo", "atlas"])
def test_a_students_project_becomes_a_valid_study_folder_and_a_report(tmp_path, style):
    codings = _codings(seed=len(style))
    project = _write(tmp_path / "thesis.qdpx", style, codings)

    drafted = _run("import-qdpx", "thesis.qdpx", "--draft-mapping", "map.yaml", cwd=tmp_path)
    assert drafted.returncode == 0, drafted.stderr
    draft = yaml.safe_load((tmp_path / "map.yaml").read_text(encoding="utf-8"))
    assert draft["users"] == {"Noa": "Noa", "Amir": "Amir", "Final": None}
    assert draft["consensus"] == "Final" and draft["design"] == "subsample"
    assert draft["study"]["groups"] is None  # two candidate variables: the student chooses
    assert "FILL IN" in (tmp_path / "map.yaml").read_text(encoding="utf-8")
    # The student's one edit: which groups the study compares.
    draft["study"]["groups"] = {"rule": "client", "variable": "group", "values": ["A", "B"]}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(draft), encoding="utf-8")

    done = _run(
        "import-qdpx", "thesis.qdpx", "--mapping", "map.yaml", "--out", "study", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 interview(s) coded by 2 rater(s)" in done.stdout
    assert "8 single-coded interview(s)" in done.stdout

    study = load_study(tmp_path / "study")
    ids = {theme["label"]: theme["id"] for theme in study.codebook["themes"]}
    assert list(ids) == list(CODES)
    assert [t["definition"] for t in study.codebook["themes"]] == list(CODES.values())
    ratings = study.ratings.assign(label=study.ratings["theme"].map({v: k for k, v in ids.items()}))
    for user, dyads in (("Noa", DYADS), ("Amir", DOUBLE)):
        mine = ratings[ratings["rater"] == user]
        got = {(r.session_id, r.label): int(r.present) for r in mine.itertuples()}
        assert got == _expected(codings, user, dyads)  # Amir: no rows outside the subsample
    consensus = study.consensus.assign(
        label=study.consensus["theme"].map({v: k for k, v in ids.items()})
    )
    got = {(r.session_id, r.label): int(r.present) for r in consensus.itertuples()}
    expected = _expected(codings, "Final", DOUBLE) | _expected(codings, "Noa", DYADS[4:])
    assert got == expected
    assert "single-coded" in (tmp_path / "study" / "README.md").read_text(encoding="utf-8")
    assert sorted(study.dyads["dyad_type"].unique()) == ["A", "B"]

    # Reliability on the overlap only, as krippendorff computes it with the missing ratings.
    reliability = report_tables(study)["reliability"].set_index("coefficient")
    wide = study.ratings.pivot(index=["session_id", "theme"], columns="rater", values="present")
    alpha = krippendorff.alpha(wide.T.to_numpy(float), level_of_measurement="nominal")
    assert reliability.loc["krippendorff_alpha", "estimate"] == pytest.approx(alpha)
    assert reliability.loc["krippendorff_alpha", "n_units"] == len(DOUBLE) * len(CODES)

    validated = _run("validate", "study", cwd=tmp_path)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    report = _run("report", "study", cwd=tmp_path)
    assert report.returncode == 0, report.stdout + report.stderr
    for label in CODES:
        assert label in report.stdout
    assert not any(theme_id in report.stdout.split() for theme_id in ids.values())
    assert project.is_file()


def test_the_draft_names_the_projects_own_codes_and_users(tmp_path):
    codings = _codings(seed=1)
    project = read_qdpx(_write(tmp_path / "thesis.qdpx", "maxqda", codings))
    draft = yaml.safe_load(draft_mapping(project))
    assert draft["codes"] == {name: name.lower().replace(" ", "_") for name in CODES}
    assert set(draft["documents"]) == {f"{d} client interview.docx" for d in DYADS}
    assert draft["documents"]["P03 client interview.docx"] == {
        "session": "P03",
        "informant": "client",
    }
    assert draft["sessions"]["P03"] == {"client": "P03-client", "therapist": "P03-therapist"}
    assert draft["clients"]["P03-client"]["group"] == GROUPS["P03"]
    frame = pd.DataFrame(codings, columns=["dyad", "user", "code", "start", "end"])
    assert len(project.segments) == len(frame)
