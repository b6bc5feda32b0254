"""Tests of alliance.study.robustness against published values and independent implementations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from alliance.study.dyads import compare_dyad_types
from alliance.study.robustness import (
    cmh_by_therapist,
    detectable_differences,
    equivalence_check,
    gee_by_therapist,
    permutation_within_therapist,
    power_curves_by_icc,
    robustness_highlights,
    robustness_summary,
    simulated_power_curve,
    smallest_powered_difference,
)


def rabbits() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Penicillin and rabbits (Agresti 1990, pp. 231-237; R's ``mantelhaen.test`` example).

    Strata are penicillin levels (here: therapists), immediate injection is coded
    "discordant", delayed "concordant", cured is ``present``.
    """
    cured = {"discordant": [0, 3, 6, 5, 2], "concordant": [0, 0, 2, 6, 5]}
    died = {"discordant": [6, 3, 0, 1, 0], "concordant": [5, 6, 4, 0, 0]}
    rows = []
    for k in range(5):
        for dyad_type in ("discordant", "concordant"):
            rows += [(f"T{k}", dyad_type, 1)] * cured[dyad_type][k]
            rows += [(f"T{k}", dyad_type, 0)] * died[dyad_type][k]
    dyads = pd.DataFrame(rows, columns=["therapist_id", "dyad_type", "present"])
    dyads["session_id"] = [f"S{i:03d}" for i in range(len(dyads))]
    coded = dyads[["session_id", "present"]].assign(informant="client", theme="trust")
    return coded, dyads[["session_id", "therapist_id", "dyad_type"]]


def random_study(seed: int, n_therapists: int = 8, themes=("trust", "anger")):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, n_therapists)
    therapist = np.repeat([f"T{t:02d}" for t in range(n_therapists)], sizes)
    n = len(therapist)
    dyads = pd.DataFrame(
        {
            "session_id": [f"S{i:03d}" for i in range(n)],
            "therapist_id": therapist,
            "dyad_type": np.where(rng.random(n) < 0.5, "concordant", "discordant"),
        }
    )
    coded = pd.concat(
        [
            dyads[["session_id"]].assign(
                informant="therapist", theme=theme, present=(rng.random(n) < 0.4).astype(int)
            )
            for theme in themes
        ],
        ignore_index=True,
    )
    return coded, dyads


def cmh_by_hand(coded: pd.DataFrame, dyads: pd.DataFrame) -> tuple[float, float]:
    """Mantel-Haenszel odds ratio and uncorrected CMH statistic, from the textbook formulas."""
    data = coded.merge(dyads, on="session_id")
    num = den = dev = var = 0.0
    for _, stratum in data.groupby("therapist_id"):
        disc = stratum["dyad_type"] == "discordant"
        a = stratum.loc[disc, "present"].sum()
        b = disc.sum() - a
        c = stratum.loc[~disc, "present"].sum()
        d = (~disc).sum() - c
        n = a + b + c + d
        if n < 2 or disc.all() or (~disc).all():
            continue
        num += a * d / n
        den += b * c / n
        dev += a - (a + b) * (a + c) / n
        var += (a + b) * (c + d) * (a + c) * (b + d) / (n**2 * (n - 1))
    return num / den, dev**2 / var


def test_cmh_reproduces_r_documentation_example():
    coded, dyads = rabbits()
    row = cmh_by_therapist(coded, dyads, correction=True).iloc[0]
    # R: mantelhaen.test(Rabbits) "=> p = 0.047"; MH odds ratio by hand: 3.5 / 0.5 = 7.
    assert round(row["p_value"], 3) == 0.047
    assert row["mh_odds_ratio"] == pytest.approx(7.0)
    assert row["n_strata"] == 5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cmh_matches_textbook_formulas(seed):
    coded, dyads = random_study(seed)
    table = cmh_by_therapist(coded, dyads)
    for row in table.itertuples():
        odds_ratio, statistic = cmh_by_hand(coded[coded["theme"] == row.theme], dyads)
        assert row.mh_odds_ratio == pytest.approx(odds_ratio)
        assert row.cmh_statistic == pytest.approx(statistic)


def test_cmh_ignores_therapists_with_one_dyad_type():
    coded, dyads = rabbits()
    extra = pd.DataFrame(
        {"session_id": ["X1", "X2"], "therapist_id": "T9", "dyad_type": "discordant"}
    )
    extra_coded = extra[["session_id"]].assign(present=[1, 0], informant="client", theme="trust")
    base = cmh_by_therapist(coded, dyads)
    more = cmh_by_therapist(pd.concat([coded, extra_coded]), pd.concat([dyads, extra]))
    pd.testing.assert_frame_equal(base, more)


def test_cmh_needs_a_mixed_therapist():
    coded, dyads = rabbits()
    dyads = dyads.assign(therapist_id=dyads["session_id"])
    with pytest.raises(ValueError, match="both dyad types"):
        cmh_by_therapist(coded, dyads)


def sandwich_se(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> float:
    """CR0 cluster-robust standard error of the OLS slope, written out."""
    design = np.column_stack([np.ones_like(x), x])
    bread = np.linalg.inv(design.T @ design)
    beta = bread @ design.T @ y
    resid = y - design @ beta
    meat = np.zeros((2, 2))
    for g in np.unique(groups):
        score = design[groups == g].T @ resid[groups == g]
        meat += np.outer(score, score)
    return float(np.sqrt((bread @ meat @ bread)[1, 1]))


def test_gee_independence_is_difference_in_means_with_sandwich_se():
    coded, dyads = random_study(11, n_therapists=12)
    table = gee_by_therapist(coded, dyads, cov_struct="independence", cov_type="robust")
    data = coded.merge(dyads, on="session_id")
    for row in table.itertuples():
        theme = data[data["theme"] == row.theme]
        disc = (theme["dyad_type"] == "discordant").to_numpy(dtype=float)
        y = theme["present"].to_numpy(dtype=float)
        assert row.risk_difference == pytest.approx(y[disc == 1].mean() - y[disc == 0].mean())
        assert row.se == pytest.approx(sandwich_se(y, disc, theme["therapist_id"].to_numpy()))
        assert row.n_clusters == 12


def test_gee_exchangeable_on_balanced_clusters_is_difference_in_means():
    # Every therapist sees one client of each type: GLS with any exchangeable
    # correlation gives the within-pair mean difference.
    rng = np.random.default_rng(5)
    n_therapists = 15
    dyads = pd.DataFrame(
        {
            "session_id": [f"S{i:02d}" for i in range(2 * n_therapists)],
            "therapist_id": np.repeat([f"T{t:02d}" for t in range(n_therapists)], 2),
            "dyad_type": ["concordant", "discordant"] * n_therapists,
        }
    )
    present = (rng.random(2 * n_therapists) < 0.5).astype(int)
    coded = dyads[["session_id"]].assign(informant="client", theme="trust", present=present)
    row = gee_by_therapist(coded, dyads).iloc[0]
    assert row["risk_difference"] == pytest.approx(present[1::2].mean() - present[0::2].mean())
    assert row["ci_low"] < row["risk_difference"] < row["ci_high"]


def test_gee_constant_code_has_no_interval():
    coded, dyads = random_study(4)
    coded.loc[coded["theme"] == "anger", "present"] = 0
    row = gee_by_therapist(coded, dyads).set_index("theme").loc["anger"]
    assert row["risk_difference"] == 0.0 and np.isnan(row["se"])


def exact_within_therapist_p(coded: pd.DataFrame, dyads: pd.DataFrame) -> float:
    """Enumerate every within-therapist rearrangement of the dyad labels."""
    data = coded.merge(dyads, on="session_id")
    y = data["present"].to_numpy(dtype=float)
    labels = (data["dyad_type"] == "discordant").to_numpy()
    blocks = [
        np.flatnonzero(data["therapist_id"].to_numpy() == t) for t in data["therapist_id"].unique()
    ]

    def rd(lab):
        return y[lab].mean() - y[~lab].mean()

    observed = abs(rd(labels))
    arrangements = [set(itertools.permutations(labels[block])) for block in blocks]
    hits = total = 0
    for combo in itertools.product(*arrangements):
        permuted = labels.copy()
        for block, values in zip(blocks, combo, strict=True):
            permuted[block] = values
        total += 1
        hits += abs(rd(permuted)) >= observed - 1e-12
    return hits / total


def test_permutation_p_converges_to_exact_enumeration():
    dyads = pd.DataFrame(
        {
            "session_id": [f"S{i}" for i in range(9)],
            "therapist_id": ["T1"] * 4 + ["T2"] * 3 + ["T3"] * 2,
            "dyad_type": ["concordant", "discordant", "discordant", "concordant"]
            + ["discordant", "concordant", "discordant"]
            + ["discordant", "discordant"],
        }
    )
    coded = dyads[["session_id"]].assign(
        informant="client", theme="trust", present=[0, 1, 1, 0, 1, 0, 0, 1, 0]
    )
    exact = exact_within_therapist_p(coded, dyads)
    n_perm = 20_000
    row = permutation_within_therapist(coded, dyads, n_perm=n_perm, seed=3).iloc[0]
    assert abs(row["p_value"] - exact) < 4 * np.sqrt(exact * (1 - exact) / n_perm) + 1e-4
    assert row["n_informative_therapists"] == 2


def test_permutation_cannot_move_single_type_therapists():
    coded, dyads = random_study(8)
    dyads = dyads.assign(
        dyad_type=np.where(dyads["therapist_id"] < "T04", "concordant", "discordant")
    )
    table = permutation_within_therapist(coded, dyads, n_perm=200, seed=0)
    assert (table["p_value"] == 1.0).all()
    assert (table["n_informative_therapists"] == 0).all()


def test_permutation_is_deterministic_per_seed():
    coded, dyads = random_study(9)
    first = permutation_within_therapist(coded, dyads, n_perm=500, seed=42)
    again = permutation_within_therapist(coded, dyads, n_perm=500, seed=42)
    pd.testing.assert_frame_equal(first, again)


def test_detectable_difference_reaches_the_power_per_statsmodels():
    comparison = pd.DataFrame(
        {
            "theme": ["trust", "anger"],
            "prevalence_concordant": [0.4, 0.1],
            "risk_difference": [-0.35, 0.02],
            "n_concordant": [26, 26],
            "n_discordant": [29, 29],
        }
    )
    table = detectable_differences(comparison, by=["theme"])
    for row in table.itertuples():
        for mdd in (row.mdd_lower, row.mdd_higher):
            if np.isnan(mdd):
                continue
            effect = proportion_effectsize(
                row.prevalence_concordant + mdd, row.prevalence_concordant
            )
            power = NormalIndPower().power(effect, nobs1=26, alpha=0.05, ratio=29 / 26)
            assert power == pytest.approx(0.8, abs=1e-6)
    assert np.isnan(table.set_index("theme").loc["anger", "mdd_lower"])  # below 0 is impossible


def test_simulated_power_agrees_with_formula_within_monte_carlo_error():
    curve = simulated_power_curve(0.4, 26, 29, [0.0, -0.2, 0.3, 0.8], n_sim=4000, seed=1)
    assert curve["difference"].tolist() == [0.0, -0.2, 0.3]  # 1.2 is outside [0, 1]
    for row in curve.itertuples():
        assert abs(row.power_simulated - row.power_analytic) < 4 * row.mc_se + 0.02


def test_equivalence_verdicts_and_margin():
    comparison = pd.DataFrame(
        {
            "theme": ["a", "b", "c", "d"],
            "risk_difference": [0.0, 0.3, 0.02, -0.3],
            "ci_low": [-0.2, 0.1, -0.04, -0.5],
            "ci_high": [0.2, 0.5, 0.08, -0.05],
        }
    )
    table = equivalence_check(comparison, margin=0.1, by=["theme"])
    assert table["verdict"].tolist() == ["inconclusive", "excludes 0", "equivalent", "excludes 0"]
    assert table["smallest_margin"].tolist() == [0.2, 0.5, 0.08, 0.5]
    with pytest.raises(ValueError, match="margin"):
        equivalence_check(comparison, margin=0, by=["theme"])


@pytest.mark.parametrize(
    "function", [cmh_by_therapist, gee_by_therapist, permutation_within_therapist]
)
def test_clustered_analyses_reject_incomplete_coding(function):
    coded, dyads = random_study(2)
    with pytest.raises(ValueError, match="lacks"):
        function(coded.iloc[1:], dyads)
    with pytest.raises(ValueError, match="therapist_id"):
        function(coded, dyads.drop(columns="therapist_id"))


def test_robustness_summary_lines_up_each_analysis_by_code():
    coded, dyads = random_study(5, n_therapists=10)
    comparison = compare_dyad_types(coded, dyads)
    gee = gee_by_therapist(coded, dyads)
    cmh = cmh_by_therapist(coded, dyads)
    permutation = permutation_within_therapist(coded, dyads, n_perm=200, seed=1)
    summary = robustness_summary(comparison, gee, cmh, permutation.iloc[::-1])
    assert summary[["informant", "theme"]].values.tolist() == (
        comparison[["informant", "theme"]].values.tolist()
    )
    sources = {
        "p_fisher": (comparison, "p_fisher"),
        "gee_rd": (gee, "risk_difference"),
        "gee_low": (gee, "ci_low"),
        "p_gee": (gee, "p_value"),
        "mh_odds_ratio": (cmh, "mh_odds_ratio"),
        "p_cmh": (cmh, "p_value"),
        "p_permutation": (permutation, "p_value"),
    }
    for row in summary.itertuples(index=False):
        for column, (table, source) in sources.items():
            match = table[(table["informant"] == row.informant) & (table["theme"] == row.theme)]
            assert getattr(row, column) == pytest.approx(match[source].iloc[0], nan_ok=True)
    with pytest.raises(ValueError, match="mh_odds_ratio"):
        robustness_summary(comparison, gee, cmh.drop(columns="mh_odds_ratio"), permutation)


def test_power_curves_by_icc_label_each_curve_and_match_statsmodels_without_clustering():
    curves = power_curves_by_icc(
        0.5,
        26,
        29,
        [-0.2, 0.3],
        iccs=[0.0, 0.2],
        cluster_size=2.5,
        n_sim=500,
        seed=4,
        scenario="ICC {icc:g}",
    )
    assert curves["scenario"].tolist() == ["ICC 0", "ICC 0", "ICC 0.2", "ICC 0.2"]
    assert curves.index.tolist() == [0, 1, 2, 3]
    independent = curves[curves["scenario"] == "ICC 0"]
    for row in independent.itertuples():
        effect = proportion_effectsize(0.5, 0.5 + row.difference)
        expected = NormalIndPower().power(effect, nobs1=26, alpha=0.05, ratio=29 / 26)
        assert row.power_analytic == pytest.approx(expected, rel=1e-9)
    clustered = curves[curves["scenario"] == "ICC 0.2"]["power_analytic"].to_numpy()
    assert (clustered < independent["power_analytic"].to_numpy()).all()


def test_smallest_powered_difference_matches_a_loop():
    rng = np.random.default_rng(8)
    curves = pd.DataFrame(
        {
            "scenario": np.repeat(["x", "y"], 9),
            "difference": np.tile(np.round(np.linspace(-0.4, 0.4, 9), 2), 2),
            "power_simulated": rng.uniform(0, 1, 18),
        }
    )
    result = smallest_powered_difference(curves, power=0.6)
    for scenario in ("x", "y"):
        candidates = [
            d for s, d, p in curves.itertuples(index=False) if s == scenario and d > 0 and p >= 0.6
        ]
        if candidates:
            assert result[scenario] == min(candidates)
        else:  # kept, as a missing value, never dropped
            assert np.isnan(result[scenario])
    assert list(result.index) == ["x", "y"]


def test_robustness_highlights_count_and_summarise_by_hand():
    rng = np.random.default_rng(6)
    columns = ["p_fisher", "p_gee", "p_cmh", "p_permutation"]
    robust = pd.DataFrame(rng.uniform(0, 0.2, (10, 4)), columns=columns).assign(
        risk_difference=rng.normal(0, 0.2, 10), gee_rd=rng.normal(0, 0.2, 10)
    )
    gee = pd.DataFrame({"within_therapist_corr": rng.uniform(-0.2, 0.3, 10)})
    cmh = pd.DataFrame({"n_strata": [9] * 10})
    values = robustness_highlights(robust, gee, cmh, 12345)
    for name, column in zip(["fisher", "gee", "cmh", "permutation"], columns, strict=True):
        assert values[f"n_below_{name}"] == sum(p < 0.05 for p in robust[column])
    shifts = [abs(a - b) for a, b in zip(robust["gee_rd"], robust["risk_difference"], strict=True)]
    assert values["max_shift"] == pytest.approx(100 * max(shifts))
    assert (values["n_tests"], values["n_perm"], values["n_strata"]) == (10, "12,345", 9)
    corr = gee["within_therapist_corr"].tolist()
    assert values["corr_mean"] == pytest.approx(sum(corr) / len(corr))
    assert (values["corr_min"], values["corr_max"]) == (min(corr), max(corr))
    with pytest.raises(ValueError, match="n_strata"):
        robustness_highlights(robust, gee, cmh.drop(columns="n_strata"), 10)


def test_exact_detectable_difference_is_where_simulated_fisher_tests_reach_80_percent():
    from scipy import stats

    comparison = pd.DataFrame(
        {
            "theme": ["anger"],
            "prevalence_concordant": [0.0],
            "risk_difference": [0.14],
            "n_concordant": [26],
            "n_discordant": [29],
        }
    )
    table = detectable_differences(comparison, by=["theme"], test="fisher")
    rise = float(table["mdd_higher"].iloc[0])
    assert np.isnan(table["mdd_lower"].iloc[0])  # nothing lies below a prevalence of 0
    rng = np.random.default_rng(3)
    hits = rng.binomial(29, rise, 3000)
    power = np.mean([stats.fisher_exact([[0, 26], [x, 29 - x]]).pvalue < 0.05 for x in hits])
    assert abs(power - 0.8) < 4 * np.sqrt(0.8 * 0.2 / 3000)
    with pytest.raises(ValueError, match="icc=0"):
        detectable_differences(comparison, by=["theme"], test="fisher", icc=0.1)
