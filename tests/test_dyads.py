"""Tests of alliance.study.dyads against textbook values and independent implementations."""

from __future__ import annotations

import itertools
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from alliance.study.dyads import (
    compare_dyad_types,
    facet_excerpts,
    facet_indicators,
    format_dyad_comparison,
    informant_congruence,
)


def make_dyads(n_concordant: int, n_discordant: int) -> pd.DataFrame:
    n = n_concordant + n_discordant
    return pd.DataFrame(
        {
            "session_id": [f"S{i:03d}" for i in range(n)],
            "therapist_id": [f"T{i % 5}" for i in range(n)],
            "dyad_type": ["concordant"] * n_concordant + ["discordant"] * n_discordant,
        }
    )


def coded_from_counts(dyads: pd.DataFrame, counts: dict[tuple[str, str], tuple[int, int]]):
    """Build consensus-like rows: counts maps (informant, theme) to (present conc, present disc)."""
    rows = []
    for (informant, theme), (x0, x1) in counts.items():
        seen = {"concordant": 0, "discordant": 0}
        for session, dyad_type in zip(dyads["session_id"], dyads["dyad_type"], strict=True):
            limit = x0 if dyad_type == "concordant" else x1
            rows.append((session, informant, theme, int(seen[dyad_type] < limit)))
            seen[dyad_type] += 1
    return pd.DataFrame(rows, columns=["session_id", "informant", "theme", "present"])


def wilson(x: int, n: int, z: float) -> tuple[float, float]:
    """Wilson (1927) score interval, written out from the formula."""
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = 1.959963984540054):
    """Newcombe (1998) method 10, from the Wilson limits of each proportion."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt(
        (u1 - p1) ** 2 + (p2 - l2) ** 2
    )


def fisher_two_sided(a: int, n1: int, c: int, n0: int) -> float:
    """Two-sided Fisher exact p: sum of hypergeometric tables no more likely than observed."""
    total_present = a + c
    dist = stats.hypergeom(n1 + n0, total_present, n1)
    support = range(max(0, total_present - n0), min(n1, total_present) + 1)
    observed = dist.pmf(a)
    return float(sum(dist.pmf(k) for k in support if dist.pmf(k) <= observed * (1 + 1e-7)))


def holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values, written out."""
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, (m - rank) * p[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def test_fisher_matches_lady_tasting_tea():
    # Fisher's tea-tasting experiment: 3 of 4 cups right each way, two-sided p = 34/70.
    dyads = make_dyads(4, 4)
    coded = coded_from_counts(dyads, {("client", "trust"): (1, 3)})
    row = compare_dyad_types(coded, dyads).iloc[0]
    assert row["p_fisher"] == pytest.approx(34 / 70, abs=1e-10)


def test_newcombe_interval_matches_published_example():
    # Newcombe (1998), Table II, example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
    dyads = make_dyads(80, 70)
    coded = coded_from_counts(dyads, {("client", "trust"): (48, 56)})
    row = compare_dyad_types(coded, dyads).iloc[0]
    assert row["risk_difference"] == pytest.approx(56 / 70 - 48 / 80)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.0524, 0.3339)


def test_comparison_matches_independent_formulas():
    rng = np.random.default_rng(7)
    dyads = make_dyads(26, 29)
    counts = {
        (informant, theme): (int(rng.integers(0, 27)), int(rng.integers(0, 30)))
        for informant, theme in itertools.product(
            ["client", "therapist"], ["understood", "trust", "anger"]
        )
    }
    coded = coded_from_counts(dyads, counts)
    table = compare_dyad_types(coded, dyads)
    assert len(table) == len(counts)
    for row in table.itertuples():
        x0, x1 = counts[(row.informant, row.theme)]
        assert (row.present_concordant, row.present_discordant) == (x0, x1)
        assert (row.n_concordant, row.n_discordant) == (26, 29)
        assert row.risk_difference == pytest.approx(x1 / 29 - x0 / 26)
        low, high = newcombe(x1, 29, x0, 26)
        assert row.ci_low == pytest.approx(low, abs=1e-9)
        assert row.ci_high == pytest.approx(high, abs=1e-9)
        assert row.p_fisher == pytest.approx(fisher_two_sided(x1, 29, x0, 26), rel=1e-9)
    np.testing.assert_allclose(table["p_holm"], holm(table["p_fisher"].to_numpy()))


def test_comparison_rows_follow_published_theme_order():
    dyads = make_dyads(3, 3)
    counts = {("therapist", t): (1, 1) for t in ["anger", "understood", "trust"]}
    counts[("client", "anger")] = (0, 0)
    table = compare_dyad_types(coded_from_counts(dyads, counts), dyads)
    assert table[["informant", "theme"]].values.tolist() == [
        ["client", "anger"],
        ["therapist", "understood"],
        ["therapist", "trust"],
        ["therapist", "anger"],
    ]


def test_ninety_percent_interval_is_narrower():
    dyads = make_dyads(26, 29)
    coded = coded_from_counts(dyads, {("client", "trust"): (10, 15)})
    wide = compare_dyad_types(coded, dyads).iloc[0]
    narrow = compare_dyad_types(coded, dyads, confidence=0.90).iloc[0]
    assert wide["ci_low"] < narrow["ci_low"] < narrow["ci_high"] < wide["ci_high"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c, d: (c.drop(columns="present"), d), "present"),
        (lambda c, d: (c.assign(present=c["present"].replace(1, 2)), d), "0 or 1"),
        (lambda c, d: (c, d.iloc[1:]), "S000"),
        (lambda c, d: (pd.concat([c, c.iloc[[0]]]), d), "more than one row"),
        (lambda c, d: (c, d.assign(dyad_type="matched")), r"two groups.* has 1 \(matched\)"),
        (lambda c, d: (c, d.assign(dyad_type="concordant")), "no discordant session in the data"),
    ],
)
def test_comparison_rejects_bad_input(mutate, message):
    dyads = make_dyads(3, 3)
    coded = coded_from_counts(dyads, {("client", "trust"): (1, 2)})
    bad_coded, bad_dyads = mutate(coded, dyads)
    with pytest.raises(ValueError, match=message):
        compare_dyad_types(bad_coded, bad_dyads)


DEFINITIONS = pd.DataFrame(
    {
        "facet": ["nonverbal_tone", "nonverbal_screen", "client_openness"],
        "group": ["nonverbal", "nonverbal", "judgement"],
        "informant": ["client", "client", "therapist"],
    }
)


def test_facet_indicators_pool_groups_and_keep_absences():
    dyads = make_dyads(2, 2)
    facets = pd.DataFrame(
        {
            "session_id": ["S000", "S000", "S002", "S003"],
            "informant": ["client", "client", "client", "therapist"],
            "facet": ["nonverbal_tone", "nonverbal_screen", "nonverbal_tone", "client_openness"],
            "valence": ["negative", "negative", "positive", "negative"],
        }
    )
    grouped = facet_indicators(facets, dyads, DEFINITIONS)
    # 4 sessions x (nonverbal, judgement) x 2 valences
    assert len(grouped) == 16
    present = grouped.loc[grouped["present"] == 1, ["session_id", "facet", "valence"]]
    assert sorted(map(tuple, present.values.tolist())) == [
        ("S000", "nonverbal", "negative"),
        ("S002", "nonverbal", "positive"),
        ("S003", "judgement", "negative"),
    ]
    by_facet = facet_indicators(facets, dyads, DEFINITIONS, level="facet")
    assert len(by_facet) == 4 * 3 * 2
    assert by_facet["present"].sum() == len(facets)
    assert set(by_facet.loc[by_facet["facet"] == "client_openness", "informant"]) == {"therapist"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"facet": "nonverbal_smile"}, "does not define"),
        ({"informant": "therapist"}, "assigns it to"),
        ({"valence": "mixed"}, "valence"),
        ({"session_id": "S999"}, "S999"),
    ],
)
def test_facet_indicators_reject_bad_rows(change, message):
    dyads = make_dyads(1, 1)
    facets = pd.DataFrame(
        {
            "session_id": ["S000"],
            "informant": ["client"],
            "facet": ["nonverbal_tone"],
            "valence": ["negative"],
        }
    ).assign(**change)
    with pytest.raises(ValueError, match=message):
        facet_indicators(facets, dyads, DEFINITIONS)


def test_facet_indicators_feed_the_comparison():
    dyads = make_dyads(2, 3)
    facets = pd.DataFrame(
        {
            "session_id": ["S002", "S003", "S004"],
            "informant": "client",
            "facet": "nonverbal_tone",
            "valence": "negative",
        }
    )
    indicators = facet_indicators(facets, dyads, DEFINITIONS)
    table = compare_dyad_types(indicators, dyads, by=["informant", "facet", "valence"])
    negative = table.query("facet == 'nonverbal' and valence == 'negative'").iloc[0]
    assert (negative["present_concordant"], negative["present_discordant"]) == (0, 3)


def consensus_pairs(client: list[int], therapist: list[int], theme: str = "trust"):
    sessions = [f"S{i:03d}" for i in range(len(client))]
    return pd.DataFrame(
        {
            "session_id": sessions * 2,
            "informant": ["client"] * len(client) + ["therapist"] * len(therapist),
            "theme": theme,
            "present": client + therapist,
        }
    )


def test_congruence_matches_sklearn_and_crosstab():
    rng = np.random.default_rng(3)
    client = rng.integers(0, 2, 40).tolist()
    therapist = [c if rng.random() < 0.7 else 1 - c for c in client]
    row = informant_congruence(consensus_pairs(client, therapist)).iloc[0]
    assert row["kappa"] == pytest.approx(cohen_kappa_score(client, therapist))
    table = pd.crosstab(pd.Series(client, name="c"), pd.Series(therapist, name="t"))
    assert row["both"] == table.loc[1, 1]
    assert row["client_only"] == table.loc[1, 0]
    assert row["therapist_only"] == table.loc[0, 1]
    assert row["neither"] == table.loc[0, 0]
    assert row["agreement"] == pytest.approx(np.mean(np.array(client) == np.array(therapist)))


def test_congruence_by_dyad_type_and_undefined_kappa():
    consensus = consensus_pairs([0, 0, 1, 0], [0, 0, 1, 1], theme="anger")
    dyads = make_dyads(2, 2).iloc[:4]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = informant_congruence(consensus, dyads)
    assert table["dyad_type"].tolist() == ["concordant", "discordant"]
    concordant = table.iloc[0]
    assert concordant["agreement"] == 1.0 and np.isnan(concordant["kappa"])
    discordant = table.iloc[1]
    assert discordant["kappa"] == pytest.approx(cohen_kappa_score([1, 0], [1, 1]))


def test_congruence_interval_is_left_out_for_a_table_with_an_empty_cell():
    full = informant_congruence(consensus_pairs([1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 1, 0])).iloc[0]
    assert min(full[["both", "client_only", "therapist_only", "neither"]]) > 0
    assert full["ci_low"] < full["kappa"] < full["ci_high"] and full["ci_note"] == ""
    empty = informant_congruence(consensus_pairs([0, 0, 0, 1, 0], [1, 0, 0, 1, 0])).iloc[0]
    assert empty["client_only"] == 0
    assert empty["kappa"] == pytest.approx(cohen_kappa_score([0, 0, 0, 1, 0], [1, 0, 0, 1, 0]))
    assert np.isnan(empty["ci_low"]) and np.isnan(empty["ci_high"])
    assert empty["ci_note"].startswith("no interval")


def test_congruence_needs_both_informants():
    consensus = consensus_pairs([1, 0], [1, 1]).iloc[:-1]
    with pytest.raises(ValueError, match="lack a client or a therapist code"):
        informant_congruence(consensus)


def test_facet_excerpts_pick_the_requested_group_valence_and_dyad_types():
    dyads = make_dyads(2, 2)
    facets = pd.DataFrame(
        {
            "session_id": ["S000", "S001", "S002", "S003", "S003"],
            "informant": ["client"] * 4 + ["therapist"],
            "facet": ["nonverbal_tone", "nonverbal_screen", "nonverbal_tone", "nonverbal_screen"]
            + ["client_openness"],
            "valence": ["negative", "positive", "negative", "negative", "negative"],
        }
    )
    excerpts = pd.DataFrame(
        {
            "excerpt_id": ["E1", "E2", "E3", "E4", "E5", "E6"],
            "session_id": ["S000", "S001", "S002", "S003", "S003", "S002"],
            "informant": ["client"] * 4 + ["therapist", "client"],
            "theme": ["anger", "trust", "anger", "frustration", "frustration", "trust"],
            "facet": ["nonverbal_tone", "nonverbal_screen", "nonverbal_tone", "nonverbal_screen"]
            + ["client_openness", ""],
            "text": ["a", "b", "c", "d", "e", "f"],
        }
    )
    chosen = facet_excerpts(excerpts, facets, DEFINITIONS, dyads, "nonverbal", "negative")
    assert chosen["excerpt_id"].tolist() == ["E1", "E3", "E4"]
    assert chosen["dyad_type"].tolist() == ["concordant", "discordant", "discordant"]
    assert (chosen["valence"] == "negative").all()
    one_each = facet_excerpts(
        excerpts, facets, DEFINITIONS, dyads, "nonverbal", "negative", per_dyad_type=1
    )
    assert one_each["excerpt_id"].tolist() == ["E1", "E3"]
    single = facet_excerpts(excerpts, facets, DEFINITIONS, dyads, "client_openness", "negative")
    assert single["text"].tolist() == ["e"]
    none = facet_excerpts(excerpts, facets, DEFINITIONS, dyads, "judgement", "positive")
    assert none.empty and "text" in none.columns


def test_format_dyad_comparison_text_reads_back_as_the_numbers():
    dyads = make_dyads(7, 9)
    coded = coded_from_counts(dyads, {("client", "trust"): (2, 6), ("therapist", "anger"): (5, 1)})
    comparison = compare_dyad_types(coded, dyads)
    shown = format_dyad_comparison(comparison)
    pattern = r"^([+-]\d+)% \(([+-]\d+)% to ([+-]\d+)%\)$"
    for row in shown.itertuples(index=False):
        assert row.concordant == f"{round(100 * row.prevalence_concordant)}%"
        assert row.discordant == f"{round(100 * row.prevalence_discordant)}%"
        parts = [int(part) for part in re.match(pattern, row.difference).groups()]
        for part, value in zip(parts, (row.risk_difference, row.ci_low, row.ci_high), strict=True):
            assert abs(part - 100 * value) <= 0.5 + 1e-9
    assert list(shown.columns[: len(comparison.columns)]) == list(comparison.columns)
    with pytest.raises(ValueError, match="ci_low"):
        format_dyad_comparison(comparison.drop(columns="ci_low"))


def test_facet_excerpts_keep_the_fictional_mark_of_the_file():
    from alliance import load_study
    from alliance.data.codebook import facet_table

    study = load_study()
    chosen = facet_excerpts(
        study.excerpts,
        study.facets,
        facet_table(study.codebook),
        study.dyads,
        "nonverbal",
        "negative",
    )
    assert len(chosen) and (chosen["fictional"] == "yes").all()


def test_one_dyad_type_is_insufficient_data_in_one_line():
    from alliance.stats.checks import InsufficientData

    dyads = pd.DataFrame({"session_id": ["S1", "S2"], "dyad_type": ["concordant"] * 2})
    coded = pd.DataFrame(
        [(s, "client", t, 1) for s in ("S1", "S2") for t in ("trust", "anger")],
        columns=["session_id", "informant", "theme", "present"],
    )
    with pytest.raises(InsufficientData) as caught:
        compare_dyad_types(coded, dyads)
    assert str(caught.value) == (
        "no discordant session in the data, so the dyad types cannot be compared"
    )


def test_format_dyad_comparison_takes_any_group_name():
    """Group names come from the study; one may be a Python keyword of pandas ('self')."""
    from alliance.study.dyads import format_dyad_comparison

    comparison = pd.DataFrame(
        {
            "theme": ["trust"],
            "prevalence_self": [0.25],
            "prevalence_clinician": [0.5],
            "risk_difference": [0.25],
            "ci_low": [-0.1],
            "ci_high": [0.55],
        }
    )
    shown = format_dyad_comparison(comparison)
    assert shown[["self", "clinician"]].iloc[0].tolist() == ["25%", "50%"]
