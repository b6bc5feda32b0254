"""Tests of alliance.study.reliability against independent implementations and hand counts."""

from __future__ import annotations

import itertools
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from alliance.data.published import PUBLISHED
from alliance.study.reliability import (
    KAPPA_VARIANTS,
    compare_consensus_majority,
    consensus_changes,
    informant_agreement,
    kappa_reproduction,
    kappa_variants,
    majority_vote,
    prevalence_paradox,
    theme_agreement,
    theme_agreement_table,
    unanimous_agreement,
)

RATERS = ("R1", "R2", "R3")
THEMES = ("understood", "trust", "anger")


def simulated_ratings(seed: int, n_sessions: int = 30) -> pd.DataFrame:
    """Three raters with different styles coding a true 0/1 code with errors."""
    rng = np.random.default_rng(seed)
    prevalence = {"understood": 0.5, "trust": 0.35, "anger": 0.1}
    rows = []
    for informant in ("client", "therapist"):
        for theme in THEMES:
            truth = rng.random(n_sessions) < prevalence[theme]
            for rater, generosity in zip(RATERS, (0.05, 0.15, 0.1), strict=True):
                flip = rng.random(n_sessions) < generosity
                codes = np.where(flip, ~truth, truth).astype(int)
                rows += [
                    (f"S{s:02d}", informant, rater, theme, int(code))
                    for s, code in enumerate(codes)
                ]
    return pd.DataFrame(rows, columns=["session_id", "informant", "rater", "theme", "present"])


def wide(ratings: pd.DataFrame, informant: str, theme: str | None = None) -> pd.DataFrame:
    rows = ratings[ratings["informant"] == informant]
    if theme is not None:
        rows = rows[rows["theme"] == theme]
    return rows.pivot_table(
        index=["session_id", "theme"], columns="rater", values="present", aggfunc="first"
    )


def statsmodels_fleiss(matrix: pd.DataFrame) -> float:
    counts, _ = aggregate_raters(matrix.to_numpy())
    return float(fleiss_kappa(counts, method="fleiss"))


def conger_by_hand(matrix: np.ndarray) -> float:
    """Conger (1980) kappa for complete binary data (Gwet 2014, eq. 2.10)."""
    n, r = matrix.shape
    pairs = [(a, b) for a, b in itertools.combinations(range(r), 2)]
    observed = np.mean([np.mean(matrix[:, a] == matrix[:, b]) for a, b in pairs])
    shares = np.stack([1 - matrix.mean(axis=0), matrix.mean(axis=0)])  # category x rater
    mean = shares.mean(axis=1)
    spread = shares.var(axis=1, ddof=1)
    chance = float(np.sum(mean**2 - spread / r))
    return (observed - chance) / (1 - chance)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kappa_variants_match_independent_implementations(seed):
    ratings = simulated_ratings(seed)
    table = kappa_variants(ratings).set_index(["informant", "variant"])["estimate"]
    for informant in ("client", "therapist"):
        matrix = wide(ratings, informant)
        assert table[(informant, "fleiss_pooled")] == pytest.approx(statsmodels_fleiss(matrix))
        assert table[(informant, "conger_pooled")] == pytest.approx(
            conger_by_hand(matrix.to_numpy())
        )
        light = np.mean(
            [cohen_kappa_score(matrix[a], matrix[b]) for a, b in itertools.combinations(RATERS, 2)]
        )
        assert table[(informant, "light_pooled")] == pytest.approx(light)
        per_theme = [statsmodels_fleiss(wide(ratings, informant, theme)) for theme in THEMES]
        assert table[(informant, "fleiss_theme_mean")] == pytest.approx(np.mean(per_theme))


def test_kappa_variants_table_layout():
    table = kappa_variants(simulated_ratings(4))
    assert table["variant"].tolist() == list(KAPPA_VARIANTS) * 2
    assert table["informant"].tolist() == ["client"] * 4 + ["therapist"] * 4
    assert table.loc[table["variant"] == "fleiss_pooled", "n_units"].tolist() == [90, 90]
    assert table.loc[table["variant"] == "fleiss_theme_mean", "n_units"].tolist() == [3, 3]


def test_informant_agreement_matches_krippendorff_and_statsmodels():
    ratings = simulated_ratings(5)
    table = informant_agreement(ratings, methods=["fleiss_kappa", "krippendorff_alpha"])
    table = table.set_index(["informant", "coefficient"])["estimate"]
    for informant in ("client", "therapist"):
        matrix = wide(ratings, informant)
        alpha = krippendorff.alpha(
            reliability_data=matrix.to_numpy().T.astype(float), level_of_measurement="nominal"
        )
        assert table[(informant, "krippendorff_alpha")] == pytest.approx(alpha)
        assert table[(informant, "fleiss_kappa")] == pytest.approx(statsmodels_fleiss(matrix))


def test_bootstrap_resamples_whole_sessions_reproducibly():
    ratings = simulated_ratings(6)
    first = informant_agreement(ratings, "fleiss_kappa", ci="bootstrap", n_boot=300, seed=9)
    again = informant_agreement(ratings, "fleiss_kappa", ci="bootstrap", n_boot=300, seed=9)
    pd.testing.assert_frame_equal(first, again)
    assert first["ci_method"].str.contains("session_id").all()
    assert (first["ci_low"] < first["estimate"]).all() and (
        first["estimate"] < first["ci_high"]
    ).all()


def gwet_ac1_binary(matrix: np.ndarray) -> float:
    """Gwet's (2008) AC1 for complete binary ratings, from its definition."""
    n, r = matrix.shape
    ones = matrix.sum(axis=1)
    observed = np.mean((ones * (ones - 1) + (r - ones) * (r - ones - 1)) / (r * (r - 1)))
    pi = matrix.mean()
    chance = 2 * pi * (1 - pi)  # sum over the 2 categories of pi_k (1 - pi_k) / (q - 1)
    return (observed - chance) / (1 - chance)


def test_theme_agreement_per_theme_matches_definitions():
    ratings = simulated_ratings(7)
    table = theme_agreement(ratings, methods=["fleiss_kappa", "gwet_ac1"])
    assert table[["informant", "theme"]].drop_duplicates().values.tolist() == [
        [informant, theme] for informant in ("client", "therapist") for theme in THEMES
    ]
    for row in table.itertuples():
        matrix = wide(ratings, row.informant, row.theme)
        if row.coefficient == "fleiss_kappa":
            assert row.estimate == pytest.approx(statsmodels_fleiss(matrix))
        else:
            assert row.estimate == pytest.approx(gwet_ac1_binary(matrix.to_numpy()))
        assert row.prevalence == pytest.approx(matrix.to_numpy().mean())
        assert row.n_units == 30


def test_theme_nobody_codes_gives_nan_kappa_with_a_note_and_no_warning():
    ratings = simulated_ratings(8)
    ratings.loc[ratings["theme"] == "anger", "present"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = theme_agreement(ratings, methods=["percent_agreement", "fleiss_kappa"])
    anger = table[(table["theme"] == "anger") & (table["coefficient"] == "fleiss_kappa")]
    assert anger["estimate"].isna().all()
    assert anger["note"].str.contains("one category").all()
    raw = table[(table["theme"] == "anger") & (table["coefficient"] == "percent_agreement")]
    assert (raw["estimate"] == 1.0).all()
    assert (table.loc[table["estimate"].notna(), "note"] == "").all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.drop(columns="rater"), "rater"),
        (lambda r: r.assign(present=r["present"].replace(1, "yes")), "0 or 1"),
    ],
)
def test_bad_ratings_are_rejected(change, message):
    with pytest.raises(ValueError, match=message):
        kappa_variants(change(simulated_ratings(1)))


def test_majority_vote_counts_votes_by_hand():
    ratings = simulated_ratings(9)
    votes = majority_vote(ratings)
    assert len(votes) == 2 * 3 * 30
    by_hand = ratings.groupby(["session_id", "informant", "theme"])["present"].sum()
    merged = votes.set_index(["session_id", "informant", "theme"])
    assert (merged["votes"] == by_hand.reindex(merged.index)).all()
    assert (merged["majority"] == (merged["votes"] >= 2).astype(int)).all()


def test_majority_vote_rejects_double_coding():
    ratings = simulated_ratings(9)
    with pytest.raises(ValueError, match="more than one row per .* and rater"):
        majority_vote(pd.concat([ratings, ratings.iloc[[0]]]))


def test_consensus_against_majority_labels_each_kind_of_change():
    ratings = pd.DataFrame(
        {
            "session_id": ["S1"] * 3 + ["S2"] * 3 + ["S3"] * 3 + ["S4"] * 2,
            "informant": "client",
            "theme": "trust",
            "rater": ["R1", "R2", "R3"] * 3 + ["R1", "R2"],
            "present": [1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0],
        }
    )
    consensus = pd.DataFrame(
        {
            "session_id": ["S1", "S2", "S3", "S4"],
            "informant": "client",
            "theme": "trust",
            "present": [1, 0, 1, 0],
        }
    )
    comparison = compare_consensus_majority(ratings, consensus)
    assert comparison["change"].tolist() == ["added", "dropped", "kept", "tie broken"]
    summary = consensus_changes(comparison)
    assert summary[["n_units", "added", "dropped", "tie_broken", "changed"]].values.tolist() == [
        [4, 1, 1, 1, 2]
    ]
    assert summary["share_changed"].item() == pytest.approx(0.5)
    by_votes = consensus_changes(comparison, by=["votes"])
    assert by_votes.set_index("votes")["changed"].to_dict() == {1: 1, 2: 1, 3: 0}


def test_consensus_and_ratings_must_cover_the_same_units():
    ratings = simulated_ratings(2)
    consensus = majority_vote(ratings).rename(columns={"majority": "present"})
    consensus = consensus[["session_id", "informant", "theme", "present"]].astype({"present": int})
    assert (compare_consensus_majority(ratings, consensus)["change"] == "kept").all()
    with pytest.raises(ValueError, match="no row in consensus"):
        compare_consensus_majority(ratings, consensus.iloc[1:])
    with pytest.raises(ValueError, match="0 or 1"):
        compare_consensus_majority(ratings, consensus.assign(present=2))


def test_kappa_reproduction_rounds_half_away_from_zero_against_published():
    published = {item.key: item.value for item in PUBLISHED}
    variants = pd.DataFrame(
        {
            "informant": ["client", "client", "therapist", "therapist"],
            "estimate": [0.695, 0.6949, 0.7249, 0.7151],
        }
    )
    table = kappa_reproduction(variants)
    assert table["rounded"].tolist() == ["0.70", "0.69", "0.72", "0.72"]
    assert table["published"].tolist() == [
        f"{published['kappa_client']:.2f}",
        f"{published['kappa_client']:.2f}",
        f"{published['kappa_therapist']:.2f}",
        f"{published['kappa_therapist']:.2f}",
    ]
    expected = [
        "yes" if rounded == shown else "no"
        for rounded, shown in zip(table["rounded"], table["published"], strict=True)
    ]
    assert table["reproduces"].tolist() == expected
    with pytest.raises(KeyError):
        kappa_reproduction(pd.DataFrame({"informant": ["observer"], "estimate": [0.5]}))


def test_theme_agreement_table_holds_the_long_estimates():
    ratings = simulated_ratings(4)
    ratings.loc[ratings["theme"] == "anger", "present"] = 0
    methods = ["percent_agreement", "fleiss_kappa", "gwet_ac1"]
    per_theme = theme_agreement(ratings, methods=methods)
    table = theme_agreement_table(per_theme)
    assert list(table.columns) == [
        "informant",
        "theme",
        "prevalence",
        "percent_agreement",
        "fleiss_kappa",
        "kappa 95% CI",
        "gwet_ac1",
    ]
    assert len(table) == 2 * len(THEMES)
    for row in table.itertuples(index=False):
        for method in methods:
            long = per_theme[
                (per_theme["informant"] == row.informant)
                & (per_theme["theme"] == row.theme)
                & (per_theme["coefficient"] == method)
            ].iloc[0]
            assert getattr(row, method) == pytest.approx(long["estimate"], nan_ok=True)
            if method == "fleiss_kappa":
                interval = row[5]
                if np.isnan(long["estimate"]):
                    assert interval == "n/a"
                else:
                    low, high = (float(part) for part in interval.split(" to "))
                    assert low == pytest.approx(long["ci_low"], abs=0.005)
                    assert high == pytest.approx(long["ci_high"], abs=0.005)
    with pytest.raises(ValueError, match="fleiss_kappa"):
        theme_agreement_table(per_theme[per_theme["coefficient"] != "fleiss_kappa"])


def test_prevalence_paradox_chance_agreement_explains_fleiss_kappa():
    ratings = simulated_ratings(6, n_sessions=60)
    per_theme = theme_agreement(ratings, methods=["percent_agreement", "fleiss_kappa"])
    paradox = prevalence_paradox(per_theme, informant="client", theme="anger")
    assert paradox["theme"].iloc[0] == "anger"
    client = per_theme[
        (per_theme["informant"] == "client") & (per_theme["coefficient"] == "percent_agreement")
    ].set_index("theme")["estimate"]
    gaps = {
        theme: abs(client[theme] - client["anger"]) for theme in client.index if theme != "anger"
    }
    assert paradox["theme"].iloc[1] == min(sorted(gaps), key=gaps.get)
    for row in paradox.itertuples(index=False):
        matrix = wide(ratings, "client", row.theme)
        kappa = statsmodels_fleiss(matrix)
        observed = row.percent_agreement
        assert (observed - row.chance_agreement) / (1 - row.chance_agreement) == pytest.approx(
            kappa
        )
    with pytest.raises(ValueError, match="'hope'"):
        prevalence_paradox(per_theme, theme="hope")


@pytest.mark.parametrize("seed", [0, 1])
def test_unanimous_agreement_matches_pairs_counted_by_hand(seed):
    ratings = simulated_ratings(seed)
    table = unanimous_agreement(ratings).set_index("informant")
    for informant in ("client", "therapist"):
        matrix = wide(ratings, informant).to_numpy()
        pair_agreement = [
            np.mean(matrix[:, a] == matrix[:, b]) for a, b in itertools.combinations(range(3), 2)
        ]
        all_three = np.mean((matrix == matrix[:, :1]).all(axis=1))
        row = table.loc[informant]
        assert row["n_units"] == len(matrix)
        assert row["unanimous"] == pytest.approx(all_three)
        assert row["pairwise"] == pytest.approx(np.mean(pair_agreement))
        # with three raters and two codes, a split unit has exactly one agreeing pair of three
        assert row["pairwise"] == pytest.approx(all_three + (1 - all_three) / 3)
        counts, _ = aggregate_raters(matrix)
        assert row["n_unanimous"] == int((counts.max(axis=1) == 3).sum())


def test_unanimous_agreement_by_theme_is_stricter_than_pairwise():
    table = unanimous_agreement(simulated_ratings(3), by=["informant", "theme"])
    assert list(table.columns) == [
        "informant",
        "theme",
        "n_units",
        "n_unanimous",
        "unanimous",
        "pairwise",
    ]
    assert (table["unanimous"] <= table["pairwise"]).all()
    assert (table["unanimous"] < table["pairwise"]).any()
