"""The study report: its numbers recomputed independently, and its handling of bad folders."""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from alliance.data.codebook import THEMES, codebook_text
from alliance.data.dataset import coding_coverage, load_study, validation_report
from alliance.data.examples import write_example_study
from alliance.data.published import figure
from alliance.data.schema import TABLES, table_schema
from alliance.exchange.report import (
    datapackage_fields,
    format_report,
    print_report,
    report_tables,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def study():
    return load_study(DATA)


@pytest.fixture(scope="module")
def tables(study):
    return report_tables(study)


def raw(table: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{table}.csv", dtype=str, keep_default_na=False)


def _dyad_types() -> pd.Series:
    sessions = (
        raw("sessions")
        .merge(raw("clients"), on="client_id")
        .merge(raw("therapists"), on="therapist_id", suffixes=("_client", "_therapist"))
    )
    same = sessions["ethnicity_client"] == sessions["ethnicity_therapist"]
    return pd.Series(np.where(same, "concordant", "discordant"), index=sessions["session_id"])


def test_sessions_by_dyad_type_match_the_published_sample(tables):
    rows = tables["study"].set_index("dyad_type")
    assert rows.loc["concordant", "sessions"] == figure("n_clients_ashkenazi").value
    assert rows.loc["discordant", "sessions"] == figure("n_clients_mizrahi").value


def test_reliability_equals_statsmodels_fleiss_kappa(tables):
    ratings = raw("ratings")
    shown = tables["reliability"].query("coefficient == 'fleiss_kappa'").set_index("informant")
    for informant, rows in ratings.groupby("informant"):
        wide = rows.pivot(index=["session_id", "theme"], columns="rater", values="present")
        counts, _ = aggregate_raters(wide.astype(int).to_numpy())
        assert shown.loc[informant, "estimate"] == pytest.approx(fleiss_kappa(counts))
        assert figure(f"kappa_{informant}").matches(shown.loc[informant, "estimate"])


def test_themes_per_session_match_an_independent_count(tables):
    consensus = raw("consensus").astype({"present": int})
    per_interview = consensus.groupby(["session_id", "informant"])["present"].sum().reset_index()
    per_interview["dyad_type"] = per_interview["session_id"].map(_dyad_types())
    shown = tables["themes_per_session"].set_index(["informant", "dyad_type"])
    for (informant, dyad_type), group in per_interview.groupby(["informant", "dyad_type"]):
        row = shown.loc[(informant, dyad_type)]
        assert row["mean"] == pytest.approx(group["present"].mean())
        assert row["sd"] == pytest.approx(group["present"].std(ddof=0))
    for informant in ("client", "therapist"):
        overall = shown.loc[(informant, "all"), "mean"]
        assert figure(f"themes_{informant}_mean").matches(overall)


def test_dyad_comparison_counts_and_fisher_tests(tables):
    consensus = raw("consensus").astype({"present": int})
    consensus["dyad_type"] = consensus["session_id"].map(_dyad_types())
    shown = tables["dyad_comparison"].set_index(["informant", "theme"])
    assert len(shown) == 16
    for (informant, theme), group in consensus.groupby(["informant", "theme"]):
        table = pd.crosstab(group["dyad_type"], group["present"]).reindex(columns=[1, 0])
        row = shown.loc[(informant, theme)]
        assert row["present_discordant"] == table.loc["discordant", 1]
        assert row["present_concordant"] == table.loc["concordant", 1]
        assert row["p_fisher"] == pytest.approx(stats.fisher_exact(table.to_numpy()).pvalue)
    anger = shown.loc[("therapist", "anger")]
    assert anger["present_concordant"] == 0 and anger["present_discordant"] >= 3


def test_the_printed_report_shows_every_table_and_says_the_data_are_synthetic(study, tables):
    text = format_report(study)
    for heading in (
        "Sessions by group",
        "Inter-rater reliability",
        "Themes per session",
        "Group comparison",
    ):
        assert heading in text
    assert "SYNTHETIC data" in text and "seed" in text
    anger = tables["dyad_comparison"].query("informant == 'therapist' and theme == 'anger'").iloc[0]
    label = next(t["label"] for t in study.codebook["themes"] if t["id"] == "anger")
    assert label != "anger"  # the report prints the codebook's name, not the id
    line = next(x for x in text.splitlines() if x.split()[:4] == ["therapist", *label.split()])
    assert f"{anger.present_concordant}/{anger.n_concordant}" in line
    assert f"{anger.present_discordant}/{anger.n_discordant}" in line


def test_print_report_on_a_valid_folder(capsys):
    assert print_report(DATA) == 0
    out = capsys.readouterr().out
    assert out.startswith("Working-alliance study report")


def test_a_copy_without_the_synthetic_marker_is_reported_as_undeclared(tmp_path, capsys):
    copy = shutil.copytree(DATA, tmp_path / "mine")
    (copy / "datapackage.json").unlink()
    assert print_report(copy) == 0
    out = capsys.readouterr().out
    assert "Data: provenance not declared" in out and "real data" not in out


def test_an_invalid_folder_prints_every_problem_and_no_report(tmp_path, capsys):
    copy = shutil.copytree(DATA, tmp_path / "broken")
    (copy / "datapackage.json").unlink()
    ratings = (copy / "ratings.csv").read_text(encoding="utf-8").splitlines()
    ratings[1] = ratings[1][:-1] + "2"
    (copy / "ratings.csv").write_text("\n".join(ratings) + "\n", encoding="utf-8")
    (copy / "clinics.csv").unlink()
    assert print_report(copy) == 1
    out = capsys.readouterr().out
    assert "does not validate" in out and "Inter-rater reliability" not in out
    assert "ratings.csv, line 2, column present, value '2'" in out
    assert "clinics.csv: missing-file" in out


def test_datapackage_fields_render_the_committed_table_schemas():
    fields = datapackage_fields(DATA)
    for table in TABLES:
        rows = fields[fields["table"] == f"{table}.csv"]
        schema = table_schema(table)["fields"]
        assert rows["field"].tolist() == [f["name"] for f in schema]
        assert rows["type"].tolist() == [f["type"] for f in schema]
        required = [f.get("constraints", {}).get("required", False) for f in schema]
        assert rows["required"].tolist() == required
    anger = fields[(fields["table"] == "ratings.csv") & (fields["field"] == "theme")].iloc[0]
    assert all(theme in anger["constraints"] for theme in THEMES)


def test_datapackage_fields_name_a_missing_or_broken_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        datapackage_fields(tmp_path)
    (tmp_path / "datapackage.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"datapackage.json: not valid JSON \(line 1\)"):
        datapackage_fields(tmp_path)
    (tmp_path / "datapackage.json").write_text('{"resources": [{"path": "x.txt"}]}')
    with pytest.raises(ValueError, match="no resource has a table schema"):
        datapackage_fields(tmp_path)


# -- what validates, runs (issue #15) ---------------------------------------------------------


@st.composite
def small_studies(draw) -> dict[str, list[list[object]]]:
    """A small study the schema accepts: 1-6 sessions, 2-3 raters, any mix of dyad types.

    Both informants are always coded and every rater codes every interview, because
    the schema requires complete coding; one group (or one dyad type) may be missing.
    """
    n_sessions = draw(st.integers(1, 6))
    n_therapists = draw(st.integers(1, n_sessions))
    n_raters = draw(st.integers(2, 3))
    ethnicity = st.sampled_from(("Ashkenazi", "Mizrahi"))
    therapists = [(f"T{t}", draw(ethnicity)) for t in range(n_therapists)]
    sessions = [
        (f"S{s}", f"P{s}", draw(st.sampled_from(therapists))[0], draw(ethnicity))
        for s in range(n_sessions)
    ]
    used = {therapist for _, _, therapist, _ in sessions}
    bits = st.integers(0, 1)
    consensus = [
        [session, informant, theme, draw(bits)]
        for session, *_ in sessions
        for informant in ("client", "therapist")
        for theme in THEMES
    ]
    ratings = [
        [session, informant, f"R{rater}", theme, draw(bits)]
        for session, informant, theme, _ in consensus
        for rater in range(1, n_raters + 1)
    ]
    return {
        "clinics": [["clinic_id", "setting"], ["C1", "community"]],
        "therapists": [
            ["therapist_id", "clinic_id", "ethnicity", "gender", "profession", "years_experience"],
            *([t, "C1", e, "", "", ""] for t, e in therapists if t in used),
        ],
        "clients": [
            ["client_id", "ethnicity", "gender", "age", "education_years"],
            *([client, e, "", "", ""] for _, client, _, e in sessions),
        ],
        "sessions": [
            ["session_id", "client_id", "therapist_id"],
            *([s, c, t] for s, c, t, _ in sessions),
        ],
        "ratings": [["session_id", "informant", "rater", "theme", "present"], *ratings],
        "consensus": [["session_id", "informant", "theme", "present"], *consensus],
        "facets": [["session_id", "informant", "facet", "valence", "theme"]],
        "excerpts": [["excerpt_id", "session_id", "informant", "theme", "facet", "text"]],
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=small_studies())
def test_every_study_that_validates_gets_a_report(tables):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, rows in tables.items():
            with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
                csv.writer(handle, lineterminator="\n").writerows(rows)
        (folder / "codebook.yaml").write_text(codebook_text(), encoding="utf-8")
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            assert validation_report(folder) == 0, output.getvalue()
            assert print_report(folder) == 0
        text = output.getvalue()
    types = set(load_types(tables))
    assert "Group comparison" in text
    if len(types) == 1:
        missing = ({"concordant", "discordant"} - types).pop()
        assert f"not computed: no {missing} session in the data" in text
    else:
        assert "not computed" not in text


def load_types(tables: dict[str, list[list[object]]]) -> list[str]:
    """Dyad type of every session, computed from the drawn rows."""
    therapists = {row[0]: row[2] for row in tables["therapists"][1:]}
    clients = {row[0]: row[1] for row in tables["clients"][1:]}
    return [
        "concordant" if clients[client] == therapists[therapist] else "discordant"
        for _, client, therapist in tables["sessions"][1:]
    ]


@pytest.mark.parametrize(
    ("knobs", "reliability"),
    [
        ({"rule": "client", "variable": "site", "groups": ("north", "south", "east")}, True),
        ({"informants": ("client",), "double_coded": 0.0}, False),
    ],
)
def test_the_report_of_a_schema_2_study(tmp_path, knobs, reliability):
    study = load_study(write_example_study(tmp_path / "study", **knobs))
    text = format_report(study)
    labels = {t["id"]: t["label"] for t in study.codebook["themes"]}
    assert all(label in text for label in labels.values())
    for group in study.design.grouping.labels:
        assert group in text
    consensus = study.consensus.merge(study.dyads[["session_id", "dyad_type"]])
    theme = study.design.themes[0]
    first = consensus[(consensus["theme"] == theme) & (consensus["informant"] == "client")]
    counts = first.groupby("dyad_type")["present"].agg(["sum", "size"])
    line = next(x for x in text.splitlines() if x.split()[:1] == ["client"] and labels[theme] in x)
    for group in study.design.grouping.labels:
        assert f"{counts.loc[group, 'sum']}/{counts.loc[group, 'size']}" in line
    coverage = coding_coverage(study)
    assert ("not computed: no interview was coded by two" in text) != reliability
    assert (coverage["double_coded"].sum() > 0) == reliability
