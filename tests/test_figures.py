"""Figures draw exactly the data they are given, deterministically, in the book's style."""

from __future__ import annotations

import io
import statistics
from collections import Counter

import matplotlib as mpl
import pandas as pd
import pytest
from matplotlib.figure import Figure

from alliance.book.figures import (
    COLOURS,
    book_style,
    plot_caseloads,
    plot_cooccurrence,
    plot_count_distribution,
    plot_dyad_composition,
    plot_paired_counts,
    plot_parent_study,
    plot_precision_widths,
)
from alliance.data.codebook import THEMES

CASELOADS = pd.DataFrame(
    {
        "therapist_id": ["T01", "T02", "T03"],
        "clinic_id": ["C1", "C1", "C2"],
        "concordant": [1, 0, 2],
        "discordant": [2, 1, 0],
        "total": [3, 1, 2],
    }
)
COUNTS = pd.DataFrame(
    {
        "session_id": [f"S{i}" for i in range(6)] * 2,
        "informant": ["client"] * 6 + ["therapist"] * 6,
        "n_themes": [2, 3, 3, 1, 4, 2, 2, 5, 3, 0, 4, 2],
        "dyad_type": ["concordant", "discordant"] * 6,
    }
)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _bars(ax) -> list[mpl.patches.Rectangle]:
    return [p for p in ax.patches if isinstance(p, mpl.patches.Rectangle)]


def test_book_style_is_scoped_to_the_with_block():
    before = mpl.rcParams["legend.frameon"]
    with book_style():
        assert mpl.rcParams["legend.frameon"] is False
    assert mpl.rcParams["legend.frameon"] == before


def test_caseload_bars_stack_each_therapists_counts():
    ax = plot_caseloads(CASELOADS).axes[0]
    bars = _bars(ax)
    # concordant segments for every therapist first, then discordant ones
    assert [b.get_width() for b in bars] == [1, 0, 2, 2, 1, 0]
    assert [b.get_x() for b in bars[3:]] == [1, 0, 2]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["T01", "T02", "T03"]
    assert sorted(t.get_text() for t in ax.texts) == ["C1", "C2"]
    assert mpl.colors.to_hex(bars[0].get_facecolor()) == COLOURS["concordant"].lower()


def test_dyad_composition_bars_and_therapist_labels():
    composition = pd.DataFrame(
        {
            "clinic_id": ["C1", "C2"],
            "setting": ["community", "hospital outpatient"],
            "n_therapists": [1, 3],
            "concordant": [4, 0],
            "discordant": [2, 5],
            "n_dyads": [6, 5],
        }
    )
    ax = plot_dyad_composition(composition).axes[0]
    assert [b.get_height() for b in _bars(ax)] == [4, 0, 2, 5]
    assert [b.get_y() for b in _bars(ax)][2:] == [4, 0]
    labels = [t.get_text() for t in ax.texts]
    assert "1 therapist" in labels and "3 therapists" in labels


def test_parent_study_bar_shows_both_totals():
    counts = pd.DataFrame({"quantity": ["n_concordant", "n_discordant"], "n": [26, 29]})
    ax = plot_parent_study(122, counts).axes[0]
    assert [b.get_width() for b in _bars(ax)] == [122, 26, 29]
    texts = [t.get_text() for t in ax.texts]
    assert "122 intakes" in texts and "55 dyads" in texts


def test_cooccurrence_heatmap_prints_the_lower_triangle():
    rows = []
    for informant in ("client", "therapist"):
        for i, a in enumerate(THEMES):
            for j, b in enumerate(THEMES):
                rows.append((informant, a, b, 10, (i + 1) * (j + 1) % 7))
    table = pd.DataFrame(
        rows, columns=["informant", "theme_a", "theme_b", "n_interviews", "n_both"]
    )
    fig = plot_cooccurrence(table)
    assert len(fig.axes) == 3  # two panels and one shared colour bar
    k = len(THEMES)
    texts = [int(t.get_text()) for t in fig.axes[0].texts]
    assert texts == [(i + 1) * (j + 1) % 7 for i in range(k) for j in range(i + 1)]
    assert fig.axes[1].get_title() == "Therapist interviews (n = 10)"


def _intervals(ax) -> list[tuple[float, float, float]]:
    """(mean, low, high) of every mean-and-SD bar drawn with errorbar."""
    out = []
    for container in ax.containers:
        if isinstance(container, mpl.container.ErrorbarContainer):
            mean = float(container.lines[0].get_xdata()[0])
            segment = container.lines[2][0].get_segments()[0]
            out.append((mean, float(segment[0][0]), float(segment[1][0])))
    return out


def test_count_distribution_heights_are_session_tallies():
    fig = plot_count_distribution(COUNTS, published={"client": (2.56, 1.17)}, ddof=0)
    for ax, informant in zip(fig.axes, ("client", "therapist"), strict=True):
        tally = Counter(COUNTS.loc[COUNTS["informant"] == informant, "n_themes"])
        assert [b.get_height() for b in _bars(ax)] == [tally[k] for k in range(len(THEMES) + 1)]
    client = COUNTS.loc[COUNTS["informant"] == "client", "n_themes"].tolist()
    (mean, low, high), published = _intervals(fig.axes[0])
    assert mean == pytest.approx(statistics.mean(client))
    assert high - mean == pytest.approx(statistics.pstdev(client))  # ddof=0 as asked
    assert published == pytest.approx((2.56, 2.56 - 1.17, 2.56 + 1.17))
    assert len(_intervals(fig.axes[1])) == 1  # no published values given for therapists
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[-1] == "published: 2.56 (1.17)"


def test_count_distribution_by_group_shows_percentages():
    fig = plot_count_distribution(COUNTS, hue="dyad_type")
    bars = _bars(fig.axes[0])
    half = len(bars) // 2
    assert sum(b.get_height() for b in bars[:half]) == pytest.approx(100)
    assert sum(b.get_height() for b in bars[half:]) == pytest.approx(100)
    assert fig.axes[0].get_ylabel() == "Share of sessions (%)"


def test_paired_bubbles_count_sessions_per_combination():
    ax = plot_paired_counts(COUNTS).axes[0]
    wide = COUNTS.pivot(index="session_id", columns="informant", values="n_themes")
    expected = Counter(zip(wide["client"], wide["therapist"], strict=True))
    drawn = {t.get_position(): int(t.get_text()) for t in ax.texts}
    assert drawn == {(float(c), float(t)): n for (c, t), n in expected.items()}


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_caseloads(CASELOADS),
        lambda: plot_count_distribution(COUNTS, hue="dyad_type"),
        lambda: plot_paired_counts(COUNTS),
    ],
)
def test_figures_are_deterministic(draw):
    assert _png(draw()) == _png(draw())


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"caseloads lacks required column\(s\) \['discordant'\]"):
        plot_caseloads(CASELOADS.drop(columns="discordant"))


def test_precision_widths_draw_one_line_per_rater_count_and_the_target():
    precision = pd.DataFrame(
        {
            "n_units": [25, 25, 50, 50] * 2,
            "n_raters": [2, 3] * 4,
            "coefficient": ["fleiss_kappa"] * 4 + ["gwet_ac1"] * 4,
            "median_width": [0.6, 0.5, 0.42, 0.35, 0.45, 0.4, 0.3, 0.28],
        }
    )
    fig = plot_precision_widths(precision, 0.3)
    assert [ax.get_title() for ax in fig.axes] == ["Fleiss' kappa", "Gwet's AC1"]
    for ax, (_, rows) in zip(fig.axes, precision.groupby("coefficient"), strict=True):
        drawn = {line.get_label(): list(line.get_ydata()) for line in ax.lines[:2]}
        for raters in (2, 3):
            expected = rows[rows["n_raters"] == raters]["median_width"].tolist()
            assert drawn[f"{raters} raters"] == expected
        assert list(ax.lines[2].get_ydata()) == [0.3, 0.3]
    assert _png(fig) == _png(plot_precision_widths(precision, 0.3))


def test_the_synthetic_mark_is_drawn_inside_the_image():
    from alliance.book.figures import SYNTHETIC_MARK, mark_synthetic

    plain = _png(plot_caseloads(CASELOADS))
    marked_fig = mark_synthetic(plot_caseloads(CASELOADS), {"seed": 1})
    assert [text.get_text() for text in marked_fig.texts] == [SYNTHETIC_MARK]
    assert _png(marked_fig) != plain  # the mark is in the pixels, not only in metadata
    assert _png(mark_synthetic(plot_caseloads(CASELOADS), None)) == plain


@pytest.mark.parametrize(
    ("groups", "title"),
    [(("concordant", "discordant"), "Dyad type"), (("self", "clinician"), "Group")],
)
def test_forest_legend_names_the_groups_of_the_study(groups, title):
    """The dyad-type legend says "Group" when the study compares other groups."""
    from alliance.book.figures import plot_interval_forest

    table = pd.DataFrame(
        {
            "theme": ["trust", "trust"],
            "dyad_type": list(groups),
            "estimate": [0.4, 0.6],
            "ci_low": [0.2, 0.4],
            "ci_high": [0.6, 0.8],
        }
    )
    fig = plot_interval_forest(table, "estimate", hue="dyad_type", order=["trust"])
    assert fig.legends[0].get_title().get_text() == title
