"""Checks shared by the analysis helpers before they compute anything.

Every helper that takes a tidy table checks that the columns it needs are
there, and says which are missing, instead of failing deep inside pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def require_columns(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """Raise ``ValueError`` naming the table and the columns it lacks.

    Parameters
    ----------
    table : pandas.DataFrame
        The table a helper received.
    columns : sequence of str
        Columns the helper needs.
    name : str
        How the error message calls the table (usually the argument's name).

    Raises
    ------
    ValueError
        If any of ``columns`` is missing; the message lists them and the columns present.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"], "demo")
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo lacks required column(s) ['b']; it has ['a']
    """
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"{name} lacks required column(s) {missing}; it has {list(table.columns)}")


def require_complete(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """Like :func:`require_columns`, and also reject empty values in those columns.

    Raises
    ------
    ValueError
        If a column is missing, or a row leaves one of ``columns`` empty; the
        message names the first such row and how many there are.

    Examples
    --------
    >>> import pandas as pd
    >>> require_complete(pd.DataFrame({"a": [1, 2]}), ["a"], "demo")
    >>> require_complete(pd.DataFrame({"a": [1, None]}), ["a"], "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo: empty value in column(s) ['a'] at row 1 (1 such row(s)); ...
    """
    require_columns(table, columns, name)
    blank = table[list(columns)].isna().any(axis=1)
    if blank.any():
        row = blank.idxmax()
        raise ValueError(
            f"{name}: empty value in column(s) {list(columns)} at row {row} "
            f"({int(blank.sum())} such row(s)); nothing is dropped silently"
        )
