"""The reproduction scorecard: every published figure beside its recomputed value.

Each figure of :data:`alliance.data.published.PUBLISHED` is recomputed from the
study tables with the same helpers the chapters use, rounded to the precision
the article prints, and marked as matching (✓) or not (✗). A match is only
meaningful for data that claim to reconstruct this article: for any other
study folder (real data, a scaled-up synthetic study, data made by another
generator) every row says "not applicable" and the recomputed values are shown
for information only.

Examples
--------
>>> from alliance.data.dataset import load_study
>>> card = reproduction_scorecard(load_study())
>>> card.columns.tolist()
['key', 'figure', 'published', 'recomputed', 'match', 'note']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from alliance.article.reconstruction import GENERATOR
from alliance.data.codebook import THEMES
from alliance.data.dataset import Study
from alliance.data.design import Design, Grouping
from alliance.data.published import DOI, PUBLISHED, THEMES_SD_DDOF, round_half_up
from alliance.stats.checks import InsufficientData
from alliance.study.reliability import kappa_variants
from alliance.study.sampling import sample_counts
from alliance.study.session_counts import summarise_counts, themes_per_session

__all__ = [
    "MATCH",
    "MISMATCH",
    "NOT_APPLICABLE",
    "recompute_published",
    "reproduces_article",
    "reproduction_scorecard",
    "scorecard_verdict",
]

MATCH = "✓"
MISMATCH = "✗"
NOT_APPLICABLE = "not applicable"


def reproduces_article(synthetic: Mapping[str, Any] | None) -> tuple[bool, str]:
    """Tell whether a study folder claims to reconstruct the article's data.

    Only the compendium's own generator at its original size (``scale`` 1) is
    calibrated to the article's published figures; its ``datapackage.json``
    records that under ``"alliance:synthetic"``. Any seed qualifies, because
    the generator refuses to write a study that misses a published figure.

    Parameters
    ----------
    synthetic : mapping or None
        ``Study.synthetic``: the ``"alliance:synthetic"`` property of the
        folder's ``datapackage.json``, or None for data that do not declare it.

    Returns
    -------
    tuple of (bool, str)
        Whether published figures can be compared, and why (a sentence).

    Examples
    --------
    >>> from alliance.article.reconstruction import GENERATOR
    >>> reproduces_article(None)[0]
    False
    >>> ok, why = reproduces_article({"generator": GENERATOR, "seed": 1, "scale": 1})
    >>> ok, why[:60]
    (True, 'synthetic reconstruction of doi:10.1177/1473325020923013 (al')
    >>> reproduces_article({"generator": GENERATOR, "seed": 1, "scale": 3})[1]
    'synthetic study scaled 3 times: its counts are not the published ones'
    """
    if synthetic is None:
        return False, (
            "the data do not declare themselves a synthetic reconstruction of the article "
            "(no 'alliance:synthetic' in datapackage.json), so published figures are context only"
        )
    generator = synthetic.get("generator")
    if generator != GENERATOR:
        return False, f"synthetic data from another generator ({generator!r})"
    scale = synthetic.get("scale")
    if scale != 1:
        return False, f"synthetic study scaled {scale} times: its counts are not the published ones"
    return True, (
        f"synthetic reconstruction of doi:{DOI} ({generator}, seed {synthetic.get('seed')}, "
        f"scale {scale})"
    )


def _counts(study: Study) -> dict[str, tuple[float, str]]:
    counts = sample_counts(study.clinics, study.therapists, study.clients, study.dyads)
    by_key = dict(zip(counts["quantity"], counts["n"], strict=True))
    rows = {
        key: (float(by_key.get(key, 0)), "rows of the study tables")
        for key in ("n_clinics", "n_therapists", "n_clients_mizrahi", "n_clients_ashkenazi")
    }
    rows["n_raters"] = (
        float(study.ratings["rater"].nunique()),
        "distinct raters in ratings.csv",
    )
    coded = study.consensus.loc[study.consensus["present"] == 1, "theme"]
    rows["n_themes"] = (
        float(coded.nunique()),
        "themes coded present at least once (consensus)",
    )
    return rows


def _kappas(study: Study) -> dict[str, tuple[float, str]]:
    variants = kappa_variants(study.ratings).query("variant == 'fleiss_pooled'")
    return {
        f"kappa_{row.informant}": (
            float(row.estimate),
            f"Fleiss' kappa pooled over {row.n_units} session x theme units",
        )
        for row in variants.itertuples(index=False)
    }


def _themes_per_session(study: Study) -> dict[str, tuple[float, str]]:
    counts = themes_per_session(study.consensus)
    population = summarise_counts(counts, ddof=THEMES_SD_DDOF).set_index("informant")
    sample = summarise_counts(counts, ddof=1).set_index("informant")
    rows = {}
    for informant, summary in population.iterrows():
        rows[f"themes_{informant}_mean"] = (
            float(summary["mean"]),
            f"consensus themes per {informant} interview, n = {int(summary['n'])}",
        )
        rows[f"themes_{informant}_sd"] = (
            float(summary["sd"]),
            f"SD with ddof={THEMES_SD_DDOF}; the sample SD (ddof=1) is "
            f"{sample.loc[informant, 'sd']:.2f} (see the themes-per-session chapter)",
        )
    return rows


_RECOMPUTE: tuple[Callable[[Study], dict[str, tuple[float, str]]], ...] = (
    _counts,
    _kappas,
    _themes_per_session,
)


def recompute_published(study: Study) -> pd.DataFrame:
    """Recompute every published figure from the study tables.

    Parameters
    ----------
    study : alliance.data.dataset.Study
        A loaded study.

    Returns
    -------
    pandas.DataFrame
        One row per figure of :data:`alliance.data.published.PUBLISHED`, in its
        order: ``key``, ``value`` (unrounded) and ``note`` (how it was computed).

    Raises
    ------
    KeyError
        If a published figure has no recomputation (a new entry in
        :data:`alliance.data.published.PUBLISHED` needs one here).

    Examples
    --------
    >>> from alliance.data.dataset import load_study
    >>> recompute_published(load_study()).set_index("key").loc["n_raters", "value"]
    np.float64(3.0)
    """
    values: dict[str, tuple[float, str]] = {}
    for recompute in _RECOMPUTE:
        values.update(recompute(study))
    missing = [fig.key for fig in PUBLISHED if fig.key not in values]
    if missing:
        raise KeyError(f"no recomputation for published figure(s) {missing}")
    return pd.DataFrame(
        [(fig.key, values[fig.key][0], values[fig.key][1]) for fig in PUBLISHED],
        columns=["key", "value", "note"],
    )


def article_design_difference(design: Design) -> str | None:
    """Say how a study's design differs from the article's, or return ``None``.

    The published figures count Mizrahi and Ashkenazi clients, compare clients
    with therapists and average the eight themes; a study whose design lacks
    any of these has no value to set beside them.

    Examples
    --------
    >>> from alliance.data.design import VERSION_1
    >>> article_design_difference(VERSION_1) is None
    True
    >>> article_design_difference(Design(informants=("client",)))
    'it coded client interviews only'
    """
    if design.grouping != Grouping():
        return "it compares other groups (" + ", ".join(design.grouping.labels) + ")"
    if not design.both_informants:
        return f"it coded {design.informants[0]} interviews only"
    if design.themes and tuple(design.themes) != THEMES:
        return f"its codebook has other themes ({len(design.themes)})"
    return None


def reproduction_scorecard(study: Study) -> pd.DataFrame:
    """Every published figure beside its recomputed value, at the published precision.

    Parameters
    ----------
    study : alliance.data.dataset.Study
        A loaded study (``Study.synthetic`` decides whether the comparison
        applies; see :func:`reproduces_article`).

    Returns
    -------
    pandas.DataFrame
        One row per published figure, in the order of
        :data:`alliance.data.published.PUBLISHED`: ``key``, ``figure`` (label),
        ``published`` and ``recomputed`` (text at the published precision,
        rounded half away from zero), ``match`` (:data:`MATCH`,
        :data:`MISMATCH` or, for data that do not reconstruct the article,
        :data:`NOT_APPLICABLE`) and ``note``.

    Raises
    ------
    alliance.stats.checks.InsufficientData
        If the study's design differs from the article's
        (:func:`article_design_difference`), so no published figure can be recomputed.

    Examples
    --------
    >>> import dataclasses
    >>> from alliance.data.dataset import load_study
    >>> study = load_study()
    >>> set(reproduction_scorecard(dataclasses.replace(study, synthetic=None))["match"])
    {'not applicable'}
    """
    difference = article_design_difference(study.design)
    if difference is not None:
        raise InsufficientData(
            f"the article's figures cannot be recomputed on this study: {difference}"
        )
    applicable, _ = reproduces_article(study.synthetic)
    recomputed = recompute_published(study).set_index("key")
    rows = []
    for fig in PUBLISHED:
        value = recomputed.loc[fig.key, "value"]
        if applicable:
            mark = MATCH if fig.matches(value) else MISMATCH
        else:
            mark = NOT_APPLICABLE
        rows.append(
            {
                "key": fig.key,
                "figure": fig.label,
                "published": fig.formatted(),
                "recomputed": f"{round_half_up(value, fig.decimals):.{fig.decimals}f}",
                "match": mark,
                "note": recomputed.loc[fig.key, "note"],
            }
        )
    return pd.DataFrame(rows)


def scorecard_verdict(card: pd.DataFrame, applicable: bool) -> str:
    """Say in a phrase what the scorecard shows.

    Parameters
    ----------
    card : pandas.DataFrame
        :func:`reproduction_scorecard` (``match``).
    applicable : bool
        First element of :func:`reproduces_article`.

    Returns
    -------
    str
        "all N published figures are reproduced" when every row matches; else
        "the comparison does not apply to these data" when it is not
        applicable; else how many of the figures are NOT reproduced.

    Examples
    --------
    >>> card = pd.DataFrame({"match": [MATCH, MISMATCH, MATCH]})
    >>> scorecard_verdict(card, applicable=True)
    '1 of 3 published figures are NOT reproduced'
    >>> scorecard_verdict(card.iloc[[0, 2]], applicable=True)
    'all 2 published figures are reproduced'
    """
    matched = card["match"] == MATCH
    if matched.all():
        return f"all {len(card)} published figures are reproduced"
    if not applicable:
        return "the comparison does not apply to these data"
    return f"{int((~matched).sum())} of {len(card)} published figures are NOT reproduced"
