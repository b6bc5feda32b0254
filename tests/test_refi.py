"""REFI-QDA codebook exchange: schema-valid, deterministic, lossless, and clear about bad files."""

from __future__ import annotations

import copy
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.data.codebook import THEMES, facet_parent_themes, load_codebook
from alliance.exchange.refi import NAMESPACE, export_codebook, import_codebook

ROOT = Path(__file__).resolve().parents[1]
XSD = Path(__file__).with_name("refi") / "Codebook.xsd"
SHARED_XSD = ROOT.parent / "shared" / "refi-qda" / "Codebook.xsd"
DOWNLOAD = ROOT / "chapters" / "downloads" / "alliance_codebook.qdc"
NS = {"q": NAMESPACE}


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(XSD)


@pytest.fixture
def exported(tmp_path):
    return export_codebook(tmp_path / "alliance.qdc")


def test_the_schema_copy_is_the_shared_schema_plus_its_provenance_note():
    text = XSD.read_text(encoding="utf-8")
    assert "Provenance" in text and "MIT licence" in text and "schema.qdasoftware.org" in text
    if not SHARED_XSD.is_file():
        pytest.skip("../shared/refi-qda is not available here")
    without_note = re.sub(r"<!--\s*Provenance.*?-->\n", "", text, count=1, flags=re.S)
    assert without_note == SHARED_XSD.read_text(encoding="utf-8")


def test_export_is_valid_against_the_refi_qda_schema(schema, exported):
    schema.validate(exported)
    assert ET.parse(exported).getroot().tag == f"{{{NAMESPACE}}}CodeBook"


def test_export_is_deterministic_and_the_book_links_a_fresh_copy(tmp_path, exported):
    again = export_codebook(tmp_path / "again.qdc")
    assert exported.read_bytes() == again.read_bytes()
    assert DOWNLOAD.read_bytes() == exported.read_bytes(), (
        "chapters/downloads/alliance_codebook.qdc is stale; regenerate it with "
        'python -c "from alliance.exchange.refi import export_codebook; '
        "export_codebook('chapters/downloads/alliance_codebook.qdc')\""
    )


def test_guids_are_unique_name_based_uuids(exported):
    root = ET.parse(exported).getroot()
    guids = [e.get("guid") for e in root.iter() if e.tag.endswith(("}Code", "}Set"))]
    assert len(guids) == len(set(guids))
    assert {uuid.UUID(g).version for g in guids} == {5}
    members = {m.get("guid") for m in root.iter(f"{{{NAMESPACE}}}MemberCode")}
    assert members <= set(guids)


def test_themes_carry_their_codebook_descriptions(exported):
    codebook = load_codebook()
    root = ET.parse(exported).getroot()
    themes = root.findall("q:Codes/q:Code", NS)
    assert [t.get("name") for t in themes] == [t["label"] for t in codebook["themes"]]
    for element, theme in zip(themes, codebook["themes"], strict=True):
        description = element.find("q:Description", NS).text
        for text in [theme["definition"], *theme["include"], *theme["exclude"], theme["example"]]:
            assert text in description


def test_facets_are_nested_under_every_theme_they_may_be_coded_under(exported):
    codebook = load_codebook()
    labels = {f["id"]: f["label"] for f in codebook["facets"]}
    theme_of = {t["label"]: t["id"] for t in codebook["themes"]}
    root = ET.parse(exported).getroot()
    nested = {
        (theme_of[theme.get("name")], child.get("name"))
        for theme in root.findall("q:Codes/q:Code", NS)
        for child in theme.findall("q:Code", NS)
    }
    allowed = facet_parent_themes(codebook)
    expected = {(row.theme, f"{labels[row.facet]} ({row.valence})") for row in allowed.itertuples()}
    assert nested == expected
    assert not root.findall("q:Codes/q:Code/q:Code/q:Code", NS)


def test_round_trip_loses_nothing(exported):
    assert import_codebook(exported) == load_codebook()


def _rewrite(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "root_tag",
    [
        # another tool's schemaLocation and namespace prefix
        '<qdc:CodeBook xmlns:qdc="urn:QDA-XML:codebook:1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="urn:QDA-XML:codebook:1:0 Codebook.xsd" origin="ATLAS.ti">',
        # a variant namespace spelling
        '<CodeBook xmlns="urn:QDA-XML:codebook:1:0" origin="QualCoder">',
        # no namespace at all
        '<CodeBook origin="hand edited">',
    ],
)
def test_import_matches_the_namespace_leniently(exported, root_tag):
    text = exported.read_text(encoding="utf-8")
    text = text.replace(f'<CodeBook xmlns="{NAMESPACE}" origin="alliance compendium">', root_tag)
    if root_tag.startswith("<qdc:"):
        text = re.sub(r"<(/?)(?=[A-Z])", r"<\1qdc:", text)
    exported.write_text(text, encoding="utf-8")
    assert import_codebook(exported) == load_codebook()


def test_import_accepts_braced_upper_case_guids_and_crlf(exported):
    text = exported.read_text(encoding="utf-8")
    text = re.sub(r'guid="([0-9a-f-]+)"', lambda m: f'guid="{{{m.group(1).upper()}}}"', text)
    exported.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert import_codebook(exported) == load_codebook()


def _drop_sets(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"\s*<Sets>.*</Sets>", "", text, flags=re.S), encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda p: p.write_text(""), r"not a well-formed XML file \(line 1"),
        (lambda p: p.write_text(p.read_text()[:500]), "not a well-formed XML file"),
        (
            lambda p: p.write_text('<Project xmlns="urn:QDA-XML:project:1.0"/>'),
            "root element is <Project>, not <CodeBook>",
        ),
        (
            lambda p: p.write_text('<CodeBook xmlns="urn:example:other"><Codes/></CodeBook>'),
            "namespace 'urn:example:other'",
        ),
        (lambda p: p.write_text(f'<CodeBook xmlns="{NAMESPACE}"/>'), "<Codes> element is missing"),
        (
            lambda p: _rewrite(p, 'name="feeling comfortable" ', ""),
            r"Codes/Code\[2\]: the required attribute 'name' is missing",
        ),
        (
            lambda p: _rewrite(p, "Id: theme:trust", "trust"),
            r"Codes/Code\[4\]: the description does not end with an 'Id: \.\.\.' line",
        ),
        (
            lambda p: _rewrite(p, "Id: facet:client_openness:positive:openness", "Id: facet:x"),
            r"Code\[3\]/Code\[1\]: expected 'Id: facet:<facet>:<valence>:openness'",
        ),
        (
            lambda p: _rewrite(p, "- Explicit statements", "Explicit statements"),
            "a rule under 'Code when' does not start with '- '",
        ),
        (_drop_sets, "the <Sets> element is missing"),
        (
            lambda p: _rewrite(p, '<MemberCode guid="', '<MemberCode guid="0'),
            r"Sets/Set\[1\]/MemberCode\[1\]: no code has guid",
        ),
    ],
)
def test_malformed_files_get_clear_errors(exported, edit, message):
    edit(exported)
    with pytest.raises(ValueError, match=message) as error:
        import_codebook(exported)
    assert str(exported) in str(error.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.qdc"):
        import_codebook(tmp_path / "nothere.qdc")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["themes"][2].update(definition="two\nlines"), r"themes\[2\].definition"),
        (lambda c: c.update(extra="x"), r"not representable \['extra'\]"),
        (lambda c: c["themes"][0].pop("label"), r"themes\[0\].*missing \['label'\]"),
        (
            lambda c: c["facets"][5]["parent_themes"].update(negative=["disengagement", "anger"]),
            r"facets\[5\].*codebook order",
        ),
        (lambda c: c["facets"][0]["examples"].update(neutral="x"), "valence"),
        (lambda c: c["themes"][1].update(label=3), "must be text"),
    ],
)
def test_export_refuses_what_would_not_survive_the_round_trip(tmp_path, change, message):
    codebook = copy.deepcopy(load_codebook())
    change(codebook)
    with pytest.raises(ValueError, match=message):
        export_codebook(tmp_path / "x.qdc", codebook)
    assert not (tmp_path / "x.qdc").exists()


line_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=0, max_size=40)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    definition=line_text,
    rules=st.lists(line_text, max_size=3),
    example=line_text,
    label=line_text,
    version=st.one_of(st.integers(0, 99), line_text),
    theme=st.sampled_from(range(len(THEMES))),
)
def test_any_one_line_texts_survive_the_round_trip(
    tmp_path, schema, definition, rules, example, label, version, theme
):
    codebook = copy.deepcopy(load_codebook())
    codebook["themes"][theme].update(
        definition=definition, include=rules, exclude=rules[::-1], example=example, label=label
    )
    codebook["facets"][0].update(label=label, definition=definition)
    codebook["version"] = version
    path = export_codebook(tmp_path / "h.qdc", codebook)
    schema.validate(path)
    assert import_codebook(path) == codebook


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["themes"][0].update(id="feel:understood"), r"themes\[0\].id.*colons"),
        (lambda c: c["facets"][1].update(id=" tone"), r"facets\[1\].id.*surrounding spaces"),
        (lambda c: c["themes"][2].pop("id"), r"themes\[2\].*missing \['id'\]"),
    ],
)
def test_identifiers_that_would_break_the_id_lines_are_refused(tmp_path, change, message):
    codebook = copy.deepcopy(load_codebook())
    change(codebook)
    with pytest.raises(ValueError, match=message):
        export_codebook(tmp_path / "x.qdc", codebook)


def _guid_of(text: str, name: str) -> str:
    return re.search(rf'<Code guid="([^"]+)" name="{re.escape(name)}"', text).group(1)


def test_a_facet_with_the_guid_of_a_theme_is_refused_as_a_duplicate(exported):
    text = exported.read_text(encoding="utf-8")
    theme, facet = _guid_of(text, "trust"), _guid_of(text, "eye contact (positive)")
    exported.write_text(text.replace(facet, theme), encoding="utf-8")
    message = rf"Codes/Code\[4\]: duplicate GUID {theme}: CodeBook/Codes/Code\[1\]/Code\[1\] has"
    with pytest.raises(ValueError, match=message):
        import_codebook(exported)


def test_two_facets_sharing_a_guid_are_named_as_duplicates(exported):
    text = exported.read_text(encoding="utf-8")
    first, second = (
        _guid_of(text, "eye contact (positive)"),
        _guid_of(text, "tone of voice (positive)"),
    )
    exported.write_text(text.replace(second, first), encoding="utf-8")
    with pytest.raises(ValueError, match=f"duplicate GUID {first}") as error:
        import_codebook(exported)
    assert str(exported) in str(error.value)


def test_a_set_reusing_a_code_guid_is_named_as_a_duplicate(exported):
    text = exported.read_text(encoding="utf-8")
    theme = _guid_of(text, "trust")
    text = re.sub(r'(<Set [^>]*guid=")[^"]+', lambda m: m.group(1) + theme, text, count=1)
    exported.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"Sets/Set\[1\]: duplicate GUID {theme}"):
        import_codebook(exported)


def test_an_unknown_encoding_is_refused_in_one_line(exported):
    text = exported.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="x-klingon"')
    exported.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="unknown encoding: x-klingon; use UTF-8") as error:
        import_codebook(exported)
    assert "\n" not in str(error.value)


def test_a_file_over_the_size_limit_is_refused_before_parsing(exported, monkeypatch):
    from alliance.exchange import refi

    monkeypatch.setattr(refi, "QDC_LIMIT", 1000)
    monkeypatch.setattr(refi.ET, "parse", lambda path: pytest.fail("parsed a file over the limit"))
    with pytest.raises(ValueError, match=r"more than the 1,000 a codebook may have \(QDC_LIMIT\)"):
        import_codebook(exported)


def test_a_codebook_of_the_studys_own_themes_round_trips(tmp_path):
    # Schema 2: any theme ids, a label each, the other parts only where the study has them.
    codebook = {
        "title": "A student's codebook",
        "themes": [
            {"id": "heard", "label": "feeling heard", "definition": "The client felt heard."},
            {"id": "rushed", "label": "feeling rushed"},
            {"id": "plan", "label": "a shared plan", "include": ["both agree"], "example": "x"},
        ],
    }
    path = export_codebook(tmp_path / "student.qdc", codebook)
    assert import_codebook(path) == codebook
    assert "Id: theme:rushed" in path.read_text(encoding="utf-8")
