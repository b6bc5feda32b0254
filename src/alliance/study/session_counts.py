"""Themes per session: how many of the themes each informant described in one intake.

The article summarises, for clients and for therapists, the number of themes
coded present per session as a mean and a standard deviation. We take the
standard deviation with ``ddof=1`` (the sample SD), which is what articles
usually print; :func:`summarise_counts` documents it in its output.

Examples
--------
>>> import pandas as pd
>>> consensus = pd.DataFrame({
...     "session_id": ["S1"] * 4 + ["S2"] * 4,
...     "informant": ["client", "client", "therapist", "therapist"] * 2,
...     "theme": ["trust", "anger"] * 4,
...     "present": [1, 1, 0, 1, 1, 0, 0, 0]})
>>> counts = themes_per_session(consensus, themes=["trust", "anger"])
>>> summarise_counts(counts)[["informant", "n", "mean", "sd"]]
   informant  n  mean        sd
0     client  2   1.5  0.707107
1  therapist  2   0.5  0.707107
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats

from alliance.data.codebook import THEMES
from alliance.stats.checks import (
    InsufficientData,
    require_columns,
    require_complete,
    require_unique,
    require_values,
)
from alliance.stats.effect_sizes import (
    cohen_d_average,
    matched_pairs_rank_biserial,
    rank_biserial,
)
from alliance.study.thematic import coding_matrix

__all__ = [
    "compare_counts_across",
    "compare_counts_between",
    "count_summary_consistency",
    "paired_comparison",
    "paired_highlights",
    "summarise_counts",
    "themes_per_session",
]

INFORMANT_PAIR: tuple[str, str] = ("client", "therapist")
"""The two interviews of a session, compared as ``client`` minus ``therapist``."""


def themes_per_session(coded: pd.DataFrame, themes: Sequence[str] | None = None) -> pd.DataFrame:
    """Count the themes coded present in each interview.

    Parameters
    ----------
    coded : pandas.DataFrame
        Complete tidy coding (``session_id``, ``informant``, ``theme``,
        ``present``), e.g. ``Study.consensus``: every interview has one row per theme.
    themes : sequence of str, optional
        The theme ids that count: ``study.design.themes`` (default: every theme
        in ``coded``, see :func:`alliance.study.thematic.theme_order`).

    Returns
    -------
    pandas.DataFrame
        One row per interview (sessions with no theme present included, with 0),
        sorted: ``session_id``, ``informant``, ``n_themes``.

    Raises
    ------
    ValueError
        If the coding is incomplete or malformed (see
        :func:`alliance.study.thematic.coding_matrix`).

    Examples
    --------
    >>> coded = pd.DataFrame({"session_id": ["S1", "S1", "S2", "S2"],
    ...                       "informant": ["client"] * 4,
    ...                       "theme": ["trust", "anger"] * 2, "present": [1, 1, 0, 0]})
    >>> themes_per_session(coded, themes=["trust", "anger"])
      session_id informant  n_themes
    0         S1    client         2
    1         S2    client         0
    """
    matrix = coding_matrix(coded, themes)
    return matrix.sum(axis=1).rename("n_themes").reset_index()


def summarise_counts(
    counts: pd.DataFrame, by: Sequence[str] = ("informant",), ddof: int = 1
) -> pd.DataFrame:
    """Describe the number of themes per session for each group.

    Parameters
    ----------
    counts : pandas.DataFrame
        The output of :func:`themes_per_session`, with any extra grouping columns
        (e.g. ``dyad_type`` from :func:`alliance.study.sampling.attach_dyads`).
    by : sequence of str, default ("informant",)
        Grouping columns.
    ddof : int, default 1
        Delta degrees of freedom of the standard deviation: 1 for the sample SD,
        0 for the population SD (the one that reproduces the published figures,
        :data:`alliance.data.published.THEMES_SD_DDOF`; see :func:`count_summary_consistency`).

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted: the ``by`` columns, ``n`` (interviews),
        ``mean``, ``sd`` (with the given ``ddof``), ``median``, ``min``, ``max``,
        ``total`` (theme codes summed over the interviews) and ``sum_squares``
        (the counts squared and summed; with ``total`` and ``n`` it fixes mean and SD).

    Examples
    --------
    >>> counts = pd.DataFrame({"informant": ["client"] * 3, "n_themes": [1, 2, 4]})
    >>> summarise_counts(counts).round(4)
      informant  n    mean      sd  median  min  max  total  sum_squares
    0    client  3  2.3333  1.5275     2.0    1    4      7           21
    >>> float(summarise_counts(counts, ddof=0)["sd"].round(4).iloc[0])
    1.2472
    """
    by = list(by)
    require_complete(counts, [*by, "n_themes"], "counts")
    grouped = counts.assign(_square=counts["n_themes"] ** 2).groupby(by, sort=True)
    table = grouped["n_themes"].agg(
        n="size",
        mean="mean",
        sd=lambda values: values.std(ddof=ddof),
        median="median",
        min="min",
        max="max",
        total="sum",
    )
    table["sum_squares"] = grouped["_square"].sum()
    return table.reset_index()


def _reachable_moments(n: int, max_count: int) -> np.ndarray:
    """Tabulate which (sum, sum of squares) pairs ``n`` counts in 0..max_count can reach.

    Entry ``[t, s]`` is True when some ``n`` whole numbers between 0 and
    ``max_count`` sum to ``t`` and their squares to ``s`` (dynamic programming,
    adding one count at a time).
    """
    reach = np.zeros((n * max_count + 1, n * max_count**2 + 1), dtype=bool)
    reach[0, 0] = True
    for _ in range(n):
        step = np.zeros_like(reach)
        for value in range(max_count + 1):
            rows, cols = reach.shape[0] - value, reach.shape[1] - value**2
            step[value:, value**2 :] |= reach[:rows, :cols]
        reach = step
    return reach


def count_summary_consistency(
    n: int,
    mean: float,
    sd: float,
    decimals: int = 2,
    max_count: int = len(THEMES),
    ddofs: Sequence[int] = (0, 1),
    rounding: str = "half up",
) -> pd.DataFrame:
    """Check which whole-number counts could have produced a published mean and SD.

    ``n`` counts between 0 and ``max_count`` are summarised by their total ``T``
    and their sum of squares ``S``: the mean is ``T / n`` and the SD is
    ``sqrt((S - T**2 / n) / (n - ddof))``. A published pair (mean, SD) printed
    at ``decimals`` places is *consistent* with a ``ddof`` when some reachable
    pair (T, S) rounds (half up) to both. This extends the GRIM check of means
    (Brown & Heathers) to the SD, with exact rational arithmetic and an exact
    list of reachable (T, S) pairs, so no floating-point rounding decides it.
    For the SD this is the idea of GRIMMER (Anaya 2016). A verdict holds only for
    the assumed ``n`` and rounding rule: a few missing interviews, or truncation
    instead of rounding, can change it.

    Parameters
    ----------
    n : int
        Number of counts (sessions).
    mean, sd : float
        The published values.
    decimals : int, default 2
        Decimals the values are printed with.
    max_count : int, default 8
        Largest possible count (the number of themes).
    ddofs : sequence of int, default (0, 1)
        The SD conventions to check.
    rounding : {"half up", "truncate"}, default "half up"
        How the values were printed: rounded to the nearest (half away from
        zero) or cut off after ``decimals`` places.

    Returns
    -------
    pandas.DataFrame
        One row per ``ddof``: ``consistent`` (bool), ``n_solutions`` and the
        ``solutions`` as a tuple of (T, S) pairs.

    Examples
    --------
    >>> table = count_summary_consistency(55, 2.65, 1.45)
    >>> table[["ddof", "consistent", "n_solutions"]]
       ddof  consistent  n_solutions
    0     0        True            1
    1     1       False            0
    >>> table.loc[0, "solutions"]
    ((146, 504),)

    With the sample SD over 52 interviews instead of 55 the same figures are possible:

    >>> bool(count_summary_consistency(52, 2.65, 1.45, ddofs=[1])["consistent"].iloc[0])
    True
    """
    if n < 2 or max_count < 1:
        raise ValueError(f"need n >= 2 and max_count >= 1, got n={n}, max_count={max_count}")
    if rounding not in ("half up", "truncate"):
        raise ValueError(f"rounding must be 'half up' or 'truncate'; got {rounding!r}")
    half = Fraction(1, 2 * 10**decimals)
    # the interval [below, above) of exact values that print as the published one
    below, above = (half, half) if rounding == "half up" else (Fraction(0), 2 * half)
    target_mean = Fraction(str(mean))
    target_sd = Fraction(str(sd))
    reach = _reachable_moments(n, max_count)
    totals = [
        t
        for t in range(reach.shape[0])
        if target_mean - below <= Fraction(t, n) < target_mean + above
    ]
    low, high = max(target_sd - below, Fraction(0)) ** 2, (target_sd + above) ** 2
    rows = []
    for ddof in ddofs:
        solutions = tuple(
            (t, int(s_))
            for t in totals
            for s_ in np.flatnonzero(reach[t])
            if low <= (Fraction(int(s_)) - Fraction(t * t, n)) / (n - ddof) < high
        )
        rows.append(
            {
                "ddof": ddof,
                "consistent": bool(solutions),
                "n_solutions": len(solutions),
                "solutions": solutions,
            }
        )
    return pd.DataFrame(rows)


def _paired_wide(counts: pd.DataFrame) -> pd.DataFrame:
    """One row per session with the client's and the therapist's count side by side."""
    require_complete(counts, ["session_id", "informant", "n_themes"], "counts")
    require_unique(counts, ["session_id", "informant"], "counts")
    require_values(counts, "informant", INFORMANT_PAIR, "counts")
    absent = [
        informant for informant in INFORMANT_PAIR if not counts["informant"].eq(informant).any()
    ]
    if absent:
        raise InsufficientData(
            f"the counts have no {absent[0]} interviews, and a paired comparison needs the "
            "client's and the therapist's interview of each session"
        )
    wide = counts.pivot(index="session_id", columns="informant", values="n_themes")
    wide = wide.reindex(columns=list(INFORMANT_PAIR))
    unpaired = wide.isna().any(axis=1)
    if unpaired.any():
        raise ValueError(
            "counts: a paired comparison needs both interviews of every session; "
            f"sessions without a pair: {list(wide.index[unpaired])}"
        )
    return wide.astype(float)


def paired_comparison(counts: pd.DataFrame) -> pd.DataFrame:
    """Compare the client's and the therapist's number of themes within each session.

    Runs the Wilcoxon signed-rank test (:func:`scipy.stats.wilcoxon`, with the
    continuity correction; sessions where both counts are equal drop out of the
    ranking, and ``n_tied`` says how many) and the paired t-test
    (:func:`scipy.stats.ttest_rel`). Differences are client minus therapist.
    The effect sizes come from :mod:`alliance.stats.effect_sizes` (the same
    values as pingouin's ``wilcoxon`` and ``ttest(paired=True)``).

    Parameters
    ----------
    counts : pandas.DataFrame
        The output of :func:`themes_per_session`, with both interviews of every session.

    Returns
    -------
    pandas.DataFrame
        Two rows, ``test`` = ``wilcoxon`` and ``paired t``, each with ``n_pairs``,
        ``n_tied``, ``mean_client``, ``mean_therapist``, ``mean_difference``,
        ``statistic`` (W or T), ``p_value``, ``effect_size`` and ``effect_name``
        (matched-pairs rank-biserial correlation, or Cohen's d with the mean
        difference over the average of the two SDs); both are positive when
        clients describe more themes.

    Raises
    ------
    ValueError
        If a session lacks one of the two interviews, or a row is repeated.
    InsufficientData
        (A ``ValueError``.) If the study interviewed only clients or only
        therapists; one line.

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "session_id": [f"S{i}" for i in range(6)] * 2,
    ...     "informant": ["client"] * 6 + ["therapist"] * 6,
    ...     "n_themes": [3, 2, 4, 1, 3, 2] + [2, 2, 3, 2, 1, 1]})
    >>> paired_comparison(counts)[["test", "n_pairs", "n_tied", "mean_difference"]]
           test  n_pairs  n_tied  mean_difference
    0  wilcoxon        6       1         0.666667
    1  paired t        6       1         0.666667
    """
    wide = _paired_wide(counts)
    client, therapist = wide["client"].to_numpy(), wide["therapist"].to_numpy()
    wilcoxon = stats.wilcoxon(client, therapist, correction=True)
    ttest = stats.ttest_rel(client, therapist)
    common = {
        "n_pairs": len(wide),
        "n_tied": int(np.sum(client == therapist)),
        "mean_client": client.mean(),
        "mean_therapist": therapist.mean(),
        "mean_difference": (client - therapist).mean(),
    }
    rows = [
        {"test": "wilcoxon"}
        | common
        | {
            "statistic": float(wilcoxon.statistic),
            "p_value": float(wilcoxon.pvalue),
            "effect_size": matched_pairs_rank_biserial(client, therapist),
            "effect_name": "rank-biserial r",
        },
        {"test": "paired t"}
        | common
        | {
            "statistic": float(ttest.statistic),
            "p_value": float(ttest.pvalue),
            "effect_size": cohen_d_average(client, therapist),
            "effect_name": "Cohen's d",
        },
    ]
    return pd.DataFrame(rows)


def compare_counts_between(
    counts: pd.DataFrame,
    between: str = "dyad_type",
    by: Sequence[str] = ("informant",),
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Compare the number of themes between two groups of sessions (Mann-Whitney U).

    Parameters
    ----------
    counts : pandas.DataFrame
        The output of :func:`themes_per_session` with the ``between`` column added
        (e.g. by :func:`alliance.study.sampling.attach_dyads`).
    between : str, default "dyad_type"
        Column with exactly two groups; they are compared first minus second
        (``concordant`` minus ``discordant`` for dyad types).
    by : sequence of str, default ("informant",)
        Run one test per group of these columns.
    groups : sequence of str, optional
        The two groups in order, ``study.design.grouping.labels`` (default:
        the values of ``between``, sorted).

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` group: ``group_1``, ``group_2``, ``n_1``, ``n_2``,
        ``mean_1``, ``mean_2``, ``U`` and ``p_value`` (:func:`scipy.stats.mannwhitneyu`,
        two-sided, with the continuity correction) and ``rank_biserial``
        (:func:`alliance.stats.effect_sizes.rank_biserial`, ``2U / (n_1 n_2) - 1``:
        positive when the first group tends to describe more themes).

    Raises
    ------
    ValueError
        If a column is missing or empty.
    InsufficientData
        (A ``ValueError``.) If ``between`` does not have exactly two groups, or a
        ``by`` group lacks one of them; one line.

    Examples
    --------
    >>> counts = pd.DataFrame({"informant": ["client"] * 6,
    ...                        "dyad_type": ["concordant"] * 3 + ["discordant"] * 3,
    ...                        "n_themes": [1, 2, 3, 3, 4, 5]})
    >>> compare_counts_between(counts)[["informant", "group_1", "n_1", "mean_1", "mean_2", "U"]]
      informant     group_1  n_1  mean_1  mean_2    U
    0    client  concordant    3     2.0     4.0  0.5
    """
    by = list(by)
    require_complete(counts, [*by, between, "n_themes"], "counts")
    groups = sorted(counts[between].unique()) if groups is None else list(groups)
    if len(groups) != 2:
        raise InsufficientData(
            f"counts: column {between} must have exactly two groups to compare, has {groups} "
            "(compare_counts_across compares three or more)"
        )
    rows = []
    for key, part in counts.groupby(by, sort=True):
        first = part.loc[part[between] == groups[0], "n_themes"].to_numpy(dtype=float)
        second = part.loc[part[between] == groups[1], "n_themes"].to_numpy(dtype=float)
        if len(first) == 0 or len(second) == 0:
            where = dict(zip(by, key, strict=True))
            raise InsufficientData(f"counts: group {where} lacks a {between}; cannot compare")
        test = stats.mannwhitneyu(first, second, alternative="two-sided")
        rows.append(
            dict(zip(by, key, strict=True))
            | {
                "group_1": groups[0],
                "group_2": groups[1],
                "n_1": len(first),
                "n_2": len(second),
                "mean_1": first.mean(),
                "mean_2": second.mean(),
                "U": float(test.statistic),
                "p_value": float(test.pvalue),
                "rank_biserial": rank_biserial(test.statistic, len(first), len(second)),
            }
        )
    return pd.DataFrame(rows)


def compare_counts_across(
    counts: pd.DataFrame,
    between: str = "dyad_type",
    by: Sequence[str] = ("informant",),
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Compare the number of themes across two or more groups (Kruskal-Wallis H test).

    The k-group counterpart of :func:`compare_counts_between`:
    :func:`scipy.stats.kruskal`, with its correction for ties; for two groups
    its p-value is that of the Mann-Whitney U test with a normal
    approximation.

    Parameters
    ----------
    counts : pandas.DataFrame
        :func:`themes_per_session` with the ``between`` column added.
    between : str, default "dyad_type"
        The group column.
    by : sequence of str, default ("informant",)
        Run one test per group of these columns.
    groups : sequence of str, optional
        The groups in display order, ``study.design.grouping.labels``
        (default: the values of ``between``, sorted).

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` group: ``n_<group>`` and ``mean_<group>`` for each
        group, then ``H``, ``dof`` (groups minus one) and ``p_value``
        (``NaN`` when every count is the same, as there is nothing to rank).

    Raises
    ------
    ValueError
        If a column is missing or empty.
    InsufficientData
        (A ``ValueError``.) If there are fewer than two groups, or a ``by``
        group lacks one of them; one line.

    Examples
    --------
    >>> counts = pd.DataFrame({"informant": "client", "dyad_type": list("aaabbbccc"),
    ...                        "n_themes": [1, 2, 3, 2, 3, 4, 4, 5, 6]})
    >>> table = compare_counts_across(counts)
    >>> table[["mean_a", "mean_b", "mean_c"]].iloc[0].tolist(), int(table["dof"].iloc[0])
    ([2.0, 3.0, 5.0], 2)
    >>> round(float(table["H"].iloc[0]), 3), round(float(table["p_value"].iloc[0]), 4)
    (5.63, 0.0599)
    """
    by = list(by)
    require_complete(counts, [*by, between, "n_themes"], "counts")
    groups = sorted(counts[between].unique()) if groups is None else list(groups)
    if len(groups) < 2:
        raise InsufficientData(f"counts: column {between} has one group only, {groups}")
    rows = []
    for key, part in counts.groupby(by, sort=True):
        where = dict(zip(by, key, strict=True))
        samples = [
            part.loc[part[between] == group, "n_themes"].to_numpy(dtype=float) for group in groups
        ]
        empty = [group for group, sample in zip(groups, samples, strict=True) if not len(sample)]
        if empty:
            raise InsufficientData(f"counts: group {where} has no {between} {empty[0]}")
        row = dict(where)
        for group, sample in zip(groups, samples, strict=True):
            row |= {f"n_{group}": len(sample), f"mean_{group}": sample.mean()}
        values = np.concatenate(samples)
        if np.ptp(values) == 0:
            statistic, p_value = np.nan, np.nan
        else:
            statistic, p_value = stats.kruskal(*samples)
        rows.append(
            row | {"H": float(statistic), "dof": len(groups) - 1, "p_value": float(p_value)}
        )
    return pd.DataFrame(rows)


def paired_highlights(paired: pd.DataFrame, counts: pd.DataFrame) -> dict[str, int | float]:
    """Collect the numbers the text quotes about the paired comparison.

    Parameters
    ----------
    paired : pandas.DataFrame
        :func:`paired_comparison` of ``counts``.
    counts : pandas.DataFrame
        :func:`themes_per_session` (``session_id``, ``informant``, ``n_themes``),
        both interviews of every session.

    Returns
    -------
    dict
        In this order: ``n_pairs``, ``n_tied``, ``n_client_more`` and
        ``n_therapist_more`` (sessions in which that informant described more
        themes), ``mean_difference``, ``wilcoxon_w``, ``wilcoxon_p``,
        ``wilcoxon_r`` (rank-biserial), ``ttest_t``, ``ttest_p`` and ``ttest_d``.

    Raises
    ------
    ValueError
        If ``paired`` lacks a column or a test, or a session lacks one interview.

    Examples
    --------
    >>> counts = pd.DataFrame({"session_id": ["S1", "S1", "S2", "S2", "S3", "S3"],
    ...                        "informant": ["client", "therapist"] * 3,
    ...                        "n_themes": [3, 1, 2, 2, 4, 2]})
    >>> values = paired_highlights(paired_comparison(counts), counts)
    >>> [values[k] for k in ("n_pairs", "n_tied", "n_client_more", "n_therapist_more")]
    [3, 1, 2, 0]
    """
    require_columns(
        paired,
        ["test", "n_pairs", "n_tied", "mean_difference", "statistic", "p_value", "effect_size"],
        "paired",
    )
    tests = paired.set_index("test")
    missing = {"wilcoxon", "paired t"} - set(tests.index)
    if missing:
        raise ValueError(f"paired: missing test(s) {sorted(missing)}")
    wide = _paired_wide(counts)
    wilcoxon, t_test = tests.loc["wilcoxon"], tests.loc["paired t"]
    return {
        "n_pairs": int(wilcoxon["n_pairs"]),
        "n_tied": int(wilcoxon["n_tied"]),
        "n_client_more": int((wide["client"] > wide["therapist"]).sum()),
        "n_therapist_more": int((wide["client"] < wide["therapist"]).sum()),
        "mean_difference": float(wilcoxon["mean_difference"]),
        "wilcoxon_w": float(wilcoxon["statistic"]),
        "wilcoxon_p": float(wilcoxon["p_value"]),
        "wilcoxon_r": float(wilcoxon["effect_size"]),
        "ttest_t": float(t_test["statistic"]),
        "ttest_p": float(t_test["p_value"]),
        "ttest_d": float(t_test["effect_size"]),
    }
