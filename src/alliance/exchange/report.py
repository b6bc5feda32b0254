"""The key tables of the analysis for any study folder: ``python -m alliance report DIR``.

The report validates the folder (as ``python -m alliance validate DIR`` does)
and then prints, as plain text, the three results a reader of the article
looks for: how reliably the raters coded, how many themes each informant
described per session, and how each theme's prevalence compares between
concordant and discordant dyads. Every table comes from the same helpers the
book's chapters use (:mod:`alliance.study.reliability`,
:mod:`alliance.study.session_counts`, :mod:`alliance.study.dyads`), so the report and the
book agree on any study in the compendium's schema.

Examples
--------
>>> tables = report_tables(load_study())
>>> list(tables)
['study', 'coverage', 'reliability', 'themes_per_session', 'dyad_comparison']
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from alliance.data.dataset import (
    Study,
    StudyValidationError,
    coding_coverage,
    load_study,
    printable,
)
from alliance.data.published import THEMES_SD_DDOF
from alliance.data.schema import DATAPACKAGE_FILE, data_dictionary
from alliance.stats.checks import InsufficientData
from alliance.study.dyads import compare_dyad_types, compare_groups
from alliance.study.reliability import informant_agreement
from alliance.study.sampling import attach_dyads
from alliance.study.session_counts import summarise_counts, themes_per_session

__all__ = [
    "RELIABILITY_METHODS",
    "datapackage_fields",
    "format_report",
    "natural_sorted",
    "print_report",
    "report_tables",
    "theme_names",
]

RELIABILITY_METHODS: tuple[str, ...] = ("fleiss_kappa", "gwet_ac1", "krippendorff_alpha")
"""Agreement coefficients the report shows (see :mod:`alliance.stats.agreement`)."""

DECIMALS = 3
"""Decimals of the printed estimates (proportions, kappas, means)."""


def _provenance(study: Study) -> str:
    if study.synthetic is None:
        return "provenance not declared (no alliance:synthetic property in datapackage.json)"
    made = ", ".join(f"{key} {value}" for key, value in sorted(study.synthetic.items()))
    return f"SYNTHETIC data ({made})"


def _attempt(analysis: Callable[[], pd.DataFrame]) -> pd.DataFrame | str:
    """Run one analysis; if the data cannot support it, return the one-line reason instead."""
    try:
        return analysis()
    except InsufficientData as reason:
        return f"not computed: {reason}"


def _overlap(ratings: pd.DataFrame) -> pd.DataFrame:
    """Keep the ratings of interviews coded by two or more raters (what reliability can use)."""
    given = ratings[ratings["present"].notna()]
    raters = given.groupby(["session_id", "informant"])["rater"].transform("nunique")
    return given[raters >= 2]


def report_tables(study: Study) -> dict[str, pd.DataFrame | str]:
    """Compute the report's tables for a loaded study.

    Parameters
    ----------
    study : alliance.data.dataset.Study
        From :func:`alliance.data.dataset.load_study`.

    Returns
    -------
    dict of str to pandas.DataFrame or str
        ``study``: one row per group of the design (``dyad_type``) with
        ``sessions``, ``therapists`` and ``clients``; ``coverage``:
        :func:`alliance.data.dataset.coding_coverage`; ``reliability``:
        :func:`alliance.study.reliability.informant_agreement` for
        :data:`RELIABILITY_METHODS` on the interviews two or more raters coded
        (the overlap); ``themes_per_session``:
        :func:`alliance.study.session_counts.summarise_counts` of the consensus by
        informant and by informant x group; ``dyad_comparison``:
        :func:`alliance.study.dyads.compare_dyad_types` of the consensus for two
        groups, :func:`alliance.study.dyads.compare_groups` for more. An
        analysis the data cannot support
        (:class:`alliance.stats.checks.InsufficientData`, e.g. reliability when
        no interview was coded twice) is a one-line text saying why, in place
        of its table.

    Examples
    --------
    >>> tables = report_tables(load_study())
    >>> tables["study"]["sessions"].tolist()
    [26, 29]
    """
    dyads = study.dyads
    design = study.design
    groups = list(design.grouping.labels)
    composition = (
        dyads.groupby("dyad_type")
        .agg(
            sessions=("session_id", "nunique"),
            therapists=("therapist_id", "nunique"),
            clients=("client_id", "nunique"),
        )
        .reindex(groups, fill_value=0)
        .rename_axis("dyad_type")
        .reset_index()
    )
    counts = attach_dyads(
        themes_per_session(study.consensus, themes=design.themes), dyads, columns=["dyad_type"]
    )

    def per_session() -> pd.DataFrame:
        table = pd.concat(
            [
                summarise_counts(counts, by=["informant"], ddof=THEMES_SD_DDOF).assign(
                    dyad_type="all"
                ),
                summarise_counts(counts, by=["informant", "dyad_type"], ddof=THEMES_SD_DDOF),
            ],
            ignore_index=True,
        )
        order = {name: rank for rank, name in enumerate(["all", *groups])}
        table = table.sort_values(
            ["informant", "dyad_type"], key=lambda c: c.map(order) if c.name == "dyad_type" else c
        )
        columns = ["informant", "dyad_type", "n", "mean", "sd", "median", "min", "max"]
        return table[columns].reset_index(drop=True)

    def reliability() -> pd.DataFrame:
        overlap = _overlap(study.ratings)
        if overlap.empty:
            raise InsufficientData(
                "no interview was coded by two or more raters, so there is no overlap to "
                "compute agreement on"
            )
        return informant_agreement(overlap, methods=list(RELIABILITY_METHODS))

    def comparison() -> pd.DataFrame:
        compare = compare_dyad_types if len(groups) == 2 else compare_groups
        return compare(study.consensus, dyads, groups=groups, themes=design.themes)

    return {
        "study": composition,
        "coverage": coding_coverage(study),
        "reliability": _attempt(reliability),
        "themes_per_session": _attempt(per_session),
        "dyad_comparison": _attempt(comparison),
    }


def _comparison_text(comparison: pd.DataFrame, names: dict[str, str], groups: list[str]) -> str:
    """Render the group comparison as text: theme names, counts as present/sessions, the tests."""
    shown = comparison.assign(theme=comparison["theme"].map(names))
    for group in groups:
        shown[group] = (
            comparison[f"present_{group}"].astype(str) + "/" + comparison[f"n_{group}"].astype(str)
        )
    tests = (
        ["risk_difference", "ci_low", "ci_high", "p_fisher", "p_holm"]
        if len(groups) == 2
        else ["chi2", "dof", "p_chi2", "min_expected", "p_holm"]
    )
    return shown[["informant", "theme", *groups, *tests]].round(DECIMALS).to_string(index=False)


def theme_names(study: Study) -> dict[str, str]:
    """Map each theme id of a study to its name in the study's codebook (its label).

    Examples
    --------
    >>> theme_names(load_study())["disengagement"]
    'emotional disengagement'
    """
    return {
        str(theme["id"]): str(theme.get("label") or theme["id"])
        for theme in study.codebook["themes"]
    }


def natural_sorted(names: object) -> list[str]:
    """Sort names (raters, sessions) so that digits count as numbers: R2 before R10.

    Examples
    --------
    >>> natural_sorted(["R10", "Noa", "R2", "Amir"])
    ['Amir', 'Noa', 'R2', 'R10']
    """
    return sorted(
        map(str, names),  # type: ignore[call-overload]
        key=lambda n: [
            (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", n)
        ],
    )


def _grouped(table: pd.DataFrame) -> pd.DataFrame:
    """Head the session's group column ``group`` (its name in the tables is ``dyad_type``)."""
    return table.rename(columns={"dyad_type": "group"})


def _text(table: pd.DataFrame | str, render: Callable[[pd.DataFrame], str]) -> str:
    return table if isinstance(table, str) else render(table)


def format_report(study: Study) -> str:
    """Render the report of a loaded study as plain text.

    Parameters
    ----------
    study : alliance.data.dataset.Study
        From :func:`alliance.data.dataset.load_study`.

    Returns
    -------
    str
        Headed sections with fixed-width tables, estimates rounded to
        :data:`DECIMALS` decimals; a section the data cannot support says why
        in one line.

    Examples
    --------
    >>> text = format_report(load_study())
    >>> print(text.splitlines()[0])
    Working-alliance study report
    >>> "Group comparison: sessions with the theme, discordant minus concordant" in text
    True
    """
    tables = report_tables(study)
    reliability_columns = [
        "informant",
        "coefficient",
        "estimate",
        "ci_low",
        "ci_high",
        "n_units",
        "n_raters",
    ]
    design = study.design
    groups = list(design.grouping.labels)
    raters = natural_sorted(study.ratings["rater"].unique())
    ddof_note = (
        ", under which the published SDs are reproduced" if design.reconstructs_article else ""
    )
    if len(groups) == 2:
        tests = (
            f"{groups[1]} minus {groups[0]} (Newcombe 95% interval, Fisher exact p, "
            "Holm-adjusted p)"
        )
    else:
        tests = "by group (Pearson chi-square; min_expected below 5 makes it approximate; Holm)"
    sections = [
        (
            "Working-alliance study report",
            f"Folder: {printable(study.path)}\nData: {_provenance(study)}\n"
            f"Design: {' and '.join(design.informants)} interviews; "
            f"{printable(design.grouping.describe())}; {len(raters)} raters "
            f"({printable(', '.join(raters))}); {len(design.themes)} themes",
        ),
        ("Sessions by group", _grouped(tables["study"]).to_string(index=False)),
        (
            "Coding coverage (interviews coded by two or more raters, by one, by none)",
            tables["coverage"].to_string(index=False),
        ),
        (
            "Inter-rater reliability on the overlap (interviews coded by two or more raters; "
            "session x theme units, analytic 95% intervals)",
            _text(
                tables["reliability"],
                lambda t: t[reliability_columns].round(DECIMALS).to_string(index=False),
            ),
        ),
        (
            f"Themes per session (consensus coding; SD with ddof={THEMES_SD_DDOF}{ddof_note})",
            _text(
                tables["themes_per_session"],
                lambda t: _grouped(t).round(DECIMALS).to_string(index=False),
            ),
        ),
        (
            f"Group comparison: sessions with the theme, {tests}",
            _text(
                tables["dyad_comparison"],
                lambda t: _comparison_text(t, theme_names(study), groups),
            ),
        ),
    ]
    return "\n\n".join(f"{title}\n{'=' * len(title)}\n{body}" for title, body in sections) + "\n"


def print_report(folder: Path | str) -> int:
    """Validate a study folder and print its report: ``python -m alliance report DIR``.

    Parameters
    ----------
    folder : pathlib.Path or str
        The study folder.

    Returns
    -------
    int
        0 after printing the report; 1 if the folder does not validate, in
        which case every problem is printed instead (as by ``validate``).

    Examples
    --------
    >>> import tempfile
    >>> print_report(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    The study folder does not validate, so there is no report...
    1
    """
    try:
        study = load_study(folder)
    except StudyValidationError as error:
        print(
            "The study folder does not validate, so there is no report. Fix these problems "
            f"(python -m alliance validate {folder} lists them too):\n{error}"
        )
        return 1
    print(format_report(study), end="")
    return 0


def datapackage_fields(folder: Path | str) -> pd.DataFrame:
    """Read the table schemas of a study folder's ``datapackage.json`` as a data dictionary.

    Parameters
    ----------
    folder : pathlib.Path or str
        A study folder holding ``datapackage.json`` (e.g. the compendium's ``data/``).

    Returns
    -------
    pandas.DataFrame
        One row per column of every table resource, in file order: ``table``
        (the CSV file), ``field``, ``type``, ``required`` (bool), ``constraints``
        (in words) and ``description``, as the Frictionless Table Schemas in
        the file state them.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``datapackage.json``.
    ValueError
        If the file is not JSON or has no table resources.

    Examples
    --------
    >>> fields = datapackage_fields(load_study().path)
    >>> print(fields.loc[fields["field"] == "present", ["table", "type"]].to_string(index=False))
            table    type
      ratings.csv integer
    consensus.csv integer
    """
    path = Path(folder) / DATAPACKAGE_FILE
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON (line {error.lineno}): {error.msg}") from error
    fields = data_dictionary(package)
    if fields.empty:
        raise ValueError(f"{path}: no resource has a table schema")
    return fields
