"""The book's figures: one shared style and one plotting function per figure type.

Every function takes the tidy output of an analysis helper (e.g.
:func:`alliance.study.sampling.therapist_caseloads`) and returns a
:class:`matplotlib.figure.Figure` drawn in the book's style, without showing
it and without registering it with pyplot, so a chapter can ``glue`` it and it is
never displayed twice (no ``plt.close`` needed). Nothing here is random: the same
input draws the same figure. Colours come from the Okabe-Ito palette, which
stays distinguishable for readers with colour-vision deficiencies, and every
category is also told apart by position or label, not by colour alone.

Sections: style; sampling; thematic analysis; themes per session; reliability, dyads and
robustness; the ensemble of reconstructions.

Examples
--------
>>> import pandas as pd
>>> caseloads = pd.DataFrame({"therapist_id": ["T01", "T02"], "clinic_id": ["C1", "C1"],
...                           "concordant": [1, 0], "discordant": [1, 2], "total": [2, 2]})
>>> fig = plot_caseloads(caseloads)
>>> fig.axes[0].get_xlabel()
'Intakes (dyads)'
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from alliance.data.codebook import THEMES
from alliance.stats.checks import require_columns
from alliance.study.sampling import DYAD_TYPES

__all__ = [
    "COLOURS",
    "EXTRA_COLOURS",
    "CLASS_COLOURS",
    "book_style",
    "mark_synthetic",
    "plot_caseloads",
    "plot_cooccurrence",
    "plot_count_distribution",
    "plot_dyad_composition",
    "plot_ensemble_ranges",
    "plot_interval_forest",
    "plot_paired_counts",
    "plot_parent_study",
    "plot_power_curve",
    "plot_precision_widths",
]

# ---------------------------------------------------------------- style

COLOURS: Mapping[str, str] = {
    "client": "#0072B2",
    "therapist": "#D55E00",
    "concordant": "#009E73",
    "discordant": "#CC79A7",
    "context": "#BBBBBB",
    "reference": "#000000",
}
"""Okabe-Ito colours for informants, dyad types, context bars and reference lines."""

_RC: Mapping[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "legend.frameon": False,
    "svg.hashsalt": "alliance",
    "text.parse_math": False,
}


@contextmanager
def book_style() -> Iterator[None]:
    """Draw inside this context to use the book's style (seaborn whitegrid, fixed sizes).

    The style is applied only inside the ``with`` block, so a chapter's global
    matplotlib settings never leak into (or out of) the book's figures.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with book_style():
    ...     plt.rcParams["legend.frameon"]
    False
    """
    with sns.axes_style("whitegrid"), mpl.rc_context(_RC):
        yield


SYNTHETIC_MARK = "synthetic data"
"""Text of the mark :func:`mark_synthetic` draws inside a figure."""


def mark_synthetic(fig: Figure, synthetic: object) -> Figure:
    """Write a small "synthetic data" mark inside the figure when the data are synthetic.

    The caption of a figure says when its data are synthetic, but a screenshot or a
    copied image loses the caption. The mark is drawn in the bottom right corner of the
    image itself, in small grey type, so it travels with every copy.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from one of the plotting functions.
    synthetic : object
        Whether the data are synthetic: pass the study's ``synthetic`` (a dict
        for generated data, ``None`` otherwise), so a figure of real data is
        never marked and one of generated data always is. Required: no
        default can know which data a figure shows.

    Returns
    -------
    matplotlib.figure.Figure
        The same figure, marked when ``synthetic`` is truthy (unchanged otherwise).

    Examples
    --------
    >>> fig = mark_synthetic(Figure(), synthetic={"seed": 1})
    >>> [text.get_text() for text in fig.texts]
    ['synthetic data']
    >>> mark_synthetic(Figure(), synthetic=None).texts
    []
    """
    if synthetic:
        fig.text(
            0.995,
            0.005,
            SYNTHETIC_MARK,
            ha="right",
            va="bottom",
            fontsize=7,
            color="#555555",
            style="italic",
        )
    return fig


def _figure(width: float, height: float, ncols: int = 1, **kwargs: object) -> Figure:
    """Return a new figure (not registered with pyplot, so never shown twice)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    fig.subplots(1, ncols, squeeze=False, **kwargs)
    return fig


def _label(key: str, labels: Mapping[str, str] | None) -> str:
    """Return the display label of ``key`` (itself when there is none)."""
    return (labels or {}).get(key, key)


def _legend_above(ax: mpl.axes.Axes, title: str) -> None:
    """Put the legend in one row above the axes, clear of the data."""
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(
        title=title,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        ncols=max(len(handles), 1),
        alignment="left",
    )


# ---------------------------------------------------------------- sampling


def plot_caseloads(caseloads: pd.DataFrame, groups: Sequence[str] = DYAD_TYPES) -> Figure:
    """Horizontal stacked bars: each therapist's intakes by dyad type, grouped by clinic.

    Parameters
    ----------
    caseloads : pandas.DataFrame
        The output of :func:`alliance.study.sampling.therapist_caseloads`.
    groups : sequence of str, default DYAD_TYPES
        Its group columns, in display order (``study.design.grouping.labels``).

    Returns
    -------
    matplotlib.figure.Figure
        One bar per therapist (top to bottom in table order), one segment per dyad
        type, clinics separated by a gap and labelled on the right.

    Examples
    --------
    >>> caseloads = pd.DataFrame({"therapist_id": ["T01"], "clinic_id": ["C1"],
    ...                           "concordant": [2], "discordant": [1], "total": [3]})
    >>> [float(patch.get_width()) for patch in plot_caseloads(caseloads).axes[0].patches]
    [2.0, 1.0]
    """
    require_columns(caseloads, ["therapist_id", "clinic_id", *groups], "caseloads")
    colours = _group_colours(groups)
    clinic_change = caseloads["clinic_id"].ne(caseloads["clinic_id"].shift()).cumsum() - 1
    positions = np.arange(len(caseloads)) + 0.8 * clinic_change.to_numpy()
    with book_style():
        fig = _figure(7.0, 1.2 + 0.24 * len(caseloads))
        ax = fig.axes[0]
        left = np.zeros(len(caseloads))
        for dyad_type in groups:
            widths = caseloads[dyad_type].to_numpy(dtype=float)
            ax.barh(
                positions, widths, left=left, height=0.8, color=colours[dyad_type], label=dyad_type
            )
            left += widths
        ax.set_yticks(positions, caseloads["therapist_id"].tolist(), fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("Intakes (dyads)")
        ax.set_ylabel("Therapist")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.grid(axis="y", visible=False)
        for clinic, rows in pd.Series(positions).groupby(caseloads["clinic_id"].to_numpy()):
            ax.annotate(
                clinic,
                xy=(1.01, rows.mean()),
                xycoords=("axes fraction", "data"),
                va="center",
                fontweight="bold",
            )
        _legend_above(ax, "Dyad type" if tuple(groups) == DYAD_TYPES else "Group")
    return fig


def plot_dyad_composition(composition: pd.DataFrame, groups: Sequence[str] = DYAD_TYPES) -> Figure:
    """Stacked bars: dyads of each type in each clinic, with the number of therapists.

    Parameters
    ----------
    composition : pandas.DataFrame
        The output of :func:`alliance.study.sampling.dyad_composition`.
    groups : sequence of str, default DYAD_TYPES
        Its group columns, in display order (``study.design.grouping.labels``).

    Returns
    -------
    matplotlib.figure.Figure
        One bar per clinic (labelled with its setting), one segment per dyad type
        annotated with its count, and the clinic's number of therapists above the bar.

    Examples
    --------
    >>> composition = pd.DataFrame({"clinic_id": ["C1"], "setting": ["community"],
    ...                             "n_therapists": [2], "concordant": [3], "discordant": [4],
    ...                             "n_dyads": [7]})
    >>> [float(patch.get_height()) for patch in plot_dyad_composition(composition).axes[0].patches]
    [3.0, 4.0]
    """
    require_columns(composition, ["clinic_id", "setting", "n_therapists", *groups], "composition")
    colours = _group_colours(groups)
    x = np.arange(len(composition))
    ticks = [
        f"{row.clinic_id}\n" + "\n".join(textwrap.wrap(str(row.setting), 12))
        for row in composition.itertuples(index=False)
    ]
    with book_style():
        fig = _figure(1.6 + 1.3 * len(composition), 4.0)
        ax = fig.axes[0]
        bottom = np.zeros(len(composition))
        for dyad_type in groups:
            heights = composition[dyad_type].to_numpy(dtype=float)
            bars = ax.bar(
                x, heights, bottom=bottom, width=0.6, color=colours[dyad_type], label=dyad_type
            )
            ax.bar_label(
                bars, labels=[f"{h:.0f}" if h else "" for h in heights], label_type="center"
            )
            bottom += heights
        for position, (total, therapists) in enumerate(
            zip(bottom, composition["n_therapists"], strict=True)
        ):
            noun = "therapist" if therapists == 1 else "therapists"
            ax.annotate(
                f"{therapists} {noun}",
                xy=(position, total),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=9,
            )
        ax.set_xticks(x, ticks)
        ax.set_ylabel("Dyads (intakes)")
        ax.set_ylim(0, max(bottom.max(), 1) * 1.15)
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.grid(axis="x", visible=False)
        _legend_above(ax, "Dyad type" if tuple(groups) == DYAD_TYPES else "Group")
    return fig


def plot_parent_study(parent_intakes: int, counts: pd.DataFrame) -> Figure:
    """Two bars: the parent study's intakes, and the dyads of this analysis by type.

    Parameters
    ----------
    parent_intakes : int
        Intakes recorded in the parent study (published elsewhere).
    counts : pandas.DataFrame
        The output of :func:`alliance.study.sampling.sample_counts` (uses ``n_<dyad type>``).

    Returns
    -------
    matplotlib.figure.Figure
        A grey bar for the parent study and a stacked bar for this analysis, each
        labelled with its count.

    Examples
    --------
    >>> counts = pd.DataFrame({"quantity": ["n_concordant", "n_discordant"], "n": [2, 3]})
    >>> [float(patch.get_width()) for patch in plot_parent_study(10, counts).axes[0].patches]
    [10.0, 2.0, 3.0]
    """
    require_columns(counts, ["quantity", "n"], "counts")
    n = counts.set_index("quantity")["n"]
    with book_style():
        fig = _figure(7.0, 2.6)
        ax = fig.axes[0]
        parent = ax.barh(1, parent_intakes, height=0.6, color=COLOURS["context"])
        ax.bar_label(parent, labels=[f"{parent_intakes} intakes"], padding=3)
        left = 0.0
        for dyad_type in DYAD_TYPES:
            width = float(n.get(f"n_{dyad_type}", 0))
            bar = ax.barh(
                0, width, left=left, height=0.6, color=COLOURS[dyad_type], label=dyad_type
            )
            ax.bar_label(bar, labels=[f"{width:.0f}" if width else ""], label_type="center")
            left += width
        ax.annotate(
            f"{left:.0f} dyads",
            xy=(left, 0),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
        )
        ax.set_yticks([1, 0], ["Parent study\n(published)", "This analysis\n(data)"])
        ax.set_xlabel("Intakes")
        ax.set_xlim(0, max(parent_intakes, left) * 1.3)
        ax.grid(axis="y", visible=False)
        _legend_above(ax, "Dyad type")
    return fig


# ---------------------------------------------------------------- thematic analysis


def plot_cooccurrence(
    cooccurrence: pd.DataFrame,
    facet: str = "informant",
    value: str = "n_both",
    labels: Mapping[str, str] | None = None,
    themes: Sequence[str] = THEMES,
) -> Figure:
    """Heatmaps of theme co-occurrence (lower triangle and diagonal), one panel per group.

    Parameters
    ----------
    cooccurrence : pandas.DataFrame
        The output of :func:`alliance.study.thematic.theme_cooccurrence` grouped by ``facet``.
    facet : str, default "informant"
        Column giving one panel per value.
    value : str, default "n_both"
        Column to colour and print in the cells (``n_both`` or ``jaccard``).
    labels : mapping, optional
        Display label for each theme id.
    themes : sequence of str
        Theme ids, in row and column order.

    Returns
    -------
    matplotlib.figure.Figure
        One annotated heatmap per group on a shared colour scale; rows carry the
        numbered theme labels, columns the numbers only. The diagonal holds the
        number of interviews with the theme, off-diagonal cells the number with both.

    Examples
    --------
    >>> co = pd.DataFrame({"informant": ["client"] * 4, "theme_a": ["a", "a", "b", "b"],
    ...                    "theme_b": ["a", "b", "a", "b"], "n_both": [3, 1, 1, 2]})
    >>> fig = plot_cooccurrence(co, themes=["a", "b"])
    >>> [text.get_text() for text in fig.axes[0].texts]
    ['3', '1', '2']
    """
    require_columns(cooccurrence, [facet, "theme_a", "theme_b", value], "cooccurrence")
    groups = list(dict.fromkeys(cooccurrence[facet]))
    mask = np.triu(np.ones((len(themes), len(themes)), dtype=bool), k=1)
    vmax = float(cooccurrence[value].max())
    integer = pd.api.types.is_integer_dtype(cooccurrence[value])
    numbered = [f"{number}. {_label(theme, labels)}" for number, theme in enumerate(themes, 1)]
    numbers = [str(number) for number in range(1, len(themes) + 1)]
    with book_style():
        fig = _figure(2.9 * len(groups) + 2.6, 4.2, ncols=len(groups))
        for number, (ax, group) in enumerate(zip(fig.axes, groups, strict=True)):
            rows = cooccurrence[cooccurrence[facet] == group]
            grid = rows.pivot(index="theme_a", columns="theme_b", values=value)
            grid = grid.reindex(index=list(themes), columns=list(themes)).astype(float)
            sns.heatmap(
                grid,
                mask=mask,
                vmin=0,
                vmax=vmax if vmax > 0 else 1,
                cmap="Blues",
                annot=True,
                fmt=".0f" if integer else ".2f",
                square=True,
                linewidths=0.5,
                cbar=number == len(groups) - 1,
                cbar_kws={
                    "label": "Interviews with both themes" if value == "n_both" else value,
                    "shrink": 0.8,
                },
                xticklabels=numbers,
                yticklabels=numbered if number == 0 else False,
                annot_kws={"fontsize": 8},
                ax=ax,
            )
            ax.set_xlabel("Theme (number as in the rows)")
            ax.set_ylabel("")
            ax.tick_params(axis="x", labelrotation=0)
            ax.set_title(
                f"{str(group).capitalize()} interviews (n = {int(rows['n_interviews'].iloc[0])})"
                if "n_interviews" in rows
                else str(group).capitalize()
            )
            ax.grid(False)
    return fig


# ---------------------------------------------------------------- themes per session


def plot_count_distribution(
    counts: pd.DataFrame,
    hue: str | None = None,
    published: Mapping[str, tuple[float, float]] | None = None,
    ddof: int = 1,
    n_themes: int = len(THEMES),
) -> Figure:
    """Bars of how many sessions had 0, 1, 2, ... themes, one panel per informant.

    Above the bars, a dot with a horizontal bar marks the mean plus and minus one
    SD: computed from the data (per group when ``hue`` is given) and, when given,
    the published one, so the two can be compared at a glance.

    Parameters
    ----------
    counts : pandas.DataFrame
        The output of :func:`alliance.study.session_counts.themes_per_session`, with the
        ``hue`` column added when given.
    hue : str, optional
        Split each panel's bars by this column (e.g. ``dyad_type``); the bars then
        show the percentage of that group's sessions, so groups of different
        sizes compare fairly. Without it they show numbers of sessions.
    published : mapping of str to (float, float), optional
        The published (mean, SD) for each informant.
    ddof : int, default 1
        Delta degrees of freedom of the computed SD.
    n_themes : int
        Largest possible count (the number of themes), fixing the horizontal axis.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per informant with a shared vertical axis.

    Examples
    --------
    >>> counts = pd.DataFrame({"informant": ["client"] * 3, "n_themes": [1, 2, 2]})
    >>> fig = plot_count_distribution(counts, n_themes=3)
    >>> [float(patch.get_height()) for patch in fig.axes[0].patches]
    [0.0, 1.0, 2.0, 0.0]
    """
    require_columns(counts, ["informant", "n_themes", *([hue] if hue else [])], "counts")
    informants = sorted(counts["informant"].unique())
    values = np.arange(n_themes + 1)
    groups = sorted(counts[hue].unique()) if hue else [None]
    colours = _group_colours([group for group in groups if group is not None])
    width = 0.8 / len(groups)
    with book_style():
        fig = _figure(3.6 * len(informants) + 1.0, 3.9, ncols=len(informants), sharey=True)
        tallest = 0.0
        summaries = []
        for ax, informant in zip(fig.axes, informants, strict=True):
            rows = counts[counts["informant"] == informant]
            for number, group in enumerate(groups):
                part = rows if group is None else rows[rows[hue] == group]
                tally = part["n_themes"].value_counts().reindex(values, fill_value=0)
                heights = tally.to_numpy(dtype=float)
                if group is not None:
                    heights = 100 * heights / max(len(part), 1)
                tallest = max(tallest, heights.max())
                colour = COLOURS[informant] if group is None else colours[group]
                ax.bar(
                    values + (number - (len(groups) - 1) / 2) * width,
                    heights,
                    width=width,
                    color=colour,
                    label=None if group is None else f"{group} (n = {len(part)})",
                )
                name = "computed" if group is None else str(group)
                mean, sd = part["n_themes"].mean(), part["n_themes"].std(ddof=ddof)
                summaries.append((ax, f"{name}: {mean:.2f} ({sd:.2f})", mean, sd, colour, "o"))
            if published and informant in published:
                mean, sd = published[informant]
                label = f"published: {mean:.2f} ({sd:.2f})"
                summaries.append((ax, label, mean, sd, COLOURS["reference"], "D"))
            ax.set_xticks(values)
            ax.set_xlabel("Themes in the interview")
            ax.set_title(f"{informant.capitalize()} interviews")
            ax.grid(axis="x", visible=False)
        levels: dict[object, int] = {}
        for ax, label, mean, sd, colour, marker in summaries:
            level = levels.get(ax, 0)
            levels[ax] = level + 1
            ax.errorbar(
                mean,
                tallest * (1.12 + 0.1 * level),
                xerr=sd,
                fmt=marker,
                color=colour,
                capsize=3,
                markersize=5,
                label=label,
            )
        for ax in fig.axes:
            ax.legend(loc="upper right", fontsize=8, title="mean (SD)", title_fontsize=8)
            ax.set_ylim(0, tallest * (1.25 + 0.1 * max(levels.values())))
        fig.axes[0].set_ylabel("Sessions" if hue is None else "Share of sessions (%)")
        if hue is None:
            fig.axes[0].yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    return fig


def plot_paired_counts(counts: pd.DataFrame, n_themes: int = len(THEMES)) -> Figure:
    """Bubble plot of the client's against the therapist's number of themes per session.

    Parameters
    ----------
    counts : pandas.DataFrame
        The output of :func:`alliance.study.session_counts.themes_per_session` with both
        interviews of every session.
    n_themes : int
        Largest possible count, fixing both axes.

    Returns
    -------
    matplotlib.figure.Figure
        One bubble per (client count, therapist count) combination, its area and
        label giving the number of sessions; the diagonal marks equal counts.

    Examples
    --------
    >>> counts = pd.DataFrame({"session_id": ["S1", "S2", "S1", "S2"],
    ...                        "informant": ["client", "client", "therapist", "therapist"],
    ...                        "n_themes": [2, 2, 3, 3]})
    >>> [text.get_text() for text in plot_paired_counts(counts, n_themes=4).axes[0].texts]
    ['2']
    """
    require_columns(counts, ["session_id", "informant", "n_themes"], "counts")
    wide = counts.pivot(index="session_id", columns="informant", values="n_themes")
    cells = wide.groupby(["client", "therapist"]).size().rename("sessions").reset_index()
    with book_style():
        fig = _figure(4.8, 4.6)
        ax = fig.axes[0]
        ax.plot([0, n_themes], [0, n_themes], color=COLOURS["context"], linewidth=1, zorder=0)
        ax.scatter(
            cells["client"],
            cells["therapist"],
            s=120 * cells["sessions"],
            color=COLOURS["client"],
            alpha=0.45,
            edgecolor="white",
        )
        for row in cells.itertuples(index=False):
            ax.annotate(
                str(row.sessions), (row.client, row.therapist), ha="center", va="center", fontsize=8
            )
        ax.set_xlim(-0.7, n_themes + 0.7)
        ax.set_ylim(-0.7, n_themes + 0.7)
        ax.set_xticks(range(n_themes + 1))
        ax.set_yticks(range(n_themes + 1))
        ax.set_aspect("equal")
        ax.set_xlabel("Themes in the client's interview")
        ax.set_ylabel("Themes in the therapist's interview")
    return fig


# ---------------------------------------------------------------- reliability, dyads, robustness

EXTRA_COLOURS: tuple[str, ...] = ("#000000", "#E69F00", "#56B4E9", "#F0E442", "#0072B2", "#D55E00")
"""Okabe-Ito colours for groups that have no entry in :data:`COLOURS` (e.g. analysis methods)."""


def _group_colours(groups: Sequence[str]) -> dict[str, str]:
    """Return a colour per group: its :data:`COLOURS` entry, else the next Okabe-Ito colour."""
    spare = iter(EXTRA_COLOURS)
    return {group: COLOURS.get(group) or next(spare) for group in groups}


def _hue_title(hue: str, values: Sequence[object]) -> str:
    """Name a legend after its column; groups other than the dyad types are "Group"."""
    if hue == "dyad_type" and not {str(v) for v in values} <= set(DYAD_TYPES):
        return "Group"
    return hue.replace("_", " ").capitalize()


def plot_interval_forest(
    table: pd.DataFrame,
    estimate: str,
    rows: str = "theme",
    hue: str | None = None,
    panels: str | None = None,
    low: str = "ci_low",
    high: str = "ci_high",
    xlabel: str = "",
    title: str = "",
    reference: float | None = None,
    xlim: tuple[float, float] | None = None,
    labels: Mapping[str, str] | None = None,
    order: Sequence[str] = THEMES,
    percent: bool = False,
) -> Figure:
    """Forest plot: one estimate with its interval per row, groups offset, optional panels.

    Used for per-theme agreement (rows = themes, hue = informant), prevalence
    by dyad type (hue = dyad type, one panel per informant) and risk
    differences from several analyses (hue = method).

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy results with the ``rows``, ``estimate``, ``low`` and ``high``
        columns (and ``hue`` / ``panels`` when given). A NaN estimate is left
        out of the plot and marked "n/a" at the right edge of its row.
    estimate, low, high : str
        Columns with the point estimate and the interval limits.
    rows : str, default "theme"
        Column whose values make the rows, top to bottom in ``order``.
    hue : str, optional
        Column telling groups apart by colour and vertical offset; colours come
        from :data:`COLOURS` where a group has one.
    panels : str, optional
        Column giving one panel per value (sorted), sharing the vertical axis.
    xlabel, title : str
        Axis label and figure title.
    reference : float, optional
        Draw a vertical reference line here (e.g. 0 for a difference).
    xlim : tuple of float, optional
        Horizontal limits.
    labels : mapping, optional
        Display label for each row value (e.g. theme labels).
    order : sequence of str
        Row values, top to bottom; values of ``table`` not listed are appended.
    percent : bool, default False
        Label the horizontal axis in percent (for proportions and differences
        between proportions).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per ``panels`` value; the axis label is shared below them.

    Examples
    --------
    >>> table = pd.DataFrame({"theme": ["trust", "trust", "anger", "anger"],
    ...                       "informant": ["client", "therapist"] * 2,
    ...                       "estimate": [0.8, 0.7, 0.5, float("nan")],
    ...                       "ci_low": [0.6, 0.5, 0.1, float("nan")],
    ...                       "ci_high": [0.9, 0.9, 0.9, float("nan")]})
    >>> fig = plot_interval_forest(table, "estimate", hue="informant", order=["trust", "anger"])
    >>> [[float(x) for x in line.get_xdata()] for line in fig.axes[0].lines]
    [[0.8, 0.5], [0.7]]
    >>> [text.get_text() for text in fig.axes[0].texts]
    ['n/a']
    """
    needed = [rows, estimate, low, high, *(c for c in (hue, panels) if c)]
    require_columns(table, needed, "table")
    row_values = list(order) + sorted(set(table[rows]) - set(order))
    row_values = [value for value in row_values if value in set(table[rows])]
    position = {value: number for number, value in enumerate(row_values)}
    groups = list(dict.fromkeys(table[hue])) if hue else [None]
    colours = _group_colours([g for g in groups if g is not None])
    offsets = np.linspace(-0.2, 0.2, len(groups)) if len(groups) > 1 else np.zeros(1)
    panel_values = sorted(table[panels].unique()) if panels else [None]
    with book_style():
        fig = _figure(
            3.9 * len(panel_values) + 2.2,
            1.2 + 0.42 * len(row_values),
            ncols=len(panel_values),
            sharey=True,
            sharex=True,
        )
        for ax, panel in zip(fig.axes, panel_values, strict=True):
            part = table if panel is None else table[table[panels] == panel]
            for group, offset in zip(groups, offsets, strict=True):
                rows_of_group = part if group is None else part[part[hue] == group]
                y = rows_of_group[rows].map(position).to_numpy(dtype=float) + offset
                colour = COLOURS["reference"] if group is None else colours[group]
                shown = rows_of_group[estimate].notna().to_numpy()
                ax.hlines(
                    y[shown],
                    rows_of_group.loc[shown, low],
                    rows_of_group.loc[shown, high],
                    color=colour,
                    linewidth=1.5,
                )
                ax.plot(
                    rows_of_group.loc[shown, estimate],
                    y[shown],
                    "o",
                    color=colour,
                    markersize=6,
                    label=None if group is None else str(group),
                )
                for missing_y in y[~shown]:
                    ax.annotate(
                        "n/a",
                        xy=(1.0, missing_y),
                        xycoords=("axes fraction", "data"),
                        ha="right",
                        va="center",
                        fontsize=8,
                        color=colour,
                    )
            if reference is not None:
                ax.axvline(reference, color=COLOURS["context"], linewidth=1, zorder=0)
            if xlim is not None:
                ax.set_xlim(*xlim)
            if percent:
                ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1))
            ax.grid(axis="y", visible=False)
            if panel is not None:
                ax.set_title(str(panel).capitalize())
        fig.supxlabel(xlabel, fontsize=mpl.rcParams["axes.labelsize"])
        first = fig.axes[0]
        first.set_yticks(range(len(row_values)), [_label(str(v), labels) for v in row_values])
        first.set_ylim(len(row_values) - 0.5, -0.5)
        if hue:
            handles, names = first.get_legend_handles_labels()
            fig.legend(handles, names, title=_hue_title(hue, groups), loc="outside right upper")
        if title:
            fig.suptitle(title, fontweight="bold")
    return fig


def plot_power_curve(
    curve: pd.DataFrame,
    power: float = 0.8,
    observed: Mapping[str, float] | None = None,
    title: str = "",
) -> Figure:
    """Power against the true difference in prevalence, simulated and analytic.

    Parameters
    ----------
    curve : pandas.DataFrame
        The output of :func:`alliance.study.robustness.simulated_power_curve`, with an
        optional ``scenario`` column (one line per scenario, e.g. an ICC value).
    power : float, default 0.8
        Target power, drawn as a horizontal reference line.
    observed : mapping of str to float, optional
        Observed differences to mark as vertical lines, labelled low on the plot
        (staggered, on the side away from zero).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Simulated power as dots with Monte Carlo error bars, the normal
        approximation as a line.

    Examples
    --------
    >>> curve = pd.DataFrame({"difference": [0.0, 0.2], "power_simulated": [0.05, 0.3],
    ...                       "mc_se": [0.01, 0.02], "power_analytic": [0.05, 0.31]})
    >>> [float(y) for y in plot_power_curve(curve).axes[0].lines[0].get_ydata()]
    [0.05, 0.31]
    """
    require_columns(curve, ["difference", "power_simulated", "mc_se", "power_analytic"], "curve")
    scenarios = list(dict.fromkeys(curve["scenario"])) if "scenario" in curve else [None]
    colours = _group_colours([str(s) for s in scenarios if s is not None])
    with book_style():
        fig = _figure(7.0, 3.8)
        ax = fig.axes[0]
        for scenario in scenarios:
            rows = curve if scenario is None else curve[curve["scenario"] == scenario]
            colour = COLOURS["reference"] if scenario is None else colours[str(scenario)]
            ax.plot(rows["difference"], rows["power_analytic"], color=colour, linewidth=1.2)
            ax.errorbar(
                rows["difference"],
                rows["power_simulated"],
                yerr=2 * rows["mc_se"],
                fmt="o",
                markersize=3.5,
                color=colour,
                label=None if scenario is None else str(scenario),
            )
        ax.axhline(power, color=COLOURS["context"], linestyle="--", linewidth=1)
        for number, (name, value) in enumerate((observed or {}).items()):
            ax.axvline(value, color=COLOURS["context"], linewidth=1)
            ax.annotate(
                name,
                xy=(value, 0.3 - 0.07 * number),
                xytext=(-4 if value < 0 else 4, 0),
                textcoords="offset points",
                ha="right" if value < 0 else "left",
                va="center",
                fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1},
            )
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1))
        ax.xaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1))
        ax.set_xlabel("True difference in prevalence (discordant minus concordant)")
        ax.set_ylabel("Power (two-sided, 5% level)")
        if scenarios != [None]:
            ax.legend(title="Scenario", loc="lower right")
        if title:
            ax.set_title(title)
    return fig


# ---------------------------------------------------------------- agreement precision

_COEFFICIENT_TITLES: Mapping[str, str] = {"fleiss_kappa": "Fleiss' kappa", "gwet_ac1": "Gwet's AC1"}


def plot_precision_widths(precision: pd.DataFrame, target_width: float) -> Figure:
    """Median interval width against the number of units, one panel per coefficient.

    Parameters
    ----------
    precision : pandas.DataFrame
        :func:`alliance.stats.planning.simulate_agreement_precision` (``coefficient``,
        ``n_raters``, ``n_units``, ``median_width``); panels follow the order in
        which the coefficients first appear.
    target_width : float
        Target width, drawn as a dashed horizontal line.

    Returns
    -------
    matplotlib.figure.Figure
        One line per number of raters, units on a log scale, shared y axis.

    Raises
    ------
    ValueError
        If a column listed above is missing; the message names it.

    Examples
    --------
    >>> precision = pd.DataFrame({"coefficient": ["fleiss_kappa"] * 2 + ["gwet_ac1"] * 2,
    ...                           "n_raters": [2] * 4, "n_units": [25, 50] * 2,
    ...                           "median_width": [0.6, 0.4, 0.5, 0.3]})
    >>> fig = plot_precision_widths(precision, 0.2)
    >>> [ax.get_title() for ax in fig.axes]
    ["Fleiss' kappa", "Gwet's AC1"]
    >>> [float(y) for y in fig.axes[1].lines[0].get_ydata()]
    [0.5, 0.3]
    """
    require_columns(precision, ["coefficient", "n_raters", "n_units", "median_width"], "precision")
    groups = list(precision.groupby("coefficient", sort=False))
    units = sorted(precision["n_units"].unique())
    with book_style():
        fig = _figure(7.5, 3.4, ncols=len(groups), sharey=True)
        axes = fig.axes
        for ax, (coefficient, rows) in zip(axes, groups, strict=True):
            for raters, line in rows.groupby("n_raters"):
                ax.plot(line["n_units"], line["median_width"], marker="o", label=f"{raters} raters")
            ax.axhline(target_width, color="#BBBBBB", linestyle="--", linewidth=1)
            ax.set_xscale("log")
            ax.minorticks_off()
            ax.set_xticks(units, labels=[str(n) for n in units])
            ax.set_title(_COEFFICIENT_TITLES.get(coefficient, coefficient))
            ax.set_xlabel("Units coded (log scale)")
        axes[0].set_ylabel("Median width of the 95% interval")
        axes[-1].legend(title="Raters")
    return fig


# ---------------------------------------------------------------- the ensemble


CLASS_COLOURS: Mapping[str, str] = {
    "fixed": "#000000",
    "constrained": "#0072B2",
    "assumed": "#E69F00",
}
"""Colour of each ensemble class (Okabe-Ito); each row's label also names its class."""


def plot_ensemble_ranges(
    draws: pd.DataFrame, book: pd.DataFrame, labels: Mapping[str, str] | None = None
) -> Figure:
    """Distribution of results across an ensemble of reconstructions, with the book's marked.

    Parameters
    ----------
    draws : pandas.DataFrame
        Long table, one row per member and result: ``result``, ``value``.
    book : pandas.DataFrame
        One row per result to draw, in display order (top first): ``result``,
        ``book_value`` (the book's reconstruction) and ``class`` (``fixed``,
        ``constrained`` or ``assumed``), e.g. rows of
        :func:`alliance.article.ensemble.ensemble_summary`.
    labels : mapping of str to str, optional
        Display label of each result (default: its name).

    Returns
    -------
    matplotlib.figure.Figure
        One row per result: each member as a dot (a fixed vertical spread so
        they do not overlap), a box from the 5th to the 95th percentile with the
        median, the book's value as a black diamond and a reference line at 0;
        each row's label ends with its class in parentheses.

    Raises
    ------
    ValueError
        If a column listed above is missing; the message names it.

    Examples
    --------
    >>> draws = pd.DataFrame({"result": ["a", "a", "b", "b"], "value": [0.1, 0.3, -0.2, 0.2]})
    >>> book = pd.DataFrame({"result": ["a", "b"], "book_value": [0.2, 0.1],
    ...                      "class": ["constrained", "assumed"]})
    >>> fig = plot_ensemble_ranges(draws, book)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['a (constrained)', 'b (assumed)']
    """
    require_columns(draws, ["result", "value"], "draws")
    require_columns(book, ["result", "book_value", "class"], "book")
    jitter = np.random.default_rng(0)
    rows = book.rename(columns={"class": "klass"})
    with book_style():
        fig = _figure(8.0, 0.45 * len(rows) + 1.2)
        ax = fig.axes[0]
        for row, item in enumerate(rows.itertuples(index=False)):
            values = draws.loc[draws["result"] == item.result, "value"].dropna().to_numpy()
            colour = CLASS_COLOURS[item.klass]
            offsets = row + jitter.uniform(-0.18, 0.18, len(values))
            ax.scatter(values, offsets, s=6, color=colour, alpha=0.35, linewidths=0)
            if len(values):
                low, mid, high = np.quantile(values, [0.05, 0.5, 0.95])
                ax.plot([low, high], [row, row], color=colour, linewidth=3, alpha=0.6)
                ax.plot([mid, mid], [row - 0.25, row + 0.25], color=colour, linewidth=1.5)
            ax.scatter(
                [item.book_value],
                [row],
                marker="D",
                s=36,
                color=COLOURS["reference"],
                zorder=3,
                label="the book's reconstruction" if row == 0 else None,
            )
        ax.axvline(0, color=COLOURS["context"], linewidth=1)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(
            [
                f"{_label(r, labels)} ({k})"
                for r, k in zip(rows["result"], rows["klass"], strict=True)
            ]
        )
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlabel("Value in each reconstruction")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return fig
