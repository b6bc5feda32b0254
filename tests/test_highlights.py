"""The helpers that collect what chapters quote and show, checked against direct counts."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from alliance.data.dataset import load_study
from alliance.data.published import figure
from alliance.stats.planning import by_icc, effective_sizes, sessions_needed
from alliance.study.dyads import prevalence_by_dyad_table
from alliance.study.reliability import compare_consensus_majority, consensus_highlights
from alliance.study.sampling import attach_dyads, sample_counts, sample_highlights
from alliance.study.session_counts import count_summary_consistency, published_count_checks
from alliance.study.thematic import theme_cooccurrence, theme_prevalence, top_cooccurring_pairs


@pytest.fixture(scope="module")
def study():
    return load_study()


def test_sample_highlights_count_the_tables(study):
    counts = sample_counts(study.clinics, study.therapists, study.clients, study.dyads)
    values = sample_highlights(counts)
    ethnicity = study.clients["ethnicity"]
    assert values["n_clients_mizrahi"] == (ethnicity == "Mizrahi").sum()
    assert values["n_clients_ashkenazi"] == (ethnicity == "Ashkenazi").sum()
    assert values["n_discordant"] == (study.dyads["dyad_type"] == "discordant").sum()
    published = figure("n_clients_mizrahi").value + figure("n_clients_ashkenazi").value
    assert values["pub_per_therapist"] == pytest.approx(published / figure("n_therapists").value)


def test_consensus_highlights_match_a_direct_majority_vote(study):
    ratings = study.ratings
    votes = ratings.groupby(["session_id", "informant", "theme"])["present"].sum()
    majority = (votes >= 2).astype(int).rename("majority").reset_index()
    merged = majority.merge(study.consensus, on=["session_id", "informant", "theme"])
    changed = merged["majority"] != merged["present"]
    values = consensus_highlights(compare_consensus_majority(ratings, study.consensus))
    assert values["n_changed"] == changed.sum()
    assert values["n_compared"] == len(merged)
    assert values["n_added"] == (changed & (merged["present"] == 1)).sum()


def test_top_pairs_are_the_most_frequent_pairs_counted_directly(study):
    coded = study.consensus
    top = top_cooccurring_pairs(theme_cooccurrence(coded), n=3)
    for informant, rows in top.groupby("informant"):
        wide = coded[coded["informant"] == informant].pivot(
            index="session_id", columns="theme", values="present"
        )
        together = {
            frozenset(pair): int((wide[pair[0]] & wide[pair[1]]).sum())
            for pair in itertools.combinations(wide.columns, 2)
        }
        for row in rows.itertuples():
            assert together[frozenset((row.theme_a, row.theme_b))] == row.n_both
        assert rows["n_both"].min() >= sorted(together.values())[-3]
        assert rows["n_both"].is_monotonic_decreasing


def test_prevalence_by_dyad_table_counts_interviews(study):
    coded = attach_dyads(study.consensus, study.dyads, columns=["dyad_type"])
    table = prevalence_by_dyad_table(theme_prevalence(coded, by=["informant", "dyad_type"]))
    sums = coded.groupby(["informant", "theme", "dyad_type"])["present"].agg(["sum", "size"])
    for row in table.itertuples():
        for dyad_type in ("concordant", "discordant"):
            n_present, n = sums.loc[(row.informant, row.theme, dyad_type)]
            assert getattr(row, dyad_type).startswith(f"{n_present}/{n} (")


def test_published_count_checks_run_the_check_on_the_published_figures():
    checks = published_count_checks(["client"])
    direct = count_summary_consistency(
        55, figure("themes_client_mean").value, figure("themes_client_sd").value
    )
    pd.testing.assert_frame_equal(checks.drop(columns="informant"), direct)
    assert set(checks["informant"]) == {"client"}


def test_effective_sizes_and_by_icc():
    table = effective_sizes(26, 29, cluster_size=2.5, iccs=[0.0, 0.2])
    assert table["deff"].tolist() == pytest.approx([1.0, 1.3])
    assert table["effective_concordant"].tolist() == pytest.approx([26, 20])
    stacked = by_icc(sessions_needed, [0.0, 0.2], 0.5, 0.25, cluster_size=3)
    single = sessions_needed(0.5, 0.25, cluster_size=3, icc=0.2)
    assert stacked["sessions"].tolist()[2:] == single["sessions"].tolist()
    assert stacked["icc"].tolist() == [0.0, 0.0, 0.2, 0.2]
