"""The codebook: published theme labels and order, our valence grouping, facets, and loading."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alliance.data.codebook import (
    THEMES,
    CodebookError,
    codebook_text,
    facet_parent_themes,
    facet_table,
    load_codebook,
    theme_labels,
    theme_table,
)
from alliance.data.published import PUBLISHED_THEME_LABELS, figure

NONVERBAL_CUES = {"eye contact", "tone of voice", "posture", "note-taking", "looking at the screen"}


def test_themes_have_the_published_labels_in_the_published_order():
    assert len(THEMES) == figure("n_themes").value
    assert tuple(theme_labels().values()) == PUBLISHED_THEME_LABELS
    assert tuple(theme_table()["theme"]) == THEMES


def test_valence_grouping_is_ours_positive_first_five_negative_last_three():
    codebook = load_codebook()
    grouping = codebook["valence_grouping"]
    assert grouping["source"] == "ours"
    assert "not publish" in grouping["note"]
    valences = theme_table(codebook)["valence"].tolist()
    assert valences == ["positive"] * 5 + ["negative"] * 3


def test_every_theme_has_a_definition_rules_and_an_example():
    for theme in load_codebook()["themes"]:
        assert len(theme["definition"].split()) >= 15, theme["id"]
        assert theme["include"] and theme["exclude"], theme["id"]
        assert all(isinstance(rule, str) and rule for rule in theme["include"] + theme["exclude"])
        assert theme["example"].strip(), theme["id"]


def test_facets_cover_nonverbal_cues_and_the_therapists_judgements():
    facets = facet_table()
    nonverbal = facets[facets["group"] == "nonverbal"]
    assert set(nonverbal["label"]) == NONVERBAL_CUES
    assert set(nonverbal["informant"]) == {"client"}
    judgement = facets.set_index("facet").loc[["client_openness", "client_trustworthiness"]]
    assert set(judgement["informant"]) == {"therapist"}


def test_facet_parents_match_the_facet_valence():
    valence = dict(zip(theme_table()["theme"], theme_table()["valence"], strict=True))
    allowed = facet_parent_themes()
    assert set(allowed["theme"]) <= set(THEMES)
    assert (allowed["theme"].map(valence) == allowed["valence"]).all()
    both = allowed.groupby("facet")["valence"].nunique()
    assert (both == 2).all(), "every facet can be coded positive and negative"


def test_shipped_codebook_matches_the_committed_one():
    committed = Path(__file__).resolve().parents[1] / "data" / "codebook.yaml"
    assert committed.read_text(encoding="utf-8") == codebook_text()
    assert load_codebook(committed) == load_codebook()


def _write(tmp_path: Path, codebook: dict) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(codebook), encoding="utf-8")
    return path


def test_a_study_codebook_has_its_own_themes_in_its_own_order(tmp_path):
    themes = [
        {"id": "heard", "label": "feeling heard", "definition": "The client felt listened to."},
        {"id": "T-2", "label": "doubt"},
        {"id": "a.b_c", "label": "ambivalence", "include": ["Says both yes and no."]},
    ]
    loaded = load_codebook(_write(tmp_path, {"themes": themes}))
    assert [t["id"] for t in loaded["themes"]] == ["heard", "T-2", "a.b_c"]
    table = theme_table(loaded)
    assert table["label"].tolist() == ["feeling heard", "doubt", "ambivalence"]
    assert table["definition"].isna().tolist() == [False, True, True]
    assert facet_parent_themes(loaded).empty


def test_the_compendium_themes_out_of_order_load_in_the_file_order(tmp_path):
    codebook = load_codebook()
    codebook["themes"] = codebook["themes"][::-1]
    loaded = load_codebook(_write(tmp_path, codebook))
    assert tuple(t["id"] for t in loaded["themes"]) == THEMES[::-1]


@pytest.mark.parametrize(
    ("themes", "message"),
    [
        ([], "at least one theme"),
        ([{"id": "a b", "label": "x"}], r"theme 'a b', field 'id': must be letters"),
        ([{"id": "-a", "label": "x"}], r"field 'id': must be letters"),
        ([{"id": "a", "label": "x"}, {"id": "a", "label": "y"}], "appears twice in themes"),
        ([{"id": "a"}], r"themes\[0\] has no 'label'"),
        ([{"id": "a", "label": "x", "valence": "neutral"}], "valence 'neutral'"),
        ([{"id": "a", "label": "x", "example": ["no"]}], r"field 'example': must be text"),
    ],
)
def test_study_codebooks_are_checked(tmp_path, themes, message):
    with pytest.raises(CodebookError, match=message):
        load_codebook(_write(tmp_path, {"themes": themes}))


def test_facet_parents_are_checked_against_the_codebook_own_themes(tmp_path):
    codebook = load_codebook()
    codebook["themes"] = [t for t in codebook["themes"] if t["id"] != "openness"]
    with pytest.raises(CodebookError, match=r"unknown parent theme\(s\) \['openness'\]"):
        load_codebook(_write(tmp_path, codebook))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["facets"][0]["parent_themes"].update(positive=["joy"]), "unknown parent"),
        (lambda c: c["facets"][0].update(group="gestures"), "unknown group"),
        (lambda c: c["facets"][0].update(informant="therapist"), "its group another"),
        (lambda c: c["facets"][0]["parent_themes"].update(neutral=["trust"]), "unknown valence"),
        (lambda c: c["themes"][2].pop("label"), r"themes\[2\] has no 'label'"),
        (lambda c: c["themes"][0].update(valence="mixed"), "valence 'mixed'"),
        (lambda c: c["themes"][0].update(difficulty="hard"), "difficulty 'hard'"),
        (lambda c: c.pop("themes"), "has no 'themes'"),
    ],
)
def test_malformed_codebooks_are_rejected(tmp_path, change, message):
    codebook = load_codebook()
    change(codebook)
    with pytest.raises(ValueError, match=message):
        load_codebook(_write(tmp_path, codebook))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c["themes"][3].update(label=12345),
            r"theme 'trust', field 'label': must be text",
        ),
        (
            lambda c: c["themes"][0].update(include="not a list"),
            r"theme 'understood', field 'include': must be a non-empty list, got str",
        ),
        (
            lambda c: c["themes"][6].update(definition=None),
            r"theme 'anger', field 'definition': must be text, got NoneType",
        ),
        (
            lambda c: c["themes"][1].update(label="comfortable\n:::{raw} html"),
            r"theme 'comfortable', field 'label': must be one line",
        ),
        (
            lambda c: c["themes"][5]["include"].append("```{raw} html\n<script>x</script>\n```"),
            r"theme 'frustration', field 'include'\[\d\]: must be one line of printable text",
        ),
        (
            lambda c: c["themes"][2]["exclude"].append(7),
            r"theme 'openness', field 'exclude'\[\d\]: must be text",
        ),
        (
            lambda c: c["facets"][0].update(label=["eye", "contact"]),
            r"facet 'nonverbal_eye_contact', field 'label': must be text",
        ),
        (
            lambda c: c["facets"][1]["examples"].update(positive=None),
            r"facet 'nonverbal_tone', field 'examples'\['positive'\]: must be text",
        ),
        (
            lambda c: c["facets"][1]["parent_themes"].update(positive="trust"),
            r"facet 'nonverbal_tone', field 'parent_themes'\['positive'\]: must be a list",
        ),
        (
            lambda c: c["facet_groups"][0].update(label="two\nlines"),
            r"facet group 'nonverbal', field 'label': must be one line",
        ),
        (lambda c: c["facets"].append(dict(c["facets"][0])), "the id appears twice in facets"),
        (lambda c: c.update(themes="trust"), r"field 'themes': must be a list"),
        (lambda c: c["valence_grouping"].update(note=3), r"valence_grouping, field 'note'"),
        (lambda c: c["themes"].__setitem__(4, "empathy"), r"themes\[4\] is not a mapping"),
    ],
)
def test_the_codebook_schema_names_the_code_and_the_field(tmp_path, change, message):
    codebook = load_codebook()
    change(codebook)
    with pytest.raises(CodebookError, match=message) as caught:
        load_codebook(_write(tmp_path, codebook))
    assert caught.value.problems and all(isinstance(p, str) for p in caught.value.problems)


def test_every_codebook_problem_is_listed_at_once(tmp_path):
    codebook = load_codebook()
    codebook["themes"][0]["label"] = 1
    codebook["themes"][7]["example"] = ""
    with pytest.raises(CodebookError) as caught:
        load_codebook(_write(tmp_path, codebook))
    assert len(caught.value.problems) == 2
    assert "theme 'disengagement', field 'example': must not be empty" in caught.value.problems
