"""Small invented study folders (schema 2) for tests, examples and the re-targeted book.

:func:`write_example_study` writes a complete, valid study folder for any design
the schema allows: two or more groups, one or both informants, any raters, any
themes, a double-coded subsample. Everything in it is invented: the people, the
codes and the excerpts (short neutral sentences, each marked ``fictional``), and
``datapackage.json`` says so in its ``"alliance:synthetic"`` property.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from alliance.data.dataset import load_study
>>> study = load_study(write_example_study(Path(tempfile.mkdtemp()) / "study"))
>>> study.design.grouping.labels, study.design.informants
(('concordant', 'discordant'), ('client', 'therapist'))
>>> study.dyads["dyad_type"].value_counts().sort_index().to_dict()
{'concordant': 6, 'discordant': 6}
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from alliance.data.design import STUDY_KEY, Design, read_design
from alliance.data.schema import CODEBOOK_FILE, README_FILE, write_datapackage

__all__ = ["EXAMPLE_GENERATOR", "EXAMPLE_THEMES", "write_example_study"]

EXAMPLE_GENERATOR = "alliance.data.examples.write_example_study"
"""The generator an invented example study names in ``"alliance:synthetic"``."""

EXAMPLE_THEMES: tuple[tuple[str, str, str, str], ...] = (
    (
        "heard",
        "feeling heard",
        "The speaker says the other person listened and took in what was said.",
        "I could say what I came to say, and it was taken in.",
    ),
    (
        "safe",
        "feeling safe",
        "The speaker describes the meeting as a place where it was safe to speak.",
        "It felt like a calm room where I could talk.",
    ),
    (
        "hope",
        "hope for change",
        "The speaker expects that the work together can help.",
        "I left thinking that this could actually help.",
    ),
    (
        "plan",
        "a shared plan",
        "The speaker says the two agreed on what to work on and how.",
        "We agreed on what to look at first.",
    ),
    (
        "doubt",
        "doubt about the fit",
        "The speaker wonders whether the two will work well together.",
        "I am not yet sure we are a good match.",
    ),
    (
        "rushed",
        "feeling rushed",
        "The speaker says the meeting moved too fast to say everything.",
        "There was not enough time to finish my thought.",
    ),
    (
        "distance",
        "distance",
        "The speaker describes the other person as reserved or far away.",
        "The conversation stayed rather formal.",
    ),
    (
        "clarity",
        "clarity about next steps",
        "The speaker knows what happens after the intake.",
        "I know when the next appointment is and what it is for.",
    ),
)
"""Invented themes: id, label, definition and an example sentence (neutral, about the meeting)."""


def _themes(themes: int | Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """Codebook entries for ``themes`` (a number, or ids with labels)."""
    if isinstance(themes, int):
        if themes < 1:
            raise ValueError(f"themes must be at least 1 (got {themes})")
        pairs = [(theme[0], theme[1]) for theme in EXAMPLE_THEMES[:themes]]
        pairs += [(f"theme{k}", f"theme {k}") for k in range(len(pairs) + 1, themes + 1)]
    else:
        pairs = [(str(theme_id), str(label)) for theme_id, label in themes]
    known = {theme[0]: theme for theme in EXAMPLE_THEMES}
    entries = []
    for theme_id, label in pairs:
        definition = known[theme_id][2] if theme_id in known else f"The speaker mentions {label}."
        example = known[theme_id][3] if theme_id in known else f"It was about {label}."
        entries.append(
            {"id": theme_id, "label": label, "definition": definition, "example": example}
        )
    return entries


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(["" if value is None else value for value in row] for row in rows)


def _people(
    design: Design, per_group: int, rng: np.random.Generator
) -> tuple[list[list[object]], list[list[object]], list[list[object]], list[str]]:
    """Therapists, clients and sessions; returns them with each session's group."""
    grouping = design.grouping
    values = grouping.values
    match = grouping.rule == "match"
    therapists, clients, sessions, group_of = [], [], [], []
    n_therapists = max(2, len(values))
    therapist_value = [values[t % len(values)] for t in range(n_therapists)]
    for t, value in enumerate(therapist_value):
        row = [f"T{t + 1:02d}", f"C{t % 2 + 1}"]
        row += [value] if match else []
        row += [("woman", "man")[t % 2], ("psychologist", "social worker")[t % 2], 4 + 3 * t]
        therapists.append(row)
    number = 0
    for group_index, group in enumerate(grouping.labels):
        for _ in range(per_group):
            number += 1
            therapist = int(rng.integers(n_therapists))
            if match:
                same = group_index == 0
                others = [v for v in values if v != therapist_value[therapist]]
                value = therapist_value[therapist] if same else others[number % len(others)]
            else:
                value = group
            age = int(rng.integers(20, 70))
            clients.append([f"P{number:03d}", value, ("man", "woman")[number % 2], age])
            sessions.append([f"S{number:03d}", f"P{number:03d}", f"T{therapist + 1:02d}"])
            group_of.append(group)
    return therapists, clients, sessions, group_of


def _codes(
    design: Design,
    group_of: Sequence[str],
    raters: Sequence[str],
    double_coded: float,
    rng: np.random.Generator,
    missing: float = 0.0,
) -> tuple[list[list[object]], list[list[object]]]:
    """Consensus and ratings: codes differ a little by group; raters agree imperfectly.

    With ``missing`` > 0, that share of the double-coded raters' codes is left
    empty (explicit missing ratings); the random stream is otherwise unchanged.
    """
    themes, labels = design.themes, design.grouping.labels
    base = rng.uniform(0.25, 0.7, size=len(themes))
    shift = rng.choice([-0.12, 0.12], size=len(themes))
    consensus, ratings = [], []
    interviews = [
        (f"S{number + 1:03d}", informant, group)
        for number, group in enumerate(group_of)
        for informant in design.informants
    ]
    n_double = round(double_coded * len(interviews)) if len(raters) > 1 else 0
    double = set(rng.permutation(len(interviews))[:n_double].tolist())
    single = 0
    for index, (session, informant, group) in enumerate(interviews):
        centre = labels.index(group) - (len(labels) - 1) / 2
        chance = np.clip(base + shift * centre, 0.05, 0.95)
        agreed = (rng.random(len(themes)) < chance).astype(int)
        consensus += [
            [session, informant, theme, int(code)]
            for theme, code in zip(themes, agreed, strict=True)
        ]
        if index in double:
            coders = list(raters)
        else:
            coders = [raters[single % len(raters)]]
            single += 1
        for rater in coders:
            flips = rng.random(len(themes)) < 0.12
            codes: list[int | None] = np.where(flips, 1 - agreed, agreed).tolist()
            if missing and len(coders) > 1:
                gaps = rng.random(len(themes)) < missing
                codes = [None if gap else code for code, gap in zip(codes, gaps, strict=True)]
            ratings += [
                [session, informant, rater, theme, code]
                for theme, code in zip(themes, codes, strict=True)
            ]
    return consensus, ratings


def _excerpts(
    consensus: Sequence[Sequence[object]], codebook: Mapping[str, Any], limit: int = 6
) -> list[list[object]]:
    """Return a few invented excerpts, one per theme at most, each under a theme coded present."""
    examples = {theme["id"]: theme["example"] for theme in codebook["themes"]}
    rows, seen = [], set()
    for session, informant, theme, present in consensus:
        if present and theme not in seen and len(rows) < limit:
            seen.add(theme)
            text = str(examples[theme])
            rows.append([f"E{len(rows) + 1:03d}", session, informant, theme, "", text, "yes"])
    return rows


def write_example_study(
    folder: str | Path,
    *,
    groups: Sequence[str] = ("concordant", "discordant"),
    rule: str = "match",
    variable: str = "ethnicity",
    values: Sequence[str] | None = None,
    per_group: int = 6,
    informants: Sequence[str] = ("client", "therapist"),
    raters: Sequence[str] = ("Dana", "Eli"),
    themes: int | Sequence[tuple[str, str]] = 5,
    double_coded: float = 0.5,
    missing: float = 0.0,
    seed: int = 0,
    invented: bool = True,
) -> Path:
    """Write a small, valid, invented study folder (schema 2) and return its path.

    Parameters
    ----------
    folder : str or pathlib.Path
        Folder to write; created if needed, and it must not hold files yet.
    groups : sequence of str
        Group names. With ``rule="match"``: the names of the same and the
        different group (two). With ``rule="client"``: the client's values of
        ``variable``, two or more.
    rule : {"match", "client"}
        How sessions fall into groups (:class:`alliance.data.design.Grouping`).
    variable : str
        The grouping column of ``clients.csv`` (and ``therapists.csv`` for ``match``).
    values : sequence of str, optional
        The values of ``variable`` for ``match`` (default ``("A", "B")``);
        for ``client`` they are ``groups``.
    per_group : int
        Sessions (dyads) per group.
    informants : sequence of str
        Whose interviews were coded: ``client``, ``therapist`` or both.
    raters : sequence of str
        Rater names (any safe ids).
    themes : int or sequence of (id, label)
        How many invented themes (from :data:`EXAMPLE_THEMES`), or the study's own.
    double_coded : float
        Share of interviews coded by every rater; the others are coded by one
        rater each, taking turns (single-coded).
    missing : float
        Share of the codes of double-coded interviews left empty in
        ``ratings.csv`` (explicit missing ratings); 0 writes none.
    seed : int
        Seed of the random generator; the same arguments write the same bytes.
    invented : bool
        Mark the folder as generated (``"alliance:synthetic"`` names
        :data:`EXAMPLE_GENERATOR`); ``False`` leaves provenance undeclared, as
        for real data.

    Returns
    -------
    pathlib.Path
        The study folder, with the eight tables, ``codebook.yaml``, ``README.md``
        and ``datapackage.json`` (written last, with the hashes of the others).

    Raises
    ------
    FileExistsError
        If ``folder`` already holds files.
    ValueError
        If the arguments do not make a valid design.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> folder = write_example_study(
    ...     Path(tempfile.mkdtemp()) / "three", rule="client", variable="site",
    ...     groups=("north", "south", "east"), informants=("client",), seed=3)
    >>> package = json.loads((folder / "datapackage.json").read_text())
    >>> package["alliance:study"]["groups"]["values"], package["alliance:synthetic"]["generator"]
    (['north', 'south', 'east'], 'alliance.data.examples.write_example_study')
    """
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} holds files already; choose an empty or new folder")
    for name, share in (("double_coded", double_coded), ("missing", missing)):
        if not 0 <= share <= 1:
            raise ValueError(f"{name} must be between 0 and 1 (got {share})")
    if per_group < 1 or not raters:
        raise ValueError("an example study needs at least one session per group and one rater")
    codebook = {
        "title": "Invented example codebook",
        "source": "Invented for an example study; no real study uses it.",
        "themes": _themes(themes),
    }
    if rule == "match":
        if len(groups) != 2:
            raise ValueError(f"rule 'match' names two groups, same and different (got {groups!r})")
        same, different = groups
        group_record = {
            "rule": "match",
            "variable": variable,
            "values": list(values or ("A", "B")),
            "same": same,
            "different": different,
        }
    else:
        group_record = {"rule": rule, "variable": variable, "values": list(groups)}
    record = {
        "schema_version": 2,
        "informants": list(informants),
        "groups": group_record,
        "settings": ["community", "hospital outpatient"],
        "ranges": {"clients.age": [18, 90]},
        "reconstructs": None,
    }
    design = read_design({STUDY_KEY: record}, codebook)
    rng = np.random.default_rng(seed)
    therapists, clients, sessions, group_of = _people(design, per_group, rng)
    consensus, ratings = _codes(design, group_of, list(raters), double_coded, rng, missing)
    folder.mkdir(parents=True, exist_ok=True)
    match = design.grouping.rule == "match"
    tables = {
        "clinics": (["clinic_id", "setting"], [["C1", "community"], ["C2", "hospital outpatient"]]),
        "therapists": (
            ["therapist_id", "clinic_id", *([variable] if match else [])]
            + ["gender", "profession", "years_experience"],
            therapists,
        ),
        "clients": (["client_id", variable, "gender", "age"], clients),
        "sessions": (["session_id", "client_id", "therapist_id"], sessions),
        "ratings": (["session_id", "informant", "rater", "theme", "present"], ratings),
        "consensus": (["session_id", "informant", "theme", "present"], consensus),
        "facets": (["session_id", "informant", "facet", "valence", "theme"], []),
        "excerpts": (
            ["excerpt_id", "session_id", "informant", "theme", "facet", "text", "fictional"],
            _excerpts(consensus, codebook),
        ),
    }
    for name, (header, rows) in tables.items():
        _write_csv(folder / f"{name}.csv", header, rows)
    text = yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True, width=100)
    (folder / CODEBOOK_FILE).write_text(text, encoding="utf-8", newline="\n")
    kind = "an INVENTED example study" if invented else "an example study"
    readme = (
        f"# Example study\n\nThis folder is {kind}: people, codes and excerpts were made up "
        f"by `{EXAMPLE_GENERATOR}` (seed {seed}). It describes no real person.\n"
    )
    (folder / README_FILE).write_text(readme, encoding="utf-8", newline="\n")
    synthetic = {"generator": EXAMPLE_GENERATOR, "seed": seed} if invented else None
    write_datapackage(folder, synthetic=synthetic, design=design)
    return folder
