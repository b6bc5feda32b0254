"""The coding exercise's feedback as MyST lists, for chapter 11's pages.

:func:`alliance.teaching.exercise.score_coding` returns tables; these helpers
write a few of their rows as the bullet lists a reader sees, and lay out the
confusions as a matrix narrow enough for the page. Every rule,
rationale and label passes through :func:`alliance.book.markup.escape_myst`,
so codebook text stays text.

Examples
--------
>>> print(confusable_markdown({"trust": ["comfortable"]}, {"trust": "trust",
...                            "comfortable": "feeling comfortable"}))
- *trust*: *feeling comfortable*
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from alliance.book.markup import escape_myst

__all__ = [
    "KINDS",
    "confusable_markdown",
    "confusion_matrix",
    "disagreements_markdown",
    "first_disagreements",
]

KINDS: tuple[str, ...] = ("missed", "extra", "defensible")
"""The kinds of disagreement of a score, in the order the chapter explains them."""


def first_disagreements(disagreements: pd.DataFrame, per_kind: int = 2) -> pd.DataFrame:
    """Return the first few disagreements of each kind, missed codes first.

    Parameters
    ----------
    disagreements : pandas.DataFrame
        ``score.disagreements`` of :func:`alliance.teaching.exercise.score_coding`.
    per_kind : int, default 2
        How many of each kind (:data:`KINDS`) to keep.

    Returns
    -------
    pandas.DataFrame
        The chosen rows, unchanged, grouped by kind in :data:`KINDS` order.

    Examples
    --------
    >>> rows = pd.DataFrame({"kind": ["extra", "missed", "extra", "extra"], "n": [1, 2, 3, 4]})
    >>> first_disagreements(rows)["n"].tolist()
    [2, 1, 3]
    """
    return pd.concat(
        [disagreements[disagreements["kind"] == kind].head(per_kind) for kind in KINDS]
    )


def _explain(row: object, labels: Mapping[str, str]) -> str:
    theme = f"*{escape_myst(labels[row.theme])}*"
    what = {
        "missed": f"missed {theme}",
        "defensible": f"coded {theme}, a defensible alternative",
    }.get(row.kind, f"coded {theme}, which the reference does not code")
    source = "definition" if row.rule_kind == "definition" else "when not to code it"
    rule = f"Rule ({escape_myst(labels[row.rule_theme])}, {source}): {escape_myst(row.rule)}"
    why = f" Why: {escape_myst(row.rationale)}" if row.rationale else ""
    return f"- **{escape_myst(row.excerpt_id)}**: {what}. {rule}{why}"


def disagreements_markdown(disagreements: pd.DataFrame, labels: Mapping[str, str]) -> str:
    r"""Write disagreements as a MyST bullet list, each with the rule that decides it.

    Parameters
    ----------
    disagreements : pandas.DataFrame
        Rows of ``score.disagreements`` (e.g. :func:`first_disagreements`):
        ``excerpt_id``, ``theme``, ``kind``, ``rule_theme``, ``rule_kind``,
        ``rule`` and ``rationale``.
    labels : mapping of str to str
        Theme id to label (:func:`alliance.data.codebook.theme_labels`).

    Returns
    -------
    str
        One bullet per row: the extract, what was coded or missed, the rule
        (its theme and whether it is the definition or a *do not code* rule)
        and the reason, when there is one. Every text is escaped.

    Examples
    --------
    >>> row = pd.DataFrame([{"excerpt_id": "X01", "theme": "anger", "kind": "extra",
    ...     "rule_theme": "anger", "rule_kind": "definition", "rule": "Open *hostility*",
    ...     "rationale": ""}])
    >>> print(disagreements_markdown(row, {"anger": "anger"}).replace(". Rule", ".\nRule"))
    - **X01**: coded *anger*, which the reference does not code.
    Rule (anger, definition): Open \*hostility\*
    """
    return "\n".join(_explain(row, labels) for row in disagreements.itertuples())


def confusable_markdown(confused: Mapping[str, Sequence[str]], labels: Mapping[str, str]) -> str:
    """Write each theme with the neighbours its *do not code* rules name, as a MyST list.

    Parameters
    ----------
    confused : mapping of str to sequence of str
        :func:`alliance.teaching.exercise.confusable_themes`.
    labels : mapping of str to str
        Theme id to label.

    Returns
    -------
    str
        One bullet per theme, its neighbours in italics ("none named" if none).

    Examples
    --------
    >>> print(confusable_markdown({"anger": []}, {"anger": "anger"}))
    - *anger*: none named
    """
    lines = []
    for theme, others in confused.items():
        named = ", ".join(f"*{escape_myst(labels[o])}*" for o in others) or "none named"
        lines.append(f"- *{escape_myst(labels[theme])}*: {named}")
    return "\n".join(lines)


def confusion_matrix(confusions: pd.DataFrame, themes: Sequence[str]) -> pd.DataFrame:
    """Lay out a score's confusions as a matrix whose columns are numbered like its rows.

    Numbers instead of theme names as column headings keep the matrix inside
    the book's content column.

    Parameters
    ----------
    confusions : pandas.DataFrame
        ``score.confusions``: ``reference_theme``, ``coded_theme`` (a theme or
        ``"(none)"``) and ``n``.
    themes : sequence of str
        Theme ids, in the order of the rows.

    Returns
    -------
    pandas.DataFrame
        Index ``reference theme`` ("1 trust", ...); one integer column per
        coded theme, headed by the number of its row, then ``none`` (extracts
        coded with no theme); only columns with a count.

    Examples
    --------
    >>> confusions = pd.DataFrame({"reference_theme": ["trust", "trust", "anger"],
    ...     "coded_theme": ["trust", "anger", "(none)"], "n": [3, 1, 2]})
    >>> matrix = confusion_matrix(confusions, ["trust", "anger"])
    >>> print(matrix.to_string())  # doctest: +NORMALIZE_WHITESPACE
                     1  2  none
    reference theme
    1 trust          3  1     0
    2 anger          0  0     2
    """
    matrix = (
        confusions.pivot(index="reference_theme", columns="coded_theme", values="n")
        .reindex(index=list(themes), columns=[*themes, "(none)"])
        .fillna(0)
        .astype(int)
    )
    matrix = matrix.loc[:, (matrix != 0).any()]
    number = {theme: str(position) for position, theme in enumerate(themes, start=1)}
    matrix.index = pd.Index([f"{number[t]} {t}" for t in matrix.index], name="reference theme")
    matrix.columns = [number.get(theme, "none") for theme in matrix.columns]
    return matrix
