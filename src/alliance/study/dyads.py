"""Concordant and discordant dyads: prevalence, exact tests, risk differences, congruence.

The study's comparison is between intakes in which an Ashkenazi therapist met an
Ashkenazi client (culturally *concordant* dyads) and intakes with a Mizrahi
client (*discordant* dyads). Each interview is coded present/absent for every
theme, so each comparison is between two proportions of sessions. The design is
small and qualitative: everything here is descriptive and exploratory, with
intervals that show how little a sample of this size can pin down.

All functions take tidy tables (``Study.consensus``, ``Study.dyads``, ...) and
return tidy :class:`pandas.DataFrame` objects, so they run unchanged on any
study folder in the compendium's schema.

Examples
--------
>>> import pandas as pd
>>> dyads = pd.DataFrame({"session_id": ["S1", "S2", "S3", "S4"],
...                       "dyad_type": ["concordant", "concordant", "discordant", "discordant"]})
>>> coded = pd.DataFrame({"session_id": ["S1", "S2", "S3", "S4"], "informant": "therapist",
...                       "theme": "anger", "present": [0, 0, 1, 1]})
>>> compare_dyad_types(coded, dyads)[["theme", "present_concordant", "present_discordant",
...                                   "risk_difference"]]
   theme  present_concordant  present_discordant  risk_difference
0  anger                   0                   2              1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from alliance.data.codebook import VALENCES
from alliance.stats.checks import require_binary, require_columns, require_unique, require_values
from alliance.study.reliability import _sort_rows, binary_agreement
from alliance.study.sampling import DYAD_TYPES, attach_dyads
from alliance.study.thematic import CODED_COLUMNS, select_excerpts

__all__ = [
    "DYAD_COUNT_COLUMNS",
    "DYAD_COUNT_HEADERS",
    "compare_dyad_types",
    "congruence_highlights",
    "dyad_comparison_highlights",
    "dyad_row_highlights",
    "facet_excerpts",
    "facet_indicators",
    "format_dyad_comparison",
    "informant_congruence",
    "prevalence_by_dyad_table",
]


def _coded_with_dyad_type(
    coded: pd.DataFrame,
    dyads: pd.DataFrame,
    by: Sequence[str],
    dyad_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Check 0/1 codes (one row per session and ``by`` group) and attach each dyad type.

    ``dyads`` needs ``session_id``, ``dyad_type`` and ``dyad_columns``; every
    session of ``coded`` must be one of its sessions.
    """
    require_columns(coded, ["session_id", *by, "present"], "coded")
    require_columns(dyads, ["session_id", *dyad_columns, "dyad_type"], "dyads")
    require_binary(coded, "present", "coded")
    require_values(dyads, "dyad_type", DYAD_TYPES, "dyads")
    joined = attach_dyads(coded, dyads, columns=["dyad_type"])
    require_unique(joined, ["session_id", *by], "coded")
    return joined


def _counts_by_dyad(coded: pd.DataFrame, dyads: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Count present codes and sessions per ``by`` group and dyad type (zero cells kept)."""
    joined = _coded_with_dyad_type(coded, dyads, by)
    counts = joined.groupby([*by, "dyad_type"], sort=False)["present"].agg(
        n_present="sum", n_sessions="size"
    )
    groups = joined[list(by)].drop_duplicates()
    full = pd.MultiIndex.from_frame(
        groups.merge(pd.DataFrame({"dyad_type": DYAD_TYPES}), how="cross")
    )
    counts = counts.reindex(full, fill_value=0).reset_index()
    return counts.astype({"n_present": int, "n_sessions": int})


def compare_dyad_types(
    coded: pd.DataFrame,
    dyads: pd.DataFrame,
    by: Sequence[str] = ("informant", "theme"),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compare each code's prevalence in discordant and concordant dyads.

    For each code the function reports the risk difference (discordant minus
    concordant) with Newcombe's hybrid score interval (Newcombe 1998, method 10;
    :func:`statsmodels.stats.proportion.confint_proportions_2indep` with
    ``method="newcomb"``), the two-sided Fisher exact test
    (:func:`scipy.stats.fisher_exact`) and Holm's step-down adjustment over all
    the codes in the table (Holm 1979; :func:`statsmodels.stats.multitest.multipletests`).
    The family of tests is therefore exactly the rows passed in.

    Parameters
    ----------
    coded : pandas.DataFrame
        One row per session and code, with ``session_id``, the ``by`` columns and
        ``present`` (0/1): ``Study.consensus`` or :func:`facet_indicators`.
    dyads : pandas.DataFrame
        ``Study.dyads`` (``session_id``, ``dyad_type``).
    by : sequence of str, default ("informant", "theme")
        Columns that identify a code.
    confidence : float, default 0.95
        Confidence level of the risk-difference interval (use 0.90 for an
        equivalence check with two one-sided 5% tests).

    Returns
    -------
    pandas.DataFrame
        One row per code: the ``by`` columns, ``present_concordant``,
        ``n_concordant``, ``present_discordant``, ``n_discordant``,
        ``prevalence_concordant``, ``prevalence_discordant``,
        ``risk_difference``, ``ci_low``, ``ci_high``, ``p_fisher`` and ``p_holm``,
        sorted by ``by`` (themes in the published order).

    Raises
    ------
    ValueError
        If a column is missing, ``present`` is not 0/1, a session is not in
        ``dyads``, a session is coded twice for the same code, or a code has no
        session of one dyad type.

    Examples
    --------
    Therapists describing anger in 3 of 6 discordant and 0 of 5 concordant intakes:

    >>> dyads = pd.DataFrame({"session_id": [f"S{i}" for i in range(11)],
    ...                       "dyad_type": ["concordant"] * 5 + ["discordant"] * 6})
    >>> coded = dyads[["session_id"]].assign(informant="therapist", theme="anger",
    ...                                      present=[0] * 5 + [1, 1, 1, 0, 0, 0])
    >>> row = compare_dyad_types(coded, dyads).iloc[0]
    >>> round(float(row["risk_difference"]), 3), round(float(row["p_fisher"]), 3)
    (0.5, 0.182)
    """
    counts = _counts_by_dyad(coded, dyads, by)
    wide = counts.pivot(index=list(by), columns="dyad_type", values=["n_present", "n_sessions"])
    table = pd.DataFrame(
        {
            "present_concordant": wide[("n_present", "concordant")],
            "n_concordant": wide[("n_sessions", "concordant")],
            "present_discordant": wide[("n_present", "discordant")],
            "n_discordant": wide[("n_sessions", "discordant")],
        }
    ).reset_index()
    empty = (table["n_concordant"] == 0) | (table["n_discordant"] == 0)
    if empty.any():
        codes = table.loc[empty, list(by)].to_dict("records")
        raise ValueError(f"no session of one dyad type for code(s) {codes}; cannot compare")
    x1, n1 = table["present_discordant"].to_numpy(), table["n_discordant"].to_numpy()
    x0, n0 = table["present_concordant"].to_numpy(), table["n_concordant"].to_numpy()
    table["prevalence_concordant"] = x0 / n0
    table["prevalence_discordant"] = x1 / n1
    table["risk_difference"] = x1 / n1 - x0 / n0
    low, high = confint_proportions_2indep(
        x1, n1, x0, n0, method="newcomb", compare="diff", alpha=1 - confidence
    )
    table["ci_low"], table["ci_high"] = low, high
    table["p_fisher"] = [
        stats.fisher_exact([[a, m - a], [b, k - b]]).pvalue
        for a, m, b, k in zip(x1, n1, x0, n0, strict=True)
    ]
    table["p_holm"] = multipletests(table["p_fisher"], method="holm")[1]
    return _sort_rows(table, by)


def format_dyad_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """Add percentage text to a dyad comparison, for tables that readers scan.

    Parameters
    ----------
    comparison : pandas.DataFrame
        The output of :func:`compare_dyad_types`.

    Returns
    -------
    pandas.DataFrame
        ``comparison`` with ``concordant`` and ``discordant`` (prevalences as
        whole percentages) and ``difference`` (the signed risk difference with
        its interval, e.g. ``"+12% (-8% to +31%)"``) added as text.

    Raises
    ------
    ValueError
        If ``comparison`` lacks a prevalence, the risk difference or its interval.

    Examples
    --------
    >>> comparison = pd.DataFrame({"theme": ["trust"], "prevalence_concordant": [0.5],
    ...     "prevalence_discordant": [0.62], "risk_difference": [0.12],
    ...     "ci_low": [-0.08], "ci_high": [0.314]})
    >>> format_dyad_comparison(comparison)[["concordant", "discordant", "difference"]]
      concordant discordant          difference
    0        50%        62%  +12% (-8% to +31%)
    """
    require_columns(
        comparison,
        ["prevalence_concordant", "prevalence_discordant", "risk_difference", "ci_low", "ci_high"],
        "comparison",
    )
    return comparison.assign(
        concordant=comparison["prevalence_concordant"].map("{:.0%}".format),
        discordant=comparison["prevalence_discordant"].map("{:.0%}".format),
        difference=[
            f"{row.risk_difference:+.0%} ({row.ci_low:+.0%} to {row.ci_high:+.0%})"
            for row in comparison.itertuples()
        ],
    )


def facet_indicators(
    facets: pd.DataFrame,
    dyads: pd.DataFrame,
    definitions: pd.DataFrame,
    level: str = "group",
) -> pd.DataFrame:
    """Turn the facet codes into one present/absent row per session, facet and valence.

    ``facets.csv`` lists only the facets that were coded. Comparing how often
    they occur needs the absences too: every session is an opportunity for each
    facet of its informant, in each valence.

    Parameters
    ----------
    facets : pandas.DataFrame
        ``Study.facets`` (``session_id``, ``informant``, ``facet``, ``valence``).
    dyads : pandas.DataFrame
        ``Study.dyads``; every session in it gets a row for every facet.
    definitions : pandas.DataFrame
        The facets the codebook defines, as :func:`alliance.data.codebook.facet_table`
        returns them (``facet``, ``group``, ``informant``), so a facet nobody
        coded still counts, with zero sessions.
    level : {"group", "facet"}, default "group"
        ``"group"`` pools the facets of a group (e.g. any non-verbal cue read
        negatively); ``"facet"`` keeps each facet (e.g. eye contact).

    Returns
    -------
    pandas.DataFrame
        Columns ``session_id``, ``informant``, ``facet`` (group or facet id),
        ``valence`` and ``present`` (1 if at least one coded facet of that
        group or id had that valence in the session's interview).

    Raises
    ------
    ValueError
        If a column is missing, ``level`` is unknown, or a row of ``facets``
        names a facet the codebook does not define, the wrong informant, an
        unknown valence or a session missing from ``dyads``.

    Examples
    --------
    >>> definitions = pd.DataFrame({"facet": ["nonverbal_tone"], "group": ["nonverbal"],
    ...                             "informant": ["client"]})
    >>> dyads = pd.DataFrame({"session_id": ["S1", "S2"],
    ...                       "dyad_type": ["concordant", "discordant"]})
    >>> facets = pd.DataFrame({"session_id": ["S2"], "informant": ["client"],
    ...                        "facet": ["nonverbal_tone"], "valence": ["negative"]})
    >>> facet_indicators(facets, dyads, definitions)
      session_id informant      facet   valence  present
    0         S1    client  nonverbal  positive        0
    1         S1    client  nonverbal  negative        0
    2         S2    client  nonverbal  positive        0
    3         S2    client  nonverbal  negative        1
    """
    if level not in ("group", "facet"):
        raise ValueError(f"level must be 'group' or 'facet'; got {level!r}")
    require_columns(facets, ["session_id", "informant", "facet", "valence"], "facets")
    require_columns(dyads, ["session_id"], "dyads")
    require_columns(definitions, ["facet", "group", "informant"], "definitions")
    lookup = definitions.set_index("facet")
    known = facets["facet"].isin(lookup.index)
    if not known.all():
        row = (~known).idxmax()
        raise ValueError(
            f"facets: row {row} has facet={facets.loc[row, 'facet']!r}, which the codebook "
            f"does not define; defined facets are {sorted(lookup.index)}"
        )
    expected = lookup.loc[facets["facet"], "informant"].to_numpy()
    wrong = facets["informant"].to_numpy() != expected
    if wrong.any():
        row = facets.index[np.argmax(wrong)]
        raise ValueError(
            f"facets: row {row} codes facet {facets.loc[row, 'facet']!r} for informant "
            f"{facets.loc[row, 'informant']!r}; the codebook assigns it to "
            f"{expected[np.argmax(wrong)]!r}"
        )
    require_values(facets, "valence", VALENCES, "facets")
    attach_dyads(facets, dyads, columns=[])
    code_of = lookup["group"] if level == "group" else pd.Series(lookup.index, lookup.index)
    codes = (
        pd.DataFrame({"informant": lookup["informant"], "facet": code_of})
        .drop_duplicates()
        .merge(pd.DataFrame({"valence": VALENCES}), how="cross")
    )
    grid = pd.DataFrame({"session_id": dyads["session_id"]}).merge(codes, how="cross")
    observed = facets.assign(facet=code_of.reindex(facets["facet"]).to_numpy())[
        ["session_id", "informant", "facet", "valence"]
    ].drop_duplicates()
    grid = grid.merge(observed.assign(present=1), how="left", on=list(observed.columns))
    grid["present"] = grid["present"].fillna(0).astype(int)
    return grid


def informant_congruence(
    consensus: pd.DataFrame,
    dyads: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Tell, theme by theme, whether client and therapist describe the same intake alike.

    Within each session both informants were interviewed, so each theme gives a
    2 x 2 table of (client present?, therapist present?) over sessions. The
    function reports its four cells, the share of sessions in which the two
    accounts agree, and Cohen's kappa between the two informants with its
    asymptotic 95% interval (:func:`alliance.study.reliability.binary_agreement`),
    which corrects that share for the agreement expected from how often each
    informant uses the theme.

    Parameters
    ----------
    consensus : pandas.DataFrame
        ``Study.consensus`` (``session_id``, ``informant``, ``theme``, ``present``);
        every session needs both a client and a therapist row per theme.
    dyads : pandas.DataFrame, optional
        ``Study.dyads``. When given, the table is computed separately for each
        dyad type (and a ``dyad_type`` column is added).

    Returns
    -------
    pandas.DataFrame
        One row per theme (and dyad type): ``n_sessions``, ``both``,
        ``client_only``, ``therapist_only``, ``neither``, ``agreement``,
        ``kappa``, ``ci_low`` and ``ci_high``. Kappa is NaN when it is undefined
        because neither informant varies (every session coded alike), which the
        ``agreement`` column then shows as perfect: the prevalence paradox.

    Raises
    ------
    ValueError
        If a column is missing, ``present`` is not 0/1, or a session lacks the
        client's or the therapist's code for a theme.

    Examples
    --------
    >>> consensus = pd.DataFrame({
    ...     "session_id": ["S1", "S1", "S2", "S2", "S3", "S3"],
    ...     "informant": ["client", "therapist"] * 3, "theme": "trust",
    ...     "present": [1, 1, 0, 1, 0, 0]})
    >>> table = informant_congruence(consensus).round(2)
    >>> print(table.drop(columns=["ci_low", "ci_high"]).to_string())
       theme  n_sessions  both  client_only  therapist_only  neither  agreement  kappa
    0  trust           3     1            0               1        1       0.67    0.4
    """
    require_columns(consensus, CODED_COLUMNS, "consensus")
    require_binary(consensus, "present", "consensus")
    keys = ["session_id", "theme"]
    if dyads is not None:
        consensus = attach_dyads(consensus, dyads, columns=["dyad_type"])
        keys.append("dyad_type")
    wide = consensus.pivot_table(index=keys, columns="informant", values="present", aggfunc="first")
    for informant in ("client", "therapist"):
        if informant not in wide.columns:
            raise ValueError(f"consensus has no {informant} rows; congruence needs both informants")
    missing = wide[["client", "therapist"]].isna().any(axis=1)
    if missing.any():
        where = wide.index[missing][:5].tolist()
        raise ValueError(
            f"consensus: {int(missing.sum())} session x theme unit(s) lack a client or a "
            f"therapist code, e.g. {where}"
        )
    groups = [key for key in keys if key != "session_id"]
    rows = []
    for group, table in wide.groupby(level=groups, sort=False):
        client = table["client"].to_numpy(dtype=int)
        therapist = table["therapist"].to_numpy(dtype=int)
        long = consensus.merge(table.index.to_frame(index=False), on=keys)
        kappa = binary_agreement(long, "session_id", raters="informant", methods="cohen_kappa")
        rows.append(
            dict(zip(groups, group if isinstance(group, tuple) else (group,), strict=True))
            | {
                "n_sessions": len(client),
                "both": int(np.sum((client == 1) & (therapist == 1))),
                "client_only": int(np.sum((client == 1) & (therapist == 0))),
                "therapist_only": int(np.sum((client == 0) & (therapist == 1))),
                "neither": int(np.sum((client == 0) & (therapist == 0))),
                "agreement": float(np.mean(client == therapist)),
            }
            | kappa.iloc[0][["estimate", "ci_low", "ci_high"]]
            .rename({"estimate": "kappa"})
            .to_dict()
        )
    return _sort_rows(pd.DataFrame(rows), groups)


def facet_excerpts(
    excerpts: pd.DataFrame,
    facets: pd.DataFrame,
    definitions: pd.DataFrame,
    dyads: pd.DataFrame,
    group: str,
    valence: str,
    per_dyad_type: int = 2,
) -> pd.DataFrame:
    """Pick excerpts that illustrate one facet group in one valence, per dyad type.

    Parameters
    ----------
    excerpts : pandas.DataFrame
        ``Study.excerpts``.
    facets : pandas.DataFrame
        ``Study.facets``, which carries each coded facet's valence.
    definitions : pandas.DataFrame
        :func:`alliance.data.codebook.facet_table` (``facet``, ``group``).
    dyads : pandas.DataFrame
        ``Study.dyads``.
    group : str
        Facet group (e.g. ``"nonverbal"``) or a single facet id.
    valence : {"positive", "negative"}
        Valence of the coded facet.
    per_dyad_type : int, default 2
        Excerpts per dyad type, chosen deterministically by
        :func:`alliance.study.thematic.select_excerpts` (different sessions first).

    Returns
    -------
    pandas.DataFrame
        Columns ``excerpt_id``, ``session_id``, ``dyad_type``, ``informant``,
        ``facet``, ``valence``, ``theme`` and ``text``; sorted by dyad type,
        then ``excerpt_id``. Empty when nothing matches.

    Examples
    --------
    >>> definitions = pd.DataFrame({"facet": ["nonverbal_tone"], "group": ["nonverbal"]})
    >>> dyads = pd.DataFrame({"session_id": ["S1"], "dyad_type": ["discordant"]})
    >>> facets = pd.DataFrame({"session_id": ["S1"], "informant": ["client"],
    ...                        "facet": ["nonverbal_tone"], "valence": ["negative"]})
    >>> excerpts = pd.DataFrame({"excerpt_id": ["E1"], "session_id": ["S1"],
    ...                          "informant": ["client"], "theme": ["anger"],
    ...                          "facet": ["nonverbal_tone"], "text": ["The tone was dry."]})
    >>> chosen = facet_excerpts(excerpts, facets, definitions, dyads, "nonverbal", "negative")
    >>> chosen["text"].tolist()
    ['The tone was dry.']
    """
    require_columns(facets, ["session_id", "informant", "facet", "valence"], "facets")
    require_columns(definitions, ["facet", "group"], "definitions")
    keys = ["session_id", "informant", "facet"]
    coded = facets[[*keys, "valence"]].merge(definitions[["facet", "group"]], on="facet")
    chosen = coded[((coded["group"] == group) | (coded["facet"] == group))]
    chosen = chosen[chosen["valence"] == valence]
    with_text = excerpts.merge(chosen[[*keys, "valence"]], on=keys)
    columns = ["excerpt_id", "session_id", "dyad_type", "informant", "facet", "valence", "theme"]
    if with_text.empty:
        return pd.DataFrame(columns=[*columns, "text"])
    with_text = attach_dyads(with_text, dyads, columns=["dyad_type"])
    picked = select_excerpts(with_text, per_group=per_dyad_type, by=["dyad_type"])
    return picked[[*columns, "text"]]


DYAD_COUNT_COLUMNS: tuple[str, ...] = (
    "present_concordant",
    "n_concordant",
    "present_discordant",
    "n_discordant",
)
"""Count columns of :func:`compare_dyad_types`, in the order tables show them."""

DYAD_COUNT_HEADERS: dict[str, str] = {
    "present_concordant": "coded (conc.)",
    "n_concordant": "n (conc.)",
    "present_discordant": "coded (disc.)",
    "n_discordant": "n (disc.)",
}
"""Short table headings for :data:`DYAD_COUNT_COLUMNS`."""


def prevalence_by_dyad_table(prevalence: pd.DataFrame) -> pd.DataFrame:
    """Lay out prevalence by dyad type side by side, as "coded/interviews (share)".

    Parameters
    ----------
    prevalence : pandas.DataFrame
        :func:`alliance.study.thematic.theme_prevalence` by ``informant`` and
        ``dyad_type``.

    Returns
    -------
    pandas.DataFrame
        Columns ``informant``, ``theme`` and one text column per dyad type
        (e.g. ``"14/26 (54%)"``), rows in the order of ``prevalence``.

    Raises
    ------
    ValueError
        If a column is missing; the message names it.

    Examples
    --------
    >>> prevalence = pd.DataFrame({"informant": "client", "theme": "trust",
    ...     "dyad_type": ["concordant", "discordant"], "n_present": [10, 10],
    ...     "n_interviews": [26, 29], "prevalence": [10 / 26, 10 / 29]})
    >>> prevalence_by_dyad_table(prevalence)
      informant  theme   concordant   discordant
    0    client  trust  10/26 (38%)  10/29 (34%)
    """
    require_columns(
        prevalence,
        ["informant", "theme", "dyad_type", "n_present", "n_interviews", "prevalence"],
        "prevalence",
    )
    cells = prevalence.assign(
        cell=[
            f"{row.n_present}/{row.n_interviews} ({row.prevalence:.0%})"
            for row in prevalence.itertuples()
        ]
    )
    table = cells.pivot(index=["informant", "theme"], columns="dyad_type", values="cell")
    order = cells[["informant", "theme"]].drop_duplicates()
    table = table.loc[list(order.itertuples(index=False, name=None))]
    return table.rename_axis(columns=None).reset_index()


def dyad_row_highlights(row: pd.Series) -> dict[str, float | int]:
    """Collect what the text quotes about one row of a dyad comparison.

    Parameters
    ----------
    row : pandas.Series
        One row of :func:`compare_dyad_types`.

    Returns
    -------
    dict
        ``conc`` and ``disc`` (prevalences), ``rd`` (risk difference),
        ``low`` and ``high`` (its interval), ``p`` (Fisher's exact test),
        ``n_conc`` and ``n_disc`` (interviews coded with it).

    Examples
    --------
    >>> row = pd.Series({"prevalence_concordant": 0.5, "prevalence_discordant": 0.25,
    ...     "risk_difference": -0.25, "ci_low": -0.5, "ci_high": 0.05, "p_fisher": 0.2,
    ...     "present_concordant": 13, "present_discordant": 7})
    >>> dyad_row_highlights(row)["rd"], dyad_row_highlights(row)["n_disc"]
    (-0.25, 7)
    """
    return {
        "conc": float(row["prevalence_concordant"]),
        "disc": float(row["prevalence_discordant"]),
        "rd": float(row["risk_difference"]),
        "low": float(row["ci_low"]),
        "high": float(row["ci_high"]),
        "p": float(row["p_fisher"]),
        "n_conc": int(row["present_concordant"]),
        "n_disc": int(row["present_discordant"]),
    }


def dyad_comparison_highlights(
    comparison: pd.DataFrame, labels: Mapping[str, str], alpha: float = 0.05
) -> dict[str, int | float | str]:
    """Collect the numbers the text quotes about the theme-by-theme comparison.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`compare_dyad_types` by informant and theme.
    labels : mapping of str to str
        Theme to the label the text shows.
    alpha : float, default 0.05
        Significance level for the counts of tests.

    Returns
    -------
    dict
        ``n_tests``, ``n_raw`` and ``n_holm`` (tests below ``alpha`` before and
        after Holm's correction), ``n_ci_excludes`` (intervals that exclude 0),
        ``largest`` (the three largest differences, as text) and
        ``median_abs`` (median absolute risk difference).

    Raises
    ------
    ValueError
        If a column is missing; the message names it.

    Examples
    --------
    >>> comparison = pd.DataFrame({"informant": "therapist", "theme": ["trust", "anger"],
    ...     "risk_difference": [-0.26, 0.14], "ci_low": [-0.47, -0.02],
    ...     "ci_high": [-0.01, 0.31], "p_fisher": [0.056, 0.113], "p_holm": [0.11, 0.11]})
    >>> values = dyad_comparison_highlights(comparison, {"trust": "trust", "anger": "anger"})
    >>> values["n_ci_excludes"], values["largest"]
    (1, "therapists' trust (-26%); therapists' anger (+14%)")
    """
    require_columns(
        comparison,
        ["informant", "theme", "risk_difference", "ci_low", "ci_high", "p_fisher", "p_holm"],
        "comparison",
    )
    size = comparison["risk_difference"].abs()
    largest = comparison.loc[size.nlargest(3).index]
    excludes = (comparison["ci_low"] > 0) | (comparison["ci_high"] < 0)
    return {
        "n_tests": len(comparison),
        "n_raw": int((comparison["p_fisher"] < alpha).sum()),
        "n_holm": int((comparison["p_holm"] < alpha).sum()),
        "n_ci_excludes": int(excludes.sum()),
        "largest": "; ".join(
            f"{row.informant}s' {labels[row.theme]} ({row.risk_difference:+.0%})"
            for row in largest.itertuples()
        ),
        "median_abs": float(size.median()),
    }


def congruence_highlights(
    congruence: pd.DataFrame, by_type: pd.DataFrame, labels: Mapping[str, str]
) -> dict[str, float | str]:
    """Collect the numbers the text quotes about client-therapist congruence.

    Parameters
    ----------
    congruence : pandas.DataFrame
        :func:`informant_congruence` over all sessions.
    by_type : pandas.DataFrame
        :func:`informant_congruence` by dyad type.
    labels : mapping of str to str
        Theme to the label the text shows.

    Returns
    -------
    dict
        ``kappa_median``, ``kappa_max`` and ``kappa_max_theme`` (label),
        ``agreement_min`` and ``agreement_max`` over themes; ``agree_conc``
        and ``agree_disc``, the mean agreement per dyad type (NaN when absent).

    Raises
    ------
    ValueError
        If a column is missing; the message names it.

    Examples
    --------
    >>> congruence = pd.DataFrame({"theme": ["trust", "anger"], "kappa": [0.1, 0.4],
    ...                            "agreement": [0.5, 0.9]})
    >>> by_type = pd.DataFrame({"dyad_type": ["concordant", "discordant"],
    ...                         "agreement": [0.6, 0.7]})
    >>> values = congruence_highlights(congruence, by_type, {"trust": "T", "anger": "A"})
    >>> values["kappa_max_theme"], values["agree_disc"]
    ('A', 0.7)
    """
    require_columns(congruence, ["theme", "kappa", "agreement"], "congruence")
    require_columns(by_type, ["dyad_type", "agreement"], "by_type")
    mean_by_type = by_type.groupby("dyad_type")["agreement"].mean()
    return {
        "kappa_median": float(congruence["kappa"].median()),
        "kappa_max": float(congruence["kappa"].max()),
        "kappa_max_theme": labels[congruence.loc[congruence["kappa"].idxmax(), "theme"]],
        "agreement_min": float(congruence["agreement"].min()),
        "agreement_max": float(congruence["agreement"].max()),
        "agree_conc": float(mean_by_type.get("concordant", float("nan"))),
        "agree_disc": float(mean_by_type.get("discordant", float("nan"))),
    }
