"""Checks shared by the analysis helpers before they compute anything.

Every helper that takes a tidy table checks that the columns it needs are
there, that codes take admissible values and that keys are not repeated, and
says which row is wrong, instead of failing deep inside pandas.
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


def _either(values: Sequence[object]) -> str:
    """Spell out a short list of allowed values: ``0 or 1``, ``one of ['a', 'b', 'c']``."""
    if len(values) == 2:
        return f"{values[0]!r} or {values[1]!r}"
    return f"one of {list(values)}"


def require_values(table: pd.DataFrame, column: str, allowed: Sequence[object], name: str) -> None:
    """Raise ``ValueError`` naming the first row whose ``column`` is not one of ``allowed``.

    Parameters
    ----------
    table : pandas.DataFrame
        The table a helper received; it must have ``column``.
    column : str
        The column to check.
    allowed : sequence
        The admissible values (an empty cell is not admissible unless listed).
    name : str
        How the error message calls the table (usually the argument's name).

    Raises
    ------
    ValueError
        If a value is not admissible; the message names the column, the first such
        row and its value, and how many such rows there are.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"who": ["client", "observer", "coach"]})
    >>> require_values(table.iloc[:1], "who", ["client", "therapist"], "demo")
    >>> require_values(table, "who", ["client", "therapist"], "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo: column who must be 'client' or 'therapist', but has 'observer' in row 1 ...
    """
    allowed = list(allowed)
    bad = ~table[column].isin(allowed)
    if bad.any():
        row = bad.idxmax()
        raise ValueError(
            f"{name}: column {column} must be {_either(allowed)}, but has "
            f"{table.loc[row, column]!r} in row {row} ({int(bad.sum())} such row(s))"
        )


def require_binary(table: pd.DataFrame, column: str, name: str) -> None:
    """Raise ``ValueError`` naming the first row whose ``column`` is not 0 or 1.

    Parameters
    ----------
    table : pandas.DataFrame
        The table a helper received; it must have ``column``.
    column : str
        A present/absent code, such as ``present``.
    name : str
        How the error message calls the table (usually the argument's name).

    Raises
    ------
    ValueError
        As :func:`require_values` with ``allowed=(0, 1)``.

    Examples
    --------
    >>> import pandas as pd
    >>> require_binary(pd.DataFrame({"present": [0, 1, 1]}), "present", "demo")
    >>> require_binary(pd.DataFrame({"present": [0, "yes", None]}), "present", "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo: column present must be 0 or 1, but has 'yes' in row 1 (2 such row(s))
    """
    require_values(table, column, (0, 1), name)


def require_unique(table: pd.DataFrame, key: Sequence[str], name: str) -> None:
    """Raise ``ValueError`` listing the rows that repeat a value of ``key``.

    Parameters
    ----------
    table : pandas.DataFrame
        The table a helper received; it must have the ``key`` columns.
    key : sequence of str
        Columns that together must identify a row.
    name : str
        How the error message calls the table (usually the argument's name).

    Raises
    ------
    ValueError
        If two or more rows share a key; the message names the first ten of them.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"session_id": ["S1", "S1", "S2"],
    ...                       "theme": ["trust", "anger", "trust"]})
    >>> require_unique(table, ["session_id", "theme"], "demo")
    >>> require_unique(table, ["session_id"], "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo: more than one row per session_id in rows [0, 1]
    """
    key = list(key)
    repeated = table.duplicated(key, keep=False)
    if repeated.any():
        columns = key[0] if len(key) == 1 else ", ".join(key[:-1]) + " and " + key[-1]
        raise ValueError(
            f"{name}: more than one row per {columns} in rows {list(table.index[repeated][:10])}"
        )


class InsufficientData(ValueError):
    """An analysis cannot run on these data (one dyad type, a single session, ...).

    The message says why in one line; callers that compute several analyses
    (``python -m alliance report``) print it and carry on with the others.

    Examples
    --------
    >>> issubclass(InsufficientData, ValueError)
    True
    """
