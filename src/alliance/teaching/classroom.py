"""Class mode: score a whole class's coding sheets and compare the students with each other.

:func:`score_class` reads every sheet (as :func:`alliance.teaching.sheets.read_sheet`
does, so semicolons, ``.xlsx``, TRUE/FALSE and ``x`` marks are fine), scores each
against the key with :func:`alliance.teaching.exercise.score_coding`, and treats
the class as a panel of raters: how much each pair of students agrees, and how
reliably the class codes each theme, with the coefficients of chapter 12 side by
side so that the prevalence paradox shows on the class's own sheets. A sheet that
cannot be read is listed with a one-line reason; the others are still scored.
:func:`write_class_report` writes it all as one self-contained HTML page
(``python -m alliance score-class FOLDER --out report.html``).

Examples
--------
>>> from alliance.teaching.exercise import simulate_learner
>>> sheets = {f"student {k}": simulate_learner(accuracy=0.7, seed=k) for k in range(4)}
>>> result = score_class(sheets)
>>> len(result.students), len(result.pairs)
(4, 6)
>>> result.themes.columns[:4].tolist()
['theme', 'label', 'key_prevalence', 'prevalence']
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alliance.data.codebook import THEMES, load_codebook
from alliance.stats.agreement import (
    AgreementWarning,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from alliance.teaching.exercise import exercise_excerpts, score_coding
from alliance.teaching.sheets import CodingSheetError

__all__ = [
    "SHEET_SUFFIXES",
    "ClassScore",
    "ClassroomError",
    "class_report_html",
    "collect_sheets",
    "score_class",
    "write_class_report",
]

SHEET_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".ods", ".xls")
"""File suffixes read as coding sheets when a folder is given."""

PARADOX_AGREEMENT = 0.8
"""Raw agreement at or above which a low kappa is flagged (our threshold)."""

PARADOX_GAP = 0.2
"""How far AC1 must exceed Fleiss' kappa for the paradox to be flagged (our threshold)."""


class ClassroomError(ValueError):
    """The class cannot be scored at all (no sheet given, or none could be read)."""


@dataclass(frozen=True)
class ClassScore:
    """A class's coding sheets, scored and compared.

    Attributes
    ----------
    students : pandas.DataFrame
        One row per scored sheet, in the order given: ``student``, ``source``,
        ``exact_matches``, ``cell_agreement`` and ``mean_kappa`` (against the
        key, as :func:`~alliance.teaching.exercise.score_coding`), ``codes`` (1s
        coded) and ``notes`` (how the sheet was read, ``"; "``-joined).
    pairs : pandas.DataFrame
        One row per pair of students: ``student_a``, ``student_b``,
        ``percent_agreement`` and ``kappa`` (Cohen's), over all excerpt x theme cells.
    themes : pandas.DataFrame
        One row per theme: ``theme``, ``label``, ``key_prevalence`` (share of
        excerpts the key codes with it), ``prevalence`` (share of the class's
        codes that are 1), ``percent_agreement`` (pairwise), ``fleiss_kappa``,
        ``krippendorff_alpha``, ``gwet_ac1``, the students as raters and the
        excerpts as units; ``paradox``: a sentence where raw agreement is high
        but kappa low (the prevalence paradox, see :data:`PARADOX_AGREEMENT`), else ``""``.
    overall : pandas.DataFrame
        One row: the same coefficients (and ``paradox``) over every excerpt x
        theme cell at once, the class's single reliability figure.
    contested : pandas.DataFrame
        One row per excerpt, least agreed first: ``excerpt_id``, ``informant``,
        ``text``, ``key_themes``, ``agreement`` (pairwise agreement of the
        students, averaged over themes), ``on_key`` (share of students who
        coded the key theme) and ``coded`` (the themes coded, with the share of
        students, most frequent first).
    codes : pandas.DataFrame
        Every code read: ``student``, ``excerpt_id``, ``theme``, ``code``.
    unreadable : pandas.DataFrame
        ``source`` and a one-line ``reason`` for each sheet that could not be scored.
    skipped : pandas.DataFrame
        ``source`` and ``reason`` for files in a folder that are not sheets.
    """

    students: pd.DataFrame
    pairs: pd.DataFrame
    themes: pd.DataFrame
    overall: pd.DataFrame
    contested: pd.DataFrame
    codes: pd.DataFrame
    unreadable: pd.DataFrame
    skipped: pd.DataFrame

    def pair_matrix(self, value: str = "kappa") -> pd.DataFrame:
        """Return the student x student matrix of ``kappa`` or ``percent_agreement``.

        The diagonal is 1 (a student agrees with themself).

        Examples
        --------
        >>> from alliance.teaching.exercise import solution_sheet
        >>> key = solution_sheet()
        >>> score_class({"a": key, "b": key}).pair_matrix().to_numpy().tolist()
        [[1.0, 1.0], [1.0, 1.0]]
        """
        names = list(self.students["student"])
        matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
        for row in self.pairs.itertuples(index=False):
            matrix.loc[row.student_a, row.student_b] = getattr(row, value)
            matrix.loc[row.student_b, row.student_a] = getattr(row, value)
        return matrix

    def __str__(self) -> str:
        """Return a short summary for the terminal."""
        lines = [f"{len(self.students)} sheet(s) scored, {len(self.unreadable)} unreadable."]
        lines += [f"  unreadable: {r.source}: {r.reason}" for r in self.unreadable.itertuples()]
        lines += [f"  not read: {r.source}: {r.reason}" for r in self.skipped.itertuples()]
        normalised = int((self.students["notes"] != "").sum())
        if normalised:
            lines.append(
                f"  {normalised} sheet(s) read with normalisations (TRUE/FALSE, x marks, "
                "semicolons ...), each listed in the report"
            )
        if not self.students.empty:
            lines += [
                "",
                "Per student, against the key:",
                self.students.drop(columns=["source", "notes"]).round(2).to_string(index=False),
            ]
        if len(self.students) >= 2:
            columns = ["theme", "prevalence", "percent_agreement", "fleiss_kappa", "gwet_ac1"]
            overall = self.overall.assign(theme="(all themes)")
            lines += [
                "",
                "The class as raters, per theme:",
                pd.concat([self.themes[columns], overall[columns]]).round(2).to_string(index=False),
            ]
            flagged = self.themes.loc[self.themes["paradox"] != "", "theme"].tolist()
            if flagged:
                lines.append(
                    "Prevalence paradox (raw agreement high, kappa low, AC1 high) in: "
                    + ", ".join(flagged)
                )
        return "\n".join(lines)


def collect_sheets(paths: Sequence[Path | str]) -> tuple[dict[str, Path], pd.DataFrame]:
    """Expand files and folders into named sheets.

    A folder contributes every file with a suffix of :data:`SHEET_SUFFIXES`
    (not its subfolders); other files, hidden files and Excel's ``~$`` lock
    files are returned as skipped, with the reason. A student is named by the
    file's stem, or its name when two stems collide.

    Parameters
    ----------
    paths : sequence of path
        Files and folders.

    Returns
    -------
    (dict of str to Path, pandas.DataFrame)
        The sheets by student name, sorted by name; the skipped files
        (``source``, ``reason``).

    Raises
    ------
    ClassroomError
        If a path does not exist.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("ana.csv", "ben.xlsx", "ben.csv", "notes.docx", "~$ben.xlsx"):
    ...     _ = (folder / name).write_text("")
    >>> sheets, skipped = collect_sheets([folder])
    >>> sorted(sheets)
    ['ana', 'ben.csv', 'ben.xlsx']
    >>> skipped["reason"].tolist()
    ['not a spreadsheet file (.docx)', 'an Excel lock file (the workbook is open in Excel)']
    """
    files: list[Path] = []
    skipped: list[dict[str, str]] = []
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise ClassroomError(f"no such file or folder: {', '.join(missing)}")
    for path in map(Path, paths):
        if path.is_file():
            files.append(path)
            continue
        for child in sorted(path.iterdir()):
            if not child.is_file():
                continue
            if child.name.startswith("~$"):
                reason = "an Excel lock file (the workbook is open in Excel)"
            elif child.name.startswith("."):
                reason = "a hidden file"
            elif child.suffix.lower() not in SHEET_SUFFIXES:
                reason = f"not a spreadsheet file ({child.suffix or 'no suffix'})"
            else:
                files.append(child)
                continue
            skipped.append({"source": str(child), "reason": reason})
    stems = pd.Series([f.stem for f in files])
    names = [f.name if (stems == f.stem).sum() > 1 else f.stem for f in files]
    if len(set(names)) < len(names):
        names = [str(f) for f in files]
    sheets = dict(sorted(zip(names, files, strict=True)))
    return sheets, pd.DataFrame(skipped, columns=["source", "reason"])


def score_class(
    sheets: Mapping[str, pd.DataFrame | Path | str] | Sequence[Path | str] | Path | str,
    exercise: pd.DataFrame | None = None,
    codebook: Mapping[str, Any] | None = None,
    *,
    empty_as_absent: bool = True,
) -> ClassScore:
    """Score every sheet of a class and compare the students with each other.

    Parameters
    ----------
    sheets : mapping of name to sheet, path, or sequence of paths
        Sheets by student name (DataFrames or files), or a folder, or files and
        folders (see :func:`collect_sheets`).
    exercise : pandas.DataFrame, optional
        The exercise with its key (:func:`~alliance.teaching.exercise.exercise_excerpts`).
    codebook : mapping, optional
        Defaults to the compendium's codebook.
    empty_as_absent : bool, default True
        Passed to :func:`~alliance.teaching.exercise.score_coding`.

    Returns
    -------
    ClassScore
        Per-student, per-pair, per-theme and per-excerpt tables, the codes, and
        the sheets that could not be scored with their reason.

    Raises
    ------
    ClassroomError
        If no sheet is given or a path does not exist. Unreadable sheets do not
        raise: they are listed in :attr:`ClassScore.unreadable`.

    Examples
    --------
    >>> from alliance.teaching.exercise import solution_sheet
    >>> key = solution_sheet()
    >>> broken = key.drop(columns="trust")
    >>> result = score_class({"ada": key, "bo": key, "cy": broken})
    >>> result.unreadable.to_dict("records")
    [{'source': 'cy', 'reason': '1 problem: missing column (header, column trust)'}]
    >>> result.pairs[["student_a", "student_b", "kappa"]].to_dict("records")
    [{'student_a': 'ada', 'student_b': 'bo', 'kappa': 1.0}]
    """
    exercise = exercise_excerpts() if exercise is None else exercise
    codebook = load_codebook() if codebook is None else codebook
    if isinstance(sheets, str | Path):  # one folder or file
        sheets = [sheets]
    if isinstance(sheets, Mapping):
        named, skipped = dict(sheets), pd.DataFrame(columns=["source", "reason"])
    else:
        named, skipped = collect_sheets(sheets)
    if not named:
        raise ClassroomError("no coding sheet given (a folder needs .csv or .xlsx files)")
    students, codes, unreadable = [], {}, []
    for name, sheet in named.items():
        source = name if isinstance(sheet, pd.DataFrame) else str(sheet)
        try:
            with warnings.catch_warnings():  # an undefined kappa shows as a dash in the report
                warnings.simplefilter("ignore", AgreementWarning)
                score = score_coding(sheet, exercise, codebook, empty_as_absent=empty_as_absent)
        except CodingSheetError as error:
            unreadable.append({"source": source, "reason": error.reason})
            continue
        summary = score.summary.iloc[0]
        students.append(
            {
                "student": name,
                "source": source,
                "exact_matches": int(summary["exact_matches"]),
                "cell_agreement": float(summary["cell_agreement"]),
                "mean_kappa": float(summary["mean_kappa"]),
                "codes": int(score.codes[list(THEMES)].to_numpy().sum()),
                "notes": "; ".join(score.notes),
            }
        )
        codes[name] = score.codes[list(THEMES)].to_numpy()
    cube = np.stack(list(codes.values())) if codes else np.zeros((0, len(exercise), len(THEMES)))
    labels = {t["id"]: t["label"] for t in codebook["themes"]}
    return ClassScore(
        students=pd.DataFrame(
            students,
            columns=[
                "student",
                "source",
                "exact_matches",
                "cell_agreement",
                "mean_kappa",
                "codes",
                "notes",
            ],
        ),
        pairs=_pairs(list(codes), cube),
        themes=_themes(cube, exercise, labels),
        overall=pd.DataFrame(
            [_coefficients(cube.reshape(cube.shape[0], cube.shape[1] * cube.shape[2]).T)]
        ),
        contested=_contested(cube, exercise),
        codes=_long_codes(list(codes), cube, exercise),
        unreadable=pd.DataFrame(unreadable, columns=["source", "reason"]),
        skipped=skipped,
    )


def _quiet(function: Any, *args: Any, **kwargs: Any) -> float:
    """Return a coefficient, NaN when undefined (the report explains NaN; no warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AgreementWarning)
        return float(function(*args, **kwargs))


def _pairs(names: list[str], cube: np.ndarray) -> pd.DataFrame:
    rows = []
    for (a, first), (b, second) in combinations(zip(names, cube, strict=True), 2):
        cells = np.column_stack([first.ravel(), second.ravel()])
        rows.append(
            {
                "student_a": a,
                "student_b": b,
                "percent_agreement": float((cells[:, 0] == cells[:, 1]).mean()),
                "kappa": _quiet(cohen_kappa, cells, categories=[0, 1]),
            }
        )
    return pd.DataFrame(rows, columns=["student_a", "student_b", "percent_agreement", "kappa"])


def _paradox(prevalence: float, agreement: float, kappa: float, ac1: float) -> str:
    if not (agreement >= PARADOX_AGREEMENT and ac1 - kappa >= PARADOX_GAP):
        return ""
    kind = "rare" if prevalence < 0.5 else "common"
    return (
        f"the class agrees on {agreement:.0%} of codes, yet Fleiss' kappa "
        f"is {kappa:.2f} against AC1 {ac1:.2f}, because the theme is {kind} ({prevalence:.0%} "
        "of codes are 1) and chance agreement is already high (chapter 12)"
    )


def _coefficients(ratings: np.ndarray) -> dict[str, Any]:
    """Prevalence, raw agreement, the three coefficients and the paradox of units x raters."""
    row: dict[str, Any] = {"prevalence": float(ratings.mean()) if ratings.size else np.nan}
    methods = ("percent_agreement", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")
    if ratings.ndim == 2 and ratings.shape[1] >= 2:
        row["percent_agreement"] = _quiet(percent_agreement, ratings, [0, 1])
        row["fleiss_kappa"] = _quiet(fleiss_kappa, ratings, [0, 1])
        row["krippendorff_alpha"] = _quiet(krippendorff_alpha, ratings, categories=[0, 1])
        row["gwet_ac1"] = _quiet(gwet_ac1, ratings, [0, 1])
    else:
        row |= dict.fromkeys(methods, float("nan"))
    row["paradox"] = _paradox(
        row["prevalence"], row["percent_agreement"], row["fleiss_kappa"], row["gwet_ac1"]
    )
    return row


def _themes(cube: np.ndarray, exercise: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    rows = []
    for k, theme in enumerate(THEMES):
        rows.append(
            {
                "theme": theme,
                "label": labels[theme],
                "key_prevalence": float(np.mean([theme in key for key in exercise["reference"]])),
                **_coefficients(cube[:, :, k].T),  # excerpts x students
            }
        )
    return pd.DataFrame(rows)


def _contested(cube: np.ndarray, exercise: pd.DataFrame) -> pd.DataFrame:
    students = cube.shape[0]
    present = cube.sum(axis=0)  # excerpts x themes: students coding each
    if students >= 2:
        absent = students - present
        pairs = (present * (present - 1) + absent * (absent - 1)) / (students * (students - 1))
        agreement = pairs.mean(axis=1)
    else:
        agreement = np.full(len(exercise), np.nan)
    key = exercise["reference"].tolist()
    share = present / max(students, 1)
    coded = []
    for i in range(len(exercise)):
        order = sorted(np.flatnonzero(present[i]), key=lambda k: (-present[i, k], k))
        coded.append(", ".join(f"{THEMES[k]} {share[i, k]:.0%}" for k in order) or "(none)")
    table = pd.DataFrame(
        {
            "excerpt_id": exercise["excerpt_id"].to_numpy(),
            "informant": exercise["informant"].to_numpy(),
            "text": exercise["text"].to_numpy(),
            "key_themes": [", ".join(themes) for themes in key],
            "agreement": agreement,
            "on_key": [
                float(np.mean([share[i, THEMES.index(theme)] for theme in themes]))
                for i, themes in enumerate(key)
            ],
            "coded": coded,
        }
    )
    return table.sort_values(["agreement", "on_key", "excerpt_id"], kind="stable").reset_index(
        drop=True
    )


def _long_codes(names: list[str], cube: np.ndarray, exercise: pd.DataFrame) -> pd.DataFrame:
    index = pd.MultiIndex.from_product(
        [names, exercise["excerpt_id"], list(THEMES)], names=["student", "excerpt_id", "theme"]
    )
    return pd.DataFrame({"code": cube.reshape(-1).astype(int)}, index=index).reset_index()


# --- the HTML report -------------------------------------------------------------------------


def _e(value: object) -> str:
    """Escape any text for HTML (every string from a sheet passes through here)."""
    return html.escape(str(value), quote=True)


def _number(value: object, digits: int = 2) -> str:
    if isinstance(value, float | np.floating):
        return "&mdash;" if np.isnan(value) else f"{value:.{digits}f}"
    return _e(value)


_HEADERS = {
    "exact_matches": "exact matches",
    "cell_agreement": "cell agreement",
    "mean_kappa": "mean kappa",
    "codes": "1s coded",
    "key_prevalence": "key prevalence",
    "prevalence": "class prevalence",
    "percent_agreement": "raw agreement",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac1": "Gwet's AC1",
    "excerpt_id": "excerpt",
    "key_themes": "key themes",
    "agreement": "class agreement",
    "on_key": "coded the key themes (mean)",
    "coded": "themes coded (share of students)",
    "notes": "how the sheet was read",
}


def _table(frame: pd.DataFrame, caption: str, percent: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{_e(_HEADERS.get(c, c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if column in percent and isinstance(value, float) and not np.isnan(value):
                cells.append(f"<td class='n'>{value:.0%}</td>")
            elif isinstance(value, int | float | np.integer | np.floating):
                cells.append(f"<td class='n'>{_number(value)}</td>")
            else:
                cells.append(f"<td>{_e(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _colour(value: float) -> str:
    """White at kappa <= 0 to dark blue at 1."""
    if np.isnan(value):
        return "#dddddd"
    t = float(np.clip(value, 0, 1))
    r, g, b = (int(255 + (end - 255) * t) for end in (8, 48, 107))
    return f"rgb({r},{g},{b})"


def _heat_map(matrix: pd.DataFrame) -> str:
    names = [str(n) for n in matrix.index]
    size, left = 34, 12 + 7 * max((len(n) for n in names), default=4)
    top = left
    width, height = left + size * len(names) + 10, top + size * len(names) + 10
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"role='img' aria-labelledby='heat-title'><title id='heat-title'>Cohen's kappa for "
        "every pair of students; darker is higher agreement</title>"
    ]
    for i, name in enumerate(names):
        y = top + size * i + size / 2
        parts.append(
            f"<text x='{left - 6}' y='{y + 4}' text-anchor='end' font-size='12'>{_e(name)}</text>"
        )
        x = left + size * i + size / 2
        parts.append(
            f"<text transform='translate({x + 4},{top - 6}) rotate(-90)' font-size='12'>"
            f"{_e(name)}</text>"
        )
    for i in range(len(names)):
        for j in range(len(names)):
            value = float(matrix.iat[i, j])
            x, y = left + size * j, top + size * i
            ink = "white" if not np.isnan(value) and value > 0.55 else "black"
            label = "" if i == j else ("&mdash;" if np.isnan(value) else f"{value:.2f}")
            parts.append(
                f"<rect x='{x}' y='{y}' width='{size}' height='{size}' "
                f"fill='{_colour(value)}' stroke='white'><title>{_e(names[i])} and "
                f"{_e(names[j])}: kappa {_number(value)}</title></rect>"
                f"<text x='{x + size / 2}' y='{y + size / 2 + 4}' text-anchor='middle' "
                f"font-size='10' fill='{ink}'>{label}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}caption{text-align:left;padding:.3em 0;color:#444}
th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top}th{background:#f2f2f2}
td.n{text-align:right;font-variant-numeric:tabular-nums}.note{background:#fff6d6;padding:.6em;
border-left:4px solid #e0b000}.bad{background:#fde8e8;padding:.6em;border-left:4px solid #c00}
.small{color:#555;font-size:.9em}
"""


def class_report_html(result: ClassScore, title: str = "Class coding report", top: int = 8) -> str:
    """Return the class report as one self-contained HTML page (no script, no network).

    Every string that comes from a sheet or a file name is escaped.

    Parameters
    ----------
    result : ClassScore
        From :func:`score_class`.
    title : str
        The page title.
    top : int, default 8
        How many of the most contested excerpts to show.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> from alliance.teaching.exercise import solution_sheet
    >>> page = class_report_html(score_class({"<b>ada</b>": solution_sheet()}))
    >>> "&lt;b&gt;ada&lt;/b&gt;" in page and "<b>ada" not in page
    True
    """
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{len(result.students)} sheet(s) scored against the key of the coding exercise; "
        f"{len(result.unreadable)} could not be read. The exercise's excerpts are fictional "
        "(a synthetic reconstruction, not the study's interviews).</p>",
    ]
    if not result.unreadable.empty:
        items = "".join(
            f"<li><code>{_e(r.source)}</code>: {_e(r.reason)}</li>"
            for r in result.unreadable.itertuples()
        )
        parts.append(
            "<div class='bad'><strong>Sheets that could not be scored</strong> (score one "
            "alone with <code>python -m alliance score SHEET</code> to see every problem):"
            f"<ul>{items}</ul></div>"
        )
    if not result.skipped.empty:
        items = "".join(
            f"<li><code>{_e(r.source)}</code>: {_e(r.reason)}</li>"
            for r in result.skipped.itertuples()
        )
        parts.append(f"<p class='small'>Other files, not read:</p><ul class='small'>{items}</ul>")
    parts += [
        "<h2>Each student against the key</h2>",
        "<p><em>Exact matches</em>: excerpts coded exactly as the key; <em>cell agreement</em>: "
        "share of excerpt x theme cells that agree with the key; <em>mean kappa</em>: mean of "
        "the per-theme Cohen's kappas; <em>1s coded</em>: how many codes the student gave.</p>",
        _table(
            result.students.drop(columns=["source", "notes"]),
            "Each student against the key",
            percent=("cell_agreement",),
        ),
    ]
    read = result.students[result.students["notes"] != ""]
    if not read.empty:
        parts.append(
            _table(read[["student", "notes"]], "How sheets were read (every normalisation)")
        )
    if len(result.students) >= 2:
        parts += [
            "<h2>Students compared with each other</h2>",
            "<p>Cohen's kappa for each pair of students over all excerpt x theme cells. "
            "Pairs that agree little are worth putting together to negotiate a consensus "
            "(<code>python -m alliance consensus-log A B</code>). Darker is higher; white is a "
            "kappa of 0 or below.</p>",
            _heat_map(result.pair_matrix("kappa")),
            "<h2>The class as a panel of raters, theme by theme</h2>",
            "<p>Each student is a rater and each excerpt a unit. <em>Class prevalence</em> is "
            "the share of the class's codes that are 1; <em>key prevalence</em> the share of "
            "excerpts the key files under the theme.</p>",
            _table(
                pd.concat(
                    [
                        result.themes.drop(columns=["theme", "paradox"]),
                        result.overall.drop(columns="paradox").assign(
                            label="all themes (every cell)",
                            key_prevalence=result.themes["key_prevalence"].mean(),
                        ),
                    ],
                    ignore_index=True,
                ),
                "Agreement per theme: raw, Fleiss' kappa, Krippendorff's alpha, Gwet's AC1",
                percent=("key_prevalence", "prevalence", "percent_agreement"),
            ),
        ]
        flagged = result.themes[result.themes["paradox"] != ""]
        if not flagged.empty:
            items = "".join(
                f"<li><strong>{_e(r.label)}</strong>: {_e(r.paradox)}</li>"
                for r in flagged.itertuples()
            )
            parts.append(
                "<div class='note'><strong>The prevalence paradox, live.</strong> Where "
                f"raw agreement is at least {PARADOX_AGREEMENT:.0%} and AC1 exceeds Fleiss' "
                f"kappa by {PARADOX_GAP} or more (our thresholds):<ul>{items}</ul>"
                "Each theme fits only a few excerpts, so most codes are 0 and two students "
                "agree on most cells by chance alone; kappa discounts that, AC1 much less. "
                "Report both, with the prevalence (chapter 12, <em>When kappa misleads</em>).</div>"
            )
    contested = result.contested.head(top)
    parts += [
        "<h2>The most contested excerpts</h2>",
        "<p>Lowest agreement among the students first; for discussion, ask each side to "
        "quote the codebook rule they applied.</p>",
        _table(
            contested,
            f"The {len(contested)} excerpts the class agreed on least",
            percent=("agreement", "on_key"),
        ),
        "<p class='small'>Made by <code>python -m alliance score-class</code>. "
        "Coefficients from <code>alliance.stats.agreement</code>; &mdash; marks a coefficient "
        "that is undefined (for example, a theme nobody coded).</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_class_report(result: ClassScore, path: Path | str, **kwargs: Any) -> Path:
    """Write :func:`class_report_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(class_report_html(result, **kwargs), encoding="utf-8")
    return path
