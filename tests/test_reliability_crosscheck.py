"""alliance.stats.agreement against independent implementations on random ratings.

Peers and where their definitions coincide with ours:

* statsmodels ``fleiss_kappa`` (complete data only; ``method="randolph"`` is
  Brennan-Prediger with q = the number of columns of the count table) and
  ``cohens_kappa`` (kappa and its asymptotic SE; weights from integer scores 0..q-1).
* scikit-learn ``cohen_kappa_score``: its linear/quadratic weights use label
  *positions*, ours (like SAS and irrCAC) use numeric label *values*; they coincide for
  equally spaced labels, which is what we generate.
* ``krippendorff.alpha``: identical definition at all four levels, missing values
  included (rows are coders there, units here).
* Conger's kappa equals Cohen's kappa for two raters without missing ratings, and
  Light's kappa is the mean of scikit-learn's pairwise kappas. Gwet's AC1 has no peer
  installed; it is validated against irrCAC's documented outputs in
  ``test_reliability.py``.
"""

import itertools
import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa, to_table
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss
from test_reliability import to_long

from alliance.stats.agreement import (
    AgreementWarning,
    agreement,
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    light_kappa,
    percent_agreement,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rating_matrices(draw, min_raters=2, max_raters=5, missing=False):
    """Random units x raters integer labels 0..q-1, optionally with missing ratings."""
    q = draw(st.integers(2, 5))
    n = draw(st.integers(3, 40))
    r = draw(st.integers(min_raters, max_raters))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, q, n)
    accuracy = draw(st.floats(0.0, 1.0))
    ratings = np.where(rng.random((n, r)) < accuracy, truth[:, None], rng.integers(0, q, (n, r)))
    ratings = ratings.astype(float)
    if missing:
        ratings[rng.random((n, r)) < draw(st.floats(0.0, 0.4))] = np.nan
    return ratings, q


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AgreementWarning)
        return func(*args, **kwargs)


def same(a, b):
    return (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=1e-10)


@SETTINGS
@given(rating_matrices(max_raters=8))
def test_fleiss_matches_statsmodels_on_complete_tables(data):
    ratings, q = data
    table, _ = aggregate_raters(ratings.astype(int), n_cat=q)
    cats = list(range(q))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = sm_fleiss(table, method="fleiss")
        expected_bp = sm_fleiss(table, method="randolph")
    assert same(quiet(fleiss_kappa, ratings, cats), expected)
    assert same(quiet(brennan_prediger, ratings, cats), expected_bp)


@SETTINGS
@given(rating_matrices(max_raters=2), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_matches_sklearn(data, weights):
    ratings, q = data
    a, b = ratings.astype(int).T
    assume(len(set(a) | set(b)) > 1)
    expected = cohen_kappa_score(a, b, weights=weights, labels=list(range(q)))
    assert same(cohen_kappa(ratings, list(range(q)), weights), expected)


@SETTINGS
@given(rating_matrices(max_raters=2), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_estimate_and_ase_match_statsmodels(data, weights):
    ratings, q = data
    table = to_table(ratings.astype(int), bins=np.arange(q + 1))[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # statsmodels' H0 test at kappa=0
        if weights is None:
            ref = cohens_kappa(table)
        else:
            ref = cohens_kappa(table, weights=np.arange(q), wt=weights)
    assume(np.isfinite(ref.kappa) and ref.var_kappa > 0)
    res = agreement(
        to_long(ratings),
        "unit",
        "rater",
        "code",
        methods="cohen_kappa",
        categories=list(range(q)),
        weights=weights,
    ).iloc[0]
    assert res["estimate"] == pytest.approx(ref.kappa, abs=1e-10)
    # sqrt of a variance that is 0 up to rounding: allow ~1e-8 absolute noise
    assert res["se"] == pytest.approx(ref.std_kappa, abs=1e-7)


@SETTINGS
@given(
    rating_matrices(max_raters=6, missing=True),
    st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
)
def test_alpha_matches_krippendorff_package(data, level):
    ratings, q = data
    ratings = ratings + 1.0  # ratio level: strictly positive values
    pairable = (~np.isnan(ratings)).sum(axis=1) >= 2
    values = np.unique(ratings[pairable][~np.isnan(ratings[pairable])])
    assume(pairable.any() and len(values) > 1)
    expected = krippendorff.alpha(
        ratings.T, level_of_measurement=level, value_domain=np.arange(1.0, q + 1)
    )
    got = quiet(krippendorff_alpha, ratings, level, categories=np.arange(1.0, q + 1))
    assert got == pytest.approx(expected, abs=1e-9)


@SETTINGS
@given(rating_matrices(max_raters=2))
def test_conger_equals_cohen_for_two_complete_raters(data):
    ratings, q = data
    cats = list(range(q))
    assert same(quiet(conger_kappa, ratings, cats), quiet(cohen_kappa, ratings, cats))


@SETTINGS
@given(rating_matrices(min_raters=3, max_raters=5, missing=True))
def test_light_is_mean_pairwise_sklearn_kappa(data):
    ratings, q = data
    kappas = []
    for g, h in itertools.combinations(range(ratings.shape[1]), 2):
        both = ~np.isnan(ratings[:, g]) & ~np.isnan(ratings[:, h])
        if both.any():
            a, b = ratings[both, g].astype(int), ratings[both, h].astype(int)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UndefinedMetricWarning)
                kappas.append(cohen_kappa_score(a, b, labels=list(range(q))))
    assume(kappas and ((~np.isnan(ratings)).sum(axis=1) >= 2).any())
    assert same(quiet(light_kappa, ratings, list(range(q))), float(np.mean(kappas)))


@SETTINGS
@given(rating_matrices(max_raters=2, missing=True))
def test_percent_agreement_is_share_of_agreeing_complete_pairs(data):
    ratings, _ = data
    both = ~np.isnan(ratings).any(axis=1)
    assume(both.any())
    expected = np.mean(ratings[both, 0] == ratings[both, 1])
    assert quiet(percent_agreement, ratings) == pytest.approx(expected)


@SETTINGS
@given(rating_matrices(max_raters=5, missing=True))
def test_labels_are_only_names(data):
    # Recoding labels to strings (nominal coefficients) changes nothing.
    ratings, q = data
    assume(((~np.isnan(ratings)).sum(axis=1) >= 2).any())
    words = np.array([f"code {k}" for k in range(q)], dtype=object)
    text = np.where(np.isnan(ratings), None, words[np.nan_to_num(ratings).astype(int)])
    for func in (fleiss_kappa, conger_kappa, percent_agreement):
        assert same(quiet(func, text, list(words)), quiet(func, ratings, list(range(q))))
