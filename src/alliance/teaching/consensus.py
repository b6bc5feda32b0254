"""The consensus-negotiation exercise: two coders, their disagreements, and an agreed coding.

Two students code the exercise independently. :func:`disagreement_log` lists
every excerpt x theme cell where their sheets differ, with empty columns for
each coder's argument and for the code they agree on. They negotiate, fill in
the log, and :func:`score_consensus` scores the resulting consensus against
the key beside each coder alone: did negotiating move the pair towards the key,
and on which disagreements did the better argument win?

The article reports that three raters coded the interviews and how well they
agreed, but not how they settled disagreements; this procedure (independent
coding, a written log of arguments, an agreed code per disagreement) is ours,
one common way of reaching consensus, not a description of the study's.

Examples
--------
>>> from alliance.teaching.exercise import exercise_excerpts, simulate_learner
>>> exercise = exercise_excerpts()
>>> a = simulate_learner(exercise, accuracy=0.7, seed=1)
>>> b = simulate_learner(exercise, accuracy=0.7, seed=2)
>>> log = disagreement_log(a, b, exercise)
>>> log.columns.tolist()[3:]
['theme', 'code_a', 'code_b', 'argument_a', 'argument_b', 'agreed']
>>> agreed = log.assign(agreed=log["code_a"])  # the pair always follows coder A
>>> result = score_consensus(agreed, a, b, exercise)
>>> table = result.comparison.set_index("coding")
>>> bool(table.loc["consensus"].equals(table.loc["coder A"]))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alliance.data.codebook import THEMES, load_codebook
from alliance.teaching.exercise import (
    CodingScore,
    blank_coding_sheet,
    exercise_excerpts,
    score_coding,
    solution_sheet,
)
from alliance.teaching.sheets import parse_code, read_sheet, read_table

__all__ = [
    "LOG_COLUMNS",
    "ConsensusError",
    "ConsensusScore",
    "disagreement_log",
    "score_consensus",
]

LOG_COLUMNS: tuple[str, ...] = (
    "excerpt_id",
    "informant",
    "text",
    "theme",
    "code_a",
    "code_b",
    "argument_a",
    "argument_b",
    "agreed",
)
"""Columns of the disagreement log; the last three are filled in by the pair."""


class ConsensusError(ValueError):
    """A disagreement log cannot be scored: it is incomplete or does not match the sheets."""


def disagreement_log(
    sheet_a: pd.DataFrame | Path | str,
    sheet_b: pd.DataFrame | Path | str,
    exercise: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """List every excerpt x theme where two coders' sheets differ, ready for negotiation.

    Parameters
    ----------
    sheet_a, sheet_b : pandas.DataFrame or path
        The two coders' filled-in sheets (anything
        :func:`~alliance.teaching.sheets.read_sheet` reads).
    exercise : pandas.DataFrame, optional
        The exercise (:func:`~alliance.teaching.exercise.exercise_excerpts`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LOG_COLUMNS`, one row per disagreement in the order of
        the exercise and of the themes: the excerpt, the theme, each coder's
        code (1 present, 0 absent), and empty ``argument_a``, ``argument_b``
        and ``agreed`` columns. Save it with ``to_csv(path, index=False)``.

    Raises
    ------
    CodingSheetError
        If a sheet cannot be read.

    Examples
    --------
    >>> from alliance.teaching.exercise import solution_sheet
    >>> key = solution_sheet()
    >>> other = key.copy()
    >>> other.loc[0, "trust"] = 1 - other.loc[0, "trust"]
    >>> disagreement_log(key, other)[["theme", "code_a", "code_b"]].to_dict("records")
    [{'theme': 'trust', 'code_a': 0, 'code_b': 1}]
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    a = read_sheet(sheet_a, exercise).codes[list(THEMES)].to_numpy()
    b = read_sheet(sheet_b, exercise).codes[list(THEMES)].to_numpy()
    rows = []
    for i, k in zip(*np.nonzero(a != b), strict=True):
        excerpt = exercise.iloc[i]
        rows.append(
            {
                "excerpt_id": excerpt["excerpt_id"],
                "informant": excerpt["informant"],
                "text": excerpt["text"],
                "theme": THEMES[k],
                "code_a": int(a[i, k]),
                "code_b": int(b[i, k]),
                "argument_a": "",
                "argument_b": "",
                "agreed": "",
            }
        )
    return pd.DataFrame(rows, columns=list(LOG_COLUMNS))


@dataclass(frozen=True)
class ConsensusScore:
    """The consensus coding against the key, beside each coder alone.

    Attributes
    ----------
    comparison : pandas.DataFrame
        Rows ``coder A``, ``coder B`` and ``consensus``: ``exact_matches``,
        ``cell_agreement`` and ``mean_kappa`` against the key (as
        :func:`~alliance.teaching.exercise.score_coding`).
    decisions : pandas.DataFrame
        The log with ``key`` (the key's code) and ``won``: whose code the pair
        agreed on (``A``, ``B``), and ``right``: whether it is the key's.
    consensus : CodingScore
        The full score of the consensus sheet, with every remaining
        disagreement and the codebook rule that decides it.
    """

    comparison: pd.DataFrame
    decisions: pd.DataFrame
    consensus: CodingScore

    def __str__(self) -> str:
        """Return the comparison and the decisions as text."""
        n = len(self.decisions)
        right = int(self.decisions["right"].sum())
        won = self.decisions["won"].value_counts()
        lines = [
            f"{n} disagreement(s) negotiated: the pair kept coder A's code in "
            f"{int(won.get('A', 0))} and coder B's in {int(won.get('B', 0))}; "
            f"the agreed code is the key's in {right} of {n}.",
            "",
            "Against the key:",
            self.comparison.round(3).to_string(index=False),
        ]
        if n:
            lines += [
                "",
                "Decisions:",
                self.decisions[["excerpt_id", "theme", "code_a", "code_b", "agreed", "key"]]
                .assign(right=self.decisions["right"].map({True: "yes", False: "no"}))
                .to_string(index=False),
            ]
        wrong = self.decisions.loc[~self.decisions["right"], ["excerpt_id", "theme"]]
        rules = self.consensus.disagreements.merge(wrong, on=["excerpt_id", "theme"])
        if not rules.empty:
            lines += ["", "Where the agreed code differs from the key, the codebook says:"]
            for row in rules.itertuples(index=False):
                lines.append(f"- {row.excerpt_id}, {row.theme} ({row.kind}): {row.rule}")
        return "\n".join(lines)


def _log_frame(log: pd.DataFrame | Path | str) -> tuple[pd.DataFrame, list[str], str]:
    raw = read_table(log)
    header = [name.replace("\ufeff", "").strip().lower() for name in raw.header]
    missing = [c for c in ("excerpt_id", "theme", "code_a", "code_b", "agreed") if c not in header]
    if missing:
        raise ConsensusError(
            f"the disagreement log {raw.source} lacks column(s) {', '.join(missing)}; "
            "make it with `python -m alliance consensus-log A B --out log.csv`"
        )
    frame = pd.DataFrame(raw.rows, columns=header, dtype=object)
    keep = [
        i for i, row in enumerate(raw.rows) if any(str(v or "").strip() for v in row)
    ]  # drop empty rows a spreadsheet keeps
    return frame.iloc[keep].reset_index(drop=True), [raw.names[i] for i in keep], raw.source


def score_consensus(
    log: pd.DataFrame | Path | str,
    sheet_a: pd.DataFrame | Path | str,
    sheet_b: pd.DataFrame | Path | str,
    exercise: pd.DataFrame | None = None,
    codebook: Mapping[str, Any] | None = None,
) -> ConsensusScore:
    """Score a negotiated consensus against the key and against each coder alone.

    The consensus sheet is the two coders' common codes where they agreed and
    the log's ``agreed`` code where they did not.

    Parameters
    ----------
    log : pandas.DataFrame or path
        The disagreement log of :func:`disagreement_log`, with ``agreed``
        filled in (1 or 0; TRUE/FALSE and ``x`` are read too; a blank is an error).
    sheet_a, sheet_b : pandas.DataFrame or path
        The two sheets the log was made from.
    exercise : pandas.DataFrame, optional
        The exercise (:func:`~alliance.teaching.exercise.exercise_excerpts`).
    codebook : mapping, optional
        Defaults to the compendium's codebook.

    Returns
    -------
    ConsensusScore
        ``comparison`` (coder A, coder B, consensus against the key),
        ``decisions`` and the consensus's full ``CodingScore``.

    Raises
    ------
    ConsensusError
        If the log lacks a column, an ``agreed`` cell is blank or not a code
        (all such rows named at once), or the log does not list exactly the
        disagreements of the two sheets (were the sheets changed after the log
        was made?).
    CodingSheetError
        If a sheet cannot be read.
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    a_score = score_coding(sheet_a, exercise, codebook)
    b_score = score_coding(sheet_b, exercise, codebook)
    a = a_score.codes.set_index("excerpt_id")[list(THEMES)]
    b = b_score.codes.set_index("excerpt_id")[list(THEMES)]
    frame, names, source = _log_frame(log)
    agreed, problems = [], []
    for name, row in zip(names, frame.itertuples(index=False), strict=True):
        code, _ = parse_code(row.agreed)
        if code is None:
            problems.append(f"{name} ({row.excerpt_id}, {row.theme}): {row.agreed!r}")
        agreed.append(code)
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise ConsensusError(
            f"{len(problems)} row(s) of {source} have no agreed code (put 1 or 0 in the agreed "
            f"column): {shown}"
        )
    frame = frame.assign(
        excerpt_id=frame["excerpt_id"].astype(str).str.strip(),
        theme=frame["theme"].astype(str).str.strip(),
        agreed=agreed,
    )
    differ = (a != b).stack()
    expected = set(differ[differ].index)
    listed = set(zip(frame["excerpt_id"], frame["theme"], strict=True))
    if expected != listed:
        extra, absent = sorted(listed - expected), sorted(expected - listed)
        detail = []
        if absent:
            detail.append(
                f"{len(absent)} disagreement(s) of the sheets are not in the log, "
                f"e.g. {absent[0][0]} {absent[0][1]}"
            )
        if extra:
            detail.append(
                f"{len(extra)} row(s) of the log are not disagreements of the sheets, "
                f"e.g. {extra[0][0]} {extra[0][1]}"
            )
        raise ConsensusError(
            f"the log {source} does not match these two sheets: {'; '.join(detail)}. "
            "Were the sheets changed after the log was made?"
        )
    consensus = a.copy()
    for row in frame.itertuples(index=False):
        consensus.loc[row.excerpt_id, row.theme] = row.agreed
    sheet = blank_coding_sheet(exercise)
    sheet[list(THEMES)] = consensus.loc[exercise["excerpt_id"].astype(str)].to_numpy()
    consensus_score = score_coding(sheet, exercise, codebook)
    key = solution_sheet(exercise).set_index(exercise["excerpt_id"].astype(str))[list(THEMES)]
    decisions = frame[[c for c in LOG_COLUMNS if c in frame.columns]].assign(
        key=[int(key.loc[r.excerpt_id, r.theme]) for r in frame.itertuples(index=False)]
    )
    decisions["code_a"] = [int(a.loc[r.excerpt_id, r.theme]) for r in decisions.itertuples()]
    decisions["code_b"] = [int(b.loc[r.excerpt_id, r.theme]) for r in decisions.itertuples()]
    decisions["won"] = np.where(decisions["agreed"] == decisions["code_a"], "A", "B")
    decisions["right"] = decisions["agreed"] == decisions["key"]
    columns = ["exact_matches", "cell_agreement", "mean_kappa"]
    comparison = pd.concat(
        [s.summary[columns] for s in (a_score, b_score, consensus_score)], ignore_index=True
    )
    comparison.insert(0, "coding", ["coder A", "coder B", "consensus"])
    return ConsensusScore(comparison=comparison, decisions=decisions, consensus=consensus_score)
