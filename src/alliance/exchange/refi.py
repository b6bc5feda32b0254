"""Exchange the codebook with QDA software through the REFI-QDA Codebook format.

ATLAS.ti, MAXQDA, NVivo, QualCoder and other qualitative data analysis
programs read and write the REFI-QDA *Codebook Exchange* format (``.qdc``, XML
namespace ``urn:QDA-XML:codebook:1.0``). :func:`export_codebook` writes the
compendium's ``codebook.yaml`` in that format and :func:`import_codebook`
reads such a file back into the same structure, so a team can refine the
codebook in its QDA program and bring it back without losing anything.

How the codebook maps onto the format:

* each theme is a top-level ``Code``; its ``Description`` holds the
  definition, the rules for when to code it and when not to, and the example;
* each facet is nested under every theme it may be coded under, once per
  valence, e.g. *frustration > eye contact (negative)*, exactly as a row of
  ``facets.csv`` pairs a facet and valence with its parent theme;
* ``Set`` elements group the themes by valence (our grouping) and coding
  difficulty, the facets by facet group, and carry the codebook's title,
  source, coding unit and version;
* every element's ``Description`` ends with a line ``Id: ...`` naming what it
  is (``theme:trust``, ``facet:client_openness:negative``, ...), which is how
  the import recognises it after a trip through another program;
* GUIDs are :func:`uuid.uuid5` of that id, so the same codebook always gives
  the same file.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> path = export_codebook(Path(tempfile.mkdtemp()) / "alliance.qdc")
>>> print(path.read_text(encoding="utf-8").splitlines()[1])
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="alliance compendium">
>>> from alliance.data.codebook import load_codebook
>>> import_codebook(path) == load_codebook()
True
"""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from alliance.data.codebook import FACET_KEYS, REQUIRED_THEME_KEYS, THEME_KEYS, load_codebook

__all__ = [
    "NAMESPACE",
    "GUID_NAMESPACE",
    "codebook_from_element",
    "export_codebook",
    "import_codebook",
    "parse_xml",
    "plain_codes",
]

NAMESPACE = "urn:QDA-XML:codebook:1.0"
"""XML namespace of the REFI-QDA Codebook Exchange format, version 1.0."""

GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://doi.org/10.1177/1473325020923013#codebook")
"""Namespace of the name-based (version 5) UUIDs given to codes and sets."""

ORIGIN = "alliance compendium"
COLOURS = {"positive": "#0072B2", "negative": "#D55E00"}
"""Code colours by valence (Okabe-Ito blue and vermillion, readable with colour blindness)."""

_REQUIRED_TOP = (
    "title",
    "version",
    "source",
    "coding_unit",
    "valence_grouping",
    "difficulty_levels",
    "themes",
    "facet_groups",
    "facets",
)
QDC_LIMIT = 8 * 1024 * 1024
"""Largest ``.qdc`` file :func:`import_codebook` reads, in bytes (8 MiB, far above any codebook).

A larger file is refused before it is parsed."""

_BAD_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r\n]")
_ID_LINE = "Id: "


def _guid(kind_id: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, kind_id))


def _text(value: object, where: str) -> str:
    """Check that ``value`` is one line of text that an XML description can carry."""
    if not isinstance(value, str):
        raise ValueError(f"codebook {where} must be text; got {type(value).__name__} {value!r}")
    if _BAD_CHARACTERS.search(value):
        raise ValueError(
            f"codebook {where} contains a line break or control character: {value!r}; "
            "write it on one line (YAML '>-' folds lines) so it survives the .qdc round trip"
        )
    return value


def _identifier(value: object, where: str) -> str:
    """Check an id, valence or level: it becomes part of an ``Id:`` line split at colons."""
    text = _text(value, where)
    if not text or ":" in text or text != text.strip():
        raise ValueError(
            f"codebook {where} = {text!r} cannot be used as an identifier in a .qdc file: "
            "it must be non-empty, without colons or surrounding spaces"
        )
    return text


def _description(paragraphs: list[str], kind_id: str) -> str:
    return "\n\n".join([*paragraphs, _ID_LINE + kind_id])


def _bullets(heading: str, items: object, where: str) -> list[str]:
    if items is None:  # a theme without these rules (schema 2)
        return []
    if not isinstance(items, list):
        raise ValueError(f"codebook {where} must be a list of rules; got {items!r}")
    if not items:  # an empty list stays a list: the heading alone
        return [heading]
    lines = [f"- {_text(item, f'{where}[{i}]')}" for i, item in enumerate(items)]
    return [heading + "\n" + "\n".join(lines)]


def _add(parent: ET.Element, tag: str, description: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    ET.SubElement(element, "Description").text = description
    return element


def _check_keys(
    entry: object, keys: tuple[str, ...], where: str, optional: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    if not isinstance(entry, Mapping):
        raise ValueError(f"codebook {where} must be a mapping; got {entry!r}")
    missing = [key for key in keys if key not in entry]
    extra = [key for key in entry if key not in (*keys, *optional)]
    if missing or extra:
        also = f" (and may carry {list(optional)})" if optional else ""
        raise ValueError(
            f"codebook {where}: the REFI-QDA export carries the keys {list(keys)}{also}; "
            f"missing {missing}, not representable {extra}"
        )
    return entry


_GROUP_KEYS = ("id", "label", "informant", "definition")
_THEME_LABELS = ("Code when", "Do not code when", "Example")
"""Labelled paragraphs of a theme's description (the definition, if any, comes first)."""


def _facet_placements(codebook: Mapping[str, Any]) -> dict[str, list[tuple[Mapping, str]]]:
    """Map each theme id to its (facet, valence) children, in codebook facet order."""
    themes = [theme["id"] for theme in codebook["themes"]]
    children: dict[str, list[tuple[Mapping, str]]] = {theme: [] for theme in themes}
    for position, facet in enumerate(codebook.get("facets") or []):
        where = f"facets[{position}]"
        _check_keys(facet, FACET_KEYS, where)
        _identifier(facet["id"], f"{where}.id")
        parents, examples = facet["parent_themes"], facet["examples"]
        if not isinstance(parents, Mapping) or not isinstance(examples, Mapping):
            raise ValueError(f"codebook {where}: parent_themes and examples must be mappings")
        stray = sorted(set(examples) - set(parents))
        if stray:
            raise ValueError(
                f"codebook {where}: examples for valence(s) {stray} without parent themes "
                "cannot be placed under a theme"
            )
        for valence, theme_ids in parents.items():
            _identifier(valence, f"{where}.parent_themes valence")
            ordered = [theme for theme in themes if theme in theme_ids]
            if list(theme_ids) != ordered or len(set(theme_ids)) != len(theme_ids):
                raise ValueError(
                    f"codebook {where}: parent_themes[{valence!r}] = {list(theme_ids)} must list "
                    f"known themes once each, in codebook order ({ordered})"
                )
            for theme in theme_ids:
                children[theme].append((facet, valence))
    return children


def _codebook_element(codebook: Mapping[str, Any]) -> ET.Element:
    _check_keys(codebook, ("themes",), "top level", _REQUIRED_TOP)
    root = ET.Element("CodeBook", {"xmlns": NAMESPACE, "origin": ORIGIN})
    codes = ET.SubElement(root, "Codes")
    for position, theme in enumerate(codebook["themes"]):
        _check_keys(theme, REQUIRED_THEME_KEYS, f"themes[{position}]", THEME_KEYS)
        _identifier(theme["id"], f"themes[{position}].id")
    children = _facet_placements(codebook)
    for position, theme in enumerate(codebook["themes"]):
        where = f"themes[{position}]"
        paragraphs = [
            *([_text(theme["definition"], f"{where}.definition")] if "definition" in theme else []),
            *_bullets("Code when:", theme.get("include"), f"{where}.include"),
            *_bullets("Do not code when:", theme.get("exclude"), f"{where}.exclude"),
            *(
                ["Example: " + _text(theme["example"], f"{where}.example")]
                if "example" in theme
                else []
            ),
        ]
        kind_id = f"theme:{theme['id']}"
        attributes = {"guid": _guid(kind_id), "name": _text(theme["label"], f"{where}.label")}
        attributes["isCodable"] = "true"
        if theme.get("valence") in COLOURS:
            attributes["color"] = COLOURS[theme["valence"]]
        code = _add(codes, "Code", _description(paragraphs, kind_id), **attributes)
        for facet, valence in children[theme["id"]]:
            facet_id = f"facet:{facet['id']}:{valence}"  # checked in _facet_placements
            paragraphs = [_text(facet["definition"], f"facet {facet['id']!r} definition")]
            if valence in facet["examples"]:
                example = _text(facet["examples"][valence], f"facet {facet['id']!r} example")
                paragraphs.append("Example: " + example)
            paragraphs.append("Informant: " + _text(facet["informant"], "facet informant"))
            label = _text(facet["label"], f"facet {facet['id']!r} label")
            name = f"{label} ({valence})"
            _add(
                code,
                "Code",
                _description(paragraphs, f"{facet_id}:{theme['id']}"),
                guid=_guid(f"{facet_id}:{theme['id']}"),
                name=name,
                isCodable="true",
            )
    _add_sets(ET.SubElement(root, "Sets"), codebook)
    return root


def _member_set(
    sets: ET.Element, name: str, paragraphs: list[str], kind_id: str, members: list[str]
) -> None:
    element = _add(sets, "Set", _description(paragraphs, kind_id), guid=_guid(kind_id), name=name)
    for member in members:
        ET.SubElement(element, "MemberCode", {"guid": _guid(member)})


def _add_sets(sets: ET.Element, codebook: Mapping[str, Any]) -> None:
    """Add the sets: the codebook's header, valence and difficulty groups, facet groups.

    A codebook with the study's themes only (schema 2) has just the parts it declares.
    """
    themes = codebook["themes"]
    header = [
        f"{heading}: " + _text(value, key)
        for heading, key in (("Source", "source"), ("Coding unit", "coding_unit"))
        if (value := codebook.get(key)) is not None
    ]
    if "version" in codebook:
        version = json.dumps(codebook["version"], ensure_ascii=False)
        header.append("Version: " + _text(version, "version"))
    _member_set(
        sets,
        _text(codebook.get("title", "Codebook"), "title"),
        header,
        "codebook",
        [f"theme:{theme['id']}" for theme in themes],
    )
    if "valence_grouping" in codebook:
        grouping = _check_keys(codebook["valence_grouping"], ("source", "note"), "valence_grouping")
        for valence in dict.fromkeys(theme.get("valence") for theme in themes):
            _member_set(
                sets,
                f"{_text(valence, 'theme valence')} themes",
                [
                    _text(grouping["note"], "valence_grouping.note"),
                    "Grouping: " + _text(grouping["source"], "valence_grouping.source"),
                ],
                f"valence:{_identifier(valence, 'theme valence')}",
                [f"theme:{theme['id']}" for theme in themes if theme["valence"] == valence],
            )
    levels = codebook.get("difficulty_levels", {})
    if not isinstance(levels, Mapping):
        raise ValueError(f"codebook difficulty_levels must be a mapping; got {levels!r}")
    used = {theme["difficulty"] for theme in themes if "difficulty" in theme}
    unknown = sorted(used - set(levels))
    if unknown:
        raise ValueError(f"codebook themes use difficulty level(s) {unknown} not described")
    for level, meaning in levels.items():
        _member_set(
            sets,
            f"difficulty: {_text(level, 'difficulty level')}",
            [_text(meaning, f"difficulty_levels.{level}")],
            f"difficulty:{_identifier(level, 'difficulty level')}",
            [f"theme:{theme['id']}" for theme in themes if theme.get("difficulty") == level],
        )
    facets = codebook.get("facets") or []
    facet_groups = codebook.get("facet_groups") or []
    for position, group in enumerate(facet_groups):
        _check_keys(group, _GROUP_KEYS, f"facet_groups[{position}]")
        members = [
            f"facet:{facet['id']}:{valence}:{theme}"
            for facet in facets
            if facet["group"] == group["id"]
            for valence, parents in facet["parent_themes"].items()
            for theme in parents
        ]
        _member_set(
            sets,
            _text(group["label"], f"facet_groups[{position}].label"),
            [
                _text(group["definition"], f"facet_groups[{position}].definition"),
                "Informant: " + _text(group["informant"], f"facet_groups[{position}].informant"),
            ],
            f"facet-group:{_identifier(group['id'], f'facet_groups[{position}].id')}",
            members,
        )
    orphans = sorted({f["group"] for f in facets} - {g["id"] for g in facet_groups})
    if orphans:
        raise ValueError(f"codebook facets refer to undefined facet group(s) {orphans}")


def export_codebook(path: Path | str, codebook: Mapping[str, Any] | None = None) -> Path:
    """Write a codebook as a REFI-QDA Codebook Exchange file (``.qdc``).

    Parameters
    ----------
    path : pathlib.Path or str
        File to write; by convention it ends in ``.qdc``. An existing file is
        replaced.
    codebook : mapping, optional
        A codebook as returned by :func:`alliance.data.codebook.load_codebook`
        (e.g. of your own study: ``load_codebook("mystudy/codebook.yaml")``);
        defaults to the compendium's codebook.

    Returns
    -------
    pathlib.Path
        The file written: UTF-8 XML, indented, identical for identical input.

    Raises
    ------
    ValueError
        If the codebook has keys the format cannot carry, a text with a line
        break, a facet placed under an unknown theme, or anything else that
        would not survive :func:`import_codebook`; the message names the entry.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = export_codebook(Path(tempfile.mkdtemp()) / "alliance.qdc")
    >>> text = path.read_text(encoding="utf-8")
    >>> text.count("<Code "), text.count("<Set ")
    (45, 8)
    """
    codebook = load_codebook() if codebook is None else codebook
    root = _codebook_element(codebook)
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode")
    path = Path(path)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n", encoding="utf-8")
    return path


def _local(tag: object) -> tuple[str, str]:
    """Split an ElementTree tag into (namespace, local name)."""
    text = str(tag)
    if text.startswith("{"):
        namespace, _, local = text[1:].partition("}")
        return namespace, local
    return "", text


def _children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if _local(child.tag)[1] == name)


class _Reader:
    """Reads one parsed .qdc file and names the element behind every problem."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.guids: dict[str, str] = {}

    def error(self, where: str, message: str) -> ValueError:
        return ValueError(f"{self.path}: {where}: {message}")

    def guid(self, element: ET.Element, where: str) -> str:
        """Return an element's GUID (normalised); refuse one that another element has."""
        guid = self.attribute(element, "guid", where).strip("{}").lower()
        if guid in self.guids:
            raise self.error(
                where,
                f"duplicate GUID {guid}: {self.guids[guid]} has the same one; "
                "every code and set needs its own GUID",
            )
        self.guids[guid] = where
        return guid

    def attribute(self, element: ET.Element, name: str, where: str) -> str:
        value = element.get(name)
        if value is None:
            raise self.error(where, f"the required attribute {name!r} is missing")
        return value

    def blocks(
        self, element: ET.Element, where: str, labels: tuple[str, ...] = ()
    ) -> tuple[str | None, dict[str, str]]:
        """Return (first paragraph, {label: rest}) of a description, with its id.

        The first paragraph is ``None`` when there is none, or when it starts
        with one of ``labels`` (a theme without a definition).
        """
        description = next(_children(element, "Description"), None)
        text = "" if description is None or description.text is None else description.text
        paragraphs = text.replace("\r\n", "\n").split("\n\n")
        if not paragraphs[-1].startswith(_ID_LINE):
            raise self.error(
                where,
                "the description does not end with an 'Id: ...' line, so this code or set "
                "was not exported by alliance.exchange.refi (or the line was edited away); "
                "add it back, e.g. 'Id: theme:trust'",
            )
        kind_id = paragraphs.pop()[len(_ID_LINE) :].strip()
        labelled: dict[str, str] = {"id": kind_id}
        first = None if labels else ""
        if paragraphs and paragraphs[0].partition(":")[0] not in labels:
            first = paragraphs.pop(0)
        for paragraph in paragraphs:
            label, separator, rest = paragraph.partition(":")
            if not separator:
                raise self.error(where, f"unrecognised paragraph in the description: {paragraph!r}")
            labelled[label] = rest[1:] if rest.startswith((" ", "\n")) else rest
        return first, labelled

    def rules(self, labelled: Mapping[str, str], label: str, where: str) -> list[str]:
        if label not in labelled or not labelled[label]:
            return []
        rules = []
        for line in labelled[label].split("\n"):
            if not line.startswith("- "):
                raise self.error(
                    where, f"a rule under {label!r} does not start with '- ': {line!r}"
                )
            rules.append(line[2:])
        return rules

    def kind(self, labelled: Mapping[str, str], expected: str, where: str) -> list[str]:
        parts = labelled["id"].split(":")
        if parts[0] != expected:
            raise self.error(
                where, f"expected an 'Id: {expected}:...' line; got {labelled['id']!r}"
            )
        return parts[1:]


class _NoDoctype(ET.TreeBuilder):
    """Tree builder that stops at a DOCTYPE, before any entity is declared or expanded."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DoctypeRefused(name)


class _DoctypeRefused(Exception):
    pass


def parse_xml(data: bytes, source: str) -> ET.Element:
    """Parse REFI-QDA XML safely: no DTD, so no entity expansion and no external entities.

    QDA-XML files never carry a document type declaration; one that does is
    refused before any entity it declares is expanded (the "billion laughs") or
    resolved (XXE: a file or URL named in an entity). Nothing is fetched.

    Parameters
    ----------
    data : bytes
        The XML document, in the encoding its declaration states (UTF-8 by default).
    source : str
        What to call the document in messages (a file, or an archive member).

    Returns
    -------
    xml.etree.ElementTree.Element
        The root element.

    Raises
    ------
    ValueError
        If the document is not well-formed XML or has a DOCTYPE; the message
        names ``source``, and the line and column of a syntax error.

    Examples
    --------
    >>> parse_xml(b'<CodeBook origin="x"/>', "a.qdc").get("origin")
    'x'
    >>> parse_xml(b'<!DOCTYPE a [<!ENTITY e "e">]><a>&e;</a>', "a.qdc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: a.qdc: the XML has a DOCTYPE declaration (<!DOCTYPE a ...>); REFI-QDA files ...
    """
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(data)
        return parser.close()
    except _DoctypeRefused as refused:
        raise ValueError(
            f"{source}: the XML has a DOCTYPE declaration (<!DOCTYPE {refused} ...>); REFI-QDA "
            "files have none, and its entities are not expanded for safety"
        ) from None
    except LookupError as error:
        raise ValueError(f"{source}: the XML declaration names an {error}; use UTF-8") from error
    except ET.ParseError as error:
        line, column = error.position
        raise ValueError(
            f"{source}: not a well-formed XML file (line {line}, column {column + 1}): {error}"
        ) from error


_ZIP_MAGIC = b"PK\x03\x04"


def _parse(path: Path) -> ET.Element:
    size = path.stat().st_size
    if size > QDC_LIMIT:
        raise ValueError(
            f"{path}: the file has {size:,} bytes, more than the {QDC_LIMIT:,} a codebook may "
            "have (QDC_LIMIT); it was not read"
        )
    data = path.read_bytes()
    if data.startswith(_ZIP_MAGIC):
        raise ValueError(
            f"{path}: this is a zip archive, such as a REFI-QDA project (.qdpx), not a codebook "
            f"(.qdc); import a project with: python -m alliance import-qdpx {path} "
            "--draft-mapping mapping.yaml"
        )
    root = parse_xml(data, str(path))
    namespace, local = _local(root.tag)
    if local != "CodeBook":
        raise ValueError(
            f"{path}: the root element is <{local}>, not <CodeBook>; a REFI-QDA codebook "
            "(.qdc) is expected (a .qdpx project holds its codebook inside a zip archive)"
        )
    if namespace and not namespace.lower().startswith("urn:qda-xml:codebook"):
        raise ValueError(
            f"{path}: the root element is in namespace {namespace!r}, not {NAMESPACE!r}"
        )
    return root


def import_codebook(path: Path | str) -> dict[str, Any]:
    """Read a REFI-QDA codebook written by :func:`export_codebook` back into a codebook.

    A codebook that another program wrote (no code carries our ``Id:`` line) is
    read as that program's codes, with ids derived from their names (see
    :func:`codebook_from_element`). Our own codebook may have passed through a
    QDA program in between: element
    namespaces and ``xsi:schemaLocation`` are matched leniently (any
    ``urn:QDA-XML:codebook`` namespace, or none), and codes and sets are
    recognised by the ``Id:`` line that ends their description rather than
    by their GUID or position.

    Parameters
    ----------
    path : pathlib.Path or str
        The ``.qdc`` file.

    Returns
    -------
    dict
        A codebook with the structure of ``codebook.yaml`` (see
        :func:`alliance.data.codebook.load_codebook`); save it with
        ``yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True)``. Another
        program's codebook gives ``{"title", "source", "codes"}`` (:func:`plain_codes`).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not well-formed XML, is not a codebook, or lacks a part
        the codebook needs; the message names the file and the element (for
        example ``CodeBook/Codes/Code[3]``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> codebook = import_codebook(export_codebook(Path(tempfile.mkdtemp()) / "a.qdc"))
    >>> [theme["id"] for theme in codebook["themes"]][:3]
    ['understood', 'comfortable', 'openness']
    >>> codebook["facets"][5]["parent_themes"]
    {'positive': ['openness'], 'negative': ['frustration', 'disengagement']}
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such codebook file")
    return codebook_from_element(_parse(path), path)


def codebook_from_element(root: ET.Element, source: Path | str) -> dict[str, Any]:
    """Read a parsed ``CodeBook`` element (from a ``.qdc`` file or a ``.qdpx`` project).

    A codebook written by :func:`export_codebook` (every code's description ends
    with an ``Id:`` line) is read back losslessly, as :func:`import_codebook`
    describes. A codebook written by another program, in which no code carries
    an ``Id:`` line, is read as it is: see :func:`plain_codes`.

    Parameters
    ----------
    root : xml.etree.ElementTree.Element
        A ``CodeBook`` element holding ``Codes`` (and, for our codebooks, ``Sets``).
    source : pathlib.Path or str
        Named in error messages.

    Returns
    -------
    dict
        Our codebook's structure (``codebook.yaml``), or for another program's
        codebook ``{"title", "source", "codes"}`` with the rows of :func:`plain_codes`.

    Examples
    --------
    >>> root = parse_xml(b'<CodeBook origin="QualCoder"><Codes><Code guid="1" name="Trust"'
    ...                  b' isCodable="true"/></Codes></CodeBook>', "q.qdc")
    >>> codebook_from_element(root, "q.qdc")["codes"][0]["id"]
    'trust'
    """
    reader = _Reader(Path(source))
    codes = next(_children(root, "Codes"), None)
    if codes is not None and not any(
        (description.text or "").replace("\r\n", "\n").split("\n\n")[-1].startswith(_ID_LINE)
        for description in codes.iter()
        if _local(description.tag)[1] == "Description"
    ):
        return {
            "title": root.get("origin") or Path(source).stem,
            "source": f"REFI-QDA codebook {source} (origin {root.get('origin') or 'not stated'})",
            "codes": plain_codes(codes, source),
        }
    if codes is None:
        raise reader.error("CodeBook", "the required <Codes> element is missing")
    themes, guids, facets = _read_codes(reader, codes)
    codebook = _read_sets(reader, root, guids, themes)
    facet_order = _facet_order(reader, root, guids, facets)
    codebook["themes"] = themes
    if facets:
        codebook["facets"] = [facets[facet_id] for facet_id in facet_order]
    return codebook


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_") or "code"


def plain_codes(codes: ET.Element, source: Path | str) -> list[dict[str, Any]]:
    """List the codes of another program's codebook, with ids derived from their names.

    Other programs do not write our ``Id:`` lines, so each code gets an id made
    from its name (lower case, runs of other characters as ``_``). Codes whose
    names give the same id are told apart by their path (``parent.child``);
    codes that still collide are refused with a message that names them.

    Parameters
    ----------
    codes : xml.etree.ElementTree.Element
        The ``Codes`` element, in any namespace.
    source : pathlib.Path or str
        Named in error messages.

    Returns
    -------
    list of dict
        One entry per code, depth first in document order: ``id``, ``guid``
        (lower case, without braces), ``label`` (the name), ``path`` (names
        from the top joined by `` > ``), ``parent`` (its id, or ``None``),
        ``definition`` (the description, or ``""``) and ``codable``.

    Raises
    ------
    ValueError
        If a code lacks its ``guid`` or ``name``, two codes share a GUID, or two
        codes have the same path.

    Examples
    --------
    >>> root = parse_xml(
    ...     b'<Codes><Code guid="a1" name="Negative" isCodable="false">'
    ...     b'<Code guid="a2" name="Other" isCodable="true"/></Code>'
    ...     b'<Code guid="a3" name="other" isCodable="true"/></Codes>', "x.qdc")
    >>> [(code["id"], code["parent"]) for code in plain_codes(root, "x.qdc")]
    [('negative', None), ('negative.other', 'negative'), ('other', None)]
    """
    reader = _Reader(Path(source))
    rows: list[dict[str, Any]] = []

    def walk(element: ET.Element, where: str, path: list[str], parent: int | None) -> None:
        for position, child in enumerate(_children(element, "Code"), start=1):
            child_where = f"{where}/Code[{position}]"
            name = reader.attribute(child, "name", child_where)
            guid = reader.attribute(child, "guid", child_where).strip().strip("{}").lower()
            description = next(_children(child, "Description"), None)
            rows.append(
                {
                    "where": child_where,
                    "guid": guid,
                    "label": name,
                    "names": [*path, name],
                    "parent": parent,
                    "definition": "" if description is None else (description.text or "").strip(),
                    "codable": child.get("isCodable", "true").strip().lower() in ("true", "1"),
                }
            )
            walk(child, child_where, [*path, name], len(rows) - 1)

    walk(codes, "Codes", [], None)
    guids: dict[str, str] = {}
    for row in rows:
        if row["guid"] in guids:
            raise reader.error(
                row["where"], f"the guid {row['guid']!r} is also {guids[row['guid']]}"
            )
        guids[row["guid"]] = row["where"]
    short = [_slug(row["label"]) for row in rows]
    ids = [
        slug if short.count(slug) == 1 else ".".join(_slug(name) for name in row["names"])
        for slug, row in zip(short, rows, strict=True)
    ]
    clashes = sorted({i for i in ids if ids.count(i) > 1})
    if clashes:
        places = [
            f"{row['where']} {' > '.join(row['names'])!r}"
            for i, row in zip(ids, rows, strict=True)
            if i in clashes
        ]
        raise reader.error(
            "Codes",
            f"codes with the same name and parent get the same id {clashes}: " + "; ".join(places),
        )
    return [
        {
            "id": ids[n],
            "guid": row["guid"],
            "label": row["label"],
            "path": " > ".join(row["names"]),
            "parent": None if row["parent"] is None else ids[row["parent"]],
            "definition": row["definition"],
            "codable": row["codable"],
        }
        for n, row in enumerate(rows)
    ]


def _read_codes(
    reader: _Reader, codes: ET.Element
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, ...]], dict[str, dict[str, Any]]]:
    """Read themes (top-level codes) and facets (their children)."""
    themes: list[dict[str, Any]] = []
    guids: dict[str, tuple[str, ...]] = {}
    facets: dict[str, dict[str, Any]] = {}
    for t_pos, element in enumerate(_children(codes, "Code"), start=1):
        where = f"CodeBook/Codes/Code[{t_pos}]"
        name = reader.attribute(element, "name", where)
        guid = reader.guid(element, where)
        reader.attribute(element, "isCodable", where)
        first, labelled = reader.blocks(element, where, _THEME_LABELS)
        parts = reader.kind(labelled, "theme", where)
        if len(parts) != 1 or not parts[0]:
            raise reader.error(where, f"expected 'Id: theme:<theme>'; got {labelled['id']!r}")
        theme_id = parts[0]
        guids[guid] = ("theme", theme_id)
        theme: dict[str, Any] = {"id": theme_id, "label": name}
        if first is not None:
            theme["definition"] = first
        for key, label in (("include", "Code when"), ("exclude", "Do not code when")):
            if label in labelled:
                theme[key] = reader.rules(labelled, label, where)
        if "Example" in labelled:
            theme["example"] = labelled["Example"]
        themes.append(theme)
        for f_pos, child in enumerate(_children(element, "Code"), start=1):
            child_where = f"{where}/Code[{f_pos}]"
            _read_facet(reader, child, child_where, theme_id, guids, facets)
    if not themes:
        raise reader.error("CodeBook/Codes", "there is no <Code>")
    return themes, guids, facets


def _read_facet(
    reader: _Reader,
    element: ET.Element,
    where: str,
    theme_id: str,
    guids: dict[str, tuple[str, ...]],
    facets: dict[str, dict[str, Any]],
) -> None:
    name = reader.attribute(element, "name", where)
    guid = reader.guid(element, where)
    reader.attribute(element, "isCodable", where)
    if next(_children(element, "Code"), None) is not None:
        raise reader.error(where, "a facet code has codes nested under it; only two levels exist")
    first, labelled = reader.blocks(element, where)
    parts = reader.kind(labelled, "facet", where)
    if len(parts) != 3 or parts[2] != theme_id:
        raise reader.error(
            where, f"expected 'Id: facet:<facet>:<valence>:{theme_id}'; got {labelled['id']!r}"
        )
    facet_id, valence, _ = parts
    suffix = f" ({valence})"
    if not name.endswith(suffix) or "Informant" not in labelled:
        raise reader.error(where, f"expected a name ending in {suffix!r} and an 'Informant:' line")
    guids[guid] = ("facet", facet_id, valence, theme_id)
    facet = facets.setdefault(
        facet_id,
        {
            "id": facet_id,
            "group": None,
            "label": name[: -len(suffix)],
            "informant": labelled["Informant"],
            "definition": first,
            "parent_themes": {},
            "examples": {},
        },
    )
    facet["parent_themes"].setdefault(valence, []).append(theme_id)
    if "Example" in labelled:
        facet["examples"][valence] = labelled["Example"]


def _sets(reader: _Reader, root: ET.Element) -> Iterator[tuple[str, ET.Element, str, dict]]:
    container = next(_children(root, "Sets"), None)
    if container is None:
        raise reader.error(
            "CodeBook", "the <Sets> element is missing; it carries valence, difficulty and groups"
        )
    for position, element in enumerate(_children(container, "Set"), start=1):
        where = f"CodeBook/Sets/Set[{position}]"
        reader.attribute(element, "guid", where)
        first, labelled = reader.blocks(element, where)
        yield where, element, first, labelled


def _members(
    reader: _Reader, element: ET.Element, where: str, guids: Mapping[str, tuple[str, ...]]
) -> list[tuple[str, ...]]:
    members = []
    for position, member in enumerate(_children(element, "MemberCode"), start=1):
        guid = reader.attribute(member, "guid", f"{where}/MemberCode[{position}]")
        key = guid.strip("{}").lower()
        if key not in guids:
            raise reader.error(f"{where}/MemberCode[{position}]", f"no code has guid {guid!r}")
        members.append(guids[key])
    return members


def _read_sets(
    reader: _Reader,
    root: ET.Element,
    guids: Mapping[str, tuple[str, ...]],
    themes: list[dict[str, Any]],
) -> dict[str, Any]:
    by_id = {theme["id"]: theme for theme in themes}
    codebook: dict[str, Any] = {}
    levels: dict[str, str] = {}
    groups: list[dict[str, Any]] = []
    for where, element, first, labelled in _sets(reader, root):
        name = reader.attribute(element, "name", where)
        reader.guid(element, where)
        kind, *rest = labelled["id"].split(":")
        members = _members(reader, element, where, guids)
        if kind in ("valence", "difficulty"):
            facets = [member[1] for member in members if member[0] != "theme"]
            if facets:
                raise reader.error(where, f"a {kind} set lists the facet(s) {facets}; only themes")
        if kind == "codebook":
            codebook["title"] = name
            if first.startswith("Source: "):
                codebook["source"] = first.removeprefix("Source: ")
            if "Coding unit" in labelled:
                codebook["coding_unit"] = labelled["Coding unit"]
            if "Version" in labelled:
                try:
                    codebook["version"] = json.loads(labelled["Version"])
                except json.JSONDecodeError as error:
                    raise reader.error(where, f"the codebook set garbles {error}") from error
        elif kind == "valence" and len(rest) == 1:
            if "Grouping" not in labelled:
                raise reader.error(where, "the valence set has no 'Grouping:' line")
            codebook["valence_grouping"] = {"source": labelled["Grouping"], "note": first}
            for member in members:
                by_id[member[1]]["valence"] = rest[0]
        elif kind == "difficulty" and len(rest) == 1:
            levels[rest[0]] = first
            for member in members:
                by_id[member[1]]["difficulty"] = rest[0]
        elif kind == "facet-group" and len(rest) == 1:
            if "Informant" not in labelled:
                raise reader.error(where, "the facet-group set has no 'Informant:' line")
            groups.append(
                {
                    "id": rest[0],
                    "label": name,
                    "informant": labelled["Informant"],
                    "definition": first,
                }
            )
        else:
            raise reader.error(where, f"unknown set id {labelled['id']!r}")
    grouped = [("valence", "valence_grouping" in codebook), ("difficulty", bool(levels))]
    unset = [t["id"] for key, used in grouped if used for t in themes if key not in t]
    if unset:
        raise reader.error(
            "CodeBook/Sets",
            f"the sets do not describe the whole codebook: themes without valence or "
            f"difficulty {sorted(set(unset))}",
        )
    if levels:
        codebook["difficulty_levels"] = levels
    if groups:
        codebook["facet_groups"] = groups
    return codebook


def _facet_order(
    reader: _Reader,
    root: ET.Element,
    guids: Mapping[str, tuple[str, ...]],
    facets: dict[str, dict[str, Any]],
) -> list[str]:
    """Order facets as the facet-group sets list them, and fill in each facet's group."""
    order: list[str] = []
    for where, element, _, labelled in _sets(reader, root):
        kind, *rest = labelled["id"].split(":")
        if kind != "facet-group":
            continue
        for member in _members(reader, element, where, guids):
            if member[0] != "facet":
                raise reader.error(where, f"a facet group lists the theme {member[1]!r}")
            facets[member[1]]["group"] = rest[0]
            if member[1] not in order:
                order.append(member[1])
    ungrouped = sorted(set(facets) - set(order))
    if ungrouped:
        raise reader.error("CodeBook/Sets", f"facet(s) {ungrouped} belong to no facet-group set")
    return order
