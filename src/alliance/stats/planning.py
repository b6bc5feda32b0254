"""Plan a dyad study: power, sample size and minimum detectable difference.

The question a planner asks is whether a theme is described more often in one
kind of dyad than in the other, for example whether therapists describe the
client's openness less often in culturally discordant intakes. Each intake
yields one present/absent code per theme, so the comparison is between two
proportions. Intakes are clustered by therapist, and sessions of the same
therapist resemble each other; this enters as Kish's design effect
``deff = 1 + (m - 1) * icc`` with ``m`` sessions per therapist, which divides
the sample size into an *effective* sample size.

The analytic functions use the normal approximation on Cohen's arcsine effect
size ``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p2))`` (the same test as
:class:`statsmodels.stats.power.NormalIndPower` with
:func:`statsmodels.stats.proportion.proportion_effectsize`), with the variance
inflated by the design effect. :func:`simulate_prevalence_power` checks them
by drawing clustered data (a beta-binomial model with intra-class correlation
``icc``) and counting rejections.

Examples
--------
>>> round(design_effect(cluster_size=2.5, icc=0.1), 2)
1.15
>>> round(prevalence_power(0.6, 0.3, n1=26, n2=29), 3)
0.621
>>> round(prevalence_power(0.6, 0.3, n1=26, n2=29, cluster_size=2.5, icc=0.1), 3)
0.562
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import optimize, stats

from alliance.stats.checks import InsufficientData, require_columns

__all__ = [
    "DESIGNS",
    "design_effect",
    "exact_minimum_detectable_difference",
    "false_positive_rates",
    "fisher_power",
    "mean_narrowing",
    "minimum_detectable_difference",
    "power_grid",
    "prevalence_power",
    "sessions_needed",
    "simulate_prevalence_power",
    "units_for_precision",
]


def _check_proportion(name: str, value: float, *, open_interval: bool = False) -> float:
    value = float(value)
    low_ok = value > 0 if open_interval else value >= 0
    high_ok = value < 1 if open_interval else value <= 1
    if not (low_ok and high_ok):
        bounds = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise ValueError(f"{name} must be {bounds}; got {value!r}")
    return value


def _check_positive(name: str, value: float, minimum: float = 0.0) -> float:
    value = float(value)
    if not value > minimum:
        raise ValueError(f"{name} must be greater than {minimum:g}; got {value!r}")
    return value


def design_effect(cluster_size: float, icc: float) -> float:
    """Return Kish's design effect ``1 + (m - 1) * icc`` for clustered sessions.

    Parameters
    ----------
    cluster_size : float
        Mean number of sessions per therapist, ``m >= 1`` (2.5 in the study:
        55 intakes with 22 therapists).
    icc : float
        Intra-class correlation of the theme code within therapists, in [0, 1].

    Returns
    -------
    float
        The factor by which clustering inflates the variance of a prevalence;
        the effective sample size is ``n / deff`` (Kish 1965, sec. 5.4).

    Raises
    ------
    ValueError
        If ``cluster_size < 1`` or ``icc`` is outside [0, 1].

    Examples
    --------
    >>> design_effect(cluster_size=1, icc=0.3)
    1.0
    >>> round(design_effect(cluster_size=3, icc=0.05), 2)
    1.1
    """
    m = float(cluster_size)
    if not m >= 1:
        raise ValueError(f"cluster_size (sessions per therapist) must be at least 1; got {m!r}")
    rho = _check_proportion("icc", icc)
    return 1.0 + (m - 1.0) * rho


def _arcsine(p: float | np.ndarray) -> float | np.ndarray:
    """Return ``2 asin(sqrt(p))``, the variance-stabilising transform of a proportion."""
    return 2.0 * np.arcsin(np.sqrt(p))


def _standard_error(n1: float, n2: float, deff: float) -> float:
    """Return the standard error of the arcsine difference for clustered groups."""
    return math.sqrt(deff * (1.0 / n1 + 1.0 / n2))


def _two_sided_power(shift: float, alpha: float) -> float:
    """Power of a two-sided z test whose statistic has mean ``shift`` and unit variance."""
    crit = stats.norm.isf(alpha / 2.0)
    return float(stats.norm.sf(crit - abs(shift)) + stats.norm.cdf(-crit - abs(shift)))


def prevalence_power(
    p1: float,
    p2: float,
    n1: float,
    n2: float,
    *,
    alpha: float = 0.05,
    cluster_size: float = 1.0,
    icc: float = 0.0,
) -> float:
    """Return the power to detect that a theme's prevalence differs between two groups.

    Parameters
    ----------
    p1, p2 : float
        Prevalence of the theme (share of sessions where it is coded present)
        in group 1 and group 2, for example concordant and discordant dyads.
    n1, n2 : float
        Sessions (intakes) in each group.
    alpha : float, default 0.05
        Two-sided significance level.
    cluster_size : float, default 1
        Mean sessions per therapist; 1 means no clustering.
    icc : float, default 0
        Intra-class correlation of the theme code within therapists.

    Returns
    -------
    float
        Probability that the two-sided arcsine z test rejects equal prevalence,
        with each group's sample size divided by :func:`design_effect`.

    Examples
    --------
    The study's group sizes, a theme present in 60% vs 30% of sessions:

    >>> round(prevalence_power(0.6, 0.3, n1=26, n2=29), 3)
    0.621

    The same with 2.5 sessions per therapist and an ICC of 0.2:

    >>> round(prevalence_power(0.6, 0.3, n1=26, n2=29, cluster_size=2.5, icc=0.2), 3)
    0.512
    """
    p1 = _check_proportion("p1", p1)
    p2 = _check_proportion("p2", p2)
    n1, n2 = _check_positive("n1", n1), _check_positive("n2", n2)
    alpha = _check_proportion("alpha", alpha, open_interval=True)
    se = _standard_error(n1, n2, design_effect(cluster_size, icc))
    return _two_sided_power((_arcsine(p1) - _arcsine(p2)) / se, alpha)


def minimum_detectable_difference(
    p1: float,
    n1: float,
    n2: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    direction: str = "lower",
) -> float:
    """Return the smallest prevalence difference a study detects with the given power.

    Parameters
    ----------
    p1 : float
        Prevalence in the reference group (e.g. concordant dyads).
    n1, n2 : float
        Sessions in the reference and the comparison group.
    power : float, default 0.8
        Required power.
    alpha : float, default 0.05
        Two-sided significance level.
    cluster_size, icc : float
        Clustering by therapist, as in :func:`design_effect`.
    direction : {"lower", "higher"}, default "lower"
        Whether the comparison group is expected to describe the theme less
        or more often than the reference group.

    Returns
    -------
    float
        ``p2 - p1`` (negative for ``"lower"``) at which
        :func:`prevalence_power` equals ``power``.

    Raises
    ------
    InsufficientData
        (A ``ValueError``.) If no prevalence in [0, 1] reaches the required
        power in that direction (the study is too small); one line.
    ValueError
        On invalid arguments.

    Examples
    --------
    >>> round(minimum_detectable_difference(0.5, n1=26, n2=29), 3)
    -0.343
    >>> round(minimum_detectable_difference(0.5, n1=100, n2=100, direction="higher"), 3)
    0.193
    """
    p1 = _check_proportion("p1", p1)
    power = _check_proportion("power", power, open_interval=True)
    alpha = _check_proportion("alpha", alpha, open_interval=True)
    if power <= alpha:
        raise ValueError(f"power ({power}) must exceed alpha ({alpha})")
    if direction not in ("lower", "higher"):
        raise ValueError(f"direction must be 'lower' or 'higher'; got {direction!r}")
    n1, n2 = _check_positive("n1", n1), _check_positive("n2", n2)
    se = _standard_error(n1, n2, design_effect(cluster_size, icc))
    shift = optimize.brentq(lambda s: _two_sided_power(s, alpha) - power, 0.0, 40.0)
    sign = 1.0 if direction == "higher" else -1.0
    target = _arcsine(p1) + sign * shift * se
    if not 0.0 <= target <= math.pi:
        limit = 1.0 if direction == "higher" else 0.0
        best = prevalence_power(p1, limit, n1, n2, alpha=alpha, cluster_size=cluster_size, icc=icc)
        raise InsufficientData(
            f"no prevalence {direction} than p1={p1} reaches power {power} with n1={n1:g}, "
            f"n2={n2:g}: even a prevalence of {limit:g} gives power {best:.3f}; "
            "more sessions (or a smaller design effect) are needed"
        )
    return float(np.sin(target / 2.0) ** 2 - p1)


def _fisher_rejections(n1: int, n2: int, alpha: float) -> np.ndarray:
    """Return a boolean table: True where Fisher's two-sided test rejects (x1, x2) at alpha."""
    reject = np.zeros((n1 + 1, n2 + 1), dtype=bool)
    for x1, x2 in itertools.product(range(n1 + 1), range(n2 + 1)):
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        reject[x1, x2] = stats.fisher_exact(table).pvalue < alpha
    return reject


def _integer_size(name: str, value: float) -> int:
    if value != int(value) or value < 1:
        raise ValueError(f"{name} must be a whole number of sessions >= 1; got {value!r}")
    return int(value)


def fisher_power(p1: float, p2: float, n1: int, n2: int, *, alpha: float = 0.05) -> float:
    """Return the exact power of Fisher's two-sided exact test for two prevalences.

    The power is summed over every possible pair of counts (x1, x2), each
    weighted by its binomial probability, for the pairs in which
    :func:`scipy.stats.fisher_exact` rejects at ``alpha``. No approximation is
    involved, so it is the right planning tool for small groups and for
    prevalences near 0 or 1, where the normal approximation of
    :func:`prevalence_power` is poor. Sessions are taken as independent.

    Parameters
    ----------
    p1, p2 : float
        Prevalence of the theme in group 1 and group 2.
    n1, n2 : int
        Sessions in each group.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    float
        Probability that the exact test rejects equal prevalence.

    Examples
    --------
    >>> round(fisher_power(0.0, 0.3, n1=26, n2=29), 3)
    0.907
    >>> round(fisher_power(0.6, 0.3, n1=26, n2=29), 3)
    0.551
    """
    p1, p2 = _check_proportion("p1", p1), _check_proportion("p2", p2)
    n1, n2 = _integer_size("n1", n1), _integer_size("n2", n2)
    alpha = _check_proportion("alpha", alpha, open_interval=True)
    reject = _fisher_rejections(n1, n2, alpha)
    return _exact_power(reject, p1, p2)


def _exact_power(reject: np.ndarray, p1: float, p2: float) -> float:
    n1, n2 = reject.shape[0] - 1, reject.shape[1] - 1
    pmf1 = stats.binom.pmf(np.arange(n1 + 1), n1, p1)
    pmf2 = stats.binom.pmf(np.arange(n2 + 1), n2, p2)
    return float(pmf1 @ reject @ pmf2)


def exact_minimum_detectable_difference(
    p1: float,
    n1: int,
    n2: int,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    direction: str = "lower",
) -> float:
    """Return the smallest prevalence difference Fisher's exact test detects with given power.

    The exact counterpart of :func:`minimum_detectable_difference`, for a study
    analysed with Fisher's exact test (sessions independent). The power of an
    exact test is computed by :func:`fisher_power`; the difference returned is
    the smallest one, in the given direction, from which on the power stays at or
    above ``power`` (searched on a grid of 0.001 and refined by root finding).

    Parameters
    ----------
    p1 : float
        Prevalence in the reference group (e.g. concordant dyads).
    n1, n2 : int
        Sessions in the reference and the comparison group.
    power, alpha : float
        Required power and two-sided level.
    direction : {"lower", "higher"}, default "lower"
        Whether the comparison group describes the theme less or more often.

    Returns
    -------
    float
        ``p2 - p1`` (negative for ``"lower"``).

    Raises
    ------
    InsufficientData
        (A ``ValueError``.) If no prevalence in that direction reaches the power.
    ValueError
        On invalid arguments.

    Examples
    --------
    A theme that no therapist described in 26 concordant intakes needs about
    26 percentage points in 29 discordant intakes:

    >>> round(exact_minimum_detectable_difference(0.0, 26, 29, direction="higher"), 3)
    0.259

    The normal approximation is more optimistic for the same design:

    >>> round(minimum_detectable_difference(0.0, 26, 29, direction="higher"), 3)
    0.136
    """
    p1 = _check_proportion("p1", p1)
    power = _check_proportion("power", power, open_interval=True)
    alpha = _check_proportion("alpha", alpha, open_interval=True)
    if direction not in ("lower", "higher"):
        raise ValueError(f"direction must be 'lower' or 'higher'; got {direction!r}")
    n1, n2 = _integer_size("n1", n1), _integer_size("n2", n2)
    reject = _fisher_rejections(n1, n2, alpha)
    limit = 1.0 if direction == "higher" else 0.0
    grid = np.linspace(p1, limit, max(2, int(round(abs(limit - p1) * 1000)) + 1))
    powers = np.array([_exact_power(reject, p1, p2) for p2 in grid])
    short = np.flatnonzero(powers < power)
    if len(short) == len(grid) or short[-1] == len(grid) - 1:
        raise InsufficientData(
            f"no prevalence {direction} than p1={p1} reaches power {power} with Fisher's "
            f"exact test at n1={n1}, n2={n2}: even {limit:g} gives power {powers[-1]:.3f}"
        )
    last = short[-1]
    p2 = optimize.brentq(lambda q: _exact_power(reject, p1, q) - power, grid[last], grid[last + 1])
    return float(p2 - p1)


def sessions_needed(
    p1: float,
    p2: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    ratio: float = 1.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
) -> pd.DataFrame:
    """Return how many sessions (and therapists) each group needs.

    Parameters
    ----------
    p1, p2 : float
        Expected prevalence of the theme in group 1 and group 2; must differ.
    power : float, default 0.8
        Required power.
    alpha : float, default 0.05
        Two-sided significance level.
    ratio : float, default 1
        Sessions in group 2 per session in group 1 (29/26 in the study).
    cluster_size, icc : float
        Clustering by therapist, as in :func:`design_effect`.

    Returns
    -------
    pandas.DataFrame
        One row per group with columns ``group`` (1, 2), ``prevalence``,
        ``sessions`` (rounded up so that the achieved power is at least
        ``power``), ``therapists`` (``sessions / cluster_size``, rounded up),
        ``deff`` and ``achieved_power`` (of the rounded design).

    Raises
    ------
    InsufficientData
        (A ``ValueError``.) If ``p1 == p2``: no difference can be powered.
    ValueError
        On invalid arguments.

    Examples
    --------
    >>> plan = sessions_needed(0.6, 0.3, cluster_size=2.5, icc=0.1)
    >>> print(plan[["group", "sessions", "therapists"]].to_string(index=False))
     group  sessions  therapists
         1        49          20
         2        49          20
    """
    p1 = _check_proportion("p1", p1)
    p2 = _check_proportion("p2", p2)
    if p1 == p2:
        raise InsufficientData("p1 and p2 are equal: there is no difference to detect")
    ratio = _check_positive("ratio", ratio)
    power = _check_proportion("power", power, open_interval=True)
    alpha = _check_proportion("alpha", alpha, open_interval=True)
    options = {"alpha": alpha, "cluster_size": cluster_size, "icc": icc}
    deff = design_effect(cluster_size, icc)

    def shortfall(n1: float) -> float:
        return prevalence_power(p1, p2, n1, ratio * n1, **options) - power

    upper = 2.0
    while shortfall(upper) < 0:
        upper *= 2.0
    n1 = math.ceil(optimize.brentq(shortfall, 1e-6, upper) - 1e-9)
    n2 = math.ceil(ratio * n1 - 1e-9)
    achieved = prevalence_power(p1, p2, n1, n2, **options)
    return pd.DataFrame(
        {
            "group": [1, 2],
            "prevalence": [p1, p2],
            "sessions": [n1, n2],
            "therapists": [math.ceil(n / float(cluster_size) - 1e-9) for n in (n1, n2)],
            "deff": [deff, deff],
            "achieved_power": [achieved, achieved],
        }
    )


def _cluster_sizes(n: int, cluster_size: float) -> np.ndarray:
    """Split ``n`` sessions into ``round(n / m)`` therapists of near-equal size."""
    k = max(1, round(n / cluster_size))
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    return sizes


def _clustered_counts(
    rng: np.random.Generator, p: float, sizes: np.ndarray, icc: float, n_sim: int
) -> np.ndarray:
    """Draw ``n_sim`` totals of present codes from a beta-binomial cluster model."""
    if icc > 0 and 0 < p < 1:
        concentration = (1.0 - icc) / icc
        probs = rng.beta(p * concentration, (1.0 - p) * concentration, size=(n_sim, len(sizes)))
    else:
        probs = np.full((n_sim, len(sizes)), p)
    return rng.binomial(sizes, probs).sum(axis=1)


def simulate_prevalence_power(
    p1: float,
    p2: float,
    n1: int,
    n2: int,
    *,
    alpha: float = 0.05,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    n_sim: int = 4000,
    seed: int = 0,
    adjust_for_clustering: bool = True,
) -> float:
    """Estimate power by simulating clustered studies and testing each one.

    Each group's sessions are split among ``round(n / cluster_size)``
    therapists of near-equal size. A therapist's probability of the theme is
    drawn from a beta distribution with mean ``p`` and intra-class
    correlation ``icc`` (the beta-binomial model), and each session is coded
    present with that probability. Every simulated study is then analysed
    with the arcsine z test of :func:`prevalence_power`.

    Parameters
    ----------
    p1, p2 : float
        True prevalence in each group (equal values estimate the type I error).
    n1, n2 : int
        Sessions per group.
    alpha : float, default 0.05
        Two-sided significance level.
    cluster_size, icc : float
        Mean sessions per therapist and intra-class correlation.
    n_sim : int, default 4000
        Simulated studies; the Monte Carlo standard error of the result is
        ``sqrt(power * (1 - power) / n_sim)``.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`.
    adjust_for_clustering : bool, default True
        Whether the test divides by the design effect. ``False`` analyses the
        clustered data as if sessions were independent, which shows how much
        ignoring the therapist inflates the type I error.

    Returns
    -------
    float
        Share of simulated studies in which the test rejects equal prevalence.

    Examples
    --------
    >>> round(simulate_prevalence_power(0.6, 0.3, 26, 29, n_sim=2000, seed=1), 2)
    0.66
    """
    p1 = _check_proportion("p1", p1)
    p2 = _check_proportion("p2", p2)
    icc = _check_proportion("icc", icc)
    alpha = _check_proportion("alpha", alpha, open_interval=True)
    if int(n1) != n1 or int(n2) != n2 or n1 < 1 or n2 < 1:
        raise ValueError(f"n1 and n2 must be positive whole numbers of sessions; got {n1}, {n2}")
    if int(n_sim) != n_sim or n_sim < 1:
        raise ValueError(f"n_sim must be a positive whole number; got {n_sim!r}")
    deff = design_effect(cluster_size, icc) if adjust_for_clustering else 1.0
    rng = np.random.default_rng(seed)
    x1 = _clustered_counts(rng, p1, _cluster_sizes(int(n1), cluster_size), icc, int(n_sim))
    x2 = _clustered_counts(rng, p2, _cluster_sizes(int(n2), cluster_size), icc, int(n_sim))
    z = (_arcsine(x1 / n1) - _arcsine(x2 / n2)) / _standard_error(n1, n2, deff)
    return float(np.mean(np.abs(z) > stats.norm.isf(alpha / 2.0)))


def _as_values(value: float | Iterable[float]) -> list[float]:
    if isinstance(value, Iterable) and not isinstance(value, str):
        return list(value)
    return [value]


def power_grid(
    p1: float | Iterable[float],
    p2: float | Iterable[float],
    n1: float | Iterable[float],
    n2: float | Iterable[float],
    *,
    alpha: float | Iterable[float] = 0.05,
    cluster_size: float | Iterable[float] = 1.0,
    icc: float | Iterable[float] = 0.0,
) -> pd.DataFrame:
    """Return :func:`prevalence_power` for every combination of the inputs.

    Parameters
    ----------
    p1, p2, n1, n2, alpha, cluster_size, icc : float or sequence of float
        As in :func:`prevalence_power`; each may be a single value or a list.

    Returns
    -------
    pandas.DataFrame
        One row per combination, with a column for each input, ``deff`` and
        ``power``, in the order of :func:`itertools.product` of the inputs.

    Examples
    --------
    >>> grid = power_grid(0.6, 0.3, n1=[26, 52], n2=[29, 58], icc=0)
    >>> print(grid[["n1", "n2", "power"]].round(3).to_string(index=False))
     n1  n2  power
     26  29  0.621
     26  58  0.738
     52  29  0.753
     52  58  0.894
    """
    inputs = {
        "p1": _as_values(p1),
        "p2": _as_values(p2),
        "n1": _as_values(n1),
        "n2": _as_values(n2),
        "alpha": _as_values(alpha),
        "cluster_size": _as_values(cluster_size),
        "icc": _as_values(icc),
    }
    rows = []
    for values in itertools.product(*inputs.values()):
        row = dict(zip(inputs, values, strict=True))
        row["deff"] = design_effect(row["cluster_size"], row["icc"])
        row["power"] = prevalence_power(
            row["p1"],
            row["p2"],
            row["n1"],
            row["n2"],
            alpha=row["alpha"],
            cluster_size=row["cluster_size"],
            icc=row["icc"],
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _rater_accuracy(kappa: float, prevalence: float) -> float:
    """Return the accuracy at which independent raters reach Fleiss' ``kappa`` in the population.

    Each rater codes a unit's true state correctly with probability ``a``; then
    pairwise agreement is ``a^2 + (1-a)^2`` and chance agreement is
    ``m^2 + (1-m)^2`` with ``m`` the share of units coded present.
    """

    def population_kappa(a: float) -> float:
        observed = a**2 + (1 - a) ** 2
        m = prevalence * a + (1 - prevalence) * (1 - a)
        chance = m**2 + (1 - m) ** 2
        return (observed - chance) / (1 - chance) - kappa

    return float(optimize.brentq(population_kappa, 0.5, 1.0))


def simulate_agreement_precision(
    n_units: int | Iterable[int],
    n_raters: int | Iterable[int],
    *,
    kappa: float = 0.7,
    prevalence: float = 0.3,
    methods: Iterable[str] = ("fleiss_kappa", "gwet_ac1", "krippendorff_alpha"),
    confidence: float = 0.95,
    n_sim: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulate how wide agreement confidence intervals are for a reliability study design.

    Each simulated study codes ``n_units`` units (e.g. interview x theme) present
    or absent by ``n_raters`` independent raters. A unit is truly present with
    probability ``prevalence``, and each rater codes its true state correctly with
    the probability that makes the population Fleiss' kappa equal ``kappa``. The
    coefficients and their analytic intervals come from
    :func:`alliance.stats.agreement.agreement`.

    Parameters
    ----------
    n_units, n_raters : int or sequence of int
        Designs to simulate; every combination is run.
    kappa : float, default 0.7
        Population Fleiss' kappa the raters achieve (between 0 and 1).
    prevalence : float, default 0.3
        Share of units where the theme is truly present.
    methods : sequence of str
        Coefficients of :data:`alliance.stats.agreement.COEFFICIENTS`.
    confidence : float, default 0.95
        Confidence level of the intervals.
    n_sim : int, default 200
        Simulated studies per design.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    pandas.DataFrame
        One row per design and coefficient: ``n_units``, ``n_raters``,
        ``coefficient``, ``mean_estimate``, ``median_width`` and ``p90_width``
        (median and 90th percentile of the interval width ``ci_high - ci_low``).

    Examples
    --------
    >>> table = simulate_agreement_precision([50, 200], 3, methods=["fleiss_kappa"], n_sim=50)
    >>> print(table[["n_units", "median_width"]].round(2).to_string(index=False))
     n_units  median_width
          50          0.34
         200          0.17
    """
    from alliance.stats.agreement import agreement

    kappa = _check_proportion("kappa", kappa, open_interval=True)
    prevalence = _check_proportion("prevalence", prevalence, open_interval=True)
    accuracy = _rater_accuracy(kappa, prevalence)
    methods = list(methods)
    rng = np.random.default_rng(seed)
    rows = []
    for units, raters in itertools.product(_as_values(n_units), _as_values(n_raters)):
        if int(units) != units or int(raters) != raters or units < 2 or raters < 2:
            raise ValueError(
                f"need whole numbers of at least 2 units and 2 raters; got {units}, {raters}"
            )
        units, raters = int(units), int(raters)
        results = []
        for _ in range(n_sim):
            truth = rng.random(units) < prevalence
            correct = rng.random((units, raters)) < accuracy
            codes = np.where(correct, truth[:, None], ~truth[:, None]).astype(int)
            long = pd.DataFrame(
                {
                    "unit": np.repeat(np.arange(units), raters),
                    "rater": np.tile(np.arange(raters), units),
                    "present": codes.ravel(),
                }
            )
            results.append(
                agreement(
                    long,
                    "unit",
                    "rater",
                    "present",
                    methods=methods,
                    categories=[0, 1],
                    confidence=confidence,
                )
            )
        frame = pd.concat(results, ignore_index=True)
        frame["width"] = frame["ci_high"] - frame["ci_low"]
        for method in methods:
            chosen = frame[frame["coefficient"] == method]
            rows.append(
                {
                    "n_units": units,
                    "n_raters": raters,
                    "coefficient": method,
                    "mean_estimate": float(chosen["estimate"].mean()),
                    "median_width": float(chosen["width"].median()),
                    "p90_width": float(chosen["width"].quantile(0.9)),
                }
            )
    return pd.DataFrame(rows)


def _mixed_false_positive_rate(
    prevalence: float,
    n_per_group: int,
    cluster_size: float,
    icc: float,
    *,
    alpha: float,
    n_sim: int,
    seed: int,
    adjust_for_clustering: bool,
) -> float:
    """Share of simulated null studies rejected when every therapist sees both groups."""
    rng = np.random.default_rng(seed)
    sizes = _cluster_sizes(2 * n_per_group, cluster_size)
    # sessions alternate between the groups in each therapist's caseload
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    first = np.array(
        [len(range(start, start + size, 2)) for start, size in zip(starts, sizes, strict=True)]
    )
    if icc > 0 and 0 < prevalence < 1:
        concentration = (1.0 - icc) / icc
        probs = rng.beta(
            prevalence * concentration,
            (1.0 - prevalence) * concentration,
            size=(n_sim, len(sizes)),
        )
    else:
        probs = np.full((n_sim, len(sizes)), prevalence)
    x1 = rng.binomial(first, probs).sum(axis=1)
    x2 = rng.binomial(sizes - first, probs).sum(axis=1)
    n1, n2 = int(first.sum()), int((sizes - first).sum())
    deff = design_effect(cluster_size, icc) if adjust_for_clustering else 1.0
    z = (_arcsine(x1 / n1) - _arcsine(x2 / n2)) / _standard_error(n1, n2, deff)
    return float(np.mean(np.abs(z) > stats.norm.isf(alpha / 2.0)))


DESIGNS: tuple[str, ...] = ("one group", "both groups")
"""Caseload designs of :func:`false_positive_rates`: therapists who see clients of one
group only (a cluster design), or therapists whose caseload mixes both groups."""


def false_positive_rates(
    prevalence: float,
    n_per_group: int,
    cluster_sizes: Iterable[float],
    icc: float,
    *,
    designs: Iterable[str] = ("one group",),
    alpha: float = 0.05,
    n_sim: int = 20000,
    seed: int = 0,
) -> pd.DataFrame:
    """Type I error of the clustering-adjusted and the naive test, by design and cluster size.

    Both groups share the same true ``prevalence``, so every rejection is a false
    positive. The naive test analyses the clustered sessions as if they were
    independent; the adjusted test divides each group's size by Kish's design
    effect. Two caseload designs can be simulated. In ``"one group"`` each
    therapist sees clients of one group only, as in a cluster-randomised trial:
    a therapist's tendency to describe the theme then shifts one group's
    prevalence, and the naive test rejects too often. In ``"both groups"`` each
    therapist's caseload alternates between the groups, as most caseloads in the
    dyad study do: the therapist's tendency affects both groups alike and cancels
    from the difference, so the naive test is not anti-conservative, and the
    design-effect adjustment, which assumes the first design, makes the test
    conservative.

    Parameters
    ----------
    prevalence : float
        True prevalence in both groups.
    n_per_group : int
        Sessions per group.
    cluster_sizes : iterable of float
        Mean sessions per therapist, one pair of rows each.
    icc : float
        Intra-class correlation within therapist.
    designs : iterable of str, default ("one group",)
        Any of :data:`DESIGNS`.
    alpha : float, default 0.05
        Two-sided nominal level.
    n_sim : int, default 20000
        Simulated studies per row.
    seed : int, default 0
        Seed of every simulation (the two tests see the same studies).

    Returns
    -------
    pandas.DataFrame
        Columns ``design``, ``intakes_per_therapist``, ``test`` (``adjusted``
        then ``naive``) and ``false_positive_rate``.

    Examples
    --------
    >>> false_positive_rates(0.5, 200, [4.0], icc=0.3, n_sim=4000, seed=1).round(2)
          design  intakes_per_therapist      test  false_positive_rate
    0  one group                    4.0  adjusted                 0.05
    1  one group                    4.0     naive                 0.15
    """
    designs = list(designs)
    unknown = [design for design in designs if design not in DESIGNS]
    if unknown:
        raise ValueError(f"unknown design(s) {unknown}; choose from {list(DESIGNS)}")
    rows = []
    for design in designs:
        for cluster_size in cluster_sizes:
            for adjusted in (True, False):
                options = {
                    "alpha": alpha,
                    "n_sim": n_sim,
                    "seed": seed,
                    "adjust_for_clustering": adjusted,
                }
                if design == "one group":
                    rate = simulate_prevalence_power(
                        prevalence,
                        prevalence,
                        n_per_group,
                        n_per_group,
                        cluster_size=cluster_size,
                        icc=icc,
                        **options,
                    )
                else:
                    rate = _mixed_false_positive_rate(
                        prevalence, n_per_group, cluster_size, icc, **options
                    )
                rows.append(
                    {
                        "design": design,
                        "intakes_per_therapist": cluster_size,
                        "test": "adjusted" if adjusted else "naive",
                        "false_positive_rate": rate,
                    }
                )
    return pd.DataFrame(rows)


def units_for_precision(precision: pd.DataFrame, target_width: float) -> pd.DataFrame:
    """Smallest number of units whose median interval is no wider than ``target_width``.

    Parameters
    ----------
    precision : pandas.DataFrame
        :func:`simulate_agreement_precision` (``coefficient``, ``n_raters``,
        ``n_units``, ``median_width``).
    target_width : float
        Largest acceptable median width of the 95% interval.

    Returns
    -------
    pandas.DataFrame
        Index ``coefficient``, one column per ``n_raters``; a design that never
        reaches the target among the simulated sizes is missing (NaN).

    Raises
    ------
    ValueError
        If a column listed above is missing; the message names it.

    Examples
    --------
    >>> precision = pd.DataFrame({"coefficient": ["kappa"] * 4, "n_raters": [2, 2, 3, 3],
    ...                           "n_units": [50, 100, 50, 100],
    ...                           "median_width": [0.3, 0.2, 0.19, 0.12]})
    >>> units_for_precision(precision, 0.2).loc["kappa"].to_dict()
    {2: 100, 3: 50}
    """
    require_columns(precision, ["coefficient", "n_raters", "n_units", "median_width"], "precision")
    enough = precision[precision["median_width"] <= target_width]
    return enough.groupby(["coefficient", "n_raters"])["n_units"].min().unstack("n_raters")


def mean_narrowing(precision: pd.DataFrame) -> float:
    """Mean relative narrowing of the interval from one simulated number of units to the next.

    For every coefficient and number of raters, the median width at each
    number of units is compared with the width at the next smaller number
    simulated; the result averages ``1 - wider_sample / smaller_sample``. On a
    grid of doublings the square-root law predicts ``1 - 1 / sqrt(2)``, about 0.29.

    Parameters
    ----------
    precision : pandas.DataFrame
        :func:`simulate_agreement_precision` (``coefficient``, ``n_raters``,
        ``n_units``, ``median_width``) with at least two numbers of units.

    Returns
    -------
    float
        Mean share by which the median width shrinks per step of the grid.

    Raises
    ------
    ValueError
        If a column is missing or fewer than two numbers of units were simulated.

    Examples
    --------
    >>> precision = pd.DataFrame({"coefficient": ["kappa"] * 3, "n_raters": [2] * 3,
    ...                           "n_units": [25, 50, 100], "median_width": [0.4, 0.3, 0.15]})
    >>> round(mean_narrowing(precision), 3)
    0.375
    """
    require_columns(precision, ["coefficient", "n_raters", "n_units", "median_width"], "precision")
    widths = precision.pivot_table(
        index=["coefficient", "n_raters"], columns="n_units", values="median_width"
    )
    sizes = sorted(widths.columns)
    if len(sizes) < 2:
        raise ValueError(f"precision needs at least two values of n_units; got {sizes}")
    narrowing = 1 - (widths[sizes[1:]].to_numpy() / widths[sizes[:-1]].to_numpy())
    return float(narrowing.mean())
