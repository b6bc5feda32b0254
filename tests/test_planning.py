"""Study planning: power, sample size and detectable differences, checked against
statsmodels' power calculations and against simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from alliance.stats import planning

proportions = st.floats(0.02, 0.98)
sizes = st.integers(5, 400)
iccs = st.floats(0.0, 0.5)
cluster_sizes = st.floats(1.0, 6.0)


def _statsmodels_power(p1, p2, n1, n2, deff=1.0, alpha=0.05):
    h = abs(proportion_effectsize(p1, p2))
    return NormalIndPower().power(h, n1 / deff, alpha, ratio=n2 / n1)


@settings(max_examples=60, deadline=None)
@given(proportions, proportions, sizes, sizes, st.sampled_from([0.01, 0.05, 0.1]))
def test_power_equals_statsmodels_without_clustering(p1, p2, n1, n2, alpha):
    ours = planning.prevalence_power(p1, p2, n1, n2, alpha=alpha)
    assert ours == pytest.approx(_statsmodels_power(p1, p2, n1, n2, alpha=alpha), abs=1e-10)


@settings(max_examples=60, deadline=None)
@given(proportions, proportions, sizes, sizes, cluster_sizes, iccs)
def test_clustering_divides_the_sample_size_by_the_design_effect(p1, p2, n1, n2, m, icc):
    deff = 1 + (m - 1) * icc
    ours = planning.prevalence_power(p1, p2, n1, n2, cluster_size=m, icc=icc)
    assert ours == pytest.approx(_statsmodels_power(p1, p2, n1, n2, deff=deff), abs=1e-10)


def test_design_effect_grows_with_cluster_size_and_icc():
    assert planning.design_effect(1, 0.4) == 1
    assert planning.design_effect(2.5, 0) == 1
    assert planning.design_effect(3, 0.1) < planning.design_effect(3, 0.2)
    assert planning.design_effect(4, 0.1) == pytest.approx(1.3)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.05, 0.95), st.integers(20, 300), st.integers(20, 300), cluster_sizes, iccs)
def test_minimum_detectable_difference_matches_statsmodels_solve_power(p1, n1, n2, m, icc):
    deff = 1 + (m - 1) * icc
    h = NormalIndPower().solve_power(None, nobs1=n1 / deff, alpha=0.05, power=0.8, ratio=n2 / n1)
    for direction, sign in (("higher", 1), ("lower", -1)):
        target = 2 * math.asin(math.sqrt(p1)) + sign * h
        if not 0 <= target <= math.pi:
            with pytest.raises(ValueError, match="more sessions"):
                planning.minimum_detectable_difference(
                    p1, n1, n2, cluster_size=m, icc=icc, direction=direction
                )
            continue
        expected = math.sin(target / 2) ** 2 - p1
        got = planning.minimum_detectable_difference(
            p1, n1, n2, cluster_size=m, icc=icc, direction=direction
        )
        assert got == pytest.approx(expected, abs=1e-5)
        assert np.sign(got) == sign


def test_minimum_detectable_difference_has_the_requested_power():
    diff = planning.minimum_detectable_difference(
        0.4, 60, 70, power=0.9, alpha=0.01, cluster_size=2, icc=0.15
    )
    power = planning.prevalence_power(0.4, 0.4 + diff, 60, 70, alpha=0.01, cluster_size=2, icc=0.15)
    assert power == pytest.approx(0.9, abs=1e-6)


def test_sessions_needed_is_the_smallest_design_with_enough_power():
    plan = planning.sessions_needed(0.55, 0.3, power=0.9, ratio=1.2, cluster_size=2.5, icc=0.1)
    n1, n2 = plan["sessions"].tolist()
    assert n2 == math.ceil(1.2 * n1)
    deff = 1 + 1.5 * 0.1
    h = abs(proportion_effectsize(0.55, 0.3))
    expected = NormalIndPower().solve_power(h, nobs1=None, alpha=0.05, power=0.9, ratio=1.2) * deff
    assert n1 == math.ceil(expected)
    options = {"cluster_size": 2.5, "icc": 0.1}
    assert planning.prevalence_power(0.55, 0.3, n1, n2, **options) >= 0.9
    assert planning.prevalence_power(0.55, 0.3, n1 - 1, math.ceil(1.2 * (n1 - 1)), **options) < 0.9
    assert plan["therapists"].tolist() == [math.ceil(n1 / 2.5), math.ceil(n2 / 2.5)]


def _mc_tolerance(p, n_sim):
    return 4 * math.sqrt(p * (1 - p) / n_sim)


@pytest.mark.parametrize(("n", "m", "icc"), [(120, 3, 0.1), (100, 2, 0.25), (150, 1, 0.0)])
def test_simulation_agrees_with_the_analytic_power(n, m, icc):
    analytic = planning.prevalence_power(0.6, 0.4, n, n, cluster_size=m, icc=icc)
    simulated = planning.simulate_prevalence_power(
        0.6, 0.4, n, n, cluster_size=m, icc=icc, n_sim=8000, seed=3
    )
    # Monte Carlo error plus a small allowance for the normal approximation.
    assert simulated == pytest.approx(analytic, abs=_mc_tolerance(analytic, 8000) + 0.01)


def test_design_effect_keeps_the_type_one_error_and_ignoring_it_inflates_it():
    options = {"cluster_size": 4, "icc": 0.3, "n_sim": 8000, "seed": 5}
    adjusted = planning.simulate_prevalence_power(0.35, 0.35, 200, 200, **options)
    naive = planning.simulate_prevalence_power(
        0.35, 0.35, 200, 200, adjust_for_clustering=False, **options
    )
    assert adjusted == pytest.approx(0.05, abs=_mc_tolerance(0.05, 8000))
    # deff = 1.9: a naive z of 1.96 is really 1.96 / sqrt(1.9), i.e. alpha ~ 0.155.
    assert naive > 0.12


def test_simulated_prevalence_variance_matches_the_design_effect():
    rng = np.random.default_rng(11)
    sizes = np.full(50, 4)
    counts = planning._clustered_counts(rng, 0.3, sizes, icc=0.2, n_sim=20000)
    observed = np.var(counts / sizes.sum(), ddof=1)
    expected = planning.design_effect(4, 0.2) * 0.3 * 0.7 / sizes.sum()
    assert observed == pytest.approx(expected, rel=0.05)


def test_power_grid_has_one_row_per_combination():
    grid = planning.power_grid(0.5, [0.2, 0.3], [20, 40], 30, cluster_size=2, icc=[0, 0.1, 0.2])
    assert len(grid) == 2 * 2 * 3
    row = grid.iloc[5]
    assert row["power"] == planning.prevalence_power(
        row["p1"], row["p2"], row["n1"], row["n2"], cluster_size=2, icc=row["icc"]
    )
    assert grid["deff"].tolist()[:3] == [1.0, 1.1, 1.2]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: planning.design_effect(0.5, 0.1), "at least 1"),
        (lambda: planning.design_effect(2, 1.5), "icc must be between 0 and 1"),
        (lambda: planning.prevalence_power(1.2, 0.3, 10, 10), "p1 must be between 0 and 1"),
        (lambda: planning.prevalence_power(0.5, 0.3, 0, 10), "n1 must be greater than 0"),
        (lambda: planning.prevalence_power(0.5, 0.3, 10, 10, alpha=0), "alpha must be strictly"),
        (lambda: planning.sessions_needed(0.3, 0.3), "no difference"),
        (
            lambda: planning.minimum_detectable_difference(0.9, 10, 10, direction="higher"),
            "even a prevalence of 1 gives power",
        ),
        (lambda: planning.minimum_detectable_difference(0.5, 10, 10, direction="up"), "direction"),
        (lambda: planning.simulate_prevalence_power(0.5, 0.3, 10.5, 10), "whole numbers"),
    ],
)
def test_bad_arguments_get_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_simulated_raters_reach_the_requested_population_kappa():
    table = planning.simulate_agreement_precision(
        400, 3, kappa=0.6, prevalence=0.25, methods=["fleiss_kappa"], n_sim=150, seed=2
    )
    # Mean of 150 estimates, each with SE ~0.05: the mean is within ~0.01 of the target.
    assert table["mean_estimate"].item() == pytest.approx(0.6, abs=0.02)


def test_interval_width_shrinks_like_one_over_root_n_and_with_more_raters():
    table = planning.simulate_agreement_precision(
        [60, 240], [2, 4], methods=["fleiss_kappa", "gwet_ac1"], n_sim=80, seed=4
    )
    widths = table.set_index(["coefficient", "n_raters", "n_units"])["median_width"]
    for coefficient in ("fleiss_kappa", "gwet_ac1"):
        for raters in (2, 4):
            ratio = widths[(coefficient, raters, 240)] / widths[(coefficient, raters, 60)]
            assert ratio == pytest.approx(0.5, abs=0.08)
        assert widths[(coefficient, 4, 240)] < widths[(coefficient, 2, 240)]
    assert (table["p90_width"] >= table["median_width"]).all()


def test_agreement_precision_rejects_impossible_designs():
    with pytest.raises(ValueError, match="at least 2 units and 2 raters"):
        planning.simulate_agreement_precision(10, 1, n_sim=2)
    with pytest.raises(ValueError, match="kappa must be strictly between 0 and 1"):
        planning.simulate_agreement_precision(10, 2, kappa=1.0, n_sim=2)


def test_false_positive_rates_follow_the_design_effect():
    table = planning.false_positive_rates(0.4, 200, [1.0, 4.0], icc=0.3, n_sim=8000, seed=2)
    assert table[["intakes_per_therapist", "test"]].values.tolist() == [
        [1.0, "adjusted"],
        [1.0, "naive"],
        [4.0, "adjusted"],
        [4.0, "naive"],
    ]
    rates = table.set_index(["intakes_per_therapist", "test"])["false_positive_rate"]
    for m in (1.0, 4.0):
        assert rates[(m, "adjusted")] == pytest.approx(0.05, abs=_mc_tolerance(0.05, 8000) + 0.005)
    # Ignoring a design effect of 1.9 tests at z = 1.96 / sqrt(1.9) in truth.
    deff = 1 + (4 - 1) * 0.3
    naive = 2 * stats.norm.sf(stats.norm.isf(0.025) / math.sqrt(deff))
    assert rates[(4.0, "naive")] == pytest.approx(naive, abs=_mc_tolerance(naive, 8000) + 0.02)


def _precision_table(widths):
    rows = [
        {"coefficient": c, "n_raters": r, "n_units": n, "median_width": w}
        for (c, r), by_units in widths.items()
        for n, w in by_units.items()
    ]
    return pd.DataFrame(rows)


def test_units_for_precision_is_the_smallest_size_under_the_target():
    rng = np.random.default_rng(1)
    sizes = [25, 50, 100, 200]
    widths = {
        (c, r): dict(zip(sizes, sorted(rng.uniform(0.05, 0.6, 4), reverse=True), strict=True))
        for c in ("kappa", "ac1")
        for r in (2, 3)
    }
    table = planning.units_for_precision(_precision_table(widths), 0.25)
    for (c, r), by_units in widths.items():
        enough = [n for n, w in by_units.items() if w <= 0.25]
        if enough:
            assert table.loc[c, r] == min(enough)
        else:
            assert c not in table.index or np.isnan(table.loc[c, r])


def test_mean_narrowing_is_one_minus_one_over_root_two_under_the_square_root_law():
    sizes = [25, 50, 100, 200, 400]
    widths = {(c, r): {n: r / math.sqrt(n) for n in sizes} for c in ("a", "b") for r in (2, 5)}
    precision = _precision_table(widths)
    assert planning.mean_narrowing(precision) == pytest.approx(1 - 1 / math.sqrt(2))
    with pytest.raises(ValueError, match="at least two values of n_units"):
        planning.mean_narrowing(precision[precision["n_units"] == 25])


def _fisher_power_by_simulation(p1, p2, n1, n2, n_sim, seed):
    rng = np.random.default_rng(seed)
    x1 = rng.binomial(n1, p1, n_sim)
    x2 = rng.binomial(n2, p2, n_sim)
    rejections = [
        stats.fisher_exact([[a, n1 - a], [b, n2 - b]]).pvalue < 0.05
        for a, b in zip(x1, x2, strict=True)
    ]
    return float(np.mean(rejections))


@pytest.mark.parametrize(("p1", "p2"), [(0.0, 0.25), (0.5, 0.2), (0.3, 0.3)])
def test_fisher_power_matches_simulated_fisher_tests(p1, p2):
    n_sim = 4000
    simulated = _fisher_power_by_simulation(p1, p2, 26, 29, n_sim, seed=7)
    exact = planning.fisher_power(p1, p2, 26, 29)
    assert abs(simulated - exact) < 4 * math.sqrt(exact * (1 - exact) / n_sim) + 1e-9


def test_fisher_power_at_no_difference_stays_below_alpha():
    # the exact test is conservative: its size never exceeds the nominal level
    for p in (0.05, 0.3, 0.5):
        assert planning.fisher_power(p, p, 26, 29) <= 0.05


def test_exact_mdd_reaches_the_power_and_a_smaller_difference_does_not():
    mdd = planning.exact_minimum_detectable_difference(0.0, 26, 29, direction="higher")
    assert planning.fisher_power(0.0, mdd, 26, 29) == pytest.approx(0.8, abs=1e-6)
    assert planning.fisher_power(0.0, mdd - 0.01, 26, 29) < 0.8
    # the normal approximation promises a much smaller detectable difference here
    normal = planning.minimum_detectable_difference(0.0, 26, 29, direction="higher")
    assert mdd > normal + 0.05


def test_exact_mdd_rejects_an_impossible_design():
    with pytest.raises(ValueError, match="reaches power"):
        planning.exact_minimum_detectable_difference(0.5, 3, 3)
    with pytest.raises(ValueError, match="whole number"):
        planning.fisher_power(0.1, 0.2, 2.5, 3)


def test_mixed_caseloads_shrink_the_variance_of_the_difference_by_one_minus_icc():
    # With two intakes per therapist, one in each group, the therapist's propensity
    # cancels: Var(x1 - x2) = 2 n p (1 - p) (1 - icc), so the naive z statistic has
    # variance 1 - icc and rejects with probability 2 * sf(z_crit / sqrt(1 - icc)).
    icc, n_sim = 0.2, 40000
    table = planning.false_positive_rates(
        0.5, 300, [2.0], icc=icc, designs=["both groups"], n_sim=n_sim, seed=3
    )
    naive = table.query("test == 'naive'")["false_positive_rate"].iloc[0]
    expected = 2 * stats.norm.sf(stats.norm.isf(0.025) / math.sqrt(1 - icc))
    assert abs(naive - expected) < 4 * math.sqrt(expected * (1 - expected) / n_sim) + 0.003
    one_group = planning.false_positive_rates(0.5, 300, [2.0], icc=icc, n_sim=n_sim, seed=3)
    assert one_group.query("test == 'naive'")["false_positive_rate"].iloc[0] > 0.05
    with pytest.raises(ValueError, match="unknown design"):
        planning.false_positive_rates(0.5, 300, [2.0], icc=icc, designs=["mixed"])
