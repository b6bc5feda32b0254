"""Exchange coded projects with QDA software through REFI-QDA projects (``.qdpx``).

A REFI-QDA *Project Exchange* file (QDA-XML 1.0, namespace
``urn:QDA-XML:project:1.0``) is a zip archive holding ``project.qde`` (the
XML) and a ``sources/`` folder with the documents. ATLAS.ti, MAXQDA, NVivo and
QualCoder write and read it. This module

* reads such a project (:func:`read_qdpx`): its users (the coders), codebook,
  text documents, coded segments by coder, and cases with their variables;
* drafts a small YAML mapping (:func:`draft_mapping`) from documents to
  sessions and informants, from codes to themes, from users to raters and
  from case variables to the groups the study compares, which the user edits;
* turns the project and the mapping into a schema-2 study folder
  (:func:`import_qdpx`, :mod:`alliance.data.design`): the study's own themes
  (the mapped codes, with their names as labels and their descriptions as
  definitions), its raters under their own names, the presence of each theme
  in each interview for each rater **who coded it** (a double-coded
  subsample, or raters who code different documents, gives ratings only
  where a rater coded), the consensus (a user's coding, the raters'
  majority, or the one coder's coding of a single-coded interview, which the
  folder's ``README.md`` says), the ``"alliance:study"`` design record, and
  optionally segment-level agreement (:func:`segment_agreement`);
* writes a study folder as a project (:func:`export_qdpx`), so that a teacher
  can open the synthetic study in a QDA program; its consensus, facets and
  excerpts travel as the codings of a user ``consensus``, who coded which
  interview as a document variable and the design as a line of the project's
  description, so a round trip gives back the same study folder.

Nothing is filled in: a rater who did not code an interview has no ratings
for it. What a study folder cannot hold (two documents for one interview, a
case variable the schema has no column for) is refused or reported. Archives
are read in memory and never extracted; see :data:`LIMITS`.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from alliance.data.paths import data_dir
>>> out = Path(tempfile.mkdtemp())
>>> project = read_qdpx(export_qdpx(data_dir(), out / "alliance.qdpx"))
>>> len(project.documents), sorted(project.users["name"])
(110, ['R1', 'R2', 'R3', 'consensus'])
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from alliance.data.codebook import INFORMANTS, codebook_text, load_codebook
from alliance.data.dataset import StudyValidationError, load_study
from alliance.data.design import (
    ID_RE,
    SCHEMA_VERSION,
    STUDY_KEY,
    Design,
    DesignError,
    design_record,
    read_design,
)
from alliance.data.schema import (
    CODEBOOK_FILE,
    ID_PATTERN,
    README_FILE,
    TABLES,
    table_schema,
    write_datapackage,
)
from alliance.exchange.refi import (
    ORIGIN,
    _codebook_element,
    _guid,
    codebook_from_element,
    parse_xml,
    plain_codes,
)
from alliance.exchange.report import natural_sorted
from alliance.study.reliability import majority_vote

__all__ = [
    "LIMITS",
    "OVERLAP_THRESHOLD",
    "PROJECT_NAMESPACE",
    "Project",
    "QdpxError",
    "draft_mapping",
    "export_qdpx",
    "import_qdpx",
    "read_qdpx",
    "segment_agreement",
]

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
"""XML namespace of the REFI-QDA Project Exchange format, QDA-XML 1.0."""

GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://doi.org/10.1177/1473325020923013#project")
"""Namespace of the name-based UUIDs given to users, documents, selections and codings."""

LIMITS: dict[str, int] = {
    "member_bytes": 64 * 2**20,
    "total_bytes": 256 * 2**20,
    "ratio": 200,
    "ratio_from_bytes": 2**20,
    "members": 50_000,
}
"""Limits on what a ``.qdpx`` may make the reader decompress (zip bombs are refused).

Only ``project.qde`` and the plain-text sources are ever decompressed, in
memory: each at most ``member_bytes`` (64 MiB), together at most
``total_bytes`` (256 MiB), and none above ``ratio_from_bytes`` (1 MiB) may
expand more than ``ratio`` (200) times its compressed size. An archive of more
than ``members`` entries is refused unread. Both the size the archive declares
and the bytes actually decompressed are checked.
"""

OVERLAP_THRESHOLD = 0.9
"""Default overlap for two coded segments to match: shared characters / characters of either."""

CONSENSUS_USER = "consensus"
"""Name of the exported user whose codings are the agreed (consensus) coding."""

_SYNTHETIC_LINE = "alliance:synthetic "
_STUDY_LINE = STUDY_KEY + " "
_CASE_FIELDS = {
    "client": ("ethnicity", "gender", "age", "education_years"),
    "therapist": ("clinic", "ethnicity", "gender", "profession", "years_experience"),
}
_ONE_CLINIC = "clinic1"
_INTEGER_VARIABLES = ("age", "education_years", "years_experience")
_MAPPING_KEYS = (
    "project",
    "design",
    "consensus",
    "users",
    "codes",
    "documents",
    "sessions",
    "clients",
    "therapists",
    "clinics",
    "excerpts",
    "study",
)
_DESIGNS = ("full", "subsample")
_UNSAFE_NAME = re.compile(r"(^[/\\])|(^[A-Za-z]:)|\\|\x00")


class QdpxError(ValueError):
    """A project, mapping or output folder the import or export cannot use; says why and where."""


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def _all(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Every descendant called ``name`` in any namespace (nesting varies between programs)."""
    return (child for child in element.iter() if _local(child.tag) == name)


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _guid_of(element: ET.Element, attribute: str = "guid") -> str:
    return (element.get(attribute) or "").strip().strip("{}").lower()


def _uuid(kind_id: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, kind_id))


# -- reading an archive safely ---------------------------------------------------------------


def _member_bytes(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, budget: list[int]
) -> bytes:
    """Decompress one member in memory, within :data:`LIMITS`."""
    limit = min(LIMITS["member_bytes"], budget[0])
    if info.file_size > limit:
        raise QdpxError(
            f"{where}: declares {info.file_size} bytes uncompressed, over the limit of {limit} "
            "(alliance.exchange.qdpx.LIMITS); refused as a possible zip bomb"
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > LIMITS["ratio_from_bytes"] and ratio > LIMITS["ratio"]:
        raise QdpxError(
            f"{where}: expands {ratio:.0f} times its compressed size (limit {LIMITS['ratio']}); "
            "refused as a possible zip bomb"
        )
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        raise QdpxError(f"{where}: cannot be decompressed ({error})") from error
    if len(data) > limit or len(data) != info.file_size:
        raise QdpxError(
            f"{where}: holds {len(data)}{'+' if len(data) > limit else ''} bytes but declares "
            f"{info.file_size}; refused as a damaged archive or zip bomb"
        )
    budget[0] -= len(data)
    return data


def _open_archive(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise QdpxError(f"{path}: no such project file")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        start = path.read_bytes()[:64].lstrip()
        what = (
            "an XML file (perhaps a .qdc codebook or a bare project.qde)"
            if start.startswith((b"<", b"\xef\xbb\xbf<"))
            else "not a zip archive"
        )
        raise QdpxError(
            f"{path}: a REFI-QDA project (.qdpx) is a zip archive holding project.qde; this is "
            f"{what} ({error})"
        ) from error
    infos = archive.infolist()
    if len(infos) > LIMITS["members"]:
        raise QdpxError(
            f"{path}: {len(infos)} archive members, over the limit of {LIMITS['members']}"
        )
    unsafe = [
        info.filename
        for info in infos
        if _UNSAFE_NAME.search(info.filename) or ".." in info.filename.split("/")
    ]
    if unsafe:
        raise QdpxError(
            f"{path}: refused: member names that point outside the archive (path traversal): "
            + ", ".join(repr(name) for name in unsafe[:5])
        )
    names = [info.filename for info in infos]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise QdpxError(f"{path}: refused: members stored twice under one name: {twice[:5]}")
    return archive


# -- the project -----------------------------------------------------------------------------


@dataclass(eq=False)
class Project:
    """What a REFI-QDA project holds for reliability work, as tidy tables.

    Attributes
    ----------
    path : pathlib.Path
        The ``.qdpx`` file.
    name, origin, description : str
        The project's attributes and ``Description``.
    users : pandas.DataFrame
        ``guid``, ``name``, ``key`` (the name, or the guid when names repeat or are
        missing; the mapping file uses it), ``codings``.
    codes : pandas.DataFrame
        Rows of :func:`alliance.exchange.refi.plain_codes` (``id``, ``guid``,
        ``label``, ``path``, ``parent``, ``definition``, ``codable``) plus ``key``
        (the path) and ``kind_id`` (the ``Id:`` line of our own codebook, else ``""``).
    documents : pandas.DataFrame
        ``guid``, ``name``, ``key``, ``characters`` (``<NA>`` when the text is not
        in the archive), ``text_source`` (where the text came from).
    segments : pandas.DataFrame
        One row per coding of a text selection: ``document`` (guid), ``user``
        (guid, ``""`` when not stated), ``code`` (guid), ``start``, ``end``
        (characters of the plain text, end exclusive).
    variables : pandas.DataFrame
        Variable values of cases and documents: ``owner`` (``case`` or
        ``document``), ``guid``, ``name`` (of the case or document), ``variable``,
        ``value`` (as text).
    case_sources : pandas.DataFrame
        ``case`` (guid), ``document`` (guid): documents each case refers to.
    texts : dict
        Document guid to its plain text.
    codebook : dict or None
        Our codebook when the project's codes carry our ``Id:`` lines (see
        :func:`alliance.exchange.refi.codebook_from_element`), else ``None``.
    notes : list of str
        What was read but cannot be used (non-text sources, texts outside the archive).
    """

    path: Path
    name: str
    origin: str
    description: str
    users: pd.DataFrame
    codes: pd.DataFrame
    documents: pd.DataFrame
    segments: pd.DataFrame
    variables: pd.DataFrame
    case_sources: pd.DataFrame
    texts: dict[str, str] = field(default_factory=dict)
    codebook: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def _keys(frame: pd.DataFrame) -> pd.Series:
    """Names as keys, falling back to the guid where a name is empty or repeated."""
    names = frame["name"].fillna("")
    repeated = names.duplicated(keep=False) | (names.str.strip() == "")
    return names.where(~repeated, frame["guid"])


def _variable_values(owner: ET.Element, names: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    for value in (child for child in owner if _local(child.tag) == "VariableValue"):
        reference = _child(value, "VariableRef")
        variable = "" if reference is None else names.get(_guid_of(reference, "targetGUID"), "")
        content = next((child for child in value if _local(child.tag).endswith("Value")), None)
        if variable and content is not None and (content.text or "").strip():
            yield variable, content.text.strip()


def _source_text(
    archive: zipfile.ZipFile, path: Path, source: ET.Element, budget: list[int]
) -> tuple[str | None, str]:
    """Return (plain text or None, where it came from / why it is missing)."""
    inline = _child(source, "PlainTextContent")
    if inline is not None and inline.text is not None:
        return inline.text, "PlainTextContent"
    reference = (source.get("plainTextPath") or "").strip()
    if not reference:
        return None, "no plainTextPath"
    if not reference.lower().startswith("internal://"):
        return None, f"outside the archive ({reference!r}); not read"
    member = reference[len("internal://") :]
    if not member or "/" in member or "\\" in member or member in (".", ".."):
        raise QdpxError(f"{path}: refused: plainTextPath {reference!r} points outside sources/")
    wanted = {f"sources/{member}".lower(), member.lower()}
    info = next((i for i in archive.infolist() if i.filename.lower() in wanted), None)
    if info is None:
        return None, f"{reference} is not in the archive"
    data = _member_bytes(archive, info, f"{path}!{info.filename}", budget)
    try:
        return data.decode("utf-8-sig"), info.filename
    except UnicodeDecodeError as error:
        return None, f"{info.filename} is not UTF-8 ({error.reason} at byte {error.start})"


def _project_root(archive: zipfile.ZipFile, path: Path, budget: list[int]) -> ET.Element:
    candidates = [i for i in archive.infolist() if i.filename.lower().endswith(".qde")]
    exact = [i for i in candidates if i.filename.lower() == "project.qde"]
    chosen = exact or candidates
    if not chosen:
        raise QdpxError(
            f"{path}: the archive holds no project.qde, so it is not a REFI-QDA project "
            f"(members: {', '.join(archive.namelist()[:5]) or 'none'})"
        )
    if len(chosen) > 1:
        raise QdpxError(
            f"{path}: several project files {[i.filename for i in chosen]}; expected one"
        )
    where = f"{path}!{chosen[0].filename}"
    try:
        root = parse_xml(_member_bytes(archive, chosen[0], where, budget), where)
    except QdpxError:
        raise
    except ValueError as error:
        raise QdpxError(str(error)) from error
    namespace = str(root.tag)[1:].partition("}")[0] if str(root.tag).startswith("{") else ""
    if _local(root.tag) != "Project":
        raise QdpxError(f"{where}: the root element is <{_local(root.tag)}>, not <Project>")
    if namespace and not namespace.lower().startswith("urn:qda-xml:project"):
        raise QdpxError(
            f"{where}: the root element is in namespace {namespace!r}, not {PROJECT_NAMESPACE!r}"
        )
    return root


def _codes(root: ET.Element, where: str) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    columns = ["id", "guid", "label", "path", "parent", "definition", "codable", "key", "kind_id"]
    codebook = next(_all(root, "CodeBook"), None)
    codes = None if codebook is None else _child(codebook, "Codes")
    if codes is None:
        return pd.DataFrame(columns=columns), None
    try:
        rows = plain_codes(codes, where)
    except ValueError as error:
        raise QdpxError(str(error)) from error
    frame = pd.DataFrame(rows, columns=columns[:7])
    frame["key"] = frame["path"]
    frame["kind_id"] = [
        definition.replace("\r\n", "\n").split("\n\n")[-1].removeprefix("Id: ")
        if definition.replace("\r\n", "\n").split("\n\n")[-1].startswith("Id: ")
        else ""
        for definition in frame["definition"]
    ]
    ours = None
    if (frame["kind_id"] != "").all():
        element = ET.Element("CodeBook")
        element.append(codes)
        sets = _child(root, "Sets")
        if sets is not None:
            sets = copy.deepcopy(sets)
            for member in _all(sets, "MemberCode"):  # a codebook's sets refer by guid
                member.set("guid", member.get("targetGUID", member.get("guid", "")))
            element.append(sets)
        try:
            ours = codebook_from_element(element, where)
        except ValueError as error:
            raise QdpxError(f"the project's codebook carries our Id: lines but {error}") from error
    return frame, ours


def read_qdpx(path: Path | str) -> Project:
    """Read a REFI-QDA project (``.qdpx``) in memory, safely.

    Parameters
    ----------
    path : pathlib.Path or str
        The ``.qdpx`` file, from any QDA program. Namespaces and prefixes,
        attribute order, where elements are nested and which optional elements
        are present may all vary.

    Returns
    -------
    Project
        Users, codes, documents, coded segments and case and document variables.

    Raises
    ------
    QdpxError
        If the file is not a zip archive, lacks ``project.qde``, names a member
        outside the archive, exceeds :data:`LIMITS`, or holds XML that is not
        well-formed or has a DOCTYPE (entities are never expanded).

    Examples
    --------
    See the module docstring.
    """
    path = Path(path)
    budget = [LIMITS["total_bytes"]]
    with _open_archive(path) as archive:
        root = _project_root(archive, path, budget)
        where = f"{path}!project.qde"
        users = pd.DataFrame(
            [
                {"guid": _guid_of(u), "name": (u.get("name") or "").strip()}
                for u in _all(root, "User")
            ],
            columns=["guid", "name"],
        )
        codes, codebook = _codes(root, where)
        variable_names = {
            _guid_of(v): (v.get("name") or "").strip() for v in _all(root, "Variable")
        }
        documents, segments, variables, notes = [], [], [], []
        texts: dict[str, str] = {}
        for source in _all(root, "TextSource"):
            text, origin = _source_text(archive, path, source, budget)
            document = {
                "guid": _guid_of(source),
                "name": (source.get("name") or "").strip(),
                "characters": None if text is None else len(text),
                "text_source": origin,
            }
            documents.append(document)
            if text is None:
                notes.append(f"document {document['name']!r}: text not read: {origin}")
            else:
                texts[document["guid"]] = text
            segments += _source_segments(source, document, where)
            variables += [
                {
                    "owner": "document",
                    "guid": document["guid"],
                    "name": document["name"],
                    "variable": v,
                    "value": x,
                }
                for v, x in _variable_values(source, variable_names)
            ]
        kinds = {"PictureSource", "PDFSource", "AudioSource", "VideoSource"}
        others = [e for e in root.iter() if _local(e.tag) in kinds]
        if others:
            notes.append(
                f"{len(others)} picture, PDF, audio or video source(s) not read (text only)"
            )
        case_sources = []
        for case in _all(root, "Case"):
            guid, name = _guid_of(case), (case.get("name") or "").strip()
            variables += [
                {"owner": "case", "guid": guid, "name": name, "variable": v, "value": x}
                for v, x in _variable_values(case, variable_names)
            ]
            case_sources += [
                {"case": guid, "document": _guid_of(ref, "targetGUID")}
                for ref in _all(case, "SourceRef")
            ]
        description = _child(root, "Description")
    for what, guids in (("users", users["guid"]), ("documents", [d["guid"] for d in documents])):
        twice = sorted({g for g in guids if list(guids).count(g) > 1})
        if twice:
            raise QdpxError(f"{where}: {what} share a guid: {', '.join(twice[:5])}")
    users_frame = users.assign(key=_keys(users)) if len(users) else users.assign(key=[])
    segment_frame = pd.DataFrame(segments, columns=["document", "user", "code", "start", "end"])
    users_frame["codings"] = (
        users_frame["guid"].map(segment_frame["user"].value_counts()).fillna(0).astype(int)
    )
    document_frame = pd.DataFrame(documents, columns=["guid", "name", "characters", "text_source"])
    document_frame["characters"] = document_frame["characters"].astype("Int64")
    document_frame.insert(2, "key", _keys(document_frame) if len(document_frame) else [])
    return Project(
        path=path,
        name=root.get("name", ""),
        origin=root.get("origin", ""),
        description="" if description is None else (description.text or ""),
        users=users_frame,
        codes=codes,
        documents=document_frame,
        segments=segment_frame.astype({"start": "Int64", "end": "Int64"}),
        variables=pd.DataFrame(variables, columns=["owner", "guid", "name", "variable", "value"]),
        case_sources=pd.DataFrame(case_sources, columns=["case", "document"]),
        texts=texts,
        codebook=codebook,
        notes=notes,
    )


def _source_segments(source: ET.Element, document: Mapping[str, Any], where: str) -> list[dict]:
    """Return the codings of one text source: of its selections and of the whole source."""
    segments = []
    for selection in _all(source, "PlainTextSelection"):
        try:
            start = int(selection.get("startPosition", ""))
            end = int(selection.get("endPosition", ""))
        except ValueError as error:
            raise QdpxError(
                f"{where}: selection {selection.get('guid')!r} in document {document['name']!r} "
                f"has positions that are not whole numbers ({error})"
            ) from error
        for coding in _all(selection, "Coding"):
            segments.append(
                _segment(coding, document["guid"], min(start, end), max(start, end), selection)
            )
    for coding in (child for child in source if _local(child.tag) == "Coding"):
        segments.append(_segment(coding, document["guid"], 0, document["characters"], source))
    return segments


def _segment(
    coding: ET.Element, document: str, start: int, end: int | None, parent: ET.Element
) -> dict:
    reference = _child(coding, "CodeRef")
    user = _guid_of(coding, "creatingUser") or _guid_of(parent, "creatingUser")
    code = "" if reference is None else _guid_of(reference, "targetGUID")
    return {"document": document, "user": user, "code": code, "start": start, "end": end}


# -- the mapping -----------------------------------------------------------------------------


def _q(value: object) -> str:
    """Write a YAML scalar (JSON strings and numbers are valid YAML)."""
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def _variables_of(project: Project, owner: str) -> dict[str, dict[str, str]]:
    rows = project.variables[project.variables["owner"] == owner]
    table: dict[str, dict[str, str]] = {}
    for row in rows.itertuples():
        table.setdefault(row.guid, {})[row.variable.strip().lower().replace(" ", "_")] = row.value
    return table


def _guess_informant(name: str) -> str | None:
    lower = name.lower()
    found = [
        i
        for i, words in (("client", ("client", "patient")), ("therapist", ("therapist",)))
        if any(w in lower for w in words)
    ]
    return found[0] if len(found) == 1 else None


def _guess_session(name: str) -> str:
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)
    stem = re.sub(r"(?i)client|patient|therapist|interview|transcript", " ", stem)
    stem = re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_")
    return stem if stem and re.fullmatch(ID_PATTERN, stem) else ""


def _safe_id(name: str) -> str:
    """Make a safe identifier from a name (letters, digits, ``_ . -``), ``""`` if none is left."""
    found = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.strip()).strip("_.-")
    return found if ID_RE.match(found) else ""


def _theme_of_code(row: Any, used: set[str]) -> str | None:
    """Guess a code's theme for the draft: our ``Id:`` line, else its name's id if coded."""
    if row.kind_id:
        return row.kind_id.removeprefix("theme:") if row.kind_id.startswith("theme:") else None
    return row.id if row.guid in used and row.codable else None


def _declared(project: Project, key: str) -> dict[str, Any] | None:
    """Read a JSON record our export wrote as a line ``<key> {...}`` of the project description."""
    for line in project.description.splitlines():
        if line.startswith(key + " "):
            try:
                found = json.loads(line[len(key) + 1 :])
            except json.JSONDecodeError:
                return None
            return found if isinstance(found, dict) else None
    return None


def draft_mapping(project: Project) -> str:
    """Draft the mapping of a project onto a study folder, for the user to edit.

    Parameters
    ----------
    project : Project
        As read by :func:`read_qdpx`.

    Returns
    -------
    str
        YAML text with comments. Users who made codings become raters under
        their names as safe ids (a user named like *consensus* or *final*
        becomes the consensus coding); every coded code becomes a theme, with
        an id made from its name (codes of our own codebook keep their theme
        ids); documents get a session and informant from their
        ``session``/``informant`` variables or their name; sessions, clients,
        therapists and clinics are filled in from case variables; ``design``
        says whether raters coded every document (``full``) or only those
        they made codings in (``subsample``). The ``study`` section (the
        groups the study compares) is a stub to fill in, unless a case
        variable suggests it. Whatever could not be guessed is ``null``: the
        import refuses a ``null`` it needs, naming it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from alliance.data.paths import data_dir
    >>> project = read_qdpx(export_qdpx(data_dir(), Path(tempfile.mkdtemp()) / "a.qdpx"))
    >>> text = draft_mapping(project)
    >>> yaml.safe_load(text)["users"]
    {'R1': 'R1', 'R2': 'R2', 'R3': 'R3', 'consensus': None}
    """
    users = project.users
    consensus = [
        k
        for k, n in zip(users["key"], users["name"], strict=True)
        if re.search(r"(?i)consensus|agreed|final", n)
    ]
    lines = [
        "# Mapping of a REFI-QDA project onto a study folder (python -m alliance import-qdpx).",
        f"# Drafted from {project.path.name}. Check every entry and replace each null you need;",
        "# then run: python -m alliance import-qdpx PROJECT.qdpx --mapping THIS.yaml --out FOLDER",
        f"project: {_q(project.path.name)}",
    ]
    if project.segments.empty:
        lines.append("# The project has no codings: there is nothing to compute agreement on.")
    uncoded = _uncoded(project)
    lines += [
        "# design: full = every rater coded every mapped document, so a document in which a",
        "#   rater made no coding has every theme absent for that rater;",
        "# subsample = each rater coded only the documents they made codings in (a double-coded",
        "#   subsample, or raters who code different documents): the others get no ratings.",
        "#   A document's 'coders' list (user names), where given, overrides both.",
    ]
    if uncoded:
        lines.append("# Some users made no coding in some documents: " + "; ".join(uncoded[:5]))
    lines.append(f"design: {'subsample' if uncoded else 'full'}")
    lines += [
        "# consensus: the user whose coding is the agreed (final) coding, or majority (the",
        "#   raters' majority vote; a tie is refused). An interview coded by one rater only",
        "#   takes that rater's coding as its consensus (the import says how many); null",
        "#   when no interview was coded by two raters.",
        f"consensus: {_q(consensus[0] if len(consensus) == 1 else None)}",
        "# excerpts: true = the consensus user's segments shorter than a whole document become",
        "#   excerpts.csv (their text is shown in the book: only for text you may publish).",
        f"excerpts: {_q(project.origin == ORIGIN)}",
        "# users: QDA user -> rater id (letters, digits, _ . -; rename freely), or null to",
        "#   leave the user out",
        "users:",
    ]
    for row in users.itertuples():
        chosen = consensus[:1] == [row.key] and len(consensus) == 1
        rater = _safe_id(row.name) or None if row.codings and not chosen else None
        note = "  # made no codings" if not row.codings else ""
        lines.append(f"  {_q(row.key)}: {_q(rater)}{note}")
    lines += [
        "# codes: code path -> theme id (the themes of your study, in this order; several",
        "#   codes may share a theme), or null to leave the code out",
        "codes:",
    ]
    used = set(project.segments["code"])
    for row in project.codes.itertuples():
        note = "" if row.guid in used else "  # never coded"
        lines.append(f"  {_q(row.key)}: {_q(_theme_of_code(row, used))}{note}")
    document_vars = _variables_of(project, "document")
    lines += [
        "# documents: document -> session and informant (client or therapist), or null;",
        "#   optional: coders (the users who coded it) and missing (ratings left explicitly",
        "#   empty, as user:theme)",
        "documents:",
    ]
    sessions: dict[str, list[str]] = {}
    for row in project.documents.itertuples():
        found = document_vars.get(row.guid, {})
        session = found.get("session") or _guess_session(row.name) or None
        informant = found.get("informant") or _guess_informant(row.name)
        if not session or not informant:
            lines.append(
                f"  {_q(row.key)}: null  # left out unless you give "
                "{session: ..., informant: client or therapist}"
            )
            continue
        sessions.setdefault(session, []).append(row.guid)
        listed = "".join(
            f", {key}: {_q(found[key].split(';'))}" for key in ("coders", "missing") if key in found
        )
        lines.append(
            f"  {_q(row.key)}: {{session: {_q(session)}, informant: {_q(informant)}{listed}}}"
        )
    participants, candidates = _draft_participants(project, sessions)
    lines += participants
    lines += _draft_study(project, candidates)
    return "\n".join(lines) + "\n"


def _draft_study(project: Project, candidates: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Draft the ``study`` section: the design record, or a stub for the user to fill in."""
    lines = [
        "# study: the design the study folder declares (alliance:study in datapackage.json).",
        "#   Informants come from the documents. groups: how sessions fall into the groups",
        "#   you compare, one of",
        "#     {rule: client, variable: VAR, values: [A, B, ...]}  (a clients' case variable)",
        "#     {rule: match, variable: VAR, values: [X, Y], same: concordant,",
        "#      different: discordant}  (client and therapist share VAR's value or not)",
        "#   settings: the allowed clinic settings (null: any); ranges: {clients.age: [18, 99]}",
    ]
    declared = _declared(project, _STUDY_LINE.strip())
    if declared is not None:
        record = {k: declared.get(k) for k in ("groups", "settings", "ranges", "reconstructs")}
        lines.append("study: " + json.dumps(record, ensure_ascii=False, sort_keys=True))
        return lines
    if candidates:
        shown = "; ".join(f"{v} ({', '.join(g['values'])})" for v, g in candidates.items())
        lines.append(f"#   case variables of the clients that could group them: {shown}")
    groups = "null  # FILL IN: the import needs the groups"
    if len(candidates) == 1:
        groups = _q(next(iter(candidates.values())))
        groups += "  # drafted from the case variable; check it"
    return [*lines, "study:", f"  groups: {groups}", "  settings: null", "  ranges: {}"]


def _uncoded(project: Project) -> list[str]:
    coders = project.users[project.users["codings"] > 0]
    coded = set(zip(project.segments["user"], project.segments["document"], strict=True))
    found = []
    for user in coders.itertuples():
        missing = [d for d in project.documents["guid"] if (user.guid, d) not in coded]
        if missing:
            found.append(f"{user.key} in {len(missing)} of {len(project.documents)}")
    return found


def _group_candidates(
    cases: Mapping[str, Mapping[str, str]], role: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Find case variables of the clients with 2 to 8 values: what the study could compare.

    A variable the therapists' cases also carry (two values in all) is drafted
    as a ``match`` grouping, any other as ``client``.
    """
    found: dict[str, dict[str, set[str]]] = {}
    for guid, values in cases.items():
        if role.get(guid) in ("client", "therapist"):
            for name, value in values.items():
                if name not in ("role", "setting", "clinic", *_INTEGER_VARIABLES):
                    found.setdefault(name, {"client": set(), "therapist": set()})
                    found[name][role[guid]].add(value)
    groups = {}
    for name, seen in found.items():
        if 2 <= len(seen["client"]) <= 8:
            values = sorted(seen["client"] | seen["therapist"])
            rule = "match" if seen["therapist"] and len(values) == 2 else "client"
            groups[name] = {"rule": rule, "variable": name, "values": values}
    return groups


def _draft_participants(
    project: Project, sessions: Mapping[str, list[str]]
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Draft the sessions, clients, therapists and clinics; find the group candidates."""
    cases = _variables_of(project, "case")
    names = dict(zip(project.variables["guid"], project.variables["name"], strict=True))
    role = {guid: values.get("role") for guid, values in cases.items()}
    documents_of = project.case_sources.groupby("case")["document"].agg(set).to_dict()
    candidates = _group_candidates(cases, role)
    lines = [
        "# sessions: session -> its client and therapist (ids of the sections below)",
        "sessions:",
    ]
    for session, documents in sessions.items():
        found = {}
        for kind in ("client", "therapist"):
            matches = [
                names[g]
                for g in role
                if role[g] == kind and documents_of.get(g, set()) & set(documents)
            ]
            found[kind] = matches[0] if len(matches) == 1 else None
        lines.append(
            f"  {_q(session)}: {{client: {_q(found['client'])}, "
            f"therapist: {_q(found['therapist'])}}}"
        )
    carried = {
        kind: list(dict.fromkeys([*_CASE_FIELDS[kind], *candidates])) for kind in _CASE_FIELDS
    }
    unknown = sorted(
        {v for values in cases.values() for v in values}
        - {"role", "setting", *carried["client"], *carried["therapist"]}
    )
    if unknown:
        lines.append("# case variables the study folder does not carry: " + ", ".join(unknown))
    clinics: dict[str, str | None] = {}
    for kind, section in (("client", "clients"), ("therapist", "therapists")):
        lines.append(f"# {section}: {kind} id -> {{{', '.join(carried[kind])}}}")
        no_clinic = kind == "therapist" and not any(
            cases[g].get("clinic") for g in role if role[g] == kind
        )
        if no_clinic:
            lines.append(
                f"#   The project names no clinic: every therapist is drafted in {_ONE_CLINIC!r}."
            )
        lines.append(f"{section}:")
        for guid in (g for g in role if role[g] == kind):
            values = dict(cases[guid], clinic=_ONE_CLINIC) if no_clinic else cases[guid]
            fields = []
            for name in (n for n in carried[kind] if n in values):
                value = values[name]
                if name in _INTEGER_VARIABLES and re.fullmatch(r"-?\d+", value):
                    value = int(value)
                fields.append(f"{name}: {_q(value)}")
            if kind == "therapist" and values.get("clinic"):
                clinics.setdefault(values["clinic"], values.get("setting"))
            lines.append(f"  {_q(names[guid])}: {{{', '.join(fields)}}}")
    lines.append("# clinics: clinic id -> {setting: ...}")
    lines.append("clinics:")
    lines += [f"  {_q(clinic)}: {{setting: {_q(setting)}}}" for clinic, setting in clinics.items()]
    return lines, candidates


# -- import ----------------------------------------------------------------------------------


class _Problems:
    """Problems grouped by cause, so one mistake repeated 100 times reads as one line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.groups: dict[str, list[str]] = {}

    def add(self, cause: str, item: object) -> None:
        self.groups.setdefault(cause, []).append(str(item))

    def raise_any(self) -> None:
        if not self.groups:
            return
        count = sum(map(len, self.groups.values()))
        lines = [f"{self.source}: {count} problem(s) of {len(self.groups)} kind(s):"]
        for cause, items in self.groups.items():
            shown = ", ".join(items[:6]) + (
                f", ... ({len(items)} in all)" if len(items) > 6 else ""
            )
            lines.append(f"  {cause}: {shown}")
        raise QdpxError("\n".join(lines))


def _section(mapping: Mapping[str, Any], key: str, problems: _Problems) -> dict[Any, Any]:
    value = mapping.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.add(f"'{key}' must be a mapping of names to values", type(value).__name__)
        return {}
    return dict(value)


def _read_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise QdpxError(f"{path}: no such mapping file (write a draft with --draft-mapping {path})")
    try:
        mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise QdpxError(f"{path}: the mapping is not UTF-8 ({error.reason})") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = "" if mark is None else f" (line {mark.line + 1})"
        raise QdpxError(f"{path}: not valid YAML{where}: {' '.join(str(error).split())}") from error
    if not isinstance(mapping, Mapping):
        raise QdpxError(
            f"{path}: the mapping must be a YAML mapping with keys {', '.join(_MAPPING_KEYS)}"
        )
    return dict(mapping)


def _match_keys(
    frame: pd.DataFrame, section: Mapping[Any, Any], what: str, problems: _Problems
) -> dict[str, Any]:
    """Map each row's guid to its mapped value; report keys missing on either side."""
    by_key = {str(k): v for k, v in section.items()}
    by_guid = dict(zip(frame["guid"], frame["key"], strict=True))
    known = set(frame["key"]) | set(frame["guid"])
    for key in by_key:
        if key not in known:
            problems.add(f"{what} in the mapping but not in the project (a typo?)", repr(key))
    result = {}
    for guid, key in by_guid.items():
        if key in by_key:
            result[guid] = by_key[key]
        elif guid in by_key:
            result[guid] = by_key[guid]
        else:
            problems.add(
                f"{what} of the project missing from the mapping (map to null to leave out)",
                repr(key),
            )
    return result


@dataclass(eq=False)
class ImportResult:
    """What :func:`import_qdpx` wrote and what it has to say.

    Attributes
    ----------
    folder : pathlib.Path
        The output folder.
    report : list of str
        Lines for the user: what was read, mapped, left out, and what the current
        schema cannot hold. Also written to ``qdpx_import.txt`` in the folder.
    ratings : pandas.DataFrame or None
        The ratings written (``None`` for a project without codings).
    segments : pandas.DataFrame or None
        :func:`segment_agreement`, when asked for.
    """

    folder: Path
    report: list[str]
    ratings: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise QdpxError(
            f"{out}: the output folder exists and is not empty; refusing to overwrite it"
        )


def _document_table(project: Project, mapped: Mapping[str, tuple[str, str] | None]) -> pd.DataFrame:
    frame = project.documents[["guid", "name", "characters", "text_source"]].copy()
    frame["session_id"] = [None if mapped.get(g) is None else mapped[g][0] for g in frame["guid"]]
    frame["informant"] = [None if mapped.get(g) is None else mapped[g][1] for g in frame["guid"]]
    counts = project.segments["document"].value_counts()
    frame["codings"] = frame["guid"].map(counts).fillna(0).astype(int)
    return frame


def _write_without_codings(project: Project, out: Path) -> ImportResult:
    out.mkdir(parents=True, exist_ok=True)
    report = [
        f"{project.path}: the project has no codings, so there is nothing to compute agreement on.",
        f"Imported its codebook ({len(project.codes)} codes) and {len(project.documents)} "
        "documents "
        "into qdpx_codes.csv, qdpx_documents.csv and documents/; no study tables were written.",
    ]
    _write_provenance(project, out, _document_table(project, {}), report)
    folder = out / "documents"
    folder.mkdir()
    for number, row in enumerate(project.documents.itertuples(), start=1):
        if row.guid in project.texts:
            (folder / f"{number:04d}.txt").write_text(project.texts[row.guid], encoding="utf-8")
    return ImportResult(out, report)


def _write_provenance(
    project: Project, out: Path, documents: pd.DataFrame, report: list[str]
) -> None:
    columns = ["key", "id", "guid", "label", "path", "parent", "codable", "kind_id"]
    project.codes.reindex(columns=[*columns, "theme"]).to_csv(
        out / "qdpx_codes.csv", index=False, lineterminator="\n"
    )
    documents.to_csv(out / "qdpx_documents.csv", index=False, lineterminator="\n")
    (out / "qdpx_import.txt").write_text("\n".join(report) + "\n", encoding="utf-8")


def _mapped(
    project: Project,
    users: Mapping[str, str],
    codes: Mapping[str, str],
    units: Mapping[str, tuple[str, str]],
) -> pd.DataFrame:
    """Return the segments by mapped users, of mapped codes, in mapped documents."""
    segments = project.segments
    keep = (
        segments["user"].isin(list(users))
        & segments["code"].isin(list(codes))
        & segments["document"].isin(list(units))
    )
    return segments[keep]


def _presence(
    project: Project,
    users: Mapping[str, str],
    codes: Mapping[str, str],
    units: Mapping[str, tuple[str, str]],
) -> pd.DataFrame:
    """One row per (interview, user, theme) with a coding: session_id, informant, user, theme."""
    rows = _mapped(project, users, codes, units)
    return pd.DataFrame(
        {
            "session_id": [units[d][0] for d in rows["document"]],
            "informant": [units[d][1] for d in rows["document"]],
            "user": list(rows["user"]),
            "theme": [codes[c] for c in rows["code"]],
        }
    ).drop_duplicates()


def _sorted(frame: pd.DataFrame, keys: list[str], themes: list[str]) -> pd.DataFrame:
    order = {theme: rank for rank, theme in enumerate(themes)}
    frame = frame.assign(_t=frame["theme"].map(order)).sort_values([*keys, "_t"], kind="stable")
    return frame.drop(columns="_t").reset_index(drop=True)


def _participant_tables(
    mapping: Mapping[str, Any],
    sessions: list[str],
    design: Design | None,
    problems: _Problems,
    left_out: list[str],
) -> dict[str, pd.DataFrame]:
    """Build the sessions, clients, therapists and clinics tables from the mapping.

    Each table has the columns the design's schema gives it; a field of the
    mapping the folder does not hold is named in ``left_out``.
    """
    listed = _section(mapping, "sessions", problems)
    rows = []
    for session in sessions:
        entry = listed.get(session)
        if not isinstance(entry, Mapping) or not entry.get("client") or not entry.get("therapist"):
            problems.add(
                "sessions without a client and a therapist in the mapping's 'sessions'", session
            )
            continue
        rows.append(
            {
                "session_id": session,
                "client_id": str(entry["client"]),
                "therapist_id": str(entry["therapist"]),
            }
        )
    extra = sorted(set(map(str, listed)) - set(sessions))
    for session in extra:
        problems.add("sessions in the mapping that no mapped document belongs to", session)
    tables = {"sessions": pd.DataFrame(rows, columns=["session_id", "client_id", "therapist_id"])}
    for section, table, key, renames in (
        ("clients", "clients", "client_id", {}),
        ("therapists", "therapists", "therapist_id", {"clinic": "clinic_id"}),
        ("clinics", "clinics", "clinic_id", {}),
    ):
        fields = [spec["name"] for spec in table_schema(table, design)["fields"]]
        entries = []
        dropped: dict[str, int] = {}
        for ident, values in _section(mapping, section, problems).items():
            values = dict(values or {}) if isinstance(values, Mapping) else {}
            values = {renames.get(k, k): v for k, v in values.items() if v is not None}
            for name in sorted(set(values) - set(fields)):
                dropped[name] = dropped.get(name, 0) + 1
            entries.append(
                {
                    key: str(ident),
                    **{
                        f: "" if values.get(f) is None else str(values[f])
                        for f in fields
                        if f != key
                    },
                }
            )
        tables[table] = pd.DataFrame(entries, columns=fields)
        left_out += [
            f"left out: {section}.{name} ({count} entries): the study folder's {table}.csv "
            f"holds {', '.join(fields)}"
            for name, count in dropped.items()
        ]
    return tables


def import_qdpx(
    project_path: Path | str,
    mapping_path: Path | str,
    out: Path | str,
    *,
    segments: bool = False,
    threshold: float = OVERLAP_THRESHOLD,
) -> ImportResult:
    """Turn a REFI-QDA project into a study folder, as a mapping file says.

    The study's themes are the codes the mapping maps (their ids from the
    mapping, their labels and definitions from the project's codebook); its
    raters are the mapped users. ``ratings.csv`` holds the presence of each
    theme in each interview for each rater **who coded it**: 1 if the rater
    coded any segment of the document with a code mapped to the theme, else 0.
    Which raters coded a document: every rater (``design: full``), the raters
    who made codings in it (``design: subsample``), or the document's
    ``coders``. Nothing is filled in for a rater who did not code an
    interview. The consensus is the coding of the user the mapping names (or
    the raters' majority vote); an interview coded by one rater only takes
    that rater's coding, which the folder's ``README.md`` says. Participants
    come from the mapping's ``sessions``, ``clients``, ``therapists`` and
    ``clinics``, the design (``"alliance:study"`` in ``datapackage.json``)
    from its ``study`` section and the informants of the mapped documents.
    Facets are the consensus user's codings of our codebook's facet codes;
    with ``excerpts: true`` the consensus user's segments shorter than a
    document become excerpts. The folder is validated with
    :func:`alliance.data.dataset.load_study` before anything is kept, and also
    holds ``qdpx_codes.csv``, ``qdpx_documents.csv`` and ``README.md`` (the
    provenance, with this report).

    Parameters
    ----------
    project_path : pathlib.Path or str
        The ``.qdpx`` file.
    mapping_path : pathlib.Path or str
        The mapping (YAML), drafted by :func:`draft_mapping` and edited.
    out : pathlib.Path or str
        The study folder to write; it must not exist or be empty. Nothing is
        written anywhere else.
    segments : bool, default False
        Also compute segment-level agreement (:func:`segment_agreement`) and
        write it to ``qdpx_segment_agreement.csv``.
    threshold : float, default :data:`OVERLAP_THRESHOLD`
        Overlap for two segments to match, for ``segments=True``.

    Returns
    -------
    ImportResult
        The folder, the report lines, the ratings and the segment agreement.

    Raises
    ------
    QdpxError
        If the project, the mapping or the output folder cannot be used, or
        the result would not be a valid study folder; every problem is listed,
        grouped by cause, and nothing is left behind.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from alliance.data.paths import data_dir
    >>> work = Path(tempfile.mkdtemp())
    >>> path = export_qdpx(data_dir(), work / "a.qdpx")
    >>> _ = (work / "map.yaml").write_text(draft_mapping(read_qdpx(path)))
    >>> result = import_qdpx(path, work / "map.yaml", work / "study")
    >>> print(result.report[1])
    3 raters (R1, R2, R3), 110 documents, 8 themes; consensus from user 'consensus'.
    """
    project_path, out = Path(project_path), Path(out)
    if not 0 < threshold <= 1:
        raise QdpxError(f"the overlap threshold must be above 0 and at most 1; got {threshold}")
    project = read_qdpx(project_path)
    _check_out(out)
    if project.segments.empty:
        return _write_without_codings(project, out)
    mapping = _read_mapping(Path(mapping_path))
    problems = _Problems(str(mapping_path))
    plan = _plan(project, mapping, problems)
    sessions = sorted({s for s, _ in plan.units.values()})
    left_out: list[str] = []
    tables = _participant_tables(mapping, sessions, plan.study, problems, left_out)
    problems.raise_any()
    tables.update(_coding_tables(project, plan, problems))
    problems.raise_any()
    names = natural_sorted(set(plan.raters.values()))
    report = [
        f"Read {project.path} ({project.origin or 'origin not stated'}).",
        f"{len(names)} raters ({', '.join(names)}), {len(plan.units)} documents, "
        f"{len(plan.theme_order)} themes; consensus from {plan.consensus_source}.",
        *_coverage_lines(plan),
        *_left_out(project, plan),
        *left_out,
        *(f"note: {note}" for note in project.notes),
        f"{len(tables['facets'])} facets (codes of our codebook's facets by the consensus "
        f"user) and {len(tables['excerpts'])} excerpts"
        + ("" if plan.excerpts else " (excerpts: false in the mapping)")
        + ".",
    ]
    result = ImportResult(out, report, ratings=tables["ratings"])
    if segments:
        result.segments = segment_agreement(
            _coded_segments(project, plan), threshold, coded=_coded_documents(plan)
        )
        report.append(
            "Segment agreement (qdpx_segment_agreement.csv): two segments match when they "
            f"share at least {threshold:.0%} of the characters either covers (counted as "
            "MAXQDA counts segments); character-level agreement and Cohen's kappa pooled over "
            "documents (characters as units, as NVivo's coding comparison)."
        )
    _write_study(project, out, tables, plan, result)
    return result


@dataclass
class _Plan:
    """The checked mapping, by guid: users to raters, codes to themes, documents to interviews."""

    users: dict[str, Any]
    codes: dict[str, Any]
    documents: dict[str, Any]
    raters: dict[str, str]
    themes: dict[str, str]
    theme_order: list[str]
    units: dict[str, tuple[str, str]]
    coders: dict[str, list[str]]
    missing: dict[str, set[tuple[str, str]]]
    consensus_user: str | None
    consensus_source: str
    majority: bool
    excerpts: bool
    study: Design | None
    single_coded: list[tuple[str, str]] = field(default_factory=list)


def _plan(project: Project, mapping: Mapping[str, Any], problems: _Problems) -> _Plan:
    for key in sorted(set(map(str, mapping)) - set(_MAPPING_KEYS)):
        problems.add(f"unknown keys (expected {', '.join(_MAPPING_KEYS)})", key)
    sections = {
        name: _match_keys(frame, _section(mapping, name, problems), name, problems)
        for name, frame in (
            ("users", project.users),
            ("codes", project.codes),
            ("documents", project.documents),
        )
    }
    raters = _check_raters(sections["users"], problems)
    themes = _check_themes(sections["codes"], problems)
    order = [c for c in project.codes["guid"] if c in themes]
    theme_order = list(dict.fromkeys(themes[c] for c in order))
    units = _check_units(project, sections["documents"], problems)
    design = mapping.get("design")
    if design not in _DESIGNS:
        problems.add("design must be 'full' or 'subsample'", repr(design))
    consensus_user, source = _check_consensus(project, mapping.get("consensus"), raters, problems)
    excerpts = mapping.get("excerpts", False)
    if excerpts not in (True, False):
        problems.add("excerpts must be true or false", repr(excerpts))
    informants = [i for i in INFORMANTS if i in {u[1] for u in units.values()}]
    study = _study_design(mapping.get("study"), informants, problems)
    return _Plan(
        **sections,
        raters=raters,
        themes=themes,
        theme_order=theme_order,
        units=units,
        coders=_coders(project, sections["documents"], raters, consensus_user, design, problems),
        missing=_missing(project, sections["documents"], raters, themes, problems),
        consensus_user=consensus_user,
        consensus_source=source,
        majority=mapping.get("consensus") == "majority",
        excerpts=excerpts is True,
        study=study,
    )


def _study_design(value: object, informants: list[str], problems: _Problems) -> Design | None:
    """Check the mapping's ``study`` section and return the design it declares (themes aside)."""
    if not isinstance(value, Mapping):
        problems.add(
            "the mapping needs a 'study' section with the groups the study compares "
            "(see the draft's comments)",
            repr(value),
        )
        return None
    for key in sorted(set(map(str, value)) - {"groups", "settings", "ranges", "reconstructs"}):
        problems.add(
            "unknown keys in 'study' (expected groups, settings, ranges, reconstructs)", key
        )
    if value.get("groups") is None:
        problems.add("study.groups is not filled in (how sessions fall into groups)", "null")
        return None
    record = {
        "schema_version": SCHEMA_VERSION,
        "informants": informants,
        "groups": value.get("groups"),
        "settings": value.get("settings"),
        "ranges": value.get("ranges") or {},
        "reconstructs": value.get("reconstructs"),
    }
    try:
        return read_design({STUDY_KEY: record}, {"themes": []})
    except DesignError as error:
        for where, rule in error.problems:
            problems.add("the study section is not a valid design", f"{where}: {rule}")
    return None


def _check_raters(users: Mapping[str, Any], problems: _Problems) -> dict[str, str]:
    raters = {g: str(r) for g, r in users.items() if r is not None}
    for rater in raters.values():
        if not ID_RE.match(rater) or rater in ("consensus", "majority"):
            problems.add(
                "users must map to rater ids (letters, digits, _ . -; not 'consensus') or null",
                repr(rater),
            )
    values = list(raters.values())
    for rater in sorted({r for r in values if values.count(r) > 1}):
        problems.add("rater ids given to more than one user", rater)
    if len(set(values)) < 2:
        problems.add("fewer than two raters mapped (agreement needs two)", len(set(values)))
    return raters


def _check_themes(codes: Mapping[str, Any], problems: _Problems) -> dict[str, str]:
    themes = {g: str(t) for g, t in codes.items() if t is not None}
    for theme in sorted(t for t in set(themes.values()) if not ID_RE.match(t)):
        problems.add("theme ids must be letters, digits, _ . - (no leading sign)", repr(theme))
    if not themes:
        problems.add("no code is mapped to a theme", "codes")
    return themes


def _check_units(
    project: Project, documents: Mapping[str, Any], problems: _Problems
) -> dict[str, tuple[str, str]]:
    keys = dict(zip(project.documents["guid"], project.documents["key"], strict=True))
    units: dict[str, tuple[str, str]] = {}
    for guid, target in documents.items():
        if target is None:
            continue
        if (
            not isinstance(target, Mapping)
            or not target.get("session")
            or target.get("informant") not in INFORMANTS
        ):
            problems.add(
                "documents without a session and an informant (client or therapist)",
                repr(keys[guid]),
            )
            continue
        session = str(target["session"])
        if not re.fullmatch(ID_PATTERN, session):
            problems.add(f"session ids that do not match {ID_PATTERN}", repr(session))
        units[guid] = (session, str(target["informant"]))
    pairs = list(units.values())
    for pair in sorted({p for p in pairs if pairs.count(p) > 1}):
        problems.add("interviews with more than one document (a study holds one)", "/".join(pair))
    return units


def _coders(
    project: Project,
    documents: Mapping[str, Any],
    raters: Mapping[str, str],
    consensus_user: str | None,
    design: object,
    problems: _Problems,
) -> dict[str, list[str]]:
    """Who coded each mapped document (user guids): listed, everyone, or who made codings."""
    guids = dict(zip(project.users["key"], project.users["guid"], strict=True))
    keys = dict(zip(project.documents["guid"], project.documents["key"], strict=True))
    mapped = [*raters, *([consensus_user] if consensus_user else [])]
    made = project.segments.groupby("document")["user"].agg(set).to_dict()
    coders = {}
    for guid, target in documents.items():
        if not isinstance(target, Mapping):
            continue
        listed = target.get("coders")
        if listed is not None:
            if not isinstance(listed, list):
                problems.add("a document's coders must be a list of user names", keys[guid])
                listed = []
            for name in (str(n) for n in listed if str(n) not in guids):
                problems.add("coders that are not users of the project", f"{keys[guid]}: {name}")
            found = {guids.get(str(name)) for name in listed}
            coders[guid] = [u for u in mapped if u in found]
        elif design == "full":
            coders[guid] = mapped
        else:
            coders[guid] = [u for u in mapped if u in made.get(guid, set())]
    return coders


def _missing(
    project: Project,
    documents: Mapping[str, Any],
    raters: Mapping[str, str],
    themes: Mapping[str, str],
    problems: _Problems,
) -> dict[str, set[tuple[str, str]]]:
    """Ratings a document's ``missing`` list leaves explicitly empty: (user guid, theme)."""
    guids = dict(zip(project.users["key"], project.users["guid"], strict=True))
    keys = dict(zip(project.documents["guid"], project.documents["key"], strict=True))
    missing: dict[str, set[tuple[str, str]]] = {}
    for guid, target in documents.items():
        listed = target.get("missing") if isinstance(target, Mapping) else None
        for entry in listed or []:
            user, _, theme = str(entry).partition(":")
            if guids.get(user) not in raters or theme not in set(themes.values()):
                problems.add(
                    "missing ratings must be 'user:theme' of a mapped rater and theme",
                    f"{keys[guid]}: {entry}",
                )
                continue
            missing.setdefault(guid, set()).add((guids[user], theme))
    return missing


def _check_consensus(
    project: Project, key: object, raters: Mapping[str, str], problems: _Problems
) -> tuple[str | None, str]:
    if key == "majority":
        return None, "the raters' majority vote"
    if key is None:
        return None, "the raters' coding of single-coded interviews"
    users = project.users
    match = users[(users["key"] == str(key)) | (users["guid"] == str(key))]
    if match.empty:
        problems.add(
            "consensus must name a user of the project, be 'majority', or be null", repr(key)
        )
        return None, ""
    if match["guid"].iloc[0] in raters:
        problems.add("the consensus user is also mapped to a rater", repr(key))
    return match["guid"].iloc[0], f"user {match['key'].iloc[0]!r}"


def _coverage_lines(plan: _Plan) -> list[str]:
    """Say how many interviews each number of raters coded, and how each consensus was made."""
    counts: dict[int, int] = {}
    for guid in plan.units:
        n = sum(u in plan.raters for u in plan.coders.get(guid, []))
        counts[n] = counts.get(n, 0) + 1
    lines = [
        "Coverage: "
        + ", ".join(f"{counts[n]} interview(s) coded by {n} rater(s)" for n in sorted(counts))
        + "."
    ]
    for rater in natural_sorted(set(plan.raters.values())):
        guid = next(g for g, r in plan.raters.items() if r == rater)
        done = sum(guid in plan.coders.get(d, []) for d in plan.units)
        lines.append(f"{rater} coded {done} of {len(plan.units)} interviews.")
    if plan.single_coded:
        lines.append(
            f"{len(plan.single_coded)} single-coded interview(s) take their one rater's coding "
            "as the consensus (no second coding to agree with)."
        )
    return lines


def _coding_tables(project: Project, plan: _Plan, problems: _Problems) -> dict[str, pd.DataFrame]:
    """Return the ratings, consensus, facets and excerpts tables."""
    rated = [*plan.raters, *([plan.consensus_user] if plan.consensus_user else [])]
    coded = _presence(project, dict.fromkeys(rated, ""), plan.themes, plan.units)
    present = {tuple(row) for row in coded[["session_id", "informant", "user", "theme"]].to_numpy()}
    ratings: list[tuple] = []
    consensus: list[tuple] = []
    vote: list[tuple[str, str]] = []
    keys = dict(zip(project.documents["guid"], project.documents["key"], strict=True))
    for guid, (session, informant) in sorted(plan.units.items(), key=lambda item: item[1]):
        who = plan.coders.get(guid, [])
        raters = [u for u in who if u in plan.raters]
        if not raters:
            problems.add(
                "documents no rater coded (map them to null or list their coders)", repr(keys[guid])
            )
            continue
        marks = {
            user: [int((session, informant, user, t) in present) for t in plan.theme_order]
            for user in who
        }
        empty = plan.missing.get(guid, set())
        for user in raters:
            ratings += [
                (
                    session,
                    informant,
                    plan.raters[user],
                    theme,
                    None if (user, theme) in empty else mark,
                )
                for theme, mark in zip(plan.theme_order, marks[user], strict=True)
            ]
        if plan.consensus_user in who:
            agreed = marks[plan.consensus_user]
        elif len(raters) == 1:
            plan.single_coded.append((session, informant))
            agreed = marks[raters[0]]
        elif plan.majority:
            vote.append((session, informant))
            continue
        else:
            problems.add(
                "interviews coded by several raters without a consensus coding (name a "
                "consensus user who coded them, or 'majority')",
                f"{session}/{informant}",
            )
            continue
        consensus += [
            (session, informant, theme, int(mark))
            for theme, mark in zip(plan.theme_order, agreed, strict=True)
        ]
    columns = ["session_id", "informant", "rater", "theme", "present"]
    ratings_frame = pd.DataFrame(ratings, columns=columns).astype({"present": "Int64"})
    if vote:
        units = pd.MultiIndex.from_frame(ratings_frame[columns[:2]]).isin(vote)
        votes = majority_vote(ratings_frame[units])
        for row in votes[votes["majority"].isna()].itertuples():
            problems.add(
                "majority-vote ties (map a consensus user instead)",
                f"{row.session_id}/{row.informant}/{row.theme}",
            )
        consensus += [
            (row.session_id, row.informant, row.theme, int(row.majority))
            for row in votes.dropna(subset=["majority"]).itertuples()
        ]
    tables = {
        "ratings": _sorted(ratings_frame, columns[:3], plan.theme_order),
        "consensus": _sorted(
            pd.DataFrame(consensus, columns=[*columns[:2], *columns[3:]]),
            columns[:2],
            plan.theme_order,
        ),
    }
    tables.update(_facets_and_excerpts(project, plan))
    return tables


def _facets_and_excerpts(project: Project, plan: _Plan) -> dict[str, pd.DataFrame]:
    """Facets and excerpts from the consensus user's codings (our codebook's facet codes)."""
    columns = {n: [f["name"] for f in table_schema(n)["fields"]] for n in ("facets", "excerpts")}
    if plan.consensus_user is None:
        return {name: pd.DataFrame(columns=names) for name, names in columns.items()}
    kinds = dict(zip(project.codes["guid"], project.codes["kind_id"], strict=True))
    coded = [c for c, kind in kinds.items() if kind.startswith("facet:")]
    rows = _mapped(
        project, {plan.consensus_user: ""}, {**plan.themes, **dict.fromkeys(coded)}, plan.units
    )
    rows = rows.sort_values(["document", "start", "end"], kind="stable")
    facets, excerpts = [], []
    lengths = project.documents.set_index("guid")["characters"]
    for row in rows.itertuples():
        session, informant = plan.units[row.document]
        facet, valence, theme = "", "", plan.themes.get(row.code, "")
        if row.code in coded:
            facet, valence, theme = kinds[row.code].split(":")[1:4]
            facets.append((session, informant, facet, valence, theme))
        whole = row.start == 0 and (pd.isna(row.end) or row.end == lengths[row.document])
        if plan.excerpts and not whole and row.document in project.texts:
            text = project.texts[row.document][row.start : row.end]
            excerpts.append((session, informant, row.start, theme, facet, text))
    excerpt_frame = pd.DataFrame(
        excerpts, columns=["session_id", "informant", "start", "theme", "facet", "text"]
    ).sort_values(["session_id", "informant", "start"], kind="stable", ignore_index=True)
    excerpt_frame.insert(0, "excerpt_id", [f"E{n:04d}" for n in range(1, len(excerpt_frame) + 1)])
    # Only the compendium's own synthetic study declares its excerpts fictional.
    excerpt_frame["fictional"] = "yes" if _synthetic(project) is not None else ""
    return {
        "facets": pd.DataFrame(list(dict.fromkeys(facets)), columns=columns["facets"]),
        "excerpts": excerpt_frame[columns["excerpts"]],
    }


def _left_out(project: Project, plan: _Plan) -> list[str]:
    """Say what the mapping leaves out, with how many codings each part carries."""
    lines = []
    segments = project.segments
    facet = project.codes.loc[project.codes["kind_id"].str.startswith("facet:"), "guid"]
    for what, column, frame, mapped in (
        ("users", "user", project.users, plan.users),
        ("codes", "code", project.codes[~project.codes["guid"].isin(facet)], plan.codes),
        ("documents", "document", project.documents, plan.documents),
    ):
        out = frame[[mapped.get(g) is None and g != plan.consensus_user for g in frame["guid"]]]
        if len(out):
            count = segments[column].isin(out["guid"]).sum()
            lines.append(
                f"left out (mapped to null): {len(out)} {what} with {count} codings: "
                + ", ".join(repr(k) for k in out["key"][:6])
                + (" ..." if len(out) > 6 else "")
            )
    by_raters = segments["code"].isin(facet) & segments["user"].isin(list(plan.raters))
    if by_raters.any():
        lines.append(
            f"left out: {by_raters.sum()} codings of facets by raters (the current schema "
            "holds facets of the consensus coding only)"
        )
    stray = ~segments["code"].isin(project.codes["guid"])
    if stray.any():
        lines.append(f"left out: {stray.sum()} codings of codes that are not in the codebook")
    unknown = segments[~segments["user"].isin(project.users["guid"])]
    if len(unknown):
        lines.append(
            f"left out: {len(unknown)} codings by no user of the project "
            "(creatingUser missing or unknown)"
        )
    return lines


def _study_codebook(project: Project, plan: _Plan) -> dict[str, Any]:
    """Return the study's codebook: ours when the project carries it whole, else from the codes.

    Each theme takes the name of the first code mapped to it as its label and
    that code's description (on one line, without our ``Id:`` line) as its
    definition.
    """
    ours = project.codebook
    if ours is not None and [t["id"] for t in ours["themes"]] == plan.theme_order:
        return ours
    themes = []
    codes = project.codes.set_index("guid")
    for theme in plan.theme_order:
        first = codes.loc[next(g for g in codes.index if plan.themes.get(g) == theme)]
        entry = {"id": theme, "label": " ".join(str(first["label"]).split()) or theme}
        paragraphs = str(first["definition"]).replace("\r\n", "\n").split("\n\n")
        definition = " ".join(
            " ".join(p.split()) for p in paragraphs if not p.startswith("Id: ")
        ).strip()
        if definition:
            entry["definition"] = definition
        themes.append(entry)
    return {
        "title": "Codebook of the REFI-QDA project " + (" ".join(project.name.split()) or "?"),
        "source": f"the codes of {project.path.name}, as mapped by import-qdpx",
        "themes": themes,
    }


def _readme(project: Project, plan: _Plan, report: list[str]) -> str:
    """Write the provenance of an imported folder (the report in a fence it cannot close)."""
    lines = [
        "# Provenance",
        "",
        f"Imported with `python -m alliance import-qdpx` from the REFI-QDA project "
        f"`{project.path.name}`.",
        "",
        "- Themes are the codes the mapping maps; their labels and definitions are the codes' "
        "names and descriptions in the project.",
        "- `ratings.csv` holds a row only for the interviews each rater coded: nothing is "
        "filled in for a rater who did not code an interview.",
        f"- The consensus (`consensus.csv`) comes from {plan.consensus_source}.",
    ]
    if plan.single_coded:
        lines.append(
            f"- {len(plan.single_coded)} interview(s) were coded by one rater only "
            "(single-coded); their consensus is that rater's coding."
        )
    fence = "`" * (max((len(r) for r in re.findall("`+", "\n".join(report))), default=0) + 3)
    lines += ["", "## Import report", "", fence + "text", *report, fence, ""]
    return "\n".join(lines)


def _write_study(
    project: Project,
    out: Path,
    tables: Mapping[str, pd.DataFrame],
    plan: _Plan,
    result: ImportResult,
) -> None:
    """Write the folder, validate it, and remove what was written if it is not valid."""
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        for name in TABLES:
            text = tables[name].to_csv(index=False, lineterminator="\n")
            (out / f"{name}.csv").write_bytes(text.encode("utf-8"))
        codebook = _study_codebook(project, plan)
        text = (
            codebook_text()
            if codebook == load_codebook()
            else yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True, width=10**6)
        )
        (out / CODEBOOK_FILE).write_bytes(text.encode("utf-8"))
        (out / README_FILE).write_text(_readme(project, plan, result.report), encoding="utf-8")
        assert plan.study is not None  # refused earlier otherwise
        design = read_design({STUDY_KEY: design_record(plan.study)}, codebook)
        write_datapackage(out, synthetic=_synthetic(project), design=design)
        load_study(out)
    except StudyValidationError as error:
        _remove(out, created)
        raise QdpxError(
            f"the mapped project does not make a valid study folder (nothing kept):\n{error}"
        ) from None
    except BaseException:
        _remove(out, created)
        raise
    project.codes["theme"] = project.codes["guid"].map(plan.themes)
    _write_provenance(project, out, _document_table(project, plan.units), result.report)
    if result.segments is not None:
        result.segments.to_csv(out / "qdpx_segment_agreement.csv", index=False, lineterminator="\n")


def _remove(out: Path, created: bool) -> None:
    if created:
        shutil.rmtree(out, ignore_errors=True)
    else:
        for child in out.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def _synthetic(project: Project) -> dict[str, Any] | None:
    found = _declared(project, _SYNTHETIC_LINE.strip())
    return None if found is None else {**found, "via": f"REFI-QDA project {project.path.name}"}


# -- segment-level agreement -----------------------------------------------------------------


def _coded_documents(plan: _Plan) -> pd.DataFrame:
    """Return which rater coded which document, as :func:`segment_agreement` takes it."""
    rows = [
        ("/".join(plan.units[d]), plan.raters[u])
        for d in plan.units
        for u in plan.coders.get(d, [])
        if u in plan.raters
    ]
    return pd.DataFrame(rows, columns=["document", "rater"])


def _coded_segments(project: Project, plan: _Plan) -> pd.DataFrame:
    """Return the raters' segments in the shape :func:`segment_agreement` takes."""
    raters, themes, units = plan.raters, plan.themes, plan.units
    rows = _mapped(project, raters, themes, units)
    characters = project.documents.set_index("guid")["characters"]
    longest = rows.groupby("document")["end"].max()
    lengths = {
        d: int(characters.get(d)) if not pd.isna(characters.get(d)) else int(longest.get(d, 0))
        for d in units
    }
    return pd.DataFrame(
        {
            "document": ["/".join(units[d]) for d in rows["document"]],
            "rater": [raters[u] for u in rows["user"]],
            "theme": [themes[c] for c in rows["code"]],
            "start": rows["start"].astype(int).to_numpy(),
            "end": [
                lengths[d] if pd.isna(e) else int(e)
                for d, e in zip(rows["document"], rows["end"], strict=True)
            ],
            "characters": [lengths[d] for d in rows["document"]],
        }
    )


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    either = max(a[1], b[1]) - min(a[0], b[0])
    return max(shared, 0) / either if either > 0 else float(a == b)


def segment_agreement(
    segments: pd.DataFrame,
    threshold: float = OVERLAP_THRESHOLD,
    coded: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Agreement of two coders on coded segments, per theme, as QDA programs report it.

    Two measures for each pair of raters and each theme, over the documents in
    ``segments``:

    * **segments** (as MAXQDA's segment-level intercoder agreement): each
      segment of either rater is an *agreement* if the other rater coded the
      same theme in the same document on a segment that shares at least
      ``threshold`` of the characters either of the two covers
      (intersection / union); ``segment_agreement`` = agreements / segments;
    * **characters** (as NVivo's coding comparison): every character of every
      document is a unit, coded or not by each rater; ``char_agreement`` is the
      share of characters on which they agree and ``char_kappa`` Cohen's kappa
      over those characters, pooled over the documents.

    Both follow how those programs count (segments matched at an overlap
    threshold; characters as units); the overlap measure and the pooling over
    documents are this compendium's, stated here and in the import report, so
    the numbers need not equal what either program prints for the same project.

    Parameters
    ----------
    segments : pandas.DataFrame
        One row per coded segment: ``document``, ``rater``, ``theme``, ``start``,
        ``end`` (character positions, end exclusive) and ``characters`` (the
        document's length).
    threshold : float, default :data:`OVERLAP_THRESHOLD`
        Overlap for two segments to match, above 0 and at most 1.
    coded : pandas.DataFrame, optional
        ``document``, ``rater``: which rater coded which document (a
        double-coded subsample). A pair is compared only on the documents both
        coded; by default every rater coded every document in ``segments``.

    Returns
    -------
    pandas.DataFrame
        One row per rater pair and theme: ``rater_a``, ``rater_b``, ``theme``,
        ``segments_a``, ``segments_b``, ``agreements``, ``segment_agreement``,
        ``threshold``, ``chars_both``, ``chars_a_only``, ``chars_b_only``,
        ``chars_neither``, ``char_agreement``, ``char_kappa`` (NaN when undefined).

    Examples
    --------
    >>> segments = pd.DataFrame({"document": "D1", "rater": ["R1", "R2", "R1"],
    ...     "theme": "trust", "start": [0, 5, 60], "end": [50, 50, 80], "characters": 100})
    >>> row = segment_agreement(segments).iloc[0]
    >>> counts = int(row["agreements"]), int(row["segments_a"] + row["segments_b"])
    >>> counts, float(row["char_agreement"])
    ((2, 3), 0.75)
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be above 0 and at most 1; got {threshold}")
    raters = natural_sorted(segments["rater"].unique())
    lengths = segments.groupby("document")["characters"].max()
    rows = []
    for i, a in enumerate(raters):
        for b in raters[i + 1 :]:
            both = lengths
            if coded is not None:
                by = coded.groupby("rater")["document"].agg(set)
                both = lengths[lengths.index.isin(by.get(a, set()) & by.get(b, set()))]
            for theme in dict.fromkeys(segments["theme"]):
                rows.append(_pair(segments, a, b, theme, both, threshold))
    return pd.DataFrame(rows)


def _pair(
    segments: pd.DataFrame, a: str, b: str, theme: str, lengths: pd.Series, threshold: float
) -> dict:
    mine = segments[segments["theme"] == theme]
    spans = {
        rater: mine[mine["rater"] == rater]
        .groupby("document")[["start", "end"]]
        .apply(lambda f: list(map(tuple, f.to_numpy())))
        for rater in (a, b)
    }
    counts = {"segments_a": 0, "segments_b": 0, "agreements": 0}
    cells = np.zeros(4, dtype=np.int64)  # both, a only, b only, neither
    for document, length in lengths.items():
        first, second = spans[a].get(document, []), spans[b].get(document, [])
        counts["segments_a"] += len(first)
        counts["segments_b"] += len(second)
        counts["agreements"] += sum(any(_overlap(x, y) >= threshold for y in second) for x in first)
        counts["agreements"] += sum(any(_overlap(y, x) >= threshold for x in first) for y in second)
        marks = np.zeros((2, int(length)), dtype=bool)
        for row, found in enumerate((first, second)):
            for start, end in found:
                marks[row, start:end] = True
        cells += [
            np.sum(marks[0] & marks[1]),
            np.sum(marks[0] & ~marks[1]),
            np.sum(~marks[0] & marks[1]),
            np.sum(~marks[0] & ~marks[1]),
        ]
    total = cells.sum()
    observed = (cells[0] + cells[3]) / total if total else np.nan
    p_a, p_b = (
        (cells[0] + cells[1]) / total if total else np.nan,
        (cells[0] + cells[2]) / total if total else np.nan,
    )
    expected = p_a * p_b + (1 - p_a) * (1 - p_b)
    kappa = (observed - expected) / (1 - expected) if total and expected < 1 else np.nan
    segments_total = counts["segments_a"] + counts["segments_b"]
    return {
        "rater_a": a,
        "rater_b": b,
        "theme": theme,
        **counts,
        "segment_agreement": counts["agreements"] / segments_total if segments_total else np.nan,
        "threshold": threshold,
        "chars_both": int(cells[0]),
        "chars_a_only": int(cells[1]),
        "chars_b_only": int(cells[2]),
        "chars_neither": int(cells[3]),
        "char_agreement": float(observed),
        "char_kappa": float(kappa),
    }


# -- export ----------------------------------------------------------------------------------


def _element(
    parent: ET.Element, tag: str, text: str | None = None, **attributes: str
) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _document_text(study: Any, session: str, informant: str, excerpts: pd.DataFrame) -> str:
    if study.synthetic is not None:
        head = [
            "FICTIONAL EXCERPTS - SYNTHETIC DATA. No real client or therapist said these words; "
            "they were written for the alliance compendium's synthetic reconstruction.",
        ]
    else:
        head = [f"Excerpts of the study folder {study.path.name}."]
    head.append(f"Session {session}, {informant} interview.")
    body = list(excerpts["text"]) or ["(The study folder has no excerpt of this interview.)"]
    return "\n\n".join([*head, *body]) + "\n"


_VARIABLES = (
    ("role", "Text", "Whose case this is: client or therapist."),
    ("ethnicity", "Text", "Ethnic group as recorded by the study."),
    ("gender", "Text", "Gender as recorded by the study."),
    ("age", "Integer", "Client's age in years at the intake."),
    ("education_years", "Integer", "Client's years of formal education."),
    ("clinic", "Text", "Therapist's clinic."),
    ("setting", "Text", "Kind of clinic of the therapist."),
    ("profession", "Text", "Therapist's professional discipline."),
    ("years_experience", "Integer", "Therapist's years of clinical experience."),
    ("session", "Text", "Intake session the interview is about."),
    ("informant", "Text", "Whose interview this is: client or therapist."),
    ("coders", "Text", "The users who coded this interview, separated by ';'."),
    ("missing", "Text", "Ratings left explicitly missing, as user:theme, separated by ';'."),
)


def _variables(study: Any) -> list[tuple[str, str, str]]:
    """List an exported project's variables: ours, then the study's other participant columns."""
    known = {name for name, _, _ in _VARIABLES} | {"client_id", "therapist_id", "clinic_id"}
    extra = [
        (name, "Text", f"The study folder's {name} column of {table}.csv.")
        for table, frame in (("clients", study.clients), ("therapists", study.therapists))
        for name in frame.columns
        if name not in known
    ]
    return [*_VARIABLES, *dict.fromkeys(extra)]


def _value(parent: ET.Element, name: str, value: object, kinds: Mapping[str, str]) -> None:
    if value is None or pd.isna(value) or value == "":
        return
    kind = kinds[name]
    element = _element(parent, "VariableValue")
    _element(element, "VariableRef", targetGUID=_uuid(f"variable:{name}"))
    _element(element, "IntegerValue" if kind == "Integer" else "TextValue", str(value))


def export_qdpx(folder: Path | str, out: Path | str, *, carry_design: bool = True) -> Path:
    """Write a study folder as a REFI-QDA project (``.qdpx``) for QDA programs.

    One text source per interview (session x informant), built from that
    interview's excerpts and labelled fictional when the study is synthetic;
    the codebook with its sets (as :func:`alliance.exchange.refi.export_codebook`
    writes it); one user per rater and a user ``consensus`` for the agreed
    coding; for each rater (and the consensus) and each theme coded present, a
    coding of a selection spanning the whole document. Clients and therapists
    are cases with their attributes as variables; documents carry ``session``
    and ``informant`` variables. The same folder always gives the same bytes.

    Parameters
    ----------
    folder : pathlib.Path or str
        A valid study folder (checked with :func:`alliance.data.dataset.load_study`).
    out : pathlib.Path or str
        The ``.qdpx`` file to write; an existing file is refused.
    carry_design : bool, default True
        Write the study's design (``"alliance:study"``) as a line of the
        project's description, so that :func:`draft_mapping` restores it.
        ``False`` writes the project as another program would: the mapping
        must then say which groups the study compares.

    Returns
    -------
    pathlib.Path
        The file written; ``project.qde`` in it is valid against the QDA-XML 1.0
        ``Project.xsd``.

    Raises
    ------
    QdpxError
        If the folder is not a valid study or ``out`` exists.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from alliance.data.paths import data_dir
    >>> path = export_qdpx(data_dir(), Path(tempfile.mkdtemp()) / "alliance.qdpx")
    >>> names = zipfile.ZipFile(path).namelist()
    >>> names[0], len(names)
    ('project.qde', 111)
    """
    out = Path(out)
    if out.exists():
        raise QdpxError(f"{out}: exists; refusing to overwrite it")
    try:
        study = load_study(folder)
    except StudyValidationError as error:
        raise QdpxError(f"the study folder is not valid, so it is not exported:\n{error}") from None
    root = ET.Element(
        "Project",
        {
            "xmlns": PROJECT_NAMESPACE,
            "name": "alliance: working alliance in intake dyads",
            "origin": ORIGIN,
        },
    )
    raters = natural_sorted(study.ratings["rater"].unique())
    users = {rater: _uuid(f"user:{rater}") for rater in raters}
    users[CONSENSUS_USER] = _uuid(f"user:{CONSENSUS_USER}")
    user_list = _element(root, "Users")
    for name, guid in users.items():
        _element(user_list, "User", guid=guid, name=name)
    codebook = _codebook_element(study.codebook)
    project_codebook = _element(root, "CodeBook")
    project_codebook.append(next(child for child in codebook if child.tag == "Codes"))
    variables = _element(root, "Variables")
    for name, kind, description in _variables(study):
        variable = _element(
            variables, "Variable", guid=_uuid(f"variable:{name}"), name=name, typeOfVariable=kind
        )
        _element(variable, "Description", description)
    documents = {
        (session, informant): _uuid(f"document:{session}:{informant}")
        for session in sorted(study.sessions["session_id"])
        for informant in study.design.informants
    }
    kinds = {name: kind for name, kind, _ in _variables(study)}
    _add_cases(_element(root, "Cases"), study, documents, kinds)
    empty = study.ratings[study.ratings["present"].isna()]
    missing = {
        unit: ";".join(f"{r}:{t}" for r, t in zip(rows["rater"], rows["theme"], strict=True))
        for unit, rows in empty.groupby(["session_id", "informant"])
    }
    coders = study.ratings.groupby(["session_id", "informant"])["rater"].agg(
        lambda found: ";".join([*natural_sorted(set(found)), CONSENSUS_USER])
    )
    sources = _element(root, "Sources")
    texts = {}
    for (session, informant), guid in documents.items():
        rows = study.excerpts[
            (study.excerpts["session_id"] == session) & (study.excerpts["informant"] == informant)
        ]
        text = _document_text(study, session, informant, rows)
        texts[guid] = text
        source = _element(
            sources,
            "TextSource",
            guid=guid,
            name=f"{session} {informant} interview",
            plainTextPath=f"internal://{guid}.txt",
        )
        for key, who, code, begin, finish in _codings(study, session, informant, text, rows):
            selection = _element(
                source,
                "PlainTextSelection",
                guid=_uuid(f"selection:{guid}:{key}"),
                startPosition=str(begin),
                endPosition=str(finish),
                creatingUser=users[who],
            )
            coding = _element(
                selection, "Coding", guid=_uuid(f"coding:{guid}:{key}"), creatingUser=users[who]
            )
            _element(coding, "CodeRef", targetGUID=_guid(code))
        _value(source, "session", session, kinds)
        _value(source, "informant", informant, kinds)
        _value(source, "coders", coders.get((session, informant), CONSENSUS_USER), kinds)
        _value(source, "missing", missing.get((session, informant)), kinds)
    project_sets = next((child for child in codebook if child.tag == "Sets"), None)
    if project_sets is not None:
        for member in project_sets.iter("MemberCode"):  # a project's sets refer by targetGUID
            member.set("targetGUID", member.attrib.pop("guid"))
        root.append(project_sets)
    _element(root, "Description", _project_description(study, carry_design))
    ET.indent(root, space="  ")
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "x", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [
            ("project.qde", xml),
            *((f"sources/{g}.txt", t) for g, t in texts.items()),
        ]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data.encode("utf-8"))
    return out


def _codings(
    study: Any, session: str, informant: str, text: str, excerpts: pd.DataFrame
) -> Iterator[tuple[str, str, str, int, int]]:
    """Yield (key, user, code id, start, end) for one interview's codings.

    Each rater and the consensus code the whole document once per theme coded
    present; the consensus also codes each facet of ``facets.csv`` on the whole
    document, and each excerpt where it stands in the text, with its facet's
    code or else its theme's.
    """
    raters = natural_sorted(study.ratings["rater"].unique())
    tables = [(r, study.ratings[study.ratings["rater"] == r]) for r in raters]
    for who, table in [*tables, (CONSENSUS_USER, study.consensus)]:
        mine = (table["session_id"] == session) & (table["informant"] == informant)
        for theme in table.loc[mine & (table["present"] == 1), "theme"]:
            yield f"{who}:{theme}", who, f"theme:{theme}", 0, len(text)
    facets = study.facets[
        (study.facets["session_id"] == session) & (study.facets["informant"] == informant)
    ]
    valence = dict(zip(facets["facet"], facets["valence"], strict=True))
    for row in facets.itertuples():
        code = f"facet:{row.facet}:{row.valence}:{row.theme}"
        yield f"facet:{row.facet}", CONSENSUS_USER, code, 0, len(text)
    cursor = 0
    for row in excerpts.itertuples():
        begin = text.index(row.text, cursor)
        cursor = begin + len(row.text)
        code = f"theme:{row.theme}"
        if not pd.isna(row.facet):
            code = f"facet:{row.facet}:{valence[row.facet]}:{row.theme}"
        yield f"excerpt:{row.excerpt_id}", CONSENSUS_USER, code, begin, cursor


def _add_cases(
    cases: ET.Element,
    study: Any,
    documents: Mapping[tuple[str, str], str],
    kinds: Mapping[str, str],
) -> None:
    sessions = study.sessions
    settings = dict(zip(study.clinics["clinic_id"], study.clinics["setting"], strict=True))
    for kind, table, key in (
        ("client", study.clients, "client_id"),
        ("therapist", study.therapists, "therapist_id"),
    ):
        for row in table.sort_values(key).to_dict("records"):
            case = _element(cases, "Case", guid=_uuid(f"case:{kind}:{row[key]}"), name=row[key])
            _value(case, "role", kind, kinds)
            for name in dict.fromkeys([*_CASE_FIELDS[kind], *row]):
                if name in kinds and name not in ("role", "setting"):
                    _value(case, name, row.get("clinic_id" if name == "clinic" else name), kinds)
            if kind == "therapist":
                _value(case, "setting", settings.get(row["clinic_id"]), kinds)
            for session in sorted(sessions.loc[sessions[key] == row[key], "session_id"]):
                for informant in study.design.informants:
                    _element(case, "SourceRef", targetGUID=documents[(session, informant)])


def _project_description(study: Any, carry_design: bool) -> str:
    lines = [
        "Written by the alliance compendium (python -m alliance export-qdpx) from the study "
        f"folder {study.path.name}. One text source per interview holds its excerpts; each "
        "user but 'consensus' is a rater and 'consensus' is the agreed coding; each coding of "
        "a whole document marks a theme that user coded present in that interview, and a "
        "document's 'coders' variable names the users who coded it.",
    ]
    if study.synthetic is not None:
        lines.insert(
            0,
            "SYNTHETIC DATA: a fictional reconstruction; no row, code or excerpt comes from a "
            "real client, therapist or interview.",
        )
        lines.append(_SYNTHETIC_LINE + json.dumps(study.synthetic, sort_keys=True))
    if carry_design:
        lines.append(_STUDY_LINE + json.dumps(design_record(study.design), sort_keys=True))
    return "\n".join(lines)
