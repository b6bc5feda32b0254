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
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from alliance.data.codebook import INFORMANTS, THEMES, YAML_LOADER, load_codebook
from alliance.stats.agreement import cohen_kappa
from alliance.teaching.sheets import CodingSheetError, read_sheet

__all__ = [
    "CodingScore",
    "CodingSheetError",
    "blank_coding_sheet",
    "cell_feedback",
    "confusable_themes",
    "discussion_prompts",
    "exercise_excerpts",
    "extract_rationales",
    "load_extract_bank",
    "score_coding",
    "simulate_learner",
    "solution_sheet",
]

FICTIONAL_MARKER = "yes"
"""Value of the sheet's ``fictional`` column: the extracts are invented."""

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
    empty_as_absent: bool = True,
) -> CodingScore:
    """Compare a learner's coding sheet with the reference and explain each disagreement.

    Parameters
    ----------
    sheet : pandas.DataFrame or path
        The filled-in sheet (see :func:`blank_coding_sheet`), as a DataFrame, a
        CSV file or an ``.xlsx`` workbook: ``excerpt_id``, one column per theme
        holding 0 or 1, and optionally ``informant``, ``fictional``, ``text`` and notes. Rows
        may be in any order. Common spreadsheet habits (semicolons, TRUE/FALSE,
        ``x`` marks, blank cells for absent ...) are read and reported in
        :attr:`CodingScore.notes`; see :func:`alliance.teaching.sheets.read_sheet`.
    exercise : pandas.DataFrame, optional
        The exercise with its reference codes (:func:`exercise_excerpts`);
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
        each naming the row (file line or DataFrame label, and extract) and
        column: a missing or unknown column (an unknown code), a missing,
        duplicated or unknown extract, a text that does not belong to its
        extract id, a cell that is not a code, or an uncoded row.

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
    ...     print(error.problems[["column", "value"]].drop_duplicates().to_string())
      column value
    0  trust   yes
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    reading = read_sheet(sheet, exercise, empty_as_absent=empty_as_absent)
    coded = reading.codes[list(THEMES)].to_numpy()
    reference = _theme_matrix(exercise["reference"])
    accepted = reference | (_theme_matrix(exercise["alternatives"]) & coded)
    labels = {t["id"]: t["label"] for t in codebook["themes"]}
    return CodingScore(
        summary=_summary(coded, reference, accepted),
        themes=_theme_table(coded, reference, accepted, labels),
        confusions=_confusions(coded, reference),
        disagreements=_disagreements(coded, reference, exercise, codebook),
        codes=reading.codes,
        notes=reading.notes,
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
