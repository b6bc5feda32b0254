"""Themes-per-session helpers, checked against statistics and scipy.stats."""

from __future__ import annotations

import itertools
import statistics
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from alliance.data.codebook import THEMES
from alliance.stats.checks import InsufficientData
from alliance.study.session_counts import (
    compare_counts_between,
    count_summary_consistency,
    paired_comparison,
    paired_highlights,
    summarise_counts,
    themes_per_session,
)


def _coding(matrix: dict[tuple[str, str], list[int]]) -> pd.DataFrame:
    """Tidy coding from {(session, informant): [0/1 per theme]}."""
    rows = [
        (session, informant, theme, present)
        for (session, informant), codes in matrix.items()
        for theme, present in zip(THEMES, codes, strict=True)
    ]
    return pd.DataFrame(rows, columns=["session_id", "informant", "theme", "present"])


def _counts(client: list[int], therapist: list[int]) -> pd.DataFrame:
    sessions = [f"S{i:03d}" for i in range(len(client))]
    return pd.DataFrame(
        {
            "session_id": sessions * 2,
            "informant": ["client"] * len(client) + ["therapist"] * len(therapist),
            "n_themes": client + therapist,
        }
    )


def test_themes_per_session_sums_each_interview_and_keeps_zeros():
    coded = _coding(
        {
            ("S2", "client"): [1, 1, 0, 0, 0, 0, 0, 1],
            ("S1", "client"): [0] * 8,
            ("S1", "therapist"): [1] * 8,
        }
    )
    counts = themes_per_session(coded)
    assert counts.to_dict("list") == {
        "session_id": ["S1", "S1", "S2"],
        "informant": ["client", "therapist", "client"],
        "n_themes": [0, 8, 3],
    }


def test_themes_per_session_refuses_incomplete_coding():
    coded = _coding({("S1", "client"): [1] * 8}).iloc[:-1]
    with pytest.raises(ValueError, match="theme 'disengagement'"):
        themes_per_session(coded, themes=THEMES)
    # without the codebook's themes, a theme coded in one interview is expected in all
    coded = _coding({("S1", "client"): [1] * 8, ("S2", "client"): [0] * 8}).iloc[:-1]
    with pytest.raises(ValueError, match="session 'S2', informant 'client', theme 'disengagement'"):
        themes_per_session(coded)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 8), min_size=2, max_size=60),
    st.lists(st.integers(0, 8), min_size=2, max_size=60),
)
def test_summary_matches_statistics_module_with_sample_sd(client, therapist):
    counts = pd.concat(
        [
            pd.DataFrame({"informant": "client", "n_themes": client}),
            pd.DataFrame({"informant": "therapist", "n_themes": therapist}),
        ]
    )
    summary = summarise_counts(counts).set_index("informant")
    for informant, values in (("client", client), ("therapist", therapist)):
        row = summary.loc[informant]
        assert row["n"] == len(values)
        assert row["mean"] == pytest.approx(statistics.mean(values))
        assert row["sd"] == pytest.approx(statistics.stdev(values))  # ddof = 1
        assert row["median"] == pytest.approx(statistics.median(values))
        assert (row["min"], row["max"], row["total"]) == (min(values), max(values), sum(values))


def test_summary_by_two_columns_and_rejects_blank_groups():
    counts = pd.DataFrame(
        {
            "informant": ["client"] * 4,
            "dyad_type": ["concordant", "discordant", "discordant", None],
            "n_themes": [1, 2, 4, 3],
        }
    )
    with pytest.raises(ValueError, match="row 3"):
        summarise_counts(counts, by=["informant", "dyad_type"])
    summary = summarise_counts(counts.iloc[:3], by=["informant", "dyad_type"])
    assert summary["dyad_type"].tolist() == ["concordant", "discordant"]
    assert summary["mean"].tolist() == [1.0, 3.0]
    assert np.isnan(summary["sd"].iloc[0])  # one interview: the sample SD is undefined


CLIENT = [3, 2, 4, 1, 3, 2, 2, 5, 0, 3, 2, 4, 1, 3, 3, 2]
THERAPIST = [2, 2, 3, 2, 1, 1, 4, 3, 2, 3, 5, 2, 1, 4, 0, 2]


def test_paired_comparison_agrees_with_scipy():
    table = paired_comparison(_counts(CLIENT, THERAPIST)).set_index("test")
    x, y = np.array(CLIENT, float), np.array(THERAPIST, float)
    wilcoxon = stats.wilcoxon(x, y, correction=True)
    assert table.loc["wilcoxon", "statistic"] == pytest.approx(wilcoxon.statistic)
    assert table.loc["wilcoxon", "p_value"] == pytest.approx(wilcoxon.pvalue)
    ttest = stats.ttest_rel(x, y)
    assert table.loc["paired t", "statistic"] == pytest.approx(ttest.statistic)
    assert table.loc["paired t", "p_value"] == pytest.approx(ttest.pvalue)
    d = x - y
    d = d[d != 0]
    ranks = stats.rankdata(np.abs(d))
    rbc = (ranks[d > 0].sum() - ranks[d < 0].sum()) / ranks.sum()
    assert table.loc["wilcoxon", "effect_size"] == pytest.approx(rbc)
    d_av = (x - y).mean() / np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
    assert table.loc["paired t", "effect_size"] == pytest.approx(d_av)
    reverse = paired_comparison(_counts(THERAPIST, CLIENT)).set_index("test")
    assert reverse.loc["paired t", "effect_size"] == pytest.approx(-d_av)
    assert reverse.loc["wilcoxon", "effect_size"] == pytest.approx(-rbc)
    assert table.loc["wilcoxon", "n_tied"] == sum(
        a == b for a, b in zip(CLIENT, THERAPIST, strict=True)
    )
    assert table.loc["wilcoxon", "n_pairs"] == len(CLIENT)
    assert table.loc["paired t", "mean_difference"] == pytest.approx(
        statistics.mean(CLIENT) - statistics.mean(THERAPIST)
    )


def test_paired_comparison_pairs_by_session_not_by_row_order():
    counts = _counts(CLIENT, THERAPIST)
    shuffled = counts.sample(frac=1, random_state=7)
    pd.testing.assert_frame_equal(paired_comparison(shuffled), paired_comparison(counts))


def test_paired_comparison_names_sessions_without_a_pair():
    counts = _counts(CLIENT, THERAPIST)
    counts = counts[~((counts["session_id"] == "S004") & (counts["informant"] == "therapist"))]
    with pytest.raises(ValueError, match=r"sessions without a pair: \['S004'\]"):
        paired_comparison(counts)


def test_paired_comparison_rejects_other_informants_and_repeats():
    counts = _counts(CLIENT, THERAPIST)
    with pytest.raises(ValueError, match="'observer' in row 0"):
        paired_comparison(counts.assign(informant=["observer"] + counts["informant"].tolist()[1:]))
    with pytest.raises(ValueError, match="more than one row"):
        paired_comparison(pd.concat([counts, counts.iloc[[0]]]))


def test_compare_counts_between_agrees_with_scipy_mannwhitneyu():
    counts = _counts(CLIENT, THERAPIST)
    counts["dyad_type"] = np.where(np.arange(len(counts)) % 3 == 0, "concordant", "discordant")
    table = compare_counts_between(counts).set_index("informant")
    for informant in ("client", "therapist"):
        part = counts[counts["informant"] == informant]
        first = part.loc[part["dyad_type"] == "concordant", "n_themes"]
        second = part.loc[part["dyad_type"] == "discordant", "n_themes"]
        expected = stats.mannwhitneyu(first, second, alternative="two-sided")
        row = table.loc[informant]
        assert row["U"] == pytest.approx(expected.statistic)
        assert row["p_value"] == pytest.approx(expected.pvalue)
        assert row["rank_biserial"] == pytest.approx(
            2 * expected.statistic / (len(first) * len(second)) - 1
        )
        assert (row["n_1"], row["n_2"]) == (len(first), len(second))
        assert row["mean_1"] == pytest.approx(first.mean())


def test_compare_counts_between_needs_exactly_two_groups():
    counts = _counts(CLIENT, THERAPIST).assign(dyad_type="concordant")
    with pytest.raises(InsufficientData, match="exactly two groups"):
        compare_counts_between(counts)


def _printed(value: Fraction, square_root: bool = False) -> Decimal:
    """Print ``value`` (or its square root) at one decimal, half up, with 60-digit Decimals."""
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        if square_root:
            exact = exact.sqrt()
        return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(("n", "max_count"), [(3, 3), (4, 2), (5, 2)])
def test_consistency_agrees_with_brute_force_over_all_samples(n, max_count):
    """Enumerate every multiset of counts, print its mean and SD at one decimal, compare."""
    printed: dict[int, set[tuple[Decimal, Decimal]]] = {0: set(), 1: set()}
    for sample in itertools.combinations_with_replacement(range(max_count + 1), n):
        mean = Fraction(sum(sample), n)
        squares = sum((Fraction(x) - mean) ** 2 for x in sample)
        for ddof in (0, 1):
            sd = _printed(squares / (n - ddof), square_root=True)
            printed[ddof].add((_printed(mean), sd))
    for mean_tenths in range(10 * max_count + 1):
        for sd_tenths in range(10 * max_count):
            mean, sd = Decimal(mean_tenths) / 10, Decimal(sd_tenths) / 10
            table = count_summary_consistency(
                n, float(mean), float(sd), decimals=1, max_count=max_count
            ).set_index("ddof")
            for ddof in (0, 1):
                expected = (mean, sd) in printed[ddof]
                assert table.loc[ddof, "consistent"] == expected, (n, mean, sd, ddof)


@pytest.mark.parametrize(("n", "max_count"), [(3, 3), (5, 2)])
def test_truncated_consistency_agrees_with_brute_force(n, max_count):
    """As above, but the printed values are cut off after one decimal instead of rounded."""
    printed: dict[int, set[tuple[Decimal, Decimal]]] = {0: set(), 1: set()}
    for sample in itertools.combinations_with_replacement(range(max_count + 1), n):
        mean = Fraction(sum(sample), n)
        squares = sum((Fraction(x) - mean) ** 2 for x in sample)
        for ddof in (0, 1):
            with localcontext() as context:
                context.prec = 60
                variance = squares / (n - ddof)
                sd = (Decimal(variance.numerator) / Decimal(variance.denominator)).sqrt()
                exact_mean = Decimal(mean.numerator) / Decimal(mean.denominator)
                cut = (
                    exact_mean.quantize(Decimal("0.1"), rounding=ROUND_DOWN),
                    sd.quantize(Decimal("0.1"), rounding=ROUND_DOWN),
                )
            printed[ddof].add(cut)
    for mean_tenths in range(10 * max_count + 1):
        for sd_tenths in range(10 * max_count):
            mean, sd = Decimal(mean_tenths) / 10, Decimal(sd_tenths) / 10
            table = count_summary_consistency(
                n, float(mean), float(sd), decimals=1, max_count=max_count, rounding="truncate"
            ).set_index("ddof")
            for ddof in (0, 1):
                expected = (mean, sd) in printed[ddof]
                assert table.loc[ddof, "consistent"] == expected, (n, mean, sd, ddof)


def test_consistency_reproduces_the_published_sd_argument():
    # published: 55 sessions; therapists 2.65 (1.45), clients 2.56 (1.17)
    therapist = count_summary_consistency(55, 2.65, 1.45).set_index("ddof")
    assert not therapist.loc[1, "consistent"]  # the sample SD cannot print as 1.45
    assert therapist.loc[0, "consistent"]
    total, squares = therapist.loc[0, "solutions"][0]
    assert total == 146 and squares % 2 == total % 2
    client = count_summary_consistency(55, 2.56, 1.17).set_index("ddof")
    assert client.loc[0, "consistent"]


def test_summary_reports_sum_of_squares_and_population_sd():
    counts = _counts(CLIENT, THERAPIST)
    summary = summarise_counts(counts, ddof=0).set_index("informant")
    assert summary.loc["client", "sd"] == pytest.approx(statistics.pstdev(CLIENT))
    assert summary.loc["client", "sum_squares"] == sum(x * x for x in CLIENT)


def test_paired_highlights_agree_with_scipy_and_a_loop():
    rng = np.random.default_rng(12)
    client, therapist = rng.integers(0, 6, 30), rng.integers(0, 6, 30)
    sessions = [f"S{i:02d}" for i in range(30)]
    counts = pd.DataFrame(
        {
            "session_id": sessions * 2,
            "informant": ["client"] * 30 + ["therapist"] * 30,
            "n_themes": np.concatenate([client, therapist]),
        }
    )
    values = paired_highlights(paired_comparison(counts), counts)
    assert values["n_client_more"] == sum(c > t for c, t in zip(client, therapist, strict=True))
    assert values["n_therapist_more"] == sum(c < t for c, t in zip(client, therapist, strict=True))
    assert values["n_tied"] == 30 - values["n_client_more"] - values["n_therapist_more"]
    assert values["mean_difference"] == pytest.approx(np.mean(client - therapist))
    t_test = stats.ttest_rel(client, therapist)
    assert values["ttest_t"] == pytest.approx(t_test.statistic)
    assert values["ttest_p"] == pytest.approx(t_test.pvalue)
    with pytest.raises(ValueError, match="missing test"):
        paired_highlights(paired_comparison(counts).iloc[:1], counts)
