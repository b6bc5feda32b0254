"""The book's tables: a caption travels with every table, and says when the data are synthetic.

A chapter header that says "synthetic data" is lost as soon as a reader copies one
table into slides or a thesis. :func:`captioned` wraps a DataFrame so that both its
plain-text form (what strict nbval compares, and what a terminal shows) and its HTML
form (what the book shows) start with a caption, and the caption ends with
"(synthetic data)" whenever the study is synthetic.

Examples
--------
>>> import pandas as pd
>>> table = captioned(pd.DataFrame({"n": [26, 29]}, index=["concordant", "discordant"]),
...                   "Dyads by type", synthetic={"seed": 1})
>>> print(repr(table))
Table: Dyads by type (synthetic data)
             n
concordant  26
discordant  29
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

__all__ = ["CaptionedTable", "caption_text", "captioned"]


def caption_text(caption: str, synthetic: object) -> str:
    """Return the caption, with "(synthetic data)" appended when ``synthetic`` is truthy.

    Examples
    --------
    >>> caption_text("Themes per session", synthetic=None)
    'Themes per session'
    >>> caption_text("Themes per session", synthetic=True)
    'Themes per session (synthetic data)'
    """
    return f"{caption} (synthetic data)" if synthetic else caption


@dataclass(frozen=True)
class CaptionedTable:
    """A DataFrame shown with its caption, as plain text and as HTML.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    caption : str
        The full caption (see :func:`caption_text`).
    index : bool
        Whether to show the index.
    """

    frame: pd.DataFrame
    caption: str
    index: bool = True

    def __repr__(self) -> str:
        return f"Table: {self.caption}\n{self.frame.to_string(index=self.index)}"

    def _repr_html_(self) -> str:
        table = self.frame.to_html(index=self.index, border=0)
        caption = f"<caption>{html.escape(self.caption)}</caption>"
        opening = table.index(">") + 1
        return table[:opening] + caption + table[opening:]


def captioned(
    frame: pd.DataFrame, caption: str, synthetic: object, *, index: bool = True
) -> CaptionedTable:
    r"""Wrap ``frame`` so that it is displayed with a caption that says when data are synthetic.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to show (rounded and sorted as it should appear).
    caption : str
        What the table shows, without the synthetic label.
    synthetic : object
        Truthy when the data are synthetic, e.g. ``Study.synthetic``.
    index : bool, default True
        Whether to show the index.

    Returns
    -------
    CaptionedTable
        Displays as "Table: caption" above the table in plain text, and as an HTML
        table with a ``<caption>``.

    Examples
    --------
    >>> shown = captioned(pd.DataFrame({"a": [1]}), "One row", synthetic=None, index=False)
    >>> shown._repr_html_().split("\n")[0]
    '<table class="dataframe"><caption>One row</caption>'
    """
    return CaptionedTable(frame, caption_text(caption, synthetic), index)
