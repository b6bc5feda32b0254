"""Thematic analysis: how often each theme was coded, which themes go together, and excerpts.

The functions take the final (consensus) coding in its tidy form, one row per
session x informant x theme with ``present`` 0/1, optionally with dyad columns
added by :func:`alliance.study.sampling.attach_dyads`, and return tidy DataFrames.

Examples
--------
>>> import pandas as pd
>>> consensus = pd.DataFrame({
...     "session_id": ["S1", "S1", "S2", "S2"], "informant": ["client"] * 4,
...     "theme": ["trust", "anger", "trust", "anger"], "present": [1, 0, 1, 1]})
>>> theme_prevalence(consensus, themes=["trust", "anger"])[["theme", "n_present", "prevalence"]]
   theme  n_present  prevalence
0  trust          2         1.0
1  anger          1         0.5
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from alliance.data.codebook import THEMES
from alliance.data.design import Design
from alliance.stats.checks import (
    InsufficientData,
    require_binary,
    require_columns,
    require_complete,
    require_unique,
    require_values,
)

__all__ = [
    "coding_matrix",
    "label_themes",
    "select_excerpts",
    "theme_cooccurrence",
    "theme_extremes",
    "theme_order",
    "theme_prevalence",
    "valence_counts",
    "valence_mix",
]

CODED_COLUMNS: tuple[str, ...] = ("session_id", "informant", "theme", "present")
"""Columns every coded table (``consensus.csv``, ``ratings.csv`` per rater) has."""


def theme_order(observed: Iterable[str], themes: Sequence[str] | None = None) -> tuple[str, ...]:
    """Return the themes an analysis reports, in display order.

    Every helper of the study layer that takes ``themes`` resolves it here, so
    one rule decides the order of every table.

    Parameters
    ----------
    observed : iterable of str
        The theme ids found in the data (e.g. a ``theme`` column).
    themes : sequence of str, optional
        The study's themes in codebook order, ``study.design.themes``: pass it,
        so a table follows the study's own codebook and keeps themes nobody coded.
        ``None``: the themes found in the data, the book's eight
        (:data:`alliance.data.codebook.THEMES`) in their published order, any
        others after them in order of first appearance.

    Returns
    -------
    tuple of str
        ``themes`` itself when given, else the observed themes ordered as said.

    Examples
    --------
    >>> theme_order(["anger", "trust", "anger"])
    ('trust', 'anger')
    >>> theme_order(["b_theme", "trust", "a_theme"])
    ('trust', 'b_theme', 'a_theme')
    >>> theme_order(["trust"], themes=["voice", "trust"])
    ('voice', 'trust')
    """
    if themes is not None:
        return tuple(themes)
    seen = list(dict.fromkeys(observed))
    rank = {theme: position for position, theme in enumerate(THEMES)}
    return tuple(sorted(seen, key=lambda theme: (rank.get(theme, len(THEMES)), seen.index(theme))))


def label_themes(
    table: pd.DataFrame,
    labels: Design | Mapping[str, str],
    columns: Sequence[str] = ("theme",),
) -> pd.DataFrame:
    """Add the codebook's label beside each theme-id column, for tables readers see.

    Results keep theme ids (stable keys for code); this is the one helper that
    puts the study's own labels next to them.

    Parameters
    ----------
    table : pandas.DataFrame
        Any table with theme ids in ``columns``.
    labels : Design or mapping of str to str
        ``study.design`` (its :meth:`~alliance.data.design.Design.label`), or a
        mapping from theme id to label such as
        :func:`alliance.data.codebook.theme_labels`. An id without a label
        keeps its id, as :meth:`~alliance.data.design.Design.label` does.
    columns : sequence of str, default ("theme",)
        Columns holding theme ids. The label of ``theme`` goes in ``label``; of
        ``theme_a`` in ``label_a``; of any other column ``<column>_label``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with each label column inserted right after its
        theme column (plain text; rows and index unchanged).

    Raises
    ------
    ValueError
        If a column is missing, or a label column already exists.

    Examples
    --------
    >>> pairs = pd.DataFrame({"theme_a": ["trust"], "theme_b": ["anger"], "n_both": [3]})
    >>> label_themes(pairs, {"trust": "trust", "anger": "anger and hostility"},
    ...              columns=["theme_a", "theme_b"])
      theme_a label_a theme_b              label_b  n_both
    0   trust   trust   anger  anger and hostility       3
    """
    require_columns(table, list(columns), "table")
    lookup = labels.label if isinstance(labels, Design) else lambda t: labels.get(t, t)
    labelled = table.copy()
    for column in columns:
        name = column.replace("theme", "label") if "theme" in column else f"{column}_label"
        if name in labelled.columns:
            raise ValueError(f"table already has a column {name!r}")
        values = [lookup(str(theme)) for theme in labelled[column]]
        labelled.insert(labelled.columns.get_loc(column) + 1, name, values)
    return labelled


def _check_coded(
    coded: pd.DataFrame, by: Sequence[str], themes: Sequence[str] | None
) -> tuple[str, ...]:
    """Raise ``ValueError`` naming rows that would make counts wrong; return the themes."""
    require_columns(coded, list(dict.fromkeys((*CODED_COLUMNS, *by))), "coded table")
    themes = theme_order(coded["theme"], themes)
    require_binary(coded, "present", "coded table")
    require_values(coded, "theme", themes, "coded table")
    require_complete(coded, by, "coded table")
    require_unique(coded, ["session_id", "informant", "theme"], "coded table")
    return themes


def theme_prevalence(
    coded: pd.DataFrame,
    by: Sequence[str] = ("informant",),
    themes: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Share of interviews in which each theme was coded present, with Wilson intervals.

    Parameters
    ----------
    coded : pandas.DataFrame
        Tidy coding: ``session_id``, ``informant``, ``theme``, ``present`` (0/1)
        and the grouping columns in ``by``; one row per session x informant x theme.
    by : sequence of str, default ("informant",)
        Columns to split the interviews by, e.g. ``["informant", "dyad_type"]``.
    themes : sequence of str, optional
        The theme ids, in display order: ``study.design.themes``. Default: the
        themes in ``coded``, ordered by :func:`theme_order`.
    confidence : float, default 0.95
        Coverage of the Wilson score interval.

    Returns
    -------
    pandas.DataFrame
        One row per group x theme (themes with no interview present are kept):
        the ``by`` columns, ``theme`` (ordered categorical), ``n_interviews``,
        ``n_present``, ``prevalence`` and ``ci_low``, ``ci_high``.

    Raises
    ------
    ValueError
        If a column is missing, ``present`` is not 0/1, a theme is unknown or a
        session x informant x theme appears twice.

    Examples
    --------
    >>> coded = pd.DataFrame({"session_id": ["S1", "S2", "S1", "S2"],
    ...                       "informant": ["client", "client", "therapist", "therapist"],
    ...                       "theme": ["trust"] * 4, "present": [1, 1, 0, 1]})
    >>> theme_prevalence(coded, themes=["trust"]).round(3)
       informant  theme  n_interviews  n_present  prevalence  ci_low  ci_high
    0     client  trust             2          2         1.0   0.342    1.000
    1  therapist  trust             2          1         0.5   0.095    0.905
    """
    by = list(by)
    themes = _check_coded(coded, by, themes)
    grouped = coded.groupby([*by, "theme"], observed=True, sort=False)["present"]
    table = grouped.agg(n_interviews="size", n_present="sum").reset_index()
    table["theme"] = pd.Categorical(table["theme"], categories=list(themes), ordered=True)
    table = table.sort_values([*by, "theme"], ignore_index=True)
    table["n_present"] = table["n_present"].astype(int)
    table["prevalence"] = table["n_present"] / table["n_interviews"]
    low, high = proportion_confint(
        table["n_present"], table["n_interviews"], alpha=1 - confidence, method="wilson"
    )
    # the Wilson bounds are exactly 0 (1) when no (every) interview has the theme;
    # set them so, without the floating-point residue (2.8e-17) of the formula
    table["ci_low"] = np.where(table["n_present"] == 0, 0.0, low)
    table["ci_high"] = np.where(table["n_present"] == table["n_interviews"], 1.0, high)
    return table


def coding_matrix(coded: pd.DataFrame, themes: Sequence[str] | None = None) -> pd.DataFrame:
    """Reshape tidy coding into one row per interview and one 0/1 column per theme.

    Parameters
    ----------
    coded : pandas.DataFrame
        Tidy coding as in :func:`theme_prevalence`.
    themes : sequence of str, optional
        Theme ids, in column order (default: :func:`theme_order` of ``coded``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``session_id`` and ``informant`` (sorted), one integer column per theme.

    Raises
    ------
    ValueError
        As :func:`theme_prevalence`, and if an interview lacks a code for some theme.

    Examples
    --------
    >>> coded = pd.DataFrame({"session_id": ["S1", "S1"], "informant": ["client"] * 2,
    ...                       "theme": ["trust", "anger"], "present": [1, 0]})
    >>> matrix = coding_matrix(coded, themes=["trust", "anger"])
    >>> matrix.index.tolist(), matrix.columns.tolist(), matrix.to_numpy().tolist()
    ([('S1', 'client')], ['trust', 'anger'], [[1, 0]])
    """
    themes = _check_coded(coded, [], themes)
    matrix = coded.pivot(index=["session_id", "informant"], columns="theme", values="present")
    matrix = matrix.reindex(columns=list(themes)).sort_index()
    matrix.columns.name = None
    gaps = matrix.isna().stack()
    if gaps.any():
        session, informant, theme = gaps.index[gaps.to_numpy()][0]
        raise ValueError(
            f"coded table has no row for session {session!r}, informant {informant!r}, "
            f"theme {theme!r} ({int(gaps.sum())} missing code(s) in all); every interview "
            "needs one row per theme"
        )
    return matrix.astype(int)


def theme_cooccurrence(
    coded: pd.DataFrame,
    by: Sequence[str] = ("informant",),
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Count how often two themes were coded in the same interview.

    Parameters
    ----------
    coded : pandas.DataFrame
        Tidy coding as in :func:`theme_prevalence`, complete (every interview has
        a code for every theme).
    by : sequence of str, default ("informant",)
        Columns to split the interviews by; each must be constant within an interview.
    themes : sequence of str, optional
        Theme ids, in display order (default: :func:`theme_order` of ``coded``).

    Returns
    -------
    pandas.DataFrame
        One row per group x ordered pair of themes (``theme_a``, ``theme_b``, both
        ordered categoricals, the diagonal included): ``n_interviews`` in the group,
        ``n_both`` (interviews with both themes present; on the diagonal, with the
        theme present), ``n_either`` and ``jaccard`` = ``n_both / n_either`` (NaN
        when neither theme was ever coded).

    Examples
    --------
    >>> coded = pd.DataFrame({"session_id": ["S1", "S1", "S2", "S2"],
    ...                       "informant": ["client"] * 4,
    ...                       "theme": ["trust", "anger"] * 2, "present": [1, 1, 1, 0]})
    >>> theme_cooccurrence(coded, themes=["trust", "anger"])
      informant theme_a theme_b  n_interviews  n_both  n_either  jaccard
    0    client   trust   trust             2       2         2      1.0
    1    client   trust   anger             2       1         2      0.5
    2    client   anger   trust             2       1         2      0.5
    3    client   anger   anger             2       1         1      1.0
    """
    by = list(by)
    themes = _check_coded(coded, by, themes)
    interview = ["session_id", "informant"]
    groups = coded[list(dict.fromkeys([*interview, *by]))].drop_duplicates()
    varying = groups.duplicated(interview)
    if varying.any():
        first = tuple(groups.loc[varying, interview].iloc[0])
        raise ValueError(f"grouping columns {by} vary within interview {first}")
    matrix = coding_matrix(coded, themes)
    if by:
        labels = groups.set_index(interview, drop=False).reindex(matrix.index)[by]
    else:
        labels = pd.DataFrame({"all": 0}, index=matrix.index)
    frames = []
    for group_key, rows in matrix.groupby([labels[column] for column in labels.columns]):
        values = rows.to_numpy()
        both = values.T @ values
        present = values.sum(axis=0)
        either = present[:, None] + present[None, :] - both
        frame = pd.DataFrame(
            {
                "theme_a": pd.Categorical(
                    [a for a in themes for _ in themes], categories=list(themes), ordered=True
                ),
                "theme_b": pd.Categorical(
                    [b for _ in themes for b in themes], categories=list(themes), ordered=True
                ),
                "n_interviews": len(rows),
                "n_both": both.ravel(),
                "n_either": either.ravel(),
            }
        )
        for position, column in enumerate(by):
            frame.insert(position, column, group_key[position])
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table["jaccard"] = table["n_both"] / table["n_either"].where(table["n_either"] > 0)
    return table.astype({"n_both": int, "n_either": int})


def select_excerpts(
    excerpts: pd.DataFrame,
    per_group: int = 1,
    by: Sequence[str] = ("theme", "informant"),
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Pick illustrative excerpts deterministically: the first ``per_group`` by id.

    Excerpts tied to a facet are passed over when a plain one is available, so
    the theme itself is illustrated; different sessions are preferred over
    several excerpts from one interview.

    Parameters
    ----------
    excerpts : pandas.DataFrame
        ``excerpts.csv``: ``excerpt_id``, ``session_id``, ``informant``,
        ``theme``, ``facet`` (empty or missing when none) and ``text``.
    per_group : int, default 1
        How many excerpts to keep per group.
    by : sequence of str, default ("theme", "informant")
        The grouping.
    themes : sequence of str, optional
        Theme ids, for the display order (default: :func:`theme_order` of ``excerpts``).

    Returns
    -------
    pandas.DataFrame
        The chosen rows, all columns kept, sorted by the ``by`` columns (themes in
        ``themes`` order) and ``excerpt_id``. Groups without excerpts are absent.

    Raises
    ------
    ValueError
        If a column is missing, ``per_group`` is below 1, or a theme is unknown.

    Examples
    --------
    >>> excerpts = pd.DataFrame({
    ...     "excerpt_id": ["E3", "E1", "E2"], "session_id": ["S2", "S1", "S1"],
    ...     "informant": ["client"] * 3, "theme": ["trust"] * 3,
    ...     "facet": ["", "eye_contact", ""], "text": ["c", "a", "b"]})
    >>> select_excerpts(excerpts, themes=["trust"])[["excerpt_id", "text"]]
      excerpt_id text
    0         E2    b
    """
    required = ["excerpt_id", "session_id", "informant", "theme", "facet", "text", *by]
    require_columns(excerpts, list(dict.fromkeys(required)), "excerpts")
    if per_group < 1:
        raise ValueError(f"per_group must be at least 1, got {per_group}")
    themes = theme_order(excerpts["theme"], themes)
    require_values(excerpts, "theme", themes, "excerpts")
    by = list(by)
    ranked = excerpts.assign(
        _facet=excerpts["facet"].fillna("").ne(""),
        _theme=pd.Categorical(excerpts["theme"], categories=list(themes), ordered=True),
    )
    ranked = ranked.sort_values(["_facet", "excerpt_id"])
    ranked["_repeat"] = ranked.groupby([*by, "session_id"]).cumcount()
    ranked = ranked.sort_values(["_repeat", "_facet", "excerpt_id"], kind="stable")
    chosen = ranked.groupby(by, sort=False).head(per_group)
    order = ["_theme" if column == "theme" else column for column in by]
    chosen = chosen.sort_values([*order, "excerpt_id"], ignore_index=True)
    return chosen.drop(columns=["_facet", "_theme", "_repeat"])


def valence_counts(
    coded: pd.DataFrame,
    valence: Mapping[str, str],
    themes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Count the positive and the negative themes coded in each interview.

    Parameters
    ----------
    coded : pandas.DataFrame
        Complete tidy coding as in :func:`theme_prevalence`.
    valence : mapping of str to str
        The valence (``positive`` / ``negative``) of every theme in ``themes``,
        e.g. ``dict(zip(table["theme"], table["valence"]))`` from
        :func:`alliance.data.codebook.theme_table`.
    themes : sequence of str, optional
        Theme ids (default: :func:`theme_order` of ``coded``).

    Returns
    -------
    pandas.DataFrame
        One row per interview, sorted: ``session_id``, ``informant``, ``positive``
        and ``negative`` (numbers of themes of each valence coded present).

    Raises
    ------
    ValueError
        If a valence is not ``positive``/``negative``.
    InsufficientData
        (A ``ValueError``.) If a theme has no valence: a study's codebook may
        leave valence out; one line.

    Examples
    --------
    >>> coded = pd.DataFrame({"session_id": ["S1", "S1"], "informant": ["client"] * 2,
    ...                       "theme": ["trust", "anger"], "present": [1, 1]})
    >>> valence_counts(coded, {"trust": "positive", "anger": "negative"},
    ...                themes=["trust", "anger"])
      session_id informant  positive  negative
    0         S1    client         1         1
    """
    require_columns(coded, CODED_COLUMNS, "coded table")
    themes = theme_order(coded["theme"], themes)
    missing = [theme for theme in themes if theme not in valence]
    if missing:
        raise InsufficientData(f"valence: no valence given for theme(s) {missing}")
    unknown = sorted({valence[theme] for theme in themes} - {"positive", "negative"})
    if unknown:
        raise ValueError(f"valence: values must be 'positive' or 'negative', got {unknown}")
    matrix = coding_matrix(coded, themes)
    table = pd.DataFrame(index=matrix.index)
    for kind in ("positive", "negative"):
        columns = [theme for theme in themes if valence[theme] == kind]
        table[kind] = matrix[columns].sum(axis=1).astype(int)
    return table.reset_index()


def theme_extremes(prevalence: pd.DataFrame, by: str = "informant") -> pd.DataFrame:
    """Find the most and the least often coded theme in each group.

    Themes are ranked by ``n_present``; ties keep the order of ``prevalence``
    (the codebook order), so the first of tied themes counts as the
    most common and the last as the rarest.

    Parameters
    ----------
    prevalence : pandas.DataFrame
        :func:`theme_prevalence` (``by``, ``theme``, ``n_interviews``,
        ``n_present``, ``prevalence``).
    by : str, default "informant"
        The grouping column.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted: ``by``, ``n_interviews``, ``top_theme``,
        ``top_prevalence``, ``rare_theme`` and ``rare_prevalence``.

    Raises
    ------
    ValueError
        If a column listed above is missing; the message names it.

    Examples
    --------
    >>> prevalence = pd.DataFrame({"informant": ["client"] * 3,
    ...                            "theme": ["trust", "anger", "empathy"],
    ...                            "n_interviews": [4] * 3, "n_present": [2, 1, 2],
    ...                            "prevalence": [0.5, 0.25, 0.5]})
    >>> theme_extremes(prevalence)
      informant  n_interviews top_theme  top_prevalence rare_theme  rare_prevalence
    0    client             4     trust             0.5      anger             0.25
    """
    require_columns(
        prevalence, [by, "theme", "n_interviews", "n_present", "prevalence"], "prevalence"
    )
    rows = []
    for group, table in prevalence.groupby(by, observed=True):
        ranked = table.sort_values("n_present", ascending=False, kind="stable")
        top, rare = ranked.iloc[0], ranked.iloc[-1]
        rows.append(
            {
                by: group,
                "n_interviews": int(top["n_interviews"]),
                "top_theme": top["theme"],
                "top_prevalence": float(top["prevalence"]),
                "rare_theme": rare["theme"],
                "rare_prevalence": float(rare["prevalence"]),
            }
        )
    return pd.DataFrame(rows)


def valence_mix(profile: pd.DataFrame, by: str = "informant") -> pd.DataFrame:
    """Share of interviews with a negative theme, with both valences, and with none.

    Parameters
    ----------
    profile : pandas.DataFrame
        :func:`valence_counts` (``by``, ``positive``, ``negative``).
    by : str, default "informant"
        The grouping column.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted: ``by``, ``any_negative`` (at least one
        negative theme), ``mixed`` (at least one of each valence) and ``none``
        (no theme coded), each a share of the group's interviews.

    Raises
    ------
    ValueError
        If a column listed above is missing; the message names it.

    Examples
    --------
    >>> profile = pd.DataFrame({"informant": ["client"] * 4, "positive": [2, 0, 1, 0],
    ...                         "negative": [1, 1, 0, 0]})
    >>> valence_mix(profile)
      informant  any_negative  mixed  none
    0    client           0.5   0.25  0.25
    """
    require_columns(profile, [by, "positive", "negative"], "profile")
    negative, positive = profile["negative"] > 0, profile["positive"] > 0
    flags = pd.DataFrame(
        {
            by: profile[by],
            "any_negative": negative,
            "mixed": negative & positive,
            "none": (profile["positive"] + profile["negative"]) == 0,
        }
    )
    return flags.groupby(by, observed=True).mean().reset_index()
