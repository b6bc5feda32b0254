"""Robustness of the dyad comparison: clients nested in therapists, and what the sample can see.

Clients are nested within therapists: a therapist who rarely describes a theme
does so with concordant and discordant clients alike, and sessions of the same
therapist are not independent. Three analyses respect that structure:

* :func:`cmh_by_therapist`: Cochran-Mantel-Haenszel test and Mantel-Haenszel
  common odds ratio, stratified by therapist (Mantel & Haenszel 1959);
* :func:`gee_by_therapist`: a generalised estimating equation (Liang & Zeger
  1986) for the risk difference, with an exchangeable working correlation
  within therapist and a cluster-robust (small-sample corrected) covariance;
* :func:`permutation_within_therapist`: a permutation test that shuffles the
  dyad labels only among each therapist's own sessions.

Two helpers then say what the sample could and could not detect:
:func:`detectable_differences` (per code, from :mod:`alliance.stats.planning`) and
:func:`simulated_power_curve`; :func:`equivalence_check` spells out what
"similar themes" can mean.

Examples
--------
>>> import pandas as pd
>>> dyads = pd.DataFrame({"session_id": ["S1", "S2", "S3", "S4"],
...                       "therapist_id": ["T1", "T1", "T2", "T2"],
...                       "dyad_type": ["concordant", "discordant"] * 2})
>>> coded = dyads[["session_id"]].assign(informant="therapist", theme="trust",
...                                      present=[1, 0, 1, 0])
>>> permutation_within_therapist(coded, dyads, n_perm=999, seed=1)[
...     ["theme", "risk_difference", "n_informative_therapists"]]
   theme  risk_difference  n_informative_therapists
0  trust             -1.0                         2
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    IterationLimitWarning,
    PerfectSeparationWarning,
)

from alliance.stats.checks import InsufficientData, require_columns
from alliance.stats.planning import (
    exact_minimum_detectable_difference,
    minimum_detectable_difference,
    prevalence_power,
    simulate_prevalence_power,
)
from alliance.study.dyads import _coded_with_dyad_type, _two_groups, comparison_groups
from alliance.study.reliability import _sort_rows
from alliance.study.sampling import DYAD_TYPES

__all__ = [
    "cmh_by_therapist",
    "detectable_differences",
    "equivalence_check",
    "gee_by_therapist",
    "permutation_within_therapist",
    "power_curves_by_icc",
    "robustness_highlights",
    "robustness_summary",
    "simulated_power_curve",
    "smallest_powered_difference",
]


@dataclass(frozen=True)
class _Design:
    """Sessions x codes outcomes with each session's dyad type and therapist."""

    codes: pd.DataFrame  # one row per code: the ``by`` columns
    outcomes: np.ndarray  # sessions x codes, 0/1
    discordant: np.ndarray  # sessions, bool: in the second group (discordant dyads)
    therapist: np.ndarray  # sessions, therapist id


def _design(
    coded: pd.DataFrame,
    dyads: pd.DataFrame,
    by: Sequence[str],
    groups: Sequence[str] | None = None,
    themes: Sequence[str] | None = None,
    analysis: str = "a therapist-aware comparison",
) -> _Design:
    """Reshape tidy codes into a complete sessions x codes matrix, checking everything.

    The second of the two groups plays the part of discordant dyads.
    """
    by = list(by)
    _, groups = _coded_with_dyad_type(
        coded, dyads, by, dyad_columns=["therapist_id"], groups=groups
    )
    second = _two_groups(groups, analysis)[1]
    codes = _sort_rows(coded[by].drop_duplicates(), by, themes=themes)
    wide = coded.pivot(index="session_id", columns=by, values="present")
    wide = wide.reindex(columns=pd.MultiIndex.from_frame(codes) if len(by) > 1 else codes[by[0]])
    wide = wide.reindex(index=dyads["session_id"])
    gaps = wide.isna()
    if gaps.to_numpy().any():
        session = gaps.index[gaps.any(axis=1).to_numpy()][0]
        raise ValueError(
            f"coded lacks {int(gaps.to_numpy().sum())} session x code row(s) (every session of "
            f"dyads needs every code), e.g. session {session!r}"
        )
    return _Design(
        codes=codes,
        outcomes=wide.to_numpy(dtype=float),
        discordant=(dyads["dyad_type"].astype(str) == second).to_numpy(),
        therapist=dyads["therapist_id"].to_numpy(),
    )


def _mixed_therapists(design: _Design) -> np.ndarray:
    """Return the therapists who saw at least one client of each dyad type."""
    frame = pd.DataFrame({"therapist": design.therapist, "discordant": design.discordant})
    mixed = frame.groupby("therapist")["discordant"].nunique() == 2
    return mixed.index[mixed.to_numpy()].to_numpy()


def cmh_by_therapist(
    coded: pd.DataFrame,
    dyads: pd.DataFrame,
    by: Sequence[str] = ("informant", "theme"),
    correction: bool = False,
    groups: Sequence[str] | None = None,
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Cochran-Mantel-Haenszel test of each code against dyad type, stratified by therapist.

    Each therapist is a stratum with a 2 x 2 table (discordant/concordant x
    present/absent). Only therapists who saw clients of both dyad types carry
    information: for the others one row of their table is empty, and they add
    exactly zero to the Mantel-Haenszel sums, so they are left out and counted.

    Parameters
    ----------
    coded : pandas.DataFrame
        One row per session and code: ``session_id``, the ``by`` columns,
        ``present`` (0/1); e.g. ``Study.consensus``. Complete: every session of
        ``dyads`` has every code.
    dyads : pandas.DataFrame
        ``Study.dyads`` (``session_id``, ``therapist_id``, ``dyad_type``).
    by : sequence of str, default ("informant", "theme")
        Columns that identify a code.
    correction : bool, default False
        Continuity correction of the CMH statistic (R's ``mantelhaen.test``
        default is ``True``).
    groups : sequence of str, optional
        The two groups, reference first (``study.design.grouping.labels``;
        default :func:`alliance.study.sampling.group_labels` of ``dyads``): the
        second plays the part of discordant dyads.
    themes : sequence of str, optional
        Theme order of the rows, ``study.design.themes``.

    Returns
    -------
    pandas.DataFrame
        One row per code: the ``by`` columns, ``n_strata`` (therapists with both
        dyad types), ``n_sessions`` (their sessions), ``mh_odds_ratio`` (odds of
        the code in discordant relative to concordant dyads), ``ci_low`` and
        ``ci_high`` (Robins-Breslow-Greenland, 95%), ``cmh_statistic`` and
        ``p_value`` (1 df). Odds ratios are 0 or infinite when every informative
        present code is in one dyad type, and NaN when no informative therapist
        has the code; the test is NaN when the code never varies.

    Raises
    ------
    ValueError
        On missing columns, codes other than 0/1, unknown sessions or dyad
        types, duplicated or missing session x code rows.
    InsufficientData
        (A ``ValueError``.) When the study does not have exactly two groups, or
        no therapist saw both; one line.

    Examples
    --------
    The penicillin-and-rabbits data (Agresti 1990), one stratum per dose:

    >>> cured = {"discordant": [0, 3, 6, 5, 2], "concordant": [0, 0, 2, 6, 5]}
    >>> n = {"discordant": [6, 6, 6, 6, 2], "concordant": [5, 6, 6, 6, 5]}
    >>> rows = [(f"T{k}", t, int(i < cured[t][k])) for k in range(5) for t in cured
    ...         for i in range(n[t][k])]
    >>> dyads = pd.DataFrame(rows, columns=["therapist_id", "dyad_type", "present"])
    >>> dyads["session_id"] = [f"S{i:02d}" for i in range(len(dyads))]
    >>> coded = dyads.assign(informant="client", theme="trust")
    >>> result = cmh_by_therapist(coded, dyads, correction=True).iloc[0]
    >>> round(float(result["mh_odds_ratio"]), 4), round(float(result["p_value"]), 3)
    (7.0, 0.047)
    """
    design = _design(coded, dyads, by, groups, themes, "the stratified (CMH) test")
    mixed = np.isin(design.therapist, _mixed_therapists(design))
    if not mixed.any():
        raise InsufficientData(
            "no therapist saw clients of both dyad types; a within-therapist comparison "
            "is impossible"
        )
    therapists = design.therapist[mixed]
    strata = [therapists == t for t in np.unique(therapists)]
    discordant = design.discordant[mixed]
    rows = []
    for j in range(design.outcomes.shape[1]):
        y = design.outcomes[mixed, j]
        tables = [
            np.array(
                [
                    [np.sum(y[s & discordant]), np.sum(1 - y[s & discordant])],
                    [np.sum(y[s & ~discordant]), np.sum(1 - y[s & ~discordant])],
                ]
            )
            for s in strata
        ]
        table = StratifiedTable(tables)
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = table.oddsratio_pooled_confint()
            test = table.test_null_odds(correction=correction)
            odds_ratio = table.oddsratio_pooled
        rows.append(
            {
                "n_strata": len(strata),
                "n_sessions": int(mixed.sum()),
                "mh_odds_ratio": float(odds_ratio),
                "ci_low": float(low),
                "ci_high": float(high),
                "cmh_statistic": float(test.statistic),
                "p_value": float(test.pvalue),
            }
        )
    return pd.concat([design.codes.reset_index(drop=True), pd.DataFrame(rows)], axis=1)


def gee_by_therapist(
    coded: pd.DataFrame,
    dyads: pd.DataFrame,
    by: Sequence[str] = ("informant", "theme"),
    cov_struct: str = "exchangeable",
    cov_type: str = "bias_reduced",
    confidence: float = 0.95,
    groups: Sequence[str] | None = None,
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Risk difference between dyad types from a GEE clustered by therapist.

    For each code the linear probability model ``present ~ 1 + discordant`` is
    fitted by generalised estimating equations with sessions grouped by
    therapist (:class:`statsmodels.genmod.generalized_estimating_equations.GEE`,
    Gaussian family, identity link). The slope is the risk difference
    (discordant minus concordant), on the same scale as
    :func:`alliance.study.dyads.compare_dyad_types`; an identity link also stays
    estimable for a theme that one dyad type never mentions, where a logit
    model would diverge. The covariance is cluster-robust, by default with
    Mancl & DeRouen's (2001) bias correction for few clusters.

    Parameters
    ----------
    coded, dyads, by, groups, themes
        As in :func:`cmh_by_therapist`.
    cov_struct : {"exchangeable", "independence"}, default "exchangeable"
        Working correlation of sessions within a therapist.
    cov_type : {"bias_reduced", "robust", "naive"}, default "bias_reduced"
        Covariance of the estimates (statsmodels ``GEE.fit``).
    confidence : float, default 0.95
        Confidence level of the Wald interval.

    Returns
    -------
    pandas.DataFrame
        One row per code: the ``by`` columns, ``risk_difference``, ``se``,
        ``ci_low``, ``ci_high``, ``p_value`` (Wald z), ``within_therapist_corr``
        (the estimated exchangeable correlation; 0 for independence),
        ``n_clusters`` and ``note``. A code that never varies gets a risk
        difference of 0 and NaN for the rest; a fit that does not converge, or
        whose design is singular (small studies), gets NaN throughout, and one
        without a usable standard error NaN but for the estimate, with a
        ``note`` saying so; a fit that stopped at statsmodels' iteration limit
        keeps its estimates, and its ``note`` says so.

    Raises
    ------
    ValueError
        As :func:`cmh_by_therapist`, or for an unknown ``cov_struct``.

    Examples
    --------
    With independence and one session per therapist, the estimate is the plain
    difference in proportions:

    >>> dyads = pd.DataFrame({"session_id": ["S1", "S2", "S3", "S4"],
    ...                       "therapist_id": ["T1", "T2", "T3", "T4"],
    ...                       "dyad_type": ["concordant"] * 2 + ["discordant"] * 2})
    >>> coded = dyads[["session_id"]].assign(informant="client", theme="trust",
    ...                                      present=[1, 1, 1, 0])
    >>> gee_by_therapist(coded, dyads, cov_struct="independence")["risk_difference"].round(2)
    0   -0.5
    Name: risk_difference, dtype: float64
    """
    structures = {
        "exchangeable": sm.cov_struct.Exchangeable,
        "independence": sm.cov_struct.Independence,
    }
    if cov_struct not in structures:
        raise ValueError(f"cov_struct must be one of {sorted(structures)}; got {cov_struct!r}")
    design = _design(coded, dyads, by, groups, themes, "the GEE by therapist")
    exog = np.column_stack([np.ones(len(design.discordant)), design.discordant.astype(float)])
    clusters = pd.factorize(design.therapist)[0]
    z = stats.norm.isf((1 - confidence) / 2)
    rows = []
    for j in range(design.outcomes.shape[1]):
        y = design.outcomes[:, j]
        row = {"n_clusters": int(clusters.max() + 1), "note": ""}
        if np.ptp(y) == 0:
            rows.append(row | {"risk_difference": 0.0})
            continue
        model = sm.GEE(
            y,
            exog,
            groups=clusters,
            family=sm.families.Gaussian(),
            cov_struct=structures[cov_struct](),
        )
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("error", ConvergenceWarning)
                # a negative or zero variance (few clusters, or a linear model that fits
                # every session exactly) is reported below, not warned
                warnings.simplefilter("ignore", RuntimeWarning)
                warnings.simplefilter("ignore", PerfectSeparationWarning)
                warnings.simplefilter("always", IterationLimitWarning)
                fit = model.fit(cov_type=cov_type)
                estimate, se = float(fit.params[1]), float(fit.bse[1])
        except (ConvergenceWarning, np.linalg.LinAlgError) as problem:
            reason = "did not converge" if isinstance(problem, ConvergenceWarning) else "singular"
            rows.append(row | {"note": f"no estimate: the GEE fit is {reason}"})
            continue
        if not (np.isfinite(se) and se > 0):
            rows.append(
                row | {"risk_difference": estimate, "note": "no standard error: too few clusters"}
            )
            continue
        for warning in caught:
            if issubclass(warning.category, IterationLimitWarning):
                row["note"] = "the GEE reached its iteration limit before converging"
            else:
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
        dep = model.cov_struct.dep_params if cov_struct == "exchangeable" else 0.0
        rows.append(
            row
            | {
                "risk_difference": estimate,
                "se": se,
                "ci_low": estimate - z * se,
                "ci_high": estimate + z * se,
                "p_value": float(2 * stats.norm.sf(abs(estimate / se))),
                "within_therapist_corr": float(dep),
            }
        )
    columns = [
        "risk_difference",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "within_therapist_corr",
        "n_clusters",
        "note",
    ]
    table = pd.DataFrame(rows).reindex(columns=columns)
    return pd.concat([design.codes.reset_index(drop=True), table], axis=1)


def _within_stratum_permutations(
    stratum: np.ndarray, n_perm: int, rng: np.random.Generator
) -> np.ndarray:
    """Return ``n_perm`` x n index arrays that permute positions only within strata.

    ``stratum`` must be sorted (non-decreasing integers). Adding a uniform draw
    in [0, 1) to the integer stratum codes and arg-sorting each row keeps every
    position inside its stratum's block and orders the block at random.
    """
    keys = stratum[None, :] + rng.random((n_perm, len(stratum)))
    return np.argsort(keys, axis=1, kind="stable")


def permutation_within_therapist(
    coded: pd.DataFrame,
    dyads: pd.DataFrame,
    by: Sequence[str] = ("informant", "theme"),
    n_perm: int = 10_000,
    seed: int = 0,
    groups: Sequence[str] | None = None,
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Permutation test of the risk difference that shuffles dyad labels within therapist.

    Under the null hypothesis that dyad type does not change how often a code
    is used, any rearrangement of a therapist's own clients' dyad labels is as
    likely as the observed one. Shuffling only within therapist keeps each
    therapist's caseload (and style) fixed, so therapist differences cannot
    masquerade as dyad differences. All codes share the same permutations, and
    the whole computation is a pair of matrix products (no Python loop over
    permutations).

    Parameters
    ----------
    coded, dyads, by, groups, themes
        As in :func:`cmh_by_therapist`.
    n_perm : int, default 10000
        Random permutations; the p-value's resolution is ``1 / (n_perm + 1)``.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    pandas.DataFrame
        One row per code: the ``by`` columns, ``risk_difference`` (observed,
        discordant minus concordant), ``p_value`` (two-sided, ``(1 + #{|T*| >=
        |T|}) / (n_perm + 1)``), ``n_perm`` and ``n_informative_therapists``
        (those whose clients include both dyad types; the others' labels cannot
        move).

    Raises
    ------
    ValueError
        As :func:`cmh_by_therapist`, or if ``n_perm < 1``.

    Examples
    --------
    >>> dyads = pd.DataFrame({"session_id": ["S1", "S2", "S3", "S4"],
    ...                       "therapist_id": ["T1", "T1", "T2", "T2"],
    ...                       "dyad_type": ["concordant", "discordant"] * 2})
    >>> coded = dyads[["session_id"]].assign(informant="client", theme="trust",
    ...                                      present=[1, 0, 1, 0])
    >>> permutation_within_therapist(coded, dyads, n_perm=999, seed=1)["p_value"].round(2)
    0    0.5
    Name: p_value, dtype: float64
    """
    if int(n_perm) != n_perm or n_perm < 1:
        raise ValueError(f"n_perm must be a positive whole number; got {n_perm!r}")
    design = _design(coded, dyads, by, groups, themes, "the within-therapist permutation test")
    order = np.argsort(design.therapist, kind="stable")
    stratum = pd.factorize(design.therapist[order], sort=True)[0]
    y = design.outcomes[order]
    labels = design.discordant[order].astype(float)
    n1 = labels.sum()
    n0 = len(labels) - n1
    if n1 == 0 or n0 == 0:
        raise InsufficientData("every session has the same dyad type; there is nothing to compare")

    def risk_difference(label_rows: np.ndarray) -> np.ndarray:
        return label_rows @ y / n1 - (1.0 - label_rows) @ y / n0

    observed = risk_difference(labels[None, :])[0]
    index = _within_stratum_permutations(stratum, int(n_perm), np.random.default_rng(seed))
    permuted = risk_difference(labels[index])
    tolerance = 1e-12
    extreme = (np.abs(permuted) >= np.abs(observed) - tolerance).sum(axis=0)
    table = pd.DataFrame(
        {
            "risk_difference": observed,
            "p_value": (1 + extreme) / (n_perm + 1),
            "n_perm": int(n_perm),
            "n_informative_therapists": len(_mixed_therapists(design)),
        }
    )
    return pd.concat([design.codes.reset_index(drop=True), table], axis=1)


def robustness_summary(
    comparison: pd.DataFrame,
    gee: pd.DataFrame,
    cmh: pd.DataFrame,
    permutation: pd.DataFrame,
    by: Sequence[str] = ("informant", "theme"),
) -> pd.DataFrame:
    """Put the unadjusted comparison and the three therapist-aware analyses side by side.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`alliance.study.dyads.compare_dyad_types` (``risk_difference``, ``p_fisher``).
    gee : pandas.DataFrame
        :func:`gee_by_therapist` (``risk_difference``, ``ci_low``, ``ci_high``, ``p_value``).
    cmh : pandas.DataFrame
        :func:`cmh_by_therapist` (``mh_odds_ratio``, ``p_value``).
    permutation : pandas.DataFrame
        :func:`permutation_within_therapist` (``p_value``).
    by : sequence of str, default ("informant", "theme")
        The columns identifying a code, present in all four tables.

    Returns
    -------
    pandas.DataFrame
        One row per code in the order of ``comparison`` (codes missing from any
        table are left out): the ``by`` columns, ``risk_difference``,
        ``p_fisher``, ``gee_rd``, ``gee_low``, ``gee_high``, ``p_gee``,
        ``mh_odds_ratio``, ``p_cmh`` and ``p_permutation``.

    Raises
    ------
    ValueError
        If one of the four tables lacks a column listed above; the message names it.

    Examples
    --------
    >>> code = {"theme": ["trust"]}
    >>> table = robustness_summary(
    ...     pd.DataFrame({**code, "risk_difference": [0.2], "p_fisher": [0.1]}),
    ...     pd.DataFrame({**code, "risk_difference": [0.18], "ci_low": [-0.02],
    ...                   "ci_high": [0.38], "p_value": [0.08]}),
    ...     pd.DataFrame({**code, "mh_odds_ratio": [2.1], "p_value": [0.12]}),
    ...     pd.DataFrame({**code, "p_value": [0.15]}), by=["theme"])
    >>> table.drop(columns="theme").iloc[0].to_numpy().tolist()
    [0.2, 0.1, 0.18, -0.02, 0.38, 0.08, 2.1, 0.12, 0.15]
    >>> list(table.columns[-4:])
    ['p_gee', 'mh_odds_ratio', 'p_cmh', 'p_permutation']
    """
    keys = list(by)
    require_columns(comparison, [*keys, "risk_difference", "p_fisher"], "comparison")
    require_columns(gee, [*keys, "risk_difference", "ci_low", "ci_high", "p_value"], "gee")
    require_columns(cmh, [*keys, "mh_odds_ratio", "p_value"], "cmh")
    require_columns(permutation, [*keys, "p_value"], "permutation")
    gee = gee[[*keys, "risk_difference", "ci_low", "ci_high", "p_value"]].rename(
        columns={
            "risk_difference": "gee_rd",
            "ci_low": "gee_low",
            "ci_high": "gee_high",
            "p_value": "p_gee",
        }
    )
    return (
        comparison[[*keys, "risk_difference", "p_fisher"]]
        .merge(gee, on=keys)
        .merge(
            cmh[[*keys, "mh_odds_ratio", "p_value"]].rename(columns={"p_value": "p_cmh"}), on=keys
        )
        .merge(
            permutation[[*keys, "p_value"]].rename(columns={"p_value": "p_permutation"}), on=keys
        )
    )


def detectable_differences(
    comparison: pd.DataFrame,
    by: Sequence[str] = ("informant", "theme"),
    power: float = 0.8,
    alpha: float = 0.05,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    test: str = "normal",
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Smallest prevalence differences the study could detect, code by code.

    For each code, the concordant prevalence is taken as the baseline and
    :func:`alliance.stats.planning.minimum_detectable_difference` gives the smallest
    drop and the smallest rise in the discordant prevalence that a two-sided
    test at level ``alpha`` would detect with the given power at the observed
    group sizes (clustering by therapist entering as a design effect).

    Parameters
    ----------
    comparison : pandas.DataFrame
        The output of :func:`alliance.study.dyads.compare_dyad_types`.
    by : sequence of str, default ("informant", "theme")
        The code columns of ``comparison``.
    power, alpha : float
        Required power and two-sided level.
    cluster_size, icc : float
        Mean sessions per therapist and intra-class correlation, as in
        :func:`alliance.stats.planning.design_effect`.
    test : {"normal", "fisher"}, default "normal"
        ``"normal"``: the arcsine normal approximation, which allows clustering.
        ``"fisher"``: Fisher's exact test, the test the dyad comparison uses
        (:func:`alliance.stats.planning.exact_minimum_detectable_difference`);
        it treats sessions as independent, so ``icc`` must be 0. Use it for
        small groups and prevalences near 0 or 1, where the approximation is
        too optimistic.
    groups : sequence of str, optional
        The two groups, reference first (default: ``("concordant",
        "discordant")`` when ``comparison`` has ``n_concordant`` and
        ``n_discordant``, else :func:`alliance.study.dyads.comparison_groups`).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``prevalence_<first group>`` (``prevalence_concordant``;
        groups found by :func:`alliance.study.dyads.comparison_groups`),
        ``risk_difference`` (observed, for reference), ``mdd_lower`` and
        ``mdd_higher`` (negative and positive differences; NaN when no
        difference in that direction reaches the power, not even a prevalence
        of 0 or 1: the search has no solution, as in a small study). These
        describe the design, not the result: an observed difference smaller
        than the detectable one is not evidence that there is no difference.

    Examples
    --------
    >>> comparison = pd.DataFrame({"theme": ["trust"], "prevalence_concordant": [0.5],
    ...                            "risk_difference": [-0.1], "n_concordant": [26],
    ...                            "n_discordant": [29]})
    >>> table = detectable_differences(comparison, by=["theme"]).round(3)
    >>> print(table.to_string())
       theme  prevalence_concordant  risk_difference  mdd_lower  mdd_higher
    0  trust                    0.5             -0.1     -0.343       0.343
    >>> exact = detectable_differences(comparison, by=["theme"], test="fisher").round(3)
    >>> print(exact[["mdd_lower", "mdd_higher"]].to_string())
       mdd_lower  mdd_higher
    0     -0.362       0.362
    """
    if groups is None:
        v1 = {f"n_{group}" for group in DYAD_TYPES} <= set(comparison.columns)
        groups = DYAD_TYPES if v1 else comparison_groups(comparison)
    first, second = _two_groups(groups, "a detectable difference")
    reference = f"prevalence_{first}"
    columns = [*by, reference, "risk_difference", f"n_{first}", f"n_{second}"]
    require_columns(comparison, columns, "comparison")
    if test not in ("normal", "fisher"):
        raise ValueError(f"test must be 'normal' or 'fisher'; got {test!r}")
    if test == "fisher" and icc != 0:
        raise ValueError("test='fisher' treats sessions as independent; use icc=0")
    options = {"power": power, "alpha": alpha}
    if test == "normal":
        options |= {"cluster_size": cluster_size, "icc": icc}
    detect = {
        "normal": minimum_detectable_difference,
        "fisher": exact_minimum_detectable_difference,
    }[test]
    rows = []
    for baseline, n1, n2 in comparison[[reference, f"n_{first}", f"n_{second}"]].to_numpy():
        limits = {}
        for direction in ("lower", "higher"):
            try:
                limits[direction] = detect(baseline, n1, n2, direction=direction, **options)
            except InsufficientData:
                limits[direction] = np.nan
        rows.append({"mdd_lower": limits["lower"], "mdd_higher": limits["higher"]})
    table = comparison[[*by, reference, "risk_difference"]].reset_index(drop=True)
    return pd.concat([table, pd.DataFrame(rows)], axis=1)


def simulated_power_curve(
    baseline: float,
    n_concordant: int,
    n_discordant: int,
    differences: Sequence[float],
    alpha: float = 0.05,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    n_sim: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Power to detect each difference from ``baseline``, by simulation and by formula.

    Each point simulates ``n_sim`` studies of the given size with
    :func:`alliance.stats.planning.simulate_prevalence_power` (sessions clustered in
    therapists, beta-binomial with intra-class correlation ``icc``) and puts the
    normal-approximation power of :func:`alliance.stats.planning.prevalence_power`
    beside it. Differences that would take the discordant prevalence outside
    [0, 1] are skipped.

    Parameters
    ----------
    baseline : float
        Prevalence in concordant dyads.
    n_concordant, n_discordant : int
        Group sizes (sessions).
    differences : sequence of float
        Discordant minus concordant prevalence.
    alpha : float, default 0.05
        Two-sided level.
    cluster_size, icc : float
        Sessions per therapist and intra-class correlation.
    n_sim : int, default 2000
        Simulated studies per point.
    seed : int, default 0
        Base seed; point ``i`` uses ``seed + i``.

    Returns
    -------
    pandas.DataFrame
        Columns ``difference``, ``prevalence_discordant``, ``power_simulated``,
        ``mc_se`` (Monte Carlo standard error) and ``power_analytic``.

    Examples
    --------
    >>> curve = simulated_power_curve(0.5, 26, 29, [0.0, -0.4], n_sim=1000, seed=3)
    >>> curve[["difference", "power_analytic"]].round(2)
       difference  power_analytic
    0         0.0            0.05
    1        -0.4            0.93
    """
    rows = []
    for i, difference in enumerate(differences):
        p2 = baseline + difference
        if not 0.0 <= p2 <= 1.0:
            continue
        options = {"alpha": alpha, "cluster_size": cluster_size, "icc": icc}
        simulated = simulate_prevalence_power(
            baseline, p2, n_concordant, n_discordant, n_sim=n_sim, seed=seed + i, **options
        )
        rows.append(
            {
                "difference": float(difference),
                "prevalence_discordant": p2,
                "power_simulated": simulated,
                "mc_se": float(np.sqrt(simulated * (1 - simulated) / n_sim)),
                "power_analytic": prevalence_power(
                    baseline, p2, n_concordant, n_discordant, **options
                ),
            }
        )
    return pd.DataFrame(rows)


def equivalence_check(
    comparison: pd.DataFrame, margin: float, by: Sequence[str] = ("informant", "theme")
) -> pd.DataFrame:
    """Say whether each difference is shown to be small, shown to exist, or neither.

    "Similar themes in both dyad types" can mean two different things. *Absence
    of evidence*: the interval for the difference includes zero. *Evidence of
    similarity* (equivalence): the interval lies entirely inside
    ``(-margin, margin)``, a range of differences judged unimportant in
    advance. With a 90% interval this is the two one-sided tests (TOST)
    procedure at the 5% level; pass the output of
    :func:`alliance.study.dyads.compare_dyad_types` with ``confidence=0.90``.

    Parameters
    ----------
    comparison : pandas.DataFrame
        Needs the ``by`` columns, ``risk_difference``, ``ci_low`` and ``ci_high``.
    margin : float
        Equivalence margin on the risk-difference scale (e.g. 0.10 for ten
        percentage points); must be positive.
    by : sequence of str
        The code columns.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``risk_difference``, ``ci_low``, ``ci_high``,
        ``smallest_margin`` (the narrowest margin for which the interval would
        establish equivalence: ``max(|ci_low|, |ci_high|)``) and ``verdict``:
        ``"equivalent"`` (interval inside the margin), ``"excludes 0"``
        (interval excludes 0) or ``"inconclusive"`` (neither). A 90% interval
        that excludes 0 corresponds to a two-sided test at the 10% level, not at
        the 5% level of the usual tests, so ``"excludes 0"`` is not a verdict of
        "different": call a difference with the 95% interval or the test itself.

    Examples
    --------
    >>> comparison = pd.DataFrame({"theme": ["a", "b", "c"], "risk_difference": [0.0, 0.3, 0.02],
    ...                            "ci_low": [-0.2, 0.1, -0.04], "ci_high": [0.2, 0.5, 0.08]})
    >>> equivalence_check(comparison, margin=0.1, by=["theme"])[["theme", "verdict"]]
      theme       verdict
    0     a  inconclusive
    1     b    excludes 0
    2     c    equivalent
    """
    if not margin > 0:
        raise ValueError(f"margin must be positive; got {margin!r}")
    require_columns(comparison, [*by, "risk_difference", "ci_low", "ci_high"], "comparison")
    table = comparison[[*by, "risk_difference", "ci_low", "ci_high"]].reset_index(drop=True)
    table["smallest_margin"] = np.maximum(table["ci_low"].abs(), table["ci_high"].abs())
    inside = (table["ci_low"] > -margin) & (table["ci_high"] < margin)
    excludes_zero = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    table["verdict"] = np.select(
        [inside, excludes_zero], ["equivalent", "excludes 0"], default="inconclusive"
    )
    return table


def power_curves_by_icc(
    baseline: float,
    n_concordant: int,
    n_discordant: int,
    differences: Sequence[float],
    iccs: Sequence[float],
    cluster_size: float = 1.0,
    n_sim: int = 2000,
    seed: int = 0,
    scenario: str = "ICC = {icc:g}",
) -> pd.DataFrame:
    """Stack :func:`simulated_power_curve` for several intra-class correlations.

    Parameters
    ----------
    baseline : float
        Prevalence in concordant dyads.
    n_concordant, n_discordant : int
        Group sizes (sessions).
    differences : sequence of float
        Discordant minus concordant prevalence.
    iccs : sequence of float
        Intra-class correlations, one curve each, in this order.
    cluster_size : float, default 1.0
        Sessions per therapist.
    n_sim : int, default 2000
        Simulated studies per point.
    seed : int, default 0
        Base seed, the same for every curve (see :func:`simulated_power_curve`).
    scenario : str, default "ICC = {icc:g}"
        Format string for the ``scenario`` label of each curve; ``{icc}`` is the ICC.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`simulated_power_curve` plus ``scenario``, curves
        stacked in the order of ``iccs`` with a fresh index.

    Examples
    --------
    >>> curves = power_curves_by_icc(0.5, 26, 29, [0.0, 0.4], iccs=[0.0, 0.2],
    ...                              cluster_size=2.5, n_sim=200, seed=1)
    >>> curves[["scenario", "difference", "power_analytic"]].round(2)
        scenario  difference  power_analytic
    0    ICC = 0         0.0            0.05
    1    ICC = 0         0.4            0.93
    2  ICC = 0.2         0.0            0.05
    3  ICC = 0.2         0.4            0.85
    """
    return pd.concat(
        [
            simulated_power_curve(
                baseline,
                n_concordant,
                n_discordant,
                differences,
                cluster_size=cluster_size,
                icc=icc,
                n_sim=n_sim,
                seed=seed,
            ).assign(scenario=scenario.format(icc=icc))
            for icc in iccs
        ],
        ignore_index=True,
    )


def smallest_powered_difference(curves: pd.DataFrame, power: float = 0.8) -> pd.Series:
    """Smallest positive difference whose simulated power reaches ``power``, per scenario.

    Parameters
    ----------
    curves : pandas.DataFrame
        :func:`power_curves_by_icc` (``scenario``, ``difference``, ``power_simulated``).
    power : float, default 0.8
        Power to reach.

    Returns
    -------
    pandas.Series
        Indexed by ``scenario`` (sorted); the difference as a proportion. A scenario
        in which no positive difference reaches ``power`` (a very small study) is
        kept, with a missing value.

    Raises
    ------
    ValueError
        If a column listed above is missing; the message names it.

    Examples
    --------
    >>> curves = pd.DataFrame({"scenario": ["a"] * 4 + ["b"] * 2,
    ...                        "difference": [-0.4, 0.1, 0.2, 0.3, 0.2, 0.4],
    ...                        "power_simulated": [0.9, 0.3, 0.85, 0.95, 0.5, 0.8]})
    >>> smallest_powered_difference(curves).to_dict()
    {'a': 0.2, 'b': 0.4}
    >>> smallest_powered_difference(curves, power=0.9).to_dict()
    {'a': 0.3, 'b': nan}
    """
    require_columns(curves, ["scenario", "difference", "power_simulated"], "curves")
    reached = curves[(curves["power_simulated"] >= power) & (curves["difference"] > 0)]
    scenarios = sorted(curves["scenario"].unique())
    return reached.groupby("scenario")["difference"].min().reindex(scenarios)


def robustness_highlights(
    robust: pd.DataFrame,
    gee: pd.DataFrame,
    cmh: pd.DataFrame,
    n_perm: int,
    alpha: float = 0.05,
) -> dict[str, int | float | str]:
    """Summarise the four analyses in the numbers the robustness chapter quotes.

    Parameters
    ----------
    robust : pandas.DataFrame
        :func:`robustness_summary`.
    gee : pandas.DataFrame
        :func:`gee_by_therapist` (``within_therapist_corr``).
    cmh : pandas.DataFrame
        :func:`cmh_by_therapist` (``n_strata``).
    n_perm : int
        Number of permutations used for ``robust``.
    alpha : float, default 0.05
        Level below which a p-value counts.

    Returns
    -------
    dict
        In this order: ``n_below_fisher``, ``n_below_gee``, ``n_below_cmh``,
        ``n_below_permutation`` (codes with p < ``alpha``), ``n_tests`` (codes),
        ``n_perm`` (with a thousands separator, for prose), ``max_shift`` (largest
        absolute change of the risk difference by the GEE, in percentage points),
        ``n_strata`` (therapists in the stratified test) and ``corr_mean``,
        ``corr_min``, ``corr_max`` (the within-therapist correlation over the codes).

    Raises
    ------
    ValueError
        If a column listed above is missing; the message names it.

    Examples
    --------
    >>> robust = pd.DataFrame({"risk_difference": [0.1, -0.2], "gee_rd": [0.12, -0.15],
    ...                        "p_fisher": [0.01, 0.5], "p_gee": [0.2, 0.04],
    ...                        "p_cmh": [0.3, 0.6], "p_permutation": [0.03, 0.02]})
    >>> gee = pd.DataFrame({"within_therapist_corr": [0.1, -0.1]})
    >>> values = robustness_highlights(robust, gee, pd.DataFrame({"n_strata": [7, 7]}), 999)
    >>> {name: round(value, 3) for name, value in values.items() if name != "n_perm"}
    {'n_below_fisher': 1, 'n_below_gee': 1, 'n_below_cmh': 0, 'n_below_permutation': 2, \
'n_tests': 2, 'max_shift': 5.0, 'n_strata': 7, 'corr_mean': 0.0, 'corr_min': -0.1, 'corr_max': 0.1}
    """
    methods = {"fisher": "p_fisher", "gee": "p_gee", "cmh": "p_cmh", "permutation": "p_permutation"}
    require_columns(robust, [*methods.values(), "risk_difference", "gee_rd"], "robust")
    require_columns(gee, ["within_therapist_corr"], "gee")
    require_columns(cmh, ["n_strata"], "cmh")
    values: dict[str, int | float | str] = {
        f"n_below_{name}": int((robust[column] < alpha).sum()) for name, column in methods.items()
    }
    corr = gee["within_therapist_corr"]
    values |= {
        "n_tests": len(robust),
        "n_perm": f"{n_perm:,}",
        "max_shift": 100 * float((robust["gee_rd"] - robust["risk_difference"]).abs().max()),
        "n_strata": int(cmh["n_strata"].iloc[0]),
        "corr_mean": float(corr.mean()),
        "corr_min": float(corr.min()),
        "corr_max": float(corr.max()),
    }
    return values
