"""What the book needs from a study folder beyond what ``validate`` checks.

The chapters follow the study's design: its group names, informants, raters and
themes come from its data and metadata, and a chapter skips, with a sentence,
what the design lacks (dyad congruence without both informants, a power search
without a solution). What no chapter can work around is a comparison without
two groups: a study whose sessions all fall into one group of its design is
valid (``python -m alliance report`` reports it, saying what it cannot compare)
but cannot become the book. ``make book`` runs
``python -m alliance.book.requirements "$ALLIANCE_DATA"`` before it builds
anything, so such a folder, or one that does not validate, is refused with one
line instead of failing inside a chapter.

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
        At most one line: fewer than two of the design's groups have a session.

    Examples
    --------
    >>> import dataclasses
    >>> study = load_study()
    >>> concordant = study.dyads.query("dyad_type == 'concordant'")["session_id"]
    >>> only = dataclasses.replace(study, sessions=study.sessions[
    ...     study.sessions["session_id"].isin(concordant)])
    >>> book_problems(only)  # doctest: +NORMALIZE_WHITESPACE
    ['every session is concordant (groups: concordant, discordant): the chapters compare
      groups (python -m alliance report works on this study)']
    """
    labels = study.design.grouping.labels
    present = [label for label in labels if label in set(study.dyads["dyad_type"])]
    if len(present) >= 2:
        return []
    found = f"every session is {present[0]}" if present else "no session falls into a group"
    return [
        f"{printable(found)} (groups: {printable(', '.join(labels))}): the chapters "
        "compare groups (python -m alliance report works on this study)"
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
