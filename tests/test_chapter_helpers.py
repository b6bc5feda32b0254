"""Helpers that keep chapters 11 and 12 short: checked against independent computations.

``alliance.teaching.paradoxes.by_theme`` (chapter 12's per-theme table) is checked against
statsmodels' Fleiss kappa and a hand count of agreement on a study whose raters coded a
subsample; ``alliance.book.feedback`` (chapter 11's lists and confusion matrix) against the
score's own tables and the injection battery.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from injection import PAYLOADS
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from alliance.book.feedback import (
    confusable_markdown,
    confusion_matrix,
    disagreements_markdown,
    first_disagreements,
)
from alliance.book.markup import one_line
from alliance.data.dataset import load_study
from alliance.data.design import Design
from alliance.data.examples import write_example_study
from alliance.stats.checks import InsufficientData
from alliance.teaching.exercise import exercise_excerpts, score_coding, simulate_learner
from alliance.teaching.paradoxes import by_theme, rarest_sentence, rarest_theme

PARSER = create_md_parser(MdParserConfig(enable_extensions={"colon_fence"}), RendererHTML)


def _study(folder, double_coded):
    write_example_study(
        folder, groups=["A", "B", "C"], rule="client", informants=["client"],
        raters=["r1", "r2", "r3"], themes=5, double_coded=double_coded, per_group=8, seed=11,
    )  # fmt: skip
    return load_study(folder)


@pytest.mark.parametrize("double_coded", [0.5, 1.0])
def test_by_theme_matches_a_hand_count_and_statsmodels(tmp_path, double_coded):
    """Agreement by hand on the overlap; Fleiss' kappa by statsmodels when every unit is
    coded by all raters (with a subsample, single-coded units also inform the chance term)."""
    study = _study(tmp_path / "study", double_coded)
    table = by_theme(study.ratings, study.design)
    ratings = study.ratings.dropna(subset=["present"])
    assert list(table["theme"]) == list(study.design.themes)
    assert list(table["label"]) == [study.design.label(t) for t in table["theme"]]
    for row in table.itertuples():
        mine = ratings[ratings["theme"] == row.theme]
        wide = mine.pivot(index="session_id", columns="rater", values="present")
        overlap = wide[wide.notna().sum(axis=1) >= 2]
        assert row.prevalence == pytest.approx(mine["present"].mean())
        pairs = agree = 0
        for codes in overlap.itertuples(index=False):
            given = [c for c in codes if not np.isnan(c)]
            for i in range(len(given)):
                for j in range(i + 1, len(given)):
                    pairs += 1
                    agree += given[i] == given[j]
        assert row.percent_agreement == pytest.approx(agree / pairs)
        if double_coded == 1.0:
            counts = aggregate_raters(overlap.to_numpy(dtype=int), n_cat=2)[0]
            assert row.fleiss_kappa == pytest.approx(fleiss_kappa(counts), nan_ok=True)


def test_by_theme_keeps_a_theme_nobody_coded_and_rarest_passes_it_over():
    ratings = pd.DataFrame({
        "session_id": np.repeat(["S1", "S2", "S3"], 6), "informant": "client",
        "rater": ["R1", "R2"] * 9, "theme": np.tile(np.repeat(["a", "b", "c"], 2), 3),
        "present": [1, 1, 0, 0, 1, 0,  0, 0, 0, 0, 1, 1,  1, 1, 0, 0, 0, 0],
    })  # fmt: skip
    design = Design(themes=("a", "b", "c"), theme_labels={"b": "never seen"})
    table = by_theme(ratings, design)
    assert list(table["label"]) == ["a", "never seen", "c"]
    assert np.isnan(table.loc[1, "fleiss_kappa"]) and table.loc[1, "prevalence"] == 0
    assert rarest_theme(table)["theme"] == "c"
    assert '"c"' in rarest_sentence(table)
    with pytest.raises(InsufficientData):
        rarest_theme(table.iloc[[1]])


def test_by_theme_says_when_nothing_was_coded_twice():
    ratings = pd.DataFrame({
        "session_id": ["S1", "S2"], "informant": "client", "rater": ["R1", "R2"],
        "theme": "a", "present": [1, 0],
    })  # fmt: skip
    with pytest.raises(InsufficientData, match="two or more raters"):
        by_theme(ratings, Design(themes=("a",)))


@pytest.fixture(scope="module")
def score():
    exercise = exercise_excerpts()
    learner = simulate_learner(exercise, accuracy=0.6, extra_rate=0.4, seed=5)
    return score_coding(learner, exercise)


def test_confusion_matrix_holds_every_count_under_its_numbered_column(score):
    themes = list(dict.fromkeys(score.themes["theme"]))
    matrix = confusion_matrix(score.confusions, themes)
    for row in score.confusions.itertuples():
        column = "none" if row.coded_theme == "(none)" else str(themes.index(row.coded_theme) + 1)
        line = f"{themes.index(row.reference_theme) + 1} {row.reference_theme}"
        assert matrix.loc[line, column] == row.n
    assert int(matrix.to_numpy().sum()) == int(score.confusions["n"].sum())


def test_first_disagreements_keeps_order_and_kind(score):
    shown = first_disagreements(score.disagreements, per_kind=1)
    expected = [k for k in ("missed", "extra", "defensible") if k in set(score.disagreements.kind)]
    assert list(shown["kind"]) == expected


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_feedback_lists_keep_hostile_codebook_text_as_text(name):
    payload = PAYLOADS[name]
    row = pd.DataFrame([{
        "excerpt_id": "X01", "theme": "t", "kind": "extra", "rule_theme": "t",
        "rule_kind": "exclude", "rule": payload, "rationale": payload,
    }])  # fmt: skip
    labels = {"t": payload}
    for markdown in (
        disagreements_markdown(row, labels),
        confusable_markdown({"t": ["t"]}, labels),
    ):
        tokens = []
        for token in PARSER.parse(markdown):
            tokens.append(token)
            tokens.extend(token.children or [])
        allowed = {"text", "softbreak", "inline", "em_open", "em_close", "strong_open",
                   "strong_close", "bullet_list_open", "bullet_list_close", "list_item_open",
                   "list_item_close", "paragraph_open", "paragraph_close"}  # fmt: skip
        assert {t.type for t in tokens} <= allowed
        text = "".join(t.content for t in tokens if t.type == "text")
        assert one_line(payload) in text
