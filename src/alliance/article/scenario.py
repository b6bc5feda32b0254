"""The declared prior over reconstructions: scenarios that are all consistent with the abstract.

A :class:`~alliance.article.reconstruction.Scenario` holds every choice the
article leaves open. :func:`draw_scenario` draws one from the prior below, so
that the published sums, the published anger pattern and the published
exceptions hold by construction; :func:`alliance.article.reconstruction.generate_study`
then checks every published figure at its precision. :data:`PRIOR` documents each
range with its reason, and :func:`prior_table` shows it.

Examples
--------
>>> scenario = draw_scenario(np.random.default_rng(1))
>>> [sum(sum(scenario.theme_totals[i, d]) for d in DYAD_TYPES) for i in ("client", "therapist")]
[141, 146]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd

from alliance.article.reconstruction import (
    BOOK,
    CLEAR_GAP_PP,
    CLIENTS_BY_ETHNICITY,
    DYAD_TYPES,
    RATERS,
    Scenario,
)
from alliance.data.codebook import INFORMANTS, THEMES, facet_parent_themes
from alliance.data.published import figure

N_DYADS: dict[str, int] = {
    "concordant": CLIENTS_BY_ETHNICITY["Ashkenazi"],
    "discordant": CLIENTS_BY_ETHNICITY["Mizrahi"],
}
"""Sessions per dyad type (published: all therapists Ashkenazi)."""

N_THERAPISTS = 22
MAX_CASELOAD = 6
FACET_ROOM = 0.75
"""Largest share of its parent themes' codes a facet may take (the book's largest: 0.73)."""
CONCENTRATION = 40.0
"""Dirichlet concentration of the theme shares around the book's (lower: more spread)."""


def _published_total(informant: str) -> int:
    """Return the theme codes of an informant implied by the published mean (141, 146)."""
    n = sum(N_DYADS.values())
    return round(figure(f"themes_{informant}_mean").value * n)


PRIOR: tuple[tuple[str, str, str], ...] = (
    (
        "theme frequencies",
        f"7 themes share the published total by Dirichlet weights around the book's shares "
        f"(concentration {CONCENTRATION:g}); anger is the rarest theme of each informant",
        "per-theme frequencies are not published; their sums are "
        f"({_published_total('client')} and {_published_total('therapist')} codes); "
        "the abstract says anger was less frequent",
    ),
    (
        "therapist anger",
        "3 to 6 discordant sessions, 0 concordant",
        "published: therapists described anger only with Mizrahi clients",
    ),
    (
        "direction of each exception",
        "openness, trust (therapist) and negative non-verbal reading (client): "
        "each higher or lower in discordant dyads with probability 1/2",
        "the abstract says discordance may affect them, not in which direction",
    ),
    (
        "size of each exception",
        f"{CLEAR_GAP_PP:g} to 35 points",
        f"an exception must be clear (>= {CLEAR_GAP_PP:g} points, ours) and stay plausible",
    ),
    (
        "similarity of the other themes",
        "largest allowed gap 6 to 12 points; split of each theme around equal prevalence",
        "the abstract says the dyad types were alike, without a number",
    ),
    (
        "therapist effect",
        "0 with probability 1/4, else uniform 0 to 2 (a therapist-level random effect)",
        "not published; 0 (no clustering) and realistic positive ICCs are both possible",
    ),
    (
        "client-therapist congruence",
        "uniform 0 to 2 (pull of the therapist's themes to the client's)",
        "not published",
    ),
    (
        "valence coherence",
        "uniform 0 to 2 (the book uses 1)",
        "not published",
    ),
    (
        "caseloads",
        f"22 therapists, 1 to {MAX_CASELOAD} clients each (Dirichlet-multinomial); "
        "0 to all therapists with 2+ clients free to see one group only",
        "clients per therapist are not published",
    ),
    (
        "rater styles",
        "generous, conservative and close raters; propensities uniform in set ranges",
        "the raters are not described",
    ),
    (
        "hard themes",
        "departure weight: explicit 0.2-0.6, moderate 1, subtle 1.6-3",
        "which themes are hard to code is not published (the codebook is ours)",
    ),
    (
        "facet counts",
        "the book's share of the parent themes' codes +/- 0.1 (at most 0.75); negative "
        "non-verbal reading split by its direction",
        "facets are our elaboration",
    ),
    (
        "consensus overruling a majority",
        "1 to 5 units per informant",
        "the consensus procedure is not published",
    ),
)
"""(parameter, range, reason) of every free choice, in the order the chapter lists them."""


def prior_table() -> pd.DataFrame:
    """Return the prior over scenarios as a table: each range with its reason.

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``range`` and ``reason``, one row per free choice.

    Examples
    --------
    >>> prior_table().columns.tolist()
    ['parameter', 'range', 'reason']
    """
    return pd.DataFrame(list(PRIOR), columns=["parameter", "range", "reason"])


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` in proportion to ``weights`` into whole numbers that sum exactly."""
    raw = weights / weights.sum() * total
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _split(total: int, gap_pp: float) -> tuple[int, int]:
    """Split ``total`` sessions into (concordant, discordant) with about this prevalence gap.

    ``gap_pp`` is discordant minus concordant prevalence, in points.
    """
    n_c, n_d = N_DYADS["concordant"], N_DYADS["discordant"]
    concordant = round((total / n_d - gap_pp / 100) / (1 / n_d + 1 / n_c))
    concordant = min(max(concordant, total - n_d, 0), n_c, total)
    return concordant, total - concordant


def _clear_split(total: int, direction: int, gap_pp: float) -> tuple[int, int]:
    """Split ``total`` with a gap of ``gap_pp`` points in ``direction``, at least the clear gap.

    Rounding can shrink the gap; sessions are moved one at a time toward the
    direction until it is clear (or no session is left to move).
    """
    concordant, discordant = _split(total, direction * gap_pp)
    while direction * _gap((concordant, discordant)) < CLEAR_GAP_PP + 0.5:
        step = -direction
        if not (0 <= concordant + step <= N_DYADS["concordant"]):
            break
        if not (0 <= discordant - step <= N_DYADS["discordant"]):
            break
        concordant, discordant = concordant + step, discordant - step
    return concordant, discordant


def _gap(split: tuple[int, int]) -> float:
    """Prevalence gap (points) of a (concordant, discordant) split."""
    return 100 * (split[1] / N_DYADS["discordant"] - split[0] / N_DYADS["concordant"])


def _theme_totals(
    rng: np.random.Generator, directions: Mapping[str, int], similar: float
) -> dict[tuple[str, str], tuple[int, ...]]:
    """Draw per-theme totals by informant and dyad type (see :data:`PRIOR`)."""
    anger = THEMES.index("anger")
    totals: dict[tuple[str, str], tuple[int, ...]] = {}
    for informant in INFORMANTS:
        splits: list[tuple[int, int]] = []
        if informant == "therapist":
            anger_split = (0, int(rng.integers(3, 7)))
        else:
            anger_split = _split(int(rng.integers(1, 6)), rng.uniform(-similar, similar) / 2)
        rest = _published_total(informant) - sum(anger_split)
        book = np.add(*(BOOK.theme_totals[informant, d] for d in DYAD_TYPES)).astype(float)
        weights = rng.dirichlet(CONCENTRATION * np.delete(book, anger) / book.sum())
        others = _largest_remainder(weights, rest)
        others = np.maximum(others, sum(anger_split) + 1)
        others[np.argmax(others)] -= others.sum() - rest
        themes = [t for t in THEMES if t != "anger"]
        for theme, total in zip(themes, others, strict=True):
            direction = directions.get(theme) if informant == "therapist" else None
            if direction is None:
                gap = rng.uniform(-similar, similar) * 0.6
            else:
                splits.append(_clear_split(int(total), direction, rng.uniform(CLEAR_GAP_PP, 35)))
                continue
            splits.append(_split(int(total), gap))
        splits.insert(anger, anger_split)
        for k, dyad in enumerate(DYAD_TYPES):
            totals[informant, dyad] = tuple(int(s[k]) for s in splits)
    return totals


@cache
def _facet_parents() -> pd.DataFrame:
    """Return the codebook's facet parent themes, read once."""
    return facet_parent_themes()


def _parent_codes(
    theme_totals: Mapping[tuple[str, str], tuple[int, ...]], kind: str, valence: str
) -> tuple[int, int]:
    """Codes (concordant, discordant) of the parent themes of a facet key."""
    parents = _facet_parents()
    rows = parents[(parents["valence"] == valence)]
    rows = rows[(rows["group"] == kind) | (rows["facet"] == kind)]
    informant = rows["informant"].iloc[0]
    index = [THEMES.index(t) for t in pd.unique(rows["theme"])]
    codes = [sum(theme_totals[informant, d][k] for k in index) for d in DYAD_TYPES]
    return codes[0], codes[1]


def _facet_sessions(
    rng: np.random.Generator,
    direction: int,
    theme_totals: Mapping[tuple[str, str], tuple[int, ...]],
) -> dict[tuple[str, str], tuple[int, int]] | None:
    """Draw facet session counts in proportion to their parent themes' codes.

    Each facet takes the book's share of its parents' codes, +/- 0.1; the
    negative non-verbal reading is then split between dyad types in the drawn
    direction. Returns None when a facet would need more than
    :data:`FACET_ROOM` of its parents' codes (no room; the caller redraws).
    """
    drawn = {}
    for (kind, valence), book in BOOK.facet_sessions.items():
        codes = _parent_codes(theme_totals, kind, valence)
        book_share = sum(book) / sum(_parent_codes(BOOK.theme_totals, kind, valence))
        share = book_share + rng.uniform(-0.1, 0.1)
        if (kind, valence) == ("nonverbal", "negative"):
            total = max(round(share * sum(codes)), 1)
            split = _clear_split(total, direction, rng.uniform(CLEAR_GAP_PP, 35))
        else:
            split = (int(share * codes[0]), int(share * codes[1]))
        if any(n > FACET_ROOM * c for n, c in zip(split, codes, strict=True)):
            return None
        drawn[kind, valence] = split
    return drawn


def _caseloads(rng: np.random.Generator, truncated: Counter[str]) -> dict[int, int]:
    """Draw clients per therapist (22 therapists, 55 clients, 1 to MAX_CASELOAD each)."""
    n_clients = sum(N_DYADS.values())
    while True:
        extra = rng.multinomial(n_clients - N_THERAPISTS, rng.dirichlet(np.ones(N_THERAPISTS)))
        if extra.max() < MAX_CASELOAD:
            return dict(sorted(Counter((extra + 1).tolist()).items()))
        truncated[f"a caseload above {MAX_CASELOAD}"] += 1


def draw_scenario(
    rng: np.random.Generator, name: str = "drawn", truncated: Counter[str] | None = None
) -> Scenario:
    """Draw one scenario from the declared prior (:data:`PRIOR`).

    The published sums, the published anger pattern and the published
    exceptions (in a drawn direction) hold by construction. Caseloads are
    redrawn until none exceeds :data:`MAX_CASELOAD`, and theme and facet counts
    until every facet has room among sessions with a parent theme: truncations
    of the prior, counted in ``truncated``, not calibrations. Whether the
    published figures can be met at their precision is for
    :func:`alliance.article.reconstruction.generate_study` to check.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    name : str, default "drawn"
        Label of the scenario.
    truncated : collections.Counter, optional
        Receives the number of partial draws the prior's truncations discarded, by reason.

    Returns
    -------
    Scenario

    Examples
    --------
    >>> scenario = draw_scenario(np.random.default_rng(3))
    >>> sorted(scenario.directions), scenario.theme_totals["therapist", "concordant"][6]
    (['nonverbal', 'openness', 'trust'], 0)
    """
    truncated = Counter() if truncated is None else truncated
    directions = {key: int(rng.choice([-1, 1])) for key in ("openness", "trust", "nonverbal")}
    similar = float(rng.uniform(6, 12))
    caseloads = _caseloads(rng, truncated)
    n_multi = sum(n for k, n in caseloads.items() if k >= 2)
    styles = {
        "R1": ((1.5, 4.0), (0.2, 0.8)),
        "R2": ((0.2, 0.6), (1.5, 4.0)),
        "R3": ((0.3, 1.0), (0.3, 1.0)),
    }
    rater_styles = {
        rater: {
            "style": str(BOOK.rater_styles[rater]["style"]),
            "adds": float(rng.uniform(*styles[rater][0])),
            "misses": float(rng.uniform(*styles[rater][1])),
        }
        for rater in RATERS
    }
    while True:
        theme_totals = _theme_totals(rng, directions, similar)
        facet_sessions = _facet_sessions(rng, directions["nonverbal"], theme_totals)
        if facet_sessions is not None:
            break
        truncated["a facet without room among its parent themes"] += 1
    return Scenario(
        name=name,
        theme_totals=theme_totals,
        directions=directions,
        similar_gap_pp=round(similar, 2),
        caseloads=caseloads,
        single_group_therapists=int(rng.integers(0, n_multi + 1)),
        min_share_both=0.0,
        coherence=float(rng.uniform(0, 2)),
        facet_sessions=facet_sessions,
        rater_styles=rater_styles,
        difficulty_weight={
            "explicit": float(rng.uniform(0.2, 0.6)),
            "moderate": 1.0,
            "subtle": float(rng.uniform(1.6, 3.0)),
        },
        overruled_per_informant=int(rng.integers(1, 6)),
        therapist_effect=0.0 if rng.random() < 0.25 else float(rng.uniform(0, 2)),
        congruence=float(rng.uniform(0, 2)),
    )


def scenario_parameters(scenario: Scenario) -> dict[str, float]:
    """Flatten a scenario into the scalar parameters the ensemble records per member.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    dict of str to float
        ``direction_*`` (sign of discordant minus concordant), ``gap_*`` (the
        exception's designed gap, points), ``similar_gap_pp``, ``therapist_effect``,
        ``congruence``, ``coherence``, ``single_group_therapists`` and
        ``max_caseload``.

    Examples
    --------
    >>> scenario_parameters(BOOK)["direction_openness"]
    -1.0
    """
    therapist = {d: scenario.theme_totals["therapist", d] for d in DYAD_TYPES}
    values = {f"direction_{k}": float(v) for k, v in sorted(scenario.directions.items())}
    for theme in ("openness", "trust"):
        k = THEMES.index(theme)
        values[f"gap_{theme}"] = _gap((therapist["concordant"][k], therapist["discordant"][k]))
    values["gap_nonverbal"] = _gap(scenario.facet_sessions["nonverbal", "negative"])
    values |= {
        "similar_gap_pp": float(scenario.similar_gap_pp),
        "therapist_effect": float(scenario.therapist_effect),
        "congruence": float(scenario.congruence),
        "coherence": float(scenario.coherence),
        "single_group_therapists": float(scenario.single_group_therapists),
        "max_caseload": float(max(scenario.caseloads)),
    }
    return values
