"""Inter-rater agreement for qualitative coding.

Array API: every coefficient takes ``ratings``, a units x raters array-like of
category labels with NaN/None for a missing rating, and returns a float.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["fleiss_kappa"]

_PREVALENCE_WARNING = (
    "every rating falls in a single category, so chance agreement is 1 and {name} is "
    "0/0 (undefined): the prevalence paradox. Perfect observed agreement on a code "
    "nobody (or everybody) used says nothing about rater reliability; report percent "
    "agreement and the prevalence instead, or pass `categories` so unused codes count."
)


@dataclass(frozen=True)
class _Coded:
    """Ratings recoded to integer category positions (-1 = missing)."""

    codes: np.ndarray
    categories: np.ndarray
    scores: np.ndarray
    n_dropped: int

    @property
    def q(self) -> int:
        return len(self.categories)


def _code_ratings(ratings: object, categories: object = None) -> _Coded:
    """Validate a units x raters array-like and recode it to category positions."""
    arr = ratings.to_numpy() if isinstance(ratings, pd.DataFrame) else np.asarray(ratings)
    if arr.ndim != 2:
        raise ValueError(
            f"ratings must be a 2-D units x raters array; got {arr.ndim} dimension(s) "
            f"with shape {arr.shape}"
        )
    if arr.shape[1] < 2:
        raise ValueError(
            f"ratings has {arr.shape[1]} rater column(s); agreement needs at least two raters"
        )
    if arr.shape[0] == 0:
        raise ValueError("ratings has no units (rows)")
    flat = arr.ravel()
    if categories is None:
        missing = pd.isna(flat)
        try:
            codes, cats = pd.factorize(flat, sort=True, use_na_sentinel=True)
        except TypeError as exc:
            raise ValueError(
                "ratings mix labels that cannot be ordered (for example numbers and "
                "strings); pass `categories` to fix the set and order of codes"
            ) from exc
        cats = np.asarray(cats)
    else:
        cats = np.asarray(list(categories))
        if cats.ndim != 1 or len(cats) == 0:
            raise ValueError("categories must be a non-empty 1-D sequence of labels")
        if len(pd.unique(cats)) != len(cats):
            raise ValueError(f"categories contains duplicated labels: {list(cats)}")
        missing = pd.isna(flat)
        codes = pd.Index(cats).get_indexer(flat)
        unknown = (codes < 0) & ~missing
        if unknown.any():
            bad = pd.unique(flat[unknown])[:5]
            first = int(np.flatnonzero(unknown)[0])
            row, col = divmod(first, arr.shape[1])
            raise ValueError(
                f"ratings contain label(s) not in categories: {list(bad)} "
                f"(first at row {row}, column {col}); categories are {list(cats)}"
            )
    codes = np.asarray(codes, dtype=np.int64).reshape(arr.shape)
    rated = (codes >= 0).any(axis=1)
    n_dropped = int((~rated).sum())
    if n_dropped:
        codes = codes[rated]
    if codes.shape[0] == 0:
        raise ValueError("ratings contain no rating at all (every value is missing)")
    if cats.dtype.kind in "iufb":
        scores = cats.astype(float)
    else:
        scores = np.arange(1.0, len(cats) + 1.0)
    return _Coded(codes=codes, categories=cats, scores=scores, n_dropped=n_dropped)


def _unit_counts(codes: np.ndarray, q: int) -> np.ndarray:
    """Return the units x categories matrix of how many raters chose each category."""
    n = codes.shape[0]
    valid = codes >= 0
    flat = (np.arange(n, dtype=np.int64)[:, None] * q + codes)[valid]
    return np.bincount(flat, minlength=n * q).reshape(n, q).astype(float)


def _weight_matrix(scores: np.ndarray, weights: str | None) -> np.ndarray:
    """Return the q x q agreement weights (Gwet 2014, ch. 3; Cicchetti-Allison, Fleiss-Cohen).

    Linear: ``1 - |x_k - x_l| / (max - min)``; quadratic: ``1 - (x_k - x_l)^2 / (max - min)^2``,
    with ``x`` the numeric category values (positions 1..q for text labels).
    """
    q = len(scores)
    if weights is None:
        return np.eye(q)
    if weights not in ("linear", "quadratic"):
        raise ValueError(f"weights must be None, 'linear' or 'quadratic'; got {weights!r}")
    span = scores.max() - scores.min()
    if q < 2 or span == 0:
        return np.eye(q)
    dist = np.abs(scores[:, None] - scores[None, :]) / span
    return 1.0 - (dist if weights == "linear" else dist**2)


def _chance_corrected(pa: np.ndarray, pe: np.ndarray) -> np.ndarray:
    """Return ``(pa - pe) / (1 - pe)``, NaN where chance agreement is (numerically) 1."""
    pa, pe = np.asarray(pa, dtype=float), np.asarray(pe, dtype=float)
    degenerate = 1.0 - pe <= 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (pa - pe) / (1.0 - pe)
    return np.where(degenerate, np.nan, out)


def _warn_if_undefined(value: float, name: str) -> float:
    if np.isnan(value):
        warnings.warn(_PREVALENCE_WARNING.format(name=name), RuntimeWarning, stacklevel=3)
    return float(value)


def fleiss_kappa(ratings: object, categories: object = None, weights: str | None = None) -> float:
    r"""Fleiss' kappa for any number of raters, with Gwet's generalisation for missing ratings.

    Observed agreement is the mean, over units rated at least twice, of the
    (weighted) proportion of agreeing rater pairs; chance agreement is
    :math:`p_e = \sum_{kl} w_{kl}\pi_k\pi_l` with :math:`\pi_k` the mean share of
    category :math:`k` per unit (Fleiss 1971, eq. 2-9; Gwet 2014, *Handbook of
    Inter-Rater Reliability*, 4th ed., sec. 5.2, as irrCAC ``fleiss.kappa.raw``).

    Parameters
    ----------
    ratings : array-like, shape (units, raters)
        Category labels (numbers or strings); NaN or None marks a missing rating.
        Units may have different numbers of ratings.
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
    >>> ratings = [[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, 1], [3, 3, 3]]
    >>> round(fleiss_kappa(ratings), 4)
    0.6
    >>> round(fleiss_kappa([["a", "a"], ["b", None], ["b", "b"], ["a", "b"]]), 4)
    0.2889
    """
    coded = _code_ratings(ratings, categories)
    counts = _unit_counts(coded.codes, coded.q)
    w = _weight_matrix(coded.scores, weights)
    stats = _gwet_unit_stats(counts, w).sum(axis=0)
    return _warn_if_undefined(_fleiss_from_sums(stats, w), "Fleiss' kappa")


def _gwet_unit_stats(counts: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-unit additive statistics ``[1, r_i >= 2, pa_i, r_ik / r_i ...]`` (Gwet 2014, ch. 5)."""
    n_i = counts.sum(axis=1)
    agree = (counts * (counts @ w.T - 1.0)).sum(axis=1)
    pairs = n_i * (n_i - 1.0)
    two = pairs > 0
    pa_i = np.divide(agree, pairs, out=np.zeros_like(agree), where=two)
    shares = counts / n_i[:, None]
    return np.column_stack([np.ones_like(n_i), two.astype(float), pa_i, shares])


def _fleiss_from_sums(sums: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Fleiss' kappa from summed unit statistics; vectorised over leading axes."""
    pa = sums[..., 2] / sums[..., 1]
    pi = sums[..., 3:] / sums[..., :1]
    pe = np.einsum("...k,kl,...l->...", pi, w, pi)
    return _chance_corrected(pa, pe)
