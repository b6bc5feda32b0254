"""REFI-QDA projects (.qdpx): export valid against Project.xsd, a lossless round trip of the
reliability and dyad tables, imports of projects shaped as other programs write them, and
hostile archives refused without writing anything outside the output folder."""

from __future__ import annotations

import re
import shutil
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xmlschema
import yaml
from sklearn.metrics import cohen_kappa_score
from test_cli import _run

from alliance.data.codebook import THEMES, facet_table, load_codebook
from alliance.data.dataset import coding_coverage, load_study
from alliance.data.examples import write_example_study
from alliance.data.schema import TABLES, write_datapackage
from alliance.exchange import qdpx
from alliance.exchange.qdpx import (
    QdpxError,
    draft_mapping,
    export_qdpx,
    import_qdpx,
    read_qdpx,
    segment_agreement,
)
from alliance.exchange.refi import import_codebook
from alliance.study.dyads import compare_dyad_types, facet_indicators, informant_congruence
from alliance.study.reliability import informant_agreement, theme_agreement

ROOT = Path(__file__).resolve().parents[1]
XSD = Path(__file__).with_name("refi") / "Project.xsd"
SHARED_XSD = ROOT.parent / "shared" / "refi-qda" / "Project.xsd"
if not SHARED_XSD.is_file():
    SHARED_XSD = Path("/work/shared/refi-qda/Project.xsd")
LABELS = {theme["id"]: theme["label"] for theme in load_codebook()["themes"]}
# The ids another program's codes get: their names, lower case, other characters as "_".
THEME_IDS = {t: re.sub(r"[^0-9a-z]+", "_", LABELS[t].title().lower()).strip("_") for t in THEMES}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    return export_qdpx(ROOT / "data", tmp_path_factory.mktemp("qdpx") / "alliance.qdpx")


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory, exported) -> Path:
    work = tmp_path_factory.mktemp("round")
    (work / "map.yaml").write_text(draft_mapping(read_qdpx(exported)), encoding="utf-8")
    import_qdpx(exported, work / "map.yaml", work / "study", segments=True)
    return work / "study"


# -- export ----------------------------------------------------------------------------------


def test_the_schema_copy_is_the_shared_schema_plus_its_provenance_note():
    text = XSD.read_text(encoding="utf-8")
    assert "Provenance" in text and "MIT" in text and "urn:QDA-XML:project:1.0" in text
    if not SHARED_XSD.is_file():
        pytest.skip("shared/refi-qda is not available here")
    without_note = re.sub(r"<!--\s*Provenance.*?-->\n", "", text, count=1, flags=re.S)
    assert without_note == SHARED_XSD.read_text(encoding="utf-8")


def test_export_is_valid_against_the_project_schema(exported):
    with zipfile.ZipFile(exported) as archive:
        xml = archive.read("project.qde")
        members = archive.namelist()
    xmlschema.XMLSchema(XSD).validate(xml.decode("utf-8"))
    assert members[0] == "project.qde" and len(members) == 1 + 110
    assert all(name.startswith("sources/") for name in members[1:])


def test_export_is_deterministic_and_refuses_to_overwrite(tmp_path, exported):
    again = export_qdpx(ROOT / "data", tmp_path / "again.qdpx")
    assert again.read_bytes() == exported.read_bytes()
    with pytest.raises(QdpxError, match="exists"):
        export_qdpx(ROOT / "data", again)


def test_export_labels_the_sources_fictional_and_codes_whole_documents(exported):
    project = read_qdpx(exported)
    assert "SYNTHETIC DATA" in project.description and "fictional" in project.description
    assert all(text.startswith("FICTIONAL EXCERPTS") for text in project.texts.values())
    study = load_study(ROOT / "data")
    for row in study.excerpts.head(20).itertuples():
        guid = project.documents.set_index("name").at[
            f"{row.session_id} {row.informant} interview", "guid"
        ]
        assert row.text in project.texts[guid]
    lengths = project.documents.set_index("guid")["characters"]
    # one whole-document coding per rater (and the consensus) per present theme; the
    # consensus also codes each facet on the whole document and each excerpt where it stands
    ends = lengths[project.segments["document"]].to_numpy()
    whole = (project.segments["start"] == 0) & (project.segments["end"] == ends)
    coded = [study.ratings["present"].sum(), study.consensus["present"].sum(), len(study.facets)]
    assert whole.sum() == sum(coded)
    assert (~whole).sum() == len(study.excerpts)


# -- round trip ------------------------------------------------------------------------------


def test_round_trip_gives_identical_reliability_and_dyad_tables(round_trip):
    before, after = load_study(ROOT / "data"), load_study(round_trip)
    for table in TABLES:
        key = list(getattr(before, table).columns[:-1])
        left = getattr(before, table).sort_values(key, ignore_index=True)
        right = getattr(after, table).sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=False)
    pd.testing.assert_frame_equal(
        informant_agreement(before.ratings), informant_agreement(after.ratings)
    )
    pd.testing.assert_frame_equal(theme_agreement(before.ratings), theme_agreement(after.ratings))
    pd.testing.assert_frame_equal(
        compare_dyad_types(before.consensus, before.dyads),
        compare_dyad_types(after.consensus, after.dyads),
    )
    pd.testing.assert_frame_equal(
        informant_congruence(before.consensus, before.dyads),
        informant_congruence(after.consensus, after.dyads),
    )
    definitions = facet_table(before.codebook)
    pd.testing.assert_frame_equal(
        facet_indicators(before.facets, before.dyads, definitions),
        facet_indicators(after.facets, after.dyads, definitions),
    )
    assert after.synthetic["seed"] == before.synthetic["seed"]
    assert after.codebook == before.codebook


def test_whole_document_segments_agree_exactly_when_presence_agrees(round_trip):
    segments = pd.read_csv(round_trip / "qdpx_segment_agreement.csv")
    ratings = load_study(round_trip).ratings
    wide = ratings.pivot_table(
        index=["session_id", "informant", "theme"], columns="rater", values="present"
    ).reset_index()
    for row in segments.itertuples():
        units = wide[wide["theme"] == row.theme]
        a, b = units[row.rater_a], units[row.rater_b]
        assert row.segments_a == a.sum() and row.segments_b == b.sum()
        assert row.agreements == 2 * ((a == 1) & (b == 1)).sum()


# -- segment agreement -----------------------------------------------------------------------


def test_character_kappa_matches_sklearn_and_segments_match_by_overlap():
    rng = np.random.default_rng(3)
    rows = []
    for document in ("D1", "D2", "D3"):
        for rater in ("R1", "R2"):
            for _ in range(4):
                start = int(rng.integers(0, 180))
                rows.append(
                    (document, rater, "trust", start, start + int(rng.integers(1, 40)), 220)
                )
    segments = pd.DataFrame(
        rows, columns=["document", "rater", "theme", "start", "end", "characters"]
    )
    row = segment_agreement(segments, threshold=0.5).iloc[0]
    marks = {r: [] for r in ("R1", "R2")}
    for document in ("D1", "D2", "D3"):
        for rater in marks:
            coded = np.zeros(220, dtype=int)
            for s in segments[
                (segments["document"] == document) & (segments["rater"] == rater)
            ].itertuples():
                coded[s.start : s.end] = 1
            marks[rater].append(coded)
    a, b = np.concatenate(marks["R1"]), np.concatenate(marks["R2"])
    assert row["char_kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert row["char_agreement"] == pytest.approx(np.mean(a == b))
    assert row["chars_both"] == np.sum((a == 1) & (b == 1))


@pytest.mark.parametrize(("threshold", "agreements"), [(0.9, 0), (0.8, 2), (0.5, 2)])
def test_segments_match_when_their_overlap_reaches_the_threshold(threshold, agreements):
    # 10..50 and 18..50 share 32 of the 40 characters either covers: 0.8
    segments = pd.DataFrame(
        {
            "document": "D",
            "rater": ["R1", "R2"],
            "theme": "anger",
            "start": [10, 18],
            "end": [50, 50],
            "characters": 60,
        }
    )
    row = segment_agreement(segments, threshold=threshold).iloc[0]
    assert row["agreements"] == agreements and row["threshold"] == threshold


# -- projects as other programs write them ---------------------------------------------------

THEME_CODES = {theme: str(uuid.uuid4()).upper() for theme in THEMES}
OTHER_CODE = str(uuid.uuid4())
USERS = {"Maya": str(uuid.uuid4()), "Daniel": str(uuid.uuid4()), "Final": str(uuid.uuid4())}
DYADS = ["Dyad01", "Dyad02", "Dyad03", "Dyad04"]


def _codings(dyads: list[str], seed: int) -> list[tuple[str, str, str, int, int]]:
    """(document name, user, theme or 'other', start, end) segments."""
    rng = np.random.default_rng(seed)
    found = []
    for dyad in dyads:
        for informant in ("client", "therapist"):
            for user in USERS:
                themes = rng.choice(list(THEMES) + ["other"], size=3, replace=False)
                for theme in themes:
                    start = int(rng.integers(0, 60))
                    found.append((f"{dyad} {informant}", user, str(theme), start, start + 20))
    return found


def _project_xml(style: str, codings, documents, *, cases: bool = True) -> str:
    """A project.qde in the shape of one program (namespaces, order, nesting, optional parts)."""
    ns, p = {
        "maxqda": ('xmlns="urn:QDA-XML:project:1.0"', ""),
        "nvivo": ('xmlns:qda="urn:QDA-XML:project:1.0"', "qda:"),
        "atlas": (
            'xmlns="urn:QDA-XML:project:1:0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
            "",
        ),
        "qualcoder": ("", ""),
    }[style]
    guid = lambda: str(uuid.uuid4()) if style != "nvivo" else "{" + str(uuid.uuid4()).upper() + "}"  # noqa: E731
    users = "".join(
        f'<{p}User name="{name}" guid="{g}"/>'
        if style == "maxqda"
        else f'<{p}User guid="{g}" name="{name}"/>'
        for name, g in USERS.items()
    )
    codes = "".join(
        f'<{p}Code guid="{g}" name="{LABELS[theme].title()}" isCodable="true" color="#aabbcc">'
        + (
            f"<{p}Description>Our definition of {theme}.</{p}Description>"
            if style != "qualcoder"
            else ""
        )
        + f"</{p}Code>"
        for theme, g in THEME_CODES.items()
    )
    if style == "atlas":  # a code group above the codes
        codes = f'<Code guid="{guid()}" name="Alliance" isCodable="false">{codes}</Code>'
    codes += f'<{p}Code name="Other" isCodable="true" guid="{OTHER_CODE}"/>'
    variables = (
        f'<{p}Variables><{p}Variable guid="{VARS["role"]}" name="role" typeOfVariable="Text"/>'
        f'<{p}Variable guid="{VARS["Ethnicity"]}" name="Ethnicity" typeOfVariable="Text"/>'
        f'<{p}Variable guid="{VARS["clinic"]}" name="clinic" typeOfVariable="Text"/>'
        f'<{p}Variable guid="{VARS["setting"]}" name="setting" typeOfVariable="Text"/>'
        f'<{p}Variable guid="{VARS["favourite colour"]}" name="favourite colour" '
        'typeOfVariable="Text"/>'
        f"</{p}Variables>"
    )
    sources = []
    for name, (doc_guid, text) in documents.items():
        selections = []
        for document, user, theme, start, end in codings:
            if document != name:
                continue
            target = OTHER_CODE if theme == "other" else THEME_CODES[theme]
            coding_user = "" if style == "atlas" else f' creatingUser="{USERS[user]}"'
            selection_user = (
                f' creatingUser="{USERS[user]}"' if style in ("atlas", "maxqda") else ""
            )
            selections.append(
                f'<{p}PlainTextSelection guid="{guid()}" startPosition="{start}" '
                f'endPosition="{end}"'
                f'{selection_user} creationDateTime="2024-05-01T10:00:00Z">'
                + (f"<{p}Description>memo</{p}Description>" if style == "nvivo" else "")
                + f'<{p}Coding guid="{guid()}"{coding_user}><{p}CodeRef targetGUID="{target}"/>'
                f"</{p}Coding></{p}PlainTextSelection>"
            )
        if style == "qualcoder":  # text inline instead of in sources/
            body = f"<PlainTextContent>{text}</PlainTextContent>"
            path = ""
        else:
            body, path = "", f' plainTextPath="internal://{doc_guid}.txt"'
        sources.append(
            f'<{p}TextSource name="{name}.txt" guid="{doc_guid}"{path}>{body}{"".join(selections)}'
            f"</{p}TextSource>"
        )
    case_xml = ""
    if cases:
        parts = []
        for dyad in DYADS:
            for role, ethnicity in (
                ("client", "Mizrahi" if dyad < "Dyad03" else "Ashkenazi"),
                ("therapist", "Ashkenazi"),
            ):
                values = [("role", role), ("Ethnicity", ethnicity), ("favourite colour", "blue")]
                if role == "therapist":
                    values += [("clinic", "C1"), ("setting", "community")]
                value_xml = "".join(
                    f'<{p}VariableValue><{p}VariableRef targetGUID="{VARS[v]}"/><{p}TextValue>{x}'
                    f"</{p}TextValue></{p}VariableValue>"
                    for v, x in values
                )
                refs = "".join(
                    f'<{p}SourceRef targetGUID="{documents[f"{dyad} {i}"][0]}"/>'
                    for i in ("client", "therapist")
                )
                parts.append(
                    f'<{p}Case guid="{guid()}" name="{dyad}_{role[0].upper()}">'
                    f"{value_xml}{refs}</{p}Case>"
                )
        case_xml = f"<{p}Cases>{''.join(parts)}</{p}Cases>"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<{p}Project {ns} name="Thesis" origin="{style}">'
        f"<{p}Users>{users}</{p}Users><{p}CodeBook><{p}Codes>{codes}</{p}Codes></{p}CodeBook>"
        f"{variables}{case_xml}<{p}Sources>{''.join(sources)}</{p}Sources>"
        f"<{p}Description>A PhD project</{p}Description></{p}Project>"
    )


VARS = {
    name: str(uuid.uuid4())
    for name in ("role", "Ethnicity", "clinic", "setting", "favourite colour")
}


def _documents(dyads: list[str]) -> dict[str, tuple[str, str]]:
    return {
        f"{dyad} {informant}": (str(uuid.uuid4()), f"Interview {dyad} with the {informant}. " * 4)
        for dyad in dyads
        for informant in ("client", "therapist")
    }


def _write_qdpx(path: Path, xml: str, documents, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml.encode("utf-8"))
        for guid, text in documents.values():
            archive.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def _expected_ratings(codings, raters: dict[str, str]) -> pd.DataFrame:
    rows = []
    for dyad in DYADS:
        for informant in ("client", "therapist"):
            for user, rater in raters.items():
                for theme in THEMES:
                    coded = any(
                        d == f"{dyad} {informant}" and u == user and t == theme
                        for d, u, t, _, _ in codings
                    )
                    rows.append((dyad, informant, rater, THEME_IDS[theme], int(coded)))
    return pd.DataFrame(rows, columns=["session_id", "informant", "rater", "theme", "present"])


def _edit(mapping_text: str, **changes) -> str:
    mapping = yaml.safe_load(mapping_text)
    for key, value in changes.items():
        mapping[key] = value
    return yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True)


@pytest.mark.parametrize("style", ["maxqda", "nvivo", "atlas", "qualcoder"])
def test_projects_shaped_as_other_programs_write_them_import(tmp_path, style):
    documents = _documents(DYADS)
    codings = _codings(DYADS, seed=len(style))
    path = _write_qdpx(tmp_path / "thesis.qdpx", _project_xml(style, codings, documents), documents)
    project = read_qdpx(path)
    assert sorted(project.users["name"]) == ["Daniel", "Final", "Maya"]
    assert len(project.segments) == len(codings)
    draft = yaml.safe_load(draft_mapping(project))
    assert draft["consensus"] == "Final" and draft["users"] == {
        "Maya": "Maya",
        "Daniel": "Daniel",
        "Final": None,
    }
    codes = {k.rpartition(" > ")[2]: v for k, v in draft["codes"].items() if k != "Alliance"}
    assert codes == {LABELS[t].title(): THEME_IDS[t] for t in THEMES} | {"Other": "other"}
    assert draft["documents"]["Dyad01 client.txt"] == {"session": "Dyad01", "informant": "client"}
    assert draft["sessions"]["Dyad03"] == {"client": "Dyad03_C", "therapist": "Dyad03_T"}
    assert draft["clients"]["Dyad01_C"]["ethnicity"] == "Mizrahi"
    assert draft["clinics"] == {"C1": {"setting": "community"}}
    groups = {"rule": "match", "variable": "ethnicity", "values": ["Ashkenazi", "Mizrahi"]}
    assert draft["study"]["groups"] == groups  # both roles carry it: same or different
    draft["codes"] = {k: None if k.endswith("Other") else v for k, v in draft["codes"].items()}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(draft | {"design": "full"}))
    result = import_qdpx(path, tmp_path / "map.yaml", tmp_path / "study", segments=True)
    study = load_study(tmp_path / "study")
    assert [t["label"] for t in study.codebook["themes"]] == [LABELS[t].title() for t in THEMES]
    assert study.design.grouping.labels == ("concordant", "discordant")
    expected = _expected_ratings(codings, {"Maya": "Maya", "Daniel": "Daniel"})
    got = study.ratings.sort_values(
        ["session_id", "informant", "rater", "theme"], ignore_index=True
    )
    expected = expected.sort_values(
        ["session_id", "informant", "rater", "theme"], ignore_index=True
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    report = "\n".join(result.report)
    assert re.search(r"left out \(mapped to null\): [12] codes with \d+ codings: .*'Other'", report)
    assert study.synthetic is None
    assert set(result.segments["rater_a"]) == {"Daniel"}


def test_case_variables_the_schema_cannot_hold_are_named_in_the_draft(tmp_path):
    documents = _documents(DYADS)
    xml = _project_xml("maxqda", _codings(DYADS, 1), documents)
    draft = draft_mapping(read_qdpx(_write_qdpx(tmp_path / "t.qdpx", xml, documents)))
    assert "case variables the study folder does not carry: favourite_colour" in draft


def _student(tmp_path: Path, codings, *, cases: bool = True, **changes) -> tuple[Path, Path]:
    documents = _documents(DYADS)
    path = _write_qdpx(
        tmp_path / "thesis.qdpx", _project_xml("maxqda", codings, documents, cases=cases), documents
    )
    text = draft_mapping(read_qdpx(path))
    (tmp_path / "map.yaml").write_text(_edit(text, **changes) if changes else text)
    return path, tmp_path / "map.yaml"


def test_a_double_coded_subsample_gets_ratings_only_where_coded_never_filled_in(tmp_path):
    codings = [c for c in _codings(DYADS, 5) if c[1] != "Daniel" or c[0].startswith("Dyad01")]
    path, mapping = _student(tmp_path, codings)
    assert "design: subsample" in mapping.read_text()
    mapping.write_text(mapping.read_text().replace('"Other": "other"', '"Other": null'))
    result = import_qdpx(path, mapping, tmp_path / "out", segments=True)
    # Segment agreement compares the two coders on the documents both coded (Dyad01's two).
    cells = result.segments[["chars_both", "chars_a_only", "chars_b_only", "chars_neither"]]
    both = sum(len(f"Interview Dyad01 with the {i}. ") * 4 for i in ("client", "therapist"))
    assert set(cells.sum(axis=1)) == {both}
    ratings = load_study(tmp_path / "out").ratings
    expected = _expected_ratings(codings, {"Maya": "Maya", "Daniel": "Daniel"})
    expected = expected[(expected["rater"] == "Maya") | (expected["session_id"] == "Dyad01")]
    key = ["session_id", "informant", "rater", "theme"]
    pd.testing.assert_frame_equal(
        ratings.sort_values(key, ignore_index=True),
        expected.sort_values(key, ignore_index=True),
        check_dtype=False,
    )
    report = "\n".join(result.report)
    assert "6 interview(s) coded by 1 rater(s), 2 interview(s) coded by 2 rater(s)" in report
    assert "Daniel coded 2 of 8 interviews" in report
    mapping.write_text(_edit(mapping.read_text(), design="neither"))
    with pytest.raises(QdpxError, match="design must be 'full' or 'subsample'"):
        import_qdpx(path, mapping, tmp_path / "again")
    assert not (tmp_path / "again").exists()


def test_a_theme_without_a_code_and_mapping_typos_are_listed_together(tmp_path):
    path, mapping = _student(tmp_path, _codings(DYADS, 2), design="full")
    edited = yaml.safe_load(mapping.read_text())
    edited["codes"]["Trust"] = "-trust"
    edited["users"]["Mayaa"] = edited["users"].pop("Maya")
    mapping.write_text(yaml.safe_dump(edited))
    with pytest.raises(QdpxError) as error:
        import_qdpx(path, mapping, tmp_path / "out")
    message = str(error.value)
    assert "theme ids must be letters, digits" in message and "'-trust'" in message
    assert "not in the project (a typo?): 'Mayaa'" in message
    assert "missing from the mapping" in message and "'Maya'" in message


def test_missing_participants_are_refused_with_the_sessions_named(tmp_path):
    path, mapping = _student(tmp_path, _codings(DYADS, 2), cases=False, design="full")
    with pytest.raises(QdpxError, match=r"sessions without a client and a therapist.*Dyad01"):
        import_qdpx(path, mapping, tmp_path / "out")


def test_a_majority_consensus_of_two_raters_refuses_ties(tmp_path):
    path, mapping = _student(tmp_path, _codings(DYADS, 2), design="full", consensus="majority")
    with pytest.raises(QdpxError, match="majority-vote ties"):
        import_qdpx(path, mapping, tmp_path / "out")


def test_a_project_without_codings_imports_codebook_and_documents(tmp_path):
    path, mapping = _student(tmp_path, [])
    assert "no codings: there is nothing to compute agreement on" in mapping.read_text()
    result = import_qdpx(path, mapping, tmp_path / "out")
    assert "nothing to compute agreement on" in result.report[0]
    assert len(list((tmp_path / "out" / "documents").iterdir())) == 8
    codes = pd.read_csv(tmp_path / "out" / "qdpx_codes.csv")
    assert len(codes) == 9 and not (tmp_path / "out" / "ratings.csv").exists()


# -- hostile and malformed archives ----------------------------------------------------------


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda a: a.writestr("../../evil.txt", b"x"), "path traversal"),
        (lambda a: a.writestr("/etc/evil", b"x"), "path traversal"),
        (lambda a: a.writestr("sources\\..\\evil", b"x"), "path traversal"),
        (lambda a: a.writestr("other.xml", b"<Project/>"), "no project.qde"),
        (
            lambda a: a.writestr("project.qde", b"\0" * (8 * 2**20)),
            "expands .* times its compressed size",
        ),
        (
            lambda a: a.writestr(
                "project.qde",
                b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<Project name="x">&x;</Project>',
            ),
            "DOCTYPE",
        ),
        (
            lambda a: a.writestr(
                "project.qde",
                b'<!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
                b"<Project>&b;</Project>",
            ),
            "DOCTYPE",
        ),
        (lambda a: a.writestr("project.qde", b"<Project><Users>"), "not a well-formed XML"),
        (lambda a: a.writestr("project.qde", b"<CodeBook/>"), "not <Project>"),
        (
            lambda a: a.writestr(
                "project.qde",
                b'<Project><Sources><TextSource guid="a" plainTextPath="internal://../../x.txt"/>'
                b"</Sources></Project>",
            ),
            "points outside sources",
        ),
    ],
)
def test_hostile_archives_are_refused_and_nothing_is_written(tmp_path, build, message):
    with zipfile.ZipFile(tmp_path / "bad.qdpx", "w", zipfile.ZIP_DEFLATED) as archive:
        build(archive)
    (tmp_path / "map.yaml").write_text("design: full\n")
    before = _listing(tmp_path)
    with pytest.raises(QdpxError, match=message):
        import_qdpx(tmp_path / "bad.qdpx", tmp_path / "map.yaml", tmp_path / "out")
    assert _listing(tmp_path) == before


def test_size_limits_count_declared_and_actual_bytes(tmp_path, exported, monkeypatch):
    monkeypatch.setitem(qdpx.LIMITS, "member_bytes", 1000)
    with pytest.raises(QdpxError, match="over the limit of 1000"):
        read_qdpx(exported)
    monkeypatch.setitem(qdpx.LIMITS, "member_bytes", 64 * 2**20)
    monkeypatch.setitem(qdpx.LIMITS, "total_bytes", 400_000)
    with pytest.raises(QdpxError, match="zip bomb"):
        read_qdpx(exported)
    # project.qde (the first member) declares half the bytes it holds, in both headers
    monkeypatch.setitem(qdpx.LIMITS, "total_bytes", 256 * 2**20)
    data = bytearray(exported.read_bytes())
    with zipfile.ZipFile(exported) as archive:
        half = (archive.getinfo("project.qde").file_size // 2).to_bytes(4, "little")
    central = data.index(b"PK\x01\x02")
    data[22:26], data[central + 24 : central + 28] = half, half
    (tmp_path / "lying.qdpx").write_bytes(bytes(data))
    with pytest.raises(QdpxError, match=r"project.qde: (cannot be decompressed|holds)"):
        read_qdpx(tmp_path / "lying.qdpx")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a zip archive"),
        (b'<?xml version="1.0"?><CodeBook/>', "an XML file"),
        (b"name,theme\n", "not a zip archive"),
    ],
)
def test_files_that_are_not_projects_are_named(tmp_path, content, message):
    (tmp_path / "x.qdpx").write_bytes(content)
    with pytest.raises(QdpxError, match=message):
        read_qdpx(tmp_path / "x.qdpx")


def test_the_codebook_importer_names_a_project(exported):
    with pytest.raises(ValueError, match=r"zip archive, such as a REFI-QDA project \(.qdpx\)"):
        import_codebook(exported)


def test_output_folder_is_not_overwritten(tmp_path, exported):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    (tmp_path / "map.yaml").write_text(draft_mapping(read_qdpx(exported)))
    with pytest.raises(QdpxError, match="not empty"):
        import_qdpx(exported, tmp_path / "map.yaml", tmp_path / "out")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


# -- codebooks of other programs -------------------------------------------------------------


@pytest.mark.parametrize(
    "root",
    [
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA 2022">',
        '<qdc:CodeBook origin="NVivo" xmlns:qdc="urn:QDA-XML:codebook:1:0">',
    ],
)
def test_codebooks_of_other_programs_import_with_ids_from_names(tmp_path, root):
    prefix = "qdc:" if root.startswith("<qdc:") else ""
    body = (
        f'<{prefix}Codes><{prefix}Code guid="{uuid.uuid4()}" name="Feeling understood" '
        'isCodable="true">'
        f"<{prefix}Description>Client says they were understood.</{prefix}Description>"
        f'<{prefix}Code isCodable="true" name="Other" guid="{uuid.uuid4()}"/></{prefix}Code>'
        f'<{prefix}Code name="Anger &amp; hostility" guid="{{{str(uuid.uuid4()).upper()}}}" '
        'isCodable="true">'
        f'<{prefix}Code guid="{uuid.uuid4()}" name="Other" isCodable="true"/></{prefix}Code>'
        f"</{prefix}Codes></{prefix}CodeBook>"
    )
    path = tmp_path / "other.qdc"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + root + body, encoding="utf-8")
    codebook = import_codebook(path)
    assert [(c["id"], c["parent"]) for c in codebook["codes"]] == [
        ("feeling_understood", None),
        ("feeling_understood.other", "feeling_understood"),
        ("anger_hostility", None),
        ("anger_hostility.other", "anger_hostility"),
    ]
    assert codebook["codes"][0]["definition"] == "Client says they were understood."


def test_codes_whose_ids_collide_are_reported(tmp_path):
    path = tmp_path / "dup.qdc"
    path.write_text(
        '<CodeBook origin="x"><Codes><Code guid="1" name="Trust!" isCodable="true"/>'
        '<Code guid="2" name="trust" isCodable="true"/></Codes></CodeBook>'
    )
    with pytest.raises(
        ValueError, match=r"same id \['trust'\].*Code\[1\] 'Trust!'.*Code\[2\] 'trust'"
    ):
        import_codebook(path)


# -- command line ----------------------------------------------------------------------------


def test_the_command_line_round_trip(tmp_path):
    export = _run("export-qdpx", str(ROOT / "data"), "--out", "a.qdpx", cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    draft = _run("import-qdpx", "a.qdpx", "--draft-mapping", "map.yaml", cwd=tmp_path)
    assert draft.returncode == 0 and "edit it" in draft.stdout
    again = _run("import-qdpx", "a.qdpx", "--draft-mapping", "map.yaml", cwd=tmp_path)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
    done = _run("import-qdpx", "a.qdpx", "--mapping", "map.yaml", "--out", "study", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 raters (R1, R2, R3)" in done.stdout
    valid = _run("validate", "study", cwd=tmp_path)
    assert valid.returncode == 0 and "SYNTHETIC" in valid.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import-qdpx", "missing.qdpx", "--draft-mapping", "m.yaml"), "no such project file"),
        (("import-qdpx", "bad.qdpx", "--draft-mapping", "m.yaml"), "not a zip archive"),
        (("import-qdpx", "bad.qdpx", "--mapping", "m.yaml"), "--mapping needs --out"),
        (("export-qdpx", "nowhere", "--out", "x.qdpx"), "not valid"),
    ],
)
def test_user_errors_exit_2_without_a_traceback(tmp_path, args, message):
    (tmp_path / "bad.qdpx").write_text("not a zip")
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_values_the_schema_refuses_are_reported_and_nothing_is_kept(tmp_path):
    path, mapping = _student(tmp_path, _codings(DYADS, 2), design="full")
    edited = yaml.safe_load(mapping.read_text())
    edited["clients"]["Dyad01_C"].update(ethnicity="Yemeni", age=15)
    edited["clinics"]["C1"]["setting"] = "university"
    edited["study"].update(ranges={"clients.age": [18, 99]}, settings=["community"])
    mapping.write_text(yaml.safe_dump(edited))
    with pytest.raises(QdpxError) as error:
        import_qdpx(path, mapping, tmp_path / "out")
    message = str(error.value)
    assert "does not make a valid study folder" in message and "nothing kept" in message
    for value in ("'Yemeni'", "'15'", "'university'"):
        assert value in message
    assert not (tmp_path / "out").exists()


def test_codings_without_a_known_user_or_code_are_reported_and_whole_source_codings_count(
    tmp_path,
):
    documents = _documents(DYADS)
    codings = _codings(DYADS, 4)
    assert ("Dyad02 therapist", "Maya", "anger") not in {c[:3] for c in codings}
    xml = _project_xml("maxqda", codings, documents)
    doc = documents["Dyad02 therapist"][0]
    odd = (
        f'<Coding guid="{uuid.uuid4()}" creatingUser="{USERS["Maya"]}">'
        f'<CodeRef targetGUID="{THEME_CODES["anger"]}"/></Coding>'
        f'<Coding guid="{uuid.uuid4()}" creatingUser="{USERS["Maya"]}">'
        f'<CodeRef targetGUID="{uuid.uuid4()}"/></Coding>'
        f'<Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{THEME_CODES["trust"]}"/></Coding>'
    )
    xml = xml.replace(f'internal://{doc}.txt">', f'internal://{doc}.txt">{odd}', 1)
    path = _write_qdpx(tmp_path / "t.qdpx", xml, documents)
    text = _edit(draft_mapping(read_qdpx(path)), design="full")
    (tmp_path / "map.yaml").write_text(text)
    result = import_qdpx(path, tmp_path / "map.yaml", tmp_path / "out")
    report = "\n".join(result.report)
    assert "left out: 1 codings of codes that are not in the codebook" in report
    assert "left out: 1 codings by no user of the project" in report
    ratings = load_study(tmp_path / "out").ratings.set_index(
        ["session_id", "informant", "rater", "theme"]
    )["present"]
    assert ratings[("Dyad02", "therapist", "Maya", THEME_IDS["anger"])] == 1


def test_users_or_documents_sharing_a_guid_are_refused(tmp_path):
    documents = _documents(DYADS)
    xml = _project_xml("maxqda", _codings(DYADS, 4), documents)
    xml = xml.replace(USERS["Daniel"], USERS["Maya"])
    with pytest.raises(QdpxError, match="users share a guid"):
        read_qdpx(_write_qdpx(tmp_path / "t.qdpx", xml, documents))


def test_real_data_are_not_labelled_fictional_and_stay_real(tmp_path):
    folder = tmp_path / "real"
    shutil.copytree(ROOT / "data", folder)
    (folder / "README.md").unlink()
    write_datapackage(folder)  # no "alliance:synthetic": treated as real data
    path = export_qdpx(folder, tmp_path / "real.qdpx")
    project = read_qdpx(path)
    assert "SYNTHETIC" not in project.description
    assert not any("FICTIONAL" in text for text in project.texts.values())
    (tmp_path / "map.yaml").write_text(draft_mapping(project))
    import_qdpx(path, tmp_path / "map.yaml", tmp_path / "back")
    assert load_study(tmp_path / "back").synthetic is None


def test_an_archive_with_too_many_members_is_refused_unread(tmp_path, exported, monkeypatch):
    monkeypatch.setitem(qdpx.LIMITS, "members", 10)
    with pytest.raises(QdpxError, match="111 archive members, over the limit of 10"):
        read_qdpx(exported)


@pytest.mark.parametrize(
    "knobs",
    [
        {"rule": "client", "variable": "site", "groups": ("north", "south", "east")},
        {"informants": ("therapist",), "raters": ("Dana", "Eli", "R10"), "missing": 0.2},
    ],
)
def test_a_schema_2_study_round_trips_with_its_design_coverage_and_missing_ratings(tmp_path, knobs):
    original = load_study(write_example_study(tmp_path / "study", double_coded=0.5, **knobs))
    path = export_qdpx(original.path, tmp_path / "study.qdpx")
    (tmp_path / "map.yaml").write_text(draft_mapping(read_qdpx(path)), encoding="utf-8")
    back = load_study(import_qdpx(path, tmp_path / "map.yaml", tmp_path / "back").folder)
    assert back.design == original.design
    key = ["session_id", "informant", "rater", "theme"]
    for table in ("ratings", "consensus"):
        columns = [c for c in key if c in getattr(original, table)]
        pd.testing.assert_frame_equal(
            getattr(back, table).sort_values(columns, ignore_index=True),
            getattr(original, table).sort_values(columns, ignore_index=True),
        )
    empty = original.ratings["present"].isna().sum()
    assert back.ratings["present"].isna().sum() == empty and (empty > 0) == ("missing" in knobs)
    pd.testing.assert_frame_equal(coding_coverage(back), coding_coverage(original))
