"""Synthetic reconstruction of the coded study: a deterministic, calibrated generator.

The study's interviews are confidential, so the compendium ships invented data
that reproduce every published aggregate at its published precision. The
construction hits each target by design, in four steps, all driven by one
seeded random generator:

1. **Sampling frame.** Clinics, therapists and clients with the published
   counts; invented caseloads and demographics (:func:`sampling_frame`).
2. **Consensus coding.** For each informant the number of themes per session is
   chosen first (exact total and sum of squares, so mean and SD round to the
   published values); the themes are then allocated to sessions so that each
   dyad type gets the theme totals of :data:`THEME_TOTALS` (our design, which
   builds in the published exceptions), and shuffled by margin-preserving swaps
   that make positive and negative themes cluster by session.
3. **Facets.** The client's reading of the therapist's non-verbal communication
   and the therapist's judgement of the client, under present parent themes.
4. **Independent ratings.** Three raters with distinct styles depart from the
   consensus where the codebook says coding is hard; the number of departures is
   searched so Fleiss' kappa rounds to the published value, and a few units get
   a majority that the consensus discussion overruled.

:func:`calibration_report` recomputes every target from the tables, and
:func:`generate_study` raises :class:`CalibrationError` if any is missed.

``scale=K`` builds K blocks of the published sample (4K clinics, 22K therapists,
29K + 26K clients) for benchmarks. The same checks apply at every scale, with
count targets multiplied by K: kappa, mean and SD are searched at any size, so
they still round to the published values (tolerance: half a unit in the last
published decimal, as at scale 1); the design totals and facet counts scale
exactly, so the prevalence gaps are those of scale 1.

Examples
--------
>>> from alliance.article.reconstruction import generate_study
>>> tables = generate_study(seed=1)
>>> {name: len(table) for name, table in tables.items()}["ratings"]
2640
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from alliance.data import schema
from alliance.data.codebook import (
    THEMES,
    YAML_LOADER,
    codebook_text,
    facet_parent_themes,
    load_codebook,
)
from alliance.data.dataset import Study
from alliance.data.published import PUBLISHED, THEMES_SD_DDOF, figure, round_half_up
from alliance.stats.agreement import fleiss_kappa
from alliance.study.reliability import compare_consensus_majority
from alliance.study.session_counts import count_summary_consistency

DEFAULT_SEED = 923013
"""Seed of the committed ``data/`` folder."""

GENERATOR = "alliance.article.reconstruction.write_study"
"""Name recorded in ``datapackage.json`` under ``"alliance:synthetic"``."""

RATERS: tuple[str, ...] = ("R1", "R2", "R3")
DYAD_TYPES: tuple[str, ...] = ("concordant", "discordant")

CLEAR_GAP_PP = 15.0
"""A published exception holds "clearly" when the prevalence gap is at least this (points)."""

SIMILAR_GAP_PP = 10.0
"""Every other theme x informant prevalence differs by at most this between dyad types."""

CLINIC_DESIGN: tuple[tuple[str, int], ...] = (
    ("community", 6),
    ("hospital outpatient", 5),
    ("community", 6),
    ("hospital outpatient", 5),
)
"""Setting and number of therapists of each clinic (invented)."""

CASELOADS: dict[int, int] = {1: 3, 2: 8, 3: 8, 4: 3}
"""Clients per therapist -> number of therapists with that caseload (invented; 55 clients)."""

SINGLE_GROUP_THERAPISTS = 2
"""Therapists with two or more clients who are not required to see both groups."""

CLIENTS_BY_ETHNICITY: dict[str, int] = {"Mizrahi": 29, "Ashkenazi": 26}

THEME_TOTALS: dict[tuple[str, str], tuple[int, ...]] = {
    ("client", "concordant"): (14, 14, 11, 10, 8, 5, 1, 4),
    ("client", "discordant"): (16, 14, 12, 10, 8, 7, 2, 5),
    ("therapist", "concordant"): (13, 13, 15, 13, 10, 6, 0, 4),
    ("therapist", "discordant"): (13, 14, 9, 7, 10, 9, 4, 6),
}
"""Consensus sessions with each theme present (THEMES order) per informant and dyad type.

Our design at scale 1. The client and the therapist totals are the only ones whose
means round to the published means (:mod:`alliance.data.published`) over the
published number of sessions. Therapist openness, trust and anger carry the
exceptions the abstract names, in directions the abstract does not give (ours);
every other theme differs by at most :data:`SIMILAR_GAP_PP` points between the
concordant and the discordant dyads.
"""

MAX_THEMES_PER_SESSION = 7
COHERENCE = 1.0
"""Strength of the pull of positive themes toward the same sessions (and negative ones)."""

SWAPS_PER_CELL = 30

FACET_SESSIONS: dict[tuple[str, str], tuple[int, int]] = {
    ("nonverbal", "negative"): (2, 8),
    ("nonverbal", "positive"): (9, 10),
    ("client_openness", "negative"): (2, 6),
    ("client_openness", "positive"): (11, 6),
    ("client_trustworthiness", "negative"): (1, 4),
    ("client_trustworthiness", "positive"): (9, 5),
}
"""Sessions (concordant, discordant) coded with a facet of this kind and valence, at scale 1."""

CUE_WEIGHTS: dict[str, dict[str, float]] = {
    "positive": {
        "nonverbal_eye_contact": 0.35,
        "nonverbal_tone": 0.3,
        "nonverbal_posture": 0.15,
        "nonverbal_note_taking": 0.1,
        "nonverbal_screen": 0.1,
    },
    "negative": {
        "nonverbal_eye_contact": 0.2,
        "nonverbal_tone": 0.2,
        "nonverbal_posture": 0.1,
        "nonverbal_note_taking": 0.2,
        "nonverbal_screen": 0.3,
    },
}
"""How often each non-verbal cue is the one a client talks about, by valence (invented)."""

SECOND_CUE_PROBABILITY = 0.25

RATER_STYLES: dict[str, dict[str, float | str]] = {
    "R1": {"style": "generous: adds themes the others leave out", "adds": 3.0, "misses": 0.4},
    "R2": {"style": "conservative: needs explicit statements", "adds": 0.3, "misses": 2.5},
    "R3": {"style": "close to the consensus, few departures", "adds": 0.6, "misses": 0.6},
}
"""Relative propensity of each rater to add an absent theme or miss a present one."""

DIFFICULTY_WEIGHT: dict[str, float] = {"explicit": 0.4, "moderate": 1.0, "subtle": 2.2}
"""How much more often raters depart from the consensus on themes of each codebook difficulty."""

OVERRULED_PER_INFORMANT = 3
"""Units per informant (at scale 1) where the consensus overruled a two-rater majority."""

MAX_ATTEMPTS = 200

DIRECTIONS: dict[str, int] = {"openness": -1, "trust": -1, "nonverbal": 1}
"""Sign of (discordant minus concordant) of each published exception in the book's design.

``openness`` and ``trust``: the therapist's judgement of the client (theme prevalence);
``nonverbal``: the client's negative reading of the therapist's non-verbal communication
(facet sessions). The abstract says discordance may affect them, not in which direction.
"""


@dataclass(frozen=True)
class Scenario:
    """Every choice of the reconstruction that the article does not publish.

    The abstract fixes the sample counts, the two kappas, the mean and SD of
    themes per session, that concordant and discordant dyads described similar
    themes with a few exceptions, and that therapists described anger only with
    Mizrahi clients. Everything below is free, because the abstract does not
    report it; :data:`BOOK` holds the values behind the committed ``data/`` and
    :func:`alliance.article.scenario.draw_scenario` draws others.

    Parameters
    ----------
    name : str
        Label of the scenario (``"book"`` for the committed data).
    theme_totals : mapping
        (informant, dyad type) -> consensus sessions with each theme present, in
        THEMES order. Free: per-theme frequencies are not published; only their
        sums are (141 client and 146 therapist codes, from the published means).
        They carry the size and direction of the therapist openness and trust
        exceptions, the therapist anger design (published: discordant only) and
        how similar the other themes are.
    directions : mapping of str to int
        Sign of (discordant minus concordant) of each published exception
        (:data:`DIRECTIONS`). Free: the abstract says discordance "may affect"
        them, without a direction.
    similar_gap_pp : float
        Largest gap (points) allowed between dyad types for every other theme.
        Free: "similar" is not quantified.
    caseloads : mapping of int to int
        Clients per therapist -> number of therapists. Free: not published.
    single_group_therapists : int
        Therapists with two or more clients who are not required to see both
        groups. Free: not published.
    min_share_both : float
        Floor of the calibration check on the share of therapists who see both
        groups: the book's design asks for most (0.5); drawn scenarios only need
        one such therapist (0), so that within-therapist analyses exist.
    coherence : float
        Pull of positive themes toward the same sessions (and of negative ones):
        valence coherence. Free: not published.
    therapist_effect : float
        Strength of a therapist-level random effect on theme presence (0: none,
        an intra-class correlation of about 0). Free: not published.
    congruence : float
        Pull of the therapist's themes toward the sessions where the client
        described the same theme: client-therapist congruence. Free.
    facet_sessions : mapping
        (facet group or facet, valence) -> sessions (concordant, discordant)
        with such a facet code. Free: facets are our elaboration.
    rater_styles : mapping
        Each rater's style and relative propensity to add an absent theme or
        miss a present one. Free: the raters are not described.
    difficulty_weight : mapping of str to float
        How much more often raters depart from the consensus on themes of each
        codebook difficulty (which themes are hard to code). Free.
    overruled_per_informant : int
        Units per informant where the consensus overruled a two-rater majority.
        Free: the consensus procedure is not published.

    Examples
    --------
    >>> BOOK.directions["openness"], BOOK.therapist_effect
    (-1, 0.0)
    """

    name: str
    theme_totals: Mapping[tuple[str, str], tuple[int, ...]]
    directions: Mapping[str, int]
    similar_gap_pp: float
    caseloads: Mapping[int, int]
    single_group_therapists: int
    min_share_both: float
    coherence: float
    facet_sessions: Mapping[tuple[str, str], tuple[int, int]]
    rater_styles: Mapping[str, Mapping[str, float | str]]
    difficulty_weight: Mapping[str, float]
    overruled_per_informant: int
    therapist_effect: float = 0.0
    congruence: float = 0.0


def book_scenario() -> Scenario:
    """Return the book's scenario, read from this module's design constants.

    Returns
    -------
    Scenario
        The scenario behind the committed ``data/`` (:data:`BOOK`).

    Examples
    --------
    >>> book_scenario() == BOOK
    True
    """
    return Scenario(
        name="book",
        theme_totals=THEME_TOTALS,
        directions=DIRECTIONS,
        similar_gap_pp=SIMILAR_GAP_PP,
        caseloads=CASELOADS,
        single_group_therapists=SINGLE_GROUP_THERAPISTS,
        min_share_both=0.5,
        coherence=COHERENCE,
        facet_sessions=FACET_SESSIONS,
        rater_styles=RATER_STYLES,
        difficulty_weight=DIFFICULTY_WEIGHT,
        overruled_per_informant=OVERRULED_PER_INFORMANT,
    )


BOOK = book_scenario()
"""The book's default scenario, behind the committed ``data/`` (no therapist effect)."""


class CalibrationError(RuntimeError):
    """The generated tables miss at least one calibration target.

    Parameters
    ----------
    report : pandas.DataFrame
        The full :func:`calibration_report`; the message lists the rows not met.
    """

    def __init__(self, report: pd.DataFrame) -> None:
        self.report = report
        missed = report[~report["met"]]
        lines = [f"  {r.target}: {r.value} (needs {r.rule})" for r in missed.itertuples()]
        super().__init__("synthetic study misses calibration targets:\n" + "\n".join(lines))


def _check_arguments(seed: int, scale: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")


def _ids(prefix: str, count: int, width: int) -> list[str]:
    """Return ``count`` identifiers ``prefix`` + zero-padded number (wider when needed)."""
    width = max(width, len(str(count)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


def sampling_frame(
    rng: np.random.Generator, scale: int = 1, scenario: Scenario | None = None
) -> dict[str, pd.DataFrame]:
    """Draw clinics, therapists, clients and sessions with the published counts.

    Every block of four clinics holds 22 Ashkenazi therapists and 55 clients
    (29 Mizrahi, 26 Ashkenazi); ``scale`` blocks are drawn. Caseloads follow
    the scenario's ``caseloads``; every therapist with two or more clients, except
    ``single_group_therapists`` per block, sees clients of both groups.
    Demographics are invented and drawn from the same distributions for both groups.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    scale : int
        Number of blocks.
    scenario : Scenario, optional
        The unpublished choices (default: :data:`BOOK`).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``clinics``, ``therapists``, ``clients`` and ``sessions``.

    Examples
    --------
    >>> frame = sampling_frame(np.random.default_rng(0))
    >>> frame["clients"]["ethnicity"].value_counts().to_dict()
    {'Mizrahi': 29, 'Ashkenazi': 26}
    """
    scenario = scenario or book_scenario()
    n_clinics = len(CLINIC_DESIGN) * scale
    clinic_ids = _ids("C", n_clinics, 1)
    settings = [setting for setting, _ in CLINIC_DESIGN] * scale
    therapist_clinic = [
        clinic
        for clinic, (_, n) in zip(clinic_ids, CLINIC_DESIGN * scale, strict=True)
        for _ in range(n)
    ]
    therapist_ids = _ids("T", len(therapist_clinic), 2)
    per_block = len(therapist_ids) // scale
    client_therapist, client_ethnicity = [], []
    for block in range(scale):
        caseload = rng.permutation([k for k, n in scenario.caseloads.items() for _ in range(n)])
        multi = np.flatnonzero(caseload >= 2)
        single = scenario.single_group_therapists
        single_group = set(rng.choice(multi, single, replace=False).tolist())
        mixed = [i for i in multi if i not in single_group]
        pool = [e for e, n in CLIENTS_BY_ETHNICITY.items() for _ in range(n - len(mixed))]
        pool = list(rng.permutation(pool))
        for i, size in enumerate(caseload):
            fixed = ["Mizrahi", "Ashkenazi"] if i in mixed else []
            ethnicities = fixed + [pool.pop() for _ in range(size - len(fixed))]
            client_therapist += [therapist_ids[block * per_block + i]] * size
            client_ethnicity += ethnicities
    order = rng.permutation(len(client_ethnicity))
    n_clients = len(order)
    client_ids = _ids("P", n_clients, 3)
    therapists = pd.DataFrame(
        {
            "therapist_id": therapist_ids,
            "clinic_id": therapist_clinic,
            "ethnicity": "Ashkenazi",
            "gender": rng.choice(["female", "male"], len(therapist_ids), p=[0.7, 0.3]),
            "profession": rng.choice(
                ["clinical psychologist", "social worker", "psychiatrist"],
                len(therapist_ids),
                p=[0.45, 0.35, 0.2],
            ),
            "years_experience": np.clip(np.rint(rng.gamma(2.2, 5.0, len(therapist_ids))), 1, 35),
        }
    ).astype({"years_experience": int})
    clients = pd.DataFrame(
        {
            "client_id": client_ids,
            "ethnicity": np.asarray(client_ethnicity)[order],
            "gender": rng.choice(["female", "male"], n_clients, p=[0.6, 0.4]),
            "age": np.clip(np.rint(rng.normal(41, 12, n_clients)), 18, 78),
            "education_years": np.clip(np.rint(rng.normal(13, 2.5, n_clients)), 6, 22),
        }
    ).astype({"age": int, "education_years": int})
    sessions = pd.DataFrame(
        {
            "session_id": _ids("S", n_clients, 3),
            "client_id": client_ids,
            "therapist_id": np.asarray(client_therapist)[order],
        }
    )
    clinics = pd.DataFrame({"clinic_id": clinic_ids, "setting": settings})
    return {"clinics": clinics, "therapists": therapists, "clients": clients, "sessions": sessions}


def _dyad_types(tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    """Return the dyad type of every session, indexed by ``session_id`` (via ``Study.dyads``)."""
    frames = {table: tables.get(table, pd.DataFrame()) for table in schema.TABLES}
    study = Study(**frames, codebook={}, path=Path())
    return study.dyads.set_index("session_id")["dyad_type"]


def _target_sum_of_squares(n: int, total: int, key: str) -> int:
    """Return the sum of squared counts whose SD rounds to the published figure ``key``."""
    published = figure(key)
    mean = total / n
    centre = n * (published.value**2 * (n - THEMES_SD_DDOF) / n + mean**2)
    candidates = [
        ss
        for ss in range(int(centre) - 2 * n, int(centre) + 2 * n)
        if ss % 2 == total % 2 and ss >= total**2 / n
    ]
    sds = {ss: np.sqrt((ss - total**2 / n) / (n - THEMES_SD_DDOF)) for ss in candidates}
    matching = [ss for ss in candidates if published.matches(sds[ss])]
    if not matching:
        raise ValueError(f"no whole-number counts give {key} = {published.formatted()} (n={n})")
    return min(matching, key=lambda ss: abs(sds[ss] - published.value))


def _session_counts(
    rng: np.random.Generator, sizes: list[int], totals: list[int], target_ss: int
) -> list[np.ndarray]:
    """Draw themes-per-session counts with exact group totals and exact overall sum of squares.

    Starts from the flattest counts and spreads them by random (+1, -1) moves
    within a group, each raising the sum of squares, until it equals ``target_ss``.
    """
    groups = [
        np.full(n, s // n) + (np.arange(n) < s % n) for n, s in zip(sizes, totals, strict=True)
    ]
    groups = [rng.permutation(g) for g in groups]
    remaining = target_ss - sum(int((g**2).sum()) for g in groups)
    weights = np.asarray(sizes) / sum(sizes)
    for _ in range(100 * sum(sizes) + 10_000):
        if remaining == 0:
            break
        g = groups[rng.choice(len(groups), p=weights)]
        i, j = rng.choice(len(g), 2, replace=False)
        if g[i] < g[j]:
            i, j = j, i
        step = 2 * (g[i] - g[j]) + 2
        if g[i] < MAX_THEMES_PER_SESSION and g[j] > 0 and step <= remaining:
            g[i] += 1
            g[j] -= 1
            remaining -= step
    if remaining:
        raise RuntimeError("could not reach the themes-per-session SD; check THEME_TOTALS")
    return groups


def _fill(rng: np.random.Generator, rows: np.ndarray, columns: np.ndarray) -> np.ndarray | None:
    """Return a 0/1 matrix with the given row and column sums, or None if there is none.

    Each row takes the columns with the most remaining ones (ties broken at
    random), which succeeds whenever a matrix exists (Gale-Ryser).
    """
    remaining = np.asarray(columns).copy()
    matrix = np.zeros((len(rows), len(columns)), dtype=np.int8)
    for i in rng.permutation(len(rows)):
        keys = remaining + 0.5 * rng.random(len(columns))
        chosen = np.argsort(-keys, kind="stable")[: rows[i]]
        if len(chosen) < rows[i] or (remaining[chosen] <= 0).any():
            return None
        matrix[i, chosen] = 1
        remaining[chosen] -= 1
    return matrix


def _cluster_by_valence(
    rng: np.random.Generator,
    matrix: np.ndarray,
    tone: np.ndarray,
    sign: np.ndarray,
    coherence: float = COHERENCE,
    pull: np.ndarray | None = None,
) -> None:
    """Shuffle ``matrix`` in place by margin-preserving swaps (Metropolis on session tone).

    Positive themes drift to sessions with a high ``tone`` and negative ones to a
    low tone, with strength ``coherence``. ``pull`` (sessions x themes, optional)
    adds a preference of each session for each theme: a therapist effect, or the
    client's own coding for congruence. Without it, swaps between themes of the
    same valence are always accepted.
    """
    n_rows, n_cols = matrix.shape
    steps = SWAPS_PER_CELL * matrix.size
    rows = rng.integers(0, n_rows, (steps, 2))
    cols = rng.integers(0, n_cols, (steps, 2))
    accept = rng.random(steps)
    for (a, b), (s, t), u in zip(rows, cols, accept, strict=True):
        if matrix[a, s] and matrix[b, t] and not matrix[a, t] and not matrix[b, s]:
            gain = coherence * (sign[t] - sign[s]) * (tone[a] - tone[b])
            if pull is not None:
                gain += pull[a, t] + pull[b, s] - pull[a, s] - pull[b, t]
            if gain >= 0 or u < np.exp(gain):
                matrix[a, s] = matrix[b, t] = 0
                matrix[a, t] = matrix[b, s] = 1


def _session_pull(
    rng: np.random.Generator, therapist: np.ndarray, scenario: Scenario
) -> np.ndarray | None:
    """Return each session's preference for each theme from a therapist effect, or None.

    Every therapist gets a normal propensity per theme, scaled by the scenario's
    ``therapist_effect``; nothing is drawn when it is 0 (the book's scenario).
    """
    if scenario.therapist_effect <= 0:
        return None
    codes, index = np.unique(therapist, return_inverse=True)
    effects = rng.normal(size=(len(codes), len(THEMES)))
    return scenario.therapist_effect * effects[index]


def _consensus_matrices(
    rng: np.random.Generator,
    dyad: np.ndarray,
    scale: int,
    sign: np.ndarray,
    scenario: Scenario,
    therapist: np.ndarray,
) -> dict[str, np.ndarray]:
    """Return the consensus sessions x themes 0/1 matrix of each informant.

    ``therapist`` holds the therapist of every session (for the therapist effect).
    """
    tone = rng.normal(size=len(dyad))
    by_therapist = _session_pull(rng, therapist, scenario)
    matrices: dict[str, np.ndarray] = {}
    for informant in schema.INFORMANTS:
        members = [np.flatnonzero(dyad == d) for d in DYAD_TYPES]
        columns = [np.asarray(scenario.theme_totals[informant, d]) * scale for d in DYAD_TYPES]
        sizes = [len(m) for m in members]
        totals = [int(c.sum()) for c in columns]
        target = _target_sum_of_squares(len(dyad), sum(totals), f"themes_{informant}_sd")
        for _ in range(MAX_ATTEMPTS):
            counts = _session_counts(rng, sizes, totals, target)
            parts = [_fill(rng, r, c) for r, c in zip(counts, columns, strict=True)]
            if all(p is not None for p in parts):
                break
        else:
            raise RuntimeError(f"no {informant} coding matches the theme totals; check the design")
        pull = by_therapist
        if scenario.congruence and matrices:
            other = scenario.congruence * next(iter(matrices.values()))
            pull = other if pull is None else pull + other
        matrix = np.zeros((len(dyad), len(THEMES)), dtype=np.int8)
        for rows, part in zip(members, parts, strict=True):
            here = None if pull is None else pull[rows]
            _cluster_by_valence(rng, part, tone[rows], sign, scenario.coherence, here)
            matrix[rows] = part
        matrices[informant] = matrix
    return matrices


def _facet_rows(
    rng: np.random.Generator,
    consensus: dict[str, np.ndarray],
    dyad: np.ndarray,
    scale: int,
    allowed: pd.DataFrame,
    facet_sessions: Mapping[tuple[str, str], tuple[int, int]] = FACET_SESSIONS,
) -> list[tuple[int, str, str, str, str]] | None:
    """Draw facet codes ``(session, informant, facet, valence, theme)``; None if infeasible.

    ``allowed`` is :func:`alliance.data.codebook.facet_parent_themes`; the keys of
    ``facet_sessions`` (:data:`FACET_SESSIONS` for the book) name a facet group
    (non-verbal cues, one or two per session) or a single facet.
    """
    theme_index = {t: k for k, t in enumerate(THEMES)}
    rows = []
    coded: dict[str, set[int]] = {}
    for (kind, valence), per_dyad in facet_sessions.items():
        options = allowed[(allowed["valence"] == valence)]
        options = options[(options["group"] == kind) | (options["facet"] == kind)]
        informant = options["informant"].iloc[0]
        parents = [theme_index[t] for t in pd.unique(options["theme"])]
        present = consensus[informant][:, parents].astype(bool)
        taken = coded.setdefault(kind, set())
        for d, wanted in zip(DYAD_TYPES, per_dyad, strict=True):
            eligible = [
                s for s in np.flatnonzero((dyad == d) & present.any(axis=1)) if s not in taken
            ]
            if len(eligible) < wanted * scale:
                return None
            for s in sorted(rng.choice(eligible, wanted * scale, replace=False).tolist()):
                taken.add(s)
                if kind == "nonverbal":
                    cues = CUE_WEIGHTS[valence]
                    p = np.asarray(list(cues.values()))
                    n_cues = 2 if rng.random() < SECOND_CUE_PROBABILITY else 1
                    facets = rng.choice(list(cues), n_cues, replace=False, p=p / p.sum())
                else:
                    facets = [kind]
                here = [k for k in parents if consensus[informant][s, k]]
                for facet in sorted(facets):
                    rows.append((s, informant, facet, valence, THEMES[rng.choice(here)]))
    return rows


def _overruled_units(
    rng: np.random.Generator,
    consensus: np.ndarray,
    difficulty: np.ndarray,
    count: int,
    explicit: float = DIFFICULTY_WEIGHT["explicit"],
) -> list[tuple[int, int, tuple[int, int]]]:
    """Choose units ``(session, theme, raters)`` where two raters outvote the consensus.

    Only themes harder than ``explicit`` (the weight of explicit themes) are candidates.
    """
    hard = difficulty > explicit
    candidates = np.argwhere(np.broadcast_to(hard, consensus.shape))
    weights = difficulty[candidates[:, 1]]
    picks = rng.choice(len(candidates), count, replace=False, p=weights / weights.sum())
    units = []
    for s, t in candidates[np.sort(picks)]:
        style = 1 if consensus[s, t] else 0  # R2 misses present themes, R1 adds absent ones
        partner = 2 if rng.random() < 0.8 else 1 - style
        units.append((int(s), int(t), (style, partner)))
    return units


def _kappa(matrix: np.ndarray) -> float:
    """Fleiss' kappa of a sessions x themes x raters 0/1 array, over all unit codes."""
    return fleiss_kappa(matrix.reshape(-1, matrix.shape[-1]), categories=[0, 1])


def _ratings_array(
    rng: np.random.Generator,
    consensus: np.ndarray,
    difficulty: np.ndarray,
    scale: int,
    key: str,
    scenario: Scenario | None = None,
) -> np.ndarray:
    """Return sessions x themes x raters codes whose Fleiss' kappa rounds to figure ``key``.

    Candidate departures (unit, rater) are put in a random order weighted by the
    theme's difficulty and the rater's style (Efraimidis-Spirakis keys); at most
    one rater departs per unit. The number of departures is found by bisection
    and the count whose kappa lies nearest the published value is kept. Rater
    styles, difficulty weights and overruled units come from ``scenario``
    (default :data:`BOOK`).
    """
    scenario = scenario or book_scenario()
    base = np.repeat(consensus[:, :, None], len(RATERS), axis=2)
    overruled = _overruled_units(
        rng,
        consensus,
        difficulty,
        scenario.overruled_per_informant * scale,
        scenario.difficulty_weight["explicit"],
    )
    blocked = np.zeros(consensus.shape, dtype=bool)
    for s, t, raters in overruled:
        base[s, t, list(raters)] ^= 1
        blocked[s, t] = True
    styles = scenario.rater_styles
    adds = np.asarray([styles[r]["adds"] for r in RATERS], dtype=float)
    misses = np.asarray([styles[r]["misses"] for r in RATERS], dtype=float)
    style = np.where(consensus[:, :, None] == 1, misses, adds)
    weight = difficulty[None, :, None] * style
    keys = rng.random(weight.shape) ** (1.0 / weight)
    keys[blocked] = -1.0
    order = np.argsort(-keys, axis=None, kind="stable")
    units = order // len(RATERS)
    first = np.sort(np.unique(units, return_index=True)[1])
    flips = order[first][: int((~blocked).sum())]

    def with_departures(k: int) -> np.ndarray:
        matrix = base.copy().reshape(-1)
        matrix[flips[:k]] ^= 1
        return matrix.reshape(base.shape)

    target = figure(key).value
    low, high = 0, len(flips)
    while low < high:
        mid = (low + high) // 2
        if _kappa(with_departures(mid)) > target:
            low = mid + 1
        else:
            high = mid
    best = min({max(low - 1, 0), low}, key=lambda k: abs(_kappa(with_departures(k)) - target))
    return with_departures(best)


def _long_coding(matrices: Mapping[str, np.ndarray], session_ids: list[str]) -> pd.DataFrame:
    """Turn informant -> sessions x themes (x raters) arrays into tidy rows."""
    frames = []
    for informant, array in matrices.items():
        index = pd.MultiIndex.from_product(
            [session_ids, THEMES, RATERS][: array.ndim],
            names=["session_id", "theme", "rater"][: array.ndim],
        )
        frame = pd.Series(array.reshape(-1), index=index, name="present").reset_index()
        frames.append(frame.assign(informant=informant))
    return pd.concat(frames, ignore_index=True)


def _sort_coding(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sort coded rows by ``keys`` with themes in the published order."""
    position = frame["theme"].map({t: k for k, t in enumerate(THEMES)})
    return (
        frame.assign(_theme=position)
        .sort_values([("_theme" if k == "theme" else k) for k in keys], kind="stable")
        .drop(columns="_theme")
        .reset_index(drop=True)
    )


def excerpt_bank() -> dict[str, Any]:
    """Return the hand-written excerpt bank shipped with the package.

    Returns
    -------
    dict
        ``themes`` (informant -> theme -> list of excerpts) and ``facets``
        (facet -> valence -> list of excerpts).

    Examples
    --------
    >>> bank = excerpt_bank()
    >>> min(len(v) for by_theme in bank["themes"].values() for v in by_theme.values()) >= 6
    True
    """
    text = resources.files("alliance").joinpath("resources", "excerpts.yaml").read_text("utf-8")
    return yaml.load(text, Loader=YAML_LOADER)


def _balanced_picks(rng: np.random.Generator, n: int, variants: int) -> np.ndarray:
    """Return ``n`` variant indices using every variant before repeating any."""
    rounds = -(-n // variants)
    return np.concatenate([rng.permutation(variants) for _ in range(rounds)])[:n]


def assemble_excerpts(
    rng: np.random.Generator, consensus: pd.DataFrame, facets: pd.DataFrame
) -> pd.DataFrame:
    """Pick one excerpt for every present consensus theme and one for every facet code.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    consensus : pandas.DataFrame
        Consensus coding (``session_id``, ``informant``, ``theme``, ``present``).
    facets : pandas.DataFrame
        Facet codes (``session_id``, ``informant``, ``facet``, ``valence``, ``theme``).

    Returns
    -------
    pandas.DataFrame
        ``excerpt_id``, ``session_id``, ``informant``, ``theme``, ``facet`` (empty
        for a theme excerpt), ``text`` and ``fictional`` (``"yes"``: every excerpt was
        written for the book), sorted by session, informant, theme and facet.

    Examples
    --------
    >>> consensus = pd.DataFrame({"session_id": ["S1"], "informant": ["client"],
    ...                           "theme": ["trust"], "present": [1]})
    >>> facets = pd.DataFrame(columns=["session_id", "informant", "facet", "valence", "theme"])
    >>> assemble_excerpts(np.random.default_rng(0), consensus, facets)["excerpt_id"].tolist()
    ['E0001']
    """
    bank = excerpt_bank()
    present = consensus[consensus["present"] == 1]
    pieces = []
    for (informant, theme), rows in present.groupby(["informant", "theme"], sort=True):
        variants = bank["themes"][informant][theme]
        picks = _balanced_picks(rng, len(rows), len(variants))
        pieces.append(
            rows[["session_id", "informant", "theme"]].assign(
                facet="", text=[variants[i] for i in picks]
            )
        )
    for (facet, valence), rows in facets.groupby(["facet", "valence"], sort=True):
        variants = bank["facets"][facet][valence]
        picks = _balanced_picks(rng, len(rows), len(variants))
        pieces.append(
            rows[["session_id", "informant", "theme", "facet"]].assign(
                text=[variants[i] for i in picks]
            )
        )
    excerpts = _sort_coding(
        pd.concat(pieces, ignore_index=True), ["session_id", "informant", "theme", "facet"]
    )
    excerpts.insert(0, "excerpt_id", _ids("E", len(excerpts), 4))
    return excerpts.assign(fictional="yes")


def generate_study(
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    scenario: Scenario | None = None,
    attempts: int = MAX_ATTEMPTS,
) -> dict[str, pd.DataFrame]:
    """Build the synthetic study in memory and check every calibration target.

    Parameters
    ----------
    seed : int
        Random seed; the same ``(seed, scale, scenario)`` always gives identical tables.
    scale : int
        Study size multiplier: ``scale`` times as many clinics, therapists and
        clients, checked against the same targets with counts multiplied by
        ``scale`` (see the module notes).
    scenario : Scenario, optional
        The unpublished choices; default :func:`book_scenario` (the committed data).
    attempts : int
        Consensus codings tried before the facet design is declared infeasible.

    Returns
    -------
    dict of str to pandas.DataFrame
        The eight tables of :data:`alliance.data.schema.TABLES`, columns in schema order.

    Raises
    ------
    CalibrationError
        If any row of :func:`calibration_report` is not met.
    ValueError
        If ``seed`` or ``scale`` is not a valid integer.

    Examples
    --------
    >>> tables = generate_study(seed=1)
    >>> tables["clients"]["ethnicity"].value_counts().to_dict()
    {'Mizrahi': 29, 'Ashkenazi': 26}
    """
    _check_arguments(seed, scale)
    scenario = scenario or book_scenario()
    rng = np.random.default_rng(np.random.SeedSequence([seed, scale]))
    tables = sampling_frame(rng, scale, scenario)
    dyad = _dyad_types(tables).reindex(tables["sessions"]["session_id"]).to_numpy()
    therapist = tables["sessions"]["therapist_id"].to_numpy()
    codebook = load_codebook()
    sign = np.asarray([1 if t["valence"] == "positive" else -1 for t in codebook["themes"]])
    weight = scenario.difficulty_weight
    difficulty = np.asarray([weight[t["difficulty"]] for t in codebook["themes"]])
    allowed = facet_parent_themes(codebook)
    for _ in range(attempts):
        consensus = _consensus_matrices(rng, dyad, scale, sign, scenario, therapist)
        facet_rows = _facet_rows(rng, consensus, dyad, scale, allowed, scenario.facet_sessions)
        if facet_rows is not None:
            break
    else:
        raise RuntimeError("no consensus coding leaves room for the facet design; check it")
    ratings = {
        informant: _ratings_array(rng, matrix, difficulty, scale, f"kappa_{informant}", scenario)
        for informant, matrix in consensus.items()
    }
    session_ids = tables["sessions"]["session_id"].tolist()
    columns = {
        table: [f["name"] for f in schema.table_schema(table)["fields"]] for table in schema.TABLES
    }
    tables["consensus"] = _sort_coding(
        _long_coding(consensus, session_ids), ["session_id", "informant", "theme"]
    )[columns["consensus"]]
    tables["ratings"] = _sort_coding(
        _long_coding(ratings, session_ids), ["session_id", "informant", "rater", "theme"]
    )[columns["ratings"]]
    facets = pd.DataFrame(facet_rows, columns=["session", "informant", "facet", "valence", "theme"])
    facets.insert(0, "session_id", np.asarray(session_ids)[facets.pop("session")])
    facet_order = {f["id"]: k for k, f in enumerate(codebook["facets"])}
    tables["facets"] = (
        facets.assign(_order=facets["facet"].map(facet_order))
        .sort_values(["session_id", "informant", "_order"], kind="stable")[columns["facets"]]
        .reset_index(drop=True)
    )
    tables["excerpts"] = assemble_excerpts(rng, tables["consensus"], tables["facets"])
    tables = {name: tables[name][columns[name]] for name in schema.TABLES}
    report = calibration_report(tables, scale, scenario)
    if not report["met"].all():
        raise CalibrationError(report)
    return tables


def _prevalence_gaps(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Consensus prevalence (percent of sessions) by informant, theme and dyad type."""
    consensus = tables["consensus"].assign(
        dyad_type=lambda d: d["session_id"].map(_dyad_types(tables))
    )
    shares = consensus.pivot_table(
        index=["informant", "theme"], columns="dyad_type", values="present", aggfunc="mean"
    )
    return (100 * shares).assign(gap=lambda d: d["discordant"] - d["concordant"])


def _kappas(ratings: pd.DataFrame) -> dict[str, float]:
    """Fleiss' kappa over all session x theme units, per informant."""
    return {
        informant: fleiss_kappa(
            rows.pivot(index=["session_id", "theme"], columns="rater", values="present"),
            categories=[0, 1],
        )
        for informant, rows in ratings.groupby("informant")
    }


def consensus_resolutions(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """List the units where the consensus overruled the raters' majority, with the reason.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The study tables; ``ratings`` and ``consensus`` are used.

    Returns
    -------
    pandas.DataFrame
        ``session_id``, ``informant``, ``theme``, ``votes`` (raters who coded it
        present), ``consensus``, ``change`` (``added`` or ``dropped``, as in
        :func:`alliance.study.reliability.compare_consensus_majority`) and
        ``resolution`` (the documented reason, which cites the codebook).

    Examples
    --------
    >>> table = consensus_resolutions(generate_study(seed=1))
    >>> sorted(set(table["change"]))
    ['added', 'dropped']
    """
    codebook = {t["id"]: t for t in load_codebook()["themes"]}
    compared = compare_consensus_majority(tables["ratings"], tables["consensus"])
    differ = compared[compared["change"].isin(["added", "dropped"])]
    reasons = [
        f"the passage meets the definition of {codebook[t]['label']}, though only implicitly"
        if change == "added"
        else "the codebook excludes " + codebook[t]["exclude"][0].rstrip(".").lower()
        for t, change in zip(differ["theme"], differ["change"], strict=True)
    ]
    columns = ["session_id", "informant", "theme", "votes", "consensus", "change", "resolution"]
    return _sort_coding(
        differ.assign(resolution=reasons)[columns], ["session_id", "informant", "theme"]
    )


def _gap_row(label: str, difference: float, direction: int) -> tuple[str, float, str, bool]:
    """Calibration row for a published exception, in the scenario's direction.

    ``difference`` is discordant minus concordant (points); ``direction`` its
    expected sign. The row names the direction, so the rule is always ``>=`` the clear gap.
    """
    order = "discordant minus concordant" if direction > 0 else "concordant minus discordant"
    gap = direction * difference
    return (f"{label}, {order} (points)", gap, f">= {CLEAR_GAP_PP}", gap >= CLEAR_GAP_PP)


def calibration_report(
    tables: Mapping[str, pd.DataFrame], scale: int = 1, scenario: Scenario | None = None
) -> pd.DataFrame:
    """Recompute every calibration target from the tables.

    The published figures and statements are checked in every scenario; the
    direction of each published exception, the similarity threshold and the
    floor on therapists who see both groups come from ``scenario``.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The study tables (as returned by :func:`generate_study` or loaded from disk).
    scale : int
        The study size multiplier the counts are compared with.
    scenario : Scenario, optional
        The scenario the tables were drawn from (default :data:`BOOK`).

    Returns
    -------
    pandas.DataFrame
        One row per target: ``target``, ``value`` (as computed), ``rule`` (what
        the value must satisfy) and ``met`` (bool).

    Examples
    --------
    >>> report = calibration_report(generate_study(seed=1))
    >>> bool(report["met"].all()), report.set_index("target").loc["kappa, client", "rule"]
    (True, 'rounds to 0.70')
    """
    scenario = scenario or book_scenario()
    rows: list[tuple[str, float, str, bool]] = []
    clients, therapists, sessions = tables["clients"], tables["therapists"], tables["sessions"]
    counts = {
        "n_clinics": len(tables["clinics"]),
        "n_therapists": int((therapists["ethnicity"] == "Ashkenazi").sum()),
        "n_clients_mizrahi": int((clients["ethnicity"] == "Mizrahi").sum()),
        "n_clients_ashkenazi": int((clients["ethnicity"] == "Ashkenazi").sum()),
    }
    for key, value in counts.items():
        wanted = figure(key).value * scale
        rows.append((figure(key).label, value, f"== {wanted}", value == wanted))
    wanted = len(clients)
    one_each = sessions["client_id"].nunique() == len(sessions) == wanted
    rows.append(("sessions, one per client", len(sessions), f"== {wanted}", one_each))
    caseload = sessions["therapist_id"].value_counts().reindex(therapists["therapist_id"])
    rows.append(
        ("clients of the least busy therapist", caseload.min(), ">= 1", caseload.min() >= 1)
    )
    groups = sessions.merge(clients, on="client_id").groupby("therapist_id")["ethnicity"].nunique()
    both = float((groups == 2).mean())
    floor = scenario.min_share_both
    rows.append(("share of therapists who see both groups", both, f"> {floor:g}", both > floor))
    for informant, kappa in _kappas(tables["ratings"]).items():
        published = figure(f"kappa_{informant}")
        rows.append(
            (
                f"kappa, {informant}",
                kappa,
                f"rounds to {published.formatted()}",
                published.matches(kappa),
            )
        )
    per_session = tables["consensus"].groupby(["informant", "session_id"])["present"].sum()
    for informant, counts_ in per_session.groupby(level="informant"):
        for stat, value in (
            ("mean", counts_.mean()),
            ("sd", counts_.std(ddof=THEMES_SD_DDOF)),
        ):
            published = figure(f"themes_{informant}_{stat}")
            rows.append(
                (
                    f"themes per session, {informant}, {stat}",
                    float(value),
                    f"rounds to {published.formatted()}",
                    published.matches(value),
                )
            )
    gaps = _prevalence_gaps(tables)
    dyad = _dyad_types(tables)
    n_dyads = dyad.value_counts()
    anger = tables["consensus"].query(
        "informant == 'therapist' and theme == 'anger' and present == 1"
    )
    anger_by_dyad = anger["session_id"].map(dyad).value_counts().reindex(DYAD_TYPES, fill_value=0)
    rows.append(
        (
            "therapist anger, discordant sessions",
            anger_by_dyad["discordant"],
            f">= {3 * scale}",
            anger_by_dyad["discordant"] >= 3 * scale,
        )
    )
    rows.append(
        (
            "therapist anger, concordant sessions",
            anger_by_dyad["concordant"],
            "== 0",
            anger_by_dyad["concordant"] == 0,
        )
    )
    for theme in ("openness", "trust"):
        difference = gaps.loc[("therapist", theme), "gap"]
        rows.append(_gap_row(f"therapist {theme}", difference, scenario.directions[theme]))
    groups_ = facet_parent_themes()[["facet", "group"]].drop_duplicates()
    facets = tables["facets"].merge(groups_, on="facet")
    negative = facets.query("group == 'nonverbal' and valence == 'negative'")
    sessions_ = negative.drop_duplicates("session_id")["session_id"].map(dyad).value_counts()
    share = 100 * sessions_.reindex(DYAD_TYPES, fill_value=0) / n_dyads.reindex(DYAD_TYPES)
    difference = share["discordant"] - share["concordant"]
    label = "client negative non-verbal reading"
    rows.append(_gap_row(label, difference, scenario.directions["nonverbal"]))
    exceptions = [("therapist", "openness"), ("therapist", "trust"), ("therapist", "anger")]
    others = gaps.drop(index=exceptions)["gap"].abs().max()
    similar = scenario.similar_gap_pp
    rows.append(
        ("largest other theme x informant gap (points)", others, f"<= {similar}", others <= similar)
    )
    overruled = consensus_resolutions(tables)["informant"].value_counts()
    n_units = len(tables["consensus"]) / 2
    for informant in schema.INFORMANTS:
        count = int(overruled.get(informant, 0))
        limit = 0.02 * n_units
        rows.append(
            (
                f"units where consensus overrules the majority, {informant}",
                count,
                f"between 1 and {limit:g}",
                1 <= count <= limit,
            )
        )
    prevalence = 100 * tables["ratings"].groupby("rater")["present"].mean().sort_values()
    spread = float(prevalence.diff().min())
    rows.append(("smallest gap between raters' prevalences (points)", spread, ">= 1", spread >= 1))
    wide = tables["ratings"].pivot_table(
        index=["session_id", "informant", "theme"], columns="rater", values="present"
    )
    split = (wide.min(axis=1) != wide.max(axis=1)).groupby(level="theme").mean()
    difficulty = {t["id"]: t["difficulty"] for t in load_codebook()["themes"]}
    by_level = split.groupby(split.index.map(difficulty)).mean()
    ratio = float(by_level["subtle"] / by_level["explicit"])
    rows.append(("disagreement, subtle over explicit themes", ratio, ">= 2", ratio >= 2))
    report = pd.DataFrame(rows, columns=["target", "value", "rule", "met"])
    return report.astype({"value": float, "met": bool})


def _shown(value: float) -> str:
    """Format a value with 4 decimals, or more when 4 would round across a 2-decimal boundary."""
    if float(value).is_integer():
        return str(int(value))
    for decimals in range(4, 13):
        text = f"{value:.{decimals}f}"
        if round_half_up(float(text), 2) == round_half_up(value, 2):
            return text
    return repr(float(value))


def _markdown_table(frame: pd.DataFrame) -> str:
    """Render a DataFrame as a Markdown table (text cells, no index)."""
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.shape[1]]
    lines += [
        "| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


def _sd_note() -> str:
    """Say, from the published figures alone, which SD conventions they are consistent with."""
    n = int(figure("n_clients_mizrahi").value + figure("n_clients_ashkenazi").value)
    mean, sd = figure("themes_therapist_mean"), figure("themes_therapist_sd")
    check = count_summary_consistency(n, mean.value, sd.value).set_index("ddof")["consistent"]
    fewer = [
        m
        for m in range(n - 10, n)
        if count_summary_consistency(m, mean.value, sd.value, ddofs=[1])["consistent"].iloc[0]
    ]
    verdict = {True: "consistent", False: "not consistent"}
    return (
        f"With {n} whole-number counts rounded half up, the published therapist figures "
        f"{mean.formatted()} ({sd.formatted()}) are {verdict[bool(check[0])]} with a population "
        f"SD and {verdict[bool(check[1])]} with a sample SD (`ddof=1`) over {n} interviews; a "
        f"sample SD over slightly fewer interviews ({', '.join(map(str, reversed(fewer)))}) "
        "would fit as well, and so would truncation instead of rounding. The choice is an "
        "inference from arithmetic (GRIM and GRIMMER checks), not something the article states."
    )


def render_readme(tables: Mapping[str, pd.DataFrame], seed: int, scale: int) -> str:
    """Return the text of ``README.md`` (data dictionary and provenance) for generated tables.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Tables from :func:`generate_study`.
    seed, scale : int
        The arguments they were generated with.

    Returns
    -------
    str
        Markdown rendered from the package's template, with the calibration values
        recomputed from ``tables`` and the column descriptions of :mod:`alliance.data.schema`.

    Examples
    --------
    >>> text = render_readme(generate_study(seed=1), seed=1, scale=1)
    >>> text.splitlines()[0]
    '# Study data: SYNTHETIC reconstruction'
    """
    report = calibration_report(tables, scale)
    calibration = pd.DataFrame(
        {
            "target": report["target"],
            "rule": report["rule"],
            "value": report["value"].map(_shown),
            "met": report["met"].map({True: "yes", False: "NO"}),
        }
    )
    coded = pd.concat([tables["ratings"], tables["consensus"].assign(rater="consensus")])
    prevalence = 100 * coded.pivot_table(
        index="rater", columns="informant", values="present", aggfunc="mean"
    )
    styles = {r: str(RATER_STYLES[r]["style"]) for r in RATERS} | {"consensus": "agreed coding"}
    raters = pd.DataFrame(
        {
            "rater": list(styles),
            "style": list(styles.values()),
            **{
                f"codes present, {informant} (%)": [
                    f"{prevalence.loc[r, informant]:.1f}" for r in styles
                ]
                for informant in schema.INFORMANTS
            },
        }
    )
    template = resources.files("alliance").joinpath("resources", "data_README.md")
    return string.Template(template.read_text("utf-8")).substitute(
        generator=GENERATOR,
        published_figures="\n".join(f"- {fig.label}: {fig.formatted()}" for fig in PUBLISHED),
        sd_ddof=THEMES_SD_DDOF,
        sd_note=_sd_note(),
        seed=seed,
        scale=scale,
        calibration_table=_markdown_table(calibration),
        clear_gap=f"{CLEAR_GAP_PP:g}",
        similar_gap=f"{SIMILAR_GAP_PP:g}",
        rater_table=_markdown_table(raters),
        resolution_table=_markdown_table(consensus_resolutions(tables).astype(str)),
        size_note=(
            "The tables have the published sample size."
            if scale == 1
            else f"The tables are {scale} times the published sample size (a benchmark "
            "data set); count targets below are multiplied accordingly."
        ),
        data_dictionary=schema.data_dictionary_markdown(),
    )


def _first_change(out: Path) -> str | None:
    """Name the first file of ``out`` that is not as its ``datapackage.json`` recorded it.

    ``None`` means ``out`` holds an untouched synthetic study: a ``datapackage.json``
    with the ``alliance:synthetic`` marker, and only files whose hash it records.
    """
    package_path = out / schema.DATAPACKAGE_FILE
    if not package_path.is_file():
        first = min(path.name for path in out.iterdir())
        return f"{first} (the folder has no {schema.DATAPACKAGE_FILE}: not written by {GENERATOR})"
    try:
        package = json.loads(package_path.read_bytes()[: 4 * 1024 * 1024].decode("utf-8"))
        recorded = {
            resource["path"]: resource["hash"]
            for resource in package["resources"]
            if isinstance(resource.get("path"), str)
        }
        synthetic = schema.SYNTHETIC_KEY in package
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError, OSError):
        return f"{schema.DATAPACKAGE_FILE} (not a data package written by {GENERATOR})"
    if not synthetic:
        return f"{schema.DATAPACKAGE_FILE} (no {schema.SYNTHETIC_KEY} marker: real data?)"
    for path in sorted(out.iterdir()):
        if path.name == schema.DATAPACKAGE_FILE:
            continue
        if path.name not in recorded:
            return f"{path.name} (not written by the generator)"
        if (
            not path.is_file()
            or path.is_symlink()
            or schema.file_sha256(path) != recorded[path.name]
        ):
            return f"{path.name} (edited after it was generated: its hash differs)"
    missing = sorted(set(recorded) - {path.name for path in out.iterdir()})
    return f"{missing[0]} (deleted after it was generated)" if missing else None


def _check_out_dir(out: Path, force: bool = False) -> None:
    """Refuse to write into a folder unless it is empty or holds an untouched synthetic study."""
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if force or not any(out.iterdir()):
        return
    changed = _first_change(out)
    if changed is not None:
        raise FileExistsError(
            f"{out} is not an untouched synthetic study, so it is not overwritten: first "
            f"change {changed}. Write elsewhere, or overwrite it anyway with --force "
            "(force=True)"
        )


def write_study(
    out_dir: Path | str, seed: int = DEFAULT_SEED, scale: int = 1, force: bool = False
) -> Path:
    """Generate the synthetic study and write every file of a study folder.

    Writes the eight tables as UTF-8 CSV (Unix line endings, rows sorted),
    ``codebook.yaml``, ``README.md`` and, last, ``datapackage.json`` with the
    hash of every file. The output depends only on ``seed`` and ``scale``.

    Parameters
    ----------
    out_dir : pathlib.Path or str
        Folder to write; created if needed. It must be empty or hold an earlier
        synthetic study untouched since it was written (every file as hashed in its
        ``datapackage.json``), which is replaced; anything else is refused.
    seed : int
        Random seed.
    scale : int
        Study size multiplier.
    force : bool, default False
        Overwrite the generator's files even in a folder that is refused otherwise
        (other files in it are left alone).

    Returns
    -------
    pathlib.Path
        The folder written.

    Raises
    ------
    FileExistsError
        If ``out_dir`` holds other files (for example real data) or an edited
        study, naming the first changed file, unless ``force``.
    CalibrationError
        If the generated tables miss a calibration target (nothing is written).

    Examples
    --------
    >>> import tempfile
    >>> folder = write_study(Path(tempfile.mkdtemp()) / "study", seed=1)
    >>> sorted(p.name for p in folder.iterdir())[:3]
    ['README.md', 'clients.csv', 'clinics.csv']
    """
    _check_arguments(seed, scale)
    out = Path(out_dir)
    _check_out_dir(out, force)
    tables = generate_study(seed, scale)
    readme = render_readme(tables, seed, scale)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        text = table.to_csv(index=False, lineterminator="\n")
        (out / f"{name}.csv").write_bytes(text.encode("utf-8"))
    (out / schema.CODEBOOK_FILE).write_bytes(codebook_text().encode("utf-8"))
    (out / schema.README_FILE).write_bytes(readme.encode("utf-8"))
    schema.write_datapackage(out, synthetic={"seed": seed, "scale": scale, "generator": GENERATOR})
    return out
