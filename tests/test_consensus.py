"""The consensus-negotiation exercise: the disagreement log and the scored consensus."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from alliance.__main__ import main
from alliance.data.codebook import THEMES
from alliance.teaching.consensus import (
    LOG_COLUMNS,
    ConsensusError,
    disagreement_log,
    score_consensus,
)
from alliance.teaching.exercise import (
    exercise_excerpts,
    score_coding,
    simulate_learner,
    solution_sheet,
)


@pytest.fixture(scope="module")
def exercise():
    return exercise_excerpts()


@pytest.fixture(scope="module")
def pair(exercise):
    a = simulate_learner(exercise, accuracy=0.6, extra_rate=0.2, seed=21)
    b = simulate_learner(exercise, accuracy=0.6, extra_rate=0.2, seed=22)
    return a, b


def test_the_log_lists_exactly_the_cells_where_the_coders_differ(exercise, pair):
    a, b = pair
    log = disagreement_log(a, b, exercise)
    assert list(log.columns) == list(LOG_COLUMNS)
    differ = a.set_index("excerpt_id")[list(THEMES)] != b.set_index("excerpt_id")[list(THEMES)]
    expected = {(e, t) for e, t in differ.stack()[differ.stack()].index}
    assert set(zip(log["excerpt_id"], log["theme"], strict=True)) == expected
    assert len(log) == len(expected) > 0
    codes_a = a.set_index("excerpt_id")
    for row in log.itertuples():
        assert row.code_a == codes_a.at[row.excerpt_id, row.theme]
        assert row.code_b == 1 - row.code_a
    assert (log[["argument_a", "argument_b", "agreed"]] == "").all().all()


def test_a_consensus_that_follows_the_key_is_scored_like_the_sheet_it_makes(exercise, pair):
    a, b = pair
    log = disagreement_log(a, b, exercise)
    key = solution_sheet(exercise).set_index("excerpt_id")
    agreed = log.assign(agreed=[key.at[r.excerpt_id, r.theme] for r in log.itertuples()])
    result = score_consensus(agreed, a, b, exercise)
    # build the consensus sheet independently: A's codes, the key wherever A and B differ
    consensus = a.copy()
    disagree = (a[list(THEMES)] != b[list(THEMES)]).to_numpy()
    consensus[list(THEMES)] = np.where(
        disagree, solution_sheet(exercise)[list(THEMES)], a[list(THEMES)]
    )
    table = result.comparison.set_index("coding")
    expected = score_coding(consensus, exercise).summary.iloc[0]
    assert table.loc["consensus", "cell_agreement"] == pytest.approx(expected["cell_agreement"])
    assert table.loc["consensus", "exact_matches"] == expected["exact_matches"]
    for coder, sheet in (("coder A", a), ("coder B", b)):
        alone = score_coding(sheet, exercise).summary.iloc[0]
        assert table.loc[coder, "mean_kappa"] == pytest.approx(alone["mean_kappa"])
        assert table.loc["consensus", "cell_agreement"] >= table.loc[coder, "cell_agreement"]
    assert result.decisions["right"].all()
    won_a = (result.decisions["agreed"] == result.decisions["code_a"]).sum()
    assert (result.decisions["won"] == "A").sum() == won_a
    assert str(result).startswith(f"{len(log)} disagreement(s) negotiated")


def test_a_log_saved_by_excel_with_true_false_is_read(tmp_path, exercise, pair):
    a, b = pair
    log = disagreement_log(a, b, exercise)
    log = log.assign(agreed=np.where(log["code_b"] == 1, "WAHR", "FALSCH"), argument_a="weil")
    path = tmp_path / "log.csv"
    log.to_csv(path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    result = score_consensus(path, a, b, exercise)
    assert (result.decisions["won"] == "B").all()
    table = result.comparison.set_index("coding")
    assert table.loc["consensus"].equals(table.loc["coder B"])


def test_blank_agreed_codes_are_named_in_one_message(exercise, pair):
    a, b = pair
    log = disagreement_log(a, b, exercise)
    with pytest.raises(ConsensusError) as error:
        score_consensus(log, a, b, exercise)
    message = str(error.value)
    assert message.startswith(f"{len(log)} row(s) of sheet have no agreed code")
    assert len(message.splitlines()) == 1
    assert f"row 0 ({log.loc[0, 'excerpt_id']}, {log.loc[0, 'theme']})" in message


def test_a_log_that_does_not_match_the_sheets_is_refused(exercise, pair):
    a, b = pair
    log = disagreement_log(a, b, exercise).assign(agreed=1)
    with pytest.raises(ConsensusError, match="does not match these two sheets.*not in the log"):
        score_consensus(log.iloc[1:], a, b, exercise)
    with pytest.raises(ConsensusError, match="lacks column"):
        score_consensus(log.drop(columns="agreed"), a, b, exercise)


def test_identical_sheets_give_an_empty_log(exercise):
    key = solution_sheet(exercise)
    log = disagreement_log(key, key, exercise)
    assert log.empty and list(log.columns) == list(LOG_COLUMNS)
    result = score_consensus(log, key, key, exercise)
    assert result.comparison["exact_matches"].tolist() == [len(exercise)] * 3


def test_the_commands_make_and_score_a_log(tmp_path, capsys, exercise, pair):
    a, b = pair
    paths = [tmp_path / "a.csv", tmp_path / "b.xlsx"]
    a.to_csv(paths[0], index=False)
    b.to_excel(paths[1], index=False)
    log_path = tmp_path / "log.csv"
    assert main(["consensus-log", str(paths[0]), str(paths[1]), "--out", str(log_path)]) == 0
    log = pd.read_csv(log_path, dtype=str, keep_default_na=False)
    assert list(log.columns) == list(LOG_COLUMNS)
    assert main(["consensus-log", str(paths[0]), str(paths[1]), "--out", str(log_path)]) == 2
    assert "exists" in capsys.readouterr().err, "an existing log is never overwritten"
    assert main(["score-consensus", str(log_path), *map(str, paths)]) == 2
    assert "have no agreed code" in capsys.readouterr().err
    log.assign(agreed=log["code_a"]).to_csv(log_path, index=False)
    assert main(["score-consensus", str(log_path), *map(str, paths)]) == 0
    out = capsys.readouterr().out
    assert "the pair kept coder A's code in" in out and "consensus" in out


def test_a_log_written_as_xlsx_and_filled_in_excel_is_scored(tmp_path, capsys, exercise, pair):
    a, b = pair
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    sheets = [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    log_path = tmp_path / "log.xlsx"
    assert main(["consensus-log", *sheets, "--out", str(log_path)]) == 0
    book = openpyxl.load_workbook(log_path)
    rows = book.active
    header = [cell.value for cell in rows[1]]
    agreed, code_b = header.index("agreed") + 1, header.index("code_b") + 1
    for r in range(2, rows.max_row + 1):
        rows.cell(r, agreed).value = bool(rows.cell(r, code_b).value)  # Excel booleans
    book.save(log_path)
    capsys.readouterr()
    assert main(["score-consensus", str(log_path), *sheets]) == 0
    assert "the pair kept coder A's code in 0 and coder B's in" in capsys.readouterr().out


def test_printing_names_the_rule_for_every_agreed_code_that_differs_from_the_key(exercise, pair):
    a, b = pair
    log = disagreement_log(a, b, exercise)
    result = score_consensus(log.assign(agreed=log["code_a"]), a, b, exercise)
    text = str(result)
    wrong = result.decisions[~result.decisions["right"]]
    assert len(wrong) > 0
    rules = result.consensus.disagreements.set_index(["excerpt_id", "theme"])["rule"]
    for row in wrong.itertuples():
        assert f"- {row.excerpt_id}, {row.theme} (" in text
        assert rules.loc[(row.excerpt_id, row.theme)] in text
    key = solution_sheet(exercise).set_index("excerpt_id")
    follows_key = log.assign(agreed=[key.at[r.excerpt_id, r.theme] for r in log.itertuples()])
    assert "codebook says" not in str(score_consensus(follows_key, a, b, exercise))
