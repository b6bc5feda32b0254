"""The forest and power-curve figures draw exactly the data they are given."""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from alliance.book.figures import COLOURS, EXTRA_COLOURS, plot_interval_forest, plot_power_curve

TABLE = pd.DataFrame(
    {
        "informant": ["client"] * 3 + ["therapist"] * 3,
        "theme": ["trust", "anger", "openness"] * 2,
        "dyad_type": ["concordant"] * 6,
        "estimate": [0.4, 0.1, 0.5, 0.3, np.nan, 0.6],
        "ci_low": [0.2, 0.0, 0.3, 0.1, np.nan, 0.4],
        "ci_high": [0.6, 0.3, 0.7, 0.5, np.nan, 0.8],
    }
)


def test_forest_rows_follow_the_order_and_points_match_the_table():
    fig = plot_interval_forest(TABLE, "estimate", hue="informant")
    ax = fig.axes[0]
    ticks = [tick.get_text() for tick in ax.get_yticklabels()]
    assert ticks == ["openness", "trust", "anger"]  # published theme order
    client, therapist = ax.lines
    assert list(client.get_xdata()) == [0.4, 0.1, 0.5]
    assert list(therapist.get_xdata()) == [0.3, 0.6]  # NaN estimate left out
    assert [t.get_text() for t in ax.texts] == ["n/a"]
    assert client.get_color() == COLOURS["client"]
    segments = ax.collections[0].get_segments()
    assert [tuple(segment[:, 0]) for segment in segments] == [(0.2, 0.6), (0.0, 0.3), (0.3, 0.7)]


def test_forest_panels_share_rows_and_use_spare_colours_for_new_groups():
    table = TABLE.assign(method=["a", "b", "a", "b", "a", "b"])
    fig = plot_interval_forest(table, "estimate", hue="method", panels="informant", percent=True)
    assert [ax.get_title() for ax in fig.axes] == ["Client", "Therapist"]
    assert {line.get_color() for line in fig.axes[0].lines} == set(EXTRA_COLOURS[:2])
    formatter = fig.axes[0].xaxis.get_major_formatter()
    assert isinstance(formatter, mpl.ticker.PercentFormatter)


def test_forest_requires_its_columns():
    with pytest.raises(ValueError, match="ci_low"):
        plot_interval_forest(TABLE.drop(columns="ci_low"), "estimate")


def png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


CURVE = pd.DataFrame(
    {
        "difference": [-0.2, 0.0, 0.2] * 2,
        "power_simulated": [0.3, 0.05, 0.31, 0.2, 0.06, 0.22],
        "mc_se": [0.01] * 6,
        "power_analytic": [0.33, 0.05, 0.33, 0.25, 0.05, 0.25],
        "scenario": ["ICC = 0"] * 3 + ["ICC = 0.1"] * 3,
    }
)


def test_power_curve_draws_each_scenario_and_marks_observed_differences():
    fig = plot_power_curve(CURVE, observed={"trust": -0.26})
    ax = fig.axes[0]
    analytic = [
        line for line in ax.lines if line.get_linestyle() == "-" and len(line.get_xdata()) == 3
    ]
    assert [list(line.get_ydata()) for line in analytic][:2] == [
        [0.33, 0.05, 0.33],
        [0.25, 0.05, 0.25],
    ]
    assert [text.get_text() for text in ax.texts] == ["trust"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["ICC = 0", "ICC = 0.1"]


def test_power_curve_requires_its_columns():
    with pytest.raises(ValueError, match="mc_se"):
        plot_power_curve(CURVE.drop(columns="mc_se"))


def test_figures_are_deterministic():
    assert png(plot_interval_forest(TABLE, "estimate", hue="informant")) == png(
        plot_interval_forest(TABLE, "estimate", hue="informant")
    )
    assert png(plot_power_curve(CURVE)) == png(plot_power_curve(CURVE))
