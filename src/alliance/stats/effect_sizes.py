"""Effect sizes printed beside the rank and t tests that compare two sets of numbers.

:mod:`scipy.stats` runs the tests (``wilcoxon``, ``ttest_rel``, ``mannwhitneyu``);
these helpers give the effect sizes that go with them, defined as pingouin defines
them (``pingouin.wilcoxon``'s and ``pingouin.mwu``'s ``RBC``, the Cohen's d of
``pingouin.ttest`` with ``paired=True``) and computed with the same arithmetic, so
the two agree to the last digit. pingouin is not needed to compute them; the tests
compare them with it, as an independent implementation.

Every effect size is positive when the first sample (``x``) tends to be larger.

Examples
--------
>>> x, y = [3, 2, 4, 1, 3], [2, 2, 3, 2, 1]
>>> round(matched_pairs_rank_biserial(x, y), 4)
0.6
>>> round(cohen_d_average(x, y), 4)
0.6325
>>> rank_biserial(u=2.5, n_x=3, n_y=4)
-0.5833333333333333
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["cohen_d_average", "matched_pairs_rank_biserial", "rank_biserial"]


def _paired(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Two 1-d float arrays of the same length, or a ValueError naming the lengths."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"x and y must be paired 1-d samples; got shapes {x.shape} and {y.shape}")
    return x, y


def matched_pairs_rank_biserial(x: ArrayLike, y: ArrayLike) -> float:
    """Matched-pairs rank-biserial correlation of the Wilcoxon signed-rank test of ``x - y``.

    Pairs with ``x == y`` are dropped (as :func:`scipy.stats.wilcoxon` does by
    default); the absolute differences of the rest are ranked (ties get their
    average rank), and the effect size is the share of the rank sum carried by
    positive differences minus the share carried by negative ones: from -1 (every
    ``x`` smaller) to 1 (every ``x`` larger). Same as ``RBC`` of ``pingouin.wilcoxon``.

    Parameters
    ----------
    x, y : array_like
        Paired samples of the same length (``x[i]`` goes with ``y[i]``).

    Returns
    -------
    float
        The correlation; NaN when every pair is tied.

    Raises
    ------
    ValueError
        If ``x`` and ``y`` are not 1-d or differ in length.

    Examples
    --------
    >>> matched_pairs_rank_biserial([3, 2, 5], [1, 2, 6])
    0.3333333333333333
    >>> matched_pairs_rank_biserial([1, 2], [1, 2])
    nan
    """
    x, y = _paired(x, y)
    differences = x - y
    differences = differences[differences != 0]
    if differences.size == 0:
        return float("nan")
    ranks = stats.rankdata(np.abs(differences))
    total = ranks.sum()
    positive = np.sum((differences > 0) * ranks)
    negative = np.sum((differences < 0) * ranks)
    return float(positive / total - negative / total)


def cohen_d_average(x: ArrayLike, y: ArrayLike) -> float:
    """Cohen's d of paired samples, standardised by the average of the two SDs.

    ``(mean(x) - mean(y)) / sqrt((var(x) + var(y)) / 2)`` with sample variances
    (``ddof=1``): Cumming's d_av, the paired Cohen's d of ``pingouin.ttest``
    (which prints its absolute value). Unlike d_z (mean difference over the SD of
    the differences), it does not depend on how strongly the pairs correlate.

    Parameters
    ----------
    x, y : array_like
        Paired samples of the same length, at least two pairs.

    Returns
    -------
    float
        Signed d: positive when ``x`` is larger on average.

    Raises
    ------
    ValueError
        If ``x`` and ``y`` are not 1-d, differ in length or have fewer than two pairs.

    Examples
    --------
    >>> round(cohen_d_average([3, 2, 4, 1], [2, 2, 3, 2]), 4)
    0.2554
    """
    x, y = _paired(x, y)
    if x.size < 2:
        raise ValueError(f"Cohen's d needs at least two pairs; got {x.size}")
    return float((x.mean() - y.mean()) / np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2))


def rank_biserial(u: float, n_x: int, n_y: int) -> float:
    """Rank-biserial correlation of a Mann-Whitney test, from the U statistic of ``x``.

    ``1 - 2 U_y / (n_x n_y)`` with ``U_y = n_x n_y - u``, i.e. ``2u / (n_x n_y) - 1``:
    the probability that a value of ``x`` exceeds one of ``y`` minus the reverse
    (ties count half). Same as ``RBC`` of ``pingouin.mwu``.

    Parameters
    ----------
    u : float
        U statistic of the first sample, as :func:`scipy.stats.mannwhitneyu` returns it.
    n_x, n_y : int
        Sizes of the two samples (both at least 1).

    Returns
    -------
    float
        The correlation, from -1 to 1.

    Raises
    ------
    ValueError
        If a size is below 1 or ``u`` lies outside ``[0, n_x n_y]``.

    Examples
    --------
    >>> from scipy.stats import mannwhitneyu
    >>> x, y = [1, 2, 3], [3, 4, 5]
    >>> rank_biserial(mannwhitneyu(x, y).statistic, len(x), len(y))
    -0.8888888888888888
    """
    pairs = n_x * n_y
    if n_x < 1 or n_y < 1:
        raise ValueError(f"both samples need at least one value; got n_x={n_x}, n_y={n_y}")
    if not 0 <= u <= pairs:
        raise ValueError(f"u must lie between 0 and n_x * n_y = {pairs}; got {u}")
    return float(1 - 2 * (pairs - u) / pairs)
