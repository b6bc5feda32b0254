"""Thematic-analysis helpers, checked against loops and scipy's Wilson interval."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alliance.data.codebook import THEMES
from alliance.study.thematic import (
    coding_matrix,
    select_excerpts,
    theme_cooccurrence,
    theme_extremes,
    theme_prevalence,
    valence_counts,
    valence_mix,
)


def _random_coding(n_sessions: int = 12, seed: int = 3) -> pd.DataFrame:
    """A complete tidy coding in the consensus.csv schema, with a dyad_type per session."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(n_sessions):
        session = f"S{number:02d}"
        dyad_type = "discordant" if number % 3 else "concordant"
        for informant in ("client", "therapist"):
            for theme in THEMES:
                present = int(rng.random() < (0.05 if theme == "anger" else 0.4))
                rows.append((session, informant, theme, present, dyad_type))
    return pd.DataFrame(rows, columns=["session_id", "informant", "theme", "present", "dyad_type"])


CODED = _random_coding()


def test_prevalence_matches_loop_and_scipy_wilson():
    table = theme_prevalence(CODED, by=["informant", "dyad_type"])
    assert len(table) == 2 * 2 * len(THEMES)
    for row in table.itertuples(index=False):
        cells = [
            r.present
            for r in CODED.itertuples(index=False)
            if (r.informant, r.dyad_type, r.theme) == (row.informant, row.dyad_type, row.theme)
        ]
        assert row.n_interviews == len(cells)
        assert row.n_present == sum(cells)
        assert row.prevalence == pytest.approx(sum(cells) / len(cells))
        interval = stats.binomtest(sum(cells), len(cells)).proportion_ci(method="wilson")
        assert row.ci_low == pytest.approx(interval.low, abs=1e-12)
        assert row.ci_high == pytest.approx(interval.high, abs=1e-12)


def test_prevalence_keeps_published_theme_order_and_absent_themes():
    never_anger = CODED.assign(present=CODED["present"].where(CODED["theme"] != "anger", 0))
    table = theme_prevalence(never_anger)
    assert table[table["informant"] == "client"]["theme"].tolist() == list(THEMES)
    anger = table[table["theme"] == "anger"]
    assert anger["n_present"].tolist() == [0, 0]
    assert (anger["ci_low"] == 0).all() and (anger["ci_high"] > 0).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.assign(present=t["present"].replace({0: 2})), "present must be 0 or 1"),
        (lambda t: t.assign(theme=t["theme"].replace({"trust": "hope"})), "'hope' in row 3"),
        (lambda t: pd.concat([t, t.iloc[[5]]]), "more than one row per session"),
        (
            lambda t: t.assign(dyad_type=t["dyad_type"].where(t.index != 9)),
            r"empty value .* at row 9",
        ),
        (lambda t: t.drop(columns="informant"), r"lacks required column\(s\) \['informant'\]"),
    ],
)
def test_prevalence_rejects_bad_input_naming_the_row(change, message):
    with pytest.raises(ValueError, match=message):
        theme_prevalence(change(CODED), by=["informant", "dyad_type"], themes=THEMES)


def test_coding_matrix_names_a_missing_code():
    with pytest.raises(ValueError, match="session 'S00', informant 'client', theme 'trust'"):
        coding_matrix(CODED.drop(index=3))


def test_cooccurrence_matches_pairwise_loop():
    table = theme_cooccurrence(CODED)
    matrix = CODED.pivot(index=["session_id", "informant"], columns="theme", values="present")
    for informant in ("client", "therapist"):
        rows = matrix.xs(informant, level="informant")
        part = table[table["informant"] == informant].set_index(["theme_a", "theme_b"])
        for a, b in itertools.product(THEMES, THEMES):
            both = sum(1 for x, y in zip(rows[a], rows[b], strict=True) if x and y)
            either = sum(1 for x, y in zip(rows[a], rows[b], strict=True) if x or y)
            assert part.loc[(a, b), "n_both"] == both
            assert part.loc[(a, b), "n_either"] == either
            assert part.loc[(a, b), "n_interviews"] == len(rows)
            if either:
                assert part.loc[(a, b), "jaccard"] == pytest.approx(both / either)
            else:
                assert np.isnan(part.loc[(a, b), "jaccard"])


def test_cooccurrence_diagonal_equals_prevalence_counts():
    table = theme_cooccurrence(CODED, by=["informant", "dyad_type"])
    diagonal = table[table["theme_a"] == table["theme_b"]]
    prevalence = theme_prevalence(CODED, by=["informant", "dyad_type"])
    merged = diagonal.merge(
        prevalence,
        left_on=["informant", "dyad_type", "theme_a"],
        right_on=["informant", "dyad_type", "theme"],
    )
    assert len(merged) == len(prevalence)
    assert (merged["n_both"] == merged["n_present"]).all()


def test_cooccurrence_without_grouping_pools_informants():
    table = theme_cooccurrence(CODED, by=[])
    assert set(table.columns) >= {"theme_a", "theme_b", "n_both"}
    assert table["n_interviews"].unique().tolist() == [
        CODED.groupby(["session_id", "informant"]).ngroups
    ]


def test_cooccurrence_rejects_grouping_that_varies_within_an_interview():
    varying = CODED.assign(dyad_type=np.where(CODED.index == 0, "concordant", "discordant"))
    varying.loc[1, "dyad_type"] = "discordant"
    with pytest.raises(ValueError, match="vary within interview"):
        theme_cooccurrence(varying.assign(dyad_type=varying["dyad_type"]), by=["dyad_type"])


EXCERPTS = pd.DataFrame(
    {
        "excerpt_id": ["E05", "E01", "E02", "E03", "E04", "E06"],
        "session_id": ["S2", "S1", "S1", "S1", "S3", "S1"],
        "informant": ["client", "client", "client", "client", "client", "therapist"],
        "theme": ["trust", "trust", "trust", "trust", "anger", "trust"],
        "facet": [None, "eye_contact", "", "", "", ""],
        "text": ["e", "a", "b", "c", "d", "f"],
    }
)


def test_select_excerpts_prefers_plain_excerpts_and_distinct_sessions():
    chosen = select_excerpts(EXCERPTS, per_group=2)
    client_trust = chosen[(chosen["informant"] == "client") & (chosen["theme"] == "trust")]
    # E01 carries a facet; E02 and E03 share a session: E02 and E05 win
    assert client_trust["excerpt_id"].tolist() == ["E02", "E05"]
    assert chosen["theme"].tolist() == ["trust", "trust", "trust", "anger"]


def test_select_excerpts_per_group_counts_and_is_deterministic():
    shuffled = EXCERPTS.sample(frac=1, random_state=1)
    one = select_excerpts(shuffled, per_group=1)
    assert one.groupby(["theme", "informant"]).size().max() == 1
    pd.testing.assert_frame_equal(one, select_excerpts(EXCERPTS, per_group=1))
    everything = select_excerpts(EXCERPTS, per_group=10)
    assert sorted(everything["excerpt_id"]) == sorted(EXCERPTS["excerpt_id"])


def test_select_excerpts_rejects_bad_arguments():
    with pytest.raises(ValueError, match="per_group must be at least 1"):
        select_excerpts(EXCERPTS, per_group=0)
    with pytest.raises(ValueError, match="'hope' in row 2"):
        select_excerpts(
            EXCERPTS.assign(theme=["trust", "trust", "hope", "trust", "anger", "trust"]),
            themes=THEMES,
        )


def test_valence_counts_match_a_loop_over_themes():
    valence = {theme: ("positive" if i < 5 else "negative") for i, theme in enumerate(THEMES)}
    table = valence_counts(CODED, valence).set_index(["session_id", "informant"])
    for (session, informant), rows in CODED.groupby(["session_id", "informant"]):
        present = dict(zip(rows["theme"], rows["present"], strict=True))
        positive = sum(present[t] for t in THEMES if valence[t] == "positive")
        negative = sum(present[t] for t in THEMES if valence[t] == "negative")
        assert tuple(table.loc[(session, informant)]) == (positive, negative)


def test_valence_counts_need_a_valence_for_every_theme():
    with pytest.raises(ValueError, match=r"no valence given for theme\(s\) \['disengagement'\]"):
        valence_counts(CODED, {theme: "positive" for theme in THEMES[:-1]})
    with pytest.raises(ValueError, match="'neutral'"):
        valence_counts(CODED, dict.fromkeys(THEMES, "neutral"))


def test_theme_extremes_match_a_loop_over_counts():
    prevalence = theme_prevalence(_random_coding(n_sessions=15, seed=9))
    table = theme_extremes(prevalence).set_index("informant")
    for informant, rows in prevalence.groupby("informant"):
        counts = dict(zip(rows["theme"], rows["n_present"], strict=True))
        top = next(t for t in THEMES if counts[t] == max(counts.values()))
        rare = [t for t in THEMES if counts[t] == min(counts.values())][-1]
        row = table.loc[informant]
        assert (row["top_theme"], row["rare_theme"]) == (top, rare)
        assert row["top_prevalence"] == counts[top] / row["n_interviews"]
        assert row["rare_prevalence"] == counts[rare] / row["n_interviews"]
        assert row["n_interviews"] == rows["n_interviews"].iloc[0]


def test_valence_mix_matches_a_loop_over_interviews():
    valence = {theme: ("positive" if i < 5 else "negative") for i, theme in enumerate(THEMES)}
    profile = valence_counts(_random_coding(n_sessions=20, seed=4), valence)
    table = valence_mix(profile).set_index("informant")
    for informant, rows in profile.groupby("informant"):
        pairs = list(zip(rows["positive"], rows["negative"], strict=True))
        expected = (
            sum(n > 0 for _, n in pairs) / len(pairs),
            sum(p > 0 and n > 0 for p, n in pairs) / len(pairs),
            sum(p + n == 0 for p, n in pairs) / len(pairs),
        )
        assert tuple(table.loc[informant, ["any_negative", "mixed", "none"]]) == expected
    with pytest.raises(ValueError, match="negative"):
        valence_mix(profile.drop(columns="negative"))
