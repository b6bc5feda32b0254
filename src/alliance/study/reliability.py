"""The study's reliability tables: which kappa, per-theme agreement, consensus vs majority.

The article reports one kappa per informant (therapist and client narratives)
for three raters, without saying which of the several multi-rater kappas it is.
These helpers compute the candidates side by side, agreement theme by theme,
and how the raters' final consensus departs from a simple majority vote. The
coefficients themselves come from :mod:`alliance.stats.agreement`; this module
only arranges the study's coding (``ratings.csv``: one row per session x
informant x rater x theme) into the units those coefficients need.

Any number of raters (two or more, named freely) and any coding design work:
every rater coding every interview, a double-coded subsample, raters who code
different interviews. ``ratings.csv`` then has rows only for the interviews a
rater coded, and ``present`` may be empty (an explicit missing rating).
:func:`rating_coverage` says, per informant, how many interviews were coded
by two or more raters, by one, or by none. Agreement rests on the *overlap*:
the session x theme units that two or more raters coded (``n_units`` in every
table). Following Gwet (2014) and irrCAC, the chance-agreement terms of
Fleiss', Conger's and Gwet's coefficients use every rating, single-coded
interviews included; Krippendorff's alpha, by its definition, uses only the
overlap. The consensus coding (``consensus.csv``) stays the basis of every
other analysis.

Examples
--------
>>> import pandas as pd
>>> ratings = pd.DataFrame({
...     "session_id": ["S1"] * 6 + ["S2"] * 6, "informant": "client",
...     "rater": ["R1", "R2", "R3"] * 4, "theme": (["trust"] * 3 + ["anger"] * 3) * 2,
...     "present": [1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]})
>>> majority_vote(ratings)[["session_id", "theme", "votes", "majority"]]
  session_id  theme  votes  majority
0         S1  trust      3         1
1         S1  anger      1         0
2         S2  trust      0         0
3         S2  anger      0         0
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from alliance.data.dataset import raters_per_interview
from alliance.data.published import figure, round_half_up
from alliance.stats.agreement import AgreementWarning, agreement
from alliance.stats.checks import (
    InsufficientData,
    require_binary,
    require_columns,
    require_unique,
)
from alliance.study.sampling import group_labels
from alliance.study.thematic import theme_order

__all__ = [
    "KAPPA_VARIANTS",
    "RATING_COLUMNS",
    "binary_agreement",
    "compare_consensus_majority",
    "consensus_changes",
    "informant_agreement",
    "kappa_reproduction",
    "kappa_variants",
    "majority_vote",
    "prevalence_paradox",
    "rated_overlap",
    "rating_coverage",
    "theme_agreement",
    "theme_agreement_table",
    "unanimous_agreement",
]

RATING_COLUMNS: tuple[str, ...] = ("session_id", "informant", "rater", "theme", "present")
"""Columns of ``ratings.csv``."""

KAPPA_VARIANTS: dict[str, str] = {
    "fleiss_pooled": "Fleiss' kappa, pooled over session x theme units",
    "conger_pooled": "Conger's kappa, pooled over session x theme units",
    "light_pooled": "Light's kappa (mean pairwise Cohen), pooled over session x theme units",
    "fleiss_theme_mean": "Fleiss' kappa per theme, averaged over themes",
}
"""The readings of "kappa" that :func:`kappa_variants` computes, with a description."""

_UNDEFINED = "undefined: every rating in one category"

NO_OVERLAP = "no unit coded by two or more raters"
"""Note of an agreement row that has no unit to rest on."""

INTERVIEW: tuple[str, str] = ("session_id", "informant")
"""The columns that identify an interview."""

UNIT: tuple[str, str, str] = ("session_id", "informant", "theme")
"""The columns that identify a coded unit (an interview x theme)."""


def _sort_rows(
    table: pd.DataFrame,
    by: Sequence[str],
    themes: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Sort by ``by``: themes in ``themes`` order, groups in ``groups`` order.

    By default themes follow :func:`alliance.study.thematic.theme_order` and
    groups :func:`alliance.study.sampling.group_labels` of the table itself.
    """
    orders = {}
    if "theme" in by:
        orders["theme"] = list(theme_order(table["theme"], themes))
    if "dyad_type" in by:
        orders["dyad_type"] = list(group_labels(table["dyad_type"], groups))

    def key(column: pd.Series) -> pd.Series:
        order = orders.get(str(column.name))
        if order is not None and column.isin(order).all():
            return column.map({value: rank for rank, value in enumerate(order)})
        return column

    return table.sort_values(list(by), key=key, ignore_index=True, kind="stable")


def _rated(ratings: pd.DataFrame) -> pd.DataFrame:
    """Check ``ratings`` and return its given ratings (``present`` 0/1, empty ones left out).

    Raises ``ValueError`` for missing columns, codes other than 0/1 or empty,
    or a rater coding a unit twice, naming the row.
    """
    require_columns(ratings, RATING_COLUMNS, "ratings")
    given = ratings[ratings["present"].notna()]
    require_binary(given, "present", "ratings")
    require_unique(ratings, [*UNIT, "rater"], "ratings")
    return given.astype({"present": int})


def rated_overlap(ratings: pd.DataFrame) -> pd.DataFrame:
    """Keep the ratings of the units that two or more raters coded: the overlap.

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings``: ``session_id``, ``informant``, ``rater``, ``theme``,
        ``present`` (0/1, or empty for a missing rating).

    Returns
    -------
    pandas.DataFrame
        The rows of ``ratings`` (index kept, ``present`` as integers) whose
        session x informant x theme has at least two given ratings.

    Raises
    ------
    ValueError
        If a column is missing, a code is not 0/1 or a rater codes a unit twice.

    Examples
    --------
    >>> ratings = pd.DataFrame({"session_id": ["S1", "S1", "S2", "S2"], "informant": "client",
    ...                         "rater": ["Ana", "Ben", "Ana", "Ben"], "theme": "trust",
    ...                         "present": [1, 0, 1, None]})
    >>> rated_overlap(ratings)[["session_id", "rater", "present"]]
      session_id rater  present
    0         S1   Ana        1
    1         S1   Ben        0
    """
    given = _rated(ratings)
    n_given = given.groupby(list(UNIT), sort=False)["rater"].transform("size")
    return given[n_given >= 2]


def rating_coverage(ratings: pd.DataFrame, consensus: pd.DataFrame | None = None) -> pd.DataFrame:
    """Say, per informant, how many interviews two or more raters coded, one, or none.

    A rater has coded an interview when they gave it at least one rating.
    Agreement (every other function of this module) rests on the interviews
    coded by two or more raters; the single-coded ones are valid, and enter
    only the consensus coding and the chance terms of the coefficients.

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings`` (``present`` may be empty: a missing rating).
    consensus : pandas.DataFrame, optional
        ``Study.consensus``: every interview of the study. Without it, only the
        interviews someone rated are known, and ``n_not_coded`` is 0.

    Returns
    -------
    pandas.DataFrame
        One row per informant (sorted): ``n_interviews``, ``n_double_coded``
        (coded by two or more raters), ``n_single_coded``, ``n_not_coded`` (in
        ``consensus`` but rated by nobody: not independently coded),
        ``n_raters`` (distinct raters of that informant's interviews),
        ``raters_min``, ``raters_mean`` and ``raters_max`` (raters per
        interview, over all ``n_interviews``), ``n_units`` (interview x theme
        units given at least one rating), ``n_units_overlap`` (units with two
        or more ratings: those agreement rests on) and ``n_missing`` (empty
        ratings).

    Raises
    ------
    ValueError
        If a column is missing, a code is not 0/1 or a rater codes a unit twice.

    Examples
    --------
    Two raters double-code one of three client interviews; Ben leaves one
    rating empty:

    >>> ratings = pd.DataFrame({
    ...     "session_id": ["S1", "S1", "S1", "S1", "S2", "S2"], "informant": "client",
    ...     "rater": ["Ana", "Ana", "Ben", "Ben", "Ana", "Ana"],
    ...     "theme": ["trust", "voice"] * 3, "present": [1, 0, 1, None, 0, 0]})
    >>> consensus = pd.DataFrame({"session_id": ["S1", "S1", "S2", "S2", "S3", "S3"],
    ...                           "informant": "client", "theme": ["trust", "voice"] * 3,
    ...                           "present": [1, 0, 0, 0, 1, 1]})
    >>> print(rating_coverage(ratings, consensus).T.to_string())
                          0
    informant        client
    n_interviews          3
    n_double_coded        1
    n_single_coded        1
    n_not_coded           1
    n_raters              2
    raters_min            0
    raters_mean         1.0
    raters_max            2
    n_units               4
    n_units_overlap       1
    n_missing             1
    """
    given = _rated(ratings)
    interviews = ratings[list(INTERVIEW)]
    if consensus is not None:
        require_columns(consensus, list(INTERVIEW), "consensus")
        interviews = pd.concat([consensus[list(INTERVIEW)], interviews])
    per_interview = raters_per_interview(given, interviews.drop_duplicates())
    per_unit = given.groupby(list(UNIT)).size().rename("n_ratings").reset_index()
    missing = ratings[ratings["present"].isna()].groupby("informant").size()
    rows = []
    for informant, part in per_interview.groupby("informant", sort=True):
        units = per_unit[per_unit["informant"] == informant]["n_ratings"]
        raters = part["raters"]
        rows.append(
            {
                "informant": informant,
                "n_interviews": len(part),
                "n_double_coded": int((raters >= 2).sum()),
                "n_single_coded": int((raters == 1).sum()),
                "n_not_coded": int((raters == 0).sum()),
                "n_raters": int(given.loc[given["informant"] == informant, "rater"].nunique()),
                "raters_min": int(raters.min()),
                "raters_mean": float(raters.mean()),
                "raters_max": int(raters.max()),
                "n_units": len(units),
                "n_units_overlap": int((units >= 2).sum()),
                "n_missing": int(missing.get(informant, 0)),
            }
        )
    return pd.DataFrame(rows)


def _agreement_by(
    given: pd.DataFrame,
    by: Sequence[str],
    units: Sequence[str],
    methods: str | Sequence[str] | None,
    options: dict[str, Any],
) -> pd.DataFrame:
    """Agreement for each group of ``by``; a group without overlap gets NaN rows and a note."""
    frames: list[pd.DataFrame] = []
    lacking: list[tuple[tuple[Any, ...], int]] = []
    for key, rows in given.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        overlap = rows.groupby(list(units), sort=False)["rater"].transform("size") >= 2
        if not overlap.any():
            lacking.append((key, int(rows["rater"].nunique())))
            continue
        result = binary_agreement(rows, list(units), methods=methods, **options)
        for position, (column, value) in enumerate(zip(by, key, strict=True)):
            result.insert(position, column, value)
        frames.append(result)
    if not frames:
        raise InsufficientData(
            "no unit was coded by two or more raters, so agreement cannot be computed"
        )
    if lacking:
        if methods is None:
            coefficients = list(frames[0]["coefficient"])
        else:
            coefficients = [methods] if isinstance(methods, str) else list(methods)
        for key, n_raters in lacking:
            empty = pd.DataFrame({"coefficient": coefficients, "n_units": 0, "n_raters": n_raters})
            empty = empty.reindex(columns=frames[0].columns.drop(list(by)))
            empty["note"] = NO_OVERLAP
            frames.append(empty.assign(**dict(zip(by, key, strict=True)))[frames[0].columns])
    return pd.concat(frames, ignore_index=True)


def binary_agreement(
    data: pd.DataFrame, units: str | list[str], raters: str = "rater", **options: Any
) -> pd.DataFrame:
    """Agreement on present/absent codes, with NaN and a note where a coefficient is undefined.

    A thin wrapper of :func:`alliance.stats.agreement.agreement` with
    ``ratings="present"`` and ``categories=[0, 1]``. A coefficient that is
    undefined because every rating falls in one category (expected for a rare
    theme in a small sample) is returned as NaN with a ``note`` saying why,
    instead of a warning, because the table itself reports it. Units with a
    single rating (a partial coding design) carry no agreement and are not
    counted in ``n_units``, again without a warning: :func:`rating_coverage`
    reports them.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table with the ``units`` columns, ``raters`` and ``present`` (0/1).
    units : str or list of str
        Column(s) identifying a unit.
    raters : str, default "rater"
        Column identifying who coded (a rater, or an informant).
    **options
        Passed on to :func:`alliance.stats.agreement.agreement` (``methods``,
        ``ci``, ``n_boot``, ``cluster``, ``seed``, ...).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`alliance.stats.agreement.agreement` plus ``note``.

    Examples
    --------
    >>> data = pd.DataFrame({"session_id": ["S1", "S1", "S2", "S2"],
    ...                      "rater": ["R1", "R2"] * 2, "present": [0, 0, 0, 0]})
    >>> binary_agreement(data, "session_id", methods="fleiss_kappa")[["estimate", "note"]]
       estimate                                     note
    0       NaN  undefined: every rating in one category
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".* is undefined \(NaN\)", category=AgreementWarning
        )
        warnings.filterwarnings(
            "ignore", message=r".* units were excluded", category=AgreementWarning
        )
        result = agreement(data, units, raters, "present", categories=[0, 1], **options)
    result["note"] = np.where(result["estimate"].isna(), _UNDEFINED, "")
    return result


def informant_agreement(
    ratings: pd.DataFrame,
    methods: str | Sequence[str] | None = None,
    ci: str = "analytic",
    n_boot: int = 2000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Agreement of the raters on each informant's narratives, over session x theme units.

    Every (session, theme) pair is one unit, coded present/absent by each
    rater, as the study's kappa is most naturally read. With
    ``ci="bootstrap"`` whole sessions are resampled, because the themes of
    one interview are coded together and are not independent. In a partial
    design agreement rests on the units two or more raters coded
    (``n_units``; see the module docstring and :func:`rating_coverage`).

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings``: ``session_id``, ``informant``, ``rater``, ``theme``,
        ``present`` (0/1, or empty for a missing rating).
    methods : str or sequence of str, optional
        Coefficients of :data:`alliance.stats.agreement.COEFFICIENTS`; default all
        that apply.
    ci : {"analytic", "bootstrap"}, default "analytic"
        Interval method, as in :func:`alliance.stats.agreement.agreement`.
    n_boot : int, default 2000
        Bootstrap resamples of sessions.
    seed : int, optional
        Bootstrap seed.

    Returns
    -------
    pandas.DataFrame
        One row per informant x coefficient: ``informant`` and the columns of
        :func:`alliance.stats.agreement.agreement`, plus ``note`` (why an estimate
        is NaN, else empty). Informants sorted. An informant whose interviews
        no two raters coded gets NaN rows, ``n_units`` 0 and the note
        :data:`NO_OVERLAP`.

    Raises
    ------
    ValueError
        If a column is missing or ``present`` is not 0/1 (and as
        :func:`alliance.stats.agreement.agreement`).
    InsufficientData
        (A ``ValueError``.) If no unit at all was coded by two raters.

    Examples
    --------
    >>> ratings = pd.DataFrame({
    ...     "session_id": ["S1"] * 6 + ["S2"] * 6, "informant": "therapist",
    ...     "rater": ["R1", "R2", "R3"] * 4, "theme": (["trust"] * 3 + ["anger"] * 3) * 2,
    ...     "present": [1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0]})
    >>> informant_agreement(ratings, methods="fleiss_kappa")[
    ...     ["informant", "coefficient", "estimate", "n_units"]].round(4)
       informant   coefficient  estimate  n_units
    0  therapist  fleiss_kappa    0.3333        4
    """
    given = _rated(ratings)
    options: dict[str, Any] = {"ci": ci, "n_boot": n_boot, "seed": seed}
    if ci == "bootstrap":
        options["cluster"] = "session_id"
    given = given.sort_values("informant", kind="stable")
    return _agreement_by(given, ["informant"], ["session_id", "theme"], methods, options)


def theme_agreement(
    ratings: pd.DataFrame,
    methods: str | Sequence[str] = ("fleiss_kappa", "gwet_ac1"),
    ci: str = "analytic",
    n_boot: int = 2000,
    seed: int | None = None,
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Agreement of the raters on one theme at a time, for each informant.

    The unit is the session: for each informant and theme, the raters' present
    or absent codes over all interviews. Low agreement on a theme points to a
    codebook entry that needs sharper rules; a rare theme can show high raw
    agreement and a low (or undefined) kappa, which the ``prevalence`` column
    helps to read.

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings`` (``present`` may be empty: a missing rating).
    methods : str or sequence of str, default ("fleiss_kappa", "gwet_ac1")
        Coefficients of :data:`alliance.stats.agreement.COEFFICIENTS`.
    ci : {"analytic", "bootstrap"}, default "analytic"
        Interval method (the bootstrap resamples sessions).
    n_boot : int, default 2000
        Bootstrap resamples.
    seed : int, optional
        Bootstrap seed.
    themes : sequence of str, optional
        Theme order, ``study.design.themes`` (default:
        :func:`alliance.study.thematic.theme_order` of ``ratings``).

    Returns
    -------
    pandas.DataFrame
        One row per informant x theme x coefficient: ``informant``, ``theme``,
        ``prevalence`` (share of all given ratings coding the theme present), the
        columns of :func:`alliance.stats.agreement.agreement` and ``note``
        (:data:`NO_OVERLAP` where no unit of the theme has two ratings). Sorted
        by informant, then themes in codebook order.

    Raises
    ------
    ValueError
        If a column is missing or ``present`` is not 0/1.
    InsufficientData
        (A ``ValueError``.) If no unit at all was coded by two raters.

    Examples
    --------
    >>> ratings = pd.DataFrame({
    ...     "session_id": ["S1"] * 6 + ["S2"] * 6, "informant": "client",
    ...     "rater": ["R1", "R2", "R3"] * 4, "theme": (["trust"] * 3 + ["anger"] * 3) * 2,
    ...     "present": [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]})
    >>> theme_agreement(ratings, methods="percent_agreement")[
    ...     ["theme", "prevalence", "estimate"]]
       theme  prevalence  estimate
    0  trust         0.5       1.0
    1  anger         0.0       1.0
    """
    given = _rated(ratings)
    options = {"ci": ci, "n_boot": n_boot, "seed": seed}
    table = _agreement_by(given, ["informant", "theme"], ["session_id"], methods, options)
    prevalence = given.groupby(["informant", "theme"])["present"].mean().rename("prevalence")
    table = table.join(prevalence, on=["informant", "theme"])
    table.insert(2, "prevalence", table.pop("prevalence"))
    return _sort_rows(table, ["informant", "theme"], themes=themes)


def theme_agreement_table(per_theme: pd.DataFrame) -> pd.DataFrame:
    """Lay out :func:`theme_agreement` as one row per informant and theme.

    Parameters
    ----------
    per_theme : pandas.DataFrame
        The output of :func:`theme_agreement`, computed with ``fleiss_kappa``
        among its methods.

    Returns
    -------
    pandas.DataFrame
        ``informant``, ``theme``, ``prevalence``, then one column of estimates
        per coefficient (in the order they appear), with ``kappa 95% CI``
        (Fleiss' kappa interval as text, ``"n/a"`` where kappa is undefined)
        right after ``fleiss_kappa``. Rows in the order of ``per_theme``.

    Raises
    ------
    ValueError
        If a column is missing or ``per_theme`` has no Fleiss' kappa.

    Examples
    --------
    >>> per_theme = pd.DataFrame({
    ...     "informant": "client", "theme": ["trust", "trust", "anger", "anger"],
    ...     "prevalence": [0.5, 0.5, 0.0, 0.0],
    ...     "coefficient": ["percent_agreement", "fleiss_kappa"] * 2,
    ...     "estimate": [0.9, 0.8, 1.0, float("nan")], "ci_low": [0.8, 0.6, 1.0, float("nan")],
    ...     "ci_high": [1.0, 1.0, 1.0, float("nan")], "note": ["", "", "", "undefined"]})
    >>> print(theme_agreement_table(per_theme).to_string(index=False))
    informant theme  prevalence  percent_agreement  fleiss_kappa kappa 95% CI
       client trust         0.5                0.9           0.8 0.60 to 1.00
       client anger         0.0                1.0           NaN          n/a
    """
    keys = ["informant", "theme", "prevalence"]
    require_columns(
        per_theme, [*keys, "coefficient", "estimate", "ci_low", "ci_high", "note"], "per_theme"
    )
    coefficients = list(per_theme["coefficient"].unique())
    if "fleiss_kappa" not in coefficients:
        raise ValueError(f"per_theme has no fleiss_kappa rows; coefficients are {coefficients}")
    table = per_theme.pivot_table(
        index=keys, columns="coefficient", values="estimate", sort=False
    ).reset_index()
    kappa = per_theme.query("coefficient == 'fleiss_kappa'")
    interval = [
        "n/a" if row.note else f"{row.ci_low:.2f} to {row.ci_high:.2f}"
        for row in kappa.itertuples()
    ]
    table = table.merge(kappa[keys].assign(**{"kappa 95% CI": interval}), on=keys, how="left")
    position = coefficients.index("fleiss_kappa") + 1
    columns = [*coefficients[:position], "kappa 95% CI", *coefficients[position:]]
    table = table[[*keys, *columns]]
    table.columns.name = None
    return table


def prevalence_paradox(
    per_theme: pd.DataFrame, informant: str | None = None, theme: str | None = None
) -> pd.DataFrame:
    """Set a theme beside the one whose raw agreement is closest to it, with chance agreement.

    Two themes with nearly the same percent agreement can have very different
    kappas when one is rare: chance agreement :math:`p^2 + (1 - p)^2` (with
    :math:`p` the share of ratings coding the theme present, as in Fleiss'
    kappa) is close to 1 for a rare theme and leaves kappa little room.

    Parameters
    ----------
    per_theme : pandas.DataFrame
        The output of :func:`theme_agreement`, with ``percent_agreement``
        among its methods.
    informant : str, optional
        Whose narratives to look at (default: ``therapist`` when ``per_theme``
        has them, else its first informant).
    theme : str, optional
        The theme to explain (default: the rarest theme of ``informant``,
        lowest ``prevalence``, the first in table order on a tie); its twin
        is the other theme of ``informant`` whose percent agreement is closest
        (the first alphabetically on a tie).

    Returns
    -------
    pandas.DataFrame
        Two rows, ``theme`` then its twin: ``theme``, ``prevalence``, one
        column per coefficient and ``chance_agreement``.

    Raises
    ------
    ValueError
        If a column is missing, or ``theme`` has no ``percent_agreement`` for
        ``informant``.
    InsufficientData
        (A ``ValueError``.) If ``informant`` has no theme with a percent
        agreement, or only one; one line.

    Examples
    --------
    >>> per_theme = pd.DataFrame({
    ...     "informant": "therapist", "theme": ["anger", "trust", "openness"],
    ...     "prevalence": [0.05, 0.5, 0.4], "coefficient": "percent_agreement",
    ...     "estimate": [0.9, 0.7, 0.88]})
    >>> print(prevalence_paradox(per_theme).to_string(index=False))
       theme  prevalence  percent_agreement  chance_agreement
       anger        0.05               0.90             0.905
    openness        0.40               0.88             0.520
    """
    require_columns(
        per_theme, ["informant", "theme", "prevalence", "coefficient", "estimate"], "per_theme"
    )
    if informant is None:
        informants = sorted(per_theme["informant"].unique())
        informant = "therapist" if "therapist" in informants else next(iter(informants), None)
    rows = per_theme[per_theme["informant"] == informant]
    if rows.empty or not rows["coefficient"].eq("percent_agreement").any():
        raise InsufficientData(f"per_theme has no percent_agreement for informant {informant!r}")
    if theme is None:
        defined = rows[(rows["coefficient"] == "percent_agreement") & rows["estimate"].notna()]
        theme = defined.sort_values("prevalence", kind="stable")["theme"].iloc[0]
    wide = rows.pivot_table(
        index=["theme", "prevalence"], columns="coefficient", values="estimate"
    ).reset_index()
    wide = wide[wide["percent_agreement"].notna()]
    if theme not in set(wide["theme"]):
        raise ValueError(
            f"per_theme has no percent_agreement of theme {theme!r} for informant {informant!r}"
        )
    target = wide[wide["theme"] == theme].iloc[0]
    others = wide[wide["theme"] != theme]
    if others.empty:
        raise InsufficientData(
            f"per_theme has no theme besides {theme!r} for informant {informant!r}"
        )
    gap = (others["percent_agreement"] - target["percent_agreement"]).abs()
    twin = others.loc[gap.idxmin(), "theme"]
    paradox = wide.set_index("theme").loc[[theme, twin]].reset_index()
    paradox["chance_agreement"] = paradox["prevalence"] ** 2 + (1 - paradox["prevalence"]) ** 2
    paradox.columns.name = None
    return paradox


def kappa_variants(ratings: pd.DataFrame) -> pd.DataFrame:
    """Compute every common reading of "the kappa of the raters" for each informant.

    An article that reports "kappa = 0.72" for three raters and eight
    present/absent themes could mean any of the variants in
    :data:`KAPPA_VARIANTS`: Fleiss' (1971) or Conger's (1980) kappa over all
    session x theme units, Light's (1971) mean of pairwise Cohen kappas over
    the same units, or Fleiss' kappa computed per theme and then averaged.
    Any number of raters (two or more) and partial designs work, as in
    :func:`informant_agreement`.

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings``.

    Returns
    -------
    pandas.DataFrame
        One row per informant x variant: ``informant``, ``variant`` (a key of
        :data:`KAPPA_VARIANTS`), ``description``, ``estimate`` and ``n_units``
        (session x theme units; for the per-theme mean, the number of themes
        whose kappa is defined). Informants sorted, variants in
        :data:`KAPPA_VARIANTS` order.

    Raises
    ------
    ValueError
        If a column is missing or ``present`` is not 0/1.

    Examples
    --------
    >>> ratings = pd.DataFrame({
    ...     "session_id": ["S1"] * 6 + ["S2"] * 6, "informant": "therapist",
    ...     "rater": ["R1", "R2", "R3"] * 4, "theme": (["trust"] * 3 + ["anger"] * 3) * 2,
    ...     "present": [1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0]})
    >>> kappa_variants(ratings)[["variant", "estimate"]].round(4)
                 variant  estimate
    0      fleiss_pooled    0.3333
    1      conger_pooled    0.3333
    2       light_pooled    0.3333
    3  fleiss_theme_mean   -0.2000
    """
    pooled = informant_agreement(
        ratings, methods=["fleiss_kappa", "conger_kappa", "light_kappa"], ci="analytic"
    )
    pooled["variant"] = pooled["coefficient"].str.replace("_kappa", "_pooled")
    per_theme = theme_agreement(ratings, methods="fleiss_kappa")
    mean = per_theme.groupby("informant", sort=True)["estimate"].agg(
        estimate="mean", n_units="count"
    )
    mean = mean.reset_index().assign(variant="fleiss_theme_mean")
    table = pd.concat(
        [pooled[["informant", "variant", "estimate", "n_units"]], mean], ignore_index=True
    )
    table["description"] = table["variant"].map(KAPPA_VARIANTS)
    order = {variant: rank for rank, variant in enumerate(KAPPA_VARIANTS)}
    table = table.sort_values(
        ["informant", "variant"],
        key=lambda column: column.map(order) if column.name == "variant" else column,
        ignore_index=True,
    )
    return table[["informant", "variant", "description", "estimate", "n_units"]]


def kappa_reproduction(variants: pd.DataFrame) -> pd.DataFrame:
    """Set each kappa variant beside the kappa the article published for its informant.

    Parameters
    ----------
    variants : pandas.DataFrame
        The output of :func:`kappa_variants` (at least ``informant`` and
        ``estimate``; informants ``client`` and ``therapist``).

    Returns
    -------
    pandas.DataFrame
        ``variants`` with three text columns added: ``rounded`` (the estimate at
        the published two decimals, rounded half away from zero), ``published``
        (:func:`alliance.data.published.figure` ``kappa_<informant>``, as printed)
        and ``reproduces`` (``"yes"`` when the estimate rounds to it, else ``"no"``).

    Raises
    ------
    ValueError
        If a column is missing.
    KeyError
        If an informant has no published kappa.

    Examples
    --------
    >>> variants = pd.DataFrame({"informant": ["client", "therapist"],
    ...                          "estimate": [0.7049, 0.7251]})
    >>> print(kappa_reproduction(variants).to_string(index=False))
    informant  estimate rounded published reproduces
       client    0.7049    0.70      0.70        yes
    therapist    0.7251    0.73      0.72         no
    """
    require_columns(variants, ["informant", "estimate"], "variants")
    published = {
        informant: figure(f"kappa_{informant}") for informant in variants["informant"].unique()
    }
    table = variants.copy()
    table["rounded"] = [f"{round_half_up(value, 2):.2f}" for value in table["estimate"]]
    table["published"] = table["informant"].map(lambda informant: published[informant].formatted())
    table["reproduces"] = [
        "yes" if published[informant].matches(value) else "no"
        for informant, value in zip(table["informant"], table["estimate"], strict=True)
    ]
    return table


def majority_vote(ratings: pd.DataFrame) -> pd.DataFrame:
    """Code each session x informant x theme as the majority of the raters would.

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings`` (``present`` may be empty: a missing rating).

    Returns
    -------
    pandas.DataFrame
        One row per session x informant x theme with at least one given
        rating, in the order of first appearance: ``session_id``,
        ``informant``, ``theme``, ``votes`` (raters coding present),
        ``n_raters`` (raters who gave a rating; 1 for a single-coded unit) and
        ``majority`` (1 if more than half coded present, 0 if fewer than half,
        ``<NA>`` on a tie, which an even number of raters can produce).

    Raises
    ------
    ValueError
        If a column is missing, ``present`` is not 0/1, or a rater codes the
        same unit twice.

    Examples
    --------
    >>> ratings = pd.DataFrame({"session_id": "S1", "informant": "client", "theme": "trust",
    ...                         "rater": ["R1", "R2"], "present": [1, 0]})
    >>> majority_vote(ratings)[["votes", "n_raters", "majority"]]
       votes  n_raters  majority
    0      1         2      <NA>
    """
    keys = list(UNIT)
    votes = _rated(ratings).groupby(keys, sort=False)["present"].agg(votes="sum", n_raters="size")
    votes = votes.reset_index().astype({"votes": int, "n_raters": int})
    twice = 2 * votes["votes"]
    majority = pd.Series(pd.NA, index=votes.index, dtype="Int64")
    majority[twice > votes["n_raters"]] = 1
    majority[twice < votes["n_raters"]] = 0
    votes["majority"] = majority
    return votes


def unanimous_agreement(
    ratings: pd.DataFrame,
    by: Sequence[str] = ("informant",),
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of units on which every rater agreed, beside the mean pairwise agreement.

    "The raters agreed on x% of units" can mean two things. The usual percent
    agreement of a multi-rater table (:func:`alliance.stats.agreement.percent_agreement`)
    is the mean share of agreeing rater *pairs*; a unit coded 1, 1, 0 counts one
    third. The stricter reading counts only units on which all raters gave the same
    code. Both are shown, so a report can say which it means. Only units coded
    by two or more raters count (the overlap of a partial design).

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings`` (one row per session x informant x rater x theme).
    by : sequence of str, default ("informant",)
        Columns to group the session x theme units by.
    themes : sequence of str, optional
        Theme order when ``by`` holds ``theme``: ``study.design.themes``.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``n_units`` (units with two or
        more ratings), ``n_unanimous``, ``unanimous`` (share of units with one
        code from every rater who coded it) and ``pairwise`` (mean share of
        agreeing rater pairs per unit).

    Raises
    ------
    ValueError
        If a column is missing, ``present`` is not 0/1, or a rater codes the
        same unit twice.

    Examples
    --------
    >>> ratings = pd.DataFrame({"session_id": ["S1"] * 3 + ["S2"] * 3, "informant": "client",
    ...                         "theme": "trust", "rater": ["R1", "R2", "R3"] * 2,
    ...                         "present": [1, 1, 0, 1, 1, 1]})
    >>> unanimous_agreement(ratings).round(3)
      informant  n_units  n_unanimous  unanimous  pairwise
    0    client        2            1        0.5     0.667
    """
    votes = majority_vote(ratings)
    require_columns(votes, list(by), "ratings")
    votes = votes[votes["n_raters"] >= 2]
    if votes.empty:
        raise InsufficientData("no unit was coded by two or more raters")
    n, k = votes["n_raters"], votes["votes"]
    pairs = n * (n - 1) / 2
    agreeing = (k * (k - 1) + (n - k) * (n - k - 1)) / 2
    units = votes.assign(
        unanimous=((k == 0) | (k == n)).astype(int),
        pairwise=agreeing / pairs,
    )
    table = units.groupby(list(by), sort=False).agg(
        n_units=("unanimous", "size"),
        n_unanimous=("unanimous", "sum"),
        unanimous=("unanimous", "mean"),
        pairwise=("pairwise", "mean"),
    )
    return _sort_rows(table.reset_index(), by, themes=themes)


def compare_consensus_majority(ratings: pd.DataFrame, consensus: pd.DataFrame) -> pd.DataFrame:
    """Put the raters' agreed (consensus) code beside their majority vote, unit by unit.

    Only units that two or more raters coded have a vote to depart from; in a
    partial design the single-coded and the not independently coded units of
    ``consensus`` are left out (:func:`rating_coverage` counts them).

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings``.
    consensus : pandas.DataFrame
        ``Study.consensus``: ``session_id``, ``informant``, ``theme``, ``present``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`majority_vote` plus ``consensus`` (0/1) and
        ``change``: ``"kept"`` when consensus equals the majority, ``"added"``
        when the discussion coded present a theme the majority left out,
        ``"dropped"`` in the opposite case, and ``"tie broken"`` when there
        was no majority; rows sorted by session, informant and theme id.

    Raises
    ------
    ValueError
        If a column is missing, a code is not 0/1, or a rated unit has no row
        in ``consensus`` (the first such units are named).
    InsufficientData
        (A ``ValueError``.) If no unit was coded by two or more raters.

    Examples
    --------
    >>> ratings = pd.DataFrame({"session_id": "S1", "informant": "client", "theme": "trust",
    ...                         "rater": ["R1", "R2", "R3"], "present": [1, 0, 0]})
    >>> consensus = pd.DataFrame({"session_id": ["S1"], "informant": ["client"],
    ...                           "theme": ["trust"], "present": [1]})
    >>> compare_consensus_majority(ratings, consensus)[["votes", "majority", "consensus", "change"]]
       votes  majority  consensus change
    0      1         0          1  added
    """
    keys = ["session_id", "informant", "theme"]
    require_columns(consensus, [*keys, "present"], "consensus")
    require_binary(consensus, "present", "consensus")
    require_unique(consensus, keys, "consensus")
    votes = majority_vote(ratings)
    merged = votes.merge(
        consensus[[*keys, "present"]].rename(columns={"present": "consensus"}),
        on=keys,
        how="left",
        indicator=True,
        sort=False,
    )
    orphans = merged.loc[merged["_merge"] == "left_only", keys]
    if len(orphans):
        raise ValueError(
            f"{len(orphans)} session x informant x theme unit(s) have no row in consensus, "
            f"e.g. {orphans.head(3).to_dict('records')}"
        )
    merged = merged[merged["n_raters"] >= 2].sort_values(keys, ignore_index=True)
    if merged.empty:
        raise InsufficientData("no unit was coded by two or more raters")
    merged = merged.drop(columns="_merge").astype({"votes": int, "n_raters": int, "consensus": int})
    majority = merged["majority"]
    merged["change"] = np.select(
        [
            majority.isna().to_numpy(),
            (majority == merged["consensus"]).fillna(False).to_numpy(dtype=bool),
            (merged["consensus"] == 1).to_numpy(),
        ],
        ["tie broken", "kept", "added"],
        default="dropped",
    )
    return merged


def consensus_changes(
    comparison: pd.DataFrame,
    by: Sequence[str] = ("informant", "theme"),
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Count how often the consensus departs from the majority vote, by group.

    Parameters
    ----------
    comparison : pandas.DataFrame
        The output of :func:`compare_consensus_majority`.
    by : sequence of str, default ("informant", "theme")
        Grouping columns, e.g. ``["informant"]`` or ``["informant", "votes"]``
        (to see whether changes come from split decisions).
    themes : sequence of str, optional
        Theme order, ``study.design.themes``.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n_units``, ``added``, ``dropped``,
        ``tie_broken``, ``changed`` (added + dropped) and ``share_changed``.
        Sorted by ``by`` (themes in codebook order).

    Examples
    --------
    >>> comparison = pd.DataFrame({"informant": ["client"] * 3, "theme": ["trust"] * 3,
    ...                            "change": ["kept", "added", "kept"]})
    >>> consensus_changes(comparison).round(3)
      informant  theme  n_units  added  dropped  tie_broken  changed  share_changed
    0    client  trust        3      1        0           0        1          0.333
    """
    by = list(by)
    require_columns(comparison, [*by, "change"], "comparison")
    flags = pd.DataFrame(
        {
            "n_units": 1,
            "added": comparison["change"].eq("added").astype(int),
            "dropped": comparison["change"].eq("dropped").astype(int),
            "tie_broken": comparison["change"].eq("tie broken").astype(int),
        }
    )
    table = pd.concat([comparison[by], flags], axis=1).groupby(by, sort=False).sum()
    table = table.reset_index()
    table["changed"] = table["added"] + table["dropped"]
    table["share_changed"] = table["changed"] / table["n_units"]
    return _sort_rows(table, by, themes=themes)
