"""Sentences that depend on the study a chapter runs on, ready to glue.

The book is rebuilt on any study folder (``ALLIANCE_DATA``), so a sentence that
names the raters, the groups or the informants must come from the study, and a
passage about the article (its published figures, the arithmetic on them, its
parent study) may appear only when the data declare that they reconstruct it.

* :func:`words`, :func:`counted` and :func:`informants_phrase` make plain text
  for ``{glue:text}`` (a text node that MyST never parses, so study text such as
  a rater's name stays text).
* Passages that hold only for some studies are whole markdown cells of the
  chapters, shown on a condition over the study's tags (``_ext/study_design.py``);
  :func:`not_shown` and its kin say, in one line, why a passage is left out.

Examples
--------
>>> words(["R1", "R2", "R3"])
'R1, R2 and R3'
>>> counted(2, "rater")
'2 raters'
>>> not_shown("The published comparison")
'The published comparison is not shown: these data do not declare that they reconstruct the article.'
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import pandas as pd

from alliance.stats.checks import InsufficientData

__all__ = [
    "NOT_ARTICLE",
    "attempt",
    "both_informants_only",
    "group_counts",
    "count_ranges",
    "data_kind",
    "data_note",
    "count_summary",
    "counted",
    "coverage_sentence",
    "group_means",
    "informants_phrase",
    "not_shown",
    "paradox_sentences",
    "per_informant",
    "quoted",
    "share_ranges",
    "top_pairs",
    "theme_extremes",
    "two_groups_only",
    "words",
]

NOT_ARTICLE = "these data do not declare that they reconstruct the article"
"""Why an article-specific passage is left out (``Design.reconstructs_article`` is false)."""

INFORMANT_PLURALS: Mapping[str, str] = {"client": "clients", "therapist": "therapists"}
"""How the book names each informant role in the plural."""


def words(items: Iterable[object], conjunction: str = "and") -> str:
    """Join items as in a sentence: ``a``, ``a and b``, ``a, b and c``.

    Parameters
    ----------
    items : iterable
        The items, in order; each is shown with ``str``.
    conjunction : str, default "and"
        The word before the last item.

    Returns
    -------
    str
        Plain text (glue it with ``{glue:text}``); empty for no items.

    Examples
    --------
    >>> words([]), words(["x"]), words(["x", "y"]), words([1, 2, 3], "or")
    ('', 'x', 'x and y', '1, 2 or 3')
    """
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """Say a count with its noun in the right number: ``1 rater``, ``3 raters``.

    Examples
    --------
    >>> counted(1, "rater"), counted(0, "interview"), counted(2, "analysis", "analyses")
    ('1 rater', '0 interviews', '2 analyses')
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def informants_phrase(informants: Sequence[str]) -> str:
    """Name the informants of a design in the plural: ``clients and therapists``.

    Parameters
    ----------
    informants : sequence of str
        ``Design.informants`` (``client``, ``therapist`` or both).

    Examples
    --------
    >>> informants_phrase(("client", "therapist")), informants_phrase(("therapist",))
    ('clients and therapists', 'therapists')
    """
    return words(INFORMANT_PLURALS.get(name, name) for name in informants)


def data_kind(synthetic: object, reconstructs_article: bool = True) -> str:
    """Say what kind of data a chapter runs on, for its first printed line.

    Parameters
    ----------
    synthetic : object
        ``Study.synthetic``: the provenance of generated data, ``None`` otherwise.
    reconstructs_article : bool, default True
        ``Design.reconstructs_article``: generated data that do not reconstruct
        the article are invented, not a reconstruction.

    Examples
    --------
    >>> data_kind({"seed": 1}), data_kind({"seed": 1}, False), data_kind(None)
    ('synthetic reconstruction', 'synthetic (invented) study', 'not marked as synthetic')
    """
    if not synthetic:
        return "not marked as synthetic"
    return "synthetic reconstruction" if reconstructs_article else "synthetic (invented) study"


def data_note(synthetic: object) -> str:
    """Return the sentence a caption ends with on synthetic data, else an empty string.

    Figures glue it into their captions (``{glue:text}``), so a caption says
    "synthetic data" only when the study is marked as generated.

    Examples
    --------
    >>> data_note({"seed": 1}), data_note(None)
    ('Synthetic data.', '')
    """
    return "Synthetic data." if synthetic else ""


def two_groups_only(groups: Sequence[str], test: str) -> str:
    """Say why a two-group test is not run, or return ``""`` when there are two groups.

    Parameters
    ----------
    groups : sequence of str
        The study's groups (``study.design.grouping.labels``).
    test : str
        The test, as named in a sentence ("Mann–Whitney test").

    Examples
    --------
    >>> two_groups_only(["A", "B"], "Mann–Whitney test")
    ''
    >>> two_groups_only(["A", "B", "C"], "Mann–Whitney test")
    'No Mann–Whitney test is run: it compares two groups, and this study has 3.'
    """
    if len(groups) == 2:
        return ""
    return f"No {test} is run: it compares two groups, and this study has {len(groups)}."


def not_shown(what: str) -> str:
    """Say that an article-specific passage is left out, and why, in one sentence.

    Parameters
    ----------
    what : str
        What is left out, as the subject of the sentence ("The published comparison").

    Examples
    --------
    >>> not_shown("The parent study")
    'The parent study is not shown: these data do not declare that they reconstruct the article.'
    """  # noqa: E501
    return f"{what} is not shown: {NOT_ARTICLE}."


def both_informants_only(what: str) -> str:
    """Say that a passage needing both informants is left out, and why, in one sentence.

    Examples
    --------
    >>> both_informants_only("Agreement within a dyad")  # doctest: +NORMALIZE_WHITESPACE
    "Agreement within a dyad is not shown: it needs both the client's and the therapist's
    interview of a session, and this study coded one informant only."
    """
    return (
        f"{what} is not shown: it needs both the client's and the therapist's interview "
        "of a session, and this study coded one informant only."
    )


def group_counts(counts: Mapping[str, int], noun: str) -> str:
    """Say how many of ``noun`` each group has: ``26 concordant and 29 discordant dyads``.

    Parameters
    ----------
    counts : mapping of str to int
        Group name to count, in display order (``study.design.grouping.labels``).
    noun : str
        What is counted, in the plural.

    Examples
    --------
    >>> group_counts({"A": 6, "B": 6, "C": 5}, "dyads")
    '6 A, 6 B and 5 C dyads'
    """
    return f"{words(f'{int(n)} {group}' for group, n in counts.items())} {noun}"


T = TypeVar("T")


def attempt(compute: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T | None, str]:
    """Run a computation the data may not support; return its result or the reason.

    Parameters
    ----------
    compute : callable
        A helper that raises :class:`alliance.stats.checks.InsufficientData`
        (one line) when the data cannot support it; any other error propagates.
    *args, **kwargs
        Passed to ``compute``.

    Returns
    -------
    tuple
        ``(result, "")``, or ``(None, reason)``: a sentence to glue in place of
        the result.

    Examples
    --------
    >>> def mean(values):
    ...     if not values:
    ...         raise InsufficientData("no value to average")
    ...     return sum(values) / len(values)
    >>> attempt(mean, [1, 2])
    (1.5, '')
    >>> attempt(mean, [])
    (None, 'Not computed for these data: no value to average.')
    """
    try:
        return compute(*args, **kwargs), ""
    except InsufficientData as reason:
        return None, f"Not computed for these data: {str(reason).rstrip('.')}."


def paradox_sentences(paradox: pd.DataFrame, label: Callable[[str], str]) -> dict[str, str]:
    """Say what a prevalence-paradox table shows, in plain sentences ready to glue.

    Parameters
    ----------
    paradox : DataFrame
        :func:`alliance.study.reliability.prevalence_paradox`: the rare theme's
        row, then its twin's (the theme whose raw agreement is closest), with
        ``prevalence``, ``percent_agreement``, ``chance_agreement``,
        ``fleiss_kappa`` and ``gwet_ac1``.
    label : callable
        A theme's label from its id (``Design.label``).

    Returns
    -------
    dict of str to str
        ``intro`` (the rare theme's prevalence and its twin), ``room`` (the room
        above chance and what a disagreement costs) and ``kappas`` (both
        coefficients, or that these data do not show the paradox).

    Examples
    --------
    >>> paradox = pd.DataFrame({
    ...     "theme": ["a", "b"], "prevalence": [0.1, 0.5],
    ...     "percent_agreement": [0.9, 0.9], "chance_agreement": [0.82, 0.5],
    ...     "fleiss_kappa": [0.44, 0.8], "gwet_ac1": [0.88, 0.8]})
    >>> said = paradox_sentences(paradox, str.upper)
    >>> said["room"]  # doctest: +NORMALIZE_WHITESPACE
    'The rare theme was coded in 10% of the ratings, so chance alone predicts 82%
    agreement and leaves 18% of room above it, against 50% for “B”. Each disagreement
    about it therefore costs kappa about 2.8 times as much as one about “B”.'
    >>> said["kappas"]
    "Here kappa is 0.44 for “A” and 0.80 for “B”; Gwet's AC1 is 0.88 and 0.80."
    """
    rare, twin = (row for _, row in paradox.iterrows())
    name, other = quoted(label(rare["theme"])), quoted(label(twin["theme"]))
    room, room_twin = 1 - rare["chance_agreement"], 1 - twin["chance_agreement"]
    intro = (
        f"It was coded present in {rare['prevalence']:.0%} of them. The table puts it"
        f" beside {other}, the theme whose raw agreement is closest to it"
        f" ({rare['percent_agreement']:.0%} and {twin['percent_agreement']:.0%} of"
        " interviews)."
    )
    cost = (
        f"The rare theme was coded in {rare['prevalence']:.0%} of the ratings, so chance"
        f" alone predicts {rare['chance_agreement']:.0%} agreement and leaves {room:.0%}"
        f" of room above it, against {room_twin:.0%} for {other}. Each disagreement about"
        f" it therefore costs kappa about {room_twin / room:.1f} times as much as one"
        f" about {other}."
    )
    kappas = (
        f"Here kappa is {rare['fleiss_kappa']:.2f} for {name} and"
        f" {twin['fleiss_kappa']:.2f} for {other}; Gwet's AC1 is"
        f" {rare['gwet_ac1']:.2f} and {twin['gwet_ac1']:.2f}."
    )
    if not rare["fleiss_kappa"] < twin["fleiss_kappa"]:
        kappas = (
            "On these data this theme does not show the paradox: its kappa"
            f" ({rare['fleiss_kappa']:.2f}) is not below that of the theme whose raw"
            f" agreement is closest to it ({twin['fleiss_kappa']:.2f})."
        )
    return {"intro": intro, "room": cost, "kappas": kappas}


def _informant_rows(summary: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """Rows of a per-informant summary in the design's order (clients first)."""
    order = {name: position for position, name in enumerate(INFORMANT_PLURALS)}
    rows = sorted(summary.iterrows(), key=lambda item: order.get(item[1]["informant"], 99))
    return [(str(row["informant"]), row) for _, row in rows]


def count_summary(summary: pd.DataFrame) -> str:
    """Say the mean number of themes per interview and both SDs, for each informant.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`alliance.study.session_counts.summarise_counts` by informant, with
        ``mean``, ``sd`` (the SD the book compares) and ``sd_sample`` (``ddof=1``).

    Returns
    -------
    str
        Plain text for ``{glue:text}``, without a capital or a final stop.

    Examples
    --------
    >>> summary = pd.DataFrame({"informant": ["therapist", "client"], "mean": [2.6, 2.5],
    ...                         "sd": [1.4, 1.1], "sd_sample": [1.45, 1.12]})
    >>> count_summary(summary)
    'clients described 2.50 themes on average (SD 1.10; sample SD 1.12) and therapists \
2.60 (SD 1.40; sample SD 1.45)'
    """
    parts = [
        f"{INFORMANT_PLURALS.get(informant, informant)}"
        f"{' described' if position == 0 else ''} {row['mean']:.2f}"
        f"{' themes on average' if position == 0 else ''}"
        f" (SD {row['sd']:.2f}; sample SD {row['sd_sample']:.2f})"
        for position, (informant, row) in enumerate(_informant_rows(summary))
    ]
    return words(parts)


def count_ranges(summary: pd.DataFrame) -> str:
    """Say the range, median and total of the counts, for each informant.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`alliance.study.session_counts.summarise_counts` by informant.

    Returns
    -------
    str
        Plain text for ``{glue:text}``, without a capital or a final stop.

    Examples
    --------
    >>> summary = pd.DataFrame({"informant": ["client"], "min": [0], "max": [6],
    ...                         "median": [3.0], "total": [141]})
    >>> count_ranges(summary)
    'from 0 to 6 themes in client interviews (median 3; 141 theme codes in all)'
    """
    parts = [
        f"from {row['min']} to {row['max']}{' themes' if position == 0 else ''} in "
        f"{informant} interviews (median {row['median']:.0f}; {row['total']} theme codes"
        f"{' in all' if position == 0 else ''})"
        for position, (informant, row) in enumerate(_informant_rows(summary))
    ]
    return words(parts)


def group_means(by_group: pd.DataFrame, tests: pd.DataFrame | None = None) -> str:
    """Say each group's mean number of themes, per informant, with the test if there is one.

    Parameters
    ----------
    by_group : pandas.DataFrame
        :func:`alliance.study.session_counts.summarise_counts` by ``informant``
        and ``dyad_type`` (the session's group), rows in display order.
    tests : pandas.DataFrame, optional
        :func:`alliance.study.session_counts.compare_counts_between` (``informant``,
        ``p_value``, ``rank_biserial``); ``None`` when no test could be run.

    Returns
    -------
    str
        One sentence per informant, each with a capital and a final stop.

    Examples
    --------
    >>> by_group = pd.DataFrame({"informant": ["client"] * 2, "dyad_type": ["A", "B"],
    ...                          "mean": [2.0, 2.5]})
    >>> group_means(by_group)
    'Clients described 2.00 themes on average in A sessions and 2.50 in B sessions.'
    """
    tests_by = {} if tests is None else tests.set_index("informant").to_dict("index")
    sentences = []
    for informant in dict.fromkeys(by_group["informant"]):
        rows = by_group[by_group["informant"] == informant]
        means = [f"{row.mean:.2f} in {row.dyad_type} sessions" for row in rows.itertuples()]
        means[0] = means[0].replace(" in ", " themes on average in ", 1)
        name = INFORMANT_PLURALS.get(informant, informant)
        sentence = f"{name[:1].upper()}{name[1:]} described {words(means)}"
        if informant in tests_by:
            test = tests_by[informant]
            sentence += (
                f" (Mann–Whitney p = {test['p_value']:.2f}, "
                f"rank-biserial r = {test['rank_biserial']:.2f})"
            )
        sentences.append(sentence + ".")
    return " ".join(sentences)


def quoted(text: object) -> str:
    """Put a theme label (or any name) in typographic quotes, for running text.

    Examples
    --------
    >>> quoted("anger and hostility")
    '“anger and hostility”'
    """
    return f"“{text}”"


def per_informant(
    values: Mapping[str, object] | pd.Series,
    template: str = "{value} of {informant} interviews",
    spec: str = "",
) -> str:
    """Say one value per informant, clients first: ``12% of client interviews and 9% of ...``.

    Parameters
    ----------
    values : mapping of str to object
        Informant (``client``, ``therapist``) to the value to say.
    template : str
        How to say one value; ``{value}`` and ``{informant}`` are filled in.
    spec : str, optional
        Format specification of the values (``".3f"``, ``".0%"``).

    Examples
    --------
    >>> per_informant({"therapist": "9%", "client": "12%"})
    '12% of client interviews and 9% of therapist interviews'
    >>> per_informant(pd.Series({"client": 0.7012}), "{value} for {informant}s", ".2f")
    '0.70 for clients'
    """
    values = dict(values.items())
    order = list(INFORMANT_PLURALS)
    ordered = sorted(values, key=lambda name: order.index(name) if name in order else 99)
    return words(
        template.format(value=format(values[name], spec), informant=name) for name in ordered
    )


def _ranked(themes: Sequence[str], label: Callable[[str], str], share: str) -> str:
    """``theme was “a” (60%)``, or ``themes were “a” and “b”, tied at 60%``."""
    names = words(quoted(label(theme)) for theme in themes)
    return (
        f"themes were {names}, tied at {share}"
        if len(themes) > 1
        else f"theme was {names} ({share})"
    )


def theme_extremes(prevalence: pd.DataFrame, label: Callable[[str], str]) -> str:
    """Name the most and the least often coded themes of each informant, ties included.

    Parameters
    ----------
    prevalence : pandas.DataFrame
        :func:`alliance.study.thematic.theme_prevalence` by informant
        (``informant``, ``theme``, ``n_interviews``, ``n_present``, ``prevalence``).
    label : callable
        Theme id to its label (``study.design.label``).

    Returns
    -------
    str
        One sentence per informant, with a capital and a final stop.

    Examples
    --------
    >>> prevalence = pd.DataFrame({"informant": ["client"] * 3, "theme": ["a", "b", "c"],
    ...     "n_interviews": [10] * 3, "n_present": [6, 1, 1], "prevalence": [.6, .1, .1]})
    >>> theme_extremes(prevalence, str.upper)
    'In client interviews the most frequent theme was “A” (60% of 10 interviews) and the \
rarest themes were “B” and “C”, tied at 10%.'
    """
    sentences = []
    for informant, rows in prevalence.groupby("informant", observed=True, sort=False):
        top = rows[rows["n_present"] == rows["n_present"].max()]
        rare = rows[rows["n_present"] == rows["n_present"].min()]
        top_share = f"{top['prevalence'].iloc[0]:.0%} of {top['n_interviews'].iloc[0]} interviews"
        rare_share = f"{rare['prevalence'].iloc[0]:.0%}"
        sentences.append(
            f"In {informant} interviews the most frequent "
            f"{_ranked(list(top['theme']), label, top_share)} and the rarest "
            f"{_ranked(list(rare['theme']), label, rare_share)}."
        )
    return " ".join(sentences)


def coverage_sentence(coverage: pd.DataFrame) -> str:
    """Say how many interviews of each informant two or more raters coded, and what that means.

    Parameters
    ----------
    coverage : pandas.DataFrame
        :func:`alliance.study.reliability.rating_coverage`: ``informant``,
        ``n_interviews``, ``n_double_coded``, ``n_single_coded``, ``n_not_coded``
        and ``n_units_overlap``.

    Returns
    -------
    str
        Sentences with capitals and final stops, for ``{glue:text}``.

    Examples
    --------
    >>> coverage = pd.DataFrame({"informant": ["client"], "n_interviews": [12],
    ...     "n_double_coded": [6], "n_single_coded": [6], "n_not_coded": [0],
    ...     "n_units_overlap": [30]})
    >>> coverage_sentence(coverage)
    'Of the 12 client interviews, 6 were coded by two or more raters, 6 by one rater \
and 0 by none. Agreement rests on the double-coded interviews (30 interview × theme \
units); the others enter the consensus coding only.'
    """
    parts = [
        f"Of the {row.n_interviews} {row.informant} interviews, {row.n_double_coded} were "
        f"coded by two or more raters, {row.n_single_coded} by one rater and "
        f"{row.n_not_coded} by none."
        for row in coverage.itertuples(index=False)
    ]
    units = words(str(n) for n in coverage["n_units_overlap"])
    if (coverage["n_double_coded"] == coverage["n_interviews"]).all():
        ending = f"Agreement uses every interview ({units} interview × theme units)."
    else:
        ending = (
            f"Agreement rests on the double-coded interviews ({units} interview × theme "
            "units); the others enter the consensus coding only."
        )
    return " ".join([*parts, ending])


def share_ranges(composition: pd.DataFrame, groups: Sequence[str]) -> str:
    """Say how far each group's share of a clinic's sessions varies across clinics.

    Parameters
    ----------
    composition : pandas.DataFrame
        :func:`alliance.study.sampling.dyad_composition`, with ``percent_<group>``
        for every group but the first.
    groups : sequence of str
        The study's groups, in display order.

    Returns
    -------
    str
        Plain text for ``{glue:text}``, starting "the share of".

    Examples
    --------
    >>> composition = pd.DataFrame({"percent_B": [25.0, 36.4], "percent_C": [0.0, 42.9]})
    >>> share_ranges(composition, ["A", "B", "C"])
    'the share of B sessions ranges from 25% to 36%, and that of C sessions from 0% to 43%'
    """
    parts = []
    for group in groups:
        column = composition.get(f"percent_{group}")
        if column is None:
            continue
        low, high = column.min(), column.max()
        lead = "the share of" if not parts else "that of"
        verb = " ranges" if not parts else ""
        parts.append(f"{lead} {group} sessions{verb} from {low:.0f}% to {high:.0f}%")
    return ", and ".join(parts)


def top_pairs(pairs: pd.DataFrame, label: Callable[[str], str]) -> str:
    """Name the pair of themes coded together most often, per informant, ties counted.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Rows of :func:`alliance.study.thematic.theme_cooccurrence` with
        ``theme_a`` before ``theme_b`` (each pair once), sorted so that the
        pair to name comes first: ``informant``, ``theme_a``, ``theme_b``, ``n_both``.
    label : callable
        Theme id to its label (``study.design.label``).

    Returns
    -------
    str
        Plain text for ``{glue:text}``: "“a” and “b” (9 interviews) in client
        interviews and ...".

    Examples
    --------
    >>> pairs = pd.DataFrame({"informant": ["client"] * 3, "theme_a": ["a", "a", "b"],
    ...                       "theme_b": ["b", "c", "c"], "n_both": [4, 4, 1]})
    >>> top_pairs(pairs, str.upper)
    '“A” and “B” (4 interviews, tied with 1 other pair) in client interviews'
    """
    said = {}
    for informant, rows in pairs.groupby("informant", observed=True, sort=False):
        first = rows.iloc[0]
        ties = int((rows["n_both"] == rows["n_both"].max()).sum()) - 1
        tied = f", tied with {counted(ties, 'other pair')}" if ties else ""
        said[informant] = (
            f"{quoted(label(first['theme_a']))} and {quoted(label(first['theme_b']))} "
            f"({first['n_both']} interviews{tied})"
        )
    return per_informant(said, "{value} in {informant} interviews")
