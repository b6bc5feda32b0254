r"""Engine of :mod:`alliance.stats.agreement`: coded ratings and the coefficients.

Every coefficient is a :class:`_Coefficient` with three parts that the public array and
tidy APIs combine: ``sums`` (additive per-unit statistics, summed within groups of
units), ``estimate`` (the coefficient from such sums, vectorised over leading axes, so
that a bootstrap only re-weights per-cluster sums) and ``standard_error`` (the analytic
variance of Gwet 2014, or the asymptotic one SAS prints for Cohen's kappa). The
references are listed in :mod:`alliance.stats.agreement`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

WEIGHTS = (None, "linear", "quadratic")
LEVELS = ("nominal", "ordinal", "interval", "ratio")


# ---------------------------------------------------------------------------
# Input: labels -> integer codes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Coded:
    """Ratings recoded to category positions; ``-1`` marks a missing rating.

    Units without a single rating are dropped on construction (they carry no
    information for any coefficient); ``n_empty`` counts them.
    """

    codes: np.ndarray
    categories: np.ndarray
    scores: np.ndarray
    numeric: bool
    n_empty: int = 0
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return self.codes.shape[0]

    @property
    def r(self) -> int:
        return self.codes.shape[1]

    @property
    def q(self) -> int:
        return len(self.categories)

    @cached_property
    def counts(self) -> np.ndarray:
        """Units x categories matrix: how many raters put unit i in category k."""
        unit = np.arange(self.n)[:, None]
        return _grouped_counts(unit, self.codes, self.q, self.n, valid=self.codes >= 0)

    @cached_property
    def ratings_per_unit(self) -> np.ndarray:
        """How many ratings each unit has."""
        return sum(self.codes[:, j] >= 0 for j in range(self.r)).astype(np.int64)

    @property
    def n_units_below_two(self) -> int:
        """Units (including all-missing ones) that have fewer than two ratings."""
        return int((self.ratings_per_unit < 2).sum()) + self.n_empty


def _plain(values: object) -> list:
    """Labels as plain Python objects, for readable messages."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _encode_labels(values: np.ndarray, categories: object) -> tuple[np.ndarray, np.ndarray]:
    """Map a 1-D array of labels to positions in the category list (``-1`` = missing)."""
    missing = np.asarray(pd.isna(values), dtype=bool)
    if categories is None:
        codes, cats = pd.factorize(values, sort=True, use_na_sentinel=True)
        cats = np.asarray(cats)
        _check_label_types(cats)
        return np.asarray(codes, dtype=np.int64), cats
    cats = np.asarray(list(categories))
    if cats.ndim != 1 or len(cats) == 0:
        raise ValueError("categories must be a non-empty 1-D sequence of labels")
    if np.asarray(pd.isna(cats)).any():
        raise ValueError(f"categories must not contain missing values; got {_plain(cats)}")
    if len(pd.unique(cats)) != len(cats):
        raise ValueError(f"categories contains duplicated labels: {_plain(cats)}")
    _check_label_types(cats)
    codes = np.asarray(pd.Index(cats).get_indexer(values), dtype=np.int64)
    unknown = (codes < 0) & ~missing
    if unknown.any():
        bad = _plain(pd.unique(values[unknown]))[:5]
        raise ValueError(
            f"ratings contain label(s) {bad} that are not in categories {_plain(cats)} "
            f"(first at flat position {int(np.flatnonzero(unknown)[0])})"
        )
    return codes, cats


def _check_label_types(cats: np.ndarray) -> None:
    if cats.dtype != object or len(cats) == 0:
        return
    textual = [isinstance(c, str) for c in cats]
    if any(textual) and not all(textual):
        raise ValueError(
            f"ratings mix text and non-text labels {_plain(cats)[:6]}; use one label type"
        )


def _is_numeric(cats: np.ndarray) -> bool:
    if cats.dtype.kind in "iufb":
        return True
    return all(isinstance(c, int | float | np.number) and not isinstance(c, str) for c in cats)


def _code_matrix(codes: np.ndarray, cats: np.ndarray) -> _Coded:
    if codes.shape[1] < 2:
        raise ValueError(
            f"ratings have {codes.shape[1]} rater column(s); agreement needs at least two raters"
        )
    rated = (codes >= 0).any(axis=1)
    if not rated.any():
        raise ValueError("ratings contain no rating at all (every value is missing)")
    numeric = _is_numeric(cats)
    scores = cats.astype(float) if numeric else np.arange(1.0, len(cats) + 1.0)
    return _Coded(
        codes=codes[rated] if not rated.all() else codes,
        categories=cats,
        scores=scores,
        numeric=numeric,
        n_empty=int((~rated).sum()),
    )


def _code_ratings(ratings: object, categories: object = None) -> _Coded:
    """Validate a units x raters array-like and recode it to category positions."""
    if isinstance(ratings, pd.DataFrame):
        arr = ratings.to_numpy()
    elif isinstance(ratings, np.ndarray):
        arr = ratings
    else:  # keep each label's own type: numpy would turn [1, "a"] into strings
        arr = np.asarray(ratings, dtype=object)
    if arr.ndim != 2:
        raise ValueError(
            f"ratings must be a 2-D units x raters array; got {arr.ndim} dimension(s) "
            f"with shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError("ratings has no units (rows)")
    codes, cats = _encode_labels(arr.ravel(), categories)
    return _code_matrix(codes.reshape(arr.shape), cats)


def _grouped_counts(
    group: np.ndarray,
    index: np.ndarray,
    size: int,
    n_groups: int,
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Sum one-hot vectors of length ``size`` within groups: a ``(n_groups, size)`` array.

    ``group`` and ``index`` broadcast against each other; entries where ``valid`` is
    False go to a discarded overflow bin instead of being masked out (faster).
    """
    flat = group * size + index
    bins = n_groups * size
    if valid is not None:
        flat = np.where(valid, flat, bins)
    out = np.bincount(flat.ravel(), minlength=bins + 1)[:bins]
    return out.reshape(n_groups, size).astype(float, copy=False)


def _grouped_sums(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the rows of ``values`` within groups: a ``(n_groups, p)`` array."""
    if n_groups == 1:  # a BLAS product: much faster than sum(axis=0) on narrow arrays
        return (np.ones(values.shape[0]) @ values)[None, :]
    return np.stack(
        [np.bincount(group, weights=col, minlength=n_groups) for col in values.T], axis=1
    )


# ---------------------------------------------------------------------------
# Weights and distances
# ---------------------------------------------------------------------------


def _weight_matrix(coded: _Coded, weights: str | None) -> np.ndarray:
    """Agreement weights (Gwet 2014; Cicchetti & Allison 1971; Fleiss & Cohen 1973).

    ``linear``: :math:`1 - |x_k - x_l| / (x_{max} - x_{min})`; ``quadratic``:
    :math:`1 - (x_k - x_l)^2 / (x_{max} - x_{min})^2`, with :math:`x` the numeric
    category values, or positions 1..q for text labels (whose order must then be given
    through ``categories``).
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic'; got {weights!r}")
    q = coded.q
    if weights is None or q < 2:
        return np.eye(q)
    scores = coded.scores
    span = scores.max() - scores.min()
    dist = np.abs(scores[:, None] - scores[None, :]) / span
    return 1.0 - (dist if weights == "linear" else dist**2)


def _require_order(coded: _Coded, categories: object, what: str) -> None:
    if not coded.numeric and categories is None:
        raise ValueError(
            f"{what} needs ordered categories, but the labels are text "
            f"({_plain(coded.categories)[:6]}); pass `categories` in their order"
        )


def _alpha_distance(level: str, scores: np.ndarray, marginals: np.ndarray) -> np.ndarray:
    """Krippendorff's squared difference function, vectorised over leading axes.

    ``marginals`` has shape ``(..., q)`` (the coincidence-matrix margins); the result
    has shape ``(..., q, q)``. Krippendorff (2011), sec. "Difference functions".
    """
    q = scores.shape[0]
    shape = (*marginals.shape[:-1], q, q)
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(q), shape)
    if level == "ordinal":
        cum = np.cumsum(marginals, axis=-1)
        between = cum[..., None, :] - cum[..., :, None]
        half = (marginals[..., :, None] - marginals[..., None, :]) / 2.0
        return (between + half) ** 2
    diff = scores[:, None] - scores[None, :]
    if level == "interval":
        return np.broadcast_to(diff**2, shape)
    total = scores[:, None] + scores[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(total == 0, 0.0, diff / total) ** 2
    return np.broadcast_to(ratio, shape)


# ---------------------------------------------------------------------------
# Coefficients as functions of additive per-unit statistics
# ---------------------------------------------------------------------------


def _chance_corrected(pa: np.ndarray, pe: np.ndarray) -> np.ndarray:
    """Return ``(pa - pe) / (1 - pe)``; NaN where chance agreement is (numerically) 1."""
    pa, pe = np.asarray(pa, dtype=float), np.asarray(pe, dtype=float)
    degenerate = ~(1.0 - pe > 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (pa - pe) / (1.0 - pe)
    return np.where(degenerate, np.nan, out)


def _gwet_standard_error(
    est: float, pa_i: np.ndarray, two: np.ndarray, pe: float, pe_i: np.ndarray | None
) -> float:
    """Return a multi-rater coefficient's standard error (Gwet 2008; Gwet 2014).

    ``pa_i`` is each unit's observed agreement (0 for units with one rating),
    ``two`` flags units with two or more ratings, ``pe_i`` each unit's contribution
    to chance agreement (None when chance agreement is a constant, as for
    Brennan-Prediger and percent agreement). All units with a rating count in ``n``.
    """
    n = pa_i.shape[0]
    if n < 2 or not np.isfinite(est):
        return float("nan")
    kappa_i = (n / two.sum()) * (pa_i - pe * two) / (1.0 - pe)
    if pe_i is not None:
        kappa_i = kappa_i - 2.0 * (1.0 - est) * (pe_i - pe) / (1.0 - pe)
    return float(np.sqrt(np.sum((kappa_i - est) ** 2) / (n * (n - 1))))


@dataclass(frozen=True)
class _Spec:
    """What a coefficient needs: its weights and (for alpha) its level."""

    weights: np.ndarray
    level: str = "nominal"


class _Coefficient:
    """One agreement coefficient: additive sums, an estimator on sums, an analytic SE."""

    name: str
    label: str
    interval: str = "t"  # "t" (Gwet, df = n - 1), "normal" (SAS) or "none"

    def sums(self, coded: _Coded, spec: _Spec, group: np.ndarray, n_groups: int) -> np.ndarray:
        """Per-group sums of the per-unit statistics, shape ``(n_groups, p)``."""
        raise NotImplementedError

    def estimate(self, sums: np.ndarray, coded: _Coded, spec: _Spec) -> np.ndarray:
        """Return the coefficient from summed statistics, vectorised over leading axes."""
        raise NotImplementedError

    def standard_error(self, coded: _Coded, spec: _Spec, est: float) -> float:
        """Analytic standard error; NaN when no closed form is implemented."""
        return float("nan")

    def n_units(self, coded: _Coded) -> int:
        """Units that carry agreement information for this coefficient."""
        return int((coded.ratings_per_unit >= 2).sum())

    def df(self, coded: _Coded) -> int:
        """Degrees of freedom of the analytic t interval (irrCAC: units minus one)."""
        return coded.n - 1


class _GwetFamily(_Coefficient):
    r"""Coefficients sharing Gwet's observed agreement: PA, Fleiss, AC1/AC2, Brennan-Prediger.

    Per unit: ``[1, r_i >= 2, pa_i, r_ik / r_i ...]`` with
    :math:`pa_i = \sum_k r_{ik}(r^\star_{ik} - 1) / (r_i (r_i - 1))`,
    :math:`r^\star_{ik} = \sum_l w_{kl} r_{il}` (Gwet 2014).
    """

    @staticmethod
    def unit_stats(coded: _Coded, w: np.ndarray) -> np.ndarray:
        key = ("gwet", w.tobytes())
        if key not in coded.memo:
            coded.memo[key] = _GwetFamily._unit_stats(coded, w)
        return coded.memo[key]

    @staticmethod
    def _unit_stats(coded: _Coded, w: np.ndarray) -> np.ndarray:
        counts = coded.counts
        ones = np.ones(coded.q)
        n_i = counts @ ones
        agree = (counts * (counts @ w.T - 1.0)) @ ones
        pairs = n_i * (n_i - 1.0)
        two = pairs > 0
        pa_i = np.divide(agree, pairs, out=np.zeros_like(agree), where=two)
        shares = counts / n_i[:, None]
        return np.column_stack([np.ones_like(n_i), two.astype(float), pa_i, shares])

    def sums(self, coded, spec, group, n_groups):
        return _grouped_sums(self.unit_stats(coded, spec.weights), group, n_groups)

    def chance(self, pi: np.ndarray, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def unit_chance(self, shares: np.ndarray, pi: np.ndarray, w: np.ndarray):
        """Each unit's contribution to chance agreement (for the variance); None if constant."""
        return None

    def estimate(self, sums, coded, spec):
        with np.errstate(divide="ignore", invalid="ignore"):
            pa = sums[..., 2] / sums[..., 1]
            pi = sums[..., 3:] / sums[..., :1]
        return _chance_corrected(pa, self.chance(pi, spec.weights))

    def standard_error(self, coded, spec, est):
        stats_ = self.unit_stats(coded, spec.weights)
        pi = stats_[:, 3:].mean(axis=0)
        pe = float(self.chance(pi, spec.weights))
        pe_i = self.unit_chance(stats_[:, 3:], pi, spec.weights)
        return _gwet_standard_error(est, stats_[:, 2], stats_[:, 1], pe, pe_i)


class _PercentAgreement(_GwetFamily):
    name, label = "percent_agreement", "Percent agreement"

    def chance(self, pi, w):
        return np.zeros(pi.shape[:-1])


class _Fleiss(_GwetFamily):
    name, label = "fleiss_kappa", "Fleiss' kappa"

    def chance(self, pi, w):
        return np.einsum("...k,kl,...l->...", pi, w, pi)

    def unit_chance(self, shares, pi, w):
        return shares @ ((w @ pi + w.T @ pi) / 2.0)


class _GwetAC1(_GwetFamily):
    name, label = "gwet_ac1", "Gwet's AC1"

    def chance(self, pi, w):
        q = pi.shape[-1]
        if q < 2:
            return np.ones(pi.shape[:-1])
        return w.sum() * np.sum(pi * (1.0 - pi), axis=-1) / (q * (q - 1))

    def unit_chance(self, shares, pi, w):
        q = pi.shape[-1]
        return w.sum() / (q * (q - 1)) * (shares @ (1.0 - pi))


class _BrennanPrediger(_GwetFamily):
    name, label = "brennan_prediger", "Brennan-Prediger"

    def chance(self, pi, w):
        return np.full(pi.shape[:-1], w.sum() / w.shape[0] ** 2)


class _Conger(_Coefficient):
    r"""Conger (1980): Fleiss' observed agreement, chance agreement from each rater's margins.

    Chance agreement is the mean over ordered rater pairs of
    :math:`\sum_{kl} w_{kl} p_{gk} p_{hl}`, with :math:`p_{gk}` the share of rater
    g's ratings in category k (Gwet 2014; irrCAC ``conger.kappa.raw``).
    A rater without any rating has no margins and takes no part in the pairs.
    """

    name, label = "conger_kappa", "Conger's kappa"

    def rater_counts(self, coded: _Coded, group: np.ndarray, n_groups: int) -> np.ndarray:
        index = np.arange(coded.r) * coded.q + coded.codes
        size = coded.r * coded.q
        return _grouped_counts(group[:, None], index, size, n_groups, valid=coded.codes >= 0)

    def sums(self, coded, spec, group, n_groups):
        gwet = _grouped_sums(_GwetFamily.unit_stats(coded, spec.weights)[:, :3], group, n_groups)
        return np.concatenate([gwet, self.rater_counts(coded, group, n_groups)], axis=1)

    @staticmethod
    def rater_shares(sums: np.ndarray, r: int, q: int) -> np.ndarray:
        per_rater = sums[..., 3:].reshape(*sums.shape[:-1], r, q)
        with np.errstate(divide="ignore", invalid="ignore"):
            return per_rater / per_rater.sum(axis=-1, keepdims=True)

    @staticmethod
    def chance(p: np.ndarray, w: np.ndarray) -> np.ndarray:
        active = np.isfinite(p[..., 0])
        r = active.sum(axis=-1)
        p = np.where(active[..., None], p, 0.0)
        total = p.sum(axis=-2)
        all_pairs = np.einsum("...k,kl,...l->...", total, w, total)
        same = np.einsum("...gk,kl,...gl->...", p, w, p)
        return (all_pairs - same) / (r * (r - 1))

    def estimate(self, sums, coded, spec):
        with np.errstate(divide="ignore", invalid="ignore"):
            pa = sums[..., 2] / sums[..., 1]
            pe = self.chance(self.rater_shares(sums, coded.r, coded.q), spec.weights)
        return _chance_corrected(pa, pe)

    def standard_error(self, coded, spec, est):
        w = spec.weights
        unit = _GwetFamily.unit_stats(coded, w)
        one = np.zeros(coded.n, dtype=np.int64)
        p = self.rater_shares(self.sums(coded, spec, one, 1)[0], coded.r, coded.q)
        pe = float(self.chance(p, w))
        active = np.isfinite(p[:, 0])
        p, codes = p[active], coded.codes[:, active]
        n, r = coded.n, len(p)
        rated = codes >= 0
        n_g = rated.sum(axis=0)
        v = (p.sum(axis=0)[None, :] - p) @ w  # v[g] = W^T (sum_h p_h - p_g)
        c = np.einsum("gk,gk->g", p, v)
        own = np.where(rated, v[np.arange(r)[None, :], np.maximum(codes, 0)], 0.0)
        lam = (n / n_g) * (own - (rated - n_g / n) * c)
        pe_i = lam.sum(axis=1) / (r * (r - 1))
        return _gwet_standard_error(est, unit[:, 2], unit[:, 1], pe, pe_i)


class _Krippendorff(_Coefficient):
    r"""Krippendorff's alpha from the coincidence matrix (Krippendorff 2011).

    Per group: the coincidence matrix :math:`o_{ck}`, summing over ordered pairs of
    ratings within each unit, each pair weighted by :math:`1/(m_u - 1)`. Then
    :math:`\alpha = 1 - (n - 1)\sum o_{ck}\delta_{ck} / \sum n_c n_k \delta_{ck}`.
    """

    name, label = "krippendorff_alpha", "Krippendorff's alpha"

    def sums(self, coded, spec, group, n_groups):
        counts, m = coded.counts, coded.ratings_per_unit
        scaled = counts * np.where(m >= 2, 1.0 / np.maximum(m - 1, 1), 0.0)[:, None]
        blocks = [_grouped_sums(scaled * counts[:, [k]], group, n_groups) for k in range(coded.q)]
        o = np.stack(blocks, axis=1)
        diagonal = np.arange(coded.q)
        o[:, diagonal, diagonal] -= _grouped_sums(scaled, group, n_groups)
        return o.reshape(n_groups, coded.q * coded.q)

    def estimate(self, sums, coded, spec):
        q = coded.q
        o = sums.reshape(*sums.shape[:-1], q, q)
        n_c = o.sum(axis=-1)
        n = n_c.sum(axis=-1)
        delta = _alpha_distance(spec.level, coded.scores, n_c)
        observed = np.sum(o * delta, axis=(-2, -1))
        expected = np.einsum("...c,...ck,...k->...", n_c, delta, n_c)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = 1.0 - (n - 1.0) * observed / expected
        return np.where(expected > 0, alpha, np.nan)

    def standard_error(self, coded, spec, est):
        """Return Gwet's (2014) SE, as ``krippen.alpha.raw``, weights ``1 - delta/max(delta)``."""
        one = np.zeros(coded.n, dtype=np.int64)
        o = self.sums(coded, spec, one, 1)[0].reshape(coded.q, coded.q)
        delta = _alpha_distance(spec.level, coded.scores, o.sum(axis=1))
        if not np.isfinite(est) or delta.max() == 0:
            return float("nan")
        w = 1.0 - delta / delta.max()
        pairable = coded.ratings_per_unit >= 2
        counts = coded.counts[pairable]
        m = counts.sum(axis=1)
        n, m_bar = len(m), m.mean()
        if n < 2:
            return float("nan")
        agree = (counts * (counts @ w.T - 1.0)).sum(axis=1) / (m_bar * (m - 1.0))
        pa_prime = agree.mean()
        eps = 1.0 / m.sum()
        pa = (1.0 - eps) * pa_prime + eps
        pi = counts.sum(axis=0) / m.sum()
        pe = float(pi @ w @ pi)
        alpha_prime = (pa_prime - pe) / (1.0 - pe)
        pa_i = agree - pa * (m - m_bar) / m_bar
        pe_i = counts @ ((w @ pi + w.T @ pi) / 2.0) / m_bar - pe * (m - m_bar) / m_bar
        alpha_i = (pa_i - pe) / (1.0 - pe) - 2.0 * (1.0 - alpha_prime) * (pe_i - pe) / (1.0 - pe)
        return float(np.sqrt(np.sum((alpha_i - alpha_prime) ** 2) / (n * (n - 1))))

    def df(self, coded):
        return self.n_units(coded) - 1


def _cohen_from_tables(tables: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cohen's (weighted) kappa of ``(..., q, q)`` joint tables: ``(kappa, p, rows, cols, pe)``."""
    total = tables.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = tables / total[..., None, None]
    rows, cols = p.sum(axis=-1), p.sum(axis=-2)
    po = np.sum(w * p, axis=(-2, -1))
    pe = np.einsum("...k,kl,...l->...", rows, w, cols)
    return _chance_corrected(po, pe), p, rows, cols, pe


class _Cohen(_Coefficient):
    """Cohen's (1960) kappa for two raters, weighted as in Cohen (1968), on complete pairs.

    The analytic standard error is the asymptotic one SAS PROC FREQ prints
    (Fleiss, Cohen & Everitt 1969), with a normal interval.
    """

    name, label = "cohen_kappa", "Cohen's kappa"
    interval = "normal"

    def sums(self, coded, spec, group, n_groups):
        a, b = coded.codes[:, 0], coded.codes[:, 1]
        valid = (a >= 0) & (b >= 0)
        return _grouped_counts(group, a * coded.q + b, coded.q**2, n_groups, valid=valid)

    def estimate(self, sums, coded, spec):
        tables = sums.reshape(*sums.shape[:-1], coded.q, coded.q)
        return _cohen_from_tables(tables, spec.weights)[0]

    def standard_error(self, coded, spec, est):
        one = np.zeros(coded.n, dtype=np.int64)
        table = self.sums(coded, spec, one, 1)[0].reshape(coded.q, coded.q)
        w = spec.weights
        _, p, rows, cols, pe = _cohen_from_tables(table, w)
        if not np.isfinite(est):
            return float("nan")
        w_row, w_col = w @ cols, w.T @ rows
        spread = np.sum(p * (w - (w_row[:, None] + w_col[None, :]) * (1.0 - est)) ** 2)
        var = (spread - (est - pe * (1.0 - est)) ** 2) / ((1.0 - pe) ** 2 * table.sum())
        return float(np.sqrt(max(var, 0.0)))


class _Light(_Coefficient):
    """Light's (1971) kappa: the mean of Cohen's kappa over all pairs of raters.

    Each pair uses the units both raters rated; pairs that share no unit are left out.
    """

    name, label = "light_kappa", "Light's kappa"
    interval = "none"

    def sums(self, coded, spec, group, n_groups):
        q = coded.q
        first, second = np.triu_indices(coded.r, 1)
        a, b = coded.codes[:, first], coded.codes[:, second]
        index = np.arange(len(first)) * q * q + a * q + b
        valid = (a >= 0) & (b >= 0)
        return _grouped_counts(group[:, None], index, len(first) * q * q, n_groups, valid=valid)

    def estimate(self, sums, coded, spec):
        q = coded.q
        tables = sums.reshape(*sums.shape[:-1], -1, q, q)
        kappas = _cohen_from_tables(tables, np.eye(q))[0]
        shared = tables.sum(axis=(-2, -1)) > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(shared, kappas, 0.0).sum(axis=-1) / shared.sum(axis=-1)


_METHODS: dict[str, _Coefficient] = {
    m.name: m
    for m in (
        _PercentAgreement(),
        _Cohen(),
        _Fleiss(),
        _Conger(),
        _Krippendorff(),
        _GwetAC1(),
        _BrennanPrediger(),
        _Light(),
    )
}
_WEIGHTED = {"cohen_kappa", "fleiss_kappa", "conger_kappa", "gwet_ac1", "brennan_prediger"}


def _make_spec(
    method: str, coded: _Coded, categories: object, weights: str | None, level: str
) -> _Spec:
    if method == "cohen_kappa" and coded.r != 2:
        raise ValueError(
            f"cohen_kappa needs exactly two raters; got {coded.r}. Use conger_kappa (its "
            "multi-rater generalisation) or light_kappa (the mean pairwise Cohen's kappa)"
        )
    if method == "krippendorff_alpha":
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}; got {level!r}")
        if level == "ordinal":
            _require_order(coded, categories, "the ordinal level")
        if level in ("interval", "ratio") and not coded.numeric:
            raise ValueError(
                f"the {level} level needs numeric category values; got labels "
                f"{_plain(coded.categories)[:6]}"
            )
        if level == "ratio" and (coded.scores < 0).any():
            raise ValueError("the ratio level needs non-negative category values")
        return _Spec(weights=np.eye(coded.q), level=level)
    if method in _WEIGHTED:
        if weights is not None:
            _require_order(coded, categories, f"weights={weights!r}")
        return _Spec(weights=_weight_matrix(coded, weights))
    return _Spec(weights=np.eye(coded.q))
