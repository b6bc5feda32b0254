"""alliance.stats.agreement against published reference values, and its hard cases.

Every expected number below is printed in a cited source, compared at the decimals
the source prints. Cross-checks against independent implementations on random data
live in ``test_reliability_crosscheck.py``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from alliance.stats import agreement as rel
from alliance.stats.agreement import (
    AgreementWarning,
    agreement,
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    light_kappa,
    per_category_agreement,
    percent_agreement,
)

nan = np.nan


def expand_counts(counts):
    """Units x categories counts -> units x raters labels 1..q (raters exchangeable)."""
    return np.array([np.repeat(np.arange(1, len(row) + 1), row) for row in counts])


def expand_table(table, labels):
    """Two-rater contingency table -> units x 2 ratings."""
    table = np.asarray(table)
    return np.array(
        [
            (labels[i], labels[j])
            for i in range(table.shape[0])
            for j in range(table.shape[1])
            for _ in range(table[i, j])
        ]
    )


def to_long(matrix):
    matrix = np.asarray(matrix, dtype=object)
    n, r = matrix.shape
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), r),
            "rater": np.tile([f"R{j + 1}" for j in range(r)], n),
            "code": matrix.ravel(),
        }
    )


def row(table, coefficient):
    return table.set_index("coefficient").loc[coefficient]


# Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses
# (depression, personality disorder, schizophrenia, neurosis, other).
FLEISS_1971 = [
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
]  # fmt: skip

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": coders A-D
# (rows) x 12 units, with missing values; the function takes units x raters.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
).T


# --- Fleiss (1971) ---------------------------------------------------------------


def test_fleiss_1971_overall_kappa():
    # Fleiss (1971, p. 381): kappa = .430 for the 30 x 6 diagnoses.
    assert round(fleiss_kappa(expand_counts(FLEISS_1971)), 3) == 0.430


def test_fleiss_1971_category_kappas():
    # Fleiss (1971), category-specific kappas, as also printed by R irr's
    # kappam.fleiss(diagnoses, detail = TRUE): .245 .245 .520 .471 .566.
    res = per_category_agreement(to_long(expand_counts(FLEISS_1971)), "unit", "rater", "code")
    assert res["estimate"].round(3).tolist() == [0.245, 0.245, 0.520, 0.471, 0.566]
    assert res["category"].tolist() == [1, 2, 3, 4, 5]


# --- Krippendorff (2011) -------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_reliability_data(level, expected):
    # Krippendorff (2011), sections C-F: alpha = .743, .815, .849, .797.
    with pytest.warns(AgreementWarning, match="1 of 12 units"):
        assert round(krippendorff_alpha(KRIPPENDORFF_2011, level), 3) == expected


def test_krippendorff_ordinal_text_labels_follow_given_order():
    words = np.array(["very low", "low", "mid", "high", "very high"], dtype=object)
    labels = np.where(np.isnan(KRIPPENDORFF_2011), None, KRIPPENDORFF_2011)
    text = np.vectorize(lambda v: None if v is None else words[int(v) - 1], otypes=[object])(labels)
    with pytest.warns(AgreementWarning):
        value = krippendorff_alpha(text, "ordinal", categories=list(words))
    assert round(value, 3) == 0.815


# --- irrCAC documented outputs (Gwet 2014 examples) ------------------------------

# irrCAC dataset cac.raw4raters: Krippendorff's example, except that the lone rating
# of unit 12 belongs to Rater3 (coder B in Krippendorff 2011), which matters for Conger.
RAW4RATERS = KRIPPENDORFF_2011.copy()
RAW4RATERS[11] = [nan, nan, 3, nan]

# irrCAC README / vignette output for cac.raw4raters (12 units, 4 raters, missing):
# coefficient, estimate, standard error as printed by irrCAC 1.0 (5 decimals).
IRRCAC_RAW4RATERS = [
    ("percent_agreement", 0.81818, 0.12561),
    ("gwet_ac1", 0.77544, 0.14295),
    ("fleiss_kappa", 0.76117, 0.15302),
    ("krippendorff_alpha", 0.74342, 0.14557),
    ("conger_kappa", 0.76282, 0.14917),
    ("brennan_prediger", 0.77273, 0.14472),
]


@pytest.fixture(scope="module")
def raw4raters_table():
    with pytest.warns(AgreementWarning, match="1 of 12 units"):
        return agreement(to_long(RAW4RATERS), "unit", "rater", "code")


@pytest.mark.parametrize(("coefficient", "estimate", "se"), IRRCAC_RAW4RATERS)
def test_irrcac_raw4raters(raw4raters_table, coefficient, estimate, se):
    got = row(raw4raters_table, coefficient)
    assert round(got["estimate"], 5) == estimate
    assert round(got["se"], 5) == se


def test_irrcac_raw4raters_intervals(raw4raters_table):
    # irrCAC prints the intervals at 3 decimals: AC1 (0.461, 1), Fleiss (0.424, 1),
    # alpha (0.419, 1), BP (0.454, 1), Conger (0.435, 1), PA (0.542, 1).
    expected = {
        "gwet_ac1": 0.461,
        "fleiss_kappa": 0.424,
        "krippendorff_alpha": 0.419,
        "brennan_prediger": 0.454,
        "conger_kappa": 0.435,
        "percent_agreement": 0.542,
    }
    for coefficient, low in expected.items():
        got = row(raw4raters_table, coefficient)
        assert round(got["ci_low"], 3) == low
        assert got["ci_high"] == 1.0


def test_irrcac_python_port_docstring_values():
    # irrCAC (Python port 0.4.4) module docstring: Fleiss 0.76117 (0.42438, 1),
    # AC1 0.77544 (0.46081, 1), pa 0.81818, pe 0.23872 / 0.19032.
    with pytest.warns(AgreementWarning):
        res = agreement(to_long(RAW4RATERS), "unit", "rater", "code")
    assert round(row(res, "fleiss_kappa")["ci_low"], 5) == 0.42438
    assert round(row(res, "gwet_ac1")["ci_low"], 5) == 0.46081


# irrCAC README, distrib.6raters (the first 15 patients of Fleiss 1971).
IRRCAC_DISTRIB_6RATERS = [
    ("gwet_ac1", 0.4448007, 0.08418757),
    ("fleiss_kappa", 0.4139265, 0.08119291),
    ("brennan_prediger", 0.4388889, 0.08312142),
]


@pytest.mark.parametrize(("coefficient", "estimate", "se"), IRRCAC_DISTRIB_6RATERS)
def test_irrcac_distrib_6raters(coefficient, estimate, se):
    res = agreement(to_long(expand_counts(FLEISS_1971[:15])), "unit", "rater", "code")
    got = row(res, coefficient)
    assert round(got["estimate"], 7) == estimate
    assert round(got["se"], 8) == se


def test_irrcac_distrib_6raters_alpha_estimate():
    # krippen.alpha.dist prints alpha = 0.4204384. Its standard error (0.08243228)
    # comes from irrCAC's distribution-table formula; we follow the raw-data formula
    # (krippen.alpha.raw), validated on cac.raw4raters above.
    value = krippendorff_alpha(expand_counts(FLEISS_1971[:15]))
    assert round(value, 7) == 0.4204384


def test_irrcac_cont3x3abstractors():
    # irrCAC README, 2-rater table cont3x3abstractors (100 units): Cohen 0.7964094
    # (se 0.05891072), Scott's pi 0.7962397, AC1 0.8493305, Brennan-Prediger 0.835,
    # Krippendorff 0.7972585, percent agreement 0.89.
    ratings = expand_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]], ["Ectopic", "AIU", "NIU"])
    res = agreement(to_long(ratings), "unit", "rater", "code")
    assert round(row(res, "cohen_kappa")["estimate"], 7) == 0.7964094
    assert round(row(res, "cohen_kappa")["se"], 8) == 0.05891072
    assert round(row(res, "fleiss_kappa")["estimate"], 7) == 0.7962397  # = Scott's pi
    assert round(row(res, "gwet_ac1")["estimate"], 7) == 0.8493305
    assert round(row(res, "brennan_prediger")["estimate"], 7) == 0.835
    assert round(row(res, "krippendorff_alpha")["estimate"], 7) == 0.7972585
    assert round(row(res, "percent_agreement")["estimate"], 7) == 0.89
    # irrCAC's *.table functions divide the variance by n instead of n - 1 (its
    # raw-data functions, which we follow, use n - 1): the standard errors differ by
    # exactly sqrt((n - 1) / n).
    shrink = np.sqrt(99 / 100)
    assert round(row(res, "gwet_ac1")["se"] * shrink, 8) == 0.04321747
    assert round(row(res, "brennan_prediger")["se"] * shrink, 8) == 0.04693346
    assert round(row(res, "percent_agreement")["se"] * shrink, 8) == 0.03128898


# --- SAS PROC FREQ (Cohen's kappa with asymptotic standard errors) ---------------


@pytest.mark.parametrize(
    ("table", "weights", "expected"),
    [
        # SAS output for Uebersax's kappa example (www.john-uebersax.com/stat/saskappa.htm),
        # reproduced in statsmodels' inter_rater tests: Simple Kappa 0.3333, ASE 0.0814,
        # 95% CL 0.1738-0.4929; Weighted Kappa 0.2895, ASE 0.0756, CL 0.1414-0.4376.
        ([[0, 0, 0], [5, 16, 3], [8, 12, 28]], None, (0.3333, 0.0814, 0.1738, 0.4929)),
        ([[0, 0, 0], [5, 16, 3], [8, 12, 28]], "linear", (0.2895, 0.0756, 0.1414, 0.4376)),
        # SAS printout in statsmodels' test_inter_rater.py (table10): Kappa 0.4842,
        # ASE 0.1380, CL 0.2137-0.7547; Weighted Kappa 0.4701, ASE 0.1457, CL 0.1845-0.7558.
        ([[0, 4, 1], [0, 8, 0], [0, 1, 5]], None, (0.4842, 0.1380, 0.2137, 0.7547)),
        ([[0, 4, 1], [0, 8, 0], [0, 1, 5]], "linear", (0.4701, 0.1457, 0.1845, 0.7558)),
    ],
)
def test_sas_proc_freq_kappa(table, weights, expected):
    ratings = expand_table(table, [1, 2, 3])
    res = agreement(
        to_long(ratings),
        "unit",
        "rater",
        "code",
        methods="cohen_kappa",
        categories=[1, 2, 3],
        weights=weights,
    )
    got = res.iloc[0]
    assert (
        round(got["estimate"], 4),
        round(got["se"], 4),
        round(got["ci_low"], 4),
        round(got["ci_high"], 4),
    ) == expected
    assert "SAS" in got["ci_method"]


# --- Randolph (2005) free-marginal kappa and the prevalence paradox ------------


@pytest.mark.parametrize(
    ("counts", "q", "overall", "fixed", "free"),
    [
        # Randolph's Online Kappa Calculator (implementing Randolph 2005), values
        # recorded in statsmodels' test_fleis_randolph: % overall agreement,
        # fixed-marginal (Fleiss) kappa, free-marginal kappa.
        ([[7, 1], [3, 5]], 2, 0.607143, 0.161905, 0.214286),
        ([[6, 1, 0], [0, 7, 0]], 3, 0.857143, 0.708333, 0.785714),
        ([[7, 0], [0, 7]], 2, 1.0, 1.0, 1.0),
    ],
)
def test_randolph_free_marginal(counts, q, overall, fixed, free):
    ratings = expand_counts(counts)
    cats = list(range(1, q + 1))
    assert round(percent_agreement(ratings, cats), 6) == overall
    assert round(fleiss_kappa(ratings, cats), 6) == fixed
    assert round(brennan_prediger(ratings, cats), 6) == free


def test_prevalence_paradox_all_one_category():
    # Randolph's calculator: 7 raters all choose the first of two categories ->
    # free-marginal kappa 1; the fixed-marginal kappa is undefined.
    ratings = expand_counts([[7, 0], [7, 0]])
    for func in (fleiss_kappa, conger_kappa, light_kappa):
        with pytest.warns(AgreementWarning, match="prevalence paradox"):
            assert np.isnan(func(ratings, [1, 2]))
    with pytest.warns(AgreementWarning, match="prevalence paradox"):
        assert np.isnan(krippendorff_alpha(ratings, categories=[1, 2]))
    with pytest.warns(AgreementWarning, match="prevalence paradox"):
        assert np.isnan(cohen_kappa(ratings[:, :2], [1, 2]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert brennan_prediger(ratings, [1, 2]) == 1.0
        assert gwet_ac1(ratings, [1, 2]) == 1.0
        assert percent_agreement(ratings) == 1.0


def test_prevalence_paradox_without_categories_is_nan_for_ac1():
    # With a single observed category and no `categories`, q = 1: AC1 and
    # Brennan-Prediger are undefined too (irrCAC would divide by q - 1 = 0).
    with pytest.warns(AgreementWarning, match="prevalence paradox"):
        assert np.isnan(gwet_ac1([[0, 0], [0, 0]]))
    with pytest.warns(AgreementWarning, match="prevalence paradox"):
        assert np.isnan(brennan_prediger([[0, 0], [0, 0]]))


def test_prevalence_paradox_tidy():
    long = to_long([[1, 1, 1], [1, 1, 1], [1, 1, 1]])
    with pytest.warns(AgreementWarning, match="Fleiss' kappa is undefined"):
        res = agreement(long, "unit", "rater", "code", methods=["fleiss_kappa"])
    assert np.isnan(row(res, "fleiss_kappa")["estimate"])
    assert np.isnan(row(res, "fleiss_kappa")["se"])


def test_pabak_is_brennan_prediger_for_binary_codes():
    # PABAK = 2 * p_o - 1 (Byrt, Bishop & Carlin 1993).
    ratings = expand_table([[40, 9], [6, 45]], [0, 1])
    assert brennan_prediger(ratings) == pytest.approx(2 * 0.85 - 1)


# --- Units with fewer than two ratings ---------------------------------------


def test_units_with_one_rating_are_reported_and_excluded():
    ratings = np.array([[1, 1], [2, 2], [1, 2], [2, nan], [nan, nan], [1, 1]])
    with pytest.warns(AgreementWarning, match="2 of 6 units were excluded"):
        value = cohen_kappa(ratings)
    complete = ratings[~np.isnan(ratings).any(axis=1)]
    assert value == cohen_kappa(complete)
    with pytest.warns(AgreementWarning, match="2 of 6 units"):
        res = agreement(to_long(ratings), "unit", "rater", "code", methods="cohen_kappa")
    assert res.attrs["n_units_excluded"] == 2
    assert res.loc[0, "n_units"] == 4


def test_rater_without_any_rating_changes_nothing():
    ratings = np.array(expand_counts(FLEISS_1971[:12]), dtype=float)[:, :4]
    ratings[[1, 5], [0, 2]] = nan
    blank = np.column_stack([ratings, np.full(len(ratings), nan)])
    full = agreement(to_long(ratings), "unit", "rater", "code")
    padded = agreement(to_long(blank), "unit", "rater", "code")
    cols = ["coefficient", "estimate", "se", "ci_low", "ci_high", "n_units"]
    pd.testing.assert_frame_equal(full[cols], padded[cols])


def test_absent_rows_count_as_missing_ratings():
    long = to_long([[1, 1, 2], [2, 2, 2], [1, 2, 1], [2, 1, 1]])
    dropped = long.drop(index=[2, 5])  # two ratings simply absent
    as_nan = long.copy()
    as_nan.loc[[2, 5], "code"] = nan
    a = agreement(dropped, "unit", "rater", "code")
    b = agreement(as_nan, "unit", "rater", "code")
    pd.testing.assert_frame_equal(a, b)


# --- Malformed input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("ratings", "kwargs", "message"),
    [
        ([1, 2, 3], {}, "2-D units x raters"),
        (np.zeros((2, 2, 2)), {}, "2-D units x raters"),
        ([[1], [2]], {}, "at least two raters"),
        (np.empty((0, 3)), {}, "no units"),
        ([[nan, nan], [nan, nan]], {}, "no rating at all"),
        ([[1, nan], [nan, 2]], {}, "no unit has two or more ratings"),
        ([[1, 2], [3, 1]], {"categories": [1, 2]}, r"label\(s\) \[3\]"),
        ([[1, 2], [2, 1]], {"categories": [1, 1, 2]}, "duplicated"),
        ([[1, "a"], ["a", 1]], {}, "mix text and non-text"),
        ([["a", "b"], ["b", "b"]], {"weights": "linear"}, "pass `categories` in their order"),
        ([[1, 2], [2, 1]], {"weights": "cubic"}, "weights must be"),
    ],
)
def test_malformed_array_input(ratings, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fleiss_kappa(ratings, **kwargs)


def test_cohen_needs_two_raters():
    with pytest.raises(ValueError, match="exactly two raters"):
        cohen_kappa([[1, 1, 2], [2, 2, 2]])


@pytest.mark.parametrize(
    ("level", "ratings", "kwargs", "message"),
    [
        ("cardinal", [[1, 2], [2, 2]], {}, "level must be"),
        ("interval", [["a", "b"], ["b", "b"]], {"categories": ["a", "b"]}, "numeric"),
        ("ordinal", [["a", "b"], ["b", "b"]], {}, "ordered categories"),
        ("ratio", [[-1, 2], [2, 2]], {}, "non-negative"),
    ],
)
def test_malformed_alpha_options(level, ratings, kwargs, message):
    with pytest.raises(ValueError, match=message):
        krippendorff_alpha(ratings, level, **kwargs)


@pytest.fixture
def long_table():
    return to_long([[1, 1, 2], [2, 2, 2], [1, 2, 1], [2, 1, 1], [1, 1, 1]])


def test_tidy_rejects_missing_column(long_table):
    with pytest.raises(ValueError, match=r"no column\(s\) \['coder'\]"):
        agreement(long_table, "unit", "coder", "code")


def test_tidy_rejects_duplicated_unit_rater(long_table):
    bad = pd.concat([long_table, long_table.iloc[[4]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"each unit x rater must appear once.*4, 15"):
        agreement(bad, "unit", "rater", "code")


def test_tidy_rejects_unit_in_two_clusters(long_table):
    long_table["session"] = long_table["unit"]
    long_table.loc[3, "session"] = 99
    with pytest.raises(ValueError, match="each unit must belong to one 'session'"):
        agreement(long_table, "unit", "rater", "code", ci="bootstrap", cluster="session")


def test_tidy_rejects_missing_rater(long_table):
    long_table.loc[7, "rater"] = None
    with pytest.raises(ValueError, match="column 'rater' is missing in row.*7"):
        agreement(long_table, "unit", "rater", "code")


def test_tidy_rejects_unknown_label_naming_column(long_table):
    with pytest.raises(ValueError, match="column 'code'.*not in categories"):
        agreement(long_table, "unit", "rater", "code", categories=[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"methods": "scotts_pi"}, "unknown method"),
        ({"methods": "cohen_kappa"}, "exactly two raters"),
        ({"ci": "jackknife"}, "ci must be"),
        ({"ci": "bootstrap", "n_boot": 1}, "n_boot"),
        ({"confidence": 95}, "confidence"),
    ],
)
def test_tidy_rejects_bad_options(long_table, kwargs, message):
    with pytest.raises(ValueError, match=message):
        agreement(long_table, "unit", "rater", "code", **kwargs)


def test_tidy_rejects_non_dataframe():
    with pytest.raises(ValueError, match="pandas DataFrame"):
        agreement([[1, 2]], "unit", "rater", "code")


# --- Tidy API behaviour ------------------------------------------------------


def test_tidy_matches_array_api_and_columns():
    ratings = expand_counts(FLEISS_1971)
    res = agreement(to_long(ratings), "unit", "rater", "code")
    assert list(res.columns) == [
        "coefficient",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "ci_method",
        "n_units",
        "n_raters",
    ]
    assert "cohen_kappa" not in set(res["coefficient"])  # six raters
    for name in res["coefficient"]:
        assert row(res, name)["estimate"] == pytest.approx(getattr(rel, name)(ratings))
    assert set(res["n_units"]) == {30}
    assert set(res["n_raters"]) == {6}


def test_tidy_units_from_several_columns():
    long = to_long(expand_counts(FLEISS_1971))
    long["session"] = long["unit"] // 3
    long["theme"] = long["unit"] % 3
    a = agreement(long, ["session", "theme"], "rater", "code", methods="fleiss_kappa")
    b = agreement(long, "unit", "rater", "code", methods="fleiss_kappa")
    pd.testing.assert_frame_equal(a, b)


def test_bootstrap_is_seeded_and_resamples_clusters():
    long = to_long(expand_counts(FLEISS_1971))
    long["patient_group"] = long["unit"] // 5
    kwargs = dict(ci="bootstrap", n_boot=300, cluster="patient_group", seed=7)
    a = agreement(long, "unit", "rater", "code", **kwargs)
    b = agreement(long, "unit", "rater", "code", **kwargs)
    pd.testing.assert_frame_equal(a, b)
    assert a["ci_method"].str.contains("300 resamples of 'patient_group' clusters").all()
    assert (a["ci_low"] < a["estimate"]).all() and (a["estimate"] < a["ci_high"]).all()


def test_vectorised_bootstrap_equals_explicit_resampling():
    # Each replicate from the matrix product equals the coefficient recomputed on the
    # data obtained by actually copying the drawn clusters.
    ratings = np.array(expand_counts(FLEISS_1971), dtype=float)
    ratings[[0, 4, 9], [1, 2, 5]] = nan
    clusters = np.arange(30) // 3
    draws = rel._bootstrap_draws(10, 5, np.random.default_rng(3))
    coded = rel._code_ratings(ratings)
    for method in ("fleiss_kappa", "krippendorff_alpha", "conger_kappa", "light_kappa"):
        coef = rel._METHODS[method]
        spec = rel._make_spec(method, coded, None, None, "nominal")
        replicates = coef.estimate(draws @ coef.sums(coded, spec, clusters, 10), coded, spec)
        for b in range(5):
            take = np.repeat(np.arange(10), draws[b].astype(int))
            resampled = np.concatenate([ratings[clusters == c] for c in take])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AgreementWarning)
                direct = getattr(rel, method)(resampled, categories=[1, 2, 3, 4, 5])
            assert replicates[b] == pytest.approx(direct, abs=1e-12)


def test_bootstrap_se_close_to_analytic_on_large_sample():
    rng = np.random.default_rng(11)
    truth = rng.integers(0, 3, 2000)
    ratings = np.where(rng.random((2000, 3)) < 0.8, truth[:, None], rng.integers(0, 3, (2000, 3)))
    long = to_long(ratings)
    methods = ["fleiss_kappa", "gwet_ac1", "krippendorff_alpha", "conger_kappa"]
    analytic = agreement(long, "unit", "rater", "code", methods=methods)
    boot = agreement(long, "unit", "rater", "code", methods=methods, ci="bootstrap", seed=1)
    ratio = boot["se"] / analytic["se"]
    assert ratio.between(0.85, 1.15).all(), ratio.tolist()


def test_per_category_flags_unused_code():
    long = to_long([[1, 1, 2], [2, 2, 2], [1, 2, 1], [2, 1, 1]])
    with pytest.warns(AgreementWarning, match="for category 3"):
        res = per_category_agreement(long, "unit", "rater", "code", categories=[1, 2, 3])
    assert np.isnan(res.loc[2, "estimate"])
    assert res.loc[2, "prevalence"] == 0.0
    assert res["prevalence"].sum() == pytest.approx(1.0)


def test_per_category_binary_equals_overall_fleiss():
    # With two codes, one-vs-rest kappa of either code is the overall kappa.
    ratings = expand_counts([[3, 0], [2, 1], [0, 3], [1, 2], [3, 0], [0, 3]])
    with pytest.warns(AgreementWarning, match="bootstrap resamples left"):
        res = per_category_agreement(
            to_long(ratings), "unit", "rater", "code", ci="bootstrap", seed=5
        )
    assert res["estimate"].tolist() == pytest.approx([fleiss_kappa(ratings)] * 2)


def test_bootstrap_blocks_do_not_change_the_resamples(monkeypatch):
    # Many clusters are resampled in blocks to bound memory; the blocks must draw the
    # same resamples as a single block.
    long = to_long(expand_counts(FLEISS_1971))
    kwargs = dict(methods=["fleiss_kappa", "light_kappa"], ci="bootstrap", n_boot=200, seed=4)
    whole = agreement(long, "unit", "rater", "code", **kwargs)
    monkeypatch.setattr(rel, "_BLOCK_CELLS", 30 * 7)  # blocks of 7 resamples
    blocked = agreement(long, "unit", "rater", "code", **kwargs)
    pd.testing.assert_frame_equal(whole, blocked)


def test_undefined_estimate_gets_an_undefined_interval():
    """All ratings in one category: the estimate is NaN, so neither limit may be a number."""
    data = pd.DataFrame({"unit": [0, 0, 1, 1, 2, 2], "rater": ["a", "b"] * 3, "code": ["x"] * 6})
    with pytest.warns(rel.AgreementWarning):
        table = rel.agreement(data, "unit", "rater", "code", methods=["fleiss_kappa"])
    row = table.iloc[0]
    assert np.isnan(row["estimate"]) and np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
