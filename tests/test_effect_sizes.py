"""Effect sizes and the three comparisons of themes per session, checked against pingouin.

pingouin is an independent implementation (in the test environment only): the book
computes the tests with scipy.stats and the effect sizes with alliance.stats.effect_sizes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from alliance import load_study
from alliance.stats.effect_sizes import (
    cohen_d_average,
    matched_pairs_rank_biserial,
    rank_biserial,
)
from alliance.study.sampling import attach_dyads
from alliance.study.session_counts import (
    compare_counts_between,
    paired_comparison,
    themes_per_session,
)

TOLERANCE = {"rel": 1e-12, "abs": 1e-12, "nan_ok": True}


def _pingouin(function, *args, **kwargs) -> pd.Series:
    """The first row of a pingouin result, its warnings (equal samples, ...) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs).iloc[0]


@pytest.fixture(scope="module")
def study_counts() -> pd.DataFrame:
    study = load_study()
    return attach_dyads(themes_per_session(study.consensus), study.dyads)


def assert_paired_matches_pingouin(counts: pd.DataFrame) -> None:
    """paired_comparison of themes-per-session counts equals pingouin's wilcoxon and ttest."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # every pair tied: scipy and pingouin divide 0 by 0
        table = paired_comparison(counts).set_index("test")
    wide = counts.pivot(index="session_id", columns="informant", values="n_themes")
    client, therapist = wide["client"].to_numpy(float), wide["therapist"].to_numpy(float)
    wilcoxon = _pingouin(pg.wilcoxon, client, therapist)
    ttest = _pingouin(pg.ttest, client, therapist, paired=True)
    assert table.loc["wilcoxon", "statistic"] == pytest.approx(wilcoxon["W_val"], **TOLERANCE)
    assert table.loc["wilcoxon", "p_value"] == pytest.approx(wilcoxon["p_val"], **TOLERANCE)
    assert table.loc["wilcoxon", "effect_size"] == pytest.approx(wilcoxon["RBC"], **TOLERANCE)
    assert table.loc["paired t", "statistic"] == pytest.approx(ttest["T"], **TOLERANCE)
    assert table.loc["paired t", "p_value"] == pytest.approx(ttest["p_val"], **TOLERANCE)
    # pingouin prints |d|; the book's d carries the sign of the mean difference
    d = table.loc["paired t", "effect_size"]
    assert abs(d) == pytest.approx(ttest["cohen_d"], **TOLERANCE)
    if np.isfinite(d) and d != 0:
        assert np.sign(d) == np.sign(client.mean() - therapist.mean())


def assert_between_matches_pingouin(counts: pd.DataFrame) -> None:
    """compare_counts_between (concordant vs discordant, per informant) equals pingouin's mwu."""
    table = compare_counts_between(counts).set_index("informant")
    assert list(table.index) == sorted(counts["informant"].unique())
    for informant, row in table.iterrows():
        part = counts[counts["informant"] == informant]
        first = part.loc[part["dyad_type"] == "concordant", "n_themes"].to_numpy(float)
        second = part.loc[part["dyad_type"] == "discordant", "n_themes"].to_numpy(float)
        mwu = _pingouin(pg.mwu, first, second)
        assert row["U"] == pytest.approx(mwu["U_val"], **TOLERANCE)
        assert row["p_value"] == pytest.approx(mwu["p_val"], **TOLERANCE)
        assert row["rank_biserial"] == pytest.approx(mwu["RBC"], **TOLERANCE)


def test_session_count_comparisons_match_pingouin_on_the_study(study_counts):
    assert_paired_matches_pingouin(study_counts)
    assert_between_matches_pingouin(study_counts)


# Small whole numbers give many ties and many zero differences, as theme counts do;
# wider floats give the tie-free case.
counts = st.integers(0, 4)
reals = st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def paired_samples(draw, values=counts):
    n = draw(st.integers(2, 40))
    x = draw(st.lists(values, min_size=n, max_size=n))
    y = draw(st.lists(values, min_size=n, max_size=n))
    return np.array(x, float), np.array(y, float)


@settings(max_examples=150, deadline=None)
@given(st.one_of(paired_samples(counts), paired_samples(reals)))
@example((np.array([1.0, 1.0, 3.0]), np.array([1.0, 1.0, 3.0])))  # every pair tied
@example(
    (np.array([0.0, 2.0, 2.0, 4.0, 1.0]), np.array([0.0, 1.0, 3.0, 2.0, 1.0]))
)  # zeros and tied |differences|
def test_paired_effect_sizes_match_pingouin(samples):
    x, y = samples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # all pairs tied, or no variance: 0/0 or x/0, as pingouin
        rank_biserial_expected = _pingouin(pg.wilcoxon, x, y)["RBC"]
        d_expected = pg.compute_effsize(x, y, paired=True, eftype="cohen")
        d = cohen_d_average(x, y)
    assert matched_pairs_rank_biserial(x, y) == pytest.approx(rank_biserial_expected, **TOLERANCE)
    assert d == pytest.approx(d_expected, **TOLERANCE)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(counts, min_size=1, max_size=40),
    st.lists(counts, min_size=1, max_size=25),
    st.booleans(),
)
@example([2, 2, 2], [2], False)  # every value tied
@example([0, 1], [4, 4, 4, 0, 1], True)
def test_rank_biserial_matches_pingouin_with_unequal_sizes(x, y, swap):
    x, y = (
        (np.array(y, float), np.array(x, float))
        if swap
        else (np.array(x, float), np.array(y, float))
    )
    u = stats.mannwhitneyu(x, y, alternative="two-sided").statistic
    expected = _pingouin(pg.mwu, x, y)["RBC"]
    assert rank_biserial(u, len(x), len(y)) == pytest.approx(expected, **TOLERANCE)


@settings(max_examples=60, deadline=None)
@given(
    paired_samples(counts),
    st.lists(st.sampled_from(["concordant", "discordant"]), min_size=80, max_size=80),
)
def test_session_count_comparisons_match_pingouin_on_varied_counts(samples, dyad_types):
    client, therapist = samples
    n = len(client)
    frame = pd.DataFrame(
        {
            "session_id": [f"S{i:02d}" for i in range(n)] * 2,
            "informant": ["client"] * n + ["therapist"] * n,
            "n_themes": np.concatenate([client, therapist]).astype(int),
            "dyad_type": dyad_types[: 2 * n],
        }
    )
    assert_paired_matches_pingouin(frame)
    if (frame.groupby("informant")["dyad_type"].nunique() == 2).all():
        assert_between_matches_pingouin(frame)


def test_effect_sizes_refuse_bad_input_and_leave_all_ties_undefined():
    with pytest.raises(ValueError, match="paired 1-d samples"):
        matched_pairs_rank_biserial([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least two pairs"):
        cohen_d_average([1], [2])
    with pytest.raises(ValueError, match="between 0 and n_x"):
        rank_biserial(7, 2, 3)
    with pytest.raises(ValueError, match="at least one value"):
        rank_biserial(0, 0, 3)
    assert np.isnan(matched_pairs_rank_biserial([2, 3, 4], [2, 3, 4]))
    assert matched_pairs_rank_biserial([5, 6], [1, 1]) == 1.0
    assert rank_biserial(0, 3, 4) == -1.0
