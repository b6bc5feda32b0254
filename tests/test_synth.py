"""The synthetic study: byte-identical committed data, determinism and every calibration target.

Each target is recomputed from the written CSV files with code independent of
``alliance.article.reconstruction`` (statsmodels for kappa, plain pandas for the rest) and checked
against the published figures in ``alliance.data.published``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from alliance.article import reconstruction as synth
from alliance.data.codebook import THEMES, load_codebook
from alliance.data.dataset import load_study
from alliance.data.published import figure
from alliance.data.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return synth.write_study(tmp_path_factory.mktemp("synth") / "study")


@pytest.fixture(scope="module")
def tables(generated) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(generated / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in TABLES
    }


@pytest.fixture(scope="module")
def coded(tables) -> dict[str, pd.DataFrame]:
    """Consensus and ratings with integer codes and the dyad type of each session."""
    clients = tables["clients"].set_index("client_id")["ethnicity"]
    therapists = tables["therapists"].set_index("therapist_id")["ethnicity"]
    sessions = tables["sessions"]
    same = sessions["client_id"].map(clients) == sessions["therapist_id"].map(therapists)
    dyad = pd.Series(np.where(same, "concordant", "discordant"), index=sessions["session_id"])
    out = {}
    for name in ("consensus", "ratings"):
        frame = tables[name].astype({"present": int})
        out[name] = frame.assign(dyad_type=frame["session_id"].map(dyad))
    out["dyad"] = dyad
    return out


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_committed_data_is_byte_identical_to_the_generator(generated):
    assert _digest(DATA) == _digest(generated)


def test_same_seed_gives_identical_tables_and_another_seed_differs():
    first, again = synth.generate_study(seed=7), synth.generate_study(seed=7)
    for name in TABLES:
        pd.testing.assert_frame_equal(first[name], again[name])
    other = synth.generate_study(seed=8)
    assert not first["consensus"].equals(other["consensus"])
    assert not first["ratings"].equals(other["ratings"])


def test_files_use_unix_line_endings_and_utf8(generated):
    for path in generated.iterdir():
        raw = path.read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw, path.name
        assert raw.endswith(b"\n"), path.name


def test_counts_match_the_published_sample(tables):
    clinics, therapists, clients = tables["clinics"], tables["therapists"], tables["clients"]
    sessions = tables["sessions"]
    assert len(clinics) == figure("n_clinics").value
    assert set(clinics["clinic_id"]) == {"C1", "C2", "C3", "C4"}
    assert set(clinics["setting"]) == {"community", "hospital outpatient"}
    assert len(therapists) == figure("n_therapists").value
    assert set(therapists["ethnicity"]) == {"Ashkenazi"}
    counts = clients["ethnicity"].value_counts()
    assert counts["Mizrahi"] == figure("n_clients_mizrahi").value
    assert counts["Ashkenazi"] == figure("n_clients_ashkenazi").value
    assert len(sessions) == len(clients) and sessions["client_id"].is_unique
    assert set(sessions["client_id"]) == set(clients["client_id"])


def test_every_therapist_has_a_client_and_most_see_both_groups(tables):
    sessions = tables["sessions"].merge(tables["clients"], on="client_id")
    groups = sessions.groupby("therapist_id")["ethnicity"].nunique()
    assert set(groups.index) == set(tables["therapists"]["therapist_id"])
    assert (groups == 2).sum() > len(groups) / 2


def test_demographics_are_plausible_and_alike_for_both_groups(tables):
    clients = tables["clients"].astype({"age": int, "education_years": int})
    assert clients["age"].between(18, 90).all()
    assert clients["education_years"].between(0, 25).all()
    means = clients.groupby("ethnicity")[["age", "education_years"]].mean()
    assert abs(means.loc["Mizrahi", "age"] - means.loc["Ashkenazi", "age"]) < 10
    years = tables["therapists"]["years_experience"].astype(int)
    assert years.between(0, 45).all()


@pytest.mark.parametrize("informant", ["client", "therapist"])
def test_fleiss_kappa_rounds_to_the_published_value(coded, informant):
    ratings = coded["ratings"].query("informant == @informant")
    wide = ratings.pivot(index=["session_id", "theme"], columns="rater", values="present")
    assert wide.shape == (55 * 8, 3)
    kappa = sm_fleiss_kappa(aggregate_raters(wide.to_numpy())[0], method="fleiss")
    assert figure(f"kappa_{informant}").matches(kappa), kappa


@pytest.mark.parametrize("informant", ["client", "therapist"])
def test_themes_per_session_mean_and_population_sd_match(coded, informant):
    consensus = coded["consensus"].query("informant == @informant")
    counts = consensus.groupby("session_id")["present"].sum()
    assert len(counts) == 55
    assert figure(f"themes_{informant}_mean").matches(counts.mean())
    assert figure(f"themes_{informant}_sd").matches(float(np.std(counts.to_numpy(), ddof=0)))


def test_no_whole_number_counts_give_the_therapist_sd_with_ddof_1():
    """Why the SD is the population SD: the sample SD cannot reproduce 2.65 (1.45)."""
    n, mean, sd = 55, figure("themes_therapist_mean"), figure("themes_therapist_sd")
    totals = [s for s in range(8 * n + 1) if mean.matches(s / n)]
    assert totals == [146]
    for total in totals:
        # the sum of squared counts lies between total**2 / n and 8 * total (counts are 0..8)
        # and has the parity of the total (x * x = x mod 2)
        feasible = [
            ss
            for ss in range(math.ceil(total**2 / n), 8 * total + 1)
            if ss % 2 == total % 2 and sd.matches(math.sqrt((ss - total**2 / n) / (n - 1)))
        ]
        assert feasible == []


def _prevalence(coded) -> pd.DataFrame:
    consensus = coded["consensus"]
    shares = consensus.groupby(["informant", "theme", "dyad_type"])["present"].mean()
    return 100 * shares.unstack("dyad_type")


def test_therapists_describe_anger_only_in_discordant_dyads(coded):
    anger = coded["consensus"].query("informant == 'therapist' and theme == 'anger' and present")
    by_dyad = anger["dyad_type"].value_counts()
    assert by_dyad.get("discordant", 0) >= 3
    assert by_dyad.get("concordant", 0) == 0


@pytest.mark.parametrize("theme", ["openness", "trust"])
def test_therapists_describe_openness_and_trust_clearly_less_in_discordant_dyads(coded, theme):
    shares = _prevalence(coded).loc[("therapist", theme)]
    assert shares["concordant"] - shares["discordant"] >= synth.CLEAR_GAP_PP


def test_discordant_clients_read_nonverbal_communication_negatively_more_often(tables, coded):
    groups = {f["id"]: f["group"] for f in load_codebook()["facets"]}
    facets = tables["facets"]
    negative = facets[
        (facets["facet"].map(groups) == "nonverbal") & (facets["valence"] == "negative")
    ]
    assert set(negative["informant"]) == {"client"}
    dyad = coded["dyad"]
    read = dyad.index.isin(negative["session_id"])
    shares = 100 * pd.Series(read, index=dyad.index).groupby(dyad).mean()
    assert shares["discordant"] - shares["concordant"] >= synth.CLEAR_GAP_PP


def test_every_other_theme_is_similar_in_both_dyad_types(coded):
    gaps = (_prevalence(coded)["discordant"] - _prevalence(coded)["concordant"]).abs()
    exceptions = [("therapist", "openness"), ("therapist", "trust"), ("therapist", "anger")]
    others = gaps.drop(index=exceptions)
    assert len(others) == 2 * 8 - 3
    assert others.max() <= synth.SIMILAR_GAP_PP


def test_consensus_is_not_simply_the_majority_vote_and_differences_are_documented(coded, generated):
    votes = coded["ratings"].groupby(["session_id", "informant", "theme"])["present"].sum()
    majority = (votes >= 2).astype(int)
    consensus = coded["consensus"].set_index(["session_id", "informant", "theme"])["present"]
    differ = consensus[consensus != majority.reindex(consensus.index)]
    assert 2 <= len(differ) <= 0.02 * len(consensus)
    assert set(differ.index.get_level_values("informant")) == {"client", "therapist"}
    readme = (generated / "README.md").read_text()
    for session_id, informant, theme in differ.index:
        assert re.search(rf"\| {session_id} \| {informant} \| {theme} \|", readme)


def test_raters_have_distinct_styles(coded):
    prevalence = coded["ratings"].groupby(["informant", "rater"])["present"].mean().unstack()
    consensus = coded["consensus"].groupby("informant")["present"].mean()
    for informant, row in prevalence.iterrows():
        assert row.idxmax() == "R1" and row.idxmin() == "R2", row
        assert row["R1"] > consensus[informant] > row["R2"]
        assert row.sort_values().diff().dropna().min() >= 0.01


def test_disagreement_concentrates_on_subtle_themes(coded):
    wide = coded["ratings"].pivot_table(
        index=["session_id", "informant", "theme"], columns="rater", values="present"
    )
    split = (wide.min(axis=1) != wide.max(axis=1)).groupby(level="theme").mean()
    difficulty = {t["id"]: t["difficulty"] for t in load_codebook()["themes"]}
    by_level = split.groupby(split.index.map(difficulty)).mean()
    assert by_level["subtle"] > by_level["moderate"] > by_level["explicit"]
    assert by_level["subtle"] >= 2 * by_level["explicit"]


def test_ratings_and_consensus_cover_every_unit(tables):
    ratings, consensus = tables["ratings"], tables["consensus"]
    assert len(ratings) == 55 * 2 * 3 * 8
    assert len(consensus) == 55 * 2 * 8
    assert not ratings.duplicated(["session_id", "informant", "rater", "theme"]).any()
    assert set(ratings["theme"]) == set(THEMES)
    assert set(ratings["present"]) == {"0", "1"}


def test_facets_sit_under_present_allowed_parent_themes(tables):
    facets, consensus = tables["facets"], tables["consensus"]
    definitions = {f["id"]: f for f in load_codebook()["facets"]}
    present = set(
        consensus.loc[consensus["present"] == "1", ["session_id", "informant", "theme"]].itertuples(
            index=False, name=None
        )
    )
    assert len(facets) > 0
    for row in facets.itertuples(index=False):
        definition = definitions[row.facet]
        assert row.informant == definition["informant"]
        assert row.theme in definition["parent_themes"][row.valence]
        assert (row.session_id, row.informant, row.theme) in present
    kinds = {definitions[f]["group"] for f in facets["facet"]} | set(facets["facet"])
    assert {"nonverbal", "client_openness", "client_trustworthiness"} <= kinds
    assert set(facets["valence"]) == {"positive", "negative"}


def test_excerpts_cover_every_present_theme_and_every_facet(tables):
    excerpts, consensus, facets = tables["excerpts"], tables["consensus"], tables["facets"]
    assert excerpts["excerpt_id"].is_unique
    keys = ["session_id", "informant", "theme"]
    present = consensus.loc[consensus["present"] == "1", keys]
    theme_excerpts = excerpts.loc[excerpts["facet"] == "", keys]
    assert set(present.itertuples(index=False)) <= set(theme_excerpts.itertuples(index=False))
    facet_keys = [*keys, "facet"]
    assert set(facets[facet_keys].itertuples(index=False)) <= set(
        excerpts.loc[excerpts["facet"] != "", facet_keys].itertuples(index=False)
    )
    bank = synth.excerpt_bank()
    for row in excerpts.itertuples(index=False):
        if row.facet:
            valence = facets.set_index(["session_id", "facet"]).loc[
                (row.session_id, row.facet), "valence"
            ]
            assert row.text in bank["facets"][row.facet][valence]
        else:
            assert row.text in bank["themes"][row.informant][row.theme]


def _sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text))


def test_excerpt_bank_has_six_distinct_first_person_variants_per_theme_and_informant():
    bank = synth.excerpt_bank()
    assert set(bank["themes"]) == {"client", "therapist"}
    texts = []
    for informant, by_theme in bank["themes"].items():
        assert list(by_theme) == list(THEMES), informant
        for theme, variants in by_theme.items():
            assert len(set(variants)) >= 6, (informant, theme)
            texts += variants
    facets = {f["id"] for f in load_codebook()["facets"]}
    assert set(bank["facets"]) == facets
    for variants in bank["facets"].values():
        assert set(variants) == {"positive", "negative"}
        for texts_ in variants.values():
            assert len(set(texts_)) >= 2
            texts += texts_
    assert len(texts) == len(set(texts)), "a sentence appears twice in the bank"
    for text in texts:
        assert isinstance(text, str), text
        assert 1 <= _sentences(text) <= 3, text
        assert re.search(r"\b(I|my|me|[Ww]e|us|our)\b", text), text
        # no group names, no gendered pronouns (an excerpt must fit any dyad)
        assert not re.search(r"\b(Mizrahi|Ashkenazi|he|she|him|her|his|hers)\b", text, re.I), text


def test_scale_two_doubles_the_study_and_meets_the_targets():
    tables = synth.generate_study(scale=2)
    assert len(tables["clinics"]) == 8 and len(tables["therapists"]) == 44
    assert tables["clients"]["ethnicity"].value_counts().to_dict() == {
        "Mizrahi": 58,
        "Ashkenazi": 52,
    }
    ratings = tables["ratings"]
    for informant in ("client", "therapist"):
        wide = ratings[ratings["informant"] == informant].pivot(
            index=["session_id", "theme"], columns="rater", values="present"
        )
        kappa = sm_fleiss_kappa(aggregate_raters(wide.to_numpy())[0])
        assert abs(kappa - figure(f"kappa_{informant}").value) < 0.005
    assert synth.calibration_report(tables, scale=2)["met"].all()


def test_generator_raises_when_a_target_is_missed(monkeypatch):
    totals = dict(synth.THEME_TOTALS)
    anger = THEMES.index("anger")
    for dyad, shift in (("concordant", 1), ("discordant", -1)):
        row = list(totals["therapist", dyad])
        row[anger] += shift
        totals["therapist", dyad] = tuple(row)
    monkeypatch.setattr(synth, "THEME_TOTALS", totals)
    with pytest.raises(synth.CalibrationError, match="therapist anger, concordant sessions"):
        synth.generate_study(seed=3)


def test_write_study_refuses_a_folder_with_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("real data, do not touch\n")
    with pytest.raises(FileExistsError, match="first change notes.txt .*--force"):
        synth.write_study(tmp_path, seed=1)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda f: (f / "ratings.csv").open("a").write("S001,client,R9,trust,1\n"), "ratings.csv"),
        (lambda f: (f / "codebook.yaml").unlink(), "codebook.yaml (deleted"),
        (lambda f: (f / "mine.csv").write_text("a\n"), "mine.csv (not written"),
        (lambda f: (f / "datapackage.json").write_bytes(b"\xff"), "datapackage.json (not a data"),
    ],
)
def test_an_edited_study_is_never_overwritten(generated, tmp_path, edit, named):
    folder = shutil.copytree(generated, tmp_path / "study")
    edit(folder)
    before = _digest(folder)
    with pytest.raises(FileExistsError, match=re.escape(f"first change {named}")):
        synth.write_study(folder, seed=1)
    assert _digest(folder) == before


@pytest.mark.parametrize(("seed", "scale"), [(-1, 1), (1, 0), (1.5, 1), (1, True)])
def test_invalid_arguments_are_rejected(seed, scale):
    with pytest.raises(ValueError, match="seed|scale"):
        synth.generate_study(seed=seed, scale=scale)


def test_output_is_labelled_synthetic_and_documented(generated):
    package = json.loads((generated / "datapackage.json").read_text())
    assert package["alliance:synthetic"] == {
        "seed": synth.DEFAULT_SEED,
        "scale": 1,
        "generator": synth.GENERATOR,
    }
    readme = (generated / "README.md").read_text()
    assert "SYNTHETIC" in readme.splitlines()[0]
    assert f"--seed {synth.DEFAULT_SEED}" in readme
    for table in TABLES:
        header = (generated / f"{table}.csv").read_text().splitlines()[0].split(",")
        for column in header:
            assert f"| `{column}` |" in readme, (table, column)
    codebook = yaml.safe_load((generated / "codebook.yaml").read_text())
    assert codebook["valence_grouping"]["source"] == "ours"


def test_generated_folder_passes_validation(generated):
    study = load_study(generated)
    assert study.synthetic["seed"] == synth.DEFAULT_SEED
    assert study.dyads["dyad_type"].value_counts().to_dict() == {
        "discordant": 29,
        "concordant": 26,
    }
