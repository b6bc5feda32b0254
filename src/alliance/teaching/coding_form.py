"""The coding exercise in the browser: the data the form needs, generated from the package.

Chapter 11 shows a coding form that runs in the reader's browser with nothing
installed (``_static/coding-form.js``, plain JavaScript). Everything the form
knows (the fictional extracts, the themes and the codebook, the sheet's columns,
the reference and alternative codes, and the feedback for every extract x theme)
comes from :func:`form_data`, which takes it from :mod:`alliance.teaching.exercise`
(:func:`~alliance.teaching.exercise.cell_feedback`), so the browser's scoring and
:func:`~alliance.teaching.exercise.score_coding` cannot drift apart. A chapter
cell displays :func:`coding_form`; the built page then carries the data as one
JSON document in a ``<script type="application/json">`` element, which works
from ``file://`` as well as from any web server.

Examples
--------
>>> data = form_data()
>>> data["format"], len(data["extracts"]), data["columns"][:4]
('alliance-coding-form/1', 21, ['excerpt_id', 'informant', 'fictional', 'text'])
>>> data["extracts"][2]["feedback"]["openness"]["kind"]
'defensible'
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

import pandas as pd

from alliance.data.codebook import THEMES, load_codebook
from alliance.teaching.exercise import (
    FICTIONAL_MARKER,
    blank_coding_sheet,
    cell_feedback,
    exercise_excerpts,
    extract_rationales,
)

__all__ = [
    "FORM_DATA_ID",
    "FORM_ID",
    "CodingForm",
    "PageBlock",
    "coding_form",
    "form_data",
    "json_for_html",
    "key_block",
    "prompts_block",
]

FORM_FORMAT = "alliance-coding-form/1"
"""Name and version of the JSON document the form script reads."""

FORM_ID = "alliance-coding-form"
"""``id`` of the element the form script fills."""

FORM_DATA_ID = "alliance-coding-form-data"
"""``id`` of the ``<script type="application/json">`` element holding :func:`form_data`."""

_FEEDBACK_KEYS = ("kind", "rule_theme", "rule_kind", "rule", "rationale")


def form_data(
    exercise: pd.DataFrame | None = None, codebook: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return everything the browser form needs, as JSON-ready Python data.

    Parameters
    ----------
    exercise : pandas.DataFrame, optional
        From :func:`~alliance.teaching.exercise.exercise_excerpts`; defaults to the compendium's.
    codebook : mapping, optional
        Defaults to the compendium's codebook.

    Returns
    -------
    dict
        ``format``, ``fictional`` (True), ``fictional_marker``, ``columns`` (the
        sheet's columns, as :func:`~alliance.teaching.exercise.blank_coding_sheet`),
        ``themes`` (each with ``id``, ``label``, ``definition``, ``include``,
        ``exclude`` and ``example``) and ``extracts`` (each with ``id``,
        ``informant``, ``turns``, ``text``, ``reference``, ``alternatives`` and
        ``feedback``: theme id to the ``kind``, ``rule_theme``, ``rule_kind``,
        ``rule`` and ``rationale`` that :func:`~alliance.teaching.exercise.score_coding`
        reports for a disagreement in that cell).

    Examples
    --------
    >>> extract = form_data()["extracts"][0]
    >>> extract["id"], extract["reference"], extract["turns"][0][0]
    ('X01', ['understood'], 'Interviewer')
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    feedback = cell_feedback(exercise, codebook).set_index(["excerpt_id", "theme"])
    themes = [
        {key: theme[key] for key in ("id", "label", "definition", "include", "exclude", "example")}
        for theme in codebook["themes"]
    ]
    extracts = [
        {
            "id": row.excerpt_id,
            "informant": row.informant,
            "turns": [list(turn) for turn in row.turns],
            "text": row.text,
            "reference": list(row.reference),
            "alternatives": list(row.alternatives),
            "feedback": {
                theme: {
                    key: str(feedback.at[(row.excerpt_id, theme), key]) for key in _FEEDBACK_KEYS
                }
                for theme in THEMES
            },
        }
        for row in exercise.itertuples(index=False)
    ]
    return {
        "format": FORM_FORMAT,
        "fictional": True,
        "fictional_marker": FICTIONAL_MARKER,
        "columns": blank_coding_sheet(exercise).columns.tolist(),
        "themes": themes,
        "extracts": extracts,
    }


def json_for_html(data: object) -> str:
    r"""Serialise data as JSON that is safe inside an HTML ``<script>`` element.

    Every character outside ASCII and every ``<``, ``>`` and ``&`` is written as
    a ``\uXXXX`` escape, so no text in the data can close the element or start
    markup; ``JSON.parse`` restores the text exactly.

    Examples
    --------
    >>> print(json_for_html({"text": "</script><b>&"}))
    {"text": "\u003c/script\u003e\u003cb\u003e\u0026"}
    >>> json.loads(json_for_html({"text": "</script>"}))["text"]
    '</script>'
    """
    text = json.dumps(data, ensure_ascii=True, sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass(frozen=True)
class CodingForm:
    """The coding form as a notebook output: HTML for the book, a line of text elsewhere.

    Attributes
    ----------
    data : dict
        From :func:`form_data`.
    """

    data: dict[str, Any]

    def _repr_html_(self) -> str:
        return (
            f'<div id="{FORM_ID}" class="coding-form">'
            "<noscript><p>The coding form needs JavaScript. Without it, use the "
            "downloadable sheet and score it with Python, as described below.</p></noscript>"
            "</div>"
            f'<script type="application/json" id="{FORM_DATA_ID}">'
            f"{json_for_html(self.data)}</script>"
        )

    def __repr__(self) -> str:
        """Describe the form for text-only outputs (and for nbval)."""
        return (
            f"Coding form: {len(self.data['extracts'])} fictional extracts x "
            f"{len(self.data['themes'])} themes (interactive in the HTML edition)"
        )


def coding_form(
    exercise: pd.DataFrame | None = None, codebook: Mapping[str, Any] | None = None
) -> CodingForm:
    """Return the coding form for display in a notebook cell.

    Examples
    --------
    >>> form = coding_form()
    >>> form
    Coding form: 21 fictional extracts x 8 themes (interactive in the HTML edition)
    >>> form._repr_html_().count('type="application/json"')
    1
    """
    return CodingForm(form_data(exercise, codebook))


@dataclass(frozen=True)
class PageBlock:
    """A list of texts for a page: escaped HTML for the book, the same text as plain text.

    Attributes
    ----------
    items : tuple of tuple of (str, str)
        Each item is a tuple of (label, text) pairs; the first label is shown in
        bold, the others in italics. All of it is escaped.
    css_class : str
        Class of the HTML list.
    """

    items: tuple[tuple[tuple[str, str], ...], ...]
    css_class: str

    def _repr_html_(self) -> str:
        lines = []
        for item in self.items:
            (label, text), *rest = item
            parts = [f"<p><strong>{escape(label)}</strong> {escape(text)}</p>"]
            parts += [f"<p><em>{escape(k)}</em>: {escape(v)}</p>" for k, v in rest]
            lines.append(f"<li>{''.join(parts)}</li>")
        return f'<ul class="{escape(self.css_class)}">{"".join(lines)}</ul>'

    def __repr__(self) -> str:
        """Return the same content as wrapped plain text (for text outputs and nbval)."""
        lines = []
        for item in self.items:
            (label, text), *rest = item
            lines.append(textwrap.fill(f"- {label} {text}", 96, subsequent_indent="  "))
            lines += [
                textwrap.fill(f"{k}: {v}", 96, initial_indent="  ", subsequent_indent="  ")
                for k, v in rest
            ]
        return "\n".join(lines)


def key_block(
    exercise: pd.DataFrame | None = None, codebook: Mapping[str, Any] | None = None
) -> PageBlock:
    """Return the key of the exercise for a page: each extract's codes with their rationales.

    Examples
    --------
    >>> print(repr(key_block()).splitlines()[0])
    - X01 (client interview) reference: feeling understood.
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    labels = {t["id"]: t["label"] for t in codebook["themes"]}
    key = extract_rationales(exercise)
    items = []
    for row in exercise.itertuples(index=False):
        codes = key[key["excerpt_id"] == row.excerpt_id]
        summary = "; ".join(
            f"{status}: {', '.join(labels[t] for t in group['theme'])}"
            for status, group in codes.groupby("status", sort=False)
        )
        items.append(
            (
                (f"{row.excerpt_id} ({row.informant} interview)", f"{summary}."),
                *((f"{labels[c.theme]} ({c.status})", c.rationale) for c in codes.itertuples()),
            )
        )
    return PageBlock(tuple(items), "exercise-key")


def prompts_block(prompts: pd.DataFrame) -> PageBlock:
    """Return discussion prompts for a page, from :func:`~.exercise.discussion_prompts`.

    Examples
    --------
    >>> from alliance.teaching.exercise import discussion_prompts
    >>> print(repr(prompts_block(discussion_prompts())).splitlines()[0])
    - X03 (client interview) The key codes trust and accepts openness and cooperation. Which reading
    """
    items = tuple(
        (
            (f"{p.excerpt_id} ({p.informant} interview)", p.prompt),
            ("For the reference", p.for_the_reference),
            ("For the alternative", p.for_the_alternative),
        )
        for p in prompts.itertuples(index=False)
    )
    return PageBlock(items, "discussion-prompts")
