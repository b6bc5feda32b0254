r"""Study text on the book's pages: the one place where data becomes markup.

Text from a study folder (excerpts, codebook labels, definitions and rules, names,
notes) is data. It reaches a page only through this module, which escapes every
character MyST or Markdown could read as markup, so that an excerpt holding
``<script>``, a ``{download}`` role or a fenced directive is shown as those
characters and never acted on. MyST turns the escaped text into plain text
nodes, which Sphinx escapes again for HTML. Chapters glue the renderers' output
with ``{glue:md}``; ``tests/test_markup.py`` checks that no chapter turns study
text into markup any other way.

Values pasted with ``{glue:text}`` need no escaping: myst-nb inserts them as a
text node that MyST never parses and Sphinx escapes for HTML.

Examples
--------
>>> print(escape_myst("<b>bold</b> {download}`/etc/passwd`"))
\<b\>bold\<\/b\> \{download\}\`\/etc\/passwd\`
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from alliance.data.dataset import printable

__all__ = ["codebook_markdown", "escape_myst", "excerpts_markdown", "one_line"]

_ESCAPES = {ord(char): "\\" + char for char in string.punctuation}
"""Every ASCII punctuation character, which CommonMark lets a backslash make literal."""


def one_line(value: object) -> str:
    r"""Return ``str(value)`` on one line: whitespace runs become one space, controls escaped.

    Examples
    --------
    >>> one_line("  two\n\nlines\x07 ")
    'two lines\\x07'
    """
    return printable(" ".join(str(value).split()))


def escape_myst(value: object) -> str:
    r"""Return ``value`` as MyST Markdown that reads as exactly its text, on one line.

    The text is put on one line (:func:`one_line`), so it cannot start a block
    (a heading, a fence, a directive, a list, a table, raw HTML), and every ASCII
    punctuation character is backslash-escaped, which CommonMark and MyST read as
    that literal character: no emphasis, link, image, role, substitution, math,
    HTML tag or entity can form.

    Parameters
    ----------
    value : object
        Any value; ``str(value)`` is escaped.

    Returns
    -------
    str
        Escaped MyST, safe to place inside a paragraph, list item or heading.

    Examples
    --------
    >>> escape_myst("![x](../../etc/hostname)")
    '\\!\\[x\\]\\(\\.\\.\\/\\.\\.\\/etc\\/hostname\\)'
    >>> escape_myst("```{raw} html\n<script>")
    '\\`\\`\\`\\{raw\\} html \\<script\\>'
    """
    return one_line(value).translate(_ESCAPES)


def _capitalised(text: object) -> str:
    text = one_line(text)
    return text[:1].upper() + text[1:]


def _bullets(items: Sequence[object]) -> str:
    return "\n".join(f"- {escape_myst(item)}" for item in items)


def codebook_markdown(codebook: Mapping[str, Any]) -> str:
    r"""Render the themes of a codebook as MyST, one collapsible block per theme.

    Every text of the codebook goes through :func:`escape_myst`; only the
    structure (admonitions, headings, bullets) is markup.

    Parameters
    ----------
    codebook : mapping
        A parsed and checked ``codebook.yaml`` (``Study.codebook`` or
        :func:`alliance.data.codebook.load_codebook`): a ``themes`` list whose
        entries have ``id`` and ``label``, and may have ``valence``,
        ``difficulty``, ``definition``, ``include``, ``exclude`` and ``example``
        (what a theme lacks is left out).

    Returns
    -------
    str
        MyST Markdown: for each theme, in order, a dropdown admonition headed with
        its number, label and id that holds the definition, when to code it, when
        not to, and an example.

    Examples
    --------
    >>> theme = {"id": "trust", "label": "trust", "valence": "positive",
    ...          "difficulty": "moderate", "definition": "Relying on the other.",
    ...          "include": ["Says they can rely on them."], "exclude": ["Competence only."],
    ...          "example": "I knew I was in good hands."}
    >>> print(codebook_markdown({"themes": [theme]}))
    :::{admonition} 1\. Trust \(trust\)\: positive\, moderate
    :class: dropdown
    Relying on the other\.
    <BLANKLINE>
    **Code it when**
    <BLANKLINE>
    - Says they can rely on them\.
    <BLANKLINE>
    **Do not code it when**
    <BLANKLINE>
    - Competence only\.
    <BLANKLINE>
    **Example**: \"I knew I was in good hands\.\"
    :::
    >>> print(codebook_markdown({"themes": [{"id": "t1", "label": "being heard"}]}))
    :::{admonition} 1\. Being heard \(t1\)
    :class: dropdown
    No definition given\.
    :::
    """
    blocks = []
    for number, theme in enumerate(codebook["themes"], start=1):
        grades = [str(theme[key]) for key in ("valence", "difficulty") if theme.get(key)]
        head = f"{number}. {_capitalised(theme['label'])} ({theme['id']})"
        head = escape_myst(f"{head}: {', '.join(grades)}" if grades else head)
        lines = [f":::{{admonition}} {head}", ":class: dropdown"]
        lines.append(escape_myst(theme.get("definition") or "No definition given."))
        for key, title in (("include", "Code it when"), ("exclude", "Do not code it when")):
            if theme.get(key):
                lines += ["", f"**{title}**", "", _bullets(theme[key])]
        if theme.get("example"):
            lines += ["", "**Example**: " + escape_myst(f'"{one_line(theme["example"])}"')]
        blocks.append("\n".join([*lines, ":::"]))
    return "\n\n".join(blocks)


def excerpts_markdown(
    excerpts: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    note: str = "",
) -> str:
    r"""Render chosen excerpts as Markdown block quotes, grouped under their theme.

    Every value (text, label, ids, informant, note) goes through :func:`escape_myst`.

    Parameters
    ----------
    excerpts : pandas.DataFrame
        Rows of ``excerpts.csv`` in display order, e.g. from
        :func:`alliance.study.thematic.select_excerpts`.
    labels : mapping, optional
        Display label for each theme id.
    note : str, optional
        Added after each attribution, e.g. ``"synthetic"``.

    Returns
    -------
    str
        Markdown; a line saying there are no excerpts when ``excerpts`` is empty.

    Examples
    --------
    >>> chosen = pd.DataFrame({"excerpt_id": ["E1"], "session_id": ["S1"],
    ...                        "informant": ["client"], "theme": ["trust"],
    ...                        "text": ["I felt <b>safe</b>."]})
    >>> print(excerpts_markdown(chosen, {"trust": "trust"}, note="synthetic"))
    **Trust**
    <BLANKLINE>
    > I felt \<b\>safe\<\/b\>\.
    >
    > *Client\, session S1\, excerpt E1 \(synthetic\)*
    """
    if excerpts.empty:
        return "*This study folder holds no excerpts.*"
    parts = []
    for theme, rows in excerpts.groupby("theme", sort=False, observed=True):
        parts.append(f"**{escape_myst(_capitalised((labels or {}).get(theme, theme)))}**")
        for row in rows.itertuples(index=False):
            suffix = f" ({note})" if note else ""
            source = (
                f"{_capitalised(row.informant)}, session {row.session_id}, "
                f"excerpt {row.excerpt_id}{suffix}"
            )
            parts.append(f"> {escape_myst(row.text)}\n>\n> *{escape_myst(source)}*")
    return "\n\n".join(parts)
