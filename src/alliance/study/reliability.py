"""The study's reliability tables: which kappa, per-theme agreement, consensus vs majority.

The article reports one kappa per informant (therapist and client narratives)
for three raters, without saying which of the several multi-rater kappas it is.
These helpers compute the candidates side by side, agreement theme by theme,
and how the raters' final consensus departs from a simple majority vote. The
coefficients themselves come from :mod:`alliance.stats.agreement`; this module
only arranges the study's coding (``ratings.csv``: one row per session x
informant x rater x theme) into the units those coefficients need.

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

from alliance.data.published import figure, round_half_up
from alliance.stats.agreement import AgreementWarning, agreement
from alliance.stats.checks import require_binary, require_columns, require_unique
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


def _check_ratings(ratings: pd.DataFrame) -> None:
    """Raise ``ValueError`` for missing columns or codes other than 0/1, naming the row."""
    require_columns(ratings, RATING_COLUMNS, "ratings")
    require_binary(ratings, "present", "ratings")


def binary_agreement(
    data: pd.DataFrame, units: str | list[str], raters: str = "rater", **options: Any
) -> pd.DataFrame:
    """Agreement on present/absent codes, with NaN and a note where a coefficient is undefined.

    A thin wrapper of :func:`alliance.stats.agreement.agreement` with
    ``ratings="present"`` and ``categories=[0, 1]``. A coefficient that is
    undefined because every rating falls in one category (expected for a rare
    theme in a small sample) is returned as NaN with a ``note`` saying why,
    instead of a warning, because the table itself reports it.

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
    ``ci="bootstrap"`` whole sessions are resampled, because the eight themes of
    one interview are coded together and are not independent.

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings``: ``session_id``, ``informant``, ``rater``, ``theme``,
        ``present`` (0/1).
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
        is NaN, else empty). Informants sorted.

    Raises
    ------
    ValueError
        If a column is missing or ``present`` is not 0/1 (and as
        :func:`alliance.stats.agreement.agreement`).

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
    _check_ratings(ratings)
    options = {"methods": methods, "ci": ci, "n_boot": n_boot, "seed": seed}
    if ci == "bootstrap":
        options["cluster"] = "session_id"
    frames = []
    for informant, rows in ratings.groupby("informant", sort=True):
        result = binary_agreement(rows, ["session_id", "theme"], **options)
        result.insert(0, "informant", informant)
        frames.append(result)
    return pd.concat(frames, ignore_index=True)


def theme_agreement(
    ratings: pd.DataFrame,
    methods: str | Sequence[str] = ("fleiss_kappa", "gwet_ac1"),
    ci: str = "analytic",
    n_boot: int = 2000,
    seed: int | None = None,
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
        ``Study.ratings``.
    methods : str or sequence of str, default ("fleiss_kappa", "gwet_ac1")
        Coefficients of :data:`alliance.stats.agreement.COEFFICIENTS`.
    ci : {"analytic", "bootstrap"}, default "analytic"
        Interval method (the bootstrap resamples sessions).
    n_boot : int, default 2000
        Bootstrap resamples.
    seed : int, optional
        Bootstrap seed.

    Returns
    -------
    pandas.DataFrame
        One row per informant x theme x coefficient: ``informant``, ``theme``,
        ``prevalence`` (share of all ratings coding the theme present), the
        columns of :func:`alliance.stats.agreement.agreement` and ``note``. Sorted
        by informant, then themes in the published order.

    Raises
    ------
    ValueError
        If a column is missing or ``present`` is not 0/1.

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
    _check_ratings(ratings)
    frames = []
    for (informant, theme), rows in ratings.groupby(["informant", "theme"], sort=False):
        result = binary_agreement(
            rows, ["session_id"], methods=methods, ci=ci, n_boot=n_boot, seed=seed
        )
        result.insert(0, "informant", informant)
        result.insert(1, "theme", theme)
        result.insert(2, "prevalence", float(rows["present"].mean()))
        frames.append(result)
    return _sort_rows(pd.concat(frames, ignore_index=True), ["informant", "theme"])


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
    per_theme: pd.DataFrame, informant: str = "therapist", theme: str = "anger"
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
    informant : str, default "therapist"
        Whose narratives to look at.
    theme : str, default "anger"
        The theme to explain; its twin is the other theme of ``informant``
        whose percent agreement is closest (the first alphabetically
        on a tie).

    Returns
    -------
    pandas.DataFrame
        Two rows, ``theme`` then its twin: ``theme``, ``prevalence``, one
        column per coefficient and ``chance_agreement``.

    Raises
    ------
    ValueError
        If a column is missing, or ``theme`` has no ``percent_agreement`` for
        ``informant`` or no other theme to compare with.

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
    rows = per_theme[per_theme["informant"] == informant]
    wide = rows.pivot_table(
        index=["theme", "prevalence"], columns="coefficient", values="estimate"
    ).reset_index()
    if "percent_agreement" not in wide.columns or theme not in set(wide["theme"]):
        raise ValueError(
            f"per_theme has no percent_agreement of theme {theme!r} for informant {informant!r}"
        )
    target = wide[wide["theme"] == theme].iloc[0]
    others = wide[wide["theme"] != theme]
    if others.empty:
        raise ValueError(f"per_theme has no theme besides {theme!r} for informant {informant!r}")
    gap = (others["percent_agreement"] - target["percent_agreement"]).abs()
    twin = others.loc[gap.idxmin(), "theme"]
    paradox = wide.set_index("theme").loc[[theme, twin]].reset_index()
    paradox["chance_agreement"] = paradox["prevalence"] ** 2 + (1 - paradox["prevalence"]) ** 2
    paradox.columns.name = None
    return paradox


def kappa_variants(ratings: pd.DataFrame) -> pd.DataFrame:
    """Compute every common reading of "the kappa of three raters" for each informant.

    An article that reports "kappa = 0.72" for three raters and eight
    present/absent themes could mean any of the variants in
    :data:`KAPPA_VARIANTS`: Fleiss' (1971) or Conger's (1980) kappa over all
    session x theme units, Light's (1971) mean of pairwise Cohen kappas over
    the same units, or Fleiss' kappa computed per theme and then averaged.

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
        ``Study.ratings``.

    Returns
    -------
    pandas.DataFrame
        One row per session x informant x theme, in the order of first
        appearance: ``session_id``, ``informant``, ``theme``, ``votes`` (raters
        coding present), ``n_raters`` and ``majority`` (1 if more than half
        coded present, 0 if fewer than half, ``<NA>`` on a tie, which an even
        number of raters can produce).

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
    _check_ratings(ratings)
    keys = ["session_id", "informant", "theme"]
    require_unique(ratings, [*keys, "rater"], "ratings")
    votes = ratings.groupby(keys, sort=False)["present"].agg(votes="sum", n_raters="size")
    votes = votes.reset_index().astype({"votes": int, "n_raters": int})
    twice = 2 * votes["votes"]
    majority = pd.Series(pd.NA, index=votes.index, dtype="Int64")
    majority[twice > votes["n_raters"]] = 1
    majority[twice < votes["n_raters"]] = 0
    votes["majority"] = majority
    return votes


def unanimous_agreement(ratings: pd.DataFrame, by: Sequence[str] = ("informant",)) -> pd.DataFrame:
    """Share of units on which every rater agreed, beside the mean pairwise agreement.

    "The raters agreed on x% of units" can mean two things. The usual percent
    agreement of a multi-rater table (:func:`alliance.stats.agreement.percent_agreement`)
    is the mean share of agreeing rater *pairs*; a unit coded 1, 1, 0 counts one
    third. The stricter reading counts only units on which all raters gave the same
    code. Both are shown, so a report can say which it means.

    Parameters
    ----------
    ratings : pandas.DataFrame
        ``Study.ratings`` (one row per session x informant x rater x theme).
    by : sequence of str, default ("informant",)
        Columns to group the session x theme units by.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``n_units``, ``n_unanimous``,
        ``unanimous`` (share of units with one code from every rater) and
        ``pairwise`` (mean share of agreeing rater pairs per unit).

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
    n, k = votes["n_raters"], votes["votes"]
    pairs = n * (n - 1) / 2
    agreeing = (k * (k - 1) + (n - k) * (n - k - 1)) / 2
    units = votes.assign(
        unanimous=((k == 0) | (k == n)).astype(int),
        pairwise=np.where(pairs > 0, agreeing / pairs.where(pairs > 0, 1), np.nan),
    )
    table = units.groupby(list(by), sort=False).agg(
        n_units=("unanimous", "size"),
        n_unanimous=("unanimous", "sum"),
        unanimous=("unanimous", "mean"),
        pairwise=("pairwise", "mean"),
    )
    return _sort_rows(table.reset_index(), by)


def compare_consensus_majority(ratings: pd.DataFrame, consensus: pd.DataFrame) -> pd.DataFrame:
    """Put the raters' agreed (consensus) code beside their majority vote, unit by unit.

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
        was no majority.

    Raises
    ------
    ValueError
        If a column is missing, a code is not 0/1, or a unit is coded in one
        table but not in the other (the first such units are named).

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
        how="outer",
        indicator=True,
        sort=False,
    )
    for side, table in (("left_only", "consensus"), ("right_only", "ratings")):
        orphans = merged.loc[merged["_merge"] == side, keys]
        if len(orphans):
            raise ValueError(
                f"{len(orphans)} session x informant x theme unit(s) have no row in {table}, "
                f"e.g. {orphans.head(3).to_dict('records')}"
            )
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
    comparison: pd.DataFrame, by: Sequence[str] = ("informant", "theme")
) -> pd.DataFrame:
    """Count how often the consensus departs from the majority vote, by group.

    Parameters
    ----------
    comparison : pandas.DataFrame
        The output of :func:`compare_consensus_majority`.
    by : sequence of str, default ("informant", "theme")
        Grouping columns, e.g. ``["informant"]`` or ``["informant", "votes"]``
        (to see whether changes come from split decisions).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n_units``, ``added``, ``dropped``,
        ``tie_broken``, ``changed`` (added + dropped) and ``share_changed``.
        Sorted by ``by`` (themes in the published order).

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
    return _sort_rows(table, by)
