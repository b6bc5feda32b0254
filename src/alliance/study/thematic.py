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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from alliance.data.codebook import THEMES
from alliance.stats.checks import (
    require_binary,
    require_columns,
    require_complete,
    require_unique,
    require_values,
)

__all__ = [
    "codebook_markdown",
    "coding_matrix",
    "excerpts_markdown",
    "excerpts_text",
    "select_excerpts",
    "theme_cooccurrence",
    "theme_extremes",
    "theme_prevalence",
    "prevalence_highlights",
    "top_cooccurring_pairs",
    "valence_counts",
    "valence_mix",
]

CODED_COLUMNS: tuple[str, ...] = ("session_id", "informant", "theme", "present")
"""Columns every coded table (``consensus.csv``, ``ratings.csv`` per rater) has."""


def _check_coded(coded: pd.DataFrame, by: Sequence[str], themes: Sequence[str]) -> None:
    """Raise ``ValueError`` naming rows that would make counts wrong."""
    require_columns(coded, list(dict.fromkeys((*CODED_COLUMNS, *by))), "coded table")
    require_binary(coded, "present", "coded table")
    require_values(coded, "theme", themes, "coded table")
    require_complete(coded, by, "coded table")
    require_unique(coded, ["session_id", "informant", "theme"], "coded table")


def theme_prevalence(
    coded: pd.DataFrame,
    by: Sequence[str] = ("informant",),
    themes: Sequence[str] = THEMES,
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
    themes : sequence of str
        The theme ids, in display order (default: the published order).
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
    _check_coded(coded, by, themes)
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


def coding_matrix(coded: pd.DataFrame, themes: Sequence[str] = THEMES) -> pd.DataFrame:
    """Reshape tidy coding into one row per interview and one 0/1 column per theme.

    Parameters
    ----------
    coded : pandas.DataFrame
        Tidy coding as in :func:`theme_prevalence`.
    themes : sequence of str
        Theme ids, in column order.

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
    _check_coded(coded, [], themes)
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
    themes: Sequence[str] = THEMES,
) -> pd.DataFrame:
    """Count how often two themes were coded in the same interview.

    Parameters
    ----------
    coded : pandas.DataFrame
        Tidy coding as in :func:`theme_prevalence`, complete (every interview has
        a code for every theme).
    by : sequence of str, default ("informant",)
        Columns to split the interviews by; each must be constant within an interview.
    themes : sequence of str
        Theme ids, in display order.

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
    _check_coded(coded, by, themes)
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
    themes: Sequence[str] = THEMES,
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
    themes : sequence of str
        Theme ids, for the display order.

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
    themes: Sequence[str] = THEMES,
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
    themes : sequence of str
        Theme ids.

    Returns
    -------
    pandas.DataFrame
        One row per interview, sorted: ``session_id``, ``informant``, ``positive``
        and ``negative`` (numbers of themes of each valence coded present).

    Raises
    ------
    ValueError
        If a theme has no valence, or a valence is not ``positive``/``negative``.

    Examples
    --------
    >>> coded = pd.DataFrame({"session_id": ["S1", "S1"], "informant": ["client"] * 2,
    ...                       "theme": ["trust", "anger"], "present": [1, 1]})
    >>> valence_counts(coded, {"trust": "positive", "anger": "negative"},
    ...                themes=["trust", "anger"])
      session_id informant  positive  negative
    0         S1    client         1         1
    """
    missing = [theme for theme in themes if theme not in valence]
    if missing:
        raise ValueError(f"valence: no valence given for theme(s) {missing}")
    unknown = sorted({valence[theme] for theme in themes} - {"positive", "negative"})
    if unknown:
        raise ValueError(f"valence: values must be 'positive' or 'negative', got {unknown}")
    matrix = coding_matrix(coded, themes)
    table = pd.DataFrame(index=matrix.index)
    for kind in ("positive", "negative"):
        columns = [theme for theme in themes if valence[theme] == kind]
        table[kind] = matrix[columns].sum(axis=1).astype(int)
    return table.reset_index()


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {' '.join(str(item).split())}" for item in items)


def codebook_markdown(codebook: Mapping[str, Any]) -> str:
    """Render the themes of a codebook as MyST Markdown, one collapsible block per theme.

    Parameters
    ----------
    codebook : mapping
        A parsed ``codebook.yaml`` (``Study.codebook``), with a ``themes`` list whose
        entries have ``id``, ``label``, ``valence``, ``difficulty``, ``definition``,
        ``include``, ``exclude`` and ``example``.

    Returns
    -------
    str
        MyST Markdown: for each theme, in order, a dropdown admonition headed with
        its number and label that holds the definition, when to code it, when not
        to, and an example.

    Examples
    --------
    >>> theme = {"id": "trust", "label": "trust", "valence": "positive",
    ...          "difficulty": "moderate", "definition": "Relying on the other.",
    ...          "include": ["Says they can rely on them."], "exclude": ["Competence only."],
    ...          "example": "I knew I was in good hands."}
    >>> print(codebook_markdown({"themes": [theme]}))
    :::{admonition} 1. Trust (`trust`): positive, moderate
    :class: dropdown
    Relying on the other.
    <BLANKLINE>
    **Code it when**
    <BLANKLINE>
    - Says they can rely on them.
    <BLANKLINE>
    **Do not code it when**
    <BLANKLINE>
    - Competence only.
    <BLANKLINE>
    **Example**: "I knew I was in good hands."
    :::
    """
    blocks = []
    for number, theme in enumerate(codebook["themes"], start=1):
        head = (
            f"{number}. {theme['label'][:1].upper()}{theme['label'][1:]} (`{theme['id']}`): "
            f"{theme['valence']}, {theme['difficulty']}"
        )
        blocks.append(
            "\n".join(
                [
                    f":::{{admonition}} {head}",
                    ":class: dropdown",
                    " ".join(str(theme["definition"]).split()),
                    "",
                    "**Code it when**",
                    "",
                    _bullets(theme["include"]),
                    "",
                    "**Do not code it when**",
                    "",
                    _bullets(theme["exclude"]),
                    "",
                    f'**Example**: "{" ".join(str(theme["example"]).split())}"',
                    ":::",
                ]
            )
        )
    return "\n\n".join(blocks)


def excerpts_markdown(
    excerpts: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    note: str = "",
) -> str:
    """Render chosen excerpts as Markdown block quotes, grouped under their theme.

    Parameters
    ----------
    excerpts : pandas.DataFrame
        Rows of ``excerpts.csv`` in display order, e.g. from :func:`select_excerpts`.
    labels : mapping, optional
        Display label for each theme id.
    note : str, optional
        Added after each attribution, e.g. ``"synthetic"``.

    Returns
    -------
    str
        Markdown; a line saying there are no excerpts when ``excerpts`` is empty.

    Examples
    --------
    >>> chosen = pd.DataFrame({"excerpt_id": ["E1"], "session_id": ["S1"],
    ...                        "informant": ["client"], "theme": ["trust"],
    ...                        "text": ["I felt safe."]})
    >>> print(excerpts_markdown(chosen, {"trust": "trust"}, note="synthetic"))
    **Trust**
    <BLANKLINE>
    > I felt safe.
    >
    > *Client, session S1, excerpt E1 (synthetic)*
    """
    if excerpts.empty:
        return "*This study folder holds no excerpts.*"
    parts = []
    for theme, rows in excerpts.groupby("theme", sort=False, observed=True):
        label = (labels or {}).get(theme, theme)
        parts.append(f"**{label[:1].upper()}{label[1:]}**")
        for row in rows.itertuples(index=False):
            suffix = f" ({note})" if note else ""
            parts.append(
                f"> {' '.join(str(row.text).split())}\n>\n"
                f"> *{row.informant.capitalize()}, session {row.session_id}, "
                f"excerpt {row.excerpt_id}{suffix}*"
            )
    return "\n\n".join(parts)


def theme_extremes(prevalence: pd.DataFrame, by: str = "informant") -> pd.DataFrame:
    """Find the most and the least often coded theme in each group.

    Themes are ranked by ``n_present``; ties keep the order of ``prevalence``
    (the published theme order), so the first of tied themes counts as the
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


def prevalence_highlights(
    extremes: pd.DataFrame, mix: pd.DataFrame, labels: Mapping[str, str]
) -> dict[str, int | float | str]:
    """Collect the numbers the text quotes about theme prevalence, per informant.

    Parameters
    ----------
    extremes : pandas.DataFrame
        :func:`theme_extremes` by ``informant``.
    mix : pandas.DataFrame
        :func:`valence_mix` by ``informant``.
    labels : mapping of str to str
        Theme key to the label the text shows.

    Returns
    -------
    dict
        For each informant ``<i>`` of ``extremes``: ``n_interviews_<i>``,
        ``top_<i>`` and ``rare_<i>`` (theme labels), ``top_<i>_pct`` and
        ``rare_<i>_pct`` (percentages); for each informant of ``mix``:
        ``any_negative_<i>``, ``mixed_<i>`` and ``none_<i>`` (percentages).

    Raises
    ------
    ValueError
        If a column is missing; the message names it.

    Examples
    --------
    >>> extremes = pd.DataFrame({"informant": ["client"], "n_interviews": [4],
    ...     "top_theme": ["trust"], "top_prevalence": [0.75],
    ...     "rare_theme": ["anger"], "rare_prevalence": [0.25]})
    >>> mix = pd.DataFrame({"informant": ["client"], "any_negative": [0.5],
    ...                     "mixed": [0.25], "none": [0.0]})
    >>> values = prevalence_highlights(extremes, mix, {"trust": "Trust", "anger": "Anger"})
    >>> values["top_client"], values["top_client_pct"], values["mixed_client"]
    ('Trust', 75.0, 25.0)
    """
    require_columns(
        extremes,
        ["informant", "n_interviews", "top_theme", "top_prevalence", "rare_theme"],
        "extremes",
    )
    require_columns(extremes, ["rare_prevalence"], "extremes")
    require_columns(mix, ["informant", "any_negative", "mixed", "none"], "mix")
    values: dict[str, int | float | str] = {}
    for row in extremes.itertuples():
        values[f"n_interviews_{row.informant}"] = int(row.n_interviews)
        values[f"top_{row.informant}"] = labels[row.top_theme]
        values[f"top_{row.informant}_pct"] = 100 * float(row.top_prevalence)
        values[f"rare_{row.informant}"] = labels[row.rare_theme]
        values[f"rare_{row.informant}_pct"] = 100 * float(row.rare_prevalence)
    for row in mix.itertuples():
        for name in ("any_negative", "mixed", "none"):
            values[f"{name}_{row.informant}"] = 100 * float(getattr(row, name))
    return values


def top_cooccurring_pairs(cooccurrence: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """Keep the ``n`` theme pairs coded together most often, per informant.

    Parameters
    ----------
    cooccurrence : pandas.DataFrame
        :func:`theme_cooccurrence` (both orders of every pair; each pair is kept
        once, with ``theme_a`` before ``theme_b`` in the themes' order).
    n : int, default 3
        Pairs per informant.

    Returns
    -------
    pandas.DataFrame
        The rows of ``cooccurrence`` for those pairs, sorted by informant, then
        ``n_both`` descending (ties in their order in ``cooccurrence``),
        with a fresh index.

    Raises
    ------
    ValueError
        If a column is missing; the message names it.

    Examples
    --------
    >>> coded = pd.DataFrame({"session_id": ["S1", "S1", "S2", "S2"],
    ...     "informant": "client", "theme": ["trust", "anger"] * 2, "present": [1, 1, 1, 0]})
    >>> pairs = top_cooccurring_pairs(theme_cooccurrence(coded, themes=["trust", "anger"]), n=1)
    >>> pairs[["informant", "theme_a", "theme_b", "n_both", "n_either"]]
      informant theme_a theme_b  n_both  n_either
    0    client   trust   anger       1         2
    """
    require_columns(cooccurrence, ["informant", "theme_a", "theme_b", "n_both"], "cooccurrence")
    pairs = cooccurrence[cooccurrence["theme_a"] < cooccurrence["theme_b"]]
    ordered = pairs.sort_values("n_both", ascending=False, kind="stable")
    top = ordered.groupby("informant", observed=True).head(n)
    return top.sort_values("informant", kind="stable").reset_index(drop=True)


def excerpts_text(chosen: pd.DataFrame, synthetic: bool) -> str:
    """Lay out excerpts as plain text, each under a line naming where it comes from.

    Parameters
    ----------
    chosen : pandas.DataFrame
        Excerpts with ``session_id``, ``dyad_type``, ``informant`` and ``text``
        (e.g. from :func:`select_excerpts`).
    synthetic : bool
        Whether the excerpts are synthetic; each provenance line then says so.

    Returns
    -------
    str
        Per excerpt, ``[<kind> · <session> · <dyad type> dyad · <informant>]``
        then the text indented by two spaces; plain text (print it, do not
        render it as markup).

    Raises
    ------
    ValueError
        If a column is missing; the message names it.

    Examples
    --------
    >>> chosen = pd.DataFrame({"session_id": ["S07"], "dyad_type": ["discordant"],
    ...     "informant": ["client"], "text": ["She listened."]})
    >>> print(excerpts_text(chosen, synthetic=True))
    [synthetic excerpt · S07 · discordant dyad · client]
      She listened.
    """
    require_columns(chosen, ["session_id", "dyad_type", "informant", "text"], "chosen")
    kind = "synthetic excerpt" if synthetic else "excerpt"
    return "\n".join(
        f"[{kind} · {row.session_id} · {row.dyad_type} dyad · {row.informant}]\n  {row.text}"
        for row in chosen.itertuples(index=False)
    )
