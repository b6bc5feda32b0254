"""An ensemble of plausible reconstructions: which results the abstract pins down.

One reconstruction cannot tell which of its numbers the article constrains and
which we invented. This module draws many: each member draws a scenario from the
declared prior (:func:`alliance.article.scenario.draw_scenario`) and generates a
study that passes :func:`alliance.article.reconstruction.calibration_report`;
a scenario whose study cannot be calibrated is redrawn and counted, never
dropped. The registry (:data:`REGISTRY`) computes every derived result from a
:class:`~alliance.data.dataset.Study` with the study layer's helpers, and
:func:`ensemble_summary` classifies each one:

* **fixed**: the same in every reconstruction, to printed precision;
* **constrained**: always on one side of the line the book draws;
* **assumed**: it depends on the scenario.

Member ``i`` of an ensemble with seed ``s`` draws from its own seed,
``numpy.random.SeedSequence(s).spawn(n)[i]``, so results do not depend on the
backend (joblib locally, or Dask through joblib's ``dask`` backend) or on the
number of workers.

Examples
--------
>>> members = ensemble_members(2, seed=5, n_jobs=1)
>>> int(members["member"].max()), bool((members["n_redrawn"] >= 0).all())
(1, True)
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config

from alliance.article.reconstruction import (
    GENERATOR,
    CalibrationError,
    Scenario,
    generate_study,
)
from alliance.article.scenario import draw_scenario, scenario_parameters
from alliance.article.scorecard import recompute_published, reproduces_article
from alliance.data.codebook import INFORMANTS, THEMES, facet_table, load_codebook, theme_table
from alliance.data.dataset import Study
from alliance.data.published import PUBLISHED, round_half_up
from alliance.study.dyads import compare_dyad_types, facet_indicators, informant_congruence
from alliance.study.reliability import compare_consensus_majority, theme_agreement
from alliance.study.robustness import detectable_differences, gee_by_therapist
from alliance.study.sampling import (
    DYAD_TYPES,
    attach_dyads,
    caseload_summary,
    therapist_caseloads,
)
from alliance.study.thematic import theme_prevalence, valence_counts, valence_mix

DEFAULT_N = 200
"""Members of the book's ensemble."""

DEFAULT_SEED = 2020
"""Seed of the book's ensemble."""

GENERATION_ATTEMPTS = 10
"""Consensus codings a member tries before its scenario counts as infeasible."""

MAX_REDRAWS = 100
"""Scenarios a member may redraw before the ensemble stops with an error."""

CLASSES: tuple[str, ...] = ("fixed", "constrained", "assumed")

SUMMARY_COLUMNS: tuple[str, ...] = (
    "result",
    "kind",
    "description",
    "book_value",
    "q05",
    "q50",
    "q95",
    "line",
    "share",
    "class",
    "n_members",
)


@dataclass(frozen=True)
class Result:
    """One registered result: a number the book reports, computed from a Study.

    Parameters
    ----------
    name : str
        Stable name (``rd.therapist.openness``), used by chapters to glue its class.
    description : str
        What it is, in words.
    kind : {"published", "count", "derived"}
        A published figure, a count fixed by the design, or a derived result.
    decimals : int
        Printed precision: values equal at this precision count as the same.
    line : float or None
        The line the book draws (e.g. 0 for a difference), or None.
    """

    name: str
    description: str
    kind: str = "derived"
    decimals: int = 2
    line: float | None = None


@dataclass(frozen=True)
class Statement:
    """A qualitative statement the book makes: ``result`` ``op`` ``line``.

    Parameters
    ----------
    name : str
        Stable name (``statement.openness_lower_in_discordant``).
    description : str
        The statement, in words.
    result : str
        The registered result it is about.
    op : {"<", ">", "<=", ">="}
        Comparison with ``line``.
    line : float
        The threshold.
    """

    name: str
    description: str
    result: str
    op: str
    line: float

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Return, for each value, whether the statement holds (False for NaN)."""
        compare = {"<": np.less, ">": np.greater, "<=": np.less_equal, ">=": np.greater_equal}
        with np.errstate(invalid="ignore"):
            return compare[self.op](np.asarray(values, dtype=float), self.line)


Compute = Callable[[Study], dict[str, float]]

REGISTRY: list[tuple[Compute, tuple[Result, ...]]] = []
"""(function, the results it returns) for every registered computation."""


def _register(*results: Result) -> Callable[[Compute], Compute]:
    def decorate(function: Compute) -> Compute:
        REGISTRY.append((function, results))
        return function

    return decorate


def _codes() -> list[tuple[str, str]]:
    return [(informant, theme) for informant in INFORMANTS for theme in THEMES]


@_register(
    *(
        Result(f"published.{fig.key}", fig.label, "published", fig.decimals, None)
        for fig in PUBLISHED
    )
)
def published_figures(study: Study) -> dict[str, float]:
    """Recompute every published figure (:mod:`alliance.article.scorecard`)."""
    table = recompute_published(study)
    return {f"published.{k}": float(v) for k, v in zip(table["key"], table["value"], strict=True)}


@_register(
    Result("count.sessions", "intake sessions (dyads)", "count", 0),
    *(Result(f"count.{d}", f"{d} dyads", "count", 0) for d in DYAD_TYPES),
    *(Result(f"count.codes.{i}", f"{i} theme codes (consensus)", "count", 0) for i in INFORMANTS),
    Result("count.therapist_anger.concordant", "therapist anger, concordant sessions", "count", 0),
    Result(
        "count.therapist_anger.discordant",
        "therapist anger, discordant sessions",
        "derived",
        0,
        0.0,
    ),
    *(
        Result(f"prevalence.{i}.{t}.{d}", f"{i} {t} prevalence, {d} dyads")
        for i, t in _codes()
        for d in DYAD_TYPES
    ),
)
def prevalences(study: Study) -> dict[str, float]:
    """Sessions, dyad types, codes and per-theme prevalence by dyad type (consensus)."""
    dyads = study.dyads
    coded = attach_dyads(study.consensus, dyads, columns=["dyad_type"])
    table = theme_prevalence(coded, by=["informant", "dyad_type"])
    values = {"count.sessions": float(len(dyads))}
    values |= {f"count.{d}": float((dyads["dyad_type"] == d).sum()) for d in DYAD_TYPES}
    codes = table.groupby("informant")["n_present"].sum()
    values |= {f"count.codes.{i}": float(codes[i]) for i in INFORMANTS}
    for row in table.itertuples():
        values[f"prevalence.{row.informant}.{row.theme}.{row.dyad_type}"] = float(row.prevalence)
        if (row.informant, row.theme) == ("therapist", "anger"):
            values[f"count.therapist_anger.{row.dyad_type}"] = float(row.n_present)
    return values


@_register(
    Result("caseload.share_both", "share of therapists who see both groups", line=0.5),
    Result("caseload.n_both", "therapists who see both groups", decimals=0),
    Result("caseload.n_single", "therapists with a single intake", decimals=0),
)
def caseloads(study: Study) -> dict[str, float]:
    """How many therapists see both groups (:func:`alliance.study.sampling.caseload_summary`)."""
    summary = caseload_summary(therapist_caseloads(study.therapists, study.dyads)).iloc[0]
    return {
        "caseload.share_both": float(summary["n_both_types"] / summary["n_therapists"]),
        "caseload.n_both": float(summary["n_both_types"]),
        "caseload.n_single": float(summary["n_single"]),
    }


@_register(
    *(
        Result(f"rd.{i}.{t}", f"{i} {t}: discordant minus concordant prevalence", line=0.0)
        for i, t in _codes()
    ),
    *(Result(f"p_fisher.{i}.{t}", f"{i} {t}: Fisher p", line=0.05) for i, t in _codes()),
    *(
        Result(f"gee.rd.{i}.{t}", f"{i} {t}: GEE risk difference by therapist", line=0.0)
        for i, t in _codes()
    ),
    Result(
        "rd_ci_low.therapist.anger", "lower 95% limit of the therapist anger difference", line=0.0
    ),
    Result("dyads.n_fisher_05", "codes with Fisher p < 0.05", decimals=0),
    Result("dyads.n_holm_05", "codes with Holm-adjusted p < 0.05", decimals=0),
    Result("dyads.n_ci_excludes_0", "codes whose 95% interval excludes 0", decimals=0),
    Result("icc.therapist", "estimated within-therapist correlation (GEE, mean over codes)"),
    Result("gee.max_shift_pp", "largest change of a difference by the GEE (points)", decimals=1),
    Result("mdd.median_pp", "median minimum detectable difference (points)", decimals=1),
    Result("mdd.min_pp", "smallest minimum detectable difference (points)", decimals=1),
)
def dyad_differences(study: Study) -> dict[str, float]:
    """Risk differences, Fisher and Holm, GEE by therapist and detectable differences."""
    dyads = study.dyads
    comparison = compare_dyad_types(study.consensus, dyads)
    gee = gee_by_therapist(study.consensus, dyads)
    cluster_size = len(dyads) / dyads["therapist_id"].nunique()
    detectable = detectable_differences(comparison, cluster_size=cluster_size, icc=0.0)
    values: dict[str, float] = {}
    for row in comparison.itertuples():
        values[f"rd.{row.informant}.{row.theme}"] = float(row.risk_difference)
        values[f"p_fisher.{row.informant}.{row.theme}"] = float(row.p_fisher)
        if (row.informant, row.theme) == ("therapist", "anger"):
            values["rd_ci_low.therapist.anger"] = float(row.ci_low)
    for row in gee.itertuples():
        values[f"gee.rd.{row.informant}.{row.theme}"] = float(row.risk_difference)
    excludes = (comparison["ci_low"] > 0) | (comparison["ci_high"] < 0)
    shift = (gee["risk_difference"] - comparison["risk_difference"]).abs().max()
    limits = detectable[["mdd_lower", "mdd_higher"]].abs().stack()
    return values | {
        "dyads.n_fisher_05": float((comparison["p_fisher"] < 0.05).sum()),
        "dyads.n_holm_05": float((comparison["p_holm"] < 0.05).sum()),
        "dyads.n_ci_excludes_0": float(excludes.sum()),
        "icc.therapist": float(gee["within_therapist_corr"].mean()),
        "gee.max_shift_pp": 100 * float(shift),
        "mdd.median_pp": 100 * float(limits.median()),
        "mdd.min_pp": 100 * float(limits.min()),
    }


FACET_KEYS: tuple[tuple[str, str, str], ...] = (
    ("client", "nonverbal", "negative"),
    ("client", "nonverbal", "positive"),
    ("therapist", "judgement", "negative"),
    ("therapist", "judgement", "positive"),
)


@_register(
    *(
        Result(
            f"facet_rd.{i}.{f}.{v}", f"{i} {v} {f} facets: discordant minus concordant", line=0.0
        )
        for i, f, v in FACET_KEYS
    )
)
def facet_differences(study: Study) -> dict[str, float]:
    """Compare facet groups between dyad types (:func:`~alliance.study.dyads.facet_indicators`)."""
    dyads = study.dyads
    codes = facet_indicators(study.facets, dyads, facet_table(study.codebook), level="group")
    table = compare_dyad_types(codes, dyads, by=["informant", "facet", "valence"])
    return {
        f"facet_rd.{row.informant}.{row.facet}.{row.valence}": float(row.risk_difference)
        for row in table.itertuples()
    }


@_register(
    *(
        Result(f"kappa.{i}.{t}", f"{i} {t}: Fleiss' kappa of the three raters", line=0.4)
        for i, t in _codes()
    ),
    Result(
        "consensus.n_changed", "units where the consensus differs from the majority", decimals=0
    ),
    Result("consensus.n_added", "units the consensus added against the majority", decimals=0),
    Result("consensus.n_dropped", "units the consensus dropped against the majority", decimals=0),
)
def coding_agreement(study: Study) -> dict[str, float]:
    """Per-theme kappas and consensus-versus-majority counts (:mod:`alliance.study.reliability`)."""
    kappas = theme_agreement(study.ratings, methods=["fleiss_kappa"])
    values = {
        f"kappa.{row.informant}.{row.theme}": float(row.estimate) for row in kappas.itertuples()
    }
    changes = compare_consensus_majority(study.ratings, study.consensus)["change"]
    return values | {
        "consensus.n_changed": float(changes.isin(["added", "dropped"]).sum()),
        "consensus.n_added": float((changes == "added").sum()),
        "consensus.n_dropped": float((changes == "dropped").sum()),
    }


@_register(
    *(Result(f"congruence.kappa.{t}", f"client-therapist kappa, {t}", line=0.0) for t in THEMES),
    Result("congruence.kappa_median", "median client-therapist kappa over themes", line=0.2),
    Result("congruence.agreement_mean", "mean client-therapist agreement over themes"),
)
def congruence(study: Study) -> dict[str, float]:
    """Client-therapist congruence (:func:`alliance.study.dyads.informant_congruence`)."""
    table = informant_congruence(study.consensus)
    values = {f"congruence.kappa.{row.theme}": float(row.kappa) for row in table.itertuples()}
    return values | {
        "congruence.kappa_median": float(table["kappa"].median()),
        "congruence.agreement_mean": float(table["agreement"].mean()),
    }


@_register(
    *(
        Result(f"valence.any_negative.{i}", f"{i}: interviews with a negative theme")
        for i in INFORMANTS
    ),
    *(Result(f"valence.mixed.{i}", f"{i}: interviews with both valences") for i in INFORMANTS),
    *(
        Result(
            f"valence.coherence.{i}",
            f"{i}: correlation of positive and negative counts per interview",
            line=0.0,
        )
        for i in INFORMANTS
    ),
)
def valence(study: Study) -> dict[str, float]:
    """Valence mix and coherence per interview (:func:`alliance.study.thematic.valence_counts`)."""
    themes = theme_table(study.codebook)
    counts = valence_counts(
        study.consensus, dict(zip(themes["theme"], themes["valence"], strict=True))
    )
    values = {}
    for row in valence_mix(counts).itertuples():
        values[f"valence.any_negative.{row.informant}"] = float(row.any_negative)
        values[f"valence.mixed.{row.informant}"] = float(row.mixed)
    for informant, rows in counts.groupby("informant"):
        values[f"valence.coherence.{informant}"] = float(rows["positive"].corr(rows["negative"]))
    return values


STATEMENTS: tuple[Statement, ...] = (
    Statement(
        "statement.openness_lower_in_discordant",
        "therapists describe openness less often in discordant dyads",
        "rd.therapist.openness",
        "<",
        0.0,
    ),
    Statement(
        "statement.trust_lower_in_discordant",
        "therapists describe trust less often in discordant dyads",
        "rd.therapist.trust",
        "<",
        0.0,
    ),
    Statement(
        "statement.nonverbal_negative_higher_in_discordant",
        "clients read the therapist's non-verbal cues negatively more often in discordant dyads",
        "facet_rd.client.nonverbal.negative",
        ">",
        0.0,
    ),
    Statement(
        "statement.anger_interval_excludes_0",
        "the 95% interval of the therapist anger difference excludes 0",
        "rd_ci_low.therapist.anger",
        ">",
        0.0,
    ),
    Statement(
        "statement.low_congruence",
        "client and therapist accounts agree little (median kappa below 0.2)",
        "congruence.kappa_median",
        "<",
        0.2,
    ),
    Statement(
        "statement.most_therapists_see_both",
        "most therapists see clients of both groups",
        "caseload.share_both",
        ">",
        0.5,
    ),
    *(
        Statement(
            f"statement.valence_clusters.{i}",
            f"{i}s' positive and negative themes fall in different interviews",
            f"valence.coherence.{i}",
            "<",
            0.0,
        )
        for i in INFORMANTS
    ),
    Statement(
        "statement.therapist_icc_near_0",
        "sessions of the same therapist are nearly independent (mean correlation below 0.05)",
        "icc.therapist",
        "<",
        0.05,
    ),
    Statement(
        "statement.clustering_costs_little",
        "adjusting for therapists moves no difference by 5 points or more",
        "gee.max_shift_pp",
        "<",
        5.0,
    ),
    Statement(
        "statement.few_exceptions_after_holm",
        "at most 3 codes differ after Holm's adjustment",
        "dyads.n_holm_05",
        "<=",
        3.0,
    ),
)
"""Qualitative statements the book makes, each about one registered result."""


def registered_results() -> list[Result]:
    """Return every registered result, in registry order.

    Returns
    -------
    list of Result

    Examples
    --------
    >>> names = [r.name for r in registered_results()]
    >>> "rd.therapist.openness" in names and len(names) == len(set(names))
    True
    """
    return [result for _, results in REGISTRY for result in results]


def result_values(study: Study) -> dict[str, float]:
    """Run every registered function on a study.

    Parameters
    ----------
    study : alliance.data.dataset.Study

    Returns
    -------
    dict of str to float
        One value per registered result (NaN when undefined in this study).

    Raises
    ------
    KeyError
        If a registered function returns a name it did not declare, or misses one.

    Examples
    --------
    >>> from alliance.data.dataset import load_study
    >>> values = result_values(load_study())
    >>> values["published.n_clinics"], values["count.therapist_anger.concordant"]
    (4.0, 0.0)
    """
    values: dict[str, float] = {}
    for function, results in REGISTRY:
        computed = function(study)
        declared = {r.name for r in results}
        extra = set(computed) - declared
        if extra:
            raise KeyError(f"{function.__name__} returned undeclared results {sorted(extra)}")
        values |= {r.name: float(computed.get(r.name, np.nan)) for r in results}
    return values


def member_seed(seed: int, index: int) -> np.random.SeedSequence:
    """Return the seed of member ``index``: ``SeedSequence(seed).spawn(n)[index]``.

    Examples
    --------
    >>> member_seed(7, 2).spawn_key == np.random.SeedSequence(7).spawn(3)[2].spawn_key
    True
    """
    return np.random.SeedSequence(seed, spawn_key=(index,))


def _study(tables: Mapping[str, pd.DataFrame]) -> Study:
    """Wrap generated tables in a Study, as :func:`alliance.load_study` would return them."""
    return Study(
        **tables, codebook=load_codebook(), path=Path(), synthetic={"generator": GENERATOR}
    )


def member_study(
    seed: int, index: int
) -> tuple[Scenario, dict[str, pd.DataFrame], int, Counter[str], Counter[str]]:
    """Draw the calibrated study of member ``index`` of the ensemble ``seed``.

    Scenarios are drawn from the prior until one gives a study that passes the
    calibration report; every rejected draw is counted with the targets it missed.

    Parameters
    ----------
    seed, index : int
        Ensemble seed and member index.

    Returns
    -------
    tuple
        The accepted scenario, the study tables, the number of rejected draws,
        their reasons (calibration target -> count; a draw may miss several) and
        the partial draws the prior's truncations discarded, by reason
        (:func:`alliance.article.scenario.draw_scenario`).

    Raises
    ------
    RuntimeError
        If :data:`MAX_REDRAWS` scenarios in a row cannot be calibrated.
    """
    rng = np.random.default_rng(member_seed(seed, index))
    reasons: Counter[str] = Counter()
    truncated: Counter[str] = Counter()
    for redrawn in range(MAX_REDRAWS):
        scenario = draw_scenario(rng, name=f"member {index}", truncated=truncated)
        study_seed = int(rng.integers(2**31))
        try:
            tables = generate_study(study_seed, scenario=scenario, attempts=GENERATION_ATTEMPTS)
        except CalibrationError as error:
            reasons.update(error.report.loc[~error.report["met"], "target"])
        except RuntimeError:
            reasons["no coding fits the drawn design"] += 1
        else:
            return scenario, tables, redrawn, reasons, truncated
    raise RuntimeError(
        f"member {index} of ensemble {seed}: {MAX_REDRAWS} scenarios in a row could not be "
        f"calibrated ({dict(reasons)}); check the prior in alliance.article.scenario"
    )


def reconstruct_member(seed: int, index: int) -> dict[str, Any]:
    """Draw member ``index`` of the ensemble ``seed`` and compute every registered result.

    Parameters
    ----------
    seed, index : int
        Ensemble seed and member index.

    Returns
    -------
    dict
        ``member``, ``n_redrawn`` (scenarios rejected before the accepted one),
        ``rejections`` (the calibration targets they missed, with counts,
        ``;``-separated), ``n_truncated`` (partial draws discarded by the
        prior's truncations), ``param.*`` (the scenario,
        :func:`alliance.article.scenario.scenario_parameters`) and one entry per
        registered result.
    """
    scenario, tables, redrawn, reasons, truncated = member_study(seed, index)
    params = {f"param.{k}": v for k, v in scenario_parameters(scenario).items()}
    return {
        "member": index,
        "n_redrawn": redrawn,
        "rejections": "; ".join(f"{k} ({n})" for k, n in sorted(reasons.items())),
        "n_truncated": sum(truncated.values()),
        **params,
        **result_values(_study(tables)),
    }


def _progress(items: Iterable[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    """Collect results, drawing a progress bar on stderr when it is a terminal."""
    show = sys.stderr.isatty()
    rows = []
    for done, item in enumerate(items, start=1):
        rows.append(item)
        if show:
            filled = int(30 * done / total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
            sys.stderr.flush()
    if show:
        sys.stderr.write("\n")
    return rows


def ensemble_members(
    n: int, seed: int = DEFAULT_SEED, n_jobs: int = -1, backend: str | None = None
) -> pd.DataFrame:
    """Draw ``n`` members in parallel (joblib; ``backend="dask"`` for a Dask cluster).

    Parameters
    ----------
    n : int
        Number of members.
    seed : int
        Ensemble seed; member ``i`` uses :func:`member_seed` ``(seed, i)``.
    n_jobs : int, default -1
        joblib workers (-1: all cores).
    backend : str, optional
        joblib backend, e.g. ``"dask"`` (needs a ``distributed.Client``).

    Returns
    -------
    pandas.DataFrame
        One row per member, sorted by ``member`` (see :func:`reconstruct_member`).

    Examples
    --------
    >>> members = ensemble_members(1, seed=3, n_jobs=1)
    >>> members.loc[0, "published.kappa_client"].round(2)
    np.float64(0.7)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    context = parallel_config(backend=backend) if backend else nullcontext()
    with context:
        runner = Parallel(n_jobs=n_jobs, return_as="generator")
        rows = _progress(runner(delayed(reconstruct_member)(seed, i) for i in range(n)), n)
    return pd.DataFrame(rows).sort_values("member", ignore_index=True)


def classify(values: Iterable[float], decimals: int, line: float | None) -> str:
    """Classify a result from its values across the ensemble.

    Parameters
    ----------
    values : iterable of float
        One value per member.
    decimals : int
        Printed precision.
    line : float or None
        The line the book draws.

    Returns
    -------
    str
        ``fixed`` (all equal at ``decimals``), ``constrained`` (all strictly on
        one side of ``line``) or ``assumed``.

    Examples
    --------
    >>> classify([0.701, 0.699, 0.704], 2, None), classify([0.1, 0.3], 2, 0.0)
    ('fixed', 'constrained')
    >>> classify([-0.1, 0.3], 2, 0.0)
    'assumed'
    """
    array = np.asarray(list(values), dtype=float)
    rounded = {round_half_up(v, decimals) if np.isfinite(v) else "nan" for v in array}
    if len(rounded) == 1:
        return "fixed"
    if line is not None and np.isfinite(array).all():
        if (array > line).all() or (array < line).all():
            return "constrained"
    return "assumed"


def ensemble_summary(members: pd.DataFrame, book: Mapping[str, float]) -> pd.DataFrame:
    """Summarise the ensemble: each result and statement, its range and its class.

    Parameters
    ----------
    members : pandas.DataFrame
        :func:`ensemble_members`.
    book : mapping of str to float
        :func:`result_values` of the book's own reconstruction.

    Returns
    -------
    pandas.DataFrame
        One row per registered result, then one per statement: ``result``,
        ``kind`` (``published``, ``count``, ``derived`` or ``statement``),
        ``description``, ``book_value``, ``q05``, ``q50``, ``q95`` (ensemble
        percentiles; for a statement, of its result), ``line``, ``share``
        (members on the book's side of the line; for a statement, members where
        it holds), ``class`` and ``n_members``.

    Raises
    ------
    KeyError
        If a registered result is missing from ``members`` or ``book``.

    Examples
    --------
    A one-member "ensemble" that is the book itself makes every result fixed:

    >>> from alliance.data.dataset import load_study
    >>> book = result_values(load_study())
    >>> table = ensemble_summary(pd.DataFrame([book]), book)
    >>> table["class"].unique().tolist()
    ['fixed']
    """
    results = registered_results()
    missing = [r.name for r in results if r.name not in members or r.name not in book]
    if missing:
        raise KeyError(f"registered results missing from the ensemble: {missing}")
    rows = []
    for result in results:
        values = members[result.name].to_numpy(dtype=float)
        klass = classify(values, result.decimals, result.line)
        rows.append(_row(result, values, book[result.name], klass))
    by_name = {r.name: r for r in results}
    for statement in STATEMENTS:
        source = by_name[statement.result]
        values = members[statement.result].to_numpy(dtype=float)
        holds = statement.holds(values)
        if classify(values, source.decimals, None) == "fixed":
            klass = "fixed"
        else:
            klass = "constrained" if holds.all() or not holds.any() else "assumed"
        book_holds = float(statement.holds(np.array([book[statement.result]]))[0])
        row = _row(source, values, book_holds, klass)
        row |= {
            "result": statement.name,
            "kind": "statement",
            "description": statement.description,
            "line": statement.line,
            "share": float(holds.mean()),
        }
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _row(result: Result, values: np.ndarray, book: float, klass: str) -> dict[str, Any]:
    """One summary row: percentiles, the share on the book's side of the line, the class."""
    finite = values[np.isfinite(values)]
    q05, q50, q95 = np.quantile(finite, [0.05, 0.5, 0.95]) if finite.size else [np.nan] * 3
    share = np.nan
    if klass == "fixed":
        share = 1.0
    elif result.line is not None and np.isfinite(book):
        share = float((np.sign(values - result.line) == np.sign(book - result.line)).mean())
    return {
        "result": result.name,
        "kind": result.kind,
        "description": result.description,
        "book_value": book,
        "q05": float(q05),
        "q50": float(q50),
        "q95": float(q95),
        "line": np.nan if result.line is None else result.line,
        "share": share,
        "class": klass,
        "n_members": len(values),
    }


GENERATOR_INPUTS: tuple[str, ...] = (
    "article/reconstruction.py",
    "article/scenario.py",
    "data/published.py",
    "resources/codebook.yaml",
    "resources/excerpts.yaml",
)
"""Package files (relative to ``alliance``) whose hash a committed ensemble records."""

COMMITTED: dict[str, str] = {
    "summary": "ensemble_summary.csv",
    "members": "ensemble_members.csv",
    "provenance": "ensemble_summary.json",
}
"""Files of the book's committed ensemble, in ``alliance/resources``."""


def input_hash() -> str:
    """Return the SHA-256 of the generator's inputs (:data:`GENERATOR_INPUTS`).

    Returns
    -------
    str
        Hex digest over each file's path and bytes, in the listed order.

    Examples
    --------
    >>> len(input_hash())
    64
    """
    digest = hashlib.sha256()
    root = resources.files("alliance")
    for name in GENERATOR_INPUTS:
        digest.update(name.encode("utf-8") + b"\0" + root.joinpath(name).read_bytes())
    return digest.hexdigest()


def acceptance_rate(members: pd.DataFrame) -> float:
    """Share of drawn scenarios that gave a calibrated reconstruction.

    Parameters
    ----------
    members : pandas.DataFrame
        :func:`ensemble_members` (``n_redrawn``).

    Returns
    -------
    float
        Members divided by members plus redrawn scenarios.

    Examples
    --------
    >>> acceptance_rate(pd.DataFrame({"n_redrawn": [0, 1, 0, 3]}))
    0.5
    """
    return len(members) / (len(members) + int(members["n_redrawn"].sum()))


def provenance(members: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Return the record that travels with a summary: generator, inputs, seed, acceptance.

    Parameters
    ----------
    members : pandas.DataFrame
        :func:`ensemble_members`.
    seed : int
        The ensemble seed.

    Returns
    -------
    dict
        ``generator``, ``version`` (of the package), ``inputs_sha256``
        (:func:`input_hash`), ``seed``, ``n``, ``n_redrawn``, ``acceptance_rate``
        and ``n_truncated`` (partial draws discarded by the prior's truncations).

    Examples
    --------
    >>> record = provenance(pd.DataFrame({"n_redrawn": [0, 2], "n_truncated": [1, 0]}), seed=1)
    >>> record["n"], record["acceptance_rate"]
    (2, 0.5)
    """
    try:
        package = version("alliance-compendium")
    except PackageNotFoundError:  # a bare checkout
        package = "unknown"
    return {
        "generator": GENERATOR,
        "version": package,
        "inputs_sha256": input_hash(),
        "seed": int(seed),
        "n": len(members),
        "n_redrawn": int(members["n_redrawn"].sum()),
        "acceptance_rate": acceptance_rate(members),
        "n_truncated": int(members["n_truncated"].sum()),
    }


def _check_target(path: Path) -> None:
    """Refuse to overwrite a file that is not an earlier ensemble table or provenance record."""
    if not path.exists():
        return
    text = path.read_text("utf-8", errors="replace") if path.is_file() else ""
    if path.suffix == ".json":
        ours = f'"generator": "{GENERATOR}"' in text
    else:
        ours = text.startswith(("result,", "member,"))
    if not ours:
        raise FileExistsError(
            f"{path} exists and is not an ensemble table written by this command; "
            "refusing to overwrite it"
        )


def write_ensemble(
    out: Path | str,
    n: int = DEFAULT_N,
    seed: int = DEFAULT_SEED,
    members_out: Path | str | None = None,
    n_jobs: int = -1,
    backend: str | None = None,
) -> pd.DataFrame:
    """Run the ensemble and write its summary (CSV), provenance (JSON) and members.

    The summary goes to ``out``, its provenance (:func:`provenance`) beside it
    with the suffix ``.json``, and the member table to ``members_out`` if given.
    The book's values come from the committed study (``data/``).

    Parameters
    ----------
    out : path
        Summary CSV to write.
    n, seed : int
        Members and ensemble seed.
    members_out : path, optional
        Member table CSV to write.
    n_jobs, backend
        As in :func:`ensemble_members`.

    Returns
    -------
    pandas.DataFrame
        The summary (:func:`ensemble_summary`).

    Raises
    ------
    FileExistsError
        If a target exists and is not an earlier ensemble table.
    """
    from alliance.data.dataset import load_study

    targets = [Path(out), Path(out).with_suffix(".json")]
    targets += [Path(members_out)] if members_out else []
    for target in targets:
        _check_target(target)
    members = ensemble_members(n, seed, n_jobs=n_jobs, backend=backend)
    summary = ensemble_summary(members, result_values(load_study()))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out, index=False, lineterminator="\n")
    record = json.dumps(provenance(members, seed), indent=2) + "\n"
    Path(out).with_suffix(".json").write_text(record, "utf-8")
    if members_out:
        members.to_csv(members_out, index=False, lineterminator="\n")
    return summary


@dataclass(frozen=True)
class Ensemble:
    """The book's committed ensemble.

    Attributes
    ----------
    summary : pandas.DataFrame
        :func:`ensemble_summary`.
    members : pandas.DataFrame
        :func:`ensemble_members`.
    provenance : dict
        :func:`provenance`.
    """

    summary: pd.DataFrame
    members: pd.DataFrame
    provenance: dict[str, Any]


def load_ensemble() -> Ensemble:
    """Read the book's committed ensemble from the package (:data:`COMMITTED`).

    It is written by ``python -m alliance ensemble --n 200 --seed 2020 --out
    src/alliance/resources/ensemble_summary.csv --members
    src/alliance/resources/ensemble_members.csv``; ``tests/test_ensemble.py``
    recomputes a sample of its members and checks its recorded input hash.

    Returns
    -------
    Ensemble

    Examples
    --------
    >>> ensemble = load_ensemble()
    >>> ensemble.provenance["n"] == len(ensemble.members) >= 200
    True
    """
    folder = resources.files("alliance").joinpath("resources")
    with folder.joinpath(COMMITTED["summary"]).open("rb") as handle:
        summary = pd.read_csv(handle)
    with folder.joinpath(COMMITTED["members"]).open("rb") as handle:
        members = pd.read_csv(handle, keep_default_na=False, na_values=["", "NaN", "nan"])
    record = json.loads(folder.joinpath(COMMITTED["provenance"]).read_text("utf-8"))
    return Ensemble(summary=summary, members=members, provenance=record)


def _percent(share: float) -> str:
    """Format a share as a whole percentage that never rounds a minority away (0.996: >99%)."""
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share:.0%}"


def ensemble_note(study: Study, name: str, summary: pd.DataFrame | None = None) -> str:
    """Say how far the article pins down a result, for the study a chapter runs on.

    The ensemble describes reconstructions of the article, so its classes apply only
    when the study is that reconstruction; for any other study folder the note says so.

    Parameters
    ----------
    study : alliance.data.dataset.Study
        The chapter's study.
    name : str
        A registered result or statement name (see :func:`ensemble_phrase`).
    summary : pandas.DataFrame, optional
        An ensemble summary; defaults to the book's committed one (:func:`load_ensemble`).

    Returns
    -------
    str
        :func:`ensemble_phrase` for the article's reconstruction, otherwise a note
        that the ensemble does not apply.

    Examples
    --------
    >>> from alliance.data.dataset import load_study
    >>> ensemble_note(load_study(), "published.n_clinics")
    'the same in every one of the reconstructions consistent with the article; fixed by the published figures'
    """  # noqa: E501
    if not reproduces_article(study.synthetic)[0]:
        return "not classified: these data are not a reconstruction of the article"
    summary = load_ensemble().summary if summary is None else summary
    return ensemble_phrase(summary, name)


def ensemble_phrase(summary: pd.DataFrame, name: str) -> str:
    """Say, for a result or statement, how far the article pins it down: a glue-ready phrase.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`ensemble_summary` (e.g. ``load_ensemble().summary``).
    name : str
        A registered result or statement name (see :func:`registered_results`
        and :data:`STATEMENTS`).

    Returns
    -------
    str
        E.g. ``"holds in 41% of reconstructions consistent with the article;
        an assumption of ours"``.

    Raises
    ------
    KeyError
        If ``name`` is not in the summary.

    Examples
    --------
    >>> summary = pd.DataFrame({"result": ["s"], "kind": ["statement"], "class": ["assumed"],
    ...                         "share": [0.41], "line": [0.0], "q05": [-1.0], "q95": [1.0]})
    >>> ensemble_phrase(summary, "s")
    'holds in 41% of reconstructions consistent with the article; an assumption of ours'
    """
    rows = summary.set_index("result")
    if name not in rows.index:
        raise KeyError(f"{name!r} is not a result of the ensemble summary")
    row = rows.loc[name]
    where = "reconstructions consistent with the article"
    if row["class"] == "fixed":
        return f"the same in every one of the {where}; fixed by the published figures"
    statement = row["kind"] == "statement"
    if row["class"] == "constrained":
        if statement:
            verb = "holds in every one" if row["share"] == 1 else "holds in none"
            return f"{verb} of the {where}; determined by the published figures"
        return (
            f"on the same side of {row['line']:g} in every one of the {where}; "
            "determined by the published figures"
        )
    if statement:
        return f"holds in {_percent(row['share'])} of {where}; an assumption of ours"
    if np.isfinite(row["share"]):
        return (
            f"on the book's side of {row['line']:g} in {_percent(row['share'])} of {where}; "
            "an assumption of ours"
        )
    return f"between {row['q05']:.2f} and {row['q95']:.2f} in 90% of {where}; an assumption of ours"


DISCUSSED: dict[str, str] = {
    "rd.therapist.openness": "therapist openness, discordant minus concordant",
    "rd.therapist.trust": "therapist trust, discordant minus concordant",
    "facet_rd.client.nonverbal.negative": "client negative non-verbal reading, difference",
    "rd.therapist.anger": "therapist anger, discordant minus concordant",
    "congruence.kappa_median": "client-therapist congruence (median kappa)",
    "valence.coherence.client": "valence coherence, clients (correlation)",
    "valence.coherence.therapist": "valence coherence, therapists (correlation)",
    "icc.therapist": "within-therapist correlation (GEE)",
    "caseload.share_both": "share of therapists who see both groups",
}
"""Results the earlier chapters discuss, with short labels (all on a -1 to 1 scale)."""


def ensemble_draws(members: pd.DataFrame, results: Iterable[str]) -> pd.DataFrame:
    """Return the members' values of some results as a long table.

    Parameters
    ----------
    members : pandas.DataFrame
        :func:`ensemble_members`.
    results : iterable of str
        Registered result names.

    Returns
    -------
    pandas.DataFrame
        ``member``, ``result`` and ``value``, in the order of ``results``.

    Examples
    --------
    >>> members = pd.DataFrame({"member": [0, 1], "a": [0.1, 0.2], "b": [1.0, 2.0]})
    >>> ensemble_draws(members, ["b"])["value"].tolist()
    [1.0, 2.0]
    """
    names = list(results)
    long = members.melt(id_vars="member", value_vars=names, var_name="result")
    return long.reset_index(drop=True)


def rejection_reasons(members: pd.DataFrame) -> pd.DataFrame:
    """Count the calibration targets missed by the redrawn scenarios.

    Parameters
    ----------
    members : pandas.DataFrame
        :func:`ensemble_members` (``rejections``).

    Returns
    -------
    pandas.DataFrame
        ``reason`` and ``n`` (misses; one scenario may miss several targets),
        most frequent first; empty when nothing was redrawn.

    Examples
    --------
    >>> members = pd.DataFrame({"rejections": ["a (2); b (1)", "", "a (1)"]})
    >>> rejection_reasons(members).to_dict("list")
    {'reason': ['a', 'b'], 'n': [3, 1]}
    """
    counts: Counter[str] = Counter()
    for text in members["rejections"].fillna(""):
        for part in filter(None, text.split("; ")):
            reason, _, n = part.rpartition(" (")
            counts[reason] += int(n.rstrip(")"))
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return pd.DataFrame(rows, columns=["reason", "n"]).astype({"n": int})


def classification_overview(summary: pd.DataFrame) -> pd.DataFrame:
    """Count the results of each kind in each class.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`ensemble_summary`.

    Returns
    -------
    pandas.DataFrame
        One row per kind (``published``, ``count``, ``derived``, ``statement``)
        and one column per class of :data:`CLASSES`, plus ``total``.

    Examples
    --------
    >>> summary = pd.DataFrame({"kind": ["published", "derived", "derived"],
    ...                         "class": ["fixed", "assumed", "constrained"]})
    >>> classification_overview(summary).loc["derived"].tolist()
    [0, 1, 1, 2]
    """
    kinds = [k for k in ("published", "count", "derived", "statement") if k in set(summary["kind"])]
    table = pd.crosstab(summary["kind"], summary["class"]).reindex(
        index=kinds, columns=list(CLASSES), fill_value=0
    )
    table["total"] = table.sum(axis=1)
    table.columns.name = None
    return table


def statement_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Tabulate the book's statements: does each hold in the book, and how often elsewhere.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`ensemble_summary`.

    Returns
    -------
    pandas.DataFrame
        ``statement`` (its description), ``in the book`` (``yes``/``no``),
        ``share of reconstructions`` (rounded to 2 decimals) and ``class``, in
        the order of :data:`STATEMENTS`.

    Examples
    --------
    >>> summary = pd.DataFrame({"kind": ["statement"], "description": ["x"],
    ...                         "book_value": [1.0], "share": [0.456], "class": ["assumed"]})
    >>> print(statement_table(summary).to_string(index=False))
    statement in the book  share of reconstructions   class
            x         yes                      0.46 assumed
    """
    rows = summary[summary["kind"] == "statement"]
    return pd.DataFrame(
        {
            "statement": rows["description"],
            "in the book": rows["book_value"].map({1.0: "yes", 0.0: "no"}),
            "share of reconstructions": rows["share"].round(2),
            "class": rows["class"],
        }
    ).reset_index(drop=True)


def cli(n: int, seed: int, out: Path, members_out: Path | None, n_jobs: int) -> int:
    """Run ``python -m alliance ensemble``: write the summary and print what was done.

    Parameters
    ----------
    n, seed : int
        Members and ensemble seed.
    out : pathlib.Path
        Summary CSV (its provenance goes beside it, as ``.json``).
    members_out : pathlib.Path or None
        Member table CSV, if wanted.
    n_jobs : int
        joblib workers (-1: all cores).

    Returns
    -------
    int
        0 on success.

    Raises
    ------
    ValueError
        If ``n`` or ``seed`` is out of range.
    FileExistsError
        If ``out`` exists and was not written by this command (the command line
        prints it in one line and exits with 2).
    """
    summary = write_ensemble(out, n, seed, members_out, n_jobs)
    record = json.loads(Path(out).with_suffix(".json").read_text("utf-8"))
    counts = summary["class"].value_counts().reindex(CLASSES, fill_value=0)
    print(
        f"wrote {len(summary)} results of {n} reconstructions (seed {seed}) to {out}; "
        f"acceptance rate {record['acceptance_rate']:.2f} "
        f"({record['n_redrawn']} scenarios redrawn); "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return 0
