r"""Inter-rater agreement for qualitative coding: every standard coefficient, with intervals.

Two layers share one implementation:

* the **array API** (``fleiss_kappa(ratings)`` and friends) takes a units x raters
  array-like of category labels (numbers or strings; NaN/None = missing) and returns a
  float;
* the **tidy API** (:func:`agreement`, :func:`per_category_agreement`) takes a long
  DataFrame with one row per unit x rater, in the style of
  ``pingouin.intraclass_corr``, and returns one row per coefficient with a standard
  error and a confidence interval (analytic, or a vectorised cluster bootstrap).

Every coefficient is written as a function of additive per-unit statistics, so the
point estimate, the analytic variance (Gwet 2014) and the bootstrap (which only
re-weights per-cluster sums) reuse the same code.

References
----------
Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: some uses, misuses, and
alternatives. *Educational and Psychological Measurement*, 41, 687-699.
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
Psychological Measurement*, 20, 37-46.
Conger, A. J. (1980). Integration and generalization of kappas for multiple raters.
*Psychological Bulletin*, 88, 322-328.
Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
*Psychological Bulletin*, 76, 378-382.
Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa
and weighted kappa. *Psychological Bulletin*, 72, 323-327.
Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence
of high agreement. *British Journal of Mathematical and Statistical Psychology*, 61,
29-48.
Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.). Advanced Analytics.
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
for Communication, University of Pennsylvania (repository.upenn.edu/asc_papers/43).
Light, R. J. (1971). Measures of response agreement for qualitative data.
*Psychological Bulletin*, 76, 365-377.
Randolph, J. J. (2005). Free-marginal multirater kappa: an alternative to Fleiss'
fixed-marginal multirater kappa. Joensuu Learning and Instruction Symposium.
SAS Institute. PROC FREQ, "Tests and Measures of Agreement" (kappa ASE).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alliance.stats._agreement_core import (
    _METHODS,
    _code_matrix,
    _code_ratings,
    _Coded,
    _Coefficient,
    _encode_labels,
    _make_spec,
    _plain,
    _Spec,
)

__all__ = [
    "COEFFICIENTS",
    "AgreementWarning",
    "agreement",
    "brennan_prediger",
    "cohen_kappa",
    "conger_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "light_kappa",
    "per_category_agreement",
    "percent_agreement",
]

COEFFICIENTS: tuple[str, ...] = (
    "percent_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "conger_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "brennan_prediger",
    "light_kappa",
)
"""Names accepted by ``methods`` in :func:`agreement`, in the order rows are returned."""


class AgreementWarning(RuntimeWarning):
    """Warns about a result that is undefined or rests on fewer units than supplied."""


_PREVALENCE_MESSAGE = (
    "{name} is undefined (NaN): chance agreement equals 1 because every rating falls "
    "in the same category. This is the prevalence paradox: raters who all say the same "
    "thing agree perfectly, yet a chance-corrected coefficient cannot tell that agreement "
    "from what fixed marginals alone would produce. Report percent agreement and the "
    "category's prevalence instead, or a prevalence-robust coefficient (gwet_ac1, "
    "brennan_prediger) with `categories` listing every admissible code."
)


def _check_pairable(coded: _Coded) -> None:
    if not (coded.ratings_per_unit >= 2).any():
        raise ValueError(
            "no unit has two or more ratings, so agreement cannot be assessed "
            "(every unit was rated at most once)"
        )


def _warn_excluded(coded: _Coded, excluded: int, what: str, stacklevel: int = 4) -> None:
    total = coded.n + coded.n_empty
    if excluded:
        warnings.warn(
            f"{excluded} of {total} units were excluded from {what}: they have fewer than "
            "two ratings (or, for two-rater coefficients, lack one of the two ratings), so "
            "they carry no information on agreement",
            AgreementWarning,
            stacklevel=stacklevel,
        )


def _warn_undefined(label: str) -> None:
    warnings.warn(_PREVALENCE_MESSAGE.format(name=label), AgreementWarning, stacklevel=4)


def _array_coefficient(
    method: str,
    ratings: object,
    categories: object,
    weights: str | None = None,
    level: str = "nominal",
) -> float:
    coded = _code_ratings(ratings, categories)
    coef = _METHODS[method]
    spec = _make_spec(method, coded, categories, weights, level)
    _check_pairable(coded)
    one = np.zeros(coded.n, dtype=np.int64)
    est = float(coef.estimate(coef.sums(coded, spec, one, 1)[0], coded, spec))
    _warn_excluded(coded, coded.n + coded.n_empty - coef.n_units(coded), coef.label)
    if np.isnan(est):
        _warn_undefined(coef.label)
    return est


# ---------------------------------------------------------------------------
# Array API
# ---------------------------------------------------------------------------


def percent_agreement(ratings: object, categories: object = None) -> float:
    r"""Pairwise percent agreement, as in Gwet's ``pa.coeff.raw``.

    The mean, over units rated at least twice, of the share of agreeing rater pairs:
    :math:`p_a = \frac{1}{n'}\sum_i \sum_k r_{ik}(r_{ik}-1) / (r_i(r_i-1))`
    (Gwet 2014; irrCAC's ``pa.coeff.raw``).

    Parameters
    ----------
    ratings : array-like, shape (units, raters)
        Category labels (numbers or strings); NaN or None marks a missing rating.
    categories : sequence, optional
        All admissible labels; a label outside them raises ``ValueError``.

    Returns
    -------
    float
        Proportion of agreeing pairs, between 0 and 1.

    Examples
    --------
    >>> round(percent_agreement([[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, 1]]), 4)
    0.6667
    """
    return _array_coefficient("percent_agreement", ratings, categories)


def cohen_kappa(ratings: object, categories: object = None, weights: str | None = None) -> float:
    r"""Cohen's kappa for exactly two raters, optionally weighted.

    :math:`\kappa = (p_o - p_e)/(1 - p_e)` with :math:`p_o = \sum_{kl} w_{kl} p_{kl}`
    and :math:`p_e = \sum_{kl} w_{kl} p_{k\cdot} p_{\cdot l}` over the units both raters
    rated (Cohen 1960; weighted: Cohen 1968; weights as in SAS PROC FREQ).

    Parameters
    ----------
    ratings : array-like, shape (units, 2)
        Category labels; NaN or None marks a missing rating. Units missing either
        rating are excluded (with an :class:`AgreementWarning`).
    categories : sequence, optional
        All admissible labels in order; unused categories still count.
    weights : {None, "linear", "quadratic"}
        Cicchetti-Allison (linear) or Fleiss-Cohen (quadratic) agreement weights on the
        numeric category values, or on positions 1..q for ordered text labels.

    Returns
    -------
    float
        Kappa; NaN (with a warning) when both raters use one and the same category only.

    Examples
    --------
    >>> ratings = [[0, 0], [0, 1], [1, 1], [1, 1], [2, 2], [2, 1]]
    >>> round(cohen_kappa(ratings), 4)
    0.5
    >>> round(cohen_kappa(ratings, weights="quadratic"), 4)
    0.6667
    """
    return _array_coefficient("cohen_kappa", ratings, categories, weights)


def fleiss_kappa(ratings: object, categories: object = None, weights: str | None = None) -> float:
    r"""Fleiss' kappa for any number of raters, with Gwet's generalisation for missing ratings.

    Observed agreement is the mean, over units rated at least twice, of the
    (weighted) proportion of agreeing rater pairs; chance agreement is
    :math:`p_e = \sum_{kl} w_{kl}\pi_k\pi_l` with :math:`\pi_k` the mean share of
    category :math:`k` per unit (Fleiss 1971; Gwet 2014, as
    irrCAC's ``fleiss.kappa.raw``). With complete data it equals Fleiss (1971).

    Parameters
    ----------
    ratings : array-like, shape (units, raters)
        Category labels (numbers or strings); NaN or None marks a missing rating.
        Units may have different numbers of ratings; a unit with a single rating
        counts in :math:`\pi_k` but not in observed agreement.
    categories : sequence, optional
        All admissible labels in order; unused categories still count.
    weights : {None, "linear", "quadratic"}
        Agreement weights for ordered categories.

    Returns
    -------
    float
        Kappa; NaN (with a warning) when every rating falls in one category.

    Examples
    --------
    >>> ratings = [[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, 1], [3, 3, 3], [1, 1, 2]]
    >>> round(fleiss_kappa(ratings), 4)
    0.4953
    >>> round(fleiss_kappa([["a", "a"], ["b", None], ["b", "b"], ["a", "b"]]), 4)
    0.2889
    """
    return _array_coefficient("fleiss_kappa", ratings, categories, weights)


def conger_kappa(ratings: object, categories: object = None, weights: str | None = None) -> float:
    r"""Conger's kappa: Fleiss' observed agreement with rater-specific chance agreement.

    Chance agreement averages Cohen's chance agreement over all pairs of raters,
    :math:`p_e = \frac{1}{r(r-1)}\sum_{g \ne h}\sum_{kl} w_{kl} p_{gk} p_{hl}`, so with two
    raters and no missing rating it equals Cohen's kappa (Conger 1980; Gwet 2014,
    as irrCAC's ``conger.kappa.raw``).

    Parameters
    ----------
    ratings : array-like, shape (units, raters)
        Category labels; NaN or None marks a missing rating.
    categories : sequence, optional
        All admissible labels in order; unused categories still count.
    weights : {None, "linear", "quadratic"}
        Agreement weights for ordered categories.

    Returns
    -------
    float
        Kappa; NaN (with a warning) when every rating falls in one category.

    Examples
    --------
    >>> ratings = [[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, 1], [3, 3, 3], [1, 1, 2]]
    >>> round(conger_kappa(ratings), 4)
    0.5068
    """
    return _array_coefficient("conger_kappa", ratings, categories, weights)


def krippendorff_alpha(ratings: object, level: str = "nominal", categories: object = None) -> float:
    r"""Krippendorff's alpha at the nominal, ordinal, interval or ratio level.

    :math:`\alpha = 1 - D_o/D_e`, from the coincidence matrix of all pairable values,
    with Krippendorff's difference function for the chosen level (Krippendorff 2011).
    Units with fewer than two ratings are not pairable and are excluded.

    Parameters
    ----------
    ratings : array-like, shape (units, raters)
        Category labels; NaN or None marks a missing rating.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement. Ordinal needs ordered labels (numbers, or text with
        ``categories``); interval and ratio need numeric labels.
    categories : sequence, optional
        All admissible labels in order. Ordinal distances depend on the frequencies of
        the categories in between, so unused categories change nothing but order.

    Returns
    -------
    float
        Alpha; NaN (with a warning) when every pairable value is the same.

    Examples
    --------
    Krippendorff's (2011) four-coder example with missing values:

    >>> import numpy as np
    >>> nan = np.nan
    >>> data = np.array([
    ...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]).T
    >>> round(krippendorff_alpha(data), 3)
    0.743
    >>> [round(krippendorff_alpha(data, level), 3) for level in ("ordinal", "interval", "ratio")]
    [0.815, 0.849, 0.797]
    """
    return _array_coefficient("krippendorff_alpha", ratings, categories, level=level)


def gwet_ac1(ratings: object, categories: object = None, weights: str | None = None) -> float:
    r"""Gwet's AC1 (AC2 when weighted), a chance-corrected agreement robust to prevalence.

    Chance agreement is :math:`p_e = \frac{T_w}{q(q-1)}\sum_k \pi_k(1-\pi_k)`, with
    :math:`T_w` the sum of the weights and :math:`\pi_k` as in Fleiss' kappa (Gwet 2008;
    Gwet 2014, as irrCAC's ``gwet.ac1.raw``).

    Parameters
    ----------
    ratings : array-like, shape (units, raters)
        Category labels; NaN or None marks a missing rating.
    categories : sequence, optional
        All admissible labels in order. With a single observed category AC1 is
        undefined unless ``categories`` names the others.
    weights : {None, "linear", "quadratic"}
        Agreement weights for ordered categories (AC2).

    Returns
    -------
    float
        AC1 or AC2.

    Examples
    --------
    >>> ratings = [[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, 1], [3, 3, 3], [1, 1, 2]]
    >>> round(gwet_ac1(ratings), 4)
    0.5023
    >>> gwet_ac1([[0, 0], [0, 0], [0, 0]], categories=[0, 1])
    1.0
    """
    return _array_coefficient("gwet_ac1", ratings, categories, weights)


def brennan_prediger(
    ratings: object, categories: object = None, weights: str | None = None
) -> float:
    r"""Brennan-Prediger coefficient: chance agreement from uniform category use.

    :math:`p_e = T_w / q^2` (Brennan & Prediger 1981; Gwet 2014). For binary
    codes this is the prevalence- and bias-adjusted kappa (PABAK), and for many raters
    Randolph's (2005) free-marginal multirater kappa.

    Parameters
    ----------
    ratings : array-like, shape (units, raters)
        Category labels; NaN or None marks a missing rating.
    categories : sequence, optional
        All admissible labels; :math:`q` is their number, so pass them when some code
        was never used.
    weights : {None, "linear", "quadratic"}
        Agreement weights for ordered categories.

    Returns
    -------
    float
        The coefficient.

    Examples
    --------
    >>> round(brennan_prediger([[0, 0], [0, 1], [1, 1], [0, 0]]), 4)
    0.5
    """
    return _array_coefficient("brennan_prediger", ratings, categories, weights)


def light_kappa(ratings: object, categories: object = None) -> float:
    r"""Light's kappa: the mean of Cohen's kappa over every pair of raters.

    :math:`\kappa_L = \binom{r}{2}^{-1}\sum_{g<h}\kappa_{gh}`, each pairwise kappa on the
    units both raters rated (Light 1971; Conger 1980).

    Parameters
    ----------
    ratings : array-like, shape (units, raters)
        Category labels; NaN or None marks a missing rating.
    categories : sequence, optional
        All admissible labels.

    Returns
    -------
    float
        The mean pairwise kappa; NaN (with a warning) if any pairwise kappa is undefined.

    Examples
    --------
    >>> ratings = [[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, 1], [3, 3, 3], [1, 1, 2]]
    >>> round(light_kappa(ratings), 4)
    0.51
    """
    return _array_coefficient("light_kappa", ratings, categories)


# ---------------------------------------------------------------------------
# Tidy API
# ---------------------------------------------------------------------------

_COLUMNS = [
    "coefficient",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "ci_method",
    "n_units",
    "n_raters",
]


@dataclass(frozen=True)
class _LongDesign:
    """A long table turned into coded units x raters, with each unit's cluster."""

    coded: _Coded
    group: np.ndarray
    n_groups: int
    cluster_name: str | None


def _as_columns(value: str | Sequence[str], what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    cols = list(value)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise ValueError(f"{what} must be a column name or a list of column names; got {value!r}")
    return cols


def _rows_label(index: pd.Index) -> str:
    shown = ", ".join(repr(i) for i in index[:5])
    more = f" and {len(index) - 5} more" if len(index) > 5 else ""
    return f"{shown}{more}"


def _long_design(
    data: pd.DataFrame,
    units: str | Sequence[str],
    raters: str,
    ratings: str,
    categories: object,
    cluster: str | None,
) -> _LongDesign:
    """Validate a long table (one row per unit x rater) and code it."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    unit_cols = _as_columns(units, "units")
    needed = [*unit_cols, raters, ratings] + ([cluster] if cluster is not None else [])
    absent = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if absent:
        raise ValueError(f"data has no column(s) {absent}; its columns are {list(data.columns)}")
    if data.empty:
        raise ValueError("data has no rows")
    for col in [*unit_cols, raters] + ([cluster] if cluster is not None else []):
        blank = data.index[data[col].isna().to_numpy()]
        if len(blank):
            raise ValueError(
                f"column {col!r} is missing in row(s) with index {_rows_label(blank)}; every "
                "row needs its unit, rater and cluster"
            )
    if len(unit_cols) == 1:
        unit_idx = pd.factorize(data[unit_cols[0]], sort=True)[0]
    else:
        unit_idx = data.groupby(unit_cols, sort=True).ngroup().to_numpy()
    rater_idx, rater_labels = pd.factorize(data[raters], sort=True)
    cell = unit_idx * len(rater_labels) + rater_idx
    dup = np.bincount(cell)[cell] > 1
    if dup.any():
        raise ValueError(
            f"each unit x rater must appear once, but {int(dup.sum())} rows repeat a "
            f"({', '.join([*unit_cols, raters])}) combination: index "
            f"{_rows_label(data.index[dup])}"
        )
    try:
        codes, cats = _encode_labels(data[ratings].to_numpy(), categories)
    except ValueError as exc:
        raise ValueError(f"column {ratings!r}: {exc}") from exc
    n_units = int(unit_idx.max()) + 1
    matrix = np.full((n_units, len(rater_labels)), -1, dtype=np.int64)
    matrix[unit_idx, rater_idx] = codes
    if cluster is None:
        unit_group = np.arange(n_units)
    else:
        cluster_idx, _ = pd.factorize(data[cluster], sort=True)
        unit_group = np.full(n_units, -1, dtype=np.int64)
        unit_group[unit_idx] = cluster_idx
        split = unit_group[unit_idx] != cluster_idx
        if split.any():
            raise ValueError(
                f"each unit must belong to one {cluster!r}, but the unit(s) in row(s) with "
                f"index {_rows_label(data.index[split])} appear under several"
            )
    coded = _code_matrix(matrix, cats)
    kept = (matrix >= 0).any(axis=1)
    _, group = np.unique(unit_group[kept], return_inverse=True)
    return _LongDesign(coded, group.astype(np.int64), int(group.max()) + 1, cluster)


def _resolve_methods(methods: str | Sequence[str] | None, r: int) -> list[str]:
    if methods is None:
        return [m for m in COEFFICIENTS if m != "cohen_kappa" or r == 2]
    chosen = [methods] if isinstance(methods, str) else list(methods)
    unknown = [m for m in chosen if m not in _METHODS]
    if unknown or not chosen:
        raise ValueError(f"unknown method(s) {unknown}; choose from {list(COEFFICIENTS)}")
    return list(dict.fromkeys(chosen))


def _check_options(ci: str, n_boot: int, confidence: float, cluster: str | None) -> None:
    if ci not in ("analytic", "bootstrap"):
        raise ValueError(f"ci must be 'analytic' or 'bootstrap'; got {ci!r}")
    if cluster is not None and ci != "bootstrap":
        raise ValueError(
            f"cluster={cluster!r} is only used by the bootstrap: pass ci='bootstrap' (the "
            "analytic variances treat units as independent)"
        )
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise ValueError(f"n_boot must be an integer >= 2; got {n_boot!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence!r}")


@dataclass(frozen=True)
class _BootstrapPlan:
    """Number of resamples and a fixed seed, so every coefficient sees the same resamples."""

    n_boot: int
    seed: int


def _bootstrap_plan(ci: str, n_boot: int, seed: object) -> _BootstrapPlan | None:
    if ci != "bootstrap":
        return None
    if isinstance(seed, np.random.Generator):
        fixed = int(seed.integers(2**63))
    else:
        fixed = int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])
    return _BootstrapPlan(n_boot, fixed)


_BLOCK_CELLS = 4_000_000  # resampling counts held in memory at once (32 MB)


def _bootstrap_draws(n_groups: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """How often each cluster enters each resample: a ``(size, n_groups)`` count matrix."""
    return rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=size).astype(float)


def _replicates(
    parts: list[tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]],
    n_groups: int,
    plan: _BootstrapPlan,
) -> list[np.ndarray]:
    """Bootstrap replicates of each ``(estimator, per-cluster sums)`` pair.

    A resample re-weights the per-cluster sums by the cluster counts, so a block of
    resamples is one matrix product; blocks only bound memory for many clusters (at the
    study's size all resamples form one block).
    """
    rng = np.random.default_rng(plan.seed)
    block = max(1, _BLOCK_CELLS // n_groups)
    out: list[list[np.ndarray]] = [[] for _ in parts]
    for start in range(0, plan.n_boot, block):
        draws = _bootstrap_draws(n_groups, min(block, plan.n_boot - start), rng)
        for reps, (estimate, sums) in zip(out, parts, strict=True):
            reps.append(estimate(draws @ sums))
    return [np.concatenate(reps) for reps in out]


def _percentile_interval(
    replicates: np.ndarray, est: float, tail: float, label: str, design: _LongDesign
) -> tuple[float, float, float, str]:
    finite = np.isfinite(replicates)
    if np.isfinite(est) and not finite.all():
        warnings.warn(
            f"{int((~finite).sum())} of {len(replicates)} bootstrap resamples left {label} "
            "undefined (for example, all in one category); the interval uses the others",
            AgreementWarning,
            stacklevel=4,
        )
    if np.isfinite(est) and finite.sum() >= 2:
        se = float(np.std(replicates[finite], ddof=1))
        low, high = np.quantile(replicates[finite], [tail, 1.0 - tail])
    else:
        se = low = high = float("nan")
    unit = f"{design.cluster_name!r} clusters" if design.cluster_name else "units"
    text = f"bootstrap percentile ({len(replicates)} resamples of {unit})"
    return se, float(low), float(high), text


def _analytic_interval(
    coef: _Coefficient, coded: _Coded, spec: _Spec, est: float, tail: float
) -> tuple[float, float, float, str]:
    se = coef.standard_error(coded, spec, est) if np.isfinite(est) else float("nan")
    if coef.interval == "none":
        return se, float("nan"), float("nan"), "none (no closed-form variance; use ci='bootstrap')"
    if coef.interval == "t":
        df = coef.df(coded)
        crit = stats.t.ppf(1.0 - tail, df) if df > 0 else float("nan")
        text = f"analytic (Gwet 2014), t with {df} df"
    else:
        crit = stats.norm.ppf(1.0 - tail)
        text = "analytic (asymptotic SE as SAS PROC FREQ), normal"
    return se, est - crit * se, float(np.minimum(1.0, est + crit * se)), text


def _coefficient_rows(
    design: _LongDesign,
    methods: list[str],
    *,
    categories: object,
    weights: str | None,
    level: str,
    confidence: float,
    plan: _BootstrapPlan | None,
    context: str = "",
) -> list[dict]:
    """Estimate, standard error and interval of each method on one coded design."""
    coded, tail = design.coded, (1.0 - confidence) / 2.0
    if plan is None:  # only the totals are needed
        group, n_groups = np.zeros(coded.n, dtype=np.int64), 1
    else:
        group, n_groups = design.group, design.n_groups
    prepared = []
    for method in methods:
        coef = _METHODS[method]
        spec = _make_spec(method, coded, categories, weights, level)
        sums = coef.sums(coded, spec, group, n_groups)
        est = float(coef.estimate(sums.sum(axis=0), coded, spec))
        if np.isnan(est):
            _warn_undefined(f"{coef.label}{context}")
        prepared.append((method, coef, spec, sums, est))
    if plan is not None:
        parts = [
            (lambda x, coef=coef, spec=spec: coef.estimate(x, coded, spec), sums)
            for _, coef, spec, sums, _ in prepared
        ]
        replicates = _replicates(parts, n_groups, plan)
    rows = []
    for k, (method, coef, spec, _, est) in enumerate(prepared):
        if plan is None:
            se, low, high, text = _analytic_interval(coef, coded, spec, est, tail)
        else:
            label = f"{coef.label}{context}"
            se, low, high, text = _percentile_interval(replicates[k], est, tail, label, design)
        rows.append(
            {
                "coefficient": method,
                "estimate": est,
                "se": se,
                "ci_low": low,
                "ci_high": high,
                "ci_method": text,
                "n_units": coef.n_units(coded),
                "n_raters": coded.r,
            }
        )
    return rows


def agreement(
    data: pd.DataFrame,
    units: str | Sequence[str],
    raters: str,
    ratings: str,
    methods: str | Sequence[str] | None = None,
    ci: str = "analytic",
    n_boot: int = 2000,
    cluster: str | None = None,
    seed: int | np.random.Generator | None = None,
    *,
    categories: Sequence[Hashable] | None = None,
    weights: str | None = None,
    level: str = "nominal",
    confidence: float = 0.95,
) -> pd.DataFrame:
    r"""Every agreement coefficient, with standard errors and confidence intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table: one row per unit x rater, like ``pingouin.intraclass_corr``.
        A missing rating may be a NaN in ``ratings`` or an absent row.
    units : str or list of str
        Column(s) identifying a unit (for example ``["session_id", "theme"]``).
    raters : str
        Column identifying the rater.
    ratings : str
        Column with the category label the rater gave the unit.
    methods : str or list of str, optional
        Coefficients to compute, from :data:`COEFFICIENTS`; default all of them
        (``cohen_kappa`` only when there are exactly two raters).
    ci : {"analytic", "bootstrap"}
        ``analytic``: Gwet's (2014) linearised variances, as irrCAC computes them, with a
        t interval on units minus one degrees of freedom (upper limit capped at 1);
        Cohen's kappa uses the asymptotic standard error SAS PROC FREQ prints (Fleiss,
        Cohen & Everitt 1969) and a normal interval; Light's kappa has no closed form.
        ``bootstrap``: percentile interval from ``n_boot`` resamples of ``cluster``
        (of units when ``cluster`` is None); ``se`` is the bootstrap standard deviation.
        Resamples re-weight per-cluster sums by a matrix product, with no loop over
        resamples; every coefficient sees the same resamples.
    n_boot : int
        Number of bootstrap resamples.
    cluster : str, optional
        Column whose values are resampled together, for example the interview when a
        unit is an interview x theme. Only used with ``ci="bootstrap"``.
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap.
    categories : sequence, optional
        All admissible labels in order (unused ones still count).
    weights : {None, "linear", "quadratic"}
        Agreement weights for Cohen's, Fleiss' and Conger's kappa, AC2 and
        Brennan-Prediger.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement for Krippendorff's alpha.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per coefficient with columns ``coefficient, estimate, se, ci_low,
        ci_high, ci_method, n_units, n_raters``. ``n_units`` counts the units that carry
        agreement information (rated at least twice; for Cohen's kappa, by both raters).
        ``attrs["n_units_excluded"]`` holds the number of units with fewer than two
        ratings, which are also reported in an :class:`AgreementWarning`;
        ``attrs["weights"]`` and ``attrs["level"]`` record the options used.

    Raises
    ------
    ValueError
        On a missing column, a duplicated unit x rater, a unit in several clusters, a
        single rater, a label outside ``categories``, or an unknown option.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({
    ...     "unit": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6],
    ...     "rater": ["A", "B", "C"] * 6,
    ...     "code": [1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 1, 3, 3, 3, 1, 1, 2],
    ... })
    >>> res = agreement(long, "unit", "rater", "code", methods=["fleiss_kappa", "gwet_ac1"])
    >>> res[["coefficient", "estimate", "se", "n_units"]].round(4)
        coefficient  estimate      se  n_units
    0  fleiss_kappa    0.4953  0.2312        6
    1      gwet_ac1    0.5023  0.2208        6
    >>> boot = agreement(long, "unit", "rater", "code", methods="fleiss_kappa",
    ...                  ci="bootstrap", n_boot=500, seed=1)
    >>> boot.loc[0, "ci_method"]
    'bootstrap percentile (500 resamples of units)'
    """
    _check_options(ci, n_boot, confidence, cluster)
    design = _long_design(data, units, raters, ratings, categories, cluster)
    chosen = _resolve_methods(methods, design.coded.r)
    _check_pairable(design.coded)
    plan = _bootstrap_plan(ci, n_boot, seed)
    rows = _coefficient_rows(
        design,
        chosen,
        categories=categories,
        weights=weights,
        level=level,
        confidence=confidence,
        plan=plan,
    )
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out.attrs.update(n_units_excluded=design.coded.n_units_below_two, weights=weights, level=level)
    _warn_excluded(design.coded, out.attrs["n_units_excluded"], "every coefficient", 3)
    return out


def per_category_agreement(
    data: pd.DataFrame,
    units: str | Sequence[str],
    raters: str,
    ratings: str,
    methods: str | Sequence[str] = "fleiss_kappa",
    ci: str = "analytic",
    n_boot: int = 2000,
    cluster: str | None = None,
    seed: int | np.random.Generator | None = None,
    *,
    categories: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    r"""One-vs-rest agreement for each code, so a codebook's weak codes stand out.

    Each category is recoded as "this code" versus "any other code" (missing stays
    missing) and the coefficient is computed on the binary ratings. For Fleiss' kappa
    this is Fleiss' (1971) category-specific kappa.

    Parameters
    ----------
    data, units, raters, ratings, ci, n_boot, cluster, seed, confidence
        As in :func:`agreement`. Every category sees the same bootstrap resamples.
    methods : str or list of str
        Coefficients to compute per category (default Fleiss' kappa).
    categories : sequence, optional
        Codes to report, in order; a code nobody used gets a NaN row with a warning.

    Returns
    -------
    pandas.DataFrame
        One row per category x coefficient: ``category, coefficient, estimate, se,
        ci_low, ci_high, ci_method, prevalence, n_units, n_raters``, where
        ``prevalence`` is the share of all ratings that use the category.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({
    ...     "unit": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6],
    ...     "rater": ["A", "B", "C"] * 6,
    ...     "code": [1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 1, 3, 3, 3, 1, 1, 2],
    ... })
    >>> res = per_category_agreement(long, "unit", "rater", "code")
    >>> res[["category", "estimate", "prevalence"]].round(4)
       category  estimate  prevalence
    0         1    0.2987      0.3889
    1         2    0.5000      0.3333
    2         3    0.7231      0.2778
    """
    _check_options(ci, n_boot, confidence, cluster)
    design = _long_design(data, units, raters, ratings, categories, cluster)
    chosen = _resolve_methods(methods, design.coded.r)
    _check_pairable(design.coded)
    plan = _bootstrap_plan(ci, n_boot, seed)
    coded = design.coded
    rated = coded.codes >= 0
    frames = []
    for k, label in enumerate(coded.categories):
        binary = _Coded(
            codes=np.where(rated, (coded.codes == k).astype(np.int64), -1),
            categories=np.array([0, 1]),
            scores=np.array([0.0, 1.0]),
            numeric=True,
        )
        rows = _coefficient_rows(
            _LongDesign(binary, design.group, design.n_groups, design.cluster_name),
            chosen,
            categories=None,
            weights=None,
            level="nominal",
            confidence=confidence,
            plan=plan,
            context=f" for category {_plain([label])[0]!r}",
        )
        frame = pd.DataFrame(rows, columns=_COLUMNS)
        frame.insert(0, "category", _plain([label])[0])
        frame.insert(7, "prevalence", float((coded.codes == k).sum() / rated.sum()))
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["n_units_excluded"] = coded.n_units_below_two
    _warn_excluded(coded, out.attrs["n_units_excluded"], "every category", 3)
    return out
