"""Sampling and participants: clinics, therapists, clients and the dyads they formed.

Every function takes the tidy study tables (as returned by
:func:`alliance.load_study`: ``clinics``, ``therapists``, ``clients`` and
``Study.dyads``) and returns a tidy :class:`pandas.DataFrame`, so the same
code describes the synthetic reconstruction, a differently seeded one, or a
user's real data. Nothing is hard-coded about the size of the sample.

Examples
--------
>>> import pandas as pd
>>> clinics = pd.DataFrame({"clinic_id": ["C1"], "setting": ["community"]})
>>> therapists = pd.DataFrame({"therapist_id": ["T01", "T02"], "clinic_id": ["C1", "C1"]})
>>> dyads = pd.DataFrame({
...     "session_id": ["S1", "S2", "S3"], "therapist_id": ["T01", "T01", "T02"],
...     "clinic_id": ["C1", "C1", "C1"],
...     "dyad_type": ["concordant", "discordant", "discordant"]})
>>> therapist_caseloads(therapists, dyads)[["therapist_id", "concordant", "discordant", "total"]]
  therapist_id  concordant  discordant  total
0          T01           1           1      2
1          T02           0           1      1
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from alliance.stats.checks import require_columns

__all__ = [
    "CLIENT_VARIABLES",
    "DYAD_TYPES",
    "PARENT_STUDY_INTAKES",
    "THERAPIST_VARIABLES",
    "VARIABLE_LABELS",
    "attach_dyads",
    "caseload_summary",
    "dyad_composition",
    "group_labels",
    "participant_characteristics",
    "sample_counts",
    "table_one",
    "therapist_caseloads",
]

DYAD_TYPES: tuple[str, ...] = ("concordant", "discordant")
"""Dyad types of schema-1 studies: the client shares the therapist's ethnic group or not.

A study's own groups are ``study.design.grouping.labels``; see :func:`group_labels`.
"""

PARENT_STUDY_INTAKES = 122
"""Audiotaped intakes in the parent study (4 clinics in Israel, October 2012 to April 2013).

Published outside the article (Nakash & Nagar 2018, *Journal of Mental Health*,
doi:10.1080/09638237.2017.1294740; Nakash, Nagar & Kanat-Maymon 2015), as
collected in ``shared/study/FACTS.md``.
"""

CLIENT_VARIABLES: Mapping[str, str] = {
    "gender": "categorical",
    "age": "numeric",
    "education_years": "numeric",
}
"""Client characteristics summarised in Table 1, with their kind."""

THERAPIST_VARIABLES: Mapping[str, str] = {
    "gender": "categorical",
    "profession": "categorical",
    "years_experience": "numeric",
}
"""Therapist characteristics summarised in Table 1, with their kind."""

VARIABLE_LABELS: Mapping[str, str] = {
    "gender": "Gender",
    "profession": "Profession",
    "years_experience": "Years of experience",
    "age": "Age (years)",
    "education_years": "Education (years)",
}
"""Row labels of Table 1 for the schema's participant columns."""

CHARACTERISTIC_COLUMNS: tuple[str, ...] = (
    "role",
    "ethnicity",
    "group_n",
    "variable",
    "level",
    "n",
    "percent",
    "mean",
    "sd",
    "n_missing",
)
"""Columns of :func:`participant_characteristics`."""


def _require_known(
    table: pd.DataFrame, column: str, known: pd.Series, name: str, reference: str
) -> None:
    """Raise ``ValueError`` naming every row of ``table`` whose ``column`` is not in ``known``."""
    unknown = ~table[column].isin(known)
    if unknown.any():
        rows = ", ".join(
            f"row {row} ({column}={value!r})" for row, value in table.loc[unknown, column].items()
        )
        raise ValueError(f"{name}: {column} not found in {reference}: {rows}")


def group_labels(
    values: Iterable[object] | pd.Series, groups: Sequence[str] | None = None
) -> tuple[str, ...]:
    """Return the groups a comparison reports, in display order.

    Every helper of the study layer that takes ``groups`` resolves it here.

    Parameters
    ----------
    values : iterable or pandas.Series
        The group of each session (``study.dyads["dyad_type"]``).
    groups : sequence of str, optional
        The study's groups in display order, ``study.design.grouping.labels``:
        pass it, so tables follow the study's metadata and keep empty groups.
        ``None``: the categories of a categorical ``values``; else
        :data:`DYAD_TYPES` when every value is one of them (schema 1); else the
        distinct values, sorted.

    Returns
    -------
    tuple of str

    Raises
    ------
    ValueError
        If ``groups`` is given and a value is not one of them, or a value is empty.

    Examples
    --------
    >>> group_labels(["discordant", "concordant", "discordant"])
    ('concordant', 'discordant')
    >>> group_labels(["B", "A", "C"])
    ('A', 'B', 'C')
    >>> group_labels(["B", "A"], groups=["B", "A", "C"])
    ('B', 'A', 'C')
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if series.isna().any():
        raise ValueError(
            f"dyad_type is empty in row {series.index[series.isna().to_numpy()][0]}; "
            "every session needs its group"
        )
    if groups is not None:
        unknown = sorted(set(map(str, series)) - set(groups))
        if unknown:
            raise ValueError(f"dyad_type has value(s) {unknown} outside the groups {list(groups)}")
        return tuple(groups)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return tuple(map(str, series.cat.categories))
    seen = set(map(str, series))
    return DYAD_TYPES if seen <= set(DYAD_TYPES) else tuple(sorted(seen))


def attach_dyads(
    table: pd.DataFrame,
    dyads: pd.DataFrame,
    columns: Sequence[str] = ("therapist_id", "clinic_id", "client_ethnicity", "dyad_type"),
) -> pd.DataFrame:
    """Add dyad information (therapist, clinic, dyad type, ...) to a table keyed by session.

    Parameters
    ----------
    table : pandas.DataFrame
        Any tidy table with a ``session_id`` column, e.g. ``Study.consensus``.
    dyads : pandas.DataFrame
        ``Study.dyads``: one row per session.
    columns : sequence of str
        Columns of ``dyads`` to add; those already in ``table`` are not added twice.

    Returns
    -------
    pandas.DataFrame
        ``table`` with the extra columns, rows in their original order and index.

    Raises
    ------
    ValueError
        If a column is missing, ``dyads`` repeats a session, or a row of ``table``
        names a session that ``dyads`` does not have (every such row is listed).

    Examples
    --------
    >>> dyads = pd.DataFrame({"session_id": ["S1", "S2"],
    ...                       "dyad_type": ["concordant", "discordant"]})
    >>> coded = pd.DataFrame({"session_id": ["S2", "S1"], "present": [1, 0]})
    >>> attach_dyads(coded, dyads, columns=["dyad_type"])
      session_id  present   dyad_type
    0         S2        1  discordant
    1         S1        0  concordant
    """
    require_columns(table, ["session_id"], "table")
    require_columns(dyads, ["session_id", *columns], "dyads")
    repeated = dyads["session_id"].duplicated(keep=False)
    if repeated.any():
        sessions = sorted(set(dyads.loc[repeated, "session_id"]))
        raise ValueError(f"dyads must have one row per session; repeated: {sessions}")
    _require_known(table, "session_id", dyads["session_id"], "table", "dyads")
    extra = [column for column in columns if column not in table.columns]
    lookup = dyads.set_index("session_id")[extra]
    joined = lookup.reindex(table["session_id"].to_numpy())
    joined.index = table.index
    return pd.concat([table, joined], axis=1)


def sample_counts(
    clinics: pd.DataFrame,
    therapists: pd.DataFrame,
    clients: pd.DataFrame,
    dyads: pd.DataFrame,
    groups: Sequence[str] | None = None,
    variable: str = "ethnicity",
) -> pd.DataFrame:
    """Count the units of the sample: clinics, therapists, clients by group, dyads by type.

    Parameters
    ----------
    clinics, therapists, clients : pandas.DataFrame
        The study tables of the same names.
    dyads : pandas.DataFrame
        ``Study.dyads``.
    groups : sequence of str, optional
        The dyad types (groups) in display order, ``study.design.grouping.labels``
        (default: :func:`group_labels` of ``dyads``).
    variable : str, default "ethnicity"
        The clients' column counted by value: ``study.design.grouping.variable``.

    Returns
    -------
    pandas.DataFrame
        Columns ``quantity``, ``label`` and ``n``. Quantities: ``n_clinics``,
        ``n_therapists``, ``n_clients``, ``n_clients_<value>`` for each value of
        ``variable`` (lower case, sorted), ``n_dyads`` and ``n_<group>`` for each
        group (zero counts kept). Where a quantity is also published, it has the key of
        :mod:`alliance.data.published`.

    Examples
    --------
    >>> clinics = pd.DataFrame({"clinic_id": ["C1"]})
    >>> therapists = pd.DataFrame({"therapist_id": ["T01"]})
    >>> clients = pd.DataFrame({"client_id": ["P1", "P2"], "ethnicity": ["Mizrahi", "Ashkenazi"]})
    >>> dyads = pd.DataFrame({"session_id": ["S1", "S2"],
    ...                       "dyad_type": ["discordant", "concordant"]})
    >>> print(sample_counts(clinics, therapists, clients, dyads).to_string(index=False))
               quantity                   label  n
              n_clinics                 Clinics  1
           n_therapists              Therapists  1
              n_clients                 Clients  2
    n_clients_ashkenazi      Clients, Ashkenazi  1
      n_clients_mizrahi        Clients, Mizrahi  1
                n_dyads Dyads (intake sessions)  2
           n_concordant        Concordant dyads  1
           n_discordant        Discordant dyads  1
    """
    require_columns(clients, ["client_id", variable], "clients")
    require_columns(dyads, ["session_id", "dyad_type"], "dyads")
    groups = group_labels(dyads["dyad_type"], groups)
    rows = [
        ("n_clinics", "Clinics", len(clinics)),
        ("n_therapists", "Therapists", len(therapists)),
        ("n_clients", "Clients", len(clients)),
    ]
    by_value = clients[variable].value_counts().sort_index()
    rows += [
        (f"n_clients_{str(value).lower()}", f"Clients, {value}", int(n))
        for value, n in by_value.items()
    ]
    rows.append(("n_dyads", "Dyads (intake sessions)", len(dyads)))
    by_type = dyads["dyad_type"].value_counts().reindex(groups, fill_value=0)
    rows += [
        (f"n_{dyad_type}", f"{dyad_type.capitalize()} dyads", int(n))
        for dyad_type, n in by_type.items()
    ]
    return pd.DataFrame(rows, columns=["quantity", "label", "n"])


def _describe(
    people: pd.DataFrame,
    role: str,
    variables: Mapping[str, str],
    levels: Mapping[str, list[str]],
    by: str,
) -> list[dict[str, object]]:
    """Summarise ``variables`` for each group (column ``by``) of one role (Table 1 rows).

    Categorical variables report every level in ``levels[variable]``, zero counts
    included. People without a ``by`` column form one group, ``all``.
    """
    rows: list[dict[str, object]] = []
    if by not in people.columns:
        people = people.copy()
        people[by] = "all"
    for value, group in people.groupby(by, sort=True):
        base = {"role": role, by: value, "group_n": len(group)}
        for variable, kind in variables.items():
            values = group[variable]
            observed = values.dropna()
            n_missing = int(values.isna().sum())
            if kind == "numeric":
                numbers = observed.astype(float)
                rows.append(
                    base
                    | {
                        "variable": variable,
                        "level": "",
                        "n": len(numbers),
                        "mean": numbers.mean() if len(numbers) else float("nan"),
                        "sd": numbers.std(ddof=1) if len(numbers) > 1 else float("nan"),
                        "n_missing": n_missing,
                    }
                )
            elif kind == "categorical":
                counts = observed.astype(str).value_counts()
                for level in levels[variable]:
                    n = int(counts.get(level, 0))
                    rows.append(
                        base
                        | {
                            "variable": variable,
                            "level": level,
                            "n": n,
                            "percent": 100 * n / len(observed) if len(observed) else float("nan"),
                            "n_missing": n_missing,
                        }
                    )
            else:
                raise ValueError(
                    f"variable {variable!r}: kind must be 'numeric' or 'categorical', got {kind!r}"
                )
    return rows


def participant_characteristics(
    clients: pd.DataFrame,
    therapists: pd.DataFrame,
    client_variables: Mapping[str, str] = CLIENT_VARIABLES,
    therapist_variables: Mapping[str, str] = THERAPIST_VARIABLES,
    by: str = "ethnicity",
) -> pd.DataFrame:
    """Describe therapists and clients by role and group, in long (tidy) form.

    Categorical variables give a count and a percentage of the non-missing
    values for every level seen in either table (zero counts included, so groups
    line up); numeric ones a mean and a standard deviation
    (``ddof=1``). Missing values are counted, never dropped silently.

    Parameters
    ----------
    clients, therapists : pandas.DataFrame
        The study tables; each needs ``ethnicity`` and the variables named below.
    client_variables, therapist_variables : mapping of str to {"numeric", "categorical"}
        Which columns to describe, and how.
    by : str, default "ethnicity"
        The column that splits people into groups: the study's
        ``design.grouping.variable``. Clients need it; therapists without it
        (a study whose groups are the clients' own) are described as one group, ``all``.

    Returns
    -------
    pandas.DataFrame
        One row per role x group x variable (x level), with the columns of
        :data:`CHARACTERISTIC_COLUMNS` (``ethnicity`` named ``by``): ``group_n``
        is the size of the group, ``n`` the number of people counted in the row
        (for a numeric variable, those with a value), ``n_missing`` those
        without a value. Therapists come first, then clients; groups and levels
        are sorted.

    Raises
    ------
    ValueError
        If ``clients`` lacks ``by``, or a table lacks a requested variable.

    Examples
    --------
    >>> clients = pd.DataFrame({"ethnicity": ["Mizrahi", "Mizrahi", "Ashkenazi"],
    ...                         "gender": ["woman", "man", "woman"], "age": [30, 40, None]})
    >>> therapists = pd.DataFrame({"ethnicity": ["Ashkenazi"], "gender": ["woman"]})
    >>> table = participant_characteristics(clients, therapists, {"age": "numeric"},
    ...                                     {"gender": "categorical"})
    >>> table[["role", "ethnicity", "variable", "level", "n", "percent", "mean", "n_missing"]]
            role  ethnicity variable  level  n  percent  mean  n_missing
    0  therapist  Ashkenazi   gender  woman  1    100.0   NaN          0
    1     client  Ashkenazi      age         0      NaN   NaN          1
    2     client    Mizrahi      age         2      NaN  35.0          0
    """
    require_columns(therapists, list(therapist_variables), "therapists")
    require_columns(clients, [by, *client_variables], "clients")
    levels: dict[str, list[str]] = {}
    for people, variables in ((therapists, therapist_variables), (clients, client_variables)):
        for variable, kind in variables.items():
            if kind == "categorical":
                observed = set(people[variable].dropna().astype(str))
                levels[variable] = sorted(observed.union(levels.get(variable, [])))
    rows = _describe(therapists, "therapist", therapist_variables, levels, by)
    rows += _describe(clients, "client", client_variables, levels, by)
    columns = [by if column == "ethnicity" else column for column in CHARACTERISTIC_COLUMNS]
    table = pd.DataFrame(rows, columns=columns)
    return table.astype({"group_n": int, "n": int, "n_missing": int})


def table_one(
    characteristics: pd.DataFrame,
    decimals: int = 1,
    labels: Mapping[str, str] | None = None,
    by: str = "ethnicity",
) -> pd.DataFrame:
    """Lay out :func:`participant_characteristics` as a printable "Table 1".

    Parameters
    ----------
    characteristics : pandas.DataFrame
        The output of :func:`participant_characteristics`.
    decimals : int, default 1
        Decimals for means, standard deviations and percentages.
    labels : mapping of str to str, optional
        Display name of each variable (default: the column name itself);
        :data:`VARIABLE_LABELS` names the schema's columns.
    by : str, default "ethnicity"
        The group column, as given to :func:`participant_characteristics`.

    Returns
    -------
    pandas.DataFrame
        Text cells: one column per role and group (headed with its size),
        one row per characteristic; ``n (%)`` for levels of categorical variables
        (percent of those with a value), ``mean (SD)`` for numeric ones, a
        ``<variable>: missing`` row counting people without a value where there are
        any, and an empty cell where a characteristic does not apply to that group.

    Examples
    --------
    >>> clients = pd.DataFrame({"ethnicity": ["Mizrahi"] * 3, "gender": ["man"] * 3,
    ...                         "age": [30, 40, None]})
    >>> therapists = pd.DataFrame({"ethnicity": ["Ashkenazi"], "gender": ["woman"]})
    >>> chars = participant_characteristics(
    ...     clients, therapists, {"gender": "categorical", "age": "numeric"},
    ...     {"gender": "categorical"})
    >>> print(table_one(chars).to_string())
                   Therapists, Ashkenazi (n=1) Clients, Mizrahi (n=3)
    gender: man                       0 (0.0%)             3 (100.0%)
    gender: woman                   1 (100.0%)               0 (0.0%)
    age, mean (SD)                                         35.0 (7.1)
    age: missing                                                    1
    """
    columns = [by if column == "ethnicity" else column for column in CHARACTERISTIC_COLUMNS]
    require_columns(characteristics, columns, "characteristics")
    cells: dict[str, dict[str, str]] = {}
    variable_of: dict[str, str] = {}
    groups = characteristics.groupby(["role", by, "variable"], sort=False)
    for (role, group, column_name), rows in groups:
        variable = (labels or {}).get(column_name, column_name)
        column = f"{role.capitalize()}s, {group} (n={rows['group_n'].iloc[0]})"
        cell = cells.setdefault(column, {})
        for row in rows.itertuples(index=False):
            if row.level == "":
                label = f"{variable}, mean (SD)"
                mean = f"{row.mean:.{decimals}f}" if row.n else ""
                cell[label] = f"{mean} ({row.sd:.{decimals}f})" if row.n > 1 else mean
            else:
                label = f"{variable}: {row.level}"
                cell[label] = f"{row.n} ({row.percent:.{decimals}f}%)"
            variable_of.setdefault(label, variable)
        n_missing = int(rows["n_missing"].iloc[0])
        if n_missing:
            cell[f"{variable}: missing"] = str(n_missing)
            variable_of.setdefault(f"{variable}: missing", variable)
    variables = list(dict.fromkeys(variable_of.values()))
    row_labels = sorted(
        variable_of,
        key=lambda label: (
            variables.index(variable_of[label]),
            label.endswith(": missing"),
            label,
        ),
    )
    return pd.DataFrame(cells).reindex(row_labels).fillna("")


def therapist_caseloads(
    therapists: pd.DataFrame, dyads: pd.DataFrame, groups: Sequence[str] | None = None
) -> pd.DataFrame:
    """Count each therapist's intakes, by dyad type.

    Parameters
    ----------
    therapists : pandas.DataFrame
        The therapists table (``therapist_id``, ``clinic_id``); therapists without
        any intake are kept, with zero counts.
    dyads : pandas.DataFrame
        ``Study.dyads`` (``therapist_id``, ``dyad_type``).
    groups : sequence of str, optional
        The dyad types (groups) in display order, ``study.design.grouping.labels``
        (default: :func:`group_labels` of ``dyads``).

    Returns
    -------
    pandas.DataFrame
        One row per therapist, sorted by clinic and therapist: ``therapist_id``,
        ``clinic_id``, one count column per group (in ``groups`` order) and
        ``total``.

    Raises
    ------
    ValueError
        If a dyad names a therapist missing from ``therapists`` or a group
        outside ``groups``.

    Examples
    --------
    >>> therapists = pd.DataFrame({"therapist_id": ["T01", "T02"], "clinic_id": ["C1", "C2"]})
    >>> dyads = pd.DataFrame({"therapist_id": ["T02", "T02"],
    ...                       "dyad_type": ["discordant", "discordant"]})
    >>> therapist_caseloads(therapists, dyads)
      therapist_id clinic_id  concordant  discordant  total
    0          T01        C1           0           0      0
    1          T02        C2           0           2      2
    """
    require_columns(therapists, ["therapist_id", "clinic_id"], "therapists")
    require_columns(dyads, ["therapist_id", "dyad_type"], "dyads")
    _require_known(dyads, "therapist_id", therapists["therapist_id"], "dyads", "therapists")
    groups = group_labels(dyads["dyad_type"], groups)
    counts = pd.crosstab(dyads["therapist_id"], dyads["dyad_type"].astype(str))
    counts = counts.reindex(index=therapists["therapist_id"], columns=list(groups))
    counts = counts.fillna(0).astype(int)
    counts.columns.name = None
    table = therapists[["therapist_id", "clinic_id"]].set_index("therapist_id").join(counts)
    table["total"] = table[list(groups)].sum(axis=1)
    return table.reset_index().sort_values(["clinic_id", "therapist_id"], ignore_index=True)


def caseload_summary(caseloads: pd.DataFrame, groups: Sequence[str] | None = None) -> pd.DataFrame:
    """Summarise how many intakes each therapist contributed.

    Parameters
    ----------
    caseloads : pandas.DataFrame
        The output of :func:`therapist_caseloads`.
    groups : sequence of str, optional
        Its group columns (default: every column but ``therapist_id``,
        ``clinic_id`` and ``total``).

    Returns
    -------
    pandas.DataFrame
        One row: ``n_therapists``, ``mean``, ``sd`` (``ddof=1``), ``median``,
        ``min`` and ``max`` of the caseload, ``n_single`` (therapists with exactly
        one intake) and ``n_both_types`` (therapists with sessions in more than
        one group, e.g. a concordant and a discordant dyad, who make
        within-therapist comparisons possible).

    Examples
    --------
    >>> caseloads = pd.DataFrame({"concordant": [1, 0, 2], "discordant": [1, 1, 0],
    ...                           "total": [2, 1, 2]})
    >>> caseload_summary(caseloads)[["n_therapists", "mean", "n_single", "n_both_types"]]
       n_therapists      mean  n_single  n_both_types
    0             3  1.666667         1             1
    """
    if groups is None:
        groups = [c for c in caseloads.columns if c not in ("therapist_id", "clinic_id", "total")]
    require_columns(caseloads, [*groups, "total"], "caseloads")
    total = caseloads["total"]
    both = (caseloads[list(groups)] > 0).sum(axis=1) > 1
    return pd.DataFrame(
        {
            "n_therapists": [len(caseloads)],
            "mean": [total.mean()],
            "sd": [total.std(ddof=1)],
            "median": [total.median()],
            "min": [int(total.min())],
            "max": [int(total.max())],
            "n_single": [int((total == 1).sum())],
            "n_both_types": [int(both.sum())],
        }
    )


def dyad_composition(
    clinics: pd.DataFrame,
    therapists: pd.DataFrame,
    dyads: pd.DataFrame,
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Describe each clinic: its setting, therapists and dyads by type.

    Parameters
    ----------
    clinics : pandas.DataFrame
        The clinics table (``clinic_id``, ``setting``).
    therapists : pandas.DataFrame
        The therapists table (``therapist_id``, ``clinic_id``).
    dyads : pandas.DataFrame
        ``Study.dyads`` (``clinic_id``, ``dyad_type``).
    groups : sequence of str, optional
        The dyad types (groups) in display order, ``study.design.grouping.labels``
        (default: :func:`group_labels` of ``dyads``).

    Returns
    -------
    pandas.DataFrame
        One row per clinic (clinics without dyads kept), sorted by ``clinic_id``:
        ``clinic_id``, ``setting``, ``n_therapists``, one count column per group,
        ``n_dyads`` and ``percent_<group>`` for every group but the first
        (``percent_discordant`` for dyad types; NaN for a clinic without dyads).

    Raises
    ------
    ValueError
        If a therapist or dyad names a clinic missing from ``clinics``.

    Examples
    --------
    >>> clinics = pd.DataFrame({"clinic_id": ["C1"], "setting": ["community"]})
    >>> therapists = pd.DataFrame({"therapist_id": ["T01"], "clinic_id": ["C1"]})
    >>> dyads = pd.DataFrame({"clinic_id": ["C1"] * 4,
    ...                       "dyad_type": ["concordant"] + ["discordant"] * 3})
    >>> dyad_composition(clinics, therapists, dyads).iloc[0].to_dict()
    {'clinic_id': 'C1', 'setting': 'community', 'n_therapists': 1, 'concordant': 1, \
'discordant': 3, 'n_dyads': 4, 'percent_discordant': 75.0}
    """
    require_columns(clinics, ["clinic_id", "setting"], "clinics")
    require_columns(therapists, ["therapist_id", "clinic_id"], "therapists")
    require_columns(dyads, ["clinic_id", "dyad_type"], "dyads")
    _require_known(therapists, "clinic_id", clinics["clinic_id"], "therapists", "clinics")
    _require_known(dyads, "clinic_id", clinics["clinic_id"], "dyads", "clinics")
    groups = group_labels(dyads["dyad_type"], groups)
    table = clinics[["clinic_id", "setting"]].set_index("clinic_id")
    table["n_therapists"] = therapists["clinic_id"].value_counts().reindex(table.index).fillna(0)
    counts = pd.crosstab(dyads["clinic_id"], dyads["dyad_type"].astype(str))
    counts = counts.reindex(index=table.index, columns=list(groups)).fillna(0)
    table = table.join(counts)
    table["n_dyads"] = table[list(groups)].sum(axis=1)
    table = table.astype({"n_therapists": int, **dict.fromkeys(groups, int), "n_dyads": int})
    with_dyads = table["n_dyads"].where(table["n_dyads"] > 0)
    for group in groups[1:]:
        table[f"percent_{group}"] = 100 * table[group] / with_dyads
    table.columns.name = None
    return table.reset_index().sort_values("clinic_id", ignore_index=True)
