"""Concordant and discordant dyads: prevalence, exact tests, risk differences, congruence.

The study's comparison is between intakes in which an Ashkenazi therapist met an
Ashkenazi client (culturally *concordant* dyads) and intakes with a Mizrahi
client (*discordant* dyads). Each interview is coded present/absent for every
theme, so each comparison is between two proportions of sessions. The design is
small and qualitative: everything here is descriptive and exploratory, with
intervals that show how little a sample of this size can pin down.

All functions take tidy tables (``Study.consensus``, ``Study.dyads``, ...) and
return tidy :class:`pandas.DataFrame` objects, so they run unchanged on any
study folder in the compendium's schema.

Examples
--------
>>> import pandas as pd
>>> dyads = pd.DataFrame({"session_id": ["S1", "S2", "S3", "S4"],
...                       "dyad_type": ["concordant", "concordant", "discordant", "discordant"]})
>>> coded = pd.DataFrame({"session_id": ["S1", "S2", "S3", "S4"], "informant": "therapist",
...                       "theme": "anger", "present": [0, 0, 1, 1]})
>>> compare_dyad_types(coded, dyads)[["theme", "present_concordant", "present_discordant",
...                                   "risk_difference"]]
   theme  present_concordant  present_discordant  risk_difference
0  anger                   0                   2              1.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from alliance.data.codebook import VALENCES
from alliance.stats.checks import (
    InsufficientData,
    require_binary,
    require_columns,
    require_unique,
    require_values,
)
from alliance.study.reliability import _sort_rows, binary_agreement
from alliance.study.sampling import attach_dyads, group_labels
from alliance.study.thematic import CODED_COLUMNS, select_excerpts

__all__ = [
    "compare_dyad_types",
    "compare_groups",
    "comparison_groups",
    "facet_excerpts",
    "facet_indicators",
    "format_dyad_comparison",
    "informant_congruence",
]


def _coded_with_dyad_type(
    coded: pd.DataFrame,
    dyads: pd.DataFrame,
    by: Sequence[str],
    dyad_columns: Sequence[str] = (),
    groups: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Check 0/1 codes (one row per session and ``by`` group) and attach each dyad type.

    ``dyads`` needs ``session_id``, ``dyad_type`` and ``dyad_columns``; every
    session of ``coded`` must be one of its sessions. Returns the joined table
    and the groups (:func:`alliance.study.sampling.group_labels`).
    """
    require_columns(coded, ["session_id", *by, "present"], "coded")
    require_columns(dyads, ["session_id", *dyad_columns, "dyad_type"], "dyads")
    require_binary(coded, "present", "coded")
    if coded.empty:
        raise InsufficientData("coded has no rows, so there is nothing to compare")
    groups = group_labels(dyads["dyad_type"], groups)
    require_values(dyads, "dyad_type", groups, "dyads")
    joined = attach_dyads(coded, dyads, columns=["dyad_type"])
    require_unique(joined, ["session_id", *by], "coded")
    return joined, groups


def _two_groups(groups: Sequence[str], analysis: str) -> tuple[str, str]:
    """Return the two groups, or raise :class:`InsufficientData` saying the analysis needs two."""
    if len(groups) != 2:
        raise InsufficientData(
            f"{analysis} compares two groups, and this study has {len(groups)} "
            f"({', '.join(map(str, groups))})"
        )
    return groups[0], groups[1]


def _counts_by_dyad(
    coded: pd.DataFrame, dyads: pd.DataFrame, by: Sequence[str], groups: Sequence[str] | None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Count present codes and sessions per ``by`` group and dyad type (zero cells kept)."""
    joined, groups = _coded_with_dyad_type(coded, dyads, by, groups=groups)
    counts = joined.groupby([*by, "dyad_type"], sort=False)["present"].agg(
        n_present="sum", n_sessions="size"
    )
    codes = joined[list(by)].drop_duplicates()
    full = pd.MultiIndex.from_frame(codes.merge(pd.DataFrame({"dyad_type": groups}), how="cross"))
    counts = counts.reindex(full, fill_value=0).reset_index()
    return counts.astype({"n_present": int, "n_sessions": int}), groups


def _wide_counts(counts: pd.DataFrame, by: Sequence[str], groups: Sequence[str]) -> pd.DataFrame:
    """One row per code: ``present_<group>`` and ``n_<group>`` for each group, in order."""
    wide = counts.pivot(index=list(by), columns="dyad_type", values=["n_present", "n_sessions"])
    columns = {}
    for group in groups:
        columns[f"present_{group}"] = wide[("n_present", group)]
        columns[f"n_{group}"] = wide[("n_sessions", group)]
    return pd.DataFrame(columns).reset_index()


def _require_both_types(table: pd.DataFrame, by: Sequence[str], groups: Sequence[str]) -> None:
    """Raise :class:`InsufficientData` in one line when a code lacks a group."""
    for dyad_type in groups:
        empty = table[f"n_{dyad_type}"] == 0
        if empty.all():
            raise InsufficientData(
                f"no {dyad_type} session in the data, so the dyad types cannot be compared"
            )
        if empty.any():
            codes = ["/".join(map(str, row)) for row in table.loc[empty, list(by)].values]
            shown = ", ".join(codes[:3]) + (f" and {len(codes) - 3} more" if len(codes) > 3 else "")
            raise InsufficientData(
                f"no {dyad_type} session coded for {shown}, so those cannot be compared"
            )


def compare_dyad_types(
    coded: pd.DataFrame,
    dyads: pd.DataFrame,
    by: Sequence[str] = ("informant", "theme"),
    confidence: float = 0.95,
    groups: Sequence[str] | None = None,
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Compare each code's prevalence in discordant and concordant dyads (or any two groups).

    For each code the function reports the risk difference (discordant minus
    concordant: the second group minus the first) with Newcombe's hybrid
    score interval (Newcombe 1998, method 10;
    :func:`statsmodels.stats.proportion.confint_proportions_2indep` with
    ``method="newcomb"``), the two-sided Fisher exact test
    (:func:`scipy.stats.fisher_exact`) and Holm's step-down adjustment over all
    the codes in the table (Holm 1979; :func:`statsmodels.stats.multitest.multipletests`).
    The family of tests is therefore exactly the rows passed in.

    Parameters
    ----------
    coded : pandas.DataFrame
        One row per session and code, with ``session_id``, the ``by`` columns and
        ``present`` (0/1): ``Study.consensus`` or :func:`facet_indicators`.
    dyads : pandas.DataFrame
        ``Study.dyads`` (``session_id``, ``dyad_type``).
    by : sequence of str, default ("informant", "theme")
        Columns that identify a code.
    confidence : float, default 0.95
        Confidence level of the risk-difference interval (use 0.90 for an
        equivalence check with two one-sided 5% tests).
    groups : sequence of str, optional
        The two groups, reference first: ``study.design.grouping.labels``
        (default: :func:`alliance.study.sampling.group_labels` of ``dyads``,
        ``("concordant", "discordant")`` for the book's data).
    themes : sequence of str, optional
        Theme order of the rows, ``study.design.themes`` (default:
        :func:`alliance.study.thematic.theme_order` of ``coded``).

    Returns
    -------
    pandas.DataFrame
        One row per code: the ``by`` columns, ``present_<first>``,
        ``n_<first>``, ``present_<second>``, ``n_<second>`` (e.g.
        ``present_concordant``), ``prevalence_<first>``, ``prevalence_<second>``,
        ``risk_difference``, ``ci_low``, ``ci_high``, ``p_fisher`` and ``p_holm``,
        sorted by ``by`` (themes in codebook order).

    Raises
    ------
    ValueError
        If a column is missing, ``present`` is not 0/1, a session is not in
        ``dyads`` or in no group, or a session is coded twice for the same code.
    InsufficientData
        (A ``ValueError``.) If there are not exactly two groups (use
        :func:`compare_groups` for three or more), or a code has no session of
        one group; one line.

    Examples
    --------
    Therapists describing anger in 3 of 6 discordant and 0 of 5 concordant intakes:

    >>> dyads = pd.DataFrame({"session_id": [f"S{i}" for i in range(11)],
    ...                       "dyad_type": ["concordant"] * 5 + ["discordant"] * 6})
    >>> coded = dyads[["session_id"]].assign(informant="therapist", theme="anger",
    ...                                      present=[0] * 5 + [1, 1, 1, 0, 0, 0])
    >>> row = compare_dyad_types(coded, dyads).iloc[0]
    >>> round(float(row["risk_difference"]), 3), round(float(row["p_fisher"]), 3)
    (0.5, 0.182)
    """
    counts, groups = _counts_by_dyad(coded, dyads, by, groups)
    first, second = _two_groups(groups, "the comparison of prevalences")
    table = _wide_counts(counts, by, groups)
    _require_both_types(table, by, groups)
    x1, n1 = table[f"present_{second}"].to_numpy(), table[f"n_{second}"].to_numpy()
    x0, n0 = table[f"present_{first}"].to_numpy(), table[f"n_{first}"].to_numpy()
    table[f"prevalence_{first}"] = x0 / n0
    table[f"prevalence_{second}"] = x1 / n1
    table["risk_difference"] = x1 / n1 - x0 / n0
    low, high = confint_proportions_2indep(
        x1, n1, x0, n0, method="newcomb", compare="diff", alpha=1 - confidence
    )
    table["ci_low"], table["ci_high"] = low, high
    table["p_fisher"] = [
        stats.fisher_exact([[a, m - a], [b, k - b]]).pvalue
        for a, m, b, k in zip(x1, n1, x0, n0, strict=True)
    ]
    table["p_holm"] = multipletests(table["p_fisher"], method="holm")[1]
    return _sort_rows(table, by, themes=themes)


def compare_groups(
    coded: pd.DataFrame,
    dyads: pd.DataFrame,
    by: Sequence[str] = ("informant", "theme"),
    groups: Sequence[str] | None = None,
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Compare each code's prevalence across any number of groups (chi-square test).

    For two groups :func:`compare_dyad_types` gives a risk difference, its
    interval and Fisher's exact test; with three or more there is no single
    difference, and this function tests the 2 x k table of each code (present
    or absent x group) with Pearson's chi-square test of independence, without
    continuity correction (:func:`scipy.stats.chi2_contingency`). An exact
    test of a 2 x k table (Fisher-Freeman-Halton) is not in SciPy; the
    chi-square approximation is poor when expected counts are small, so
    ``min_expected`` is reported beside every test. A code whose prevalence
    does not vary (present in every session, or in none) gets chi-square 0 and
    p = 1, as Fisher's exact test would give. Holm's adjustment runs over all
    the codes in the table.

    Parameters
    ----------
    coded, dyads, by
        As in :func:`compare_dyad_types`.
    groups : sequence of str, optional
        The groups in display order: ``study.design.grouping.labels``
        (default: :func:`alliance.study.sampling.group_labels` of ``dyads``).
    themes : sequence of str, optional
        Theme order of the rows, ``study.design.themes``.

    Returns
    -------
    pandas.DataFrame
        One row per code: the ``by`` columns, ``present_<group>`` and
        ``n_<group>`` for each group, then ``prevalence_<group>`` for each
        group, ``chi2``, ``dof``, ``p_chi2``, ``min_expected`` and ``p_holm``.

    Raises
    ------
    ValueError
        As :func:`compare_dyad_types`.
    InsufficientData
        (A ``ValueError``.) If there are fewer than two groups, or a group has
        no session; one line.

    Examples
    --------
    >>> dyads = pd.DataFrame({"session_id": [f"S{i}" for i in range(9)],
    ...                       "dyad_type": ["A"] * 3 + ["B"] * 3 + ["C"] * 3})
    >>> coded = dyads[["session_id"]].assign(informant="client", theme="voice",
    ...                                      present=[1, 1, 1, 0, 0, 1, 0, 0, 0])
    >>> row = compare_groups(coded, dyads).iloc[0]
    >>> [round(float(row[f"prevalence_{g}"]), 3) for g in "ABC"], int(row["dof"])
    ([1.0, 0.333, 0.0], 2)
    >>> round(float(row["chi2"]), 3), round(float(row["p_chi2"]), 4)
    (6.3, 0.0429)
    """
    counts, groups = _counts_by_dyad(coded, dyads, by, groups)
    if len(groups) < 2:
        _two_groups(groups, "a comparison of groups")
    table = _wide_counts(counts, by, groups)
    _require_both_types(table, by, groups)
    present = table[[f"present_{g}" for g in groups]].to_numpy()
    sessions = table[[f"n_{g}" for g in groups]].to_numpy()
    for g in groups:
        table[f"prevalence_{g}"] = table[f"present_{g}"] / table[f"n_{g}"]
    tests = []
    for yes, n in zip(present, sessions, strict=True):
        observed = np.array([yes, n - yes])
        if observed.sum(axis=1).min() == 0:
            expected = observed.sum(axis=1).min()
            tests.append((0.0, len(groups) - 1, 1.0, float(expected)))
            continue
        result = stats.chi2_contingency(observed, correction=False)
        tests.append(
            (
                float(result.statistic),
                int(result.dof),
                float(result.pvalue),
                float(result.expected_freq.min()),
            )
        )
    table["chi2"], table["dof"], table["p_chi2"], table["min_expected"] = zip(*tests, strict=True)
    table["dof"] = table["dof"].astype(int)
    table["p_holm"] = multipletests(table["p_chi2"], method="holm")[1]
    return _sort_rows(table, by, themes=themes)


def comparison_groups(comparison: pd.DataFrame) -> tuple[str, ...]:
    """Return the groups of a comparison table, in its column order.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`compare_dyad_types` or :func:`compare_groups`: a
        ``prevalence_<group>`` column per group.

    Returns
    -------
    tuple of str

    Raises
    ------
    ValueError
        If the table has no ``prevalence_<group>`` column.

    Examples
    --------
    >>> comparison_groups(pd.DataFrame(columns=["theme", "prevalence_A", "prevalence_B"]))
    ('A', 'B')
    """
    groups = tuple(
        str(column).removeprefix("prevalence_")
        for column in comparison.columns
        if str(column).startswith("prevalence_")
    )
    if not groups:
        raise ValueError(
            f"comparison has no prevalence_<group> column; it has {list(comparison.columns)}"
        )
    return groups


def format_dyad_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """Add percentage text to a dyad comparison, for tables that readers scan.

    Parameters
    ----------
    comparison : pandas.DataFrame
        The output of :func:`compare_dyad_types`.

    Returns
    -------
    pandas.DataFrame
        ``comparison`` with one column per group named after it (``concordant``
        and ``discordant``: prevalences as whole percentages, groups found by
        :func:`comparison_groups`) and ``difference`` (the signed risk
        difference with its interval, e.g. ``"+12% (-8% to +31%)"``) added as text.

    Raises
    ------
    ValueError
        If ``comparison`` lacks a prevalence, the risk difference or its interval.

    Examples
    --------
    >>> comparison = pd.DataFrame({"theme": ["trust"], "prevalence_concordant": [0.5],
    ...     "prevalence_discordant": [0.62], "risk_difference": [0.12],
    ...     "ci_low": [-0.08], "ci_high": [0.314]})
    >>> format_dyad_comparison(comparison)[["concordant", "discordant", "difference"]]
      concordant discordant          difference
    0        50%        62%  +12% (-8% to +31%)
    """
    require_columns(comparison, ["risk_difference", "ci_low", "ci_high"], "comparison")
    groups = comparison_groups(comparison)
    shown = comparison.copy()
    for group in groups:  # a group may be named like an argument of assign ("self")
        shown[group] = comparison[f"prevalence_{group}"].map("{:.0%}".format)
    shown["difference"] = [
        f"{row.risk_difference:+.0%} ({row.ci_low:+.0%} to {row.ci_high:+.0%})"
        for row in comparison.itertuples()
    ]
    return shown


def facet_indicators(
    facets: pd.DataFrame,
    dyads: pd.DataFrame,
    definitions: pd.DataFrame,
    level: str = "group",
) -> pd.DataFrame:
    """Turn the facet codes into one present/absent row per session, facet and valence.

    ``facets.csv`` lists only the facets that were coded. Comparing how often
    they occur needs the absences too: every session is an opportunity for each
    facet of its informant, in each valence.

    Parameters
    ----------
    facets : pandas.DataFrame
        ``Study.facets`` (``session_id``, ``informant``, ``facet``, ``valence``).
    dyads : pandas.DataFrame
        ``Study.dyads``; every session in it gets a row for every facet.
    definitions : pandas.DataFrame
        The facets the codebook defines, as :func:`alliance.data.codebook.facet_table`
        returns them (``facet``, ``group``, ``informant``), so a facet nobody
        coded still counts, with zero sessions.
    level : {"group", "facet"}, default "group"
        ``"group"`` pools the facets of a group (e.g. any non-verbal cue read
        negatively); ``"facet"`` keeps each facet (e.g. eye contact).

    Returns
    -------
    pandas.DataFrame
        Columns ``session_id``, ``informant``, ``facet`` (group or facet id),
        ``valence`` and ``present`` (1 if at least one coded facet of that
        group or id had that valence in the session's interview).

    Raises
    ------
    ValueError
        If a column is missing, ``level`` is unknown, or a row of ``facets``
        names a facet the codebook does not define, the wrong informant, an
        unknown valence or a session missing from ``dyads``.
    InsufficientData
        (A ``ValueError``.) If the codebook defines no facets (they are optional).

    Examples
    --------
    >>> definitions = pd.DataFrame({"facet": ["nonverbal_tone"], "group": ["nonverbal"],
    ...                             "informant": ["client"]})
    >>> dyads = pd.DataFrame({"session_id": ["S1", "S2"],
    ...                       "dyad_type": ["concordant", "discordant"]})
    >>> facets = pd.DataFrame({"session_id": ["S2"], "informant": ["client"],
    ...                        "facet": ["nonverbal_tone"], "valence": ["negative"]})
    >>> facet_indicators(facets, dyads, definitions)
      session_id informant      facet   valence  present
    0         S1    client  nonverbal  positive        0
    1         S1    client  nonverbal  negative        0
    2         S2    client  nonverbal  positive        0
    3         S2    client  nonverbal  negative        1
    """
    if level not in ("group", "facet"):
        raise ValueError(f"level must be 'group' or 'facet'; got {level!r}")
    require_columns(facets, ["session_id", "informant", "facet", "valence"], "facets")
    require_columns(dyads, ["session_id"], "dyads")
    require_columns(definitions, ["facet", "group", "informant"], "definitions")
    if definitions.empty:
        raise InsufficientData("the codebook defines no facets")
    lookup = definitions.set_index("facet")
    known = facets["facet"].isin(lookup.index)
    if not known.all():
        row = (~known).idxmax()
        raise ValueError(
            f"facets: row {row} has facet={facets.loc[row, 'facet']!r}, which the codebook "
            f"does not define; defined facets are {sorted(lookup.index)}"
        )
    expected = lookup.loc[facets["facet"], "informant"].to_numpy()
    wrong = facets["informant"].to_numpy() != expected
    if wrong.any():
        row = facets.index[np.argmax(wrong)]
        raise ValueError(
            f"facets: row {row} codes facet {facets.loc[row, 'facet']!r} for informant "
            f"{facets.loc[row, 'informant']!r}; the codebook assigns it to "
            f"{expected[np.argmax(wrong)]!r}"
        )
    require_values(facets, "valence", VALENCES, "facets")
    attach_dyads(facets, dyads, columns=[])
    code_of = lookup["group"] if level == "group" else pd.Series(lookup.index, lookup.index)
    codes = (
        pd.DataFrame({"informant": lookup["informant"], "facet": code_of})
        .drop_duplicates()
        .merge(pd.DataFrame({"valence": VALENCES}), how="cross")
    )
    grid = pd.DataFrame({"session_id": dyads["session_id"]}).merge(codes, how="cross")
    observed = facets.assign(facet=code_of.reindex(facets["facet"]).to_numpy())[
        ["session_id", "informant", "facet", "valence"]
    ].drop_duplicates()
    grid = grid.merge(observed.assign(present=1), how="left", on=list(observed.columns))
    grid["present"] = grid["present"].fillna(0).astype(int)
    return grid


NO_INTERVAL = "no interval: a cell of the 2 x 2 table is empty"
"""Note of :func:`informant_congruence` where it leaves out the asymptotic interval."""


def informant_congruence(
    consensus: pd.DataFrame,
    dyads: pd.DataFrame | None = None,
    groups: Sequence[str] | None = None,
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Tell, theme by theme, whether client and therapist describe the same intake alike.

    Within each session both informants were interviewed, so each theme gives a
    2 x 2 table of (client present?, therapist present?) over sessions. The
    function reports its four cells, the share of sessions in which the two
    accounts agree, and Cohen's kappa between the two informants with its
    asymptotic 95% interval (:func:`alliance.study.reliability.binary_agreement`),
    which corrects that share for the agreement expected from how often each
    informant uses the theme.

    Parameters
    ----------
    consensus : pandas.DataFrame
        ``Study.consensus`` (``session_id``, ``informant``, ``theme``, ``present``);
        every session needs both a client and a therapist row per theme.
    dyads : pandas.DataFrame, optional
        ``Study.dyads``. When given, the table is computed separately for each
        dyad type (and a ``dyad_type`` column is added).
    groups : sequence of str, optional
        Order of the dyad types, ``study.design.grouping.labels``.
    themes : sequence of str, optional
        Theme order of the rows, ``study.design.themes``.

    Returns
    -------
    pandas.DataFrame
        One row per theme (and dyad type): ``n_sessions``, ``both``,
        ``client_only``, ``therapist_only``, ``neither``, ``agreement``,
        ``kappa``, ``ci_low``, ``ci_high`` and ``ci_note``. Kappa is NaN when it is
        undefined because neither informant varies (every session coded alike), which
        the ``agreement`` column then shows as perfect: the prevalence paradox. The
        asymptotic interval is left out (NaN, with a ``ci_note``) when a cell of the
        2 x 2 table is empty: its standard error then rests on a boundary and the
        interval would look more certain than the data allow.

    Raises
    ------
    ValueError
        If a column is missing, ``present`` is not 0/1, or a session lacks the
        client's or the therapist's code for a theme.
    InsufficientData
        (A ``ValueError``.) If the study interviewed only clients or only
        therapists; one line.

    Examples
    --------
    >>> consensus = pd.DataFrame({
    ...     "session_id": ["S1", "S1", "S2", "S2", "S3", "S3"],
    ...     "informant": ["client", "therapist"] * 3, "theme": "trust",
    ...     "present": [1, 1, 0, 1, 0, 0]})
    >>> table = informant_congruence(consensus).round(2)
    >>> print(table.drop(columns=["ci_low", "ci_high", "ci_note"]).to_string())
       theme  n_sessions  both  client_only  therapist_only  neither  agreement  kappa
    0  trust           3     1            0               1        1       0.67    0.4
    >>> table.loc[0, "ci_note"]
    'no interval: a cell of the 2 x 2 table is empty'
    """
    require_columns(consensus, CODED_COLUMNS, "consensus")
    require_binary(consensus, "present", "consensus")
    keys = ["session_id", "theme"]
    if dyads is not None:
        consensus = attach_dyads(consensus, dyads, columns=["dyad_type"])
        keys.append("dyad_type")
    wide = consensus.pivot_table(index=keys, columns="informant", values="present", aggfunc="first")
    for informant in ("client", "therapist"):
        if informant not in wide.columns:
            raise InsufficientData(
                f"the coding has no {informant} interviews, and congruence compares the "
                "client's and the therapist's account of each session"
            )
    missing = wide[["client", "therapist"]].isna().any(axis=1)
    if missing.any():
        where = wide.index[missing][:5].tolist()
        raise ValueError(
            f"consensus: {int(missing.sum())} session x theme unit(s) lack a client or a "
            f"therapist code, e.g. {where}"
        )
    levels = [key for key in keys if key != "session_id"]
    rows = []
    for group, table in wide.groupby(level=levels, sort=False):
        client = table["client"].to_numpy(dtype=int)
        therapist = table["therapist"].to_numpy(dtype=int)
        long = consensus.merge(table.index.to_frame(index=False), on=keys)
        kappa = binary_agreement(long, "session_id", raters="informant", methods="cohen_kappa")
        rows.append(
            dict(zip(levels, group if isinstance(group, tuple) else (group,), strict=True))
            | {
                "n_sessions": len(client),
                "both": int(np.sum((client == 1) & (therapist == 1))),
                "client_only": int(np.sum((client == 1) & (therapist == 0))),
                "therapist_only": int(np.sum((client == 0) & (therapist == 1))),
                "neither": int(np.sum((client == 0) & (therapist == 0))),
                "agreement": float(np.mean(client == therapist)),
            }
            | kappa.iloc[0][["estimate", "ci_low", "ci_high"]]
            .rename({"estimate": "kappa"})
            .to_dict()
        )
    table = pd.DataFrame(rows)
    empty_cell = table[["both", "client_only", "therapist_only", "neither"]].min(axis=1) == 0
    table.loc[empty_cell, ["ci_low", "ci_high"]] = np.nan
    table["ci_note"] = np.where(empty_cell, NO_INTERVAL, "")
    return _sort_rows(table, levels, themes=themes, groups=groups)


def facet_excerpts(
    excerpts: pd.DataFrame,
    facets: pd.DataFrame,
    definitions: pd.DataFrame,
    dyads: pd.DataFrame,
    group: str,
    valence: str,
    per_dyad_type: int = 2,
) -> pd.DataFrame:
    """Pick excerpts that illustrate one facet group in one valence, per dyad type.

    Parameters
    ----------
    excerpts : pandas.DataFrame
        ``Study.excerpts``.
    facets : pandas.DataFrame
        ``Study.facets``, which carries each coded facet's valence.
    definitions : pandas.DataFrame
        :func:`alliance.data.codebook.facet_table` (``facet``, ``group``).
    dyads : pandas.DataFrame
        ``Study.dyads``.
    group : str
        Facet group (e.g. ``"nonverbal"``) or a single facet id.
    valence : {"positive", "negative"}
        Valence of the coded facet.
    per_dyad_type : int, default 2
        Excerpts per dyad type, chosen deterministically by
        :func:`alliance.study.thematic.select_excerpts` (different sessions first).

    Returns
    -------
    pandas.DataFrame
        Columns ``excerpt_id``, ``session_id``, ``dyad_type``, ``informant``,
        ``facet``, ``valence``, ``theme`` and ``text``, plus ``fictional`` when
        ``excerpts`` has it (the file's own mark travels with the text); sorted by
        dyad type, then ``excerpt_id``. Empty when nothing matches.

    Examples
    --------
    >>> definitions = pd.DataFrame({"facet": ["nonverbal_tone"], "group": ["nonverbal"]})
    >>> dyads = pd.DataFrame({"session_id": ["S1"], "dyad_type": ["discordant"]})
    >>> facets = pd.DataFrame({"session_id": ["S1"], "informant": ["client"],
    ...                        "facet": ["nonverbal_tone"], "valence": ["negative"]})
    >>> excerpts = pd.DataFrame({"excerpt_id": ["E1"], "session_id": ["S1"],
    ...                          "informant": ["client"], "theme": ["anger"],
    ...                          "facet": ["nonverbal_tone"], "text": ["The tone was dry."]})
    >>> chosen = facet_excerpts(excerpts, facets, definitions, dyads, "nonverbal", "negative")
    >>> chosen["text"].tolist()
    ['The tone was dry.']
    """
    require_columns(facets, ["session_id", "informant", "facet", "valence"], "facets")
    require_columns(definitions, ["facet", "group"], "definitions")
    keys = ["session_id", "informant", "facet"]
    coded = facets[[*keys, "valence"]].merge(definitions[["facet", "group"]], on="facet")
    chosen = coded[((coded["group"] == group) | (coded["facet"] == group))]
    chosen = chosen[chosen["valence"] == valence]
    with_text = excerpts.merge(chosen[[*keys, "valence"]], on=keys)
    columns = ["excerpt_id", "session_id", "dyad_type", "informant", "facet", "valence", "theme"]
    columns += ["text", *(["fictional"] if "fictional" in excerpts.columns else [])]
    if with_text.empty:
        return pd.DataFrame(columns=columns)
    with_text = attach_dyads(with_text, dyads, columns=["dyad_type"])
    picked = select_excerpts(with_text, per_group=per_dyad_type, by=["dyad_type"])
    return picked[columns]
