"""What the book needs from a study folder beyond what ``validate`` checks.

The chapters compare concordant with discordant dyads, so a study with a single
dyad type is valid (``python -m alliance report`` reports it, saying what it
cannot compare) but cannot become the book. ``make book`` runs
``python -m alliance.book.requirements "$ALLIANCE_DATA"`` before it builds
anything, so such a folder, or one that does not validate, is refused with a
short message instead of failing inside a chapter.

Examples
--------
>>> from alliance.data.dataset import load_study
>>> book_problems(load_study())
[]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from alliance.data.dataset import Study, StudyValidationError, load_study, printable
from alliance.study.sampling import DYAD_TYPES

__all__ = ["book_problems", "main"]


def book_problems(study: Study) -> list[str]:
    """List what keeps a valid study from becoming the book (empty when nothing does).

    Parameters
    ----------
    study : alliance.data.dataset.Study
        A loaded, valid study.

    Returns
    -------
    list of str
        One line per problem: today, a dyad type without any session.

    Examples
    --------
    >>> import dataclasses
    >>> study = load_study()
    >>> concordant = study.dyads.query("dyad_type == 'concordant'")["session_id"]
    >>> only = dataclasses.replace(study, sessions=study.sessions[
    ...     study.sessions["session_id"].isin(concordant)])
    >>> book_problems(only)  # doctest: +NORMALIZE_WHITESPACE
    ['no discordant session: the chapters compare concordant with discordant dyads
      (python -m alliance report works on this study)']
    """
    present = set(study.dyads["dyad_type"])
    return [
        f"no {dyad_type} session: the chapters compare concordant with discordant dyads "
        "(python -m alliance report works on this study)"
        for dyad_type in DYAD_TYPES
        if dyad_type not in present
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Check a study folder for the book; print why it cannot be built, return 0, 1 or 2.

    Parameters
    ----------
    argv : sequence of str, optional
        The study folder (one argument); defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 if the book can be built from the folder, 1 if it does not validate
        (every problem is printed), 2 if it is valid but the book needs more.
    """
    (folder,) = sys.argv[1:] if argv is None else argv
    try:
        study = load_study(Path(folder))
    except StudyValidationError as error:
        print(f"make book: the study folder does not validate:\n{error}", file=sys.stderr)
        return 1
    problems = book_problems(study)
    for problem in problems:
        print(f"make book: {printable(folder)}: {problem}", file=sys.stderr)
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
