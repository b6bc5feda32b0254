"""Sampling helpers, checked against independent counts (collections, statistics)."""

from __future__ import annotations

import statistics
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.study.sampling import (
    DYAD_TYPES,
    attach_dyads,
    caseload_summary,
    dyad_composition,
    participant_characteristics,
    sample_counts,
    table_one,
    therapist_caseloads,
)

CLINICS = pd.DataFrame(
    {"clinic_id": ["C1", "C2", "C3"], "setting": ["community", "hospital outpatient", "community"]}
)
THERAPISTS = pd.DataFrame(
    {
        "therapist_id": ["T01", "T02", "T03", "T04"],
        "clinic_id": ["C1", "C1", "C2", "C2"],
        "ethnicity": ["Ashkenazi"] * 4,
        "gender": ["woman", "man", "woman", None],
        "profession": ["social worker", "psychologist", "psychologist", "psychiatrist"],
        "years_experience": [3, 12, 7, None],
    }
)
CLIENTS = pd.DataFrame(
    {
        "client_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
        "ethnicity": [
            "Mizrahi",
            "Ashkenazi",
            "Mizrahi",
            "Mizrahi",
            "Ashkenazi",
            "Mizrahi",
            "Ashkenazi",
        ],
        "gender": ["woman", "man", "man", "woman", "woman", "woman", None],
        "age": [23, 35, 41, 58, 30, None, 47],
        "education_years": [12, 16, 10, 12, 18, 14, 15],
    }
)
SESSIONS = pd.DataFrame(
    {
        "session_id": [f"S{i}" for i in range(1, 8)],
        "client_id": CLIENTS["client_id"],
        "therapist_id": ["T01", "T01", "T02", "T03", "T03", "T03", "T02"],
    }
)


def _dyads(sessions: pd.DataFrame = SESSIONS) -> pd.DataFrame:
    """Build Study.dyads by hand, row by row, as the loader's contract defines it."""
    clinic = dict(zip(THERAPISTS["therapist_id"], THERAPISTS["clinic_id"], strict=True))
    therapist_group = dict(zip(THERAPISTS["therapist_id"], THERAPISTS["ethnicity"], strict=True))
    client_group = dict(zip(CLIENTS["client_id"], CLIENTS["ethnicity"], strict=True))
    rows = []
    for session in sessions.itertuples(index=False):
        same = client_group[session.client_id] == therapist_group[session.therapist_id]
        rows.append(
            {
                "session_id": session.session_id,
                "client_id": session.client_id,
                "therapist_id": session.therapist_id,
                "clinic_id": clinic[session.therapist_id],
                "client_ethnicity": client_group[session.client_id],
                "dyad_type": "concordant" if same else "discordant",
            }
        )
    return pd.DataFrame(rows)


DYADS = _dyads()


def test_attach_dyads_adds_columns_in_row_order():
    coded = pd.DataFrame({"session_id": ["S4", "S1", "S4"], "present": [1, 0, 1]}, index=[7, 8, 9])
    out = attach_dyads(coded, DYADS)
    assert list(out.index) == [7, 8, 9]
    assert out["therapist_id"].tolist() == ["T03", "T01", "T03"]
    assert out["dyad_type"].tolist() == ["discordant", "discordant", "discordant"]
    assert out["present"].tolist() == [1, 0, 1]
    assert coded.columns.tolist() == ["session_id", "present"], "input must not be modified"


def test_attach_dyads_names_every_unknown_session():
    coded = pd.DataFrame({"session_id": ["S1", "S99", "S98"]})
    with pytest.raises(ValueError, match=r"row 1 \(session_id='S99'\).*row 2 \(session_id='S98'\)"):
        attach_dyads(coded, DYADS)


def test_attach_dyads_rejects_repeated_sessions_in_dyads():
    with pytest.raises(ValueError, match="repeated: \\['S1'\\]"):
        attach_dyads(pd.DataFrame({"session_id": ["S1"]}), pd.concat([DYADS, DYADS.iloc[:1]]))


def test_sample_counts_match_independent_tallies():
    counts = sample_counts(CLINICS, THERAPISTS, CLIENTS, DYADS).set_index("quantity")["n"]
    ethnic = Counter(CLIENTS["ethnicity"])
    types = Counter(DYADS["dyad_type"])
    assert counts["n_clinics"] == 3
    assert counts["n_therapists"] == len(set(THERAPISTS["therapist_id"]))
    assert counts["n_clients"] == sum(ethnic.values())
    assert counts["n_clients_mizrahi"] == ethnic["Mizrahi"]
    assert counts["n_clients_ashkenazi"] == ethnic["Ashkenazi"]
    assert counts["n_dyads"] == len(SESSIONS)
    assert counts["n_concordant"] == types["concordant"]
    assert counts["n_discordant"] == types["discordant"]


def test_sample_counts_report_a_missing_dyad_type_as_zero():
    only_discordant = DYADS[DYADS["dyad_type"] == "discordant"]
    counts = sample_counts(CLINICS, THERAPISTS, CLIENTS, only_discordant)
    assert counts.set_index("quantity").loc["n_concordant", "n"] == 0


def test_participant_characteristics_match_statistics_module():
    table = participant_characteristics(CLIENTS, THERAPISTS)
    clients = table[table["role"] == "client"]
    for group, people in CLIENTS.groupby("ethnicity"):
        ages = [a for a in people["age"] if not pd.isna(a)]
        row = clients[(clients["ethnicity"] == group) & (clients["variable"] == "age")].iloc[0]
        assert row["mean"] == pytest.approx(statistics.mean(ages))
        assert row["sd"] == pytest.approx(statistics.stdev(ages))
        assert row["n"] == len(ages)
        assert row["n_missing"] == len(people) - len(ages)
        assert row["group_n"] == len(people)
        genders = Counter(g for g in people["gender"] if pd.notna(g))
        for level in ("man", "woman"):
            cell = clients[
                (clients["ethnicity"] == group)
                & (clients["variable"] == "gender")
                & (clients["level"] == level)
            ].iloc[0]
            assert cell["n"] == genders[level]
            assert cell["percent"] == pytest.approx(100 * genders[level] / sum(genders.values()))


def test_participant_characteristics_list_levels_with_zero_counts():
    table = participant_characteristics(CLIENTS, THERAPISTS)
    professions = table[(table["variable"] == "profession")]
    assert sorted(professions["level"]) == sorted(set(THERAPISTS["profession"]))
    assert professions["percent"].sum() == pytest.approx(100)
    # every client group lists both genders, even where a count is zero
    genders = table[(table["role"] == "client") & (table["variable"] == "gender")]
    assert genders.groupby("ethnicity")["level"].apply(sorted).map(tuple).unique().tolist() == [
        ("man", "woman")
    ]


def test_participant_characteristics_reject_missing_columns_and_kinds():
    with pytest.raises(ValueError, match=r"clients lacks required column\(s\) \['age'\]"):
        participant_characteristics(CLIENTS.drop(columns="age"), THERAPISTS)
    with pytest.raises(ValueError, match="kind must be"):
        participant_characteristics(CLIENTS, THERAPISTS, {"age": "ordinal"}, {})


def test_table_one_formats_the_long_table():
    chars = participant_characteristics(CLIENTS, THERAPISTS)
    table = table_one(chars)
    mizrahi = CLIENTS[CLIENTS["ethnicity"] == "Mizrahi"]
    column = f"Clients, Mizrahi (n={len(mizrahi)})"
    ages = mizrahi["age"].dropna()
    assert table.loc["age, mean (SD)", column] == f"{ages.mean():.1f} ({ages.std():.1f})"
    assert table.loc["age: missing", column] == str(mizrahi["age"].isna().sum())
    women = (mizrahi["gender"] == "woman").sum()
    assert table.loc["gender: woman", column] == f"{women} ({100 * women / len(mizrahi):.1f}%)"
    assert table.loc["profession: psychologist", column] == ""
    assert list(table.index).index("gender: missing") > list(table.index).index("gender: woman")


def test_table_one_uses_labels_and_shows_a_lone_value_without_sd():
    chars = participant_characteristics(CLIENTS, THERAPISTS)
    table = table_one(chars, labels={"age": "Age (years)"})
    assert "Age (years), mean (SD)" in table.index and "age, mean (SD)" not in table.index
    one = participant_characteristics(CLIENTS.iloc[:1], THERAPISTS, {"age": "numeric"}, {})
    assert table_one(one).iloc[0, 0] == f"{CLIENTS['age'].iloc[0]:.1f}"


def test_therapist_caseloads_match_counter_and_keep_idle_therapists():
    caseloads = therapist_caseloads(THERAPISTS, DYADS).set_index("therapist_id")
    per_pair = Counter(zip(DYADS["therapist_id"], DYADS["dyad_type"], strict=True))
    for therapist in THERAPISTS["therapist_id"]:
        for dyad_type in DYAD_TYPES:
            assert caseloads.loc[therapist, dyad_type] == per_pair[(therapist, dyad_type)]
    assert caseloads.loc["T04", "total"] == 0
    assert caseloads["total"].sum() == len(DYADS)


def test_therapist_caseloads_name_unknown_therapists():
    dyads = DYADS.assign(therapist_id=DYADS["therapist_id"].replace({"T02": "T77"}))
    with pytest.raises(ValueError, match="therapist_id='T77'"):
        therapist_caseloads(THERAPISTS, dyads)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["T01", "T02", "T03", "T04"]), st.sampled_from(DYAD_TYPES)),
        min_size=2,
        max_size=40,
    )
)
def test_caseload_summary_agrees_with_statistics_module(pairs):
    dyads = pd.DataFrame(pairs, columns=["therapist_id", "dyad_type"])
    summary = caseload_summary(therapist_caseloads(THERAPISTS, dyads)).iloc[0]
    totals = [sum(1 for t, _ in pairs if t == tid) for tid in THERAPISTS["therapist_id"]]
    both = sum(
        1
        for tid in THERAPISTS["therapist_id"]
        if {kind for t, kind in pairs if t == tid} == set(DYAD_TYPES)
    )
    assert summary["n_therapists"] == len(THERAPISTS)
    assert summary["mean"] == pytest.approx(statistics.mean(totals))
    assert summary["sd"] == pytest.approx(statistics.stdev(totals))
    assert summary["median"] == pytest.approx(statistics.median(totals))
    assert (summary["min"], summary["max"]) == (min(totals), max(totals))
    assert summary["n_single"] == totals.count(1)
    assert summary["n_both_types"] == both


def test_dyad_composition_counts_each_clinic():
    table = dyad_composition(CLINICS, THERAPISTS, DYADS).set_index("clinic_id")
    assert table.loc["C1", "n_therapists"] == 2
    assert table.loc["C3", "n_therapists"] == 0
    for clinic in CLINICS["clinic_id"]:
        mine = DYADS[DYADS["clinic_id"] == clinic]
        tally = Counter(mine["dyad_type"])
        assert table.loc[clinic, "concordant"] == tally["concordant"]
        assert table.loc[clinic, "discordant"] == tally["discordant"]
        assert table.loc[clinic, "n_dyads"] == len(mine)
        if len(mine):
            expected = 100 * tally["discordant"] / len(mine)
            assert table.loc[clinic, "percent_discordant"] == pytest.approx(expected)
        else:
            assert np.isnan(table.loc[clinic, "percent_discordant"])
    assert table.loc["C2", "setting"] == "hospital outpatient"


def test_dyad_composition_names_unknown_clinics():
    therapists = THERAPISTS.assign(clinic_id=["C1", "C1", "C2", "C9"])
    with pytest.raises(ValueError, match=r"therapists: clinic_id not found in clinics: row 3"):
        dyad_composition(CLINICS, therapists, DYADS)
