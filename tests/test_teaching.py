"""The coding exercise: excerpts, blank sheet, scoring against sklearn, and clear sheet errors."""

from __future__ import annotations

from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from alliance.data.codebook import THEMES, load_codebook
from alliance.teaching.exercise import (
    CodingSheetError,
    blank_coding_sheet,
    confusable_themes,
    exercise_excerpts,
    score_coding,
    simulate_learner,
    solution_sheet,
)
from alliance.teaching.paradoxes import compare_coefficients, ratings_from_table, two_raters

ROOT = Path(__file__).resolve().parents[1]
DOWNLOAD = ROOT / "chapters" / "downloads" / "coding_sheet.csv"


@pytest.fixture(scope="module")
def exercise():
    return exercise_excerpts()


@pytest.fixture(scope="module")
def learner(exercise):
    return simulate_learner(exercise, accuracy=0.6, extra_rate=0.2, seed=7)


def test_exercise_has_at_least_30_distinct_excerpts_of_every_theme(exercise):
    assert len(exercise) >= 30
    assert exercise["excerpt_id"].is_unique and exercise["text"].is_unique
    counts = exercise["theme"].value_counts()
    assert set(counts.index) == set(THEMES) and counts.min() >= 3
    assert set(exercise["informant"]) == {"client", "therapist"}
    assert exercise_excerpts().equals(exercise), "the exercise must be deterministic"


def test_exercise_rows_are_excerpts_of_the_committed_data_without_facets(exercise):
    data = pd.read_csv(ROOT / "data" / "excerpts.csv", dtype=str, keep_default_na=False)
    merged = exercise.merge(data, on="excerpt_id", suffixes=("", "_data"), validate="1:1")
    assert len(merged) == len(exercise)
    for column in ("informant", "text", "theme"):
        assert (merged[column] == merged[f"{column}_data"]).all(), column
    assert (merged["facet"] == "").all()


def test_the_downloadable_blank_sheet_is_fresh_and_has_no_codes(exercise):
    fresh = blank_coding_sheet(exercise).to_csv(index=False, lineterminator="\n")
    assert DOWNLOAD.read_text(encoding="utf-8") == fresh, (
        "chapters/downloads/coding_sheet.csv is stale; regenerate it with "
        "blank_coding_sheet().to_csv(path, index=False, lineterminator='\\n')"
    )
    committed = pd.read_csv(DOWNLOAD, dtype=str, keep_default_na=False)
    assert list(committed.columns) == ["excerpt_id", "informant", "text", *THEMES]
    assert (committed[list(THEMES)] == "").all().all()
    assert "theme" not in committed.columns


def test_the_reference_sheet_scores_perfectly(exercise):
    score = score_coding(solution_sheet(exercise), exercise)
    assert score.summary["exact_matches"].item() == len(exercise)
    assert (score.themes["kappa"] == 1).all()
    assert score.disagreements.empty


def test_per_theme_agreement_matches_sklearn(exercise, learner):
    score = score_coding(learner, exercise)
    reference = solution_sheet(exercise)
    for row in score.themes.itertuples():
        truth, coded = reference[row.theme].to_numpy(), learner[row.theme].to_numpy()
        assert row.kappa == pytest.approx(cohen_kappa_score(truth, coded))
        assert row.percent_agreement == pytest.approx(np.mean(truth == coded))
        assert row.missed == int(((truth == 1) & (coded == 0)).sum())
        assert row.extra == int(((truth == 0) & (coded == 1)).sum())
    cells = reference[list(THEMES)].to_numpy() == learner[list(THEMES)].to_numpy()
    assert score.summary["cell_agreement"].item() == pytest.approx(cells.mean())
    assert score.summary["exact_matches"].item() == int(cells.all(axis=1).sum())


def test_confusions_count_every_code_against_the_reference_theme(exercise, learner):
    score = score_coding(learner, exercise)
    long = learner.melt(id_vars="excerpt_id", value_vars=list(THEMES), var_name="coded_theme")
    long = long[long["value"] == 1].merge(exercise[["excerpt_id", "theme"]], on="excerpt_id")
    expected = pd.crosstab(long["theme"], long["coded_theme"]).stack()
    got = score.confusions.set_index(["reference_theme", "coded_theme"])["n"]
    assert got.drop(index="(none)", level=1, errors="ignore").sort_index().to_dict() == (
        expected[expected > 0].sort_index().to_dict()
    )
    uncoded = int((learner[list(THEMES)].sum(axis=1) == 0).sum())
    none = got[got.index.get_level_values("coded_theme") == "(none)"].sum()
    assert none == uncoded


def test_each_disagreement_quotes_the_rule_that_decides_it(exercise, learner):
    codebook = load_codebook()
    themes = {t["id"]: t for t in codebook["themes"]}
    score = score_coding(learner, exercise)
    cells = (solution_sheet(exercise)[list(THEMES)] != learner[list(THEMES)]).to_numpy()
    assert len(score.disagreements) == cells.sum() > 0
    for row in score.disagreements.itertuples():
        reference_theme = exercise.set_index("excerpt_id").at[row.excerpt_id, "theme"]
        assert (row.kind == "missed") == (row.theme == reference_theme)
        entry = themes[row.rule_theme]
        if row.rule_kind == "exclude":
            assert row.kind == "extra"
            assert row.rule in entry["exclude"] and reference_theme in row.rule
        else:
            assert row.rule == entry["definition"]


def test_coding_trust_for_a_comfortable_excerpt_cites_trusts_exclusion_rule(exercise):
    sheet = solution_sheet(exercise)
    excerpt = exercise.index[exercise["theme"] == "comfortable"][0]
    sheet.loc[excerpt, ["comfortable", "trust"]] = [0, 1]
    rows = score_coding(sheet, exercise).disagreements.set_index("theme")
    trust_rule = next(r for r in load_codebook()["themes"][3]["exclude"] if "comfortable" in r)
    assert rows.loc["trust", "rule"] == trust_rule
    assert rows.loc["comfortable", "kind"] == "missed"


def test_a_csv_file_with_shuffled_rows_and_notes_scores_like_the_frame(tmp_path, exercise, learner):
    path = tmp_path / "my_sheet.csv"
    learner.assign(notes="unsure").sample(frac=1, random_state=3).to_csv(path, index=False)
    from_file = score_coding(path, exercise)
    from_frame = score_coding(learner, exercise)
    pd.testing.assert_frame_equal(from_file.themes, from_frame.themes)
    pd.testing.assert_frame_equal(from_file.disagreements, from_frame.disagreements)


def test_float_and_boolean_cells_are_read_and_reported(exercise):
    sheet = solution_sheet(exercise)
    as_float = sheet.assign(**{t: sheet[t].astype(float) for t in THEMES})
    score = score_coding(as_float, exercise)
    assert score.summary["exact_matches"].item() == len(exercise)
    assert score.notes == (f"read 1.0/0.0 as 1/0 in {len(exercise) * len(THEMES)} cells",)
    as_bool = sheet.assign(trust=sheet["trust"].astype(bool))
    score = score_coding(as_bool, exercise)
    assert score.summary["exact_matches"].item() == len(exercise)
    assert score.notes == (f"read TRUE/FALSE as 1/0 in {len(exercise)} cells",)
    assert str(score).startswith("How the sheet was read: read TRUE/FALSE as 1/0")
    pd.testing.assert_frame_equal(score.codes, sheet[["excerpt_id", *THEMES]])


def _write(tmp_path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "sheet.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("edit", "messages"),
    [
        (
            lambda s: s.drop(index=[3, 10]),
            ["missing row: this excerpt of the exercise is not coded"],
        ),
        (
            lambda s: s.assign(hope=0),
            ["unknown column: not a theme id", "header, column hope"],
        ),
        (
            lambda s: s.drop(columns="anger"),
            ["missing column", "header, column anger"],
        ),
        (
            lambda s: s.astype({"trust": object}).assign(trust=["2"] + list(s["trust"])[1:]),
            ["not a code: must be 1 (present) or 0", "line 2 (excerpt", "column trust, value '2'"],
        ),
        (
            lambda s: s.astype({"empathy": object}).assign(empathy=["yes"] * len(s)),
            [
                "x marks are read too (",
                " places): line 2 (excerpt",
                "; and ",
            ],
        ),
        (
            lambda s: pd.concat([s, s.iloc[[0]]]),
            ["column excerpt_id", "duplicate row"],
        ),
        (
            lambda s: s.assign(excerpt_id=["E9999"] + list(s["excerpt_id"])[1:]),
            ["unknown excerpt", "line 2, column excerpt_id, value 'E9999'", "missing row"],
        ),
        (
            lambda s: s.assign(text=list(s["text"])[::-1]),
            ["column text", "were rows re-sorted without their excerpt_id"],
        ),
    ],
)
def test_bad_sheets_get_clear_errors_naming_row_and_column(tmp_path, exercise, edit, messages):
    path = _write(tmp_path, edit(solution_sheet(exercise)))
    with pytest.raises(CodingSheetError) as error:
        score_coding(path, exercise)
    text = str(error.value)
    assert text.startswith(f"{len(error.value.problems)} problem")
    assert str(path) in text
    for message in messages:
        assert message in text


def test_every_problem_is_reported_at_once(tmp_path, exercise):
    sheet = solution_sheet(exercise).astype(object)
    sheet.loc[0, "trust"] = "yes"
    sheet.loc[5, "anger"] = "0.5"
    sheet = sheet.drop(index=7)
    with pytest.raises(CodingSheetError) as error:
        score_coding(_write(tmp_path, sheet), exercise)
    problems = error.value.problems
    assert set(problems["column"]) == {"trust", "anger", "excerpt_id"}
    assert exercise.loc[7, "excerpt_id"] in set(problems["value"])


def test_unreadable_files_get_clear_errors(tmp_path, exercise):
    garbled = tmp_path / "garbled.csv"
    garbled.write_bytes(b"excerpt_id,text\nE1,caf\xe9\x81\n")  # neither UTF-8 nor Windows-1252
    with pytest.raises(CodingSheetError, match="(?s)garbled.csv.*not UTF-8.*CSV UTF-8"):
        score_coding(garbled, exercise)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CodingSheetError, match="(?s)empty.csv:\n  not a CSV table"):
        score_coding(empty, exercise)


def test_the_simulated_learner_errs_where_the_codebook_warns(exercise):
    confusable = confusable_themes()
    valence = {t["id"]: t["valence"] for t in load_codebook()["themes"]}
    wrong = []
    for seed in range(20):
        sheet = simulate_learner(exercise, accuracy=0.5, extra_rate=0.0, seed=seed)
        coded = sheet[list(THEMES)].to_numpy().argmax(axis=1)
        for reference, chosen in zip(exercise["theme"], coded, strict=True):
            if THEMES[chosen] != reference:
                wrong.append((reference, THEMES[chosen]))
    assert len(wrong) > 100
    for reference, chosen in wrong:
        allowed = confusable[reference] or [t for t in THEMES if valence[t] == valence[reference]]
        assert chosen in allowed
    rate = len(wrong) / (20 * len(exercise))
    assert rate == pytest.approx(0.5, abs=0.05)


def test_simulate_learner_rejects_impossible_rates(exercise):
    with pytest.raises(ValueError, match="accuracy must be between 0 and 1"):
        simulate_learner(exercise, accuracy=1.5)


def test_a_sheet_with_only_the_ones_typed_is_read_unless_empty_as_absent_is_false(
    tmp_path, exercise
):
    sheet = solution_sheet(exercise).astype(object)
    sheet[list(THEMES)] = sheet[list(THEMES)].replace({0: ""})
    path = _write(tmp_path, sheet)
    score = score_coding(path, exercise)
    assert score.summary["exact_matches"].item() == len(exercise)
    blanks = len(exercise) * (len(THEMES) - 1)
    assert score.notes == (f"read {blanks} blank cells as 0 (absent)",)
    with pytest.raises(CodingSheetError) as error:
        score_coding(path, exercise, empty_as_absent=False)
    assert len(error.value.problems) == len(exercise), "one problem per row, not per cell"
    assert len(str(error.value).splitlines()) == 2, "one line per cause"
    assert "empty_as_absent=True" in str(error.value)


def test_an_uncoded_row_is_an_error_even_with_empty_as_absent(tmp_path, exercise):
    sheet = solution_sheet(exercise).astype(object)
    sheet[list(THEMES)] = sheet[list(THEMES)].replace({0: ""})
    sheet.loc[4, list(THEMES)] = ""
    with pytest.raises(CodingSheetError) as error:
        score_coding(_write(tmp_path, sheet), exercise, empty_as_absent=True)
    (line,) = str(error.value).splitlines()[1:]
    assert f"line 6 (excerpt {exercise.loc[4, 'excerpt_id']}), column every theme" in line
    assert "not coded yet" in line


def test_printing_a_score_shows_every_disagreement_with_its_rule(exercise, learner):
    score = score_coding(learner, exercise)
    text = str(score)
    exact = score.summary["exact_matches"].item()
    assert text.startswith(f"{exact} of {len(exercise)} excerpts coded exactly")
    for row in score.disagreements.itertuples():
        assert f"- {row.excerpt_id} ({row.informant}): {row.kind} {row.theme}" in text
    assert " ".join(text.split()).count("rule:") == len(score.disagreements)


def test_ratings_from_table_expands_every_cell():
    table = pd.DataFrame([[3, 1], [2, 4]], index=["yes", "no"], columns=["yes", "no"])
    ratings = ratings_from_table(table)
    assert ratings.shape == (10, 2)
    again = pd.crosstab(ratings[:, 0], ratings[:, 1]).reindex(
        index=["yes", "no"], columns=["yes", "no"]
    )
    assert again.to_numpy().tolist() == [[3, 1], [2, 4]]
    with pytest.raises(ValueError, match="square"):
        ratings_from_table([[1, 2, 3], [4, 5, 6]], categories=[0, 1])
    with pytest.raises(ValueError, match="same categories"):
        ratings_from_table(pd.DataFrame([[1, 2], [3, 4]], index=[1, 0], columns=[0, 1]))
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        ratings_from_table([[1, -2], [3, 4]], categories=[1, 0])
    with pytest.raises(ValueError, match="differ from the table's labels"):
        ratings_from_table(table, categories=["no", "yes"])


def test_ratings_from_table_never_guesses_the_order_of_categories():
    with pytest.raises(ValueError, match="which row is which category"):
        ratings_from_table([[0, 5], [5, 90]])
    present_first = ratings_from_table([[0, 5], [5, 90]], categories=[1, 0])
    assert present_first.mean() == pytest.approx(0.05)  # rare: 10 of 200 ratings present
    present_last = ratings_from_table([[0, 5], [5, 90]], categories=[0, 1])
    assert present_last.mean() == pytest.approx(0.95)


def test_two_raters_puts_each_count_in_its_cell():
    ratings = two_raters(both=4, first_only=3, second_only=2, neither=1)
    first, second = ratings[:, 0], ratings[:, 1]
    assert int(((first == 1) & (second == 1)).sum()) == 4
    assert int(((first == 1) & (second == 0)).sum()) == 3
    assert int(((first == 0) & (second == 1)).sum()) == 2
    assert int(((first == 0) & (second == 0)).sum()) == 1
    assert cohen_kappa_score(first, second) == pytest.approx(
        compare_coefficients({"x": ratings})["cohen_kappa"].item()
    )


def test_compare_coefficients_matches_independent_implementations():
    two = two_raters(5, 10, 5, 80)
    rng = np.random.default_rng(1)
    three = (rng.random((40, 3)) < 0.2).astype(int)
    three[:25] = three[:25, :1]  # raters agree on most units
    table = compare_coefficients({"two": two, "three": three}).set_index("example")
    for name, ratings in (("two", two), ("three", three)):
        row = table.loc[name]
        counts, _ = aggregate_raters(ratings, n_cat=2)
        assert row["fleiss_kappa"] == pytest.approx(statsmodels_fleiss(counts))
        assert row["brennan_prediger"] == pytest.approx(statsmodels_fleiss(counts, "randolph"))
        assert row["krippendorff_alpha"] == pytest.approx(
            krippendorff.alpha(ratings.T, level_of_measurement="nominal")
        )
        # Gwet's AC1 for two categories: chance agreement 2 pi (1 - pi), pi the mean share.
        r = ratings.shape[1]
        agree = ((counts * (counts - 1)).sum(axis=1) / (r * (r - 1))).mean()
        pi = counts[:, 1].sum() / counts.sum()
        chance = 2 * pi * (1 - pi)
        assert row["gwet_ac1"] == pytest.approx((agree - chance) / (1 - chance))
        assert row["percent_agreement"] == pytest.approx(agree)
        assert row["prevalence"] == pytest.approx(ratings.mean())
    assert table.loc["two", "cohen_kappa"] == pytest.approx(cohen_kappa_score(two[:, 0], two[:, 1]))
    assert np.isnan(table.loc["three", "cohen_kappa"])


def test_a_frame_with_repeated_labels_and_missing_values_gets_clear_errors(exercise):
    sheet = solution_sheet(exercise)
    repeated = pd.concat([sheet, sheet.iloc[[0]]])  # index label 0 twice
    with pytest.raises(CodingSheetError, match="duplicate row.*: row 0, column excerpt_id"):
        score_coding(repeated, exercise)
    missing = sheet.astype(object)
    missing.loc[3, "trust"] = pd.NA
    with pytest.raises(
        CodingSheetError, match=r"empty cells.*: row 3 \(excerpt .*\), column trust"
    ):
        score_coding(missing, exercise, empty_as_absent=False)
