"""Class mode: a hand-computed class of four students, coefficients against sklearn,
statsmodels and krippendorff, unreadable sheets, the HTML report and the command line."""

from __future__ import annotations

import re
import subprocess
import sys
from fractions import Fraction
from itertools import combinations

import krippendorff
import numpy as np
import openpyxl
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from alliance.__main__ import main
from alliance.data.codebook import THEMES
from alliance.teaching.classroom import (
    PARADOX_AGREEMENT,
    PARADOX_GAP,
    ClassroomError,
    class_report_html,
    collect_sheets,
    score_class,
)
from alliance.teaching.exercise import (
    blank_coding_sheet,
    exercise_excerpts,
    score_coding,
    simulate_learner,
    solution_sheet,
)
from alliance.teaching.sheets import SHEET_CONTEXT_COLUMNS

# A fictional four-excerpt exercise, so every count below can be checked by hand.
TINY = pd.DataFrame(
    {
        "excerpt_id": ["X1", "X2", "X3", "X4"],
        "informant": ["client", "therapist", "client", "therapist"],
        "text": ["first", "second", "third", "fourth"],
        "reference": [("understood",), ("trust",), ("anger",), ("empathy",)],
        "alternatives": [(), (), (), ()],
        "rationales": [{"understood": "a"}, {"trust": "b"}, {"anger": "c"}, {"empathy": "d"}],
    }
)
# The themes each student coded, excerpt by excerpt.
CLASS = {
    "ada": [["understood"], ["trust"], ["anger"], ["empathy"]],  # the key
    "ben": [["understood"], ["trust"], ["anger"], ["empathy"]],
    "cy": [["understood"], ["trust"], ["frustration"], ["understood"]],
    "dov": [["empathy"], ["trust"], ["anger"], ["empathy", "trust"]],
}


def tiny_sheet(coded: list[list[str]]) -> pd.DataFrame:
    sheet = blank_coding_sheet(TINY)
    sheet[list(THEMES)] = [[int(t in themes) for t in THEMES] for themes in coded]
    return sheet


@pytest.fixture(scope="module")
def tiny():
    return score_class({name: tiny_sheet(coded) for name, coded in CLASS.items()}, TINY)


def cube() -> np.ndarray:
    return np.stack([tiny_sheet(c)[list(THEMES)].to_numpy() for c in CLASS.values()])


def test_the_hand_computed_trust_column(tiny):
    # trust: X2 coded by all four, X4 by dov only: excerpt agreements 1, 1, 1, 1/2.
    # mean agreement 7/8; prevalence 5/16; chance (5/16)^2 + (11/16)^2 = 146/256;
    # Fleiss' kappa (224/256 - 146/256) / (110/256) = 78/110 = 39/55.
    trust = tiny.themes.set_index("theme").loc["trust"]
    assert trust["prevalence"] == pytest.approx(5 / 16)
    assert trust["percent_agreement"] == pytest.approx(7 / 8)
    assert trust["fleiss_kappa"] == pytest.approx(float(Fraction(39, 55)))
    assert trust["key_prevalence"] == pytest.approx(1 / 4)


def test_the_hand_computed_pair_of_ada_and_cy(tiny):
    # 32 cells; cy differs from ada on X3 (anger, frustration) and X4 (empathy, understood):
    # 28 of 32 agree. ada codes 4 ones, cy 4 ones: chance (4*4 + 28*28)/32^2 = 800/1024.
    pair = tiny.pairs.set_index(["student_a", "student_b"]).loc[("ada", "cy")]
    assert pair["percent_agreement"] == pytest.approx(28 / 32)
    chance = Fraction(800, 1024)
    assert pair["kappa"] == pytest.approx(float((Fraction(28, 32) - chance) / (1 - chance)))


def test_every_pair_matches_sklearn(tiny):
    codes = dict(zip(CLASS, cube(), strict=True))
    assert len(tiny.pairs) == 6
    for row in tiny.pairs.itertuples():
        a, b = codes[row.student_a].ravel(), codes[row.student_b].ravel()
        assert row.kappa == pytest.approx(cohen_kappa_score(a, b))
        assert row.percent_agreement == pytest.approx((a == b).mean())
    matrix = tiny.pair_matrix()
    assert (matrix.to_numpy() == matrix.to_numpy().T).all()
    assert matrix.loc["ben", "dov"] == pytest.approx(
        cohen_kappa_score(codes["ben"].ravel(), codes["dov"].ravel())
    )


def test_every_theme_matches_statsmodels_krippendorff_and_the_ac1_formula(tiny):
    data = cube()
    for k, row in enumerate(tiny.themes.itertuples()):
        ratings = data[:, :, k].T  # excerpts x students
        counts, _ = aggregate_raters(ratings, n_cat=2)
        r = ratings.shape[1]
        agree = ((counts * (counts - 1)).sum(axis=1) / (r * (r - 1))).mean()
        pi = counts[:, 1].sum() / counts.sum()
        chance = 2 * pi * (1 - pi)
        assert row.percent_agreement == pytest.approx(agree)
        assert row.prevalence == pytest.approx(ratings.mean())
        if 0 < pi < 1:
            assert row.fleiss_kappa == pytest.approx(statsmodels_fleiss(counts))
            assert row.krippendorff_alpha == pytest.approx(
                krippendorff.alpha(ratings.T, level_of_measurement="nominal")
            )
        else:
            assert np.isnan(row.fleiss_kappa)
        assert row.gwet_ac1 == pytest.approx((agree - chance) / (1 - chance))


def test_the_class_fleiss_kappa_over_every_cell_matches_statsmodels(tiny):
    ratings = cube().reshape(len(CLASS), -1).T  # 32 excerpt x theme cells x 4 students
    counts, _ = aggregate_raters(ratings, n_cat=2)
    overall = tiny.overall.iloc[0]
    assert overall["fleiss_kappa"] == pytest.approx(statsmodels_fleiss(counts))
    assert overall["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(ratings.T, level_of_measurement="nominal")
    )
    # by hand: 17 ones in 128 codes; 25 of the 32 cells unanimous, 7 split 3-1 (agreement 1/2)
    assert overall["prevalence"] == pytest.approx(17 / 128)
    assert overall["percent_agreement"] == pytest.approx((25 + 7 / 2) / 32)


@pytest.mark.filterwarnings("ignore::alliance.stats.agreement.AgreementWarning")
def test_students_are_scored_as_score_coding_scores_them(tiny):
    for row in tiny.students.itertuples():
        alone = score_coding(tiny_sheet(CLASS[row.student]), TINY).summary.iloc[0]
        assert row.exact_matches == alone["exact_matches"]
        assert row.cell_agreement == pytest.approx(alone["cell_agreement"])
        assert row.codes == sum(len(themes) for themes in CLASS[row.student])
    assert tiny.students.set_index("student").loc["ada", "exact_matches"] == 4


def test_the_most_contested_excerpt_comes_first(tiny):
    # X4: empathy 3 of 4, understood 1, trust 1 -> the lowest agreement; X2: all agree.
    assert tiny.contested["excerpt_id"].tolist()[0] == "X4"
    assert tiny.contested["excerpt_id"].tolist()[-1] == "X2"
    x4 = tiny.contested.iloc[0]
    # per theme agreement: empathy (3 of 4) 1/2, understood 1/2, trust 1/2, others 1: 13/16.
    assert x4["agreement"] == pytest.approx(13 / 16)
    assert x4["on_key"] == pytest.approx(3 / 4)
    assert x4["coded"] == "empathy 75%, understood 25%, trust 25%"
    assert tiny.contested.set_index("excerpt_id").loc["X2", "agreement"] == 1


def test_the_prevalence_paradox_is_flagged_exactly_where_our_rule_holds():
    exercise = exercise_excerpts()
    sheets = {f"s{k}": simulate_learner(exercise, accuracy=0.6 + k / 40, seed=k) for k in range(12)}
    result = score_class(sheets, exercise)
    for row in result.themes.itertuples():
        rule = (row.percent_agreement >= PARADOX_AGREEMENT) and (
            row.gwet_ac1 - row.fleiss_kappa >= PARADOX_GAP
        )
        assert bool(row.paradox) == rule, row.theme
        if rule:
            assert f"{row.fleiss_kappa:.2f} against AC1 {row.gwet_ac1:.2f}" in row.paradox
    assert (result.themes["paradox"] != "").any(), "rare themes in a class show the paradox"


def test_unreadable_sheets_are_listed_and_the_rest_scored(tmp_path):
    exercise = exercise_excerpts()
    for k in range(3):
        simulate_learner(exercise, seed=k).to_csv(tmp_path / f"s{k}.csv", index=False)
    solution_sheet(exercise).drop(columns="trust").to_csv(tmp_path / "broken.csv", index=False)
    (tmp_path / "essay.docx").write_bytes(b"PK")
    result = score_class(str(tmp_path), exercise)
    assert result.students["student"].tolist() == ["s0", "s1", "s2"]
    assert result.unreadable.to_dict("records") == [
        {
            "source": str(tmp_path / "broken.csv"),
            "reason": "1 problem: missing column (header, column trust)",
        }
    ]
    assert result.skipped["reason"].tolist() == ["not a spreadsheet file (.docx)"]


def test_no_sheet_at_all_is_an_error(tmp_path):
    with pytest.raises(ClassroomError, match="no coding sheet"):
        score_class([tmp_path])
    with pytest.raises(ClassroomError, match="no such file or folder"):
        collect_sheets([tmp_path / "missing"])


def test_one_student_gives_no_pairs_and_undefined_class_coefficients():
    result = score_class({"solo": solution_sheet()})
    assert result.pairs.empty
    assert result.themes["fleiss_kappa"].isna().all()
    assert "Students compared" not in class_report_html(result)


def test_the_report_escapes_sheet_text_and_loads_nothing(tmp_path):
    sheet = tiny_sheet(CLASS["ben"])
    exercise = TINY.assign(text=TINY["text"].where(TINY.index != 3, "<script>alert(1)</script>"))
    sheet["text"] = exercise["text"]
    evil = "<img src=x onerror=alert(1)>"
    page = class_report_html(
        score_class({evil: sheet, "ada": sheet, "bad": sheet.drop(columns="anger")}, exercise)
    )
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert not re.search(r"<[^>]*\b(src|href)=", page), "the report loads nothing"
    assert "@import" not in page and "url(" not in page
    assert page.count("<svg") == 1


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_score_class_command_writes_the_report(tmp_path, capsys):
    exercise = exercise_excerpts()
    folder = tmp_path / "class"
    folder.mkdir()
    for k in range(3):
        sheet = simulate_learner(exercise, accuracy=0.7, seed=k)
        sheet.to_csv(folder / f"s{k}.csv", sep=";", index=False, encoding="utf-8-sig")
    book = openpyxl.Workbook()
    book.active.append(["excerpt_id", "trust"])
    book.save(folder / "broken.xlsx")
    report = tmp_path / "report.html"
    code, out, err = run(["score-class", folder, "--out", report], capsys)
    assert code == 0, err
    assert out.startswith("3 sheet(s) scored, 1 unreadable.")
    assert f"unreadable: {folder / 'broken.xlsx'}: " in out
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_score_class_command_exits_2_when_nothing_can_be_scored(tmp_path, capsys):
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("excerpt_id,trust\nE1,1\n")
    code, out, err = run(["score-class", tmp_path, "--out", tmp_path / "r.html"], capsys)
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == "error: no sheet could be scored:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        str(tmp_path / "a.csv"),
        str(tmp_path / "b.csv"),
    ]
    assert not (tmp_path / "r.html").exists()
    code, _, err = run(["score-class", tmp_path / "nowhere"], capsys)
    assert code == 2 and err.startswith("error: no such file or folder")


def test_score_class_command_says_when_it_cannot_write_the_report(tmp_path, capsys):
    simulate_learner(seed=1).to_csv(tmp_path / "s.csv", index=False)
    out = tmp_path / "no" / "such" / "folder" / "r.html"
    code, _, err = run(["score-class", tmp_path / "s.csv", "--out", out], capsys)
    assert code == 2 and err.startswith("error: ") and str(out) in err
    assert "No such file or directory" in err and err.count("\n") == 1


def test_score_command_prints_the_feedback_or_the_grouped_problems(tmp_path, capsys):
    exercise = exercise_excerpts()
    good = tmp_path / "good.csv"
    simulate_learner(exercise, seed=3).to_csv(good, index=False, sep=";")
    code, out, _ = run(["score", good], capsys)
    assert code == 0
    assert out.strip() == str(score_coding(good, exercise)).strip()
    assert out.startswith("How the sheet was read: read ';' as the column separator.")
    bad = tmp_path / "bad.csv"
    simulate_learner(exercise, seed=3).assign(trust="yes").to_csv(bad, index=False)
    code, out, err = run(["score", bad], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {len(exercise)} problems in coding sheet {bad}:")
    assert len(err.splitlines()) == 2


def test_a_user_error_shows_no_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("excerpt_id;trust\r\nE1;maybe\r\n")
    done = subprocess.run(
        [sys.executable, "-m", "alliance", "score", str(bad)], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "problems in coding sheet" in done.stderr


def test_pairs_cover_every_pair_once(tiny):
    pairs = set(zip(tiny.pairs["student_a"], tiny.pairs["student_b"], strict=True))
    assert pairs == set(combinations(CLASS, 2))


def write_as(kind: int, sheet: pd.DataFrame, folder, name: str) -> None:
    """Save a sheet the way one of six spreadsheet habits would."""
    if kind in (0, 1):  # Excel workbook: numbers and a Notes column, or Excel booleans
        book = openpyxl.Workbook()
        rows = book.active
        rows.append([*sheet.columns, "Notes"])
        context = len(SHEET_CONTEXT_COLUMNS)
        for row in sheet.itertuples(index=False):
            codes = [bool(v) for v in row[context:]] if kind else list(row[context:])
            rows.append([*row[:context], *codes, "unsure" if kind else None])
        book.save(folder / f"{name}.xlsx")
    elif kind == 2:  # German Excel: semicolons, BOM, CRLF, WAHR/FALSCH
        words = sheet.astype(object).replace({t: {1: "WAHR", 0: "FALSCH"} for t in THEMES})
        words.to_csv(
            folder / f"{name}.csv",
            sep=";",
            index=False,
            encoding="utf-8-sig",
            lineterminator="\r\n",
        )
    elif kind == 3:  # x marks, blanks and a comment column
        marks = sheet.astype(object).replace({t: {1: "x", 0: ""} for t in THEMES})
        marks.assign(Comment="").to_csv(folder / f"{name}.csv", index=False)
    elif kind == 4:  # LibreOffice: semicolons and 1.0/0.0
        sheet.astype({t: float for t in THEMES}).to_csv(
            folder / f"{name}.csv", sep=";", index=False
        )
    else:  # tab-separated text
        sheet.to_csv(folder / f"{name}.tsv", sep="\t", index=False)


def test_a_mixed_class_is_scored_as_if_every_sheet_were_clean(tmp_path):
    exercise = exercise_excerpts()
    sheets = {
        f"student{k:02d}": simulate_learner(exercise, accuracy=0.5 + k / 30, seed=40 + k)
        for k in range(12)
    }
    for k, (name, sheet) in enumerate(sheets.items()):
        write_as(k % 6, sheet, tmp_path, name)
    from_files = score_class([tmp_path], exercise)
    clean = score_class(sheets, exercise)
    assert from_files.unreadable.empty
    columns = ["student", "exact_matches", "cell_agreement", "mean_kappa", "codes"]
    pd.testing.assert_frame_equal(from_files.students[columns], clean.students[columns])
    pd.testing.assert_frame_equal(from_files.pairs, clean.pairs)
    pd.testing.assert_frame_equal(from_files.themes, clean.themes)
    assert (from_files.students["notes"] != "").all(), "every habit is reported"
