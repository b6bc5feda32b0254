"""The reproduction scorecard: every published figure must match on the committed data.

This file fails the suite as soon as any published figure stops being reproduced
by the committed synthetic study (data/), whatever changed: the data, the
generator, the loader or an analysis helper.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

import alliance.article.scorecard as scorecard_module
from alliance.article.reconstruction import GENERATOR
from alliance.article.scorecard import (
    MATCH,
    MISMATCH,
    NOT_APPLICABLE,
    recompute_published,
    reproduces_article,
    reproduction_scorecard,
    scorecard_verdict,
)
from alliance.data.codebook import THEMES
from alliance.data.dataset import load_study
from alliance.data.published import PUBLISHED, PublishedFigure, figure

COMMITTED_DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def study():
    return load_study(COMMITTED_DATA)


def test_every_published_figure_matches_on_the_committed_data(study):
    card = reproduction_scorecard(study)
    assert card["key"].tolist() == [fig.key for fig in PUBLISHED]
    failing = card[card["match"] != MATCH]
    assert failing.empty, "published figures no longer reproduced:\n" + failing.to_string()
    assert (card["published"] == card["recomputed"]).all()


def independent_values(study) -> dict[str, float]:
    """Recompute the published figures with pandas, numpy and statsmodels only."""
    clients = study.clients["ethnicity"].value_counts()
    values = {
        "n_therapists": len(study.therapists),
        "n_clients_mizrahi": clients.get("Mizrahi", 0),
        "n_clients_ashkenazi": clients.get("Ashkenazi", 0),
        "n_clinics": len(study.clinics),
        "n_raters": study.ratings["rater"].nunique(),
        "n_themes": study.consensus.query("present == 1")["theme"].nunique(),
    }
    for informant, rows in study.ratings.groupby("informant"):
        wide = rows.pivot_table(
            index=["session_id", "theme"], columns="rater", values="present", aggfunc="first"
        )
        counts, _ = aggregate_raters(wide.to_numpy())
        values[f"kappa_{informant}"] = fleiss_kappa(counts, method="fleiss")
    per_session = study.consensus.groupby(["informant", "session_id"])["present"].sum()
    for informant, counts in per_session.groupby(level="informant"):
        values[f"themes_{informant}_mean"] = float(np.mean(counts))
        values[f"themes_{informant}_sd"] = float(np.std(counts))  # population SD, as documented
    return values


def test_recomputed_values_agree_with_independent_implementations(study):
    ours = recompute_published(study).set_index("key")["value"]
    theirs = independent_values(study)
    assert set(theirs) == {fig.key for fig in PUBLISHED}
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, abs=1e-10), key
        assert figure(key).matches(value), key


@pytest.mark.parametrize(
    ("synthetic", "reason"),
    [
        (None, "do not declare"),
        ({"generator": "someone.else", "seed": 1, "scale": 1}, "another generator"),
        ({"generator": GENERATOR, "seed": 1, "scale": 3}, "scaled 3 times"),
    ],
)
def test_other_data_are_not_applicable(study, synthetic, reason):
    applicable, why = reproduces_article(synthetic)
    assert not applicable and reason in why
    card = reproduction_scorecard(dataclasses.replace(study, synthetic=synthetic))
    assert set(card["match"]) == {NOT_APPLICABLE}
    assert card["recomputed"].str.len().gt(0).all()


def test_a_changed_coding_is_caught(study):
    ratings = study.ratings.copy()
    generous = (ratings["rater"] == "R1") & (ratings["informant"] == "therapist")
    ratings.loc[generous, "present"] = 1
    card = reproduction_scorecard(dataclasses.replace(study, ratings=ratings)).set_index("key")
    assert card.loc["kappa_therapist", "match"] == MISMATCH
    assert card.loc["kappa_client", "match"] == MATCH


def test_a_published_figure_without_recomputation_is_an_error(study, monkeypatch):
    extra = PublishedFigure("n_interviews", "Interviews", 110, 0)
    monkeypatch.setattr(scorecard_module, "PUBLISHED", (*PUBLISHED, extra))
    with pytest.raises(KeyError, match="n_interviews"):
        recompute_published(study)


def test_recomputed_text_uses_published_precision(study):
    card = reproduction_scorecard(study)
    decimals = {fig.key: fig.decimals for fig in PUBLISHED}
    for row in card.itertuples():
        digits = row.recomputed.partition(".")[2]
        assert len(digits) == decimals[row.key], row.key


@pytest.mark.parametrize(
    ("matches", "applicable", "verdict"),
    [
        ([MATCH] * 3, True, "all 3 published figures are reproduced"),
        ([MATCH, MISMATCH, MISMATCH], True, "2 of 3 published figures are NOT reproduced"),
        ([NOT_APPLICABLE] * 2, False, "the comparison does not apply to these data"),
    ],
)
def test_scorecard_verdict_names_what_the_card_shows(matches, applicable, verdict):
    assert scorecard_verdict(pd.DataFrame({"match": matches}), applicable) == verdict


def test_scorecard_refuses_a_study_of_another_design(tmp_path):
    """A study of other groups or one informant has nothing to set beside the article."""
    from alliance.article.scorecard import reproduction_scorecard
    from alliance.data.dataset import load_study
    from alliance.data.examples import write_example_study
    from alliance.stats.checks import InsufficientData

    folder = write_example_study(tmp_path / "one", informants=("client",), seed=3)
    with pytest.raises(InsufficientData, match="cannot be recomputed on this study"):
        reproduction_scorecard(load_study(folder))
    folder = write_example_study(
        tmp_path / "three", rule="client", variable="arm", groups=("a", "b", "c"), seed=3
    )
    with pytest.raises(InsufficientData, match=r"other groups \(a, b, c\)"):
        reproduction_scorecard(load_study(folder))


def test_article_design_difference_names_each_departure():
    """Each way a design departs from the article's is named; the article's own is None."""
    import dataclasses

    from alliance.article.scorecard import article_design_difference
    from alliance.data.design import VERSION_1

    assert article_design_difference(dataclasses.replace(VERSION_1, themes=THEMES)) is None
    one = dataclasses.replace(VERSION_1, informants=("therapist",))
    assert article_design_difference(one) == "it coded therapist interviews only"
    own = dataclasses.replace(VERSION_1, themes=("a", "b"))
    assert article_design_difference(own) == "its codebook has other themes (2)"
