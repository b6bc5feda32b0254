"""Study text reaches the book only as text (issue #15, "Data reaches the page only as text").

The renderers of :mod:`alliance.book.markup` are parsed back with the book's own
MyST parser (the extensions of ``_config.yml``): every payload of the injection
battery must come out as plain text, character for character, and nothing else.
A static scan of the chapters checks that no chapter turns study text into markup
any other way.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from injection import PAYLOADS, battery, inject_codebook
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from alliance.book.markup import codebook_markdown, escape_myst, excerpts_markdown, one_line
from alliance.data.codebook import THEMES, codebook_text, load_codebook

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
EXTENSIONS = set(
    yaml.safe_load((ROOT / "_config.yml").read_text())["parse"]["myst_enable_extensions"]
)
PARSER = create_md_parser(MdParserConfig(enable_extensions=EXTENSIONS), RendererHTML)
TEXT_TOKENS = {"text", "softbreak"}
STRUCTURE = {
    "paragraph_open",
    "paragraph_close",
    "inline",
    "strong_open",
    "strong_close",
    "em_open",
    "em_close",
    "bullet_list_open",
    "bullet_list_close",
    "list_item_open",
    "list_item_close",
    "blockquote_open",
    "blockquote_close",
}


def _tokens(markdown: str) -> list:
    """Every token of ``markdown``, inline children included, colon fences parsed inside."""
    found = []
    for token in PARSER.parse(markdown):
        found.append(token)
        found.extend(token.children or [])
        if token.type == "colon_fence":
            body = (
                token.content.split("\n", 1)[1] if token.content.startswith(":") else token.content
            )
            found.extend(_tokens(token.info.split(" ", 1)[1]))
            found.extend(_tokens(body))
    return found


def _text(markdown: str) -> str:
    return "".join(t.content for t in _tokens(markdown) if t.type == "text")


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_every_payload_is_escaped_into_exactly_its_text(name):
    escaped = escape_myst(PAYLOADS[name])
    tokens = _tokens(escaped)
    kinds = {token.type for token in tokens}
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "text"}, kinds
    assert _text(escaped) == one_line(PAYLOADS[name])
    assert "\n" not in escaped and "\x1b" not in escaped


def test_rendered_html_of_an_escaped_payload_holds_no_tag():
    for text in battery():
        html = PARSER.render(escape_myst(text))
        assert re.sub(r"</?p>", "", html).count("<") == 0, html


def test_control_characters_are_shown_escaped():
    assert one_line("bell\x07 esc\x1b[31m rtl\u202e") == "bell\\x07 esc\\x1b[31m rtl\\u202e"


@pytest.fixture(scope="module")
def hostile_codebook() -> dict:
    return inject_codebook(yaml.safe_load(codebook_text()))


def test_codebook_markdown_keeps_structure_and_shows_every_payload_as_text(hostile_codebook):
    markdown = codebook_markdown(hostile_codebook)
    tokens = _tokens(markdown)
    fences = [t for t in PARSER.parse(markdown) if t.type == "colon_fence"]
    assert [t.info.split(" ", 1)[0] for t in fences] == ["{admonition}"] * len(THEMES)
    unexpected = {t.type for t in tokens} - STRUCTURE - TEXT_TOKENS - {"colon_fence"}
    assert not unexpected, unexpected
    text = _text(markdown)
    for theme in hostile_codebook["themes"]:
        for value in (theme["label"], theme["definition"], *theme["include"], *theme["exclude"]):
            assert one_line(value)[1:] in text


def test_codebook_markdown_of_the_compendium_codebook_has_every_rule():
    codebook = load_codebook()
    text = _text(codebook_markdown(codebook))
    for theme in codebook["themes"]:
        assert f"({theme['id']})" in text
        for rule in (*theme["include"], *theme["exclude"]):
            assert one_line(rule) in text


def test_excerpts_markdown_quotes_every_payload_as_text():
    excerpts = pd.DataFrame(
        {
            "excerpt_id": [f"E{i}" for i in range(len(PAYLOADS))],
            "session_id": "S1",
            "informant": "client",
            "theme": "trust",
            "text": battery(),
        }
    )
    labels = {"trust": "<b onmouseover=alert('xss')>trust</b>"}
    markdown = excerpts_markdown(excerpts, labels, note="{glue:text}`n_excerpts`")
    unexpected = {t.type for t in _tokens(markdown)} - STRUCTURE - TEXT_TOKENS
    assert not unexpected, unexpected
    text = _text(markdown)
    for payload in battery():
        assert one_line(payload) in text
    assert "<b onmouseover=alert('xss')>trust</b>" in text
    assert "no excerpts" in excerpts_markdown(excerpts.iloc[:0])


# -- no chapter turns study text into markup any other way ---------------------------------

MARKUP_MODULE = "alliance.book.markup"
DISPLAY_AS_MARKUP = {
    "Markdown",
    "HTML",
    "Latex",
    "SVG",
    "Javascript",
    "display_markdown",
    "display_html",
}


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def markup_from_study_text(cells: list[tuple[str, str]]) -> list[str]:
    """Return every place where a notebook turns study text into markup, bypassing the helper.

    ``cells`` are ``(cell_type, source)`` pairs. Study text is anything computed
    from ``load_study()`` (followed through assignments and loops). It must not
    be wrapped in ``Markdown``/``HTML`` (or displayed as such) unless a renderer
    of :mod:`alliance.book.markup` produced it. ``{glue:md}`` pastes only values
    with a ``text/markdown`` form, so this also covers every ``{glue:md}``;
    ``{glue:text}`` pastes a text node that MyST never parses.
    """
    tainted: set[str] = {"load_study"}
    escapers: set[str] = set()
    problems = []
    for kind, source in cells:
        if kind != "code":
            continue
        code = "\n".join(
            "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
        )
        tree = ast.parse(code)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == MARKUP_MODULE:
                escapers.update(alias.asname or alias.name for alias in node.names)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value:
                if _names(node.value) & tainted:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        tainted |= _names(target)
            elif isinstance(node, ast.For) and _names(node.iter) & tainted:
                tainted |= _names(node.target)

        def escaped(value: ast.AST) -> bool:
            return (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id in escapers
            )

        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            line = ast.get_source_segment(code, node) or ""
            if node.func.id in DISPLAY_AS_MARKUP and node.args:
                if _names(node.args[0]) & tainted and not escaped(node.args[0]):
                    problems.append(f"{node.func.id}() of study text: {line[:80]}")
    return problems


def _cells(path: Path) -> list[tuple[str, str]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [(cell["cell_type"], "".join(cell["source"])) for cell in notebook["cells"]]


@pytest.mark.parametrize("chapter", sorted(p.name for p in CHAPTERS.glob("*.ipynb")))
def test_no_chapter_turns_study_text_into_markup_outside_the_helper(chapter):
    assert markup_from_study_text(_cells(CHAPTERS / chapter)) == []


def test_the_chapter_scan_finds_study_text_glued_as_markdown():
    markdown = ("markdown", "```{glue:md} excerpts_md\n:format: myst\n```")
    raw = [
        ("code", "study = load_study()\nchosen = study.excerpts\n"),
        ("code", 'glue("excerpts_md", Markdown("\\n".join(chosen["text"])), display=False)'),
        markdown,
    ]
    assert len(markup_from_study_text(raw)) == 1
    helper = [
        ("code", "from alliance.book.markup import excerpts_markdown\nstudy = load_study()"),
        ("code", 'glue("excerpts_md", Markdown(excerpts_markdown(study.excerpts)), display=False)'),
        markdown,
    ]
    assert markup_from_study_text(helper) == []
    looped = [
        ("code", "study = load_study()\nfor row in study.excerpts.itertuples():\n    t = row.text"),
        ("code", 'glue(f"ex_{1}", HTML(t), display=False)'),
    ]
    assert markup_from_study_text(looped) == ["HTML() of study text: HTML(t)"]
