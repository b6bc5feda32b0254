"""Tables for readers and for nbval: one object, two faithful renderings.

A chapter shows a key table with :func:`show_table`. In the built book the reader sees a
formatted HTML table with a caption (that says "synthetic data" when the study is the
reconstruction), and strict nbval compares the plain-text rendering, which holds every row and
column with the same number formats. Every cell is escaped: text from a study folder stays
text.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"theme": ["trust", "anger"], "kappa": [0.7213, 0.6]})
>>> table = show_table(
...     frame, "Fleiss' kappa per theme", formats={"kappa": ".2f"}, synthetic=False
... )
>>> print(repr(table))
Fleiss' kappa per theme
theme kappa
trust  0.72
anger  0.60
>>> "<caption>Fleiss&#x27; kappa per theme</caption>" in table._repr_html_()
True
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["SYNTHETIC_NOTE", "Table", "present_of_n", "show_table"]

SYNTHETIC_NOTE = "synthetic data"
"""What a caption adds when the table shows the synthetic reconstruction."""


def _format_cell(value: Any, spec: str | None) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value) if spec is None else format(value, spec)


@dataclass(frozen=True)
class Table:
    """A captioned table that renders as HTML for readers and as complete text for nbval.

    Build it with :func:`show_table`; the cells are already formatted strings.

    Attributes
    ----------
    cells : pandas.DataFrame
        The formatted cells (strings), in display order.
    caption : str
        The caption, shown above the table.
    index : bool
        Whether the frame's index is part of the table.
    numeric : tuple of int
        Positions of the columns that hold numbers; the HTML aligns them right.
    wrap : tuple of int
        Positions of the text columns whose cells may wrap at spaces in the HTML
        (long labels), so a table keeps to the content column.
    """

    cells: pd.DataFrame
    caption: str
    index: bool = field(default=False)
    numeric: tuple[int, ...] = field(default=())
    wrap: tuple[int, ...] = field(default=())

    def __repr__(self) -> str:
        """Caption, then every row and column as text (what strict nbval compares)."""
        return f"{self.caption}\n{self.cells.to_string(index=self.index)}"

    def _repr_html_(self) -> str:
        # Headings show spaces for underscores, so a long column name can wrap in the HTML.
        spaced = [str(column).replace("_", " ") for column in self.cells.columns]
        cells = self.cells
        if len(set(spaced)) == len(spaced):
            cells = self.cells.set_axis(spaced, axis="columns")
        styler = (
            cells.style.format(escape="html")
            .format_index(escape="html", axis="index")
            .format_index(escape="html", axis="columns")
            .set_caption(html.escape(self.caption))
        )
        # Element ids from the content, not random: the same table renders the same HTML.
        styler = styler.set_uuid(hashlib.sha256(repr(self).encode()).hexdigest()[:10])
        if not self.index:
            styler = styler.hide(axis="index")
        styler = styler.set_table_attributes('class="dataframe alliance-table"')
        styles = []
        if self.numeric:
            cells = ", ".join(f"td.col{i}, th.col{i}" for i in self.numeric)
            styles.append({"selector": cells, "props": "text-align: right;"})
        if self.wrap:
            cells = ", ".join(f"td.col{i}" for i in self.wrap)
            styles.append({"selector": cells, "props": "white-space: normal; min-width: 6em;"})
        if styles:
            styler = styler.set_table_styles(styles)
        # A focusable, labelled region, so keyboard users can scroll a wide table.
        label = html.escape(self.caption, quote=True)
        return (
            f'<div class="alliance-table-scroll" tabindex="0" role="region" '
            f'aria-label="{label}">{styler.to_html()}</div>'
        )


def show_table(
    frame: pd.DataFrame,
    caption: str,
    *,
    synthetic: object,
    formats: Mapping[str, str] | None = None,
    index: bool = False,
    headers: Mapping[str, str] | None = None,
    wrap: Sequence[str] = (),
) -> Table:
    """Return a table for display: formatted cells and a caption, escaped.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, rows already in the order to show (sort before, for determinism).
    caption : str
        What the table shows, in a phrase.
    formats : mapping of str to str, optional
        Format specification per column (``".2f"``, ``".0%"``, ``"d"``); other columns are
        shown with ``str``. Missing values show as empty cells.
    synthetic : object
        Truthy when the table shows generated data: pass the study's ``synthetic``
        (a dict for generated data, ``None`` for real data), or ``False`` for a
        table that shows no study's data (a simulation, a prior, a codebook). The
        caption then says "synthetic data" exactly when it applies. Required, so
        that no table of a study forgets to say it.
    index : bool, default False
        Whether to show the frame's index (for pivot tables whose index is a label).
    headers : mapping of str to str, optional
        Column headings to show instead of the column names (short headings keep a
        table inside the content column); ``formats`` still names the columns.
    wrap : sequence of str, default ()
        Text columns whose cells may wrap at spaces in the HTML (long labels);
        other cells stay on one line. The text rendering is unchanged.

    Returns
    -------
    Table
        Displays as HTML in the book and as complete text for strict nbval.

    Raises
    ------
    KeyError
        If ``formats``, ``headers`` or ``wrap`` names a column the frame lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"dyad_type": ["concordant"], "share": [0.5]})
    >>> print(repr(show_table(frame, "Share", formats={"share": ".0%"}, synthetic=True)))
    Share (synthetic data)
     dyad_type share
    concordant   50%
    >>> print(repr(show_table(frame, "Share", formats={"share": ".0%"},
    ...                       synthetic=None, headers={"dyad_type": "dyad"})))
    Share
          dyad share
    concordant   50%
    """
    formats = dict(formats or {})
    headers = dict(headers or {})
    for name, given in (("formats", formats), ("headers", headers), ("wrap", wrap)):
        unknown = sorted(set(given) - set(map(str, frame.columns)))
        if unknown:
            raise KeyError(f"{name} names columns the table lacks: {unknown}")
    cells = pd.DataFrame(
        {
            column: [_format_cell(v, formats.get(str(column))) for v in frame[column]]
            for column in frame
        },
        index=frame.index,
    )
    cells.columns = [headers.get(str(column), column) for column in frame.columns]
    if synthetic:
        caption = f"{caption} ({SYNTHETIC_NOTE})"
    numeric = tuple(
        position
        for position, column in enumerate(frame)
        if pd.api.types.is_numeric_dtype(frame[column])
        and not pd.api.types.is_bool_dtype(frame[column])
    )
    wrapped = tuple(position for position, column in enumerate(frame) if column in set(wrap))
    return Table(cells=cells, caption=caption, index=index, numeric=numeric, wrap=wrapped)


def present_of_n(comparison: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """Return ``comparison`` with one ``present/n`` text column per group, for narrow tables.

    Parameters
    ----------
    comparison : pandas.DataFrame
        A comparison of groups with ``present_<group>`` and ``n_<group>`` columns
        (:func:`alliance.study.dyads.compare_dyad_types`).
    groups : sequence of str
        The groups, in display order; each becomes a column named after it.

    Returns
    -------
    pandas.DataFrame
        A copy with the new columns (an existing column of a group's name is replaced).

    Raises
    ------
    KeyError
        If a group's ``present_`` or ``n_`` column is missing.

    Examples
    --------
    >>> frame = pd.DataFrame({"present_A": [2], "n_A": [26], "present_B": [8], "n_B": [29]})
    >>> present_of_n(frame, ["A", "B"])[["A", "B"]].to_dict("records")
    [{'A': '2/26', 'B': '8/29'}]
    """
    shown = comparison.copy()
    for group in groups:
        present, n = comparison[f"present_{group}"], comparison[f"n_{group}"]
        shown[group] = present.astype(str) + "/" + n.astype(str)
    return shown
