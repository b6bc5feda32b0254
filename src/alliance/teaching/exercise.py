"""Learn to code: fictional interview extracts, a sheet, a scorer that explains every disagreement.

The exercise holds short, fictional interview extracts (a few turns between the
interviewer and a client or a therapist) and asks a learner to code every theme
0 or 1 for the whole extract, the unit the codebook defines. Each extract has
reference codes, each with a written rationale, and, where a careful coder could
defend another reading, acceptable alternative codes. :func:`score_coding`
compares the learner's sheet with the reference, reports a coded alternative as
*defensible* rather than as a mistake and, for each disagreement, quotes the
codebook rule that decides it.

The extracts are a package resource (``alliance/resources/exercise_extracts.yaml``,
marked fictional in the file), separate from the synthetic study's excerpts.
Pass ``bank`` (a YAML file of the same form) and ``codebook`` of another study to
train coders on it.

Examples
--------
>>> exercise = exercise_excerpts()
>>> len(exercise), sorted(set(exercise["informant"]))
(21, ['client', 'therapist'])
>>> learner = simulate_learner(exercise, accuracy=1.0, extra_rate=0.0)
>>> score_coding(learner, exercise).summary["exact_matches"].item()
21
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from alliance.data.codebook import INFORMANTS, THEMES, YAML_LOADER, load_codebook
from alliance.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)

__all__ = [
    "CodingScore",
    "CodingSheetError",
    "blank_coding_sheet",
    "cell_feedback",
    "compare_coefficients",
    "confusable_themes",
    "discussion_prompts",
    "exercise_excerpts",
    "extract_rationales",
    "load_extract_bank",
    "ratings_from_table",
    "score_coding",
    "simulate_learner",
    "solution_sheet",
]

SHEET_CONTEXT_COLUMNS: tuple[str, ...] = ("excerpt_id", "informant", "fictional", "text")
"""Columns of the blank sheet before the theme columns (``fictional`` holds "yes")."""

FICTIONAL_MARKER = "yes"
"""Value of the sheet's ``fictional`` column: the extracts are invented."""

NOTES_COLUMN = "notes"
"""An optional free-text column a learner may add; it is not scored."""

SPEAKERS: tuple[str, ...] = ("interviewer", "participant")
"""Who speaks in a turn of an extract; the participant is the client or the therapist."""

TURN_SEPARATOR = " / "
"""Joins the turns of an extract into the one-line ``text`` of the sheet."""

STATUSES: tuple[str, ...] = ("reference", "alternative")
"""How a theme stands in an extract's key: a reference code or a defensible alternative."""


def _bank_path() -> Any:
    return resources.files("alliance").joinpath("resources", "exercise_extracts.yaml")


def load_extract_bank(path: Path | str | None = None) -> dict[str, Any]:
    """Read and check a bank of exercise extracts.

    Parameters
    ----------
    path : pathlib.Path or str, optional
        A YAML file with ``fictional: true`` and a list ``extracts``, each with
        ``id``, ``informant`` (client or therapist), ``turns`` (pairs of speaker,
        interviewer or participant, and text), ``reference`` (theme id to
        rationale, at least one) and ``alternatives`` (theme id to rationale,
        possibly empty). Defaults to the compendium's bank.

    Returns
    -------
    dict
        The parsed bank.

    Raises
    ------
    ValueError
        Listing every problem at once, each naming the file and the extract.

    Examples
    --------
    >>> bank = load_extract_bank()
    >>> bank["fictional"], bank["extracts"][0]["id"]
    (True, 'X01')
    """
    source = _bank_path() if path is None else Path(path)
    name = "exercise_extracts.yaml" if path is None else str(path)
    bank = yaml.load(source.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    problems = _bank_problems(bank)
    if problems:
        raise ValueError(
            f"{len(problems)} problem(s) in extract bank {name}:\n"
            + "\n".join(f"  {p}" for p in problems)
        )
    return bank


def _bank_problems(bank: object) -> list[str]:
    if not isinstance(bank, dict) or not isinstance(bank.get("extracts"), list):
        return ["the file must be a mapping with a list 'extracts'"]
    problems = []
    if bank.get("fictional") is not True:
        problems.append("'fictional: true' is missing: the exercise uses invented extracts only")
    seen: set[str] = set()
    for n, extract in enumerate(bank["extracts"], start=1):
        where = f"extract {n} ({extract.get('id', '?') if isinstance(extract, dict) else '?'})"
        if not isinstance(extract, dict):
            problems.append(f"{where}: not a mapping")
            continue
        if extract.get("id") in seen or not isinstance(extract.get("id"), str):
            problems.append(f"{where}: the id must be a unique string")
        seen.add(extract.get("id"))
        if extract.get("informant") not in INFORMANTS:
            problems.append(f"{where}: informant must be one of {', '.join(INFORMANTS)}")
        turns = extract.get("turns")
        if not turns or not all(
            isinstance(t, list) and len(t) == 2 and t[0] in SPEAKERS and isinstance(t[1], str)
            for t in turns
        ):
            problems.append(f"{where}: turns must be [speaker, text] pairs, speaker in {SPEAKERS}")
        for key in ("reference", "alternatives"):
            codes = extract.get(key)
            if not isinstance(codes, dict) or (key == "reference" and not codes):
                problems.append(f"{where}: {key} must map theme ids to rationales")
                continue
            for theme, rationale in codes.items():
                if theme not in THEMES:
                    problems.append(f"{where}: {key} names {theme!r}, not a theme id")
                if not isinstance(rationale, str) or not rationale.strip():
                    problems.append(f"{where}: {key} {theme} has no rationale")
        both = set(extract.get("reference") or ()) & set(extract.get("alternatives") or ())
        if both:
            problems.append(f"{where}: {sorted(both)} both reference and alternative")
    return problems


def _speaker(speaker: str, informant: str) -> str:
    return "Interviewer" if speaker == "interviewer" else informant.capitalize()


def exercise_excerpts(bank: Path | str | None = None) -> pd.DataFrame:
    """Return the extracts of the coding exercise with their reference and alternative codes.

    Parameters
    ----------
    bank : pathlib.Path or str, optional
        An extract bank (see :func:`load_extract_bank`); defaults to the compendium's.

    Returns
    -------
    pandas.DataFrame
        One row per extract, in the bank's order: ``excerpt_id``, ``informant``,
        ``turns`` (tuple of (speaker, text) pairs, the speaker written as
        "Interviewer", "Client" or "Therapist"), ``text`` (the turns on one line,
        as on the sheet), ``reference`` and ``alternatives`` (tuples of theme
        ids in the order of :data:`~alliance.data.codebook.THEMES`) and
        ``rationales`` (theme id to rationale, for both).

    Examples
    --------
    >>> exercise = exercise_excerpts()
    >>> row = exercise.set_index("excerpt_id").loc["X03"]
    >>> row["reference"], row["alternatives"]
    (('trust',), ('openness',))
    >>> row["text"].split(TURN_SEPARATOR)[0]
    'Interviewer: Was there anything that made it easier to talk?'
    """
    rows = []
    for extract in load_extract_bank(bank)["extracts"]:
        informant = extract["informant"]
        turns = tuple((_speaker(s, informant), text.strip()) for s, text in extract["turns"])
        rows.append(
            {
                "excerpt_id": extract["id"],
                "informant": informant,
                "turns": turns,
                "text": TURN_SEPARATOR.join(f"{who}: {text}" for who, text in turns),
                "reference": tuple(t for t in THEMES if t in extract["reference"]),
                "alternatives": tuple(t for t in THEMES if t in extract["alternatives"]),
                "rationales": {
                    t: " ".join(r.split())
                    for t, r in {**extract["reference"], **extract["alternatives"]}.items()
                },
            }
        )
    return pd.DataFrame(rows)


def extract_rationales(exercise: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the key of the exercise as a tidy table: every code with its rationale.

    Parameters
    ----------
    exercise : pandas.DataFrame, optional
        From :func:`exercise_excerpts`; defaults to the compendium's.

    Returns
    -------
    pandas.DataFrame
        ``excerpt_id``, ``informant``, ``theme``, ``status`` (``reference`` or
        ``alternative``: defensible, not in the reference) and ``rationale``;
        extracts in exercise order, reference codes first, themes in order.

    Examples
    --------
    >>> key = extract_rationales()
    >>> print(key[key["excerpt_id"] == "X20"][["theme", "status"]].to_string(index=False))
            theme      status
            anger   reference
    disengagement   reference
      frustration alternative
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    rows = [
        {
            "excerpt_id": row.excerpt_id,
            "informant": row.informant,
            "theme": theme,
            "status": status,
            "rationale": row.rationales[theme],
        }
        for row in exercise.itertuples(index=False)
        for status, themes in zip(STATUSES, (row.reference, row.alternatives), strict=True)
        for theme in themes
    ]
    return pd.DataFrame(rows, columns=["excerpt_id", "informant", "theme", "status", "rationale"])


def discussion_prompts(
    exercise: pd.DataFrame | None = None, codebook: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Return a discussion prompt for every contested extract, built from the key.

    An extract is contested when its key accepts a defensible alternative. The
    prompt asks which reading the text supports and what would have to change
    for the alternative to become a reference code; the two rationales of the
    key are the material for the discussion.

    Parameters
    ----------
    exercise : pandas.DataFrame, optional
        From :func:`exercise_excerpts`; defaults to the compendium's.
    codebook : mapping, optional
        Defaults to the compendium's codebook (for the theme labels).

    Returns
    -------
    pandas.DataFrame
        One row per contested extract, in exercise order: ``excerpt_id``,
        ``informant``, ``prompt``, ``for_the_reference`` and
        ``for_the_alternative`` (the key's rationales, each led by its theme).

    Examples
    --------
    >>> prompts = discussion_prompts()
    >>> prompts["excerpt_id"].tolist()[:2]
    ['X03', 'X10']
    >>> print(prompts.loc[0, "prompt"][:57])
    The key codes trust and accepts openness and cooperation.
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    labels = {t["id"]: t["label"] for t in codebook["themes"]}
    rows = []
    for row in exercise[exercise["alternatives"].map(len) > 0].itertuples(index=False):
        reference = " and ".join(labels[t] for t in row.reference)
        alternatives = " or ".join(labels[t] for t in row.alternatives)
        rows.append(
            {
                "excerpt_id": row.excerpt_id,
                "informant": row.informant,
                "prompt": f"The key codes {reference} and accepts {alternatives}. Which reading "
                "does the extract support better, and which codebook rule would you cite? What "
                f"would have to change in the extract for {alternatives} to become a reference "
                "code?",
                "for_the_reference": " ".join(
                    f"{labels[t]}: {row.rationales[t]}" for t in row.reference
                ),
                "for_the_alternative": " ".join(
                    f"{labels[t]}: {row.rationales[t]}" for t in row.alternatives
                ),
            }
        )
    return pd.DataFrame(rows)


def blank_coding_sheet(exercise: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the blank coding sheet: the extracts, and one empty column per theme.

    Parameters
    ----------
    exercise : pandas.DataFrame, optional
        From :func:`exercise_excerpts`; defaults to the compendium's exercise.

    Returns
    -------
    pandas.DataFrame
        Columns ``excerpt_id``, ``informant``, ``fictional`` ("yes": the
        extracts are invented), ``text`` and the theme ids of
        :data:`alliance.data.codebook.THEMES`, the latter empty strings to be
        filled with 0 or 1. Save it with ``to_csv(path, index=False)``.

    Examples
    --------
    >>> sheet = blank_coding_sheet()
    >>> sheet.columns[:6].tolist()
    ['excerpt_id', 'informant', 'fictional', 'text', 'understood', 'comfortable']
    >>> set(sheet["trust"]), set(sheet["fictional"])
    ({''}, {'yes'})
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    sheet = exercise[["excerpt_id", "informant"]].assign(fictional=FICTIONAL_MARKER)
    sheet["text"] = exercise["text"]
    for theme in THEMES:
        sheet[theme] = ""
    return sheet


class CodingSheetError(ValueError):
    """A coding sheet cannot be scored; :attr:`problems` lists every problem.

    Parameters
    ----------
    source : str
        The file name, or ``"sheet"`` for a DataFrame.
    problems : pandas.DataFrame
        One row per problem: ``row`` (where it is), ``column``, ``value``, ``rule``.
    """

    def __init__(self, source: str, problems: pd.DataFrame) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in coding sheet {source}:"]
        for problem in problems.itertuples(index=False):
            where = [problem.row] if problem.row else []
            if problem.column:
                where.append(f"column {problem.column}")
            if problem.value:
                where.append(f"value {problem.value!r}")
            lines.append(
                "  " + ": ".join([", ".join(where), problem.rule] if where else [problem.rule])
            )
        super().__init__("\n".join(lines))


def _read_sheet(sheet: pd.DataFrame | Path | str) -> tuple[pd.DataFrame, str, pd.Series]:
    """Return the sheet, its name, and how to name each row in an error."""
    if isinstance(sheet, pd.DataFrame):
        names = pd.Series([f"row {label}" for label in sheet.index])
        return sheet.reset_index(drop=True), "sheet", names
    path = Path(sheet)
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8", skip_blank_lines=False
        )
    except UnicodeDecodeError as error:
        raise CodingSheetError(
            str(path),
            _one_problem(
                "", "", "", f"the file is not UTF-8 ({error.reason}); save it as 'CSV UTF-8'"
            ),
        ) from error
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        problem = _one_problem("", "", "", f"not a CSV table: {error}")
        raise CodingSheetError(str(path), problem) from error
    frame.columns = [c.removeprefix("\ufeff") for c in frame.columns]
    names = pd.Series([f"line {i + 2}" for i in range(len(frame))], index=frame.index)
    return frame, str(path), names


def _one_problem(row: str, column: str, value: str, rule: str) -> pd.DataFrame:
    return pd.DataFrame([{"row": row, "column": column, "value": value, "rule": rule}])


def _is_binary(value: object) -> bool:
    if isinstance(value, str):
        return value in ("0", "1")
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | float | np.integer | np.floating) and value in (0, 1)


def _sheet_problems(
    frame: pd.DataFrame, names: pd.Series, exercise: pd.DataFrame, empty_as_absent: bool
) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []

    def add(row: str, column: str, value: object, rule: str) -> None:
        problems.append({"row": row, "column": column, "value": str(value), "rule": rule})

    allowed = {*SHEET_CONTEXT_COLUMNS, *THEMES, NOTES_COLUMN}
    for column in frame.columns:
        if column not in allowed:
            add("header", str(column), "", f"unknown code: not a theme id ({', '.join(THEMES)})")
    for column in ("excerpt_id", *THEMES):
        if column not in frame.columns:
            add("header", column, "", "missing column: every theme needs a column of 0/1 codes")
    if "excerpt_id" not in frame.columns:
        return problems
    ids = frame["excerpt_id"].astype(str)
    reference = exercise.set_index("excerpt_id")
    for index in frame.index[ids.duplicated(keep=False)]:
        add(names[index], "excerpt_id", ids[index], "duplicate row: each excerpt is coded once")
    for index in frame.index[~ids.isin(reference.index)]:
        add(names[index], "excerpt_id", ids[index], "unknown excerpt: not in this exercise")
    absent = [e for e in exercise["excerpt_id"] if e not in set(ids)]
    for excerpt in absent:
        add("", "excerpt_id", excerpt, "missing row: this excerpt of the exercise is not coded")
    if "text" in frame.columns:
        known = ids.isin(reference.index)
        for index in frame.index[known]:
            if frame.at[index, "text"] != reference.at[ids[index], "text"]:
                add(
                    names[index],
                    "text",
                    str(frame.at[index, "text"])[:40],
                    f"the text is not that of excerpt {ids[index]}; were rows re-sorted "
                    "without their excerpt_id, or is the sheet from another exercise?",
                )
    themes = [theme for theme in THEMES if theme in frame.columns]
    for index in frame.index:
        where = f"{names[index]} (excerpt {ids[index]})"
        values = frame.loc[index, themes]
        empty = [theme for theme in themes if _is_empty(values[theme])]
        if empty and (len(empty) == len(themes) or not empty_as_absent):
            if len(empty) == len(themes):
                columns, rule = "every theme", "not coded yet: put 1 or 0 in each theme column"
            else:
                columns = ", ".join(empty)
                rule = (
                    "empty cells: put 0 where the theme is absent (or score with "
                    "empty_as_absent=True if you left absent themes blank on purpose)"
                )
            add(where, columns, "", rule)
        for theme in themes:
            if not _is_empty(values[theme]) and not _is_binary(values[theme]):
                add(where, theme, values[theme], "not a code: must be 0 (absent) or 1 (present)")
    return problems


def _is_empty(value: object) -> bool:
    if isinstance(value, str):
        return value == ""
    return bool(pd.isna(value))


@dataclass(frozen=True)
class CodingScore:
    """How a coding sheet compares with the reference.

    A learner's code for a theme that the extract lists as a defensible
    alternative is accepted either way: coded, it counts as agreement and is
    reported as ``defensible``; left out, it agrees with the reference.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row: ``n_excerpts``, ``exact_matches`` (extracts with no missed or
        extra code), ``cell_agreement`` (share of extract x theme cells that
        agree, alternatives accepted), ``mean_kappa`` (mean of the per-theme
        kappas) and ``defensible`` (alternatives coded).
    themes : pandas.DataFrame
        One row per theme: ``theme``, ``label``, ``reference_present``,
        ``coded_present``, ``missed``, ``extra``, ``defensible``,
        ``percent_agreement`` and ``kappa`` (Cohen's, learner vs the reference
        with the learner's defensible codes accepted, over the extracts).
    confusions : pandas.DataFrame
        ``reference_theme``, ``coded_theme`` and ``n``: in how many extracts
        whose reference holds one theme the learner coded another (``(none)``
        when no theme was coded). The diagonal counts hits.
    disagreements : pandas.DataFrame
        One row per extract x theme where learner and reference differ, in
        extract order, then theme order: ``excerpt_id``, ``informant``,
        ``text``, ``theme``, ``reference``, ``coded``, ``kind`` (``missed``,
        ``extra``, or ``defensible`` for a coded alternative), the codebook
        rule that decides it (``rule_theme``, ``rule_kind``: ``definition`` or
        ``exclude``, and ``rule``) and ``rationale`` (the key's reason for a
        missed reference code or a defensible alternative; empty for extra).
    """

    summary: pd.DataFrame
    themes: pd.DataFrame
    confusions: pd.DataFrame
    disagreements: pd.DataFrame

    def __str__(self) -> str:
        """Return the whole score as readable text: ``print(score)``."""
        summary = self.summary.iloc[0]
        lines = [
            f"{int(summary['exact_matches'])} of {int(summary['n_excerpts'])} extracts coded "
            "as the reference (defensible alternatives accepted); "
            f"{summary['cell_agreement']:.0%} of extract x theme cells agree; "
            f"{int(summary['defensible'])} defensible alternative code(s).",
            "",
            "Per theme (missed, extra and defensible codes, agreement, Cohen's kappa):",
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
            if row.rationale:
                lines.append(
                    textwrap.fill(
                        row.rationale,
                        width=88,
                        initial_indent="    why:  ",
                        subsequent_indent="          ",
                    )
                )
        return "\n".join(lines)


def _mentions(rule: str, theme: str) -> bool:
    return re.search(rf"\b{re.escape(theme)}\b", rule) is not None


def cell_feedback(
    exercise: pd.DataFrame | None = None, codebook: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Return, for every extract x theme, the feedback a disagreement there would get.

    A reference theme can only be *missed*, an alternative only coded as a
    *defensible* code, any other theme only coded as an *extra* code. The rule
    that decides a missed or defensible code is the theme's definition; for an
    extra code it is the coded theme's *do not code* rule that names one of the
    extract's reference themes, when there is one, and otherwise its definition.
    :func:`score_coding` and the browser form (:mod:`alliance.teaching.coding_form`)
    both take their feedback from here.

    Parameters
    ----------
    exercise : pandas.DataFrame, optional
        From :func:`exercise_excerpts`; defaults to the compendium's.
    codebook : mapping, optional
        Defaults to the compendium's codebook.

    Returns
    -------
    pandas.DataFrame
        One row per extract x theme (extract order, then theme order):
        ``excerpt_id``, ``theme``, ``reference`` (1 for a reference code),
        ``kind``, ``rule_theme``, ``rule_kind``, ``rule`` and ``rationale``.

    Examples
    --------
    >>> feedback = cell_feedback().set_index(["excerpt_id", "theme"])
    >>> feedback.loc[("X03", "comfortable"), ["kind", "rule_kind"]].tolist()
    ['extra', 'exclude']
    >>> feedback.loc[("X03", "openness"), "kind"], feedback.loc[("X03", "trust"), "kind"]
    ('defensible', 'missed')
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    entries = {t["id"]: t for t in codebook["themes"]}
    rows = []
    for row in exercise.itertuples(index=False):
        for theme in THEMES:
            rule_kind, rule = "definition", entries[theme]["definition"]
            rationale = row.rationales.get(theme, "")
            if theme in row.reference:
                kind = "missed"
            elif theme in row.alternatives:
                kind = "defensible"
            else:
                kind = "extra"
                excluding = [
                    r
                    for r in entries[theme]["exclude"]
                    if any(_mentions(r, t) for t in row.reference)
                ]
                if excluding:
                    rule_kind, rule = "exclude", excluding[0]
            rows.append(
                {
                    "excerpt_id": row.excerpt_id,
                    "theme": theme,
                    "reference": int(theme in row.reference),
                    "kind": kind,
                    "rule_theme": theme,
                    "rule_kind": rule_kind,
                    "rule": rule,
                    "rationale": rationale,
                }
            )
    return pd.DataFrame(rows)


def score_coding(
    sheet: pd.DataFrame | Path | str,
    exercise: pd.DataFrame | None = None,
    codebook: Mapping[str, Any] | None = None,
    *,
    empty_as_absent: bool = False,
) -> CodingScore:
    """Compare a learner's coding sheet with the reference and explain each disagreement.

    Parameters
    ----------
    sheet : pandas.DataFrame or path
        The filled-in sheet (see :func:`blank_coding_sheet`), as a DataFrame or
        a UTF-8 CSV file: ``excerpt_id``, one column per theme holding 0 or 1,
        and optionally ``informant``, ``fictional``, ``text`` and ``notes``.
        Rows may be in any order.
    exercise : pandas.DataFrame, optional
        The exercise with its reference codes (:func:`exercise_excerpts`);
        defaults to the compendium's.
    codebook : mapping, optional
        The codebook whose rules explain disagreements; defaults to the
        compendium's (:func:`alliance.data.codebook.load_codebook`).
    empty_as_absent : bool, default False
        Read an empty theme cell as 0 (absent), for learners who type only the
        1s. A row whose theme cells are all empty is still an error (not yet
        coded). By default every theme cell must hold 0 or 1.

    Returns
    -------
    CodingScore
        ``summary``, ``themes``, ``confusions`` and ``disagreements`` tables;
        ``print(score)`` shows them all as readable text.

    Raises
    ------
    CodingSheetError
        (a ``ValueError``) listing every problem at once, each naming the row
        (file line or DataFrame label, and extract) and column: a missing or
        unknown column (an unknown code), a missing, duplicated or unknown
        extract, a text that does not belong to its extract id, a cell that is
        not 0 or 1, or empty cells (one problem per row, naming the columns).

    Examples
    --------
    >>> exercise = exercise_excerpts()
    >>> sheet = simulate_learner(exercise, accuracy=0.75, seed=4)
    >>> score = score_coding(sheet, exercise)
    >>> print(score.summary[["n_excerpts", "exact_matches"]].to_string(index=False))
     n_excerpts  exact_matches
             21             13
    >>> bad = sheet.assign(trust=sheet["trust"].replace({1: "yes"}))
    >>> try:
    ...     score_coding(bad, exercise)
    ... except CodingSheetError as error:
    ...     print(error.problems[["column", "value", "rule"]].drop_duplicates().to_string())
      column value                                           rule
    0  trust   yes  not a code: must be 0 (absent) or 1 (present)
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    frame, source, names = _read_sheet(sheet)
    problems = _sheet_problems(frame, names, exercise, empty_as_absent)
    if problems:
        raise CodingSheetError(source, pd.DataFrame(problems))
    cells = (
        frame.assign(excerpt_id=frame["excerpt_id"].astype(str))
        .set_index("excerpt_id")
        .loc[exercise["excerpt_id"], list(THEMES)]
    )
    coded = cells.map(lambda value: 0 if _is_empty(value) else int(float(value))).to_numpy()
    reference = _theme_matrix(exercise["reference"])
    accepted = reference | (_theme_matrix(exercise["alternatives"]) & coded)
    labels = {t["id"]: t["label"] for t in codebook["themes"]}
    return CodingScore(
        summary=_summary(coded, reference, accepted),
        themes=_theme_table(coded, reference, accepted, labels),
        confusions=_confusions(coded, reference),
        disagreements=_disagreements(coded, reference, exercise, codebook),
    )


def _theme_matrix(themes: pd.Series) -> np.ndarray:
    """Return the extracts x themes 0/1 matrix: 1 where a theme is in the extract's tuple."""
    return np.array([[int(t in row) for t in THEMES] for row in themes], dtype=int).reshape(
        len(themes), len(THEMES)
    )


def _kappa(key: np.ndarray, coded: np.ndarray) -> float:
    return cohen_kappa(np.column_stack([key, coded]), categories=[0, 1])


def _summary(coded: np.ndarray, reference: np.ndarray, accepted: np.ndarray) -> pd.DataFrame:
    kappas = [_kappa(accepted[:, k], coded[:, k]) for k in range(len(THEMES))]
    return pd.DataFrame(
        {
            "n_excerpts": [len(coded)],
            "exact_matches": [int((coded == accepted).all(axis=1).sum())],
            "cell_agreement": [float((coded == accepted).mean())],
            "mean_kappa": [float(np.nanmean(kappas))],
            "defensible": [int((accepted & ~reference.astype(bool)).sum())],
        }
    )


def _theme_table(
    coded: np.ndarray, reference: np.ndarray, accepted: np.ndarray, labels: Mapping[str, str]
) -> pd.DataFrame:
    rows = []
    for k, theme in enumerate(THEMES):
        ref, got, key = reference[:, k], coded[:, k], accepted[:, k]
        rows.append(
            {
                "theme": theme,
                "label": labels[theme],
                "reference_present": int(ref.sum()),
                "coded_present": int(got.sum()),
                "missed": int(((ref == 1) & (got == 0)).sum()),
                "extra": int(((key == 0) & (got == 1)).sum()),
                "defensible": int(((ref == 0) & (key == 1)).sum()),
                "percent_agreement": float((key == got).mean()),
                "kappa": _kappa(key, got),
            }
        )
    return pd.DataFrame(rows)


def _confusions(coded: np.ndarray, reference: np.ndarray) -> pd.DataFrame:
    columns = (*THEMES, "(none)")
    counts = reference.T @ np.column_stack([coded, ~coded.any(axis=1)]).astype(int)
    table = pd.DataFrame(counts, index=list(THEMES), columns=list(columns))
    table = table.rename_axis(index="reference_theme", columns="coded_theme").stack()
    return table[table > 0].rename("n").reset_index()


def _disagreements(
    coded: np.ndarray,
    reference: np.ndarray,
    exercise: pd.DataFrame,
    codebook: Mapping[str, Any],
) -> pd.DataFrame:
    feedback = cell_feedback(exercise, codebook)
    differs = (coded != reference).ravel()
    rows = feedback[differs].assign(
        informant=np.repeat(exercise["informant"].to_numpy(), len(THEMES))[differs],
        text=np.repeat(exercise["text"].to_numpy(), len(THEMES))[differs],
        coded=coded.ravel()[differs],
    )
    rows.loc[rows["kind"] == "extra", "rationale"] = ""
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
        "rationale",
    ]
    return rows[columns].reset_index(drop=True)


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

    For each reference code of an extract, with probability ``accuracy`` the
    learner codes it; otherwise they code a theme the codebook warns about
    instead (one named in the reference theme's exclusion rules, else another
    theme of the same valence). With probability ``extra_rate`` they also code
    one more theme of the same valence as the extract's first reference theme
    (which may be a defensible alternative). Errors thus fall where the
    codebook says coders go wrong, not uniformly.

    Parameters
    ----------
    exercise : pandas.DataFrame, optional
        From :func:`exercise_excerpts`; defaults to the compendium's.
    codebook : mapping, optional
        Defaults to the compendium's codebook.
    accuracy : float, default 0.75
        Probability of coding each reference theme.
    extra_rate : float, default 0.1
        Probability of one additional code per extract.
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
    for i, themes in enumerate(exercise["reference"]):
        for theme in themes:
            siblings = [t for t in THEMES if t != theme and valence[t] == valence[theme]]
            wrong = confusable[theme] or siblings
            chosen = theme if rng.random() < accuracy else wrong[rng.integers(len(wrong))]
            codes[i, THEMES.index(chosen)] = 1
        siblings = [t for t in THEMES if t != themes[0] and valence[t] == valence[themes[0]]]
        if rng.random() < extra_rate:
            codes[i, THEMES.index(siblings[rng.integers(len(siblings))])] = 1
    sheet[list(THEMES)] = codes
    return sheet


def solution_sheet(exercise: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the reference coding of the exercise as a filled-in sheet.

    Examples
    --------
    >>> sheet = solution_sheet()
    >>> sheet.set_index("excerpt_id").loc["X17", ["understood", "frustration", "anger"]].tolist()
    [1, 1, 0]
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    sheet = blank_coding_sheet(exercise)
    sheet[list(THEMES)] = _theme_matrix(exercise["reference"])
    return sheet


def ratings_from_table(table: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Expand a two-rater agreement table into one row of ratings per unit.

    Parameters
    ----------
    table : pandas.DataFrame or array-like, shape (q, q)
        Counts of units: row ``k``, column ``l`` = units that rater 1 put in
        category ``k`` and rater 2 in category ``l``. A DataFrame's index
        labels are the categories (they must equal its column labels);
        otherwise the categories are ``0 .. q-1``.

    Returns
    -------
    numpy.ndarray, shape (units, 2)
        The two raters' labels, rows ordered by cell (row-major), ready for
        the functions of :mod:`alliance.stats.agreement`.

    Raises
    ------
    ValueError
        If the table is not square, its labels differ between rows and
        columns, or a count is negative or not a whole number.

    Examples
    --------
    >>> ratings_from_table([[2, 1], [0, 1]])
    array([[0, 0],
           [0, 0],
           [0, 1],
           [1, 1]])
    """
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(np.asarray(table))
    counts = frame.to_numpy()
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"an agreement table must be square; got shape {counts.shape}")
    if list(frame.index) != list(frame.columns):
        raise ValueError(
            f"rows {list(frame.index)} and columns {list(frame.columns)} must list the same "
            "categories in the same order"
        )
    if (counts < 0).any() or (np.asarray(counts, dtype=float) % 1 != 0).any():
        raise ValueError(f"counts must be non-negative whole numbers; got {counts.tolist()}")
    labels = np.asarray(frame.index)
    rows, cols = np.indices(counts.shape)
    repeats = counts.astype(int).ravel()
    return np.column_stack(
        [np.repeat(labels[rows.ravel()], repeats), np.repeat(labels[cols.ravel()], repeats)]
    )


def compare_coefficients(
    examples: Mapping[str, object], categories: Sequence[object] = (0, 1)
) -> pd.DataFrame:
    """Compute percent agreement and the chance-corrected coefficients side by side.

    Parameters
    ----------
    examples : mapping of str to array-like
        Named units x raters rating arrays (see :func:`ratings_from_table`).
    categories : sequence, default (0, 1)
        All categories, so that an unused one still counts.

    Returns
    -------
    pandas.DataFrame
        One row per example, in the given order: ``example``, ``n_units``,
        ``n_raters``, ``prevalence`` (share of ratings in the last category,
        e.g. "present"), ``percent_agreement``, ``cohen_kappa`` (two raters
        only, else NaN), ``fleiss_kappa``, ``krippendorff_alpha``,
        ``gwet_ac1`` and ``brennan_prediger`` (free-marginal kappa, which for
        two categories is PABAK), all from :mod:`alliance.stats.agreement`.

    Examples
    --------
    >>> table = compare_coefficients({"rare theme": ratings_from_table([[5, 10], [5, 80]])})
    >>> print(table[["percent_agreement", "cohen_kappa", "gwet_ac1"]].round(3).to_string())
       percent_agreement  cohen_kappa  gwet_ac1
    0               0.85        0.318     0.808
    """
    categories = list(categories)
    rows = []
    for name, ratings in examples.items():
        array = np.asarray(ratings)
        rows.append(
            {
                "example": name,
                "n_units": array.shape[0],
                "n_raters": array.shape[1],
                "prevalence": float((array == categories[-1]).mean()),
                "percent_agreement": percent_agreement(array, categories),
                "cohen_kappa": (
                    cohen_kappa(array, categories) if array.shape[1] == 2 else float("nan")
                ),
                "fleiss_kappa": fleiss_kappa(array, categories),
                "krippendorff_alpha": krippendorff_alpha(array, categories=categories),
                "gwet_ac1": gwet_ac1(array, categories),
                "brennan_prediger": brennan_prediger(array, categories),
            }
        )
    return pd.DataFrame(rows)
