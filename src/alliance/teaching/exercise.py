"""Learn to code: an exercise sheet, a scorer that explains every disagreement.

The exercise takes short interview excerpts, hides the theme the consensus
filed each one under, and asks a learner to code every theme 0 or 1, as the
raters of the study did. :func:`score_coding` then compares the learner's
sheet with the reference and, for each disagreement, quotes the codebook rule
that decides it.

By default everything uses the compendium's synthetic excerpts (regenerated
by :func:`alliance.article.reconstruction.generate_study` with the book's seed, so identical to
``data/excerpts.csv``), which is also what the downloadable blank sheet holds.
Pass ``excerpts`` and ``codebook`` of another study to train coders on it.

Examples
--------
>>> exercise = exercise_excerpts()
>>> len(exercise), int(exercise["theme"].value_counts().min())
(32, 4)
>>> learner = simulate_learner(exercise, accuracy=1.0, extra_rate=0.0)
>>> score_coding(learner, exercise).summary["exact_matches"].item()
32
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alliance.data.codebook import THEMES, load_codebook
from alliance.stats.agreement import cohen_kappa
from alliance.teaching.sheets import SHEET_CONTEXT_COLUMNS, CodingSheetError, read_sheet

__all__ = [
    "EXERCISE_SEED",
    "CodingScore",
    "CodingSheetError",
    "blank_coding_sheet",
    "confusable_themes",
    "exercise_excerpts",
    "score_coding",
    "simulate_learner",
    "solution_sheet",
]

EXERCISE_SEED = 2020
"""Seed that picks and orders the exercise excerpts."""


@cache
def _book_excerpts() -> pd.DataFrame:
    from alliance.article.reconstruction import DEFAULT_SEED, generate_study

    return generate_study(DEFAULT_SEED)["excerpts"]


def exercise_excerpts(
    excerpts: pd.DataFrame | None = None, per_theme: int = 4, seed: int = EXERCISE_SEED
) -> pd.DataFrame:
    """Pick the excerpts of the coding exercise, with their reference theme.

    Excerpts tied to a facet are left out (their theme is a judgement about
    the facet's valence), and so are repeated texts. From the rest,
    ``per_theme`` excerpts of every theme are drawn, alternating client and
    therapist interviews where both exist, and the result is shuffled so that
    themes do not come in blocks.

    Parameters
    ----------
    excerpts : pandas.DataFrame, optional
        The ``excerpts`` table of a study (columns ``excerpt_id``, ``informant``,
        ``theme``, ``facet``, ``text``); defaults to the compendium's synthetic
        excerpts.
    per_theme : int, default 4
        Excerpts per theme (fewer if a theme has fewer distinct excerpts).
    seed : int, default :data:`EXERCISE_SEED`
        Seed of the draw and of the order.

    Returns
    -------
    pandas.DataFrame
        Columns ``excerpt_id``, ``informant``, ``text`` and ``theme`` (the
        reference: the theme the consensus filed the excerpt under).

    Raises
    ------
    ValueError
        If ``excerpts`` lacks a column or holds no excerpt without a facet.

    Examples
    --------
    >>> exercise = exercise_excerpts()
    >>> exercise.columns.tolist()
    ['excerpt_id', 'informant', 'text', 'theme']
    >>> exercise["excerpt_id"].is_unique and exercise["text"].is_unique
    True
    """
    excerpts = _book_excerpts() if excerpts is None else excerpts
    missing = [
        c for c in ("excerpt_id", "informant", "theme", "facet", "text") if c not in excerpts
    ]
    if missing:
        raise ValueError(f"excerpts lacks column(s) {missing}")
    facet = excerpts["facet"].fillna("").astype(str)
    pool = excerpts[facet == ""].sort_values("excerpt_id", kind="stable")
    pool = pool.drop_duplicates("text").reset_index(drop=True)
    if pool.empty:
        raise ValueError("excerpts holds no excerpt without a facet; the exercise needs some")
    rng = np.random.default_rng(seed)
    picks = []
    for theme in THEMES:
        groups = [
            pool.index[(pool["theme"] == theme) & (pool["informant"] == informant)].to_numpy()
            for informant in ("client", "therapist")
        ]
        shuffled = [rng.permutation(group) for group in groups]
        interleaved = [i for pair in zip_longest(*shuffled) for i in pair if i is not None]
        picks.extend(interleaved[:per_theme])
    chosen = pool.loc[rng.permutation(np.asarray(picks, dtype=int))]
    return chosen[["excerpt_id", "informant", "text", "theme"]].reset_index(drop=True)


def blank_coding_sheet(exercise: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the blank coding sheet: the excerpts, and one empty column per theme.

    Parameters
    ----------
    exercise : pandas.DataFrame, optional
        From :func:`exercise_excerpts`; defaults to the compendium's exercise.

    Returns
    -------
    pandas.DataFrame
        Columns ``excerpt_id``, ``informant``, ``text`` and the theme ids of
        :data:`alliance.data.codebook.THEMES`, the latter empty strings to be
        filled with 0 or 1. Save it with ``to_csv(path, index=False)``.

    Examples
    --------
    >>> sheet = blank_coding_sheet()
    >>> sheet.columns[:5].tolist()
    ['excerpt_id', 'informant', 'text', 'understood', 'comfortable']
    >>> set(sheet["trust"])
    {''}
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    sheet = exercise[list(SHEET_CONTEXT_COLUMNS)].copy()
    for theme in THEMES:
        sheet[theme] = ""
    return sheet


@dataclass(frozen=True)
class CodingScore:
    """How a coding sheet compares with the reference.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row: ``n_excerpts``, ``exact_matches`` (excerpts coded exactly as
        the reference), ``cell_agreement`` (share of excerpt x theme cells that
        agree) and ``mean_kappa`` (mean of the per-theme kappas).
    themes : pandas.DataFrame
        One row per theme: ``theme``, ``label``, ``reference_present``,
        ``coded_present``, ``missed``, ``extra``, ``percent_agreement`` and
        ``kappa`` (Cohen's, learner vs reference, over the excerpts).
    confusions : pandas.DataFrame
        ``reference_theme``, ``coded_theme`` and ``n``: how often an excerpt
        filed under one theme was coded with another (``(none)`` when no theme
        was coded). The diagonal counts hits.
    disagreements : pandas.DataFrame
        One row per excerpt x theme where learner and reference differ:
        ``excerpt_id``, ``informant``, ``text``, ``theme``, ``reference``,
        ``coded``, ``kind`` (``missed`` or ``extra``), and the codebook rule
        that decides it: ``rule_theme``, ``rule_kind`` (``definition`` or
        ``exclude``) and ``rule``.
    codes : pandas.DataFrame
        The learner's codes as read: ``excerpt_id`` and one 0/1 column per
        theme, in the order of the exercise.
    notes : tuple of str
        How the sheet was read: one line per normalisation (see
        :func:`alliance.teaching.sheets.read_sheet`), empty when read as is.
    """

    summary: pd.DataFrame
    themes: pd.DataFrame
    confusions: pd.DataFrame
    disagreements: pd.DataFrame
    codes: pd.DataFrame
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        """Return the whole score as readable text: ``print(score)``."""
        summary = self.summary.iloc[0]
        lines = [f"How the sheet was read: {note}." for note in self.notes]
        lines += [
            f"{int(summary['exact_matches'])} of {int(summary['n_excerpts'])} excerpts coded "
            "exactly as "
            f"the reference; {summary['cell_agreement']:.0%} of excerpt x theme cells agree.",
            "",
            "Per theme (missed and extra codes, agreement, Cohen's kappa):",
            self.themes.drop(columns="label").round(2).to_string(index=False),
            "",
            "Disagreements and the codebook rule that decides each:",
        ]
        if self.disagreements.empty:
            lines.append("  none")
        for row in self.disagreements.itertuples(index=False):
            source = "definition" if row.rule_kind == "definition" else "do not code when"
            lines += [
                f"- {row.excerpt_id} ({row.informant}): {row.kind} {row.theme}",
                textwrap.fill(
                    row.text, width=88, initial_indent="    > ", subsequent_indent="    > "
                ),
                textwrap.fill(
                    f"{row.rule_theme}, {source}: {row.rule}",
                    width=88,
                    initial_indent="    rule: ",
                    subsequent_indent="          ",
                ),
            ]
        return "\n".join(lines)


def _mentions(rule: str, theme: str) -> bool:
    return re.search(rf"\b{re.escape(theme)}\b", rule) is not None


def _deciding_rule(
    codebook: Mapping[str, Any], theme: str, reference_theme: str, kind: str
) -> tuple[str, str, str]:
    """Return (rule_theme, rule_kind, rule) that settles one disagreement."""
    entries = {t["id"]: t for t in codebook["themes"]}
    if kind == "extra":
        for rule in entries[theme]["exclude"]:
            if _mentions(rule, reference_theme):
                return theme, "exclude", rule
    return theme, "definition", entries[theme]["definition"]


def score_coding(
    sheet: pd.DataFrame | Path | str,
    exercise: pd.DataFrame | None = None,
    codebook: Mapping[str, Any] | None = None,
    *,
    empty_as_absent: bool = True,
) -> CodingScore:
    """Compare a learner's coding sheet with the reference and explain each disagreement.

    Parameters
    ----------
    sheet : pandas.DataFrame or path
        The filled-in sheet (see :func:`blank_coding_sheet`), as a DataFrame, a
        CSV file or an ``.xlsx`` workbook: ``excerpt_id``, one column per theme
        holding 0 or 1, and optionally ``informant``, ``text`` and notes. Rows
        may be in any order. Common spreadsheet habits (semicolons, TRUE/FALSE,
        ``x`` marks, blank cells for absent ...) are read and reported in
        :attr:`CodingScore.notes`; see :func:`alliance.teaching.sheets.read_sheet`.
    exercise : pandas.DataFrame, optional
        The exercise with its reference themes (:func:`exercise_excerpts`);
        defaults to the compendium's.
    codebook : mapping, optional
        The codebook whose rules explain disagreements; defaults to the
        compendium's (:func:`alliance.data.codebook.load_codebook`).
    empty_as_absent : bool, default True
        Read an empty theme cell as 0 (absent), for learners who type only the
        1s (reported in the notes). A row whose theme cells are all empty is
        still an error (not yet coded). With ``False`` every theme cell must
        hold a code.

    Returns
    -------
    CodingScore
        ``summary``, ``themes``, ``confusions`` and ``disagreements`` tables,
        the ``codes`` as read and the reading ``notes``; ``print(score)`` shows
        them all as readable text.

    Raises
    ------
    CodingSheetError
        (a ``ValueError``) listing every problem at once, grouped by cause,
        each naming the row (file line or DataFrame label, and excerpt) and
        column: a missing or unknown column (an unknown code), a missing,
        duplicated or unknown excerpt, a text that does not belong to its
        excerpt id, a cell that is not a code, or an uncoded row.

    Examples
    --------
    >>> exercise = exercise_excerpts()
    >>> sheet = simulate_learner(exercise, accuracy=0.75, seed=4)
    >>> score = score_coding(sheet, exercise)
    >>> print(score.summary[["n_excerpts", "exact_matches"]].to_string(index=False))
     n_excerpts  exact_matches
             32             17
    >>> bad = sheet.assign(trust=sheet["trust"].replace({1: "yes"}))
    >>> try:
    ...     score_coding(bad, exercise)
    ... except CodingSheetError as error:
    ...     print(error.problems[["column", "value"]].drop_duplicates().to_string())
      column value
    0  trust   yes
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    reading = read_sheet(sheet, exercise, empty_as_absent=empty_as_absent)
    coded = reading.codes[list(THEMES)].to_numpy()
    reference = _reference_codes(exercise)
    labels = {t["id"]: t["label"] for t in codebook["themes"]}
    return CodingScore(
        summary=_summary(coded, reference),
        themes=_theme_table(coded, reference, labels),
        confusions=_confusions(coded, exercise["theme"].to_numpy()),
        disagreements=_disagreements(coded, reference, exercise, codebook),
        codes=reading.codes,
        notes=reading.notes,
    )


def _summary(coded: np.ndarray, reference: np.ndarray) -> pd.DataFrame:
    kappas = [
        cohen_kappa(np.column_stack([reference[:, k], coded[:, k]]), categories=[0, 1])
        for k in range(len(THEMES))
    ]
    return pd.DataFrame(
        {
            "n_excerpts": [len(coded)],
            "exact_matches": [int((coded == reference).all(axis=1).sum())],
            "cell_agreement": [float((coded == reference).mean())],
            "mean_kappa": [float(np.nanmean(kappas))],
        }
    )


def _theme_table(
    coded: np.ndarray, reference: np.ndarray, labels: Mapping[str, str]
) -> pd.DataFrame:
    rows = []
    for k, theme in enumerate(THEMES):
        pair = np.column_stack([reference[:, k], coded[:, k]])
        rows.append(
            {
                "theme": theme,
                "label": labels[theme],
                "reference_present": int(reference[:, k].sum()),
                "coded_present": int(coded[:, k].sum()),
                "missed": int(((reference[:, k] == 1) & (coded[:, k] == 0)).sum()),
                "extra": int(((reference[:, k] == 0) & (coded[:, k] == 1)).sum()),
                "percent_agreement": float((pair[:, 0] == pair[:, 1]).mean()),
                "kappa": cohen_kappa(pair, categories=[0, 1]),
            }
        )
    return pd.DataFrame(rows)


def _confusions(coded: np.ndarray, reference_theme: np.ndarray) -> pd.DataFrame:
    pairs = [
        (ref, THEMES[k])
        for ref, row in zip(reference_theme, coded, strict=True)
        for k in np.flatnonzero(row)
    ]
    pairs += [
        (ref, "(none)") for ref, row in zip(reference_theme, coded, strict=True) if not row.any()
    ]
    order = {theme: k for k, theme in enumerate((*THEMES, "(none)"))}
    table = pd.DataFrame(pairs, columns=["reference_theme", "coded_theme"])
    table = table.value_counts().rename("n").reset_index()
    return table.sort_values(
        ["reference_theme", "coded_theme"], key=lambda col: col.map(order), kind="stable"
    ).reset_index(drop=True)


def _disagreements(
    coded: np.ndarray,
    reference: np.ndarray,
    exercise: pd.DataFrame,
    codebook: Mapping[str, Any],
) -> pd.DataFrame:
    rows = []
    for i, k in zip(*np.nonzero(coded != reference), strict=True):
        excerpt = exercise.iloc[i]
        kind = "missed" if reference[i, k] == 1 else "extra"
        rule_theme, rule_kind, rule = _deciding_rule(codebook, THEMES[k], excerpt["theme"], kind)
        rows.append(
            {
                "excerpt_id": excerpt["excerpt_id"],
                "informant": excerpt["informant"],
                "text": excerpt["text"],
                "theme": THEMES[k],
                "reference": int(reference[i, k]),
                "coded": int(coded[i, k]),
                "kind": kind,
                "rule_theme": rule_theme,
                "rule_kind": rule_kind,
                "rule": rule,
            }
        )
    columns = [
        "excerpt_id",
        "informant",
        "text",
        "theme",
        "reference",
        "coded",
        "kind",
        "rule_theme",
        "rule_kind",
        "rule",
    ]
    return pd.DataFrame(rows, columns=columns)


def confusable_themes(codebook: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """Map each theme to the themes its exclusion rules send coders to instead.

    Examples
    --------
    >>> confusable_themes()["understood"]
    ['empathy']
    >>> confusable_themes()["openness"]
    ['frustration', 'disengagement']
    """
    codebook = load_codebook() if codebook is None else codebook
    return {
        theme["id"]: [
            other
            for other in THEMES
            if other != theme["id"] and any(_mentions(rule, other) for rule in theme["exclude"])
        ]
        for theme in codebook["themes"]
    }


def simulate_learner(
    exercise: pd.DataFrame | None = None,
    codebook: Mapping[str, Any] | None = None,
    accuracy: float = 0.75,
    extra_rate: float = 0.1,
    seed: int = 0,
) -> pd.DataFrame:
    """Fill in a coding sheet as a plausible novice coder would.

    With probability ``accuracy`` the learner codes an excerpt's reference
    theme; otherwise they code a theme the codebook warns about instead (one
    named in the reference theme's exclusion rules, else another theme of the
    same valence). With probability ``extra_rate`` they also code one more
    theme of the same valence. Errors thus fall where the codebook says coders
    go wrong, not uniformly.

    Parameters
    ----------
    exercise : pandas.DataFrame, optional
        From :func:`exercise_excerpts`; defaults to the compendium's.
    codebook : mapping, optional
        Defaults to the compendium's codebook.
    accuracy : float, default 0.75
        Probability of coding the reference theme.
    extra_rate : float, default 0.1
        Probability of one additional (wrong) code.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    pandas.DataFrame
        A filled-in sheet with the columns of :func:`blank_coding_sheet` and
        integer 0/1 codes.

    Examples
    --------
    >>> sheet = simulate_learner(seed=1)
    >>> bool(sheet[list(THEMES)].isin([0, 1]).all().all())
    True
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    for name, value in (("accuracy", accuracy), ("extra_rate", extra_rate)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must be between 0 and 1; got {value!r}")
    valence = {t["id"]: t["valence"] for t in codebook["themes"]}
    confusable = confusable_themes(codebook)
    rng = np.random.default_rng(seed)
    sheet = blank_coding_sheet(exercise)
    codes = np.zeros((len(exercise), len(THEMES)), dtype=int)
    for i, theme in enumerate(exercise["theme"]):
        siblings = [t for t in THEMES if t != theme and valence[t] == valence[theme]]
        wrong = confusable[theme] or siblings
        chosen = theme if rng.random() < accuracy else wrong[rng.integers(len(wrong))]
        codes[i, THEMES.index(chosen)] = 1
        if siblings and rng.random() < extra_rate:
            codes[i, THEMES.index(siblings[rng.integers(len(siblings))])] = 1
    sheet[list(THEMES)] = codes
    return sheet


def solution_sheet(exercise: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the reference coding of the exercise as a filled-in sheet.

    Examples
    --------
    >>> bool(solution_sheet()[list(THEMES)].sum(axis=1).eq(1).all())
    True
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    sheet = blank_coding_sheet(exercise)
    sheet[list(THEMES)] = _reference_codes(exercise)
    return sheet


def _reference_codes(exercise: pd.DataFrame) -> np.ndarray:
    """Excerpts x themes 0/1 matrix: 1 for the theme each excerpt is filed under."""
    return (exercise["theme"].to_numpy()[:, None] == np.asarray(THEMES)[None, :]).astype(int)
