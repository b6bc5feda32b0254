"""Phrases a chapter glues so that its prose is true of the study it was built on.

A chapter of the book runs on whatever study ``ALLIANCE_DATA`` names. Group
names, counts, the synthetic-data mark of a caption and the reason a passage is
left out come from the study's data and metadata through these helpers and
``{glue:text}`` (a plain text node: a group name from a study folder stays text).
Which cells a chapter shows is decided by their ``only`` condition
(``_ext/study_design.py``).

Examples
--------
>>> synthetic_note({"seed": 1}), synthetic_note(None)
(' (synthetic data)', '')
>>> counted({"A": 6, "B": 6, "C": 5}, "dyads")
'6 A, 6 B and 5 C dyads'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from alliance.book.tables import SYNTHETIC_NOTE
from alliance.stats.checks import InsufficientData

__all__ = ["attempt", "counted", "join_words", "not_shown", "synthetic_note"]

T = TypeVar("T")


def synthetic_note(synthetic: object, lead: str = " (", tail: str = ")") -> str:
    """Return the caption's "synthetic data" mark, or an empty string for real data.

    Parameters
    ----------
    synthetic : object
        The study's ``synthetic`` property (truthy for generated data).
    lead, tail : str
        Text around the mark (``"; "`` and ``""`` inside a parenthesis).

    Returns
    -------
    str

    Examples
    --------
    >>> synthetic_note(True, "; ", "")
    '; synthetic data'
    """
    return f"{lead}{SYNTHETIC_NOTE}{tail}" if synthetic else ""


def join_words(words: Sequence[object]) -> str:
    """Join words as prose: ``a``, ``a and b``, ``a, b and c``.

    Examples
    --------
    >>> join_words(["client"]), join_words(["A", "B", "C"])
    ('client', 'A, B and C')
    """
    words = [str(word) for word in words]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def counted(counts: Mapping[str, int], noun: str) -> str:
    """Say how many of ``noun`` each group has: ``26 concordant and 29 discordant dyads``.

    Parameters
    ----------
    counts : mapping of str to int
        Group name to count, in display order.
    noun : str
        What is counted, plural.

    Returns
    -------
    str

    Examples
    --------
    >>> counted({"concordant": 26, "discordant": 29}, "intakes")
    '26 concordant and 29 discordant intakes'
    """
    return join_words([f"{int(n)} {group}" for group, n in counts.items()]) + f" {noun}"


def not_shown(what: str, reason: str = "article") -> str:
    """Say in one line why a passage of the chapter is not shown for this study.

    Parameters
    ----------
    what : str
        The passage, as the subject of the sentence ("The published comparison").
    reason : {"article", "groups", "informants"}
        ``article``: the data do not declare that they reconstruct the article;
        ``groups``: the design does not compare exactly two groups;
        ``informants``: the design did not interview both clients and therapists.

    Returns
    -------
    str

    Examples
    --------
    >>> not_shown("The scorecard")  # doctest: +NORMALIZE_WHITESPACE
    'The scorecard is not shown: these data do not declare that they reconstruct
    the article this book was written for.'
    """
    reasons = {
        "article": "these data do not declare that they reconstruct the article this "
        "book was written for",
        "groups": "it compares two groups, and this study's design does not have exactly two",
        "informants": "it needs both the client's and the therapist's interview of a "
        "session, and this study coded one informant only",
    }
    return f"{what} is not shown: {reasons[reason]}."


def attempt(compute: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T | None, str]:
    """Run a computation the data may not support; return its result or the reason.

    Parameters
    ----------
    compute : callable
        A helper that raises :class:`alliance.stats.checks.InsufficientData`
        (one line) when the data cannot support it; any other error propagates.
    *args, **kwargs
        Passed to ``compute``.

    Returns
    -------
    tuple
        ``(result, "")``, or ``(None, reason)`` where ``reason`` is a sentence
        to glue in place of the result.

    Examples
    --------
    >>> def mean(values):
    ...     if not values:
    ...         raise InsufficientData("no value to average")
    ...     return sum(values) / len(values)
    >>> attempt(mean, [1, 2])
    (1.5, '')
    >>> attempt(mean, [])
    (None, 'Not computed for these data: no value to average.')
    """
    try:
        return compute(*args, **kwargs), ""
    except InsufficientData as reason:
        return None, f"Not computed for these data: {str(reason).rstrip('.')}."
