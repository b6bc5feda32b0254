"""Chapter 12's hand-made agreement tables: build ratings from counts, compare coefficients.

A two-rater agreement table lists, for each pair of categories, how many units
rater 1 put in one and rater 2 in the other. :func:`two_raters` builds the
ratings of the common 2 x 2 case from its four counts, named so that the order
of "present" and "absent" cannot be mixed up; :func:`ratings_from_table`
expands any square table, and insists on being told which row and column is
which category; :func:`compare_coefficients` puts percent agreement and the
chance-corrected coefficients side by side. :func:`by_theme` lays out a
study's own ratings the same way, one row per informant and theme, and
:func:`rarest_theme` picks the row a reader should look at first.

Examples
--------
>>> rare = two_raters(both=5, first_only=10, second_only=5, neither=80)
>>> table = compare_coefficients({"rare theme": rare})
>>> columns = ["prevalence", "percent_agreement", "cohen_kappa", "gwet_ac1"]
>>> print(table[columns].round(3).to_string())
   prevalence  percent_agreement  cohen_kappa  gwet_ac1
0       0.125               0.85        0.318     0.808
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alliance.data.design import Design
from alliance.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from alliance.stats.checks import InsufficientData
from alliance.study.reliability import theme_agreement

__all__ = [
    "HEADERS",
    "THEME_COEFFICIENTS",
    "by_coefficient",
    "by_theme",
    "headings",
    "compare_coefficients",
    "rarest_sentence",
    "rarest_theme",
    "ratings_from_table",
    "two_raters",
]

PRESENT, ABSENT = 1, 0
"""The codes of a theme coded present and absent."""


def two_raters(both: int, first_only: int, second_only: int, neither: int) -> np.ndarray:
    """Return the ratings of two raters who code one theme present (1) or absent (0).

    Parameters
    ----------
    both : int
        Units both raters code present.
    first_only : int
        Units only rater 1 codes present.
    second_only : int
        Units only rater 2 codes present.
    neither : int
        Units both raters leave absent.

    Returns
    -------
    numpy.ndarray, shape (units, 2)
        One row per unit, one column per rater, 1 = present and 0 = absent.

    Raises
    ------
    ValueError
        If a count is negative or not a whole number.

    Examples
    --------
    >>> ratings = two_raters(both=1, first_only=2, second_only=0, neither=1)
    >>> ratings.tolist()
    [[1, 1], [1, 0], [1, 0], [0, 0]]
    >>> float(ratings.mean())  # prevalence: share of ratings coded present
    0.5
    """
    table = pd.DataFrame(
        [[both, first_only], [second_only, neither]],
        index=[PRESENT, ABSENT],
        columns=[PRESENT, ABSENT],
    )
    return ratings_from_table(table)


def ratings_from_table(
    table: pd.DataFrame | np.ndarray | Sequence[Sequence[int]],
    categories: Sequence[object] | None = None,
) -> np.ndarray:
    """Expand a two-rater agreement table into one row of ratings per unit.

    Which row (and column) is which category must be explicit, since reading
    ``[[0, 5], [5, 90]]`` with "present" first or last flips the prevalence:
    give a DataFrame whose index and columns are the categories, or pass
    ``categories`` in the order of the rows.

    Parameters
    ----------
    table : pandas.DataFrame or array-like, shape (q, q)
        Counts of units: row ``k``, column ``l`` = units that rater 1 put in
        category ``k`` and rater 2 in category ``l``.
    categories : sequence, optional
        The category of each row and column, in order (e.g. ``[1, 0]`` when
        "present" comes first). Required for an array; for a DataFrame it
        must equal its labels if given.

    Returns
    -------
    numpy.ndarray, shape (units, 2)
        The two raters' labels, rows ordered by cell (row-major), ready for
        the functions of :mod:`alliance.stats.agreement`.

    Raises
    ------
    ValueError
        If the order of the categories is not given, the table is not square,
        its labels differ between rows and columns or from ``categories``, or
        a count is negative or not a whole number.

    Examples
    --------
    >>> ratings_from_table([[2, 1], [0, 1]], categories=["yes", "no"]).tolist()
    [['yes', 'yes'], ['yes', 'yes'], ['yes', 'no'], ['no', 'no']]
    >>> ratings_from_table([[0, 5], [5, 90]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: which row is which category? Pass categories in row order ...
    """
    if isinstance(table, pd.DataFrame):
        frame = table
        if categories is not None and list(categories) != list(frame.index):
            raise ValueError(
                f"categories {list(categories)} differ from the table's labels {list(frame.index)}"
            )
    elif categories is None:
        raise ValueError(
            "which row is which category? Pass categories in row order (e.g. categories=[1, 0] "
            "when the first row is 'present'), a DataFrame labelled with the categories, or use "
            "two_raters(both, first_only, second_only, neither)"
        )
    else:
        counts = np.asarray(table)
        if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
            raise ValueError(f"an agreement table must be square; got shape {counts.shape}")
        if len(categories) != counts.shape[0]:
            raise ValueError(
                f"{len(categories)} categories for a {counts.shape[0]} x {counts.shape[1]} table"
            )
        frame = pd.DataFrame(counts, index=list(categories), columns=list(categories))
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
    >>> table = compare_coefficients({"rare theme": two_raters(5, 10, 5, 80)})
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


COEFFICIENTS: tuple[str, ...] = (
    "prevalence",
    "percent_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "brennan_prediger",
)
"""The rows of :func:`by_coefficient`, in the order a reader compares them."""


def by_coefficient(
    comparison: pd.DataFrame, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Turn :func:`compare_coefficients` round: one row per coefficient, one column per example.

    A handful of examples side by side fit a page this way, however many coefficients
    are compared.

    Parameters
    ----------
    comparison : pandas.DataFrame
        The output of :func:`compare_coefficients`.
    labels : mapping of str to str, optional
        Readable names for the coefficients (the rows); others keep their column name.

    Returns
    -------
    pandas.DataFrame
        Index ``coefficient`` (the prevalence first, then percent agreement and the
        coefficients), one column per example, in the given order.

    Examples
    --------
    >>> table = compare_coefficients({"rare theme": two_raters(5, 10, 5, 80)})
    >>> shown = by_coefficient(table, {"gwet_ac1": "Gwet's AC1"})
    >>> round(float(shown.loc["Gwet's AC1", "rare theme"]), 3), shown.index[0]
    (0.808, 'prevalence')
    """
    shown = comparison.set_index("example")[list(COEFFICIENTS)].T
    return shown.rename(index=dict(labels or {})).rename_axis("coefficient")


HEADERS: dict[str, str] = {
    "percent_agreement": "agreement",
    "cohen_kappa": "Cohen",
    "fleiss_kappa": "Fleiss",
    "krippendorff_alpha": "Krippendorff",
    "gwet_ac1": "Gwet AC1",
    "brennan_prediger": "Brennan-Prediger",
}
"""Short headings for the coefficients, so that a table of them fits a page."""

THEME_COEFFICIENTS: tuple[str, ...] = ("percent_agreement", "fleiss_kappa", "gwet_ac1")
"""The columns of :func:`by_theme`: raw agreement, then kappa and AC1, whose contrast is the
lesson (Krippendorff's alpha behaves like kappa; a narrow table fits the page)."""


def by_theme(
    ratings: pd.DataFrame,
    design: Design,
    coefficients: Sequence[str] = THEME_COEFFICIENTS,
) -> pd.DataFrame:
    """Agreement of a study's raters per informant and theme, one row each.

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings`` (see :func:`alliance.study.reliability.theme_agreement`;
        only interviews coded by two or more raters count).
    design : alliance.data.design.Design
        ``study.design``: the themes' order and the codebook's labels.
    coefficients : sequence of str, default :data:`THEME_COEFFICIENTS`
        Methods of :mod:`alliance.stats.agreement`, in column order.

    Returns
    -------
    pandas.DataFrame
        ``informant``, ``theme`` (id), ``label`` (the codebook's),
        ``prevalence`` (share of ratings coded present), then one column of
        estimates per coefficient (NaN where undefined). Rows by informant,
        then themes in codebook order; every theme rated is kept.

    Raises
    ------
    InsufficientData
        (A ``ValueError``.) If no interview was coded by two raters.

    Examples
    --------
    >>> ratings = pd.DataFrame({
    ...     "session_id": ["S1"] * 4 + ["S2"] * 4, "informant": "client",
    ...     "rater": ["R1", "R2"] * 4, "theme": (["trust"] * 2 + ["anger"] * 2) * 2,
    ...     "present": [1, 1, 0, 0, 0, 0, 0, 0]})
    >>> design = Design(themes=("trust", "anger"), theme_labels={"anger": "anger and hostility"})
    >>> print(by_theme(ratings, design, ["percent_agreement"]).to_string())
      informant  theme                label  prevalence  percent_agreement
    0    client  trust                trust         0.5                1.0
    1    client  anger  anger and hostility         0.0                1.0
    """
    per_theme = theme_agreement(ratings, methods=list(coefficients), themes=design.themes)
    keys = ["informant", "theme"]
    estimates = per_theme.pivot(index=keys, columns="coefficient", values="estimate")
    wide = per_theme[[*keys, "prevalence"]].drop_duplicates(keys).reset_index(drop=True)
    wide.insert(2, "label", [design.label(theme) for theme in wide["theme"]])
    return wide.join(estimates[list(coefficients)], on=keys).rename_axis(columns=None)


def rarest_theme(table: pd.DataFrame, coefficient: str = "fleiss_kappa") -> pd.Series:
    """Return the row of :func:`by_theme` with the rarest theme whose coefficient is defined.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`by_theme`.
    coefficient : str, default "fleiss_kappa"
        A theme nobody (or everybody) coded has no kappa; it is passed over.

    Returns
    -------
    pandas.Series
        The row with the lowest ``prevalence`` among those with a defined
        ``coefficient`` (the first in table order on a tie).

    Raises
    ------
    InsufficientData
        (A ``ValueError``.) If no theme has a defined ``coefficient``.

    Examples
    --------
    >>> table = pd.DataFrame({"theme": ["a", "b", "c"], "prevalence": [0.0, 0.1, 0.1],
    ...                       "fleiss_kappa": [float("nan"), 0.4, 0.8]})
    >>> rarest_theme(table)["theme"]
    'b'
    """
    defined = table[table[coefficient].notna()]
    if defined.empty:
        raise InsufficientData(f"no theme has a defined {coefficient}")
    return defined.loc[defined["prevalence"].idxmin()]


def rarest_sentence(table: pd.DataFrame) -> str:
    """Describe the rarest theme of :func:`by_theme` in a plain sentence, for a chapter's glue.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`by_theme` (with ``percent_agreement``,
        ``fleiss_kappa`` and ``gwet_ac1``).

    Returns
    -------
    str
        Which theme (its label) is rarest among those with a kappa, for which
        informant, its prevalence, raw agreement, Fleiss' kappa and AC1. Plain
        text: paste it with ``{glue:text}``.

    Raises
    ------
    InsufficientData
        (A ``ValueError``.) If no theme has a defined Fleiss' kappa.

    Examples
    --------
    >>> table = pd.DataFrame({"informant": "client", "label": ["anger", "trust"],
    ...     "prevalence": [0.1, 0.4], "percent_agreement": [0.9, 0.9],
    ...     "fleiss_kappa": [0.5, 0.8], "gwet_ac1": [0.88, 0.82]})
    >>> print(rarest_sentence(table))  # doctest: +NORMALIZE_WHITESPACE
    The rarest code with a kappa is "anger" in the client interviews, coded present
    in 10% of ratings: raw agreement 0.90, Fleiss' kappa 0.50, AC1 0.88.
    """
    row = rarest_theme(table)
    return (
        f'The rarest code with a kappa is "{row["label"]}" in the {row["informant"]} '
        f"interviews, coded present in {row['prevalence']:.0%} of ratings: raw agreement "
        f"{row['percent_agreement']:.2f}, Fleiss' kappa {row['fleiss_kappa']:.2f}, "
        f"AC1 {row['gwet_ac1']:.2f}."
    )


def headings(table: pd.DataFrame) -> dict[str, str]:
    """Return the short headings (:data:`HEADERS`) of the coefficient columns a table has.

    Parameters
    ----------
    table : pandas.DataFrame
        Any table, e.g. the output of :func:`by_theme`.

    Returns
    -------
    dict
        Column name to heading, for the columns of ``table`` that :data:`HEADERS`
        names, in the table's order (ready for ``show_table(headers=...)``).

    Examples
    --------
    >>> headings(pd.DataFrame(columns=["theme", "gwet_ac1", "fleiss_kappa"]))
    {'gwet_ac1': 'Gwet AC1', 'fleiss_kappa': 'Fleiss'}
    """
    return {column: HEADERS[column] for column in table.columns if column in HEADERS}
