"""The coding exercise: excerpts, blank sheet, scoring against sklearn, and clear sheet errors."""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from alliance.data.codebook import THEMES, load_codebook
from alliance.teaching.coding_form import coding_form, form_data
from alliance.teaching.exercise import (
    CodingSheetError,
    blank_coding_sheet,
    confusable_themes,
    discussion_prompts,
    exercise_excerpts,
    extract_rationales,
    load_extract_bank,
    score_coding,
    simulate_learner,
    solution_sheet,
)
from alliance.teaching.paradoxes import (
    by_coefficient,
    compare_coefficients,
    ratings_from_table,
    two_raters,
)

ROOT = Path(__file__).resolve().parents[1]
DOWNLOAD = ROOT / "chapters" / "downloads" / "coding_sheet.csv"


@pytest.fixture(scope="module")
def exercise():
    return exercise_excerpts()


@pytest.fixture(scope="module")
def learner(exercise):
    sheet = simulate_learner(exercise, accuracy=0.6, extra_rate=0.2, seed=7)
    for extract in ("X03", "X13", "X16"):  # a learner who also codes some alternatives
        row = exercise.set_index("excerpt_id").loc[extract]
        sheet.loc[sheet["excerpt_id"] == extract, list(row["alternatives"])] = 1
    return sheet


def test_the_extracts_are_fictional_multi_turn_interviews_coded_per_theme(exercise):
    bank_text = (ROOT / "src" / "alliance" / "resources" / "exercise_extracts.yaml").read_text()
    assert bank_text.startswith("# fictional:")
    assert 16 <= len(exercise) <= 24
    assert exercise["excerpt_id"].is_unique and exercise["text"].is_unique
    assert set(exercise["informant"]) == {"client", "therapist"}
    for row in exercise.itertuples():
        speakers = [who for who, _ in row.turns]
        assert len(speakers) >= 4 and speakers[::2] == ["Interviewer"] * len(speakers[::2])
        assert set(speakers[1::2]) == {row.informant.capitalize()}
        assert row.reference and not set(row.reference) & set(row.alternatives)
        assert set(row.rationales) == {*row.reference, *row.alternatives}
    reference = pd.Series([t for row in exercise["reference"] for t in row]).value_counts()
    assert set(reference.index) == set(THEMES) and reference.min() >= 3
    assert (exercise["reference"].map(len) > 1).sum() >= 4, "some extracts show several themes"
    assert (exercise["alternatives"].map(len) > 0).sum() >= 4, "some codes are contested"
    assert (
        exercise_excerpts().drop(columns="rationales").equals(exercise.drop(columns="rationales"))
    ), "the exercise must be deterministic"


def test_the_extracts_are_not_study_data_and_name_no_ethnic_group(exercise):
    data = pd.read_csv(ROOT / "data" / "excerpts.csv", dtype=str, keep_default_na=False)
    words = " ".join(exercise["text"]).lower()
    for sentence in data["text"]:
        assert sentence.lower() not in words
    for marker in ("mizrahi", "ashkenazi", "ethnic", "israel", "jewish", "arab", "immigra"):
        assert marker not in words


def test_a_bank_with_problems_is_refused_with_every_problem(tmp_path):
    bad = tmp_path / "bank.yaml"
    bad.write_text(
        "extracts:\n"
        "  - {id: A, informant: patient, turns: [[interviewer, hi]], reference: {hope: x},"
        " alternatives: {}}\n"
        "  - {id: A, informant: client, turns: [[interviewer, hi]], reference: {trust: ''},"
        " alternatives: {trust: y}}\n"
    )
    with pytest.raises(ValueError) as error:
        load_extract_bank(bad)
    text = str(error.value)
    for message in (
        "'fictional: true' is missing",
        "extract 1 (A): informant must be one of client, therapist",
        "extract 1 (A): reference names 'hope', not a theme id",
        "extract 2 (A): the id must be a unique string",
        "extract 2 (A): reference trust has no rationale",
        "extract 2 (A): ['trust'] both reference and alternative",
    ):
        assert message in text


def test_the_downloadable_blank_sheet_is_fresh_and_has_no_codes(exercise):
    fresh = blank_coding_sheet(exercise).to_csv(index=False, lineterminator="\n")
    assert DOWNLOAD.read_text(encoding="utf-8") == fresh, (
        "chapters/downloads/coding_sheet.csv is stale; regenerate it with "
        "blank_coding_sheet().to_csv(path, index=False, lineterminator='\\n')"
    )
    committed = pd.read_csv(DOWNLOAD, dtype=str, keep_default_na=False)
    assert list(committed.columns) == ["excerpt_id", "informant", "fictional", "text", *THEMES]
    assert (committed[list(THEMES)] == "").all().all()
    assert (committed["fictional"] == "yes").all()
    assert committed["excerpt_id"].tolist() == exercise["excerpt_id"].tolist()


def test_the_reference_sheet_scores_perfectly(exercise):
    score = score_coding(solution_sheet(exercise), exercise)
    assert score.summary["exact_matches"].item() == len(exercise)
    assert score.summary["defensible"].item() == 0
    assert (score.themes["kappa"] == 1).all()
    assert score.disagreements.empty


def _accepted(exercise, sheet):
    """The key a sheet is scored against, computed here independently of the package."""
    key = pd.DataFrame(0, index=exercise["excerpt_id"], columns=list(THEMES))
    coded = sheet.set_index("excerpt_id").loc[exercise["excerpt_id"], list(THEMES)]
    for row in exercise.itertuples():
        for theme in row.reference:
            key.loc[row.excerpt_id, theme] = 1
        for theme in row.alternatives:
            key.loc[row.excerpt_id, theme] = coded.loc[row.excerpt_id, theme]
    return key, coded


def test_per_theme_agreement_matches_sklearn(exercise, learner):
    score = score_coding(learner, exercise)
    key, coded = _accepted(exercise, learner)
    reference = solution_sheet(exercise).set_index("excerpt_id")
    assert score.summary["defensible"].item() > 0, "the learner should code some alternatives"
    for row in score.themes.itertuples():
        truth, got, ref = key[row.theme], coded[row.theme], reference[row.theme]
        assert row.kappa == pytest.approx(cohen_kappa_score(truth, got))
        assert row.percent_agreement == pytest.approx(np.mean(truth == got))
        assert row.missed == int(((ref == 1) & (got == 0)).sum())
        assert row.extra == int(((truth == 0) & (got == 1)).sum())
        assert row.defensible == int(((ref == 0) & (got == 1) & (truth == 1)).sum())
    cells = key.to_numpy() == coded.to_numpy()
    assert score.summary["cell_agreement"].item() == pytest.approx(cells.mean())
    assert score.summary["exact_matches"].item() == int(cells.all(axis=1).sum())


def test_a_coded_alternative_is_defensible_not_a_mistake(exercise):
    sheet = solution_sheet(exercise)
    sheet.loc[sheet["excerpt_id"] == "X03", "openness"] = 1
    score = score_coding(sheet, exercise)
    assert score.summary["exact_matches"].item() == len(exercise)
    (row,) = score.disagreements.itertuples()
    assert (row.excerpt_id, row.theme, row.kind) == ("X03", "openness", "defensible")
    assert row.rationale == exercise.set_index("excerpt_id").at["X03", "rationales"]["openness"]
    themes = score.themes.set_index("theme")
    assert themes.loc["openness", ["extra", "defensible", "kappa"]].tolist() == [0, 1, 1.0]


def test_confusions_count_every_code_against_each_reference_theme(exercise, learner):
    score = score_coding(learner, exercise)
    expected = {}
    for row, (_, codes) in zip(
        exercise.itertuples(), learner.set_index("excerpt_id")[list(THEMES)].iterrows(), strict=True
    ):
        coded = [t for t in THEMES if codes[t] == 1] or ["(none)"]
        for reference in row.reference:
            for theme in coded:
                expected[(reference, theme)] = expected.get((reference, theme), 0) + 1
    got = score.confusions.set_index(["reference_theme", "coded_theme"])["n"].to_dict()
    assert got == expected


def test_each_disagreement_quotes_the_rule_that_decides_it(exercise, learner):
    codebook = load_codebook()
    themes = {t["id"]: t for t in codebook["themes"]}
    score = score_coding(learner, exercise)
    cells = (solution_sheet(exercise)[list(THEMES)] != learner[list(THEMES)]).to_numpy()
    assert len(score.disagreements) == cells.sum() > 0
    by_id = exercise.set_index("excerpt_id")
    for row in score.disagreements.itertuples():
        reference = by_id.at[row.excerpt_id, "reference"]
        alternatives = by_id.at[row.excerpt_id, "alternatives"]
        assert (row.kind == "missed") == (row.theme in reference)
        assert (row.kind == "defensible") == (row.theme in alternatives)
        entry = themes[row.rule_theme]
        if row.rule_kind == "exclude":
            assert row.kind == "extra"
            assert row.rule in entry["exclude"] and any(t in row.rule for t in reference)
        else:
            assert row.rule == entry["definition"]
            if row.kind == "extra":
                assert not any(any(t in r for t in reference) for r in entry["exclude"])
        assert bool(row.rationale) == (row.kind != "extra")


def test_coding_trust_for_a_comfortable_extract_cites_trusts_exclusion_rule(exercise):
    sheet = solution_sheet(exercise)
    extract = sheet.index[sheet["excerpt_id"] == "X11"]
    sheet.loc[extract, ["comfortable", "trust"]] = [0, 1]
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
    wrong, codes = 0, 0
    for seed in range(20):
        sheet = simulate_learner(exercise, accuracy=0.5, extra_rate=0.0, seed=seed)
        for row, (_, coded) in zip(
            exercise.itertuples(), sheet[list(THEMES)].iterrows(), strict=True
        ):
            allowed = {
                t
                for ref in row.reference
                for t in confusable[ref]
                or [o for o in THEMES if o != ref and valence[o] == valence[ref]]
            }
            extra = {t for t in THEMES if coded[t] == 1} - set(row.reference)
            assert extra <= allowed
            codes += len(row.reference)
            wrong += sum(coded[t] == 0 for t in row.reference)
    assert wrong > 100
    assert wrong / codes == pytest.approx(0.5, abs=0.05)


def test_simulate_learner_rejects_impossible_rates(exercise):
    with pytest.raises(ValueError, match="accuracy must be between 0 and 1"):
        simulate_learner(exercise, accuracy=1.5)


def test_a_sheet_with_only_the_ones_typed_is_read_unless_empty_as_absent_is_false(
    tmp_path, exercise
):
    sheet = solution_sheet(exercise).astype(object)
    blanks = int((sheet[list(THEMES)] == 0).to_numpy().sum())
    sheet[list(THEMES)] = sheet[list(THEMES)].replace({0: ""})
    path = _write(tmp_path, sheet)
    score = score_coding(path, exercise)
    assert score.summary["exact_matches"].item() == len(exercise)
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
    assert text.startswith(f"{exact} of {len(exercise)} extracts coded as the reference")
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


def test_discussion_prompts_cover_every_contested_extract(exercise):
    prompts = discussion_prompts(exercise)
    contested = exercise[exercise["alternatives"].map(len) > 0]
    assert prompts["excerpt_id"].tolist() == contested["excerpt_id"].tolist()
    labels = {t["id"]: t["label"] for t in load_codebook()["themes"]}
    for prompt, row in zip(prompts.itertuples(), contested.itertuples(), strict=True):
        for theme in row.alternatives:
            assert labels[theme] in prompt.prompt
            assert row.rationales[theme] in prompt.for_the_alternative
        for theme in row.reference:
            assert row.rationales[theme] in prompt.for_the_reference


def test_the_key_lists_every_reference_and_alternative_code(exercise):
    key = extract_rationales(exercise)
    expected = sorted(
        (row.excerpt_id, theme, status)
        for row in exercise.itertuples()
        for status, themes in (("reference", row.reference), ("alternative", row.alternatives))
        for theme in themes
    )
    assert sorted(zip(key["excerpt_id"], key["theme"], key["status"], strict=True)) == expected
    assert key["rationale"].str.len().min() > 40


def test_the_form_data_carries_the_scorers_feedback_for_every_cell(exercise, learner):
    data = form_data(exercise)
    assert data["columns"] == blank_coding_sheet(exercise).columns.tolist()
    assert [e["id"] for e in data["extracts"]] == exercise["excerpt_id"].tolist()
    disagreements = score_coding(learner, exercise).disagreements
    by_cell = {(e["id"], t): f for e in data["extracts"] for t, f in e["feedback"].items()}
    for row in disagreements.itertuples():
        feedback = by_cell[(row.excerpt_id, row.theme)]
        assert (feedback["kind"], feedback["rule_kind"], feedback["rule"]) == (
            row.kind,
            row.rule_kind,
            row.rule,
        )
        if row.kind != "extra":
            assert feedback["rationale"] == row.rationale


def test_the_form_html_cannot_be_broken_by_extract_text(exercise):
    hostile = exercise.copy()
    hostile.loc[0, "text"] = "</script><img src=x onerror=alert(1)> & \u2028"
    hostile.at[0, "turns"] = (("Interviewer", "</SCRIPT><b>hi</b>"),)
    html = coding_form(hostile)._repr_html_()
    assert html.lower().count("</script>") == 1 and "<img" not in html and "<b>" not in html
    start = html.index(">", html.index('type="application/json"')) + 1
    data = json.loads(html[start : html.rindex("</script>")])
    assert data["extracts"][0]["text"] == hostile.loc[0, "text"]
    assert data["extracts"][0]["turns"] == [["Interviewer", "</SCRIPT><b>hi</b>"]]


def test_by_coefficient_turns_the_comparison_round_without_changing_a_value():
    comparison = compare_coefficients(
        {"common": two_raters(40, 9, 6, 45), "rare": two_raters(5, 10, 5, 80)}
    )
    shown = by_coefficient(comparison, {"cohen_kappa": "Cohen"})
    assert shown.columns.tolist() == ["common", "rare"]
    assert shown.loc["Cohen", "rare"] == comparison.loc[1, "cohen_kappa"]
    assert shown.loc["brennan_prediger", "common"] == comparison.loc[0, "brennan_prediger"]
